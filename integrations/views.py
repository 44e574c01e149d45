"""The integrations page: connect, reconnect and disconnect QuickBooks and Less Annoying CRM.

Connections belong to ``request.workspace`` (one of each per workspace), so no URL carries an id
and an outsider can only ever reach their own workspace's connections. State-changing requests
are POSTs with CSRF; disconnecting asks for confirmation first.
"""

from __future__ import annotations

import logging
import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scoping import workspace_required
from integrations import services
from integrations.errors import IntegrationError
from integrations.forms import LacrmApiKeyForm
from integrations.lacrm import oauth as lacrm_oauth
from integrations.quickbooks import oauth as qbo_oauth

logger = logging.getLogger(__name__)

REALM_ID = re.compile(r"^[A-Za-z0-9-]{1,32}$")
STATE_PROBLEM = (
    "The {system} connection could not be verified: the sign-in link was expired, already used "
    "or not started from this page. Nothing was connected; please try again."
)


def _sandbox_keys_url() -> str:
    from django.conf import settings

    if not settings.SANDBOX_ENABLED:
        return ""
    try:
        return reverse("sandbox_lacrm:keys")
    except NoReverseMatch:
        return ""


@workspace_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = {
        "status": services.connection_status(workspace),
        "qbo": services.qbo_connection(workspace),
        "lacrm": services.lacrm_connection(workspace),
        "lacrm_oauth_enabled": lacrm_oauth.oauth_enabled(),
        "sandbox_keys_url": _sandbox_keys_url(),
    }
    return render(request, "integrations/index.html", context)


# --- QuickBooks ---------------------------------------------------------------------------------


@workspace_required
@require_POST
def qbo_connect(request: HttpRequest) -> HttpResponse:
    """Start Intuit's OAuth flow (also the one-click Reconnect)."""
    try:
        url = qbo_oauth.start_authorization(request.session)
    except IntegrationError as exc:
        messages.error(request, f"{exc.message} Please try again in a moment.")
        return redirect("integrations:index")
    return HttpResponseRedirect(url)


@workspace_required
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
    outcome = services.store_qbo_grant(request.workspace, request.user, grant, company_name)
    if outcome == "confirm":
        return redirect("integrations:qbo_confirm_company")
    messages.success(request, f"Connected to QuickBooks company {company_name or realm_id}.")
    return redirect("integrations:index")


@workspace_required
@require_http_methods(["GET", "POST"])
def qbo_confirm_company(request: HttpRequest) -> HttpResponse:
    """A different company was authorised: switch only when the user confirms."""
    connection = services.qbo_connection(request.workspace)
    if connection is None or not connection.has_pending_company:
        messages.info(request, "There is no QuickBooks company waiting for confirmation.")
        return redirect("integrations:index")
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            connection = services.confirm_company_change(request.workspace, request.user)
            messages.success(
                request,
                f"Switched to QuickBooks company {connection.company_name or connection.realm_id}. "
                "Earlier sync links were for the previous company and will be rebuilt.",
            )
        else:
            services.cancel_company_change(request.workspace)
            messages.info(request, "Kept the current QuickBooks company; nothing was changed.")
        return redirect("integrations:index")
    return render(request, "integrations/confirm_company.html", {"connection": connection})


@workspace_required
@require_http_methods(["GET", "POST"])
def qbo_disconnect(request: HttpRequest) -> HttpResponse:
    connection = services.qbo_connection(request.workspace)
    if request.method == "POST":
        if services.disconnect_qbo(request.workspace):
            messages.success(request, "QuickBooks was disconnected and its access revoked.")
        return redirect("integrations:index")
    return render(
        request,
        "integrations/confirm_disconnect.html",
        {
            "system": "QuickBooks",
            "what": connection.company_name if connection else "",
            "action": reverse("integrations:qbo_disconnect"),
            "consequence": "LedgerLink's access is revoked at Intuit and its tokens are deleted. "
            "Sync stops until you connect again; the links already made are kept.",
        },
    )


# --- Less Annoying CRM --------------------------------------------------------------------------


@workspace_required
@require_http_methods(["GET", "POST"])
def lacrm_connect(request: HttpRequest) -> HttpResponse:
    """Paste an API key; it is checked with LACRM before anything is stored."""
    form = LacrmApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        connection = services.connect_lacrm_api_key(
            request.workspace,
            request.user,
            form.cleaned_data["api_key"],
            user_info=form.user_info,
        )
        messages.success(request, f"Connected to Less Annoying CRM as {connection.label}.")
        return redirect("integrations:index")
    context = {
        "form": form,
        "sandbox_keys_url": _sandbox_keys_url(),
        "lacrm_oauth_enabled": lacrm_oauth.oauth_enabled(),
    }
    return render(request, "integrations/lacrm_connect.html", context)


@workspace_required
@require_POST
def lacrm_oauth_start(request: HttpRequest) -> HttpResponse:
    if not lacrm_oauth.oauth_enabled():
        messages.error(request, "Connecting with Less Annoying CRM sign-in is not set up here.")
        return redirect("integrations:lacrm_connect")
    return HttpResponseRedirect(lacrm_oauth.start_authorization(request.session))


@workspace_required
@require_GET
def lacrm_oauth_callback(request: HttpRequest) -> HttpResponse:
    params = request.GET
    if not lacrm_oauth.check_state(request.session, params.get("state")):
        messages.error(request, STATE_PROBLEM.format(system="Less Annoying CRM"))
        return redirect("integrations:index")
    if params.get("error"):
        messages.warning(
            request, "Connecting Less Annoying CRM was cancelled; nothing was connected."
        )
        return redirect("integrations:index")
    try:
        tokens = lacrm_oauth.exchange_code(params.get("code", ""))
        connection = services.connect_lacrm_oauth(request.workspace, request.user, tokens)
    except lacrm_oauth.GrantRejected:
        messages.error(
            request,
            "Less Annoying CRM did not accept the authorization (it expired or was already "
            "used). Nothing was connected; please connect again.",
        )
        return redirect("integrations:index")
    except IntegrationError as exc:
        messages.error(request, f"{exc.message} Please try again.")
        return redirect("integrations:index")
    messages.success(request, f"Connected to Less Annoying CRM as {connection.label}.")
    return redirect("integrations:index")


@workspace_required
@require_http_methods(["GET", "POST"])
def lacrm_disconnect(request: HttpRequest) -> HttpResponse:
    connection = services.lacrm_connection(request.workspace)
    if request.method == "POST":
        if services.disconnect_lacrm(request.workspace):
            messages.success(request, "Less Annoying CRM was disconnected; its key was deleted.")
        return redirect("integrations:index")
    return render(
        request,
        "integrations/confirm_disconnect.html",
        {
            "system": "Less Annoying CRM",
            "what": connection.label if connection else "",
            "action": reverse("integrations:lacrm_disconnect"),
            "consequence": "The stored API key or tokens are deleted from LedgerLink. Sync stops "
            "until you connect again; the links already made are kept. (To disable the key "
            "itself, delete it in LACRM under Settings → Programmer API.)",
        },
    )
