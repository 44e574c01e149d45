"""The QuickBooks webhook endpoint: ``POST /integrations/quickbooks/webhooks/``.

Register this URL (``{SITE_URL}/integrations/quickbooks/webhooks/``) in the Intuit app's
*Webhooks* page, with the Customer and Invoice entities, and put the page's verifier token in
``QBO_WEBHOOK_VERIFIER_TOKEN``.

It answers within Intuit's 3 s by doing no API call at all: it checks the ``intuit-signature``
(constant time; unsigned or forged → 401, nothing recorded), reads the delivery in either format
(``webhook_payload``; not JSON → 400, nothing recorded), and hands each realm's changes to every
workspace connected to that realm through ``integrations.changes.deliver`` (which stores them,
de-duplicated, and queues an incremental run). It is CSRF-exempt because it is signed instead.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.scoping import scope, scopes_disabled
from integrations import changes
from integrations.connections import webhook_verified
from integrations.models import ConnectionStatus, QuickBooksConnection
from integrations.quickbooks.webhook_payload import MalformedPayload, parse_delivery, signature_ok

logger = logging.getLogger(__name__)

SOURCE = "qbo_webhook"
# Intuit's deliveries are small (ids only); anything far larger is not one of theirs.
MAX_BODY = 2 * 1024 * 1024


@csrf_exempt
@require_POST
def qbo_webhook(request: HttpRequest) -> HttpResponse:
    body = request.body
    if len(body) > MAX_BODY:
        return JsonResponse({"error": "too large"}, status=413)
    if not signature_ok(
        settings.QBO_WEBHOOK_VERIFIER_TOKEN, body, request.headers.get("intuit-signature", "")
    ):
        # Nothing about the token or the signature goes into the log.
        logger.warning("QuickBooks webhook refused: missing or wrong signature")
        return JsonResponse({"error": "signature"}, status=401)
    try:
        delivery = parse_delivery(body)
    except MalformedPayload as exc:
        logger.warning("QuickBooks webhook refused: %s", exc)
        return JsonResponse({"error": "malformed"}, status=400)
    routed = route(delivery)
    if delivery.unreadable:
        logger.warning("QuickBooks webhook: %s unreadable event(s) left out", delivery.unreadable)
    return JsonResponse({"ok": True, "changes": len(delivery.changes), "workspaces": routed})


def route(delivery) -> int:
    """Deliver each realm's changes to the workspaces connected to it; how many got some."""
    by_realm: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for item in delivery.changes:
        by_realm[item.realm_id][item.system].append(item.change)
    with scopes_disabled():  # Find the tenants by realm; each delivery below is in its scope.
        connections = list(
            QuickBooksConnection.objects.filter(realm_id__in=list(by_realm) or ["-"])
            .exclude(status=ConnectionStatus.DISCONNECTED)
            .select_related("workspace")
        )
    realms_known = {conn.realm_id for conn in connections}
    for realm in set(by_realm) - realms_known:
        logger.info("QuickBooks webhook for realm %s, which no workspace is connected to", realm)
    now = timezone.now()
    for conn in connections:
        with scope(workspace=conn.workspace_id):
            webhook_verified.send(
                sender=QuickBooksConnection, workspace=conn.workspace, system="qbo", at=now
            )
            for system, items in by_realm[conn.realm_id].items():
                changes.deliver(conn.workspace, system, items, SOURCE)
    return len(connections)
