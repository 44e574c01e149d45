"""Template context shared by every page."""

from __future__ import annotations


def workspace(request) -> dict:
    return {"current_workspace": getattr(request, "workspace", None)}
