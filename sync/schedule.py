"""Automatic sync: start Sync New Contacts for workspaces whose schedule is due.

Celery beat calls ``start_scheduled_syncs`` every few minutes. Each workspace's schedule is a
series of slots ``interval`` apart, anchored at its first scheduled run; ``last_scheduled_at``
holds the latest slot taken. A slot is taken with a conditional UPDATE (compare and set on
``last_scheduled_at``), so two beats, two workers or two threads calling at once start one run
between them, never two.

A workspace is passed over, with its slot left open for the next check, while a connection is
missing or needs reconnecting, or while a job other than a contacts sync is running. A contacts
sync already in progress takes the slot: it is doing the scheduled work.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from sync import runs
from sync.continuous import budget
from sync.models import SyncRun, SyncSettings

logger = logging.getLogger(__name__)

INTERVALS = {
    SyncSettings.Schedule.HOURLY: timedelta(hours=1),
    SyncSettings.Schedule.DAILY: timedelta(days=1),
}


class _NotStarted(Exception):
    """Roll back a taken slot when its run could not be started."""


def due_slot(sync_settings: SyncSettings, now: datetime) -> datetime | None:
    """The slot to start now, or None when the schedule is off or not yet due."""
    interval = INTERVALS.get(sync_settings.schedule)
    if interval is None:
        return None
    last = sync_settings.last_scheduled_at
    if last is None:
        return now
    if now < last + interval:
        return None
    # Skip slots missed while the workers were down: take the latest one that has begun, so
    # the cadence stays on its anchor and a backlog never turns into a burst of runs.
    missed = (now - last) // interval
    return last + missed * interval


def next_scheduled_at(sync_settings: SyncSettings, now: datetime | None = None) -> datetime | None:
    """When the next scheduled sync is due; ``now`` when it is due already (the next check
    starts it, within the beat period)."""
    interval = INTERVALS.get(sync_settings.schedule)
    if interval is None:
        return None
    now = now or timezone.now()
    if sync_settings.last_scheduled_at is None:
        return now
    return max(sync_settings.last_scheduled_at + interval, now)


def _take_slot(sync_settings: SyncSettings, slot: datetime) -> bool:
    """Compare and set ``last_scheduled_at``; True for exactly one caller per slot."""
    rows = SyncSettings.objects.filter(pk=sync_settings.pk)
    if sync_settings.last_scheduled_at is None:
        rows = rows.filter(last_scheduled_at__isnull=True)
    else:
        rows = rows.filter(last_scheduled_at=sync_settings.last_scheduled_at)
    return rows.update(last_scheduled_at=slot) == 1


def start_scheduled_syncs(now: datetime | None = None) -> list[SyncRun]:
    """Start a contacts sync for every workspace whose schedule is due; returns the new runs."""
    now = now or timezone.now()
    started: list[SyncRun] = []
    with scopes_disabled():  # Every tenant's schedule; each start below is in its own scope.
        due = list(
            SyncSettings.objects.filter(schedule__in=list(INTERVALS)).select_related("workspace")
        )
    for sync_settings in due:
        slot = due_slot(sync_settings, now)
        if slot is None:
            continue
        with scope(workspace=sync_settings.workspace_id):
            run = _start_slot(sync_settings, slot)
        if run is not None:
            started.append(run)
    return started


def _start_slot(sync_settings: SyncSettings, slot: datetime) -> SyncRun | None:
    """Take the workspace's due slot and start its sync; the new run, or None."""
    workspace = sync_settings.workspace
    problems = runs.connection_problems(workspace)
    paused = budget.scheduled_allowed(budget.FULL)
    if paused:
        # Intuit blocks every read of the app past its monthly allowance: stop well before.
        logger.warning("scheduled sync of workspace %s waits: %s", workspace.pk, paused)
        return None
    if problems:
        logger.info("scheduled sync of workspace %s waits: %s", workspace.pk, problems[0])
        return None
    active = runs.active_run(workspace)
    if active is not None and active.kind != SyncRun.Kind.CONTACTS:
        logger.info("scheduled sync of workspace %s waits for run %s", workspace.pk, active.pk)
        return None
    try:
        with transaction.atomic():
            if not _take_slot(sync_settings, slot):
                return None  # Another caller took this slot.
            if active is not None:
                logger.info(
                    "scheduled slot %s of workspace %s covered by run %s",
                    slot.isoformat(),
                    workspace.pk,
                    active.pk,
                )
                return None
            run, created = runs.start_run(
                workspace, SyncRun.Kind.CONTACTS, trigger=SyncRun.Trigger.SCHEDULE
            )
            if not created and run.kind != SyncRun.Kind.CONTACTS:
                raise _NotStarted
    except _NotStarted:
        return None
    if not created:
        return None
    logger.info("scheduled sync %s started for workspace %s", run.pk, workspace.pk)
    return run
