"""Sandbox Change Data Capture: ``GET /v3/company/<realm>/cdc?entities=…&changedSince=…``.

What the real service does, as ``quickbooks-api.md`` §8/§10 describe it:

- ``changedSince`` must be within the last **30 days** (older: a 400 ValidationFault);
- every entity's changes since then, oldest first, **at most 1,000 objects** per entity per
  response (a caller pages by moving ``changedSince`` forward, i.e. narrowing the window);
- deleted entities as ``{"Id": …, "status": "Deleted", "MetaData": {"LastUpdatedTime": …}}``;
- ``MetaData.LastUpdatedTime`` and the response ``time`` carry the company's (Pacific) offset;
- it is a read: the call log counts it like a query (operation ``GET cdc``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from integrations.sandbox.qbo.faults import QboFault, iso, qbo_time
from integrations.sandbox.qbo.gateway import Call, Reply, serve
from integrations.sandbox.qbo.models import (
    SandboxQboInvoice,
    SandboxQboName,
    SandboxQboTombstone,
)
from integrations.sandbox.qbo.wire import invoices_to_wire, name_to_wire

MAX_OBJECTS = 1000
LOOKBACK = timedelta(days=30)
NAME_ENTITIES = {"Customer", "Vendor", "Employee"}
SUPPORTED = NAME_ENTITIES | {"Invoice"}


def _since(value: str) -> datetime:
    text = (value or "").strip().replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None:
        raise QboFault("2010", "Request has invalid or unsupported property", "changedSince")
    if moment.tzinfo is None:
        raise QboFault(
            "2010", "Request has invalid or unsupported property", "changedSince needs an offset"
        )
    if moment < timezone.now() - LOOKBACK:
        raise QboFault(
            "10000",
            "An application error has occurred while processing your request",
            "changedSince is more than 30 days in the past",
        )
    return moment


def _entities(value: str) -> list[str]:
    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    if not names:
        raise QboFault("2020", "Required param missing", "entities", element="entities")
    wanted = []
    for name in names:
        entity = next((e for e in SUPPORTED if e.lower() == name.lower()), None)
        if entity is None:
            raise QboFault("2010", "Request has invalid or unsupported property", name)
        wanted.append(entity)
    return wanted


def _changes(call: Call, entity: str, since: datetime) -> list[dict]:
    company, tz = call.company, call.company.tzinfo
    if entity == "Invoice":
        rows = list(
            SandboxQboInvoice.objects.filter(company=company, updated_at__gte=since).order_by(
                "updated_at", "qbo_id"
            )[: MAX_OBJECTS + 1]
        )
        live = [
            (row.updated_at, obj)
            for row, obj in zip(rows, invoices_to_wire(company, rows), strict=True)
        ]
    else:
        rows = SandboxQboName.objects.filter(
            company=company, entity=entity, updated_at__gte=since
        ).order_by("updated_at", "qbo_id")[: MAX_OBJECTS + 1]
        live = [(row.updated_at, name_to_wire(row, tz)) for row in rows]
    tombs = SandboxQboTombstone.objects.filter(
        company=company, entity=entity, deleted_at__gte=since
    ).order_by("deleted_at", "qbo_id")[: MAX_OBJECTS + 1]
    deleted = [
        (
            t.deleted_at,
            {
                "Id": str(t.qbo_id),
                "status": "Deleted",
                "domain": "QBO",
                "MetaData": {"LastUpdatedTime": iso(t.deleted_at, tz)},
            },
        )
        for t in tombs
    ]
    merged = sorted(live + deleted, key=lambda pair: pair[0])
    return [obj for _, obj in merged[:MAX_OBJECTS]]


@csrf_exempt
@require_GET
def cdc(request: HttpRequest, realm_id: str) -> HttpResponse:
    def handle(call: Call) -> Reply:
        entities = _entities(request.GET.get("entities", ""))
        since = _since(request.GET.get("changedSince", ""))
        stamp = qbo_time(call.company.tzinfo)
        responses = []
        for entity in entities:
            objects = _changes(call, entity, since)
            call.items += len(objects)
            part = {"startPosition": 1, "maxResults": len(objects)}
            if objects:
                part[entity] = objects
            responses.append(part)
        return Reply(200, {"CDCResponse": [{"QueryResponse": responses}], "time": stamp})

    return serve(request, realm_id, "GET cdc", handle)
