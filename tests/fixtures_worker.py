"""Shared pytest fixtures: worker."""

from __future__ import annotations
