"""What undo needs of Update Invoice Summaries: the notes a run posted, and what to forget
once one is deleted (registered with ``sync.undo.sources`` in ``summaries.registration``)."""

from __future__ import annotations

from summaries.models import ContactSummaryState, SummaryNote
from sync.undo.plan import NotePosted


def notes_of(run) -> list[NotePosted]:
    """The notes ``run`` posted (``SummaryNote`` rows record each with its text)."""
    notes = SummaryNote.objects.for_workspace(run.workspace).filter(run=run).order_by("posted_at")
    names = dict(
        run.log_entries.filter(outcome="note_added").values_list("record_id", "record_name")
    )
    return [
        NotePosted(
            note_id=note.note_id,
            contact_id=note.lacrm_id,
            text=note.text,
            name=names.get(note.lacrm_id, ""),
        )
        for note in notes
    ]


def forget(workspace, note_id: str) -> None:
    """A deleted note no longer holds back the next summary (the 24 h throttle, "unchanged")."""
    ContactSummaryState.objects.for_workspace(workspace).filter(last_note_id=note_id).update(
        last_posted_at=None, last_note_id="", last_fingerprint=""
    )
    SummaryNote.objects.for_workspace(workspace).filter(note_id=note_id).delete()
