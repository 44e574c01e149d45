"""Which runs can be undone, and starting an undo (the one answer to "can this run be undone?")."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from sync import runs
from sync.models import SyncRun
from sync.undo import sources
from sync.undo.models import RunUndo
from sync.undo.registration import KIND

FINISHED = (SyncRun.Status.COMPLETED, SyncRun.Status.STOPPED, SyncRun.Status.FAILED)


class UndoRefused(Exception):
    """The run cannot be undone now; the message says why."""


def undoable_kinds() -> set[str]:
    return {SyncRun.Kind.CONTACTS, SyncRun.Kind.FIELD_UPDATES, *sources.undoable_kinds()}


@dataclass(frozen=True)
class UndoState:
    """How a run stands with undo, for its page."""

    # The undo that completed (the run is undone), or the undo run in progress.
    undone_by: SyncRun | None = None
    in_progress: SyncRun | None = None
    # Why "Undo this run" is not offered ("" when it is); ``applies`` is False for kinds
    # that write nothing to take back (and for undo runs themselves).
    refused: str = ""
    applies: bool = True
    undoes: SyncRun | None = None
    earlier: tuple[SyncRun, ...] = ()

    @property
    def can_undo(self) -> bool:
        return self.applies and not self.refused


def is_undone(run: SyncRun) -> bool:
    return (
        RunUndo.objects.for_workspace(run.workspace)
        .filter(original=run, undo_run__status=SyncRun.Status.COMPLETED)
        .exists()
    )


def state_of(run: SyncRun) -> UndoState:
    undo_of = RunUndo.objects.for_workspace(run.workspace).filter(undo_run=run).first()
    if undo_of is not None:
        return UndoState(applies=False, undoes=undo_of.original)
    if run.kind not in undoable_kinds():
        return UndoState(applies=False)
    undo_runs = tuple(
        u.undo_run
        for u in RunUndo.objects.for_workspace(run.workspace)
        .filter(original=run)
        .select_related("undo_run")
    )
    done = next((r for r in undo_runs if r.status == SyncRun.Status.COMPLETED), None)
    if done is not None:
        return UndoState(undone_by=done, refused="This run is undone already", earlier=undo_runs)
    active = next((r for r in undo_runs if r.is_active), None)
    if active is not None:
        return UndoState(in_progress=active, refused="Its undo is in progress", earlier=undo_runs)
    if run.status not in FINISHED:
        return UndoState(refused="A run can be undone once it has finished or been stopped")
    return UndoState(earlier=undo_runs)


def blockers(run: SyncRun) -> list[str]:
    """Why an undo of ``run`` cannot start now ([] when it can)."""
    state = state_of(run)
    if not state.applies:
        return ["This kind of run wrote nothing that can be undone"]
    if state.refused:
        return [state.refused]
    return runs.start_blockers(run.workspace)


def start_undo(run: SyncRun, *, user=None) -> SyncRun:
    """Queue the undo run of ``run``; raises ``UndoRefused`` with the reason when it cannot."""
    with transaction.atomic():
        # One undo decision at a time per run: a double click waits here, then sees the first.
        SyncRun.objects.select_for_update().filter(pk=run.pk).first()
        problems = blockers(run)
        if problems:
            raise UndoRefused("; ".join(problems))
        undo_run, created = runs.start_run(run.workspace, KIND, user=user)
        if not created:
            raise UndoRefused(f"{undo_run.kind_label} is in progress")
        RunUndo.objects.create(workspace=run.workspace, original=run, undo_run=undo_run)
    return undo_run
