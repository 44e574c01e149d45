"""The page a signed-in account with no workspace lands on, and its "create a workspace" action.

The superuser made with ``createsuperuser`` has no workspace, nor does someone whose last
workspace is gone; ``workspace_required`` shows them this page instead of a bare 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


def no_workspace(request: HttpRequest) -> HttpResponse:
    """What a signed-in account with no workspace sees instead of a product page (the
    superuser made with ``createsuperuser``, or someone whose last workspace is gone)."""
    return render(
        request,
        "errors/no_workspace.html",
        {"admin_url": "/" + settings.ADMIN_URL if request.user.is_staff else ""},
    )


@login_required
@require_POST
def create_own_workspace(request: HttpRequest) -> HttpResponse:
    """Give a signed-in account with no workspace one of its own, owned by it."""
    from accounts.adapter import create_workspace_for
    from accounts.models import Membership

    if Membership.objects.filter(user=request.user).exists():
        return redirect("dashboard")
    workspace = create_workspace_for(request.user)
    messages.success(
        request, f"Created the workspace “{workspace.name}”. Connect both accounts to start."
    )
    return redirect("dashboard")
