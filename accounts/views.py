"""Home, health check and workspace settings."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.adapter import create_workspace_for
from accounts.forms import WorkspaceForm
from accounts.models import Membership
from accounts.roles import owner_required
from accounts.scoping import get_own_workspace

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """Signed-in users go to their dashboard; everyone else sees the landing page."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        logger.warning("healthz: database unreachable: %s", type(exc).__name__)
        return "down"


def _check_redis() -> str:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        logger.warning("healthz: redis unreachable: %s", type(exc).__name__)
        return "down"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database and Redis reachability: 200 when both answer, 503 otherwise."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


@owner_required(methods=("POST",))
def workspace_settings(request: HttpRequest, workspace_id) -> HttpResponse:
    """See the workspace and its members; owners rename it."""
    workspace = get_own_workspace(request, workspace_id)
    form = WorkspaceForm(request.POST or None, instance=workspace)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Workspace renamed.")
        return redirect("workspace_settings", workspace_id=workspace.id)
    memberships = workspace.memberships.select_related("user").order_by("created_at")
    return render(
        request,
        "accounts/workspace_settings.html",
        {"workspace": workspace, "form": form, "memberships": memberships},
    )


@login_required
@require_POST
def create_own_workspace(request: HttpRequest) -> HttpResponse:
    """Give a signed-in account with no workspace one of its own, owned by it."""
    if Membership.objects.filter(user=request.user).exists():
        return redirect("dashboard")
    workspace = create_workspace_for(request.user)
    messages.success(
        request, f"Created the workspace “{workspace.name}”. Connect both accounts to start."
    )
    return redirect("dashboard")
