"""Connecting Less Annoying CRM: an API key (checked before it is kept), partner OAuth."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import owner_required
from integrations import changes
from integrations.connect_views import STATE_PROBLEM, confirm_disconnect
from integrations.errors import IntegrationError
from integrations.lacrm import connection, polling, webhooks
from integrations.lacrm import oauth as lacrm_oauth
from integrations.lacrm.forms import LacrmApiKeyForm

logger = logging.getLogger(__name__)


def sandbox_keys_url() -> str:
    from django.conf import settings

    if not settings.SANDBOX_ENABLED:
        return ""
    try:
        return reverse("sandbox_lacrm:keys")
    except NoReverseMatch:
        return ""


def card_context(workspace) -> dict:
    """What the connections page's LACRM card needs besides the status."""
    cursor = polling.LacrmEditCursor.objects.for_workspace(workspace).first()
    return {
        "lacrm_oauth_enabled": lacrm_oauth.oauth_enabled(),
        "sandbox_keys_url": sandbox_keys_url(),
        "lacrm_webhook": webhooks.webhook_status(workspace),
        "lacrm_poll": cursor,
        "lacrm_poll_choices": POLL_CHOICES,
        "lacrm_continuous": changes.is_continuous(workspace),
    }


POLL_CHOICES = (15, 30, 60)


def _register_if_continuous(request: HttpRequest) -> None:
    """A connection just made: in continuous mode, register the webhook now."""
    hook = webhooks.ensure_webhook(request.workspace)
    if hook is None:
        return
    if hook.is_active:
        messages.info(request, "New Less Annoying CRM contacts now reach LedgerLink by webhook.")
    else:
        messages.warning(request, f"{hook.problem} The edit check still finds new contacts.")


@owner_required
@require_POST
def lacrm_webhook_action(request: HttpRequest) -> HttpResponse:
    """The card's webhook buttons: register (or re-register), remove, and the poll interval."""
    action = request.POST.get("action")
    workspace = request.workspace
    if connection.lacrm_connection(workspace) is None or not (
        connection.lacrm_connection(workspace).is_connected
    ):
        messages.error(request, "Connect Less Annoying CRM first.")
        return redirect("integrations:index")
    if action == "register":
        hook = webhooks.register_webhook(workspace)
        if hook.is_active:
            messages.success(request, "The Less Annoying CRM webhook is registered.")
        else:
            messages.error(request, hook.problem or "The webhook could not be registered.")
    elif action == "remove":
        if webhooks.remove_webhook(workspace, by_user=True):
            messages.success(
                request, "The webhook was removed; new contacts arrive with the next poll or sync."
            )
    elif action == "interval":
        try:
            minutes = int(request.POST.get("minutes", ""))
        except ValueError:
            minutes = 0
        if minutes not in POLL_CHOICES:
            messages.error(request, "Choose one of the offered intervals.")
        else:
            cursor = polling.cursor_of(workspace)
            cursor.interval_minutes = minutes
            cursor.save(update_fields=["interval_minutes"])
            messages.success(
                request, f"Edits in Less Annoying CRM are checked every {minutes} minutes."
            )
    else:
        messages.error(request, "Unknown action.")
    return redirect("integrations:index")


@owner_required
@require_http_methods(["GET", "POST"])
def lacrm_connect(request: HttpRequest) -> HttpResponse:
    """Paste an API key; it is checked with LACRM before anything is stored."""
    form = LacrmApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        connected = connection.connect_lacrm_api_key(
            request.workspace,
            request.user,
            form.cleaned_data["api_key"],
            user_info=form.user_info,
        )
        messages.success(request, f"Connected to Less Annoying CRM as {connected.label}.")
        _register_if_continuous(request)
        return redirect("integrations:index")
    context = {
        "form": form,
        "sandbox_keys_url": sandbox_keys_url(),
        "lacrm_oauth_enabled": lacrm_oauth.oauth_enabled(),
    }
    return render(request, "integrations/lacrm_connect.html", context)


@owner_required
@require_POST
def lacrm_oauth_start(request: HttpRequest) -> HttpResponse:
    if not lacrm_oauth.oauth_enabled():
        messages.error(request, "Connecting with Less Annoying CRM sign-in is not set up here.")
        return redirect("integrations:lacrm_connect")
    return HttpResponseRedirect(lacrm_oauth.start_authorization(request.session))


@owner_required
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
        connected = connection.connect_lacrm_oauth(request.workspace, request.user, tokens)
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
    messages.success(request, f"Connected to Less Annoying CRM as {connected.label}.")
    _register_if_continuous(request)
    return redirect("integrations:index")


def _webhook_note(workspace) -> str:
    hook = webhooks.webhook_of(workspace)
    if hook is None or not hook.webhook_id:
        return ""
    return "The webhook LedgerLink registered in Less Annoying CRM is deleted there first. "


def _disconnect(workspace) -> bool:
    """Delete the webhook at LACRM while the key still works (best effort), then the key."""
    webhooks.remove_webhook(workspace)
    return connection.disconnect_lacrm(workspace)


@owner_required
@require_http_methods(["GET", "POST"])
def lacrm_disconnect(request: HttpRequest) -> HttpResponse:
    current = connection.lacrm_connection(request.workspace)
    return confirm_disconnect(
        request,
        system="Less Annoying CRM",
        what=current.label if current else "",
        action=reverse("integrations:lacrm_disconnect"),
        consequence=_webhook_note(request.workspace)
        + "The stored API key or tokens are deleted from LedgerLink. Sync stops "
        "until you connect again; the links already made are kept. (To disable the key "
        "itself, delete it in LACRM under Settings → Programmer API.)",
        disconnect=_disconnect,
        done="Less Annoying CRM was disconnected; its key was deleted.",
    )
