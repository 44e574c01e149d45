"""The QuickBooks Online client the sync engine uses: neutral records in, neutral records out.

Reads page through QBO's query language 1,000 rows at a time. Creates go through ``/batch`` (one
call per ≤30 items) with a ``requestid`` derived from the items' idempotency keys and attempt
numbers, so re-sending a batch after a crash returns QBO's original answer instead of creating
twice. A DisplayName collision (6240) is retried per item with the next name of a deterministic
sequence (see ``mapping.display_name_candidates``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from integrations.changes import ChangeFeed
from integrations.errors import (
    DuplicateName,
    IntegrationError,
    StaleObject,
    TransientError,
    ValidationFailed,
)
from integrations.quickbooks import cdc, mapping
from integrations.quickbooks.names import collision_note
from integrations.quickbooks.previews import describe_customer_creates
from integrations.quickbooks.transport import TokenSource, Transport, fault_to_error
from integrations.records import QBO, ContactRecord, CreatePreview, CreateResult, InvoiceRecord

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000
SEARCH_LIMIT = 20
BATCH_LIMIT = 30
# QBO accepts request ids up to 50 characters.
MAX_REQUEST_ID = 50


def item_request_id(key: str, attempt: int) -> str:
    """``"<key>-<n>"``: the requestid/bId of one create attempt (hashed if too long)."""
    raw = f"{key}-{attempt}"
    if len(raw) <= MAX_REQUEST_ID:
        return raw
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[: MAX_REQUEST_ID - 6]
    return f"{digest}-{attempt}"


def batch_request_id(item_ids: Sequence[str]) -> str:
    """A batch's requestid: a digest of its items' ids (the same items give the same id)."""
    digest = hashlib.sha256("\n".join(item_ids).encode("utf-8")).hexdigest()
    return f"b-{digest[:40]}"


@dataclass
class _Pending:
    """One create in flight: its key, record, DisplayName candidates and current attempt."""

    key: str
    record: ContactRecord
    names: list[str]
    attempt: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def request_id(self) -> str:
        return item_request_id(self.key, self.attempt)


def _quote(value: str) -> str:
    """A string literal for QBO's query language (``'`` escaped as ``\\'``)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class QuickBooksClient:
    """One realm's customers and invoices as neutral records; see the module docstring.

    It is the workspace's ``integrations.protocols.AccountingSystem``: the protocol's
    ``*_contact(s)`` methods are the ``*_customer(s)`` ones under the engine's neutral names.
    """

    system = QBO
    # One /batch call per run batch of 20 (QuickBooks takes up to 30).
    create_batch_size = 20

    def __init__(self, realm_id: str, tokens: TokenSource, meter: str = "") -> None:
        self.realm_id = realm_id
        # ``meter``: the workspace whose monthly read allowance the reads spend.
        self._transport = Transport(realm_id, tokens, meter)

    # --- reads ----------------------------------------------------------------------------------

    def _paged(self, entity: str, where: str = "") -> Iterator[dict]:
        start = 1
        while True:
            # Only constants and integers go into the query; user values are quoted by _quote.
            sql = (
                f"SELECT * FROM {entity}{where} ORDERBY Id "  # noqa: S608
                f"STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}"
            )
            response = self._transport.query(sql)
            rows = (response.get("QueryResponse") or {}).get(entity) or []
            yield from rows
            if len(rows) < PAGE_SIZE:
                return
            start += PAGE_SIZE

    def iter_customers(self, *, include_inactive: bool = False) -> Iterator[ContactRecord]:
        """Every customer (active only unless asked), jobs included with ``parent_id`` set."""
        where = " WHERE Active IN (true, false)" if include_inactive else ""
        for row in self._paged("Customer", where):
            yield mapping.customer_to_record(row)

    def get_customer(self, customer_id: str) -> ContactRecord:
        return mapping.customer_to_record(self._get_customer_raw(customer_id))

    def _get_customer_raw(self, customer_id: str) -> dict:
        response = self._transport.get(f"customer/{customer_id}")
        return response["Customer"]

    def find_customers_by_name(self, display_name: str) -> list[ContactRecord]:
        """Customers (active or not) whose DisplayName is exactly ``display_name``."""
        sql = (
            f"SELECT * FROM Customer WHERE DisplayName = {_quote(display_name)} "  # noqa: S608
            "AND Active IN (true, false)"
        )
        rows = (self._transport.query(sql).get("QueryResponse") or {}).get("Customer") or []
        return [mapping.customer_to_record(row) for row in rows]

    def find_customers_by_names(self, display_names: Sequence[str]) -> list[ContactRecord]:
        """Customers (active or not) holding any of ``display_names``, in one query."""
        names = [name for name in dict.fromkeys(display_names) if name]
        if not names:
            return []
        listed = ", ".join(_quote(name) for name in names)
        sql = (
            f"SELECT * FROM Customer WHERE DisplayName IN ({listed}) "  # noqa: S608
            "AND Active IN (true, false) MAXRESULTS 1000"
        )
        rows = (self._transport.query(sql).get("QueryResponse") or {}).get("Customer") or []
        return [mapping.customer_to_record(row) for row in rows]

    def find_possible_creations(self, record: ContactRecord) -> list[ContactRecord]:
        """Customers that a create of ``record`` could have made: any DisplayName it would try.

        The engine calls this before re-sending a create that may have reached QuickBooks (the
        worker died mid-call): a re-sent batch with other companions gets a new request id, so
        QuickBooks' request-id replay cannot be relied on there.
        """
        return self.find_customers_by_names(mapping.display_name_candidates(record))

    def get_customers(self, customer_ids: Sequence[str]) -> list[ContactRecord]:
        """The customers (active or not) with these ids, 500 per query."""
        ids = [str(i) for i in dict.fromkeys(customer_ids) if str(i).isdigit()]
        records: list[ContactRecord] = []
        for start in range(0, len(ids), 500):
            listed = ", ".join(_quote(i) for i in ids[start : start + 500])
            sql = (
                f"SELECT * FROM Customer WHERE Id IN ({listed}) "  # noqa: S608
                "AND Active IN (true, false) MAXRESULTS 1000"
            )
            rows = (self._transport.query(sql).get("QueryResponse") or {}).get("Customer") or []
            records.extend(mapping.customer_to_record(row) for row in rows)
        return records

    def get_invoices(self, invoice_ids: Sequence[str]) -> list[InvoiceRecord]:
        """The invoices with these ids, 500 per query (for the customers whose invoices
        changed)."""
        ids = [str(i) for i in dict.fromkeys(invoice_ids) if str(i).isdigit()]
        records: list[InvoiceRecord] = []
        for start in range(0, len(ids), 500):
            listed = ", ".join(_quote(i) for i in ids[start : start + 500])
            sql = f"SELECT * FROM Invoice WHERE Id IN ({listed}) MAXRESULTS 1000"  # noqa: S608
            rows = (self._transport.query(sql).get("QueryResponse") or {}).get("Invoice") or []
            records.extend(mapping.invoice_to_record(row) for row in rows)
        return records

    def changes_since(self, since: datetime) -> ChangeFeed:
        """Customers and invoices changed since ``since`` (CDC; ``cdc.changes_since``)."""
        return cdc.changes_since(self._transport, since)

    def iter_open_invoices(self) -> Iterator[InvoiceRecord]:
        """Every invoice with a balance, in one paged query for the whole company."""
        for row in self._paged("Invoice", " WHERE Balance > '0'"):
            yield mapping.invoice_to_record(row)

    def company_info(self) -> dict:
        """The raw ``CompanyInfo`` object plus the response's ``time`` stamp under ``"_time"``."""
        response = self._transport.get(f"companyinfo/{self.realm_id}")
        info = dict(response.get("CompanyInfo") or {})
        info["_time"] = response.get("time", "")
        return info

    def company_name(self) -> str:
        info = self.company_info()
        return str(info.get("CompanyName") or info.get("LegalName") or "")

    def company_today(self) -> date:
        """The company's local date, for "overdue" and "due in N days".

        CompanyInfo's ``DefaultTimeZone`` gives the zone; without it, QBO's response ``time``
        stamp (local time with the company's offset) gives the date.
        """
        info = self.company_info()
        zone = str(info.get("DefaultTimeZone") or "")
        if zone:
            try:
                return timezone.now().astimezone(ZoneInfo(zone)).date()
            except (ZoneInfoNotFoundError, ValueError):
                logger.info(
                    "Realm %s has an unknown time zone; using the response time", self.realm_id
                )
        stamp = info.get("_time") or ""
        try:
            return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).date()
        except ValueError:
            return timezone.now().date()

    # --- creates --------------------------------------------------------------------------------

    def create_customers(self, items: Sequence[tuple[str, ContactRecord]]) -> list[CreateResult]:
        """Create customers in batches; one result per item, in order, never raising per item.

        Raises only for the whole call (the connection is gone, or QBO stayed unavailable after
        the retries); re-sending the same items then is safe (same requestids).
        """
        results = {key: CreateResult(key=key) for key, _ in items}
        pending: list[_Pending] = []
        for key, record in items:
            names = mapping.display_name_candidates(record)
            if not names:
                results[key].error = ValidationFailed(
                    "The contact has no name, company, email or phone QuickBooks could use as "
                    "its display name.",
                    system=QBO,
                )
                continue
            pending.append(_Pending(key=key, record=record, names=names))
        while pending:
            retry: list[_Pending] = []
            for start in range(0, len(pending), BATCH_LIMIT):
                chunk = pending[start : start + BATCH_LIMIT]
                retry.extend(self._send_batch(chunk, results))
            pending = retry
        return [results[key] for key, _ in items]

    def _send_batch(
        self, chunk: list[_Pending], results: dict[str, CreateResult]
    ) -> list[_Pending]:
        """Send one batch; fill ``results`` and return the items to retry under a new name."""
        by_bid: dict[str, _Pending] = {}
        body_items = []
        for item in chunk:
            payload, notes = mapping.record_to_customer(item.record, item.names[item.attempt])
            if item.attempt == 0:
                item.notes.extend(notes)
            by_bid[item.request_id] = item
            body_items.append({"bId": item.request_id, "operation": "create", "Customer": payload})
        request_id = batch_request_id(list(by_bid))
        response = self._transport.post(
            "batch", json.dumps({"BatchItemRequest": body_items}), request_id=request_id
        )
        retry: list[_Pending] = []
        answered = set()
        for entry in response.get("BatchItemResponse") or []:
            item = by_bid.get(str(entry.get("bId")))
            if item is None:
                continue
            answered.add(item.request_id)
            result = results[item.key]
            if "Customer" in entry:
                result.record = mapping.customer_to_record(entry["Customer"])
                result.notes = item.notes
                if item.attempt:
                    chosen = item.names[item.attempt]
                    result.notes.append(collision_note(item.names[0], chosen))
                continue
            error = fault_to_error(entry.get("Fault") or {})
            if isinstance(error, DuplicateName) and item.attempt + 1 < len(item.names):
                item.attempt += 1
                retry.append(item)
                continue
            result.error = error
            result.notes = item.notes
        for bid, item in by_bid.items():
            if bid not in answered:
                results[item.key].error = TransientError(
                    "QuickBooks did not answer for this customer in the batch.", system=QBO
                )
        if retry:
            logger.info(
                "QBO realm %s: %s name collision(s), retrying with the next names",
                self.realm_id,
                len(retry),
            )
        return retry

    def describe_creates(
        self, records: Sequence[ContactRecord], existing: Iterable[ContactRecord]
    ) -> list[CreatePreview]:
        """What creating ``records`` in this order would send (no call is made)."""
        return describe_customer_creates(records, existing)

    # --- updates --------------------------------------------------------------------------------

    def update_customer(self, customer_id: str, changes: dict, version: str = "") -> ContactRecord:
        """Sparse-update the given neutral fields at SyncToken ``version`` (the customer as the
        caller last read it: no read is spent, and reads are metered) or, without one, at a
        freshly read SyncToken; on a stale SyncToken re-read and retry once."""
        sparse, notes = mapping.changes_to_sparse(changes)
        if notes:
            logger.info(
                "QBO customer %s update: %s value(s) adjusted to fit", customer_id, len(notes)
            )
        for attempt in range(2):
            token = version if attempt == 0 and version else ""
            token = token or self._get_customer_raw(customer_id)["SyncToken"]
            body = {"Id": customer_id, "SyncToken": token, "sparse": True, **sparse}
            digest = hashlib.sha256(
                json.dumps(body, sort_keys=True, default=str).encode("utf-8")
            ).hexdigest()
            try:
                response = self._transport.post(
                    "customer", json.dumps(body, default=str), request_id=f"u-{digest[:40]}"
                )
            except StaleObject:
                if attempt == 0:
                    version = ""  # Edited since it was read: read it now and try once more.
                    continue
                raise
            return mapping.customer_to_record(response["Customer"])
        raise StaleObject("QuickBooks kept reporting the customer as changed.", system=QBO)

    def deactivate_customer(self, customer_id: str, sync_token: str) -> ContactRecord:
        """Make a customer inactive (QuickBooks cannot delete customers): a sparse update of
        ``Active`` at ``sync_token``, so a customer edited since it was read is not touched
        (QuickBooks answers 5010, raised as ``StaleObject``). Sending the same update twice is
        harmless: its requestid is derived from the body, so QuickBooks replays its answer."""
        body = {"Id": customer_id, "SyncToken": sync_token, "sparse": True, "Active": False}
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()
        response = self._transport.post("customer", json.dumps(body), request_id=f"d-{digest[:40]}")
        return mapping.customer_to_record(response["Customer"])

    # --- the AccountingSystem protocol ----------------------------------------------------------

    def iter_contacts(self, *, include_inactive: bool = False) -> Iterator[ContactRecord]:
        return self.iter_customers(include_inactive=include_inactive)

    def get_contact(self, contact_id: str) -> ContactRecord:
        return self.get_customer(contact_id)

    def get_contacts(self, contact_ids: Sequence[str]) -> list[ContactRecord]:
        return self.get_customers(contact_ids)

    def create_contacts(self, items: Sequence[tuple[str, ContactRecord]]) -> list[CreateResult]:
        return self.create_customers(items)

    def update_contact(self, contact_id: str, changes: dict, version: str = "") -> ContactRecord:
        return self.update_customer(contact_id, changes, version)

    # What ``retire_contact`` does here: QuickBooks cannot delete customers.
    retires_by = "deactivate"

    def retire_contact(self, record: ContactRecord) -> bool:
        """Take away a customer LedgerLink created (undo): make it inactive at the SyncToken it
        was read with. False when it is inactive already."""
        if not record.active:
            return False
        self.deactivate_customer(record.id, record.sync_token)
        return True

    def search_contacts(self, terms: str) -> list[ContactRecord]:
        """Customers (active or not) whose DisplayName, or for an email the primary email,
        contains ``terms``: one query each, at most ``SEARCH_LIMIT`` rows."""
        terms = terms.strip()
        if not terms:
            return []
        fields = ["DisplayName", "PrimaryEmailAddr"] if "@" in terms else ["DisplayName"]
        pattern = _quote("%" + terms.replace("%", "") + "%")
        found: dict[str, ContactRecord] = {}
        for name in fields:
            sql = (
                f"SELECT * FROM Customer WHERE {name} LIKE {pattern} "  # noqa: S608
                f"AND Active IN (true, false) MAXRESULTS {SEARCH_LIMIT}"
            )
            rows = (self._transport.query(sql).get("QueryResponse") or {}).get("Customer") or []
            for row in rows:
                record = mapping.customer_to_record(row)
                found.setdefault(record.id, record)
        return list(found.values())[:SEARCH_LIMIT]


__all__ = ["QuickBooksClient", "IntegrationError", "item_request_id", "batch_request_id"]
