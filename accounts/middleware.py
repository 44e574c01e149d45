"""Sets ``request.workspace`` for signed-in users and opens that workspace's scope.

A user in several workspaces works in one at a time: the one whose id the session holds
(``SESSION_WORKSPACE``, set by the switcher in the header) if they are still a member of it,
else their first membership. ``request.membership`` is their membership there (its role decides
what they may change: ``accounts.roles``).

Tenant models fail closed (``accounts.scoping``): a request with no workspace (anonymous, or a
user without a membership) can read no tenant row at all. The Django admin is the one place
that looks across tenants; its staff users get the scopes disabled there, and only there.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from accounts.scoping import scope, scopes_disabled

SESSION_WORKSPACE = "accounts.workspace_id"


def membership_for_user(user, workspace_id=None):
    """The user's membership in ``workspace_id`` if they have one, else their first; or ``None``."""
    if not user.is_authenticated:
        return None
    memberships = user.memberships.select_related("workspace").order_by("created_at")
    if workspace_id:
        chosen = memberships.filter(workspace_id=workspace_id).first()
        if chosen is not None:
            return chosen
    return memberships.first()


def workspace_for_user(user, workspace_id=None):
    """Return the user's workspace (the chosen one, else their first membership's), or ``None``."""
    membership = membership_for_user(user, workspace_id)
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
        chosen = request.session.get(SESSION_WORKSPACE) if hasattr(request, "session") else None
        request.membership = membership_for_user(request.user, chosen)
        request.workspace = request.membership.workspace if request.membership else None
        admin = _admin_prefix()
        if admin and request.path.startswith(admin) and request.user.is_staff:
            with scopes_disabled():
                return self.get_response(request)
        if request.workspace is None:
            return self.get_response(request)
        with scope(workspace=request.workspace.pk):
            return self.get_response(request)
