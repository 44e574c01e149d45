"""The dashboard: connections, the two actions, progress and runtime logs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.scoping import workspace_required


@workspace_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "sync/dashboard.html")
