"""The connections page: one card per registered provider (each provider renders its own)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from accounts.scoping import workspace_required
from integrations import registry


@workspace_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    status = registry.connection_status(workspace)
    cards = [
        render_to_string(
            p.card_template,
            {**p.card_context(workspace), "s": status[p.key]},
            request=request,
        )
        for p in registry.providers()
    ]
    roles = {p.role: p.name for p in registry.providers()}
    return render(request, "integrations/index.html", {"cards": cards, "roles": roles})
