"""Shared pytest fixtures: the sandbox LACRM provider."""

from __future__ import annotations
