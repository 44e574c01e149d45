"""Shared pytest fixtures: connections."""

from __future__ import annotations
