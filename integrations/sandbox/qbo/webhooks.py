"""The sandbox QuickBooks sends signed webhooks, as Intuit does, when its data changes.

A change made through the sandbox API (``api_views``), a merge (``merge``) or the admin calls
``announce``; that stores a delivery (``SandboxQboWebhook``) in the company's chosen format —
``cloudevents`` (default), ``legacy`` or ``off`` (the company's *webhook format* in the admin)
— and asks a worker to send it once the change is committed. The body is signed like Intuit's:
``intuit-signature`` = base64(HMAC-SHA256(verifier token, body)), with
``QBO_WEBHOOK_VERIFIER_TOKEN``, the token the app verifies with.

A delivery the app does not answer with 200 is retried on Intuit's schedule: 10 s, 20 s, 30 s,
5 min, 20 min, 2 h, 4 h, 6 h, then every 6 h (``MAX_ATTEMPTS`` in all). ``deliver_due(now)``
sends whatever is due at ``now``; the beat calls it every few seconds, and tests call it with a
chosen ``now`` to drive the retries without waiting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.sandbox.qbo.faults import iso
from integrations.sandbox.qbo.models import SandboxQboCompany, SandboxQboWebhook

logger = logging.getLogger(__name__)

DELIVER_TASK = "sandbox.qbo_deliver_webhooks"
ENDPOINT = "/integrations/quickbooks/webhooks/"
RETRY_AFTER = [
    timedelta(seconds=10),
    timedelta(seconds=20),
    timedelta(seconds=30),
    timedelta(minutes=5),
    timedelta(minutes=20),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=6),
]
EVERY_AFTER = timedelta(hours=6)
MAX_ATTEMPTS = 20
TIMEOUT = 10
# Intuit's operation names for the legacy format, by our verb.
LEGACY_OPERATIONS = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "merged": "Merge",
}


def webhook_url() -> str:
    return settings.SANDBOX_QBO_WEBHOOK_URL or settings.SITE_URL.rstrip("/") + ENDPOINT


def sign(body: bytes) -> str:
    # The sandbox plays Intuit, which holds its own copy of the app's verifier token
    # (``SANDBOX_QBO_WEBHOOK_TOKEN`` overrides it, e.g. to show a forged delivery refused).
    token = (
        getattr(settings, "SANDBOX_QBO_WEBHOOK_TOKEN", "") or settings.QBO_WEBHOOK_VERIFIER_TOKEN
    )
    key = token.encode("utf-8")
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


def retry_delay(attempts: int) -> timedelta | None:
    """How long after the ``attempts``-th failed attempt the next one is due (None: give up)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_AFTER[attempts - 1] if attempts <= len(RETRY_AFTER) else EVERY_AFTER


def body_for(
    company: SandboxQboCompany,
    entity: str,
    qbo_id,
    verb: str,
    *,
    deleted_id=None,
    at: datetime | None = None,
) -> str:
    """One event in the company's format (``verb``: created/updated/deleted/merged)."""
    at = at or timezone.now()
    if company.webhook_format == "legacy":
        item = {
            "name": entity,
            "id": str(qbo_id),
            "operation": LEGACY_OPERATIONS[verb],
            "lastUpdated": iso(at, company.tzinfo),
        }
        if deleted_id is not None:
            item["deletedId"] = str(deleted_id)
        notification = {"realmId": company.realm_id, "dataChangeEvent": {"entities": [item]}}
        return json.dumps({"eventNotifications": [notification]})
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "intuit.sandbox.ledgerlink",
        "type": f"qbo.{entity.lower()}.{verb}.v1",
        "time": at.astimezone(company.tzinfo).isoformat(timespec="milliseconds"),
        "intuitentityid": str(qbo_id),
        "intuitaccountid": company.realm_id,
    }
    if deleted_id is not None:
        event["datacontenttype"] = "application/json"
        event["data"] = {"deletedid": str(deleted_id)}
    return json.dumps([event])


def announce(company: SandboxQboCompany, entity: str, qbo_id, verb: str, **extra) -> None:
    """Owe the app a webhook about one change (sent after the change commits)."""
    if company.webhook_format == "off" or entity not in ("Customer", "Invoice"):
        return
    row = SandboxQboWebhook.objects.create(
        company=company,
        body=body_for(company, entity, qbo_id, verb, **extra),
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: _kick(row.pk))


def _kick(pk: int) -> None:
    from celery import current_app

    try:
        current_app.send_task(DELIVER_TASK, kwargs={"pk": pk})
    except Exception:  # noqa: BLE001 - the beat's deliver_due sends it instead
        logger.warning("sandbox webhook %s: could not enqueue its delivery", pk)


def deliver(row: SandboxQboWebhook, now: datetime) -> int | None:
    """Send one delivery; returns the app's status (None when it could not be reached)."""
    body = row.body.encode("utf-8")
    status, error = None, ""
    try:
        answer = requests.post(
            webhook_url(),
            data=body,
            headers={"Content-Type": "application/json", "intuit-signature": sign(body)},
            timeout=TIMEOUT,
        )
        status = answer.status_code
    except requests.RequestException as exc:
        error = type(exc).__name__
    row.attempts += 1
    row.last_status = status
    row.last_error = error
    if status == 200:
        row.delivered_at, row.next_attempt_at = now, None
    else:
        delay = retry_delay(row.attempts)
        row.next_attempt_at = now + delay if delay else None
    row.save(
        update_fields=["attempts", "last_status", "last_error", "delivered_at", "next_attempt_at"]
    )
    logger.info("sandbox webhook %s attempt %s -> %s", row.pk, row.attempts, status or error)
    return status


def deliver_due(now: datetime | None = None, pk: int | None = None) -> list[tuple[int, int | None]]:
    """Send every delivery due at ``now`` (only ``pk`` when given), oldest first."""
    now = now or timezone.now()
    sent = []
    rows = SandboxQboWebhook.objects.filter(next_attempt_at__lte=now).order_by("id")
    if pk is not None:
        rows = rows.filter(pk=pk)
    for row_pk in list(rows.values_list("pk", flat=True)[:200]):
        with transaction.atomic():
            row = (
                SandboxQboWebhook.objects.select_for_update(skip_locked=True)
                .filter(pk=row_pk, next_attempt_at__lte=now)
                .first()
            )
            if row is not None:
                sent.append((row.pk, deliver(row, now)))
    return sent
