"""Shared pytest fixtures: sandbox."""

from __future__ import annotations
