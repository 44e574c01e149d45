"""Template context shared by every page."""

from __future__ import annotations

from accounts.roles import is_owner


def workspace(request) -> dict:
    current = getattr(request, "workspace", None)
    user = getattr(request, "user", None)
    others = []
    if current is not None and user is not None and user.is_authenticated:
        # The header's switcher lists the user's other workspaces.
        others = [
            m.workspace
            for m in user.memberships.select_related("workspace").order_by("workspace__name")
            if m.workspace_id != current.pk
        ]
    return {
        "current_workspace": current,
        "other_workspaces": others,
        "is_owner": is_owner(request),
    }
