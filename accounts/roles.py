"""Roles in a workspace: members run syncs and see everything; owners also manage it.

Owners manage connections, settings and the team. ``owner_required`` guards those views (every
method for pages that only change things, ``POST`` only with ``methods=("POST",)`` for pages a
member may read); a member gets a 403 page that says who can do it.
"""

from __future__ import annotations

from functools import wraps

from django.shortcuts import render

from accounts.models import Membership
from accounts.scoping import workspace_required

OWNER_ONLY_TEMPLATE = "accounts/owner_only.html"


def is_owner(request) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.role == Membership.Role.OWNER


def owner_only_response(request):
    workspace = getattr(request, "workspace", None)
    owners = (
        workspace.memberships.filter(role=Membership.Role.OWNER).select_related("user")
        if workspace is not None
        else []
    )
    return render(
        request,
        OWNER_ONLY_TEMPLATE,
        {"owners": [m.user.email for m in owners]},
        status=403,
    )


def owner_required(view=None, *, methods: tuple[str, ...] | None = None):
    """Require the workspace's owner role (for ``methods``, or every method when not given).

    Includes ``workspace_required``: anonymous users go to sign-in, users without a workspace
    get 404.
    """

    def decorate(func):
        @workspace_required
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            guarded = methods is None or request.method in methods
            if guarded and not is_owner(request):
                return owner_only_response(request)
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
