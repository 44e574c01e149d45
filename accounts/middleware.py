"""Sets ``request.workspace`` for signed-in users and opens that workspace's scope.

Tenant models fail closed (``accounts.scoping``): a request with no workspace (anonymous, or a
user without a membership) can read no tenant row at all. The Django admin is the one place
that looks across tenants; its staff users get the scopes disabled there, and only there.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from accounts.scoping import scope, scopes_disabled


def workspace_for_user(user):
    """Return the user's workspace (their first membership), or ``None``."""
    if not user.is_authenticated:
        return None
    membership = user.memberships.select_related("workspace").order_by("created_at").first()
    return membership.workspace if membership else None


def _admin_prefix() -> str:
    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return ""


class WorkspaceMiddleware:
    """Attach the signed-in user's workspace to the request and scope every query to it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.workspace = workspace_for_user(request.user)
        admin = _admin_prefix()
        if admin and request.path.startswith(admin) and request.user.is_staff:
            with scopes_disabled():
                return self.get_response(request)
        if request.workspace is None:
            return self.get_response(request)
        with scope(workspace=request.workspace.pk):
            return self.get_response(request)
