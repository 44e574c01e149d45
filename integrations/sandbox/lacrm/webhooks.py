"""The sandbox LACRM's webhooks: CreateWebhook (with the handshake), GetWebhooks, DeleteWebhook,
and signed ``Contact.Create`` deliveries retried with back-off.

Like LACRM: CreateWebhook POSTs to the endpoint with ``X-Hook-Secret`` and fails unless the
answer echoes it; every delivery carries ``X-Hook-Signature``, the lower-case hex HMAC-SHA256 of
the body keyed with that secret; any status below 300 is success, anything else is retried.
The real schedule is not published; this one is ``BACKOFF`` (seconds after each failed try).

Deliveries are rows (``SandboxLacrmDelivery``) sent by ``deliver_due(now)``: after a contact is
created the Celery task ``sandbox.lacrm.deliver_webhooks`` runs it at once, and a failed try
schedules the task again for the next retry. Tests call ``deliver_due`` with a ``now`` of their
choosing to drive retries without waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import redis
import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.sandbox.lacrm import writes
from integrations.sandbox.lacrm.contacts import COLUMNS, serialize
from integrations.sandbox.lacrm.fields import ApiError
from integrations.sandbox.lacrm.models import (
    SandboxLacrmAccount,
    SandboxLacrmContact,
    SandboxLacrmDelivery,
    SandboxLacrmWebhook,
    random_token,
)

logger = logging.getLogger(__name__)

EVENTS = {
    "Contact.Create",
    "Event.Create",
    "Event.Update",
    "Event.Delete",
    "GroupMembership.Create",
    "PipelineItemStatus.Create",
    "PipelineItemStatus.Update",
}
SCOPES = {"User", "Account"}
# Seconds to wait after the 1st, 2nd, … failed try; after the last one the sandbox gives up.
BACKOFF = (10, 60, 300, 1800, 7200, 21600)
TIMEOUT = (5.0, 10.0)
DELIVER_TASK = "sandbox.lacrm.deliver_webhooks"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
RETRY_MARKER = "sandbox:lacrm:webhook-retry-scheduled"


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _check_url(value: Any) -> str:
    """HTTPS, like LACRM; plain HTTP only to this machine or in development (DEBUG)."""
    if not isinstance(value, str) or not value:
        raise ApiError('Missing required parameter "EndpointUrl".')
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname and (parts.hostname in LOOPBACK or settings.DEBUG):
        return value
    raise ApiError('"EndpointUrl" must be an HTTPS URL.')


def _check_events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ApiError('"Events" must be a non-empty list of event names.')
    unknown = [e for e in value if e not in EVENTS]
    if unknown:
        raise ApiError(f'Unknown event "{unknown[0]}".')
    return list(dict.fromkeys(value))


def _handshake(url: str, secret: str) -> None:
    try:
        response = requests.post(
            url,
            data=b"{}",
            headers={"X-Hook-Secret": secret, "Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
    except requests.RequestException:
        raise ApiError("The webhook endpoint could not be reached for the handshake.") from None
    if response.status_code >= 300 or response.headers.get("X-Hook-Secret") != secret:
        raise ApiError(
            "The webhook endpoint did not complete the handshake "
            f"(HTTP {response.status_code}; it must echo the X-Hook-Secret header)."
        )


def create_webhook(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """CreateWebhook: handshake with the endpoint, then ``{"WebhookId": uid}``."""
    url = _check_url(params.get("EndpointUrl"))
    scope = params.get("WebhookScope")
    if scope not in SCOPES:
        raise ApiError('"WebhookScope" must be "User" or "Account".')
    events = _check_events(params.get("Events"))
    secret = random_token(48)
    _handshake(url, secret)
    hook = SandboxLacrmWebhook.objects.create(
        account=account, endpoint_url=url, scope=scope, events=events, secret=secret
    )
    logger.info("Sandbox LACRM %s registered webhook %s", account.uid, hook.uid)
    return {"WebhookId": hook.uid}, 1


def _describe(hook: SandboxLacrmWebhook, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "WebhookId": hook.uid,
        "EndpointUrl": hook.endpoint_url,
        "WebhookScope": hook.scope,
        "Events": hook.events,
        "DateCreated": hook.created_at.astimezone(tz).isoformat(timespec="seconds"),
    }


def get_webhooks(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """GetWebhooks: the account's webhooks (a bare array, as GetUsers answers)."""
    tz = ZoneInfo(account.timezone)
    hooks = [_describe(h, tz) for h in account.webhooks.order_by("id")]
    return hooks, len(hooks)


def delete_webhook(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """DeleteWebhook: removes it and its pending deliveries; empty body."""
    webhook_id = params.get("WebhookId")
    if not webhook_id:
        raise ApiError('Missing required parameter "WebhookId".')
    deleted, _ = account.webhooks.filter(uid=str(webhook_id)).delete()
    if not deleted:
        raise ApiError(f"No webhook with WebhookId {webhook_id} exists in this account.")
    return None, 1


# --- deliveries -------------------------------------------------------------------------------


def create_contact(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """CreateContact, then its Contact.Create deliveries (sent once the contact is committed)."""
    with transaction.atomic():
        contact = writes.create_contact(account, params)
        contact_created(contact)
    return {"ContactId": contact.uid}, 1


def contact_created(contact: SandboxLacrmContact) -> int:
    """Queue a ``Contact.Create`` delivery to each of the account's webhooks that wants it.

    Called inside the creating transaction; the delivery task is sent once it commits. The
    account has a single user, so User- and Account-scoped webhooks both see every contact.
    """
    account = contact.account
    hooks = [h for h in account.webhooks.all() if "Contact.Create" in h.events]
    if not hooks:
        return 0
    row = SandboxLacrmContact.objects.filter(pk=contact.pk).values(*COLUMNS).get()
    payload = {
        "Contacts": [serialize(row, account, ZoneInfo(account.timezone))],
        "UserId": account.user_id,
        "TriggeringEvent": "Contact.Create",
    }
    body = json.dumps(payload)
    now = timezone.now()
    SandboxLacrmDelivery.objects.bulk_create(
        SandboxLacrmDelivery(webhook=h, event="Contact.Create", body=body, next_attempt_at=now)
        for h in hooks
    )
    transaction.on_commit(lambda: schedule_delivery(0))
    return len(hooks)


def schedule_delivery(countdown: float) -> None:
    """Ask a worker to run ``deliver_due`` in ``countdown`` seconds (demo mode and worker tests).

    A retry is scheduled once however many tasks notice it (a short-lived Redis marker), so
    the chain of tasks does not multiply.
    """
    from celery import current_app

    if countdown > 0:
        marker = redis.Redis.from_url(settings.REDIS_URL)
        if not marker.set(RETRY_MARKER, "1", nx=True, px=int(countdown * 1000) + 1000):
            return
    current_app.send_task(DELIVER_TASK, countdown=max(0.0, countdown))


def _claim(delivery_id: int, now: datetime) -> SandboxLacrmDelivery | None:
    """Lock a due delivery and count the try before sending (a crash mid-send retries later)."""
    with transaction.atomic():
        delivery = (
            SandboxLacrmDelivery.objects.select_for_update(skip_locked=True)
            .select_related("webhook")
            .filter(pk=delivery_id, state=SandboxLacrmDelivery.State.PENDING)
            .filter(next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def _send(delivery: SandboxLacrmDelivery) -> int:
    body = delivery.body.encode()
    try:
        response = requests.post(
            delivery.webhook.endpoint_url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Hook-Signature": signature(delivery.webhook.secret, body),
            },
            timeout=TIMEOUT,
        )
    except requests.RequestException:
        return 0
    return response.status_code


def deliver_due(now: datetime | None = None) -> dict[str, int]:
    """Send every delivery due at ``now``; returns counts of delivered / failed / gave up."""
    now = now or timezone.now()
    due = list(
        SandboxLacrmDelivery.objects.filter(
            state=SandboxLacrmDelivery.State.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)
    )
    counts = {"delivered": 0, "failed": 0, "gave_up": 0}
    for delivery_id in due:
        delivery = _claim(delivery_id, now)
        if delivery is None:
            continue
        status = _send(delivery)
        delivery.last_status = status
        if 0 < status < 300:
            delivery.state = SandboxLacrmDelivery.State.DELIVERED
            delivery.delivered_at = timezone.now()
            counts["delivered"] += 1
        elif delivery.attempts > len(BACKOFF):
            delivery.state = SandboxLacrmDelivery.State.GAVE_UP
            counts["gave_up"] += 1
        else:
            counts["failed"] += 1
        delivery.save(update_fields=["last_status", "state", "delivered_at"])
    return counts


def next_due_in(now: datetime | None = None) -> float | None:
    """Seconds until the next pending delivery is due (``None`` when none is pending)."""
    now = now or timezone.now()
    upcoming = (
        SandboxLacrmDelivery.objects.filter(state=SandboxLacrmDelivery.State.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if upcoming is None:
        return None
    return max(0.0, (upcoming - now).total_seconds())
