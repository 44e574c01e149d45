"""The sandbox LACRM's "Programmer API" page: create the workspace's demo CRM and get its key.

Like LACRM's Settings → Programmer API, a key is shown once, right after it is made; only its hash
is stored, so a lost key is replaced, never shown again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.roles import owner_required
from integrations.sandbox.lacrm import store

logger = logging.getLogger(__name__)


@owner_required(methods=("POST",))
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest) -> HttpResponse:
    """Show the workspace's sandbox account; POST creates it or generates a new key."""
    account = store.account_for_workspace(request.workspace)
    new_key = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create" and account is None:
            account, new_key = store.create_account(workspace=request.workspace, seed_demo=True)
        elif action == "regenerate" and account is not None:
            new_key = store.regenerate_key(account)
        else:
            raise Http404("Nothing to do.")
    context = {
        "account": account,
        "new_key": new_key,
        "api_url": settings.LACRM_API_URL,
        "contact_count": account.contacts.count() if account else 0,
    }
    response = render(request, "sandbox_lacrm/keys.html", context)
    # The page may carry a secret: never cache it.
    response["Cache-Control"] = "no-store"
    return response
