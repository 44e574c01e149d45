"""The CDC catch-up: a per-workspace cursor, and what to do when it is too old.

``catch_up(workspace)`` asks QuickBooks for every customer and invoice changed since the cursor
(``AccountingSystem.changes_since``), hands them to the intake (de-duplicated against what
webhooks already delivered) and stores the answer's ``time`` as the next cursor. With no
cursor, or one older than CDC's 30 days, it starts one full Sync New Contacts instead and says
so in that run's log.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from integrations import registry
from integrations.changes import CatchUpTooOld
from sync.continuous import budget
from sync.continuous.intake import record_changes
from sync.continuous.models import ContinuousState
from sync.models import SyncRun
from sync.runs import connection_problems, log_entry, start_run

logger = logging.getLogger(__name__)

SOURCE = "qbo_cdc"
CATCH_UP_OUTCOME = "catch_up"


def catch_up(workspace) -> str:
    """Run one catch-up; returns what happened, for logs and the operator."""
    if connection_problems(workspace):
        return "waiting for the connections"
    state = ContinuousState.for_workspace(workspace)
    now = timezone.now()
    if state.cdc_cursor is None:
        # Switched to continuous after a full sync: catch up from where that sync began.
        last = (
            SyncRun.objects.for_workspace(workspace)
            .filter(kind=SyncRun.Kind.CONTACTS, status=SyncRun.Status.COMPLETED)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        if last is None:
            return full_pull(workspace, state, "No catch-up point yet: one full sync instead")
        state.cdc_cursor = last
    try:
        feed = registry.accounting(workspace).changes_since(state.cdc_cursor)
    except CatchUpTooOld as exc:
        return full_pull(workspace, state, f"{exc}: one full sync instead of a catch-up")
    for system, changes in feed.changes.items():
        if changes:
            record_changes(workspace, system, changes, SOURCE)
    ContinuousState.objects.filter(pk=state.pk).update(
        cdc_cursor=feed.cursor, last_cdc_at=now, catch_up_requested=False
    )
    logger.info(
        "catch-up of workspace %s: %s changes in %s calls", workspace.pk, feed.count(), feed.calls
    )
    return f"{feed.count()} changes"


def full_pull(workspace, state: ContinuousState, reason: str) -> str:
    """Start Sync New Contacts in place of a catch-up; the cursor moves to now (the pull sees
    everything up to its start)."""
    now = timezone.now()
    paused = budget.scheduled_allowed(budget.FULL)
    if paused:
        ContinuousState.objects.filter(pk=state.pk).update(catch_up_requested=True)
        logger.warning("workspace %s: %s, but %s", workspace.pk, reason, paused)
        return paused
    run, created = start_run(workspace, SyncRun.Kind.CONTACTS, trigger=SyncRun.Trigger.SCHEDULE)
    if not created:
        ContinuousState.objects.filter(pk=state.pk).update(catch_up_requested=True)
        return f"waiting for {run.kind_label} to finish"
    log_entry(run, CATCH_UP_OUTCOME, reason=reason)
    ContinuousState.objects.filter(pk=state.pk).update(
        cdc_cursor=now, last_cdc_at=now, catch_up_requested=False
    )
    logger.info("workspace %s: %s (run %s)", workspace.pk, reason, run.pk)
    return reason
