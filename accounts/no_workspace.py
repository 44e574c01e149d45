"""The page a signed-in account with no workspace lands on, and (its "create a workspace" action is
``accounts.views.create_own_workspace``: this module is imported by ``accounts.scoping``, which
the models import, so it imports no model).

The superuser made with ``createsuperuser`` has no workspace, nor does someone whose last
workspace is gone; ``workspace_required`` shows them this page instead of a bare 404.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def no_workspace(request: HttpRequest) -> HttpResponse:
    """What a signed-in account with no workspace sees instead of a product page (the
    superuser made with ``createsuperuser``, or someone whose last workspace is gone)."""
    return render(
        request,
        "errors/no_workspace.html",
        {"admin_url": "/" + settings.ADMIN_URL if request.user.is_staff else ""},
    )
