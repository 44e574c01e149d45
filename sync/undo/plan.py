"""Undo a run, deciding part: what the run wrote, and what of it may be taken back now (pure).

A run's writes are read back from what it recorded (``sync.undo.gather``): the records it
created (its "created" log entries), the links it made ("matched" entries and the ledger), the
notes it posted (registered note sources, ``sync.undo.sources``) and the field values it copied
(its ``update_pair`` work items with their old and new values). ``decide`` compares each with
the record as it is *now* and says whether it is untouched (then it is undone) or edited since
(then it is left alone, with the reason). The same functions decide the preview, the plan of
the undo run and, once more, each item right before its call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import timedelta

from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord
from sync.fields.values import LABELS, display, field_key, read_value

# Work item actions of an undo run.
RETIRE = "undo_create"
UNLINK = "undo_link"
DELETE_NOTE = "undo_note"
RESTORE = "undo_fields"

# A record written less than this after it was made counts as untouched (one system clock,
# the record's own, on both sides of the comparison).
SAME_MOMENT = timedelta(seconds=1)


@dataclass(frozen=True)
class Creation:
    """A record the run created in ``system`` (from ``source_system``'s record)."""

    system: str
    record_id: str
    source_system: str
    source_id: str
    name: str
    email: str
    # The source record as the run wrote it (``record_to_dict``), for the contents check.
    wrote: dict = field(default_factory=dict)
    # The ledger row that links it as the run's creation; "" when the ledger changed since.
    link_id: str = ""
    # Why the ledger no longer holds it as the run left it ("" when it does).
    ledger_changed: str = ""


@dataclass(frozen=True)
class LinkMade:
    """A match the run linked (no record was written)."""

    link_id: str
    qbo_id: str
    lacrm_id: str
    name: str
    email: str
    # Why the link is no longer as the run made it ("" when it is).
    ledger_changed: str = ""


@dataclass(frozen=True)
class NotePosted:
    note_id: str
    contact_id: str
    text: str
    name: str


@dataclass(frozen=True)
class FieldWrite:
    """The values a run copied into one record: ``changes`` are ``{field, old, new}``."""

    system: str
    record_id: str
    name: str
    email: str
    changes: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Written:
    """Everything one run wrote that an undo can take back."""

    creations: tuple[Creation, ...] = ()
    links: tuple[LinkMade, ...] = ()
    notes: tuple[NotePosted, ...] = ()
    fields: tuple[FieldWrite, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.creations or self.links or self.notes or self.fields)


@dataclass
class Step:
    """One thing the undo does (``action``), or leaves alone (``left_alone`` says why)."""

    action: str
    system: str
    record_id: str
    name: str
    email: str = ""
    # The other id the log entry carries: the source record, the LACRM contact of a link, the
    # note; with ``system`` and ``record_id`` it names the step across undo runs.
    target: str = ""
    left_alone: str = ""
    # Already as the undo would leave it (gone, inactive, restored): nothing to send.
    already: str = ""
    detail: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.system, self.record_id, self.target)

    @property
    def calls(self) -> bool:
        """True when the step sends something to a system."""
        return not self.left_alone and not self.already

    @property
    def acts(self) -> bool:
        """True when the step changes anything: a call, or a link to remove."""
        return self.calls or (not self.left_alone and bool(self.detail.get("link_id")))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Step:
        """Rebuild a step from a work item's payload (which also holds its ``attempted`` mark)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class UndoPlan:
    steps: list[Step] = field(default_factory=list)

    def _acting(self, action: str, system: str = "") -> list[Step]:
        return [
            s for s in self.steps if s.action == action and s.calls and system in ("", s.system)
        ]

    @property
    def will_delete_lacrm(self) -> list[Step]:
        return self._acting(RETIRE, LACRM)

    @property
    def will_deactivate_qbo(self) -> list[Step]:
        return self._acting(RETIRE, QBO)

    @property
    def will_unlink(self) -> list[Step]:
        """Every link the undo removes: the matches, and the creations' links."""
        return [
            s
            for s in self.steps
            if s.action in (RETIRE, UNLINK) and s.acts and s.detail.get("link_id")
        ]

    @property
    def will_delete_notes(self) -> list[Step]:
        return self._acting(DELETE_NOTE)

    @property
    def will_restore(self) -> list[Step]:
        return self._acting(RESTORE)

    @property
    def left_alone(self) -> list[Step]:
        return [s for s in self.steps if s.left_alone]

    @property
    def already_undone(self) -> list[Step]:
        return [s for s in self.steps if s.already and not s.left_alone and not s.acts]

    @property
    def acting(self) -> list[Step]:
        return [s for s in self.steps if s.acts]

    def counts(self) -> dict[str, int]:
        return {
            "delete_lacrm": len(self.will_delete_lacrm),
            "deactivate_qbo": len(self.will_deactivate_qbo),
            "unlink": len(self.will_unlink),
            "delete_notes": len(self.will_delete_notes),
            "restore": len(self.will_restore),
            "left_alone": len(self.left_alone),
            "already": len(self.already_undone),
        }


# --- Has anyone edited it since? ------------------------------------------------------------------


def _same_text(now: str, wrote: str) -> bool:
    """Equal ignoring case and spaces; a value the system cut to its limit counts as equal."""
    now, wrote = " ".join(now.split()).casefold(), " ".join(wrote.split()).casefold()
    return now == wrote or (bool(now) and wrote.startswith(now))


def edited_since_created(record: ContactRecord, wrote: dict) -> str:
    """Why ``record`` (made by the run from ``wrote``) counts as edited since; "" if untouched.

    Versions first (QuickBooks' SyncToken is "0" until the first change), then the record's own
    created and last-updated times, then the contents the run wrote: names and email.
    """
    system = SYSTEM_NAMES[record.system]
    if record.sync_token not in ("", "0"):
        return f"Changed in {system} since it was created (version {record.sync_token})"
    if (
        record.created_at
        and record.updated_at
        and record.updated_at - record.created_at > (SAME_MOMENT)
    ):
        when = record.updated_at.strftime("%Y-%m-%d %H:%M")
        return f"Edited in {system} since it was created (last updated {when})"
    if record.system == QBO and not record.active:
        return f"Made inactive in {system} since it was created"
    for attr, label in (
        ("first_name", "first name"),
        ("last_name", "last name"),
        ("company_name", "company"),
    ):
        if not _same_text(getattr(record, attr), wrote.get(attr) or ""):
            return f"Its {label} was changed in {system} since it was created"
    emails = [e for e in wrote.get("emails") or () if e]
    if emails and record.primary_email.strip().casefold() != emails[0].strip().casefold():
        return f"Its email was changed in {system} since it was created"
    return ""


def decide_creation(
    creation: Creation,
    now: ContactRecord | None,
    *,
    attempted: bool = False,
    has_notes: bool = False,
) -> Step:
    """Retire (delete / make inactive) an untouched record and remove its link.

    ``attempted``: an earlier try of this very step may have been sent (its intent was
    recorded), so a record gone or inactive now is our own doing, not an edit. ``has_notes``:
    notes were added to it since; deleting the contact would delete them, so it stays.
    """
    step = Step(
        RETIRE,
        creation.system,
        creation.record_id,
        creation.name,
        creation.email,
        target=creation.source_id,
        detail={"link_id": creation.link_id, "creation": asdict(creation)},
    )
    system = SYSTEM_NAMES[creation.system]
    if creation.ledger_changed:
        step.left_alone = creation.ledger_changed
    elif now is None:
        step.already = f"Already deleted in {system}"
    elif attempted and creation.system == QBO and not now.active:
        step.already = f"Already inactive in {system}"
    else:
        step.left_alone = edited_since_created(now, creation.wrote)
        if not step.left_alone and has_notes and creation.system == LACRM:
            step.left_alone = (
                f"Notes were added to it in {system} since it was created (deleting it would "
                "delete them)"
            )
    return step


def decide_link(link: LinkMade) -> Step:
    step = Step(
        UNLINK,
        QBO,
        link.qbo_id,
        link.name,
        link.email,
        target=link.lacrm_id,
        detail={"link_id": link.link_id},
    )
    if not link.link_id:
        step.already = "Already unlinked"
    step.left_alone = link.ledger_changed
    return step


def decide_note(note: NotePosted, now: dict | None) -> Step:
    step = Step(
        DELETE_NOTE,
        LACRM,
        note.contact_id,
        note.name,
        target=note.note_id,
        detail={"note_id": note.note_id, "text": note.text},
    )
    if now is None:
        step.already = "The note is already deleted"
    elif (now.get("text") or "").strip() != note.text.strip():
        step.left_alone = "The note was edited since it was posted"
    return step


def decide_fields(write: FieldWrite, now: ContactRecord | None) -> Step:
    """Restore each field that still holds what the run wrote; the rest is left alone."""
    step = Step(RESTORE, write.system, write.record_id, write.name, write.email, target="fields")
    step.detail = {"changes": list(write.changes)}
    system = SYSTEM_NAMES[write.system]
    if now is None:
        step.left_alone = f"The record is no longer in {system}"
        return step
    restore, edited, restored, kept = [], [], [], []
    for change in write.changes:
        name, current = change["field"], read_value(now, change["field"])
        key = field_key(name, current)
        if key == field_key(name, change["new"]) and not field_key(name, change["old"]):
            # Undo does not blank a field the run filled: nobody's value is lost by keeping it.
            kept.append(LABELS[name])
        elif key == field_key(name, change["new"]):
            restore.append(change)
        elif key == field_key(name, change["old"]):
            restored.append(change)
        else:
            edited.append(f"{LABELS[name]} (now {display(name, current) or 'empty'})")
    step.detail = {
        "changes": list(write.changes),
        "restore": restore,
        "edited": edited,
        "kept": kept,
    }
    if not restore:
        if edited:
            step.left_alone = f"Edited in {system} since: " + ", ".join(edited)
        elif kept:
            step.left_alone = (
                "Empty before the run, so kept (undo never blanks a field): " + ", ".join(kept)
            )
        else:
            step.already = "The previous values are back already"
    return step


def restore_reason(step: Step) -> str:
    parts = [
        f"{LABELS[c['field']]}: {display(c['field'], c['new']) or 'empty'} → "
        f"{display(c['field'], c['old']) or 'empty'}"
        for c in step.detail.get("restore", ())
    ]
    reason = "Restored " + "; ".join(parts)
    if step.detail.get("edited"):
        reason += ". Left alone (edited since): " + ", ".join(step.detail["edited"])
    if step.detail.get("kept"):
        reason += ". Kept (empty before the run): " + ", ".join(step.detail["kept"])
    return reason


UNDONE_BEFORE = "Undone already by an earlier undo of this run"


def decide(
    written: Written,
    records: dict[tuple[str, str], ContactRecord],
    notes: dict[str, dict],
    done_before: frozenset[tuple[str, str, str]] = frozenset(),
    noted: frozenset[str] = frozenset(),
) -> UndoPlan:
    """The reverse of ``written`` given the records (by ``(system, id)``) and notes as they are
    now; a record or note missing from the maps is gone. ``done_before`` holds the keys of the
    steps an earlier undo of the same run finished: those are not done twice; ``noted`` the
    LACRM contacts that have notes added since the run."""
    plan = UndoPlan()
    steps = [
        *(
            decide_creation(c, records.get((c.system, c.record_id)), has_notes=c.record_id in noted)
            for c in written.creations
        ),
        *(decide_link(link) for link in written.links),
        *(decide_note(note, notes.get(note.note_id)) for note in written.notes),
        *(decide_fields(w, records.get((w.system, w.record_id))) for w in written.fields),
    ]
    for step in steps:
        if step.key in done_before:
            step.left_alone, step.already = "", UNDONE_BEFORE
            step.detail = {**step.detail, "link_id": ""}
        plan.steps.append(step)
    return plan
