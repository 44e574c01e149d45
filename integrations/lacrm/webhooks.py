"""Less Annoying CRM's ``Contact.Create`` webhook: registering it, its handshake, its deliveries.

Registering (``register_webhook``): we commit a ``LacrmWebhook`` row with a fresh unguessable
route token, then call ``CreateWebhook`` with ``<SITE_URL>/integrations/lacrm/webhooks/<token>/``.
While that call is open LACRM POSTs a handshake carrying ``X-Hook-Secret``; the endpoint echoes
it in the response header and stores it encrypted. A handshake is accepted only while our own
registration is in progress (a two-minute window) and only once, so someone who learns the URL
cannot swap in a secret of their own.

Deliveries carry ``X-Hook-Signature``: HMAC-SHA256 of the raw body keyed with that secret. LACRM's
page says HMAC-SHA256 but not the encoding; its example is PHP, whose ``hash_hmac`` gives lower-
case hex, so hex is what we expect (any case), and base64 of the same digest is accepted too.
Both are compared in constant time. Unsigned or forged → 401 and nothing recorded. Each contact
id is taken once (``LacrmWebhookDelivery``), so retries and replays change nothing. The view
only records and delivers (``integrations.changes``); the sync app's intake enqueues the work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.scoping import scope, scopes_disabled
from integrations import changes
from integrations.connections import webhook_verified
from integrations.errors import IntegrationError
from integrations.lacrm.models import LacrmWebhook, LacrmWebhookDelivery, new_route_token
from integrations.records import LACRM

logger = logging.getLogger(__name__)

EVENT = "Contact.Create"
SOURCE = "lacrm_webhook"
HANDSHAKE_WINDOW = timedelta(minutes=2)
MAX_SECRET_LENGTH = 500


def event_id(contact_id: str) -> str:
    """The one event id of a contact's creation (the edit poll uses it too, so they dedupe)."""
    return f"lacrm:{EVENT}:{contact_id}"


def webhook_of(workspace) -> LacrmWebhook | None:
    return LacrmWebhook.objects.for_workspace(workspace).first()


def endpoint_url(token: str, base_url: str | None = None) -> str:
    base = (base_url or settings.SITE_URL).rstrip("/")
    return base + reverse("integrations:lacrm_webhook", args=[token])


# --- signatures -------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """The signature LACRM sends: lower-case hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, signature: str) -> bool:
    """True when ``signature`` is the body's HMAC-SHA256 under ``secret`` (hex or base64)."""
    if not secret or not signature:
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    given = signature.strip()
    as_hex = hmac.compare_digest(given.lower().encode(), digest.hex().encode())
    as_base64 = hmac.compare_digest(given.encode(), base64.b64encode(digest))
    return as_hex or as_base64


# --- the endpoint -----------------------------------------------------------------------------


@csrf_exempt
@require_POST
def receive(request: HttpRequest, token: str) -> HttpResponse:
    """``POST /integrations/lacrm/webhooks/<token>/``: a handshake or a signed delivery."""
    with scopes_disabled():
        hook = LacrmWebhook.objects.filter(token=token).select_related("workspace").first()
    if hook is None or hook.state in (LacrmWebhook.State.REMOVED, LacrmWebhook.State.FAILED):
        return JsonResponse({"error": "Unknown webhook."}, status=404)
    secret = request.headers.get("X-Hook-Secret")
    if secret is not None:
        return _handshake(hook, secret)
    body = request.body
    if not signature_ok(hook.secret, body, request.headers.get("X-Hook-Signature", "")):
        with scopes_disabled():
            LacrmWebhook.objects.filter(pk=hook.pk).update(
                rejected_deliveries=F("rejected_deliveries") + 1, last_rejected_at=timezone.now()
            )
        logger.warning(
            "Workspace %s: LACRM webhook delivery without a valid signature", hook.workspace_id
        )
        return JsonResponse({"error": "Missing or invalid X-Hook-Signature."}, status=401)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "The body is not JSON."}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "The body is not a JSON object."}, status=400)
    with scope(workspace=hook.workspace_id):
        continuous = changes.is_continuous(hook.workspace)
    if not continuous:
        # Keep in step is manual/hourly/daily now: the next sync finds the contact anyway.
        return JsonResponse({"received": 0, "ignored": "Continuous sync is off."})
    return JsonResponse({"received": _take(hook, payload)})


def _handshake(hook: LacrmWebhook, secret: str) -> HttpResponse:
    """Echo ``X-Hook-Secret`` and keep it, if we are waiting for exactly this handshake."""
    now = timezone.now()
    if not secret or len(secret) > MAX_SECRET_LENGTH or not secret.isascii():
        return JsonResponse({"error": "Invalid X-Hook-Secret."}, status=400)
    with transaction.atomic(), scopes_disabled():
        locked = LacrmWebhook.objects.select_for_update().get(pk=hook.pk)
        expecting = (
            locked.state == LacrmWebhook.State.PENDING
            and not locked.secret
            and locked.handshake_open_until is not None
            and locked.handshake_open_until > now
        )
        if not expecting:
            logger.warning(
                "Workspace %s: unexpected LACRM webhook handshake refused", hook.workspace_id
            )
            return JsonResponse({"error": "No webhook registration is in progress."}, status=403)
        locked.secret = secret
        locked.handshake_at = now
        locked.save(update_fields=["secret", "handshake_at", "updated_at"])
    logger.info("Workspace %s: LACRM webhook handshake done", hook.workspace_id)
    response = JsonResponse({"ok": True})
    response["X-Hook-Secret"] = secret
    return response


def _contact_ids(payload: dict) -> list[str]:
    contacts = payload.get("Contacts")
    if isinstance(contacts, dict):
        contacts = [contacts]
    if not isinstance(contacts, list):
        return []
    ids = []
    for contact in contacts:
        contact_id = contact.get("ContactId") if isinstance(contact, dict) else None
        if contact_id not in (None, "") and str(contact_id).isdigit():
            ids.append(str(contact_id))
    return ids


def _take(hook: LacrmWebhook, payload: dict) -> int:
    """Record the delivery's new contacts once each and deliver them; returns how many."""
    event = str(payload.get("TriggeringEvent") or EVENT)
    now = timezone.now()
    fresh: list[str] = []
    # One transaction: if the intake fails, nothing is marked as received and the 500 makes
    # LACRM deliver again later.
    with transaction.atomic(), scope(workspace=hook.workspace_id):
        webhook_verified.send(sender=LacrmWebhook, workspace=hook.workspace, system=LACRM, at=now)
        if event == EVENT:
            for contact_id in _contact_ids(payload):
                try:
                    with transaction.atomic():
                        LacrmWebhookDelivery.objects.create(
                            webhook=hook,
                            workspace_id=hook.workspace_id,
                            key=event_id(contact_id),
                            event=event,
                            contact_ids=[contact_id],
                        )
                except IntegrityError:
                    continue  # A retry or a replay: this contact was taken already.
                fresh.append(contact_id)
        LacrmWebhook.objects.filter(pk=hook.pk).update(
            last_delivery_at=now, deliveries=F("deliveries") + 1
        )
        if fresh:
            _publish(hook, fresh, now)
    return len(fresh)


def _publish(hook: LacrmWebhook, fresh: list[str], now) -> None:
    changes.deliver(
        hook.workspace,
        LACRM,
        [
            changes.Change(
                record_id=contact_id,
                kind=changes.CREATED,
                occurred_at=now,
                event_id=event_id(contact_id),
            )
            for contact_id in fresh
        ],
        SOURCE,
    )


# --- registering ------------------------------------------------------------------------------


def register_webhook(workspace, *, base_url: str | None = None) -> LacrmWebhook:
    """Create (or re-create) the workspace's ``Contact.Create`` webhook at LACRM.

    Must run outside a transaction: the handshake is another request that has to see the
    committed row. A webhook registered before is deleted at LACRM first (webhooks cannot be
    edited). Never raises for LACRM's answers: the row's state and ``problem`` tell the outcome.
    """
    from integrations.lacrm.connection import lacrm_client

    client = lacrm_client(workspace)
    hook, _ = LacrmWebhook.objects.for_workspace(workspace).get_or_create(workspace=workspace)
    if hook.webhook_id:
        _delete_at_lacrm(client, hook)
    _delete_orphans(client, base_url)
    hook.token = new_route_token()
    hook.state = LacrmWebhook.State.PENDING
    hook.secret = ""
    hook.webhook_id = ""
    hook.problem = ""
    hook.removed_by_user = False
    hook.handshake_at = None
    hook.registered_at = None
    hook.endpoint_url = endpoint_url(hook.token, base_url)
    hook.handshake_open_until = timezone.now() + HANDSHAKE_WINDOW
    hook.save()
    try:
        webhook_id = client.create_webhook(hook.endpoint_url, scope=hook.scope, events=[EVENT])
    except IntegrationError as exc:
        return _failed(hook, f"Less Annoying CRM did not register the webhook: {exc.message}")
    hook.refresh_from_db()
    hook.webhook_id = webhook_id
    hook.handshake_open_until = None
    if not hook.secret:
        _delete_at_lacrm(client, hook)
        return _failed(hook, "Less Annoying CRM's handshake never reached LedgerLink.")
    hook.state = LacrmWebhook.State.ACTIVE
    hook.registered_at = timezone.now()
    hook.save()
    logger.info("Workspace %s: LACRM webhook %s registered", workspace.pk, webhook_id)
    return hook


def remove_webhook(workspace, *, by_user: bool = False) -> bool:
    """Delete the workspace's webhook at LACRM (best effort) and forget its secret.

    ``by_user``: removed with the card's button, so continuous mode leaves it removed.
    """
    hook = webhook_of(workspace)
    if hook is None or hook.state == LacrmWebhook.State.REMOVED:
        return False
    if hook.webhook_id:
        try:
            from integrations.lacrm.connection import lacrm_client

            _delete_at_lacrm(lacrm_client(workspace), hook)
        except IntegrationError as exc:
            logger.info("Workspace %s: LACRM webhook not deleted: %s", workspace.pk, exc.message)
    hook.state = LacrmWebhook.State.REMOVED
    hook.removed_by_user = by_user
    hook.secret = ""
    hook.webhook_id = ""
    hook.handshake_open_until = None
    hook.problem = ""
    hook.save()
    return True


RETRY_FAILED_AFTER = timedelta(hours=1)


def ensure_webhook(workspace) -> LacrmWebhook | None:
    """In continuous mode, register the webhook unless it is registered, was removed by the
    user, or failed less than an hour ago; returns the webhook when it tried."""
    if not changes.is_continuous(workspace):
        return None
    hook = webhook_of(workspace)
    if hook is not None:
        if hook.is_active or hook.removed_by_user:
            return None
        if (
            hook.state == LacrmWebhook.State.PENDING
            and hook.handshake_open_until
            and (hook.handshake_open_until > timezone.now())
        ):
            return None  # A registration is under way.
        if hook.state == LacrmWebhook.State.FAILED and (
            timezone.now() - hook.updated_at < RETRY_FAILED_AFTER
        ):
            return None
    return register_webhook(workspace)


def _delete_orphans(client, base_url: str | None) -> None:
    """Delete webhooks of ours at LACRM that no row knows (a registration interrupted after
    CreateWebhook): their token routes nowhere, so LACRM would retry them for nothing."""
    # Our webhook URLs all start like this (the token is the last segment).
    prefix = endpoint_url("x", base_url).rsplit("/x/", 1)[0] + "/"
    try:
        for remote in client.get_webhooks():
            url = str(remote.get("EndpointUrl") or "")
            if url.startswith(prefix) and remote.get("WebhookId"):
                client.delete_webhook(str(remote["WebhookId"]))
                logger.info("Deleted an orphaned LACRM webhook %s", remote["WebhookId"])
    except IntegrationError as exc:
        logger.info("LACRM webhooks not listed: %s", exc.message)


def _delete_at_lacrm(client, hook: LacrmWebhook) -> None:
    try:
        client.delete_webhook(hook.webhook_id)
    except IntegrationError as exc:
        # Already gone at LACRM (deleted there by hand) or not reachable: ours is replaced anyway.
        logger.info("LACRM webhook %s not deleted: %s", hook.webhook_id, exc.message)


def _failed(hook: LacrmWebhook, problem: str) -> LacrmWebhook:
    hook.state = LacrmWebhook.State.FAILED
    hook.problem = problem[:300]
    hook.secret = ""
    hook.handshake_open_until = None
    hook.save()
    logger.info("Workspace %s: LACRM webhook registration failed", hook.workspace_id)
    return hook


def dashboard_line(workspace) -> str:
    """The dashboard's "LACRM webhook" line (``integrations.changes.register_status``)."""
    hook = webhook_of(workspace)
    if hook is None or hook.state == LacrmWebhook.State.REMOVED:
        return "not registered (the LACRM card on the connections page registers it)"
    if hook.state == LacrmWebhook.State.FAILED:
        return f"not registered: {hook.problem}"
    if hook.state == LacrmWebhook.State.PENDING:
        return "waiting for LACRM's handshake"
    when = timezone.localtime(hook.handshake_at).strftime("%b %-d, %H:%M")
    if hook.last_delivery_at is None:
        return f"registered, handshake done {when}; no delivery yet"
    last = timezone.localtime(hook.last_delivery_at).strftime("%b %-d, %H:%M")
    return f"registered, handshake done {when}; last delivery {last} ({hook.deliveries} in all)"


def webhook_status(workspace) -> dict:
    """What the connection card shows of the webhook."""
    hook = webhook_of(workspace)
    if hook is None:
        return {"state": "", "label": "Not registered"}
    return {
        "state": hook.state,
        "label": hook.get_state_display(),
        "handshake_at": hook.handshake_at,
        "registered_at": hook.registered_at,
        "last_delivery_at": hook.last_delivery_at,
        "deliveries": hook.deliveries,
        "rejected": hook.rejected_deliveries,
        "problem": hook.problem,
    }
