"""What undo asks of Less Annoying CRM: read records and notes back in bulk, delete them.

A mixin of ``LacrmClient`` (kept apart so the client stays one concern per file); every call
goes through the client's ``call``. Deletes are idempotent, so they are retried like reads, and
a record or note already gone is reported, not raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from integrations.errors import NotFound
from integrations.lacrm import mapping
from integrations.records import ContactRecord

PAGE_SIZE = 10000
IDS_PER_CALL = 500


class RemovalCalls:
    """Bulk reads and deletes for undo (``integrations.protocols.CRM``); the class it is mixed
    into supplies ``call(function, params)``."""

    def get_contacts(self, contact_ids: Sequence[str]) -> list[ContactRecord]:
        """The contacts with these ids that still exist (GetContactsById, 500 per call)."""
        ids = [str(i) for i in dict.fromkeys(contact_ids) if str(i)]
        records: list[ContactRecord] = []
        for start in range(0, len(ids), IDS_PER_CALL):
            chunk = ids[start : start + IDS_PER_CALL]
            data = self.call(
                "GetContactsById", {"ContactIds": chunk, "MaxNumberOfResults": IDS_PER_CALL}
            )
            records.extend(mapping.contact_to_record(c) for c in (data or {}).get("Results") or [])
        return records

    def delete_contact(self, contact_id: str) -> bool:
        """DeleteContact (which removes its notes too); False when it was already gone.

        Deleting is idempotent, so it is retried like a read.
        """
        try:
            self.call("DeleteContact", {"ContactId": str(contact_id)})
        except NotFound:
            return False
        return True

    def get_note(self, note_id: str) -> dict | None:
        """One note as ``{"id", "contact_id", "text", "created", "updated"}``; None when gone."""
        try:
            note = self.call("GetNote", {"NoteId": str(note_id)})
        except NotFound:
            return None
        note = note or {}
        return {
            "id": str(note.get("NoteId") or note_id),
            "contact_id": str(note.get("ContactId") or ""),
            "text": note.get("Note") or "",
            "created": note.get("DateCreated") or "",
            "updated": note.get("DateUpdated") or note.get("LastUpdate") or "",
        }

    def notes_between(self, start: datetime, end: datetime) -> list[dict]:
        """Every note of the account displayed between ``start`` and ``end`` (GetNotes, paged),
        as ``{"id", "contact_id", "text", "created"}``."""
        notes: list[dict] = []
        page = 1
        while True:
            data = self.call(
                "GetNotes",
                {
                    "DateFilterStart": start.isoformat(timespec="seconds"),
                    "DateFilterEnd": end.isoformat(timespec="seconds"),
                    "MaxNumberOfResults": PAGE_SIZE,
                    "Page": page,
                },
            )
            for note in (data or {}).get("Results") or []:
                notes.append(
                    {
                        "id": str(note.get("NoteId") or ""),
                        "contact_id": str(note.get("ContactId") or ""),
                        "text": note.get("Note") or "",
                        "created": note.get("DateCreated") or "",
                    }
                )
            if not (data or {}).get("HasMoreResults"):
                return notes
            page += 1

    def delete_note(self, note_id: str) -> bool:
        """DeleteNote; False when it was already gone (idempotent, retried like a read)."""
        try:
            self.call("DeleteNote", {"NoteId": str(note_id)})
        except NotFound:
            return False
        return True

    # What ``retire_contact`` does here: LACRM deletes.
    retires_by = "delete"

    def retire_contact(self, record: ContactRecord) -> bool:
        """Take away a contact LedgerLink created (undo): delete it. False when already gone."""
        return self.delete_contact(record.id)
