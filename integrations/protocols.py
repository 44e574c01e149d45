"""What the engine (``sync``, ``summaries``) may ask of a connected system, by role.

A workspace connects one **accounting system** (QuickBooks Online) and one **CRM** (Less Annoying
CRM). The engine talks to them only through these protocols, reached through
``integrations.registry``; it never imports a provider's package. Every method speaks neutral
records (``integrations.records``) and raises the typed errors of ``integrations.errors``.

Creates go through ``create_contacts`` with an idempotency key per item, in chunks of at most
``create_batch_size`` (QuickBooks batches 20; LACRM takes one contact per call, so the engine can
check Stop before each).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from integrations.changes import ChangeFeed
from integrations.records import ContactRecord, CreatePreview, CreateResult, InvoiceRecord


@runtime_checkable
class ContactSystem(Protocol):
    """Contacts on one side: read, search, create (idempotently) and update."""

    system: str
    create_batch_size: int

    def iter_contacts(self, *, include_inactive: bool = False) -> Iterator[ContactRecord]:
        """Every contact; inactive ones too when asked (where the system has the notion)."""

    def get_contact(self, contact_id: str) -> ContactRecord: ...

    def search_contacts(self, terms: str) -> list[ContactRecord]:
        """Contacts matching free text (a name or an email), for linking by hand."""

    def create_contacts(self, items: Sequence[tuple[str, ContactRecord]]) -> list[CreateResult]:
        """Create each ``(idempotency key, record)``; one result per item, in order.

        Raises only for the whole call (connection gone, service unavailable after retries);
        a rejected record is a result with its error.
        """

    def describe_creates(
        self, records: Sequence[ContactRecord], existing: Iterable[ContactRecord]
    ) -> list[CreatePreview]:
        """What creating ``records`` in this order would send, one preview each, without a
        call; ``existing`` are the records already on this side (names a create must avoid)."""

    def find_possible_creations(self, record: ContactRecord) -> list[ContactRecord]:
        """Contacts an interrupted create of ``record`` could have made (the outbox's adopt
        search)."""

    def update_contact(
        self, contact_id: str, changes: dict[str, Any], version: str = ""
    ) -> ContactRecord | None:
        """Write field changes (``sync.fields.rules`` builds them for each system).

        ``version``: the record's version as the caller read it (QuickBooks' SyncToken), so the
        write needs no read first; a stale one costs a read and one retry. Systems without
        versions ignore it."""

    def get_contacts(self, contact_ids: Sequence[str]) -> list[ContactRecord]:
        """The records with these ids that still exist (inactive ones too)."""

    # "delete" or "deactivate": what ``retire_contact`` does in this system.
    retires_by: str

    def retire_contact(self, record: ContactRecord) -> bool:
        """Undo a create: delete the record, or where the system cannot delete (QuickBooks),
        make it inactive, guarded by the version it was read at. Idempotent: False when it was
        gone (or inactive) already; raises ``StaleObject`` when it changed since it was read."""


@runtime_checkable
class AccountingSystem(ContactSystem, Protocol):
    """Customers and their invoices (QuickBooks Online)."""

    def get_contacts(self, contact_ids: Sequence[str]) -> list[ContactRecord]: ...

    def get_invoices(self, invoice_ids: Sequence[str]) -> list[InvoiceRecord]:
        """The invoices with these ids (those that still exist)."""

    def changes_since(self, since: datetime) -> ChangeFeed:
        """What changed since ``since`` (raises ``CatchUpTooOld`` past the feed's reach)."""

    def iter_open_invoices(self) -> Iterator[InvoiceRecord]:
        """Every invoice with a balance, for the whole company."""

    def company_today(self) -> date:
        """The company's local date (for "overdue" and "due in N days")."""


@runtime_checkable
class CRM(ContactSystem, Protocol):
    """Contacts and their notes (Less Annoying CRM)."""

    def create_note(self, contact_id: str, text: str) -> str:
        """Add a note; returns its id."""

    def list_notes(self, contact_id: str) -> list[dict]:
        """The contact's notes as ``{"id": …, "text": …}``."""

    def get_note(self, note_id: str) -> dict | None:
        """One note as ``{"id", "contact_id", "text", …}``; None when it is gone."""

    def notes_between(self, start: datetime, end: datetime) -> list[dict]:
        """Every note displayed between the two moments (one paged read, not one per note)."""

    def delete_note(self, note_id: str) -> bool:
        """Delete a note; False when it was gone already."""
