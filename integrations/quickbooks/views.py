"""Connecting QuickBooks: Intuit's OAuth flow, the company-switch confirmation, disconnect.

Connections belong to ``request.workspace`` (one per workspace), so no URL carries an id. State-
changing requests are POSTs with CSRF; disconnecting asks for confirmation first.
"""

from __future__ import annotations

import logging
import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import owner_required
from integrations.connect_views import STATE_PROBLEM, confirm_disconnect
from integrations.errors import IntegrationError
from integrations.quickbooks import connection
from integrations.quickbooks import oauth as qbo_oauth

logger = logging.getLogger(__name__)

REALM_ID = re.compile(r"^[A-Za-z0-9-]{1,32}$")


@owner_required
@require_POST
def qbo_connect(request: HttpRequest) -> HttpResponse:
    """Start Intuit's OAuth flow (also the one-click Reconnect)."""
    try:
        url = qbo_oauth.start_authorization(request.session)
    except IntegrationError as exc:
        messages.error(request, f"{exc.message} Please try again in a moment.")
        return redirect("integrations:index")
    return HttpResponseRedirect(url)


@owner_required
@require_GET
def qbo_callback(request: HttpRequest) -> HttpResponse:
    """Where Intuit sends the user back: check state, exchange the code, confirm the realm, store.

    Nothing is stored until CompanyInfo of the callback's ``realmId``, read with the new token,
    shows that the token really is for that company.
    """
    params = request.GET
    if not qbo_oauth.check_state(request.session, params.get("state")):
        messages.error(request, STATE_PROBLEM.format(system="QuickBooks"))
        return redirect("integrations:index")
    error = params.get("error")
    if error:
        if error == "access_denied":
            messages.warning(request, "Connecting QuickBooks was cancelled; nothing was connected.")
        else:
            messages.error(request, f"QuickBooks did not connect ({error[:60]}). Please try again.")
        return redirect("integrations:index")
    code, realm_id = params.get("code", ""), params.get("realmId", "")
    if not code or not REALM_ID.match(realm_id):
        messages.error(request, "QuickBooks sent back an incomplete answer. Please try again.")
        return redirect("integrations:index")
    try:
        grant = qbo_oauth.exchange_code(code, realm_id)
    except qbo_oauth.CodeRejected:
        messages.error(
            request,
            "QuickBooks did not accept the authorization (it expired or was already used). "
            "Nothing was connected; please connect again.",
        )
        return redirect("integrations:index")
    except IntegrationError as exc:
        messages.error(request, f"{exc.message} Please try again.")
        return redirect("integrations:index")
    try:
        company_name = qbo_oauth.confirm_realm(grant)
    except qbo_oauth.RealmNotConfirmed:
        logger.warning("QBO callback: the new token is not for realm %s; nothing stored", realm_id)
        qbo_oauth.revoke(grant.refresh_token)
        messages.error(
            request,
            "QuickBooks did not confirm that this authorization is for the company named in its "
            "answer, so nothing was connected. Please connect again.",
        )
        return redirect("integrations:index")
    except IntegrationError as exc:
        logger.warning("QBO callback: could not confirm realm %s: %s", realm_id, type(exc).__name__)
        qbo_oauth.revoke(grant.refresh_token)
        messages.error(
            request,
            f"{exc.message} LedgerLink could not confirm the QuickBooks company, so nothing was "
            "connected. Please try again.",
        )
        return redirect("integrations:index")
    outcome = connection.store_qbo_grant(request.workspace, request.user, grant, company_name)
    if outcome == "confirm":
        return redirect("integrations:qbo_confirm_company")
    messages.success(request, f"Connected to QuickBooks company {company_name or realm_id}.")
    return redirect("integrations:index")


@owner_required
@require_http_methods(["GET", "POST"])
def qbo_confirm_company(request: HttpRequest) -> HttpResponse:
    """A different company was authorised: switch only when the user confirms."""
    pending = connection.qbo_connection(request.workspace)
    if pending is None or not pending.has_pending_company:
        messages.info(request, "There is no QuickBooks company waiting for confirmation.")
        return redirect("integrations:index")
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            switched = connection.confirm_company_change(request.workspace, request.user)
            messages.success(
                request,
                f"Switched to QuickBooks company {switched.company_name or switched.realm_id}. "
                "Earlier sync links were for the previous company and will be rebuilt.",
            )
        else:
            connection.cancel_company_change(request.workspace)
            messages.info(request, "Kept the current QuickBooks company; nothing was changed.")
        return redirect("integrations:index")
    return render(request, "integrations/confirm_company.html", {"connection": pending})


@owner_required
@require_http_methods(["GET", "POST"])
def qbo_disconnect(request: HttpRequest) -> HttpResponse:
    current = connection.qbo_connection(request.workspace)
    return confirm_disconnect(
        request,
        system="QuickBooks",
        what=current.company_name if current else "",
        action=reverse("integrations:qbo_disconnect"),
        consequence="LedgerLink's access is revoked at Intuit and its tokens are deleted. "
        "Sync stops until you connect again; the links already made are kept.",
        disconnect=connection.disconnect_qbo,
        done="QuickBooks was disconnected and its access revoked.",
    )
