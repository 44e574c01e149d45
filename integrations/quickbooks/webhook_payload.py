"""Reading QuickBooks webhook deliveries, in both of Intuit's formats, into neutral changes.

- **Legacy**: ``{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"name",
  "id", "operation", "lastUpdated", "deletedId"?}]}}]}``. Legacy events carry no id; one is
  derived from realm, entity, id, operation and lastUpdated, so Intuit's retries (for hours)
  are recognised.
- **CloudEvents**: a JSON array of ``{"id", "type": "qbo.customer.updated.v1", "time",
  "intuitaccountid": realm, "intuitentityid": id, "data"?}``; ``qbo.customer.merged.v1`` names
  the customer that disappeared in ``data.deletedid`` (the entity id is the survivor).

Only customers and invoices matter to LedgerLink; other entities are ignored. An event that
cannot be read is left out (and counted); a body that is not JSON is ``MalformedPayload``.
Pure: no Django, no HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime

from integrations.changes import (
    CREATED,
    DELETED,
    MERGED,
    QBO_INVOICE,
    UPDATED,
    Change,
)
from integrations.records import QBO

# Entity name (lower case) -> the ``system`` of its changes.
ENTITIES = {"customer": QBO, "invoice": QBO_INVOICE}
OPERATIONS = {
    "create": CREATED,
    "created": CREATED,
    "update": UPDATED,
    "updated": UPDATED,
    "delete": DELETED,
    "deleted": DELETED,
    "merge": MERGED,
    "merged": MERGED,
    # An invoice voided or emailed changed for its customer's summary.
    "void": UPDATED,
    "voided": UPDATED,
    "emailed": UPDATED,
}
LEGACY, CLOUDEVENTS = "legacy", "cloudevents"


class MalformedPayload(ValueError):
    """The body is not a webhook delivery in either format."""


@dataclass(frozen=True)
class RealmChange:
    realm_id: str
    system: str
    change: Change


@dataclass
class Delivery:
    format: str
    changes: list[RealmChange] = field(default_factory=list)
    unreadable: int = 0
    ignored: int = 0

    @property
    def realms(self) -> set[str]:
        return {c.realm_id for c in self.changes}


def signature(verifier_token: str, body: bytes) -> str:
    """``intuit-signature``: base64 of the HMAC-SHA256 of the raw body, keyed by the token."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_ok(verifier_token: str, body: bytes, header: str) -> bool:
    """Constant-time check of ``header`` against the body's signature."""
    if not verifier_token or not header:
        return False
    return hmac.compare_digest(signature(verifier_token, body), header.strip())


def parse_time(value) -> datetime | None:
    """An ISO time as QuickBooks writes it ("2015-10-05T14:42:19-0700" or with a colon)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def legacy_event_id(realm: str, entity: str, record_id: str, operation: str, updated: str) -> str:
    raw = "|".join((realm, entity.lower(), record_id, operation.lower(), updated))
    return "legacy:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()


def parse_delivery(body: bytes) -> Delivery:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPayload("The body is not JSON") from exc
    if isinstance(data, dict) and isinstance(data.get("eventNotifications"), list):
        return _legacy(data["eventNotifications"])
    if isinstance(data, list):
        return _cloudevents(data)
    if isinstance(data, dict) and data.get("specversion"):
        return _cloudevents([data])
    raise MalformedPayload("Neither eventNotifications nor a CloudEvents array")


def _legacy(notifications: list) -> Delivery:
    delivery = Delivery(LEGACY)
    for notification in notifications:
        if not isinstance(notification, dict):
            delivery.unreadable += 1
            continue
        realm = str(notification.get("realmId") or "")
        entities = (notification.get("dataChangeEvent") or {}).get("entities")
        if not realm or not isinstance(entities, list):
            delivery.unreadable += 1
            continue
        for entity in entities:
            _legacy_entity(delivery, realm, entity)
    return delivery


def _legacy_entity(delivery: Delivery, realm: str, entity) -> None:
    if not isinstance(entity, dict):
        delivery.unreadable += 1
        return
    name = str(entity.get("name") or "")
    record_id = str(entity.get("id") or "")
    operation = str(entity.get("operation") or "")
    updated = str(entity.get("lastUpdated") or "")
    system = ENTITIES.get(name.lower())
    kind = OPERATIONS.get(operation.lower())
    if system is None:
        delivery.ignored += 1
        return
    if not record_id or kind is None:
        delivery.unreadable += 1
        return
    event_id = legacy_event_id(realm, name, record_id, operation, updated)
    occurred = parse_time(updated)
    loser = str(entity.get("deletedId") or entity.get("deletedid") or "")
    change = _change(record_id, kind, loser, occurred, event_id)
    delivery.changes.append(RealmChange(realm, system, change))


def _cloudevents(events: list) -> Delivery:
    delivery = Delivery(CLOUDEVENTS)
    for event in events:
        if not isinstance(event, dict):
            delivery.unreadable += 1
            continue
        parts = str(event.get("type") or "").split(".")
        realm = str(event.get("intuitaccountid") or "")
        record_id = str(event.get("intuitentityid") or "")
        event_id = str(event.get("id") or "")
        if len(parts) < 3 or parts[0] != "qbo":
            delivery.unreadable += 1
            continue
        system, kind = ENTITIES.get(parts[1].lower()), OPERATIONS.get(parts[2].lower())
        if system is None:
            delivery.ignored += 1
            continue
        if kind is None or not (realm and record_id and event_id):
            delivery.unreadable += 1
            continue
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        occurred = parse_time(event.get("time"))
        loser = str(data.get("deletedid") or data.get("deletedId") or "")
        change = _change(record_id, kind, loser, occurred, event_id)
        delivery.changes.append(RealmChange(realm, system, change))
    return delivery


def _change(record_id: str, kind: str, loser: str, occurred, event_id: str) -> Change:
    """A merge names the customer that disappeared (``loser``) and the survivor (the entity
    id); a merge without the loser's id is an update of the survivor (CDC shows the rest)."""
    if kind == MERGED:
        if loser:
            return Change(
                loser, MERGED, survivor_id=record_id, occurred_at=occurred, event_id=event_id
            )
        kind = UPDATED
    return Change(record_id, kind, occurred_at=occurred, event_id=event_id)
