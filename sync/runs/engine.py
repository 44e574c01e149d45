"""Executing runs: plan, then batches of ``BATCH_SIZE``, and recovery of runs whose worker died.

A run moves queued → running → completed, or running → stopping → stopped, or → failed. Each
batch is one Celery task that enqueues the next. The kind's handler (``sync.kinds``) does
the work; this module knows no kind by name.

Two guards make duplicate or lost task deliveries harmless:
- a Postgres advisory lock per run, held while a task works on it; a killed worker's connection
  closes and the lock goes with it, which is also how ``recover_stale_runs`` tells a dead run
  from a slow one;
- batch numbers: a task whose number is not the run's ``next_batch`` is a duplicate and is dropped.

The next task is enqueued only after the lock is released: sent while it is still held, another
worker could take the task at once, fail to get the lock and drop it, and the run would stall
until stale recovery. So each step below returns its follow-up, called after the ``with``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from integrations.errors import IntegrationError
from sync import kinds
from sync.models import ACTIVE_STATUSES, SyncRun, SyncWorkItem
from sync.runs import dispatch
from sync.runs.handler import BatchContext, RunHandler, StopRun
from sync.runs.lifecycle import finish

logger = logging.getLogger(__name__)

BATCH_SIZE = dispatch.BATCH_SIZE  # 20 (defined by dispatch: it routes by it)


def handler_for(kind: str) -> RunHandler:
    return kinds.get(kind).handler()


def _lock_key(run_id) -> int:
    digest = hashlib.blake2b(str(run_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def run_lock(run_id):
    """Hold the run's advisory lock for the duration; yields False if another worker has it."""
    key = _lock_key(run_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _fail_from(run: SyncRun, exc: Exception) -> None:
    if isinstance(exc, (IntegrationError, StopRun)):
        reason = str(exc)
    else:
        logger.exception("run %s crashed", run.id)
        reason = f"Internal error ({type(exc).__name__}); the team has been notified."
    finish(run, SyncRun.Status.FAILED, reason)


FollowUp = Callable[[], None] | None


def _locked(run_id, step, *args) -> bool:
    """Run ``step`` under the run's lock, then its follow-up (the next enqueue) after release.

    False when another worker holds the lock (the step did not run)."""
    with run_lock(run_id) as acquired:
        follow_up = step(*args) if acquired else None
    if follow_up is not None:
        follow_up()
    return acquired


def execute_plan(run_id: str) -> None:
    """Plan a queued run, then hand it to the batches."""
    _locked(run_id, _plan, run_id)


def _plan(run_id: str) -> FollowUp:
    run = SyncRun.objects.filter(pk=run_id).first()
    if run is None or not run.is_active:
        return None
    if run.stop_requested:
        finish(run, SyncRun.Status.STOPPED)
        return None
    if not run.planned:
        now = timezone.now()
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.RUNNING, started_at=now, heartbeat_at=now
        )
        run.refresh_from_db()
        ctx = BatchContext(run)
        try:
            handler = handler_for(run.kind)
            pulled = handler.pull(run, ctx)
            with transaction.atomic():
                handler.write_plan(run, pulled)
                SyncRun.objects.filter(pk=run.pk).update(planned=True)
        except Exception as exc:  # noqa: BLE001 - every failure ends the run with a reason
            _fail_from(run, exc)
            return None
    run.refresh_from_db()
    return lambda: dispatch.enqueue_batch(run, run.next_batch)


def execute_batch(run_id: str, batch_no: int) -> None:
    """Process the run's next batch of work items, then enqueue the one after."""
    _locked(run_id, _batch, run_id, batch_no)


def _batch(run_id: str, batch_no: int) -> FollowUp:
    run = SyncRun.objects.filter(pk=run_id).first()
    if run is None or not run.is_active or batch_no != run.next_batch:
        return None
    if not run.planned:
        # The plan task died before finishing; planning again is safe (it is idempotent).
        return lambda: dispatch.enqueue_plan(run)
    if run.stop_requested:
        finish(run, SyncRun.Status.STOPPED)
        return None
    handler = handler_for(run.kind)
    items = next_items(run, getattr(handler, "lanes", ()))
    if not items:
        finish(run, SyncRun.Status.COMPLETED)
        return None
    ctx = BatchContext(run)
    ctx.heartbeat()
    try:
        handler.process(run, items, ctx)
    except Exception as exc:  # noqa: BLE001 - every failure ends the run with a reason
        _fail_from(run, exc)
        return None
    SyncRun.objects.filter(pk=run.pk).update(next_batch=F("next_batch") + 1)
    run.refresh_from_db()
    if run.stop_requested:
        finish(run, SyncRun.Status.STOPPED)
        return None
    return lambda: dispatch.enqueue_batch(run, run.next_batch)


def next_items(run: SyncRun, lanes: tuple[str, ...] = ()) -> list[SyncWorkItem]:
    """A batch: the next ``BATCH_SIZE`` pending items in plan order — or, for a kind whose
    handler names ``lanes`` (actions that go to different systems, whose calls run side by
    side), the next ``BATCH_SIZE`` of each lane, so every system still gets full batches of 20
    (one QuickBooks batch call carries 20 creates) while the other's calls run beside them."""
    pending = SyncWorkItem.objects.filter(run=run, state=SyncWorkItem.State.PENDING)
    if not lanes:
        return list(pending.order_by("seq")[:BATCH_SIZE])
    items: list[SyncWorkItem] = []
    for action in lanes:
        items.extend(pending.filter(action=action).order_by("seq")[:BATCH_SIZE])
    if not items:  # Work of an action no lane names (none today) still gets done.
        items = list(pending.order_by("seq")[:BATCH_SIZE])
    return sorted(items, key=lambda item: item.seq)


def recover_stale_runs(stale_after: timedelta | None = None) -> list[str]:
    """Re-enqueue active runs whose worker died (stale heartbeat and nobody holds the lock)."""
    if stale_after is None:
        stale_after = timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
    cutoff = timezone.now() - stale_after
    recovered = []
    with scopes_disabled():  # Every tenant's runs; each recovery below is in its run's scope.
        candidates = list(
            SyncRun.objects.filter(status__in=ACTIVE_STATUSES, created_at__lt=cutoff).exclude(
                heartbeat_at__gt=cutoff
            )
        )
    for run in candidates:
        with scope(workspace=run.workspace_id):
            if _recover(run):
                recovered.append(str(run.id))
    if recovered:
        logger.warning("re-enqueued stale runs: %s", ", ".join(recovered))
    return recovered


def _recover(run: SyncRun) -> bool:
    """Re-enqueue one run whose worker died; False when a live worker holds it or it ended."""
    recovered: list[bool] = []

    def step() -> FollowUp:
        run.refresh_from_db()
        if not run.is_active:
            return None
        if run.stop_requested:
            finish(run, SyncRun.Status.STOPPED)
            return None
        SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
        recovered.append(True)
        if run.planned:
            return lambda: dispatch.enqueue_batch(run, run.next_batch)
        return lambda: dispatch.enqueue_plan(run)

    _locked(run.id, step)  # Not acquired: a live worker is on it.
    return bool(recovered)
