"""Undo a run, reading part: what the run recorded it wrote, and the records as they are now.

Nothing new is recorded at write time for creations, links and field updates: a run's
"created" log entries name the record made (``target_id``) and its work items hold the record
as written; its "matched" entries and the ledger say which links it made; its ``update_pair``
work items carry each copied field's old and new value, and its "updated" entries say which
side was written. Notes come from the app that posts them (``sync.undo.sources``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from integrations import registry
from integrations.records import LACRM, QBO, ContactRecord
from sync.fields.plan import PairUpdate
from sync.models import ContactLink, SyncLogEntry, SyncRun, SyncWorkItem
from sync.undo import sources
from sync.undo.models import RunUndo
from sync.undo.plan import Creation, FieldWrite, LinkMade, UndoPlan, Written, decide

OTHER = {QBO: LACRM, LACRM: QBO}
CREATE_ACTION = {
    LACRM: SyncWorkItem.Action.CREATE_IN_LACRM,
    QBO: SyncWorkItem.Action.CREATE_IN_QBO,
}
# The outcomes of undo steps that were carried out (their entries name the step).
DONE_OUTCOMES = ("undo_deleted", "made_inactive", "link_removed", "note_deleted", "restored")
# Notes are looked for in the run's time window, widened by this on both sides.
NOTE_WINDOW = timedelta(minutes=5)
LEDGER_CHANGED = "Linked differently since (by hand or by another run)"


def _entries(run: SyncRun, outcome: str):
    return SyncLogEntry.objects.for_workspace(run.workspace).filter(run=run, outcome=outcome)


class _Ledger:
    """The workspace's ledger rows by QuickBooks id, by LACRM id and by pair (one query)."""

    def __init__(self, workspace) -> None:
        rows = list(
            ContactLink.objects.for_workspace(workspace).only(
                "id",
                "qbo_id",
                "lacrm_id",
                "state",
                "method",
                "created_in_qbo",
                "created_in_lacrm",
                "linked_at",
            )
        )
        self.by = {
            QBO: {r.qbo_id: r for r in rows if r.qbo_id},
            LACRM: {r.lacrm_id: r for r in rows if r.lacrm_id},
        }

    def holding(self, system: str, record_id: str) -> ContactLink | None:
        return self.by[system].get(record_id)

    def pair(self, qbo_id: str, lacrm_id: str) -> ContactLink | None:
        row = self.by[QBO].get(qbo_id)
        return row if row is not None and row.lacrm_id == lacrm_id else None


def _creations(run: SyncRun, ledger: _Ledger) -> list[Creation]:
    entries = list(_entries(run, "created").exclude(target_id=""))
    payloads = {
        (item.action, item.source_id): item.payload
        for item in SyncWorkItem.objects.filter(
            run=run, action__in=list(CREATE_ACTION.values())
        ).only("action", "source_id", "payload")
    }
    found = []
    for entry in entries:
        target = OTHER.get(entry.system)
        if target is None:
            continue
        link = ledger.holding(target, entry.target_id)
        changed = ""
        if link is not None and (
            link.method != ContactLink.Method.CREATED
            or not getattr(link, f"created_in_{target}")
            or getattr(link, f"{entry.system}_id") != entry.record_id
        ):
            changed = LEDGER_CHANGED
        found.append(
            Creation(
                system=target,
                record_id=entry.target_id,
                source_system=entry.system,
                source_id=entry.record_id,
                name=entry.record_name,
                email=entry.record_email,
                wrote=payloads.get((CREATE_ACTION[target], entry.record_id), {}),
                link_id=str(link.pk) if link is not None and not changed else "",
                ledger_changed=changed,
            )
        )
    return found


def _links(run: SyncRun, ledger: _Ledger) -> list[LinkMade]:
    found = []
    for entry in _entries(run, "matched").exclude(target_id=""):
        qbo_id, lacrm_id = (
            (entry.record_id, entry.target_id)
            if entry.system == QBO
            else (entry.target_id, entry.record_id)
        )
        link = ledger.pair(qbo_id, lacrm_id)
        changed = ""
        if link is not None and (
            link.state != ContactLink.State.LINKED
            or link.method in (ContactLink.Method.MANUAL, ContactLink.Method.CREATED)
            or (run.finished_at and link.linked_at and link.linked_at > run.finished_at)
        ):
            changed = "Linked again since (by hand or by another run)"
        found.append(
            LinkMade(
                link_id=str(link.pk) if link is not None and not changed else "",
                qbo_id=qbo_id,
                lacrm_id=lacrm_id,
                name=entry.record_name,
                email=entry.record_email,
                ledger_changed=changed,
            )
        )
    return found


def _field_writes(run: SyncRun) -> list[FieldWrite]:
    written = set(_entries(run, "updated").values_list("system", "record_id"))
    found = []
    items = SyncWorkItem.objects.filter(
        run=run, action=SyncWorkItem.Action.UPDATE_PAIR, state=SyncWorkItem.State.DONE
    ).order_by("seq")
    for item in items:
        update = PairUpdate.from_dict(item.payload)
        for target in (QBO, LACRM):
            changes = update.changes_for(target)
            if not changes or (target, update.record_id(target)) not in written:
                continue
            found.append(
                FieldWrite(
                    system=target,
                    record_id=update.record_id(target),
                    name=update.names.get(target, ""),
                    email=update.emails.get(target, ""),
                    changes=tuple({"field": c.field, "old": c.old, "new": c.new} for c in changes),
                )
            )
    return found


def written_by(run: SyncRun) -> Written:
    """Everything ``run`` recorded that it wrote to either system or the ledger."""
    source = sources.for_kind(run.kind)
    ledger = _Ledger(run.workspace)
    return Written(
        creations=tuple(_creations(run, ledger)),
        links=tuple(_links(run, ledger)),
        notes=tuple(source.notes_of(run)) if source else (),
        fields=tuple(_field_writes(run)),
    )


def read_records(workspace, wanted: dict[str, set[str]]) -> dict[tuple[str, str], ContactRecord]:
    """The records with these ids per system as they are now (missing ones are gone)."""
    records: dict[tuple[str, str], ContactRecord] = {}
    for system, ids in wanted.items():
        if ids:
            for record in registry.client(workspace, system).get_contacts(sorted(ids)):
                records[(system, record.id)] = record
    return records


def read_notes(workspace, run: SyncRun, notes) -> dict[str, dict]:
    """The notes as they are now, by id: one paged read of the run's time window, then one
    read for each note not found there (its date was changed, or it is gone)."""
    if not notes:
        return {}
    crm = registry.crm(workspace)
    found: dict[str, dict] = {}
    if run.started_at:
        end = (run.finished_at or timezone.now()) + NOTE_WINDOW
        wanted = {note.note_id for note in notes}
        for note in crm.notes_between(run.started_at - NOTE_WINDOW, end):
            if note["id"] in wanted:
                found[note["id"]] = note
    for note in notes:
        if note.note_id not in found:
            now = crm.get_note(note.note_id)
            if now is not None:
                found[note.note_id] = now
    return found


def contacts_with_notes(workspace, run: SyncRun, contact_ids) -> frozenset[str]:
    """Which of the LACRM contacts have notes displayed since ``run`` started (one paged read):
    a contact the run created that has notes now is not deleted with them."""
    ids = set(contact_ids)
    if not ids or not run.started_at:
        return frozenset()
    since = registry.crm(workspace).notes_between(
        run.started_at - NOTE_WINDOW, timezone.now() + NOTE_WINDOW
    )
    return frozenset(n["contact_id"] for n in since if n["contact_id"] in ids)


def read_now(run: SyncRun, written: Written) -> tuple[dict, dict]:
    """The records and notes ``written`` touched, as they are now."""
    wanted: dict[str, set[str]] = {QBO: set(), LACRM: set()}
    for item in (*written.creations, *written.fields):
        wanted[item.system].add(item.record_id)
    records = read_records(run.workspace, wanted)
    return records, read_notes(run.workspace, run, written.notes)


def done_before(original: SyncRun, *, besides: SyncRun | None = None) -> frozenset:
    """The steps earlier undo runs of ``original`` carried out (``Step.key``)."""
    undo_runs = RunUndo.objects.for_workspace(original.workspace).filter(original=original)
    if besides is not None:
        undo_runs = undo_runs.exclude(undo_run=besides)
    entries = SyncLogEntry.objects.for_workspace(original.workspace).filter(
        run__in=undo_runs.values("undo_run"), outcome__in=DONE_OUTCOMES
    )
    return frozenset(entries.values_list("system", "record_id", "target_id"))


def plan_undo(original: SyncRun, *, undo_run: SyncRun | None = None) -> UndoPlan:
    """The reverse of ``original`` as things stand now (reads both systems, writes nothing)."""
    written = written_by(original)
    if written.is_empty:
        return UndoPlan()
    records, notes = read_now(original, written)
    made_in_crm = [c.record_id for c in written.creations if c.system == LACRM]
    noted = contacts_with_notes(original.workspace, original, made_in_crm)
    return decide(written, records, notes, done_before(original, besides=undo_run), noted)
