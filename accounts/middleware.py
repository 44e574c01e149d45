"""Sets ``request.workspace`` for signed-in users (``None`` for everyone else)."""

from __future__ import annotations


def workspace_for_user(user):
    """Return the user's workspace (their first membership), or ``None``."""
    if not user.is_authenticated:
        return None
    membership = user.memberships.select_related("workspace").order_by("created_at").first()
    return membership.workspace if membership else None


class WorkspaceMiddleware:
    """Attach the signed-in user's workspace to the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.workspace = workspace_for_user(request.user)
        return self.get_response(request)
