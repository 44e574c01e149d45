"""The change intake: where webhooks, CDC and polling hand over changed records.

``record_changes(workspace, system, changes, source)`` is the stable entry point:

- ``system``: what the ids are ids of — ``"qbo"`` (QuickBooks customers), ``"lacrm"`` (LACRM
  contacts) or ``"qbo_invoice"`` (QuickBooks invoices, whose customer's summary is refreshed);
- ``changes``: ``Change`` values (``integrations.changes``; re-exported here);
- ``source``: where they came from, e.g. ``"qbo_webhook"``, ``"qbo_cdc"``, ``"lacrm_webhook"``,
  ``"lacrm_poll"`` (at most 20 characters).

It stores the changes — a change with an ``event_id`` is stored once per (workspace, source,
event_id), so a redelivered event is a no-op — and, in a workspace set to keep in step
continuously, makes sure a ``changes`` run will apply them: it starts one — planning after the
changes window (``gather_for``), so a burst of changes shares one run and one QuickBooks read —
unless a run of that kind is queued and not yet planned (which will claim them when it plans)
or another run is active (then ``drain_pending``, on the beat, starts it afterwards).
Elsewhere the changes wait for the dashboard's *Apply changes*. It makes no API call, so a
webhook view answers at once.

Providers in ``integrations`` cannot import this module (``sync`` sits above them): they call
``integrations.changes.deliver``, whose sink ``sync.continuous.registration`` registers.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from integrations.changes import Change
from sync.continuous import budget
from sync.continuous.models import ChangeEvent, ContinuousState
from sync.models import SyncRun, SyncSettings
from sync.runs import active_run, connection_problems, start_run

logger = logging.getLogger(__name__)

KIND = "changes"

__all__ = ["KIND", "Change", "drain_pending", "ensure_changes_run", "record_changes"]


def record_changes(workspace, system: str, changes: list[Change], source: str) -> None:
    """Store ``changes`` (de-duplicated by event id) and queue a ``changes`` run; see above."""
    if not changes:
        return
    rows = [
        ChangeEvent(
            workspace=workspace,
            system=system[:16],
            record_id=str(change.record_id)[:64],
            kind=change.kind,
            survivor_id=str(change.survivor_id or "")[:64],
            occurred_at=change.occurred_at,
            event_id=change.event_id[:200] if change.event_id else None,
            source=source[:20],
        )
        for change in changes
    ]
    now = timezone.now()
    with transaction.atomic():
        # A redelivered event hits the unique constraint and is dropped.
        ChangeEvent.objects.bulk_create(rows, ignore_conflicts=True)
        state = ContinuousState.for_workspace(workspace)
        ContinuousState.objects.filter(pk=state.pk).update(
            last_event_at=now, last_event_source=source[:20]
        )
    ensure_changes_run(workspace)


def pending(workspace):
    """Changes no run has claimed yet."""
    return ChangeEvent.objects.for_workspace(workspace).filter(run__isnull=True)


def ensure_changes_run(workspace) -> SyncRun | None:
    """Start a ``changes`` run if changes wait and nothing will pick them up; the new run.

    Only for a workspace that keeps in step continuously: otherwise the changes wait for the
    dashboard's *Apply changes* (or are covered by the next full sync)."""
    if not keeps_in_step(workspace) or not pending(workspace).exists():
        return None
    active = active_run(workspace)
    if active is not None:
        # A queued changes run claims everything unclaimed when it plans; any other active run
        # (or one already planned) leaves them to ``drain_pending`` once it has finished.
        return None
    problems = connection_problems(workspace)
    if problems:
        logger.info("changes of workspace %s wait: %s", workspace.pk, problems[0])
        return None
    run, created = start_run(
        workspace, KIND, trigger=SyncRun.Trigger.SCHEDULE, delay=gather_for(workspace)
    )
    return run if created else None


def gather_for(workspace) -> float:
    """Seconds the next changes run waits, so that changes arriving meanwhile share its one
    QuickBooks read: the changes window (``budget.changes_window``) counted from the oldest
    change waiting, so changes that already waited (a run was busy) go at once."""
    window = budget.changes_window()
    if window <= 0:
        return 0.0
    oldest = pending(workspace).order_by("received_at").values_list("received_at", flat=True)
    first = oldest.first()
    waited = (timezone.now() - first).total_seconds() if first else 0.0
    return max(0.0, window - waited)


def keeps_in_step(workspace) -> bool:
    schedule = (
        SyncSettings.objects.filter(workspace=workspace).values_list("schedule", flat=True).first()
    )
    return schedule == SyncSettings.Schedule.CONTINUOUS


def drain_pending() -> list[SyncRun]:
    """Start a ``changes`` run for every workspace whose changes wait (the beat calls this)."""
    with scopes_disabled():
        workspaces = list(
            ChangeEvent.objects.filter(run__isnull=True)
            .values_list("workspace", flat=True)
            .distinct()
        )
    started = []
    from accounts.models import Workspace

    for workspace_id in workspaces:
        with scope(workspace=workspace_id):
            workspace = Workspace.objects.get(pk=workspace_id)
            run = ensure_changes_run(workspace)
            if run is not None:
                started.append(run)
    return started
