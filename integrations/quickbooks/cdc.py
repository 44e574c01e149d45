"""QuickBooks Change Data Capture through our transport: ``GET cdc?entities=…&changedSince=…``.

CDC reaches back 30 days and returns at most 1,000 objects per entity per answer. An entity
that came back with 1,000 objects is asked again from the last object's ``LastUpdatedTime``
(the window narrowed to what is left); the others are complete. The answer's ``time`` is the
next cursor. Every object becomes a ``Change`` whose event id is its id and LastUpdatedTime, so
the same version seen twice (an overlap between pages, a webhook and CDC both) is stored once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from integrations.changes import (
    DELETED,
    INACTIVE,
    QBO_INVOICE,
    UPDATED,
    CatchUpTooOld,
    Change,
    ChangeFeed,
)
from integrations.errors import TransientError
from integrations.quickbooks.webhook_payload import parse_time
from integrations.records import QBO

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=30)
MAX_OBJECTS = 1000
# A margin so a cursor just under 30 days old is not refused by the time it arrives.
SAFETY = timedelta(minutes=5)
MAX_PAGES = 200
SYSTEMS = {"Customer": QBO, "Invoice": QBO_INVOICE}


def _change(entity: str, obj: dict) -> Change | None:
    record_id = str(obj.get("Id") or "")
    if not record_id:
        return None
    stamp = str((obj.get("MetaData") or {}).get("LastUpdatedTime") or "")
    if str(obj.get("status") or "").lower() == "deleted":
        kind = DELETED
    elif entity == "Customer" and obj.get("Active") is False:
        kind = INACTIVE
    else:
        kind = UPDATED
    return Change(
        record_id,
        kind,
        occurred_at=parse_time(stamp),
        event_id=f"cdc:{entity}:{record_id}:{stamp}:{kind}",
    )


def changes_since(transport, since: datetime, entities=("Customer", "Invoice")) -> ChangeFeed:
    """Every change of ``entities`` since ``since``; raises ``CatchUpTooOld`` past 30 days."""
    if since < timezone.now() - LOOKBACK + SAFETY:
        raise CatchUpTooOld(f"The last catch-up was on {since:%Y-%m-%d}, over 30 days ago")
    feed = ChangeFeed(cursor=since, changes={SYSTEMS[e]: [] for e in entities})
    # One call for every entity first; an entity that filled its 1,000 is asked again alone,
    # from its last object's time (each open window on its own: they no longer share a start).
    windows: dict[tuple[str, ...], datetime] = {tuple(entities): since}
    first_time: datetime | None = None
    for _ in range(MAX_PAGES):
        if not windows:
            break
        asked, start = next(iter(windows.items()))
        del windows[asked]
        response = transport.get(
            "cdc",
            {"entities": ",".join(asked), "changedSince": start.isoformat(timespec="seconds")},
        )
        feed.calls += 1
        stamp = parse_time(response.get("time"))
        if first_time is None and stamp is not None:
            first_time = stamp
        for entity in asked:
            objects = _objects(response, entity)
            for obj in objects:
                change = _change(entity, obj)
                if change is not None:
                    feed.changes[SYSTEMS[entity]].append(change)
            if len(objects) >= MAX_OBJECTS:
                windows[(entity,)] = _narrowed(objects, start)
    else:
        raise TransientError("QuickBooks CDC kept returning full pages", system=QBO)
    # The first answer's time: anything changed after it is either in a later page or is
    # picked up by the next catch-up (the overlap is de-duplicated by event id).
    feed.cursor = first_time or timezone.now()
    return feed


def _narrowed(objects: list[dict], start: datetime) -> datetime:
    """Where the rest of a full page's window begins: its last object's LastUpdatedTime."""
    last = parse_time(str((objects[-1].get("MetaData") or {}).get("LastUpdatedTime") or ""))
    if last is None or last <= start:
        raise TransientError(
            "QuickBooks CDC returned 1,000 changes within one second; cannot narrow further",
            system=QBO,
        )
    return last


def _objects(response: dict, entity: str) -> list[dict]:
    found: list[dict] = []
    for block in response.get("CDCResponse") or []:
        for part in block.get("QueryResponse") or []:
            found.extend(part.get(entity) or [])
    return found
