"""The note functions of the API: CreateNote, GetNote, EditNote, DeleteNote and the note lists.

Notes are plain text, stored exactly as sent: LACRM escapes HTML when it shows a note and keeps
newlines, so the sandbox keeps the text untouched for clients to read back.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from integrations.sandbox.lacrm.contacts import contact_by_id, iso, page_of, parse_moment, user_meta
from integrations.sandbox.lacrm.fields import ApiError
from integrations.sandbox.lacrm.models import SandboxLacrmAccount, SandboxLacrmNote


def _note_text(params: dict[str, Any]) -> str:
    note = params.get("Note")
    if not isinstance(note, str) or not note.strip():
        raise ApiError('Missing required parameter "Note".')
    return note


def _note_by_id(account: SandboxLacrmAccount, params: dict[str, Any]) -> SandboxLacrmNote:
    note_id = params.get("NoteId")
    if not note_id:
        raise ApiError('Missing required parameter "NoteId".')
    note = (
        SandboxLacrmNote.objects.filter(account=account, uid=str(note_id))
        .select_related("contact")
        .first()
    )
    if note is None:
        raise ApiError(f"No note with NoteId {note_id} exists in this account.")
    return note


def serialize(note: SandboxLacrmNote, account: SandboxLacrmAccount) -> dict[str, Any]:
    tz = ZoneInfo(account.timezone)
    contact = note.contact
    return {
        "NoteId": note.uid,
        "ContactId": contact.uid,
        "UserId": note.user_id,
        "DateCreated": iso(note.created_at, tz),
        "DateDisplayedInHistory": iso(note.displayed_at, tz),
        "Note": note.text,
        "IsRichText": False,
        "ContactMetaData": {
            "ContactId": contact.uid,
            "IsCompany": contact.is_company,
            "Name": str(contact),
        },
        "UserMetaData": user_meta(account),
        "PipelineInfo": None,
    }


def create_note(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """CreateNote: the contact must exist; returns ``{"NoteId": uid}``."""
    contact = contact_by_id(account, params)
    text = _note_text(params)
    now = timezone.now()
    displayed = now
    if params.get("DateDisplayedInHistory"):
        displayed = parse_moment(
            params["DateDisplayedInHistory"], "DateDisplayedInHistory", ZoneInfo(account.timezone)
        )
    note = SandboxLacrmNote.objects.create(
        account=account,
        contact=contact,
        user_id=account.user_id,
        text=text,
        displayed_at=displayed,
        created_at=now,
        updated_at=now,
    )
    return {"NoteId": note.uid}, 1


def get_note(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """GetNote: one note by ``NoteId``."""
    return serialize(_note_by_id(account, params), account), 1


def edit_note(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """EditNote: overwrite the text and/or the displayed date; returns an empty body."""
    note = _note_by_id(account, params)
    if "Note" in params:
        note.text = _note_text(params)
    if params.get("DateDisplayedInHistory"):
        note.displayed_at = parse_moment(
            params["DateDisplayedInHistory"], "DateDisplayedInHistory", ZoneInfo(account.timezone)
        )
    note.updated_at = timezone.now()
    note.save()
    return None, 1


def delete_note(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """DeleteNote: returns an empty body."""
    _note_by_id(account, params).delete()
    return None, 1


def _paged(account: SandboxLacrmAccount, notes, params: dict[str, Any]) -> tuple[Any, int]:
    direction = params.get("SortDirection") or "Descending"
    order = ("-displayed_at", "-id") if direction == "Descending" else ("displayed_at", "id")
    results, more = page_of(notes.select_related("contact").order_by(*order), params)
    payload = {"HasMoreResults": more, "Results": [serialize(n, account) for n in results]}
    return payload, len(results)


def notes_attached_to_contact(
    account: SandboxLacrmAccount, params: dict[str, Any]
) -> tuple[Any, int]:
    """GetNotesAttachedToContact: a contact's notes, newest first, in the paged shape."""
    contact = contact_by_id(account, params)
    return _paged(account, SandboxLacrmNote.objects.filter(contact=contact), params)


def get_notes(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """GetNotes: every note of the account, optionally between two dates."""
    tz = ZoneInfo(account.timezone)
    notes = SandboxLacrmNote.objects.filter(account=account)
    if params.get("DateFilterStart"):
        start = parse_moment(params["DateFilterStart"], "DateFilterStart", tz)
        notes = notes.filter(displayed_at__gte=start)
    if params.get("DateFilterEnd"):
        notes = notes.filter(displayed_at__lte=parse_moment(params["DateFilterEnd"], "End", tz))
    return _paged(account, notes, params)
