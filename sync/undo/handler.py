"""The ``undo`` run kind: take back what a run wrote, in batches of 20, outbox-safe.

Planning reads the run's writes and both systems (``sync.undo.gather``), logs what is left
alone, and lists one work item per step. Each batch re-reads its records and decides every
step again right before acting (a record edited since the plan is left alone). Before a step's
call its intent is committed on the work item (``attempted``); the call, then one transaction
with the ledger change, the log entry, the counters and the item marked done. A worker killed
in between leaves the item pending with its intent: the retry sees the record already gone or
inactive and only finishes the bookkeeping. Deletes and inactivations are idempotent, so
sending one again is harmless.
"""

from __future__ import annotations

import logging

from django.db import transaction

from integrations import registry
from integrations.errors import IntegrationError, NotFound, StaleObject
from integrations.records import LACRM, QBO, SYSTEM_NAMES
from sync.fields import rules
from sync.fields.rules import FieldChange
from sync.models import ContactLink, SyncRun, SyncWorkItem
from sync.runs import BatchContext, StopRun, bump, log_entries, log_entry
from sync.undo import gather, sources
from sync.undo.models import RunUndo
from sync.undo.plan import (
    DELETE_NOTE,
    RESTORE,
    RETIRE,
    UNLINK,
    Creation,
    FieldWrite,
    NotePosted,
    Step,
    UndoPlan,
    decide_creation,
    decide_fields,
    decide_note,
    restore_reason,
)

logger = logging.getLogger(__name__)

CHANGED_WHILE_UNDOING = "Changed in {system} while the undo ran, so it was left alone"


def _entry(step: Step, outcome: str, reason: str, **extra) -> dict:
    return {
        "outcome": outcome,
        "system": step.system,
        "record_id": step.record_id,
        "record_name": step.name[:500],
        "record_email": step.email[:254],
        "target_id": step.target[:64],
        "reason": reason,
        **extra,
    }


def original_of(run: SyncRun) -> SyncRun:
    undo = RunUndo.objects.for_workspace(run.workspace).filter(undo_run=run).first()
    if undo is None:
        raise StopRun("This undo run does not say which run it undoes.")
    return undo.original


class UndoHandler:
    """The ``undo`` run kind."""

    def pull(self, run: SyncRun, ctx: BatchContext) -> UndoPlan:
        plan = gather.plan_undo(original_of(run), undo_run=run)
        ctx.heartbeat()
        return plan

    def write_plan(self, run: SyncRun, plan: UndoPlan) -> None:
        items, entries = [], []
        for step in plan.steps:
            if step.acts:
                items.append(
                    SyncWorkItem(
                        run=run,
                        seq=len(items),
                        action=step.action,
                        source_id=step.record_id[:64],
                        payload=step.to_dict(),
                    )
                )
            elif step.left_alone:
                entries.append(_entry(step, "edited_since", step.left_alone))
            else:
                entries.append(_entry(step, "already_undone", step.already))
        SyncWorkItem.objects.bulk_create(items, batch_size=1000)
        if not plan.steps:
            entries.append({"outcome": "unchanged", "reason": "The run wrote nothing to undo."})
        left = sum(1 for e in entries if e["outcome"] == "edited_since")
        already = sum(1 for e in entries if e["outcome"] == "already_undone")
        log_entries(run, entries, total=len(items), skipped=left, already_matched=already)

    # --- batches ----------------------------------------------------------------------------

    def process(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        steps = [(item, Step.from_dict(item.payload)) for item in items]
        wanted: dict[str, set[str]] = {QBO: set(), LACRM: set()}
        for _, step in steps:
            if step.action in (RETIRE, RESTORE):
                wanted[step.system].add(step.record_id)
        records = gather.read_records(run.workspace, wanted)
        made_in_crm = [s.record_id for _, s in steps if s.action == RETIRE and s.system == LACRM]
        self._noted = gather.contacts_with_notes(run.workspace, original_of(run), made_in_crm)
        for item, step in steps:
            if ctx.should_stop():
                return
            try:
                self._do(run, item, step, records)
            except IntegrationError as exc:
                if exc.connection_level:
                    raise
                self._failed(run, item, step, exc)

    def _do(self, run: SyncRun, item: SyncWorkItem, step: Step, records: dict) -> None:
        attempted = bool(item.payload.get("attempted"))
        if step.action == RETIRE:
            creation = Creation(**step.detail["creation"])
            now = records.get((step.system, step.record_id))
            fresh = decide_creation(
                creation, now, attempted=attempted, has_notes=step.record_id in self._noted
            )
            fresh.detail["link_id"] = step.detail.get("link_id", "")
            self._retire(run, item, fresh, now, attempted)
        elif step.action == UNLINK:
            self._unlink(run, item, step)
        elif step.action == DELETE_NOTE:
            self._delete_note(run, item, step, attempted)
        elif step.action == RESTORE:
            now = records.get((step.system, step.record_id))
            self._restore(run, item, step, now, attempted)

    def _unlink(self, run, item, step: Step) -> None:
        """Remove a match the run linked, if the ledger still holds it as the run made it."""
        row = (
            ContactLink.objects.for_workspace(run.workspace)
            .filter(pk=step.detail.get("link_id"), qbo_id=step.record_id, lacrm_id=step.target)
            .first()
        )
        if row is None:
            self._finish(run, item, step, "already_undone", "Already unlinked", unlink=False)
        elif row.state != ContactLink.State.LINKED or row.method == ContactLink.Method.MANUAL:
            reason = "Linked again since (by hand or by another run)"
            self._finish(run, item, step, "edited_since", reason, unlink=False)
        else:
            reason = f"Unlinked from Less Annoying CRM contact {step.target}; both records stay"
            self._finish(run, item, step, "link_removed", reason)

    def _intend(self, item: SyncWorkItem) -> None:
        """Commit the intent before the call (the outbox rule for undo)."""
        item.payload = {**item.payload, "attempted": True}
        SyncWorkItem.objects.filter(pk=item.pk).update(payload=item.payload)

    def _retire(self, run, item, step: Step, now, attempted: bool) -> None:
        system = SYSTEM_NAMES[step.system]
        if step.left_alone:
            self._finish(run, item, step, "edited_since", step.left_alone, unlink=False)
            return
        client = registry.client(run.workspace, step.system)
        sent = False
        if step.calls:
            self._intend(item)
            try:
                sent = client.retire_contact(now)
            except StaleObject:
                reason = CHANGED_WHILE_UNDOING.format(system=system)
                self._finish(run, item, step, "edited_since", reason, unlink=False)
                return
            except NotFound:
                sent = False
        deleted = client.retires_by == "delete"
        if sent or attempted:
            done = "Deleted in" if deleted else "Made inactive in"
            reason = f"{done} {system}"
            if not sent:
                reason += " (confirmed after an interruption)"
            outcome = "undo_deleted" if deleted else "made_inactive"
        else:
            reason, outcome = step.already or f"Already gone from {system}", "already_undone"
        if step.detail.get("link_id"):
            reason += "; its link was removed"
        if not deleted and outcome == "made_inactive":
            reason += " (QuickBooks cannot delete customers)"
        self._finish(run, item, step, outcome, reason)

    def _delete_note(self, run, item, step: Step, attempted: bool) -> None:
        crm = registry.crm(run.workspace)
        note_id = step.detail["note_id"]
        fresh = decide_note(_note_of(step), crm.get_note(note_id))
        if fresh.left_alone:
            self._finish(run, item, step, "edited_since", fresh.left_alone)
            return
        if fresh.calls:
            self._intend(item)
            crm.delete_note(note_id)
            outcome, reason = "note_deleted", f"Note {note_id} deleted"
        elif attempted:
            outcome, reason = "note_deleted", f"Note {note_id} deleted (confirmed after a retry)"
        else:
            outcome, reason = "already_undone", fresh.already
        source = sources.for_kind(original_of(run).kind)
        with transaction.atomic():
            if source is not None:
                source.forget(run.workspace, note_id)
            self._finish(run, item, step, outcome, reason)

    def _restore(self, run, item, step: Step, now, attempted: bool) -> None:
        changes = tuple(step.detail.get("changes") or ())
        write = FieldWrite(step.system, step.record_id, step.name, step.email, changes)
        fresh = decide_fields(write, now)
        if fresh.left_alone:
            self._finish(run, item, fresh, "edited_since", fresh.left_alone)
            return
        if not fresh.calls:
            if attempted:
                reason = "Restored the previous values (confirmed after an interruption)"
                self._finish(run, item, fresh, "restored", reason)
            else:
                self._finish(run, item, fresh, "already_undone", fresh.already)
            return
        back = [
            FieldChange(field=c["field"], target=step.system, old=c["new"], new=c["old"])
            for c in fresh.detail["restore"]
        ]
        self._intend(item)
        client = registry.client(run.workspace, step.system)
        if step.system == QBO:
            client.update_contact(
                step.record_id, rules.qbo_changes(back), getattr(now, "sync_token", "")
            )
        else:
            client.update_contact(step.record_id, rules.lacrm_fields(now, back))
        self._finish(run, item, fresh, "restored", restore_reason(fresh))

    def _failed(self, run, item, step: Step, error: IntegrationError) -> None:
        reason = (
            f"{str(error).rstrip('.') or type(error).__name__}. Nothing was left half-done; "
            "undo the run again to retry it."
        )
        self._finish(run, item, step, "failed", reason, unlink=False, error_code=error.code[:40])

    def _finish(
        self, run, item, step: Step, outcome: str, reason: str, *, unlink=True, **extra
    ) -> None:
        """Log the step, remove its link, mark its item done and move the counters: at once."""
        counter = {
            "undo_deleted": "created_in_lacrm",
            "made_inactive": "created_in_qbo",
            "link_removed": "matched",
            "note_deleted": "notes_added",
            "restored": "updated",
            "edited_since": "skipped",
            "already_undone": "already_matched",
            "failed": "failed",
        }[outcome]
        with transaction.atomic():
            link_id = step.detail.get("link_id") if unlink else ""
            if link_id:
                ContactLink.objects.for_workspace(run.workspace).filter(
                    pk=link_id, state=ContactLink.State.LINKED
                ).delete()
            fields = _entry(step, outcome, reason, **extra)
            del fields["outcome"]
            log_entry(run, outcome, **fields)
            SyncWorkItem.objects.filter(pk=item.pk).update(state=SyncWorkItem.State.DONE)
            bump(run, processed=1, **{counter: 1})
        logger.info("undo run %s: %s %s:%s", run.id, outcome, step.system, step.record_id)


def _note_of(step: Step) -> NotePosted:
    return NotePosted(step.detail["note_id"], step.record_id, step.detail["text"], step.name)
