"""The run machinery shared by contact sync and invoice summaries (design.md §4).

A run moves queued → running → completed, or running → stopping → stopped, or → failed. Work is
done in batches of ``BATCH_SIZE``; each batch is one Celery task that enqueues the next. A kind of
run is a ``RunHandler`` (``pull``, ``write_plan``, then ``process`` batches) named in ``HANDLERS``.

Two guards make duplicate or lost task deliveries harmless:
- a Postgres advisory lock per run, held while a task works on it; a killed worker's connection
  closes and the lock goes with it, which is also how ``recover_stale_runs`` tells a dead run
  from a slow one;
- batch numbers: a task whose number is not the run's ``next_batch`` is a duplicate and is dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from integrations.errors import IntegrationError
from sync.models import ACTIVE_STATUSES, SyncLogEntry, SyncRun, SyncWorkItem

logger = logging.getLogger(__name__)

BATCH_SIZE = 20
COUNTERS = (
    "total",
    "processed",
    "created_in_lacrm",
    "created_in_qbo",
    "matched",
    "already_matched",
    "needs_review",
    "skipped",
    "failed",
    "updated",
    "notes_added",
    "throttled",
)


class StopRun(Exception):
    """Raised by a handler to end the run as failed with a human reason."""


class BatchContext:
    """What a handler may ask while processing a batch: should it stop, and proof of life."""

    def __init__(self, run: SyncRun) -> None:
        self.run = run

    def should_stop(self) -> bool:
        """Checked before every contact: the contact in flight finishes, nothing is half-done.

        One statement both records the heartbeat and reads the stop request.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {SyncRun._meta.db_table} SET heartbeat_at = %s "  # noqa: S608
                "WHERE id = %s RETURNING stop_requested",
                [timezone.now(), self.run.pk],
            )
            row = cursor.fetchone()
        return row is None or bool(row[0])

    def heartbeat(self) -> None:
        SyncRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())


class RunHandler(Protocol):
    kind: str

    def pull(self, run: SyncRun, ctx: BatchContext) -> object:
        """Read what the plan needs from the providers (no writes); may raise IntegrationError."""

    def write_plan(self, run: SyncRun, pulled: object) -> None:
        """Write ledger rows, log entries, counters and work items (called inside a transaction).

        Nothing of a plan is written until all of it is, so a worker killed while planning leaves
        nothing behind and the plan simply runs again.
        """

    def process(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        """Act on one batch of work items, marking each done as it finishes."""


# Each kind of run names its handler; they are imported on first use.
HANDLERS = {
    SyncRun.Kind.CONTACTS: "sync.contacts.ContactSyncHandler",
    SyncRun.Kind.INVOICE_SUMMARIES: "summaries.engine.SummaryHandler",
    SyncRun.Kind.FIELD_UPDATES: "sync.field_updates.FieldUpdateHandler",
}


def handler_for(kind: str) -> RunHandler:
    return import_string(HANDLERS[kind])()


# --- Counters and log entries --------------------------------------------------------------------


def bump(run: SyncRun, **counts: int) -> None:
    """Add to the run's counters atomically (several processes may write the same run)."""
    unknown = set(counts) - set(COUNTERS)
    if unknown:
        raise ValueError(f"Unknown counters: {sorted(unknown)}")
    updates = {name: F(name) + value for name, value in counts.items() if value}
    if updates:
        SyncRun.objects.filter(pk=run.pk).update(**updates)


def log_entries(run: SyncRun, entries: Iterable[dict], **counts: int) -> int:
    """Write log entries and move the matching counters in one transaction."""
    rows = [SyncLogEntry(workspace_id=run.workspace_id, run=run, **entry) for entry in entries]
    with transaction.atomic():
        SyncLogEntry.objects.bulk_create(rows, batch_size=1000)
        bump(run, **counts)
    return len(rows)


def log_entry(run: SyncRun, outcome: str, **fields) -> None:
    """Write one log entry; the counters are the caller's to move in the same transaction."""
    SyncLogEntry.objects.create(workspace_id=run.workspace_id, run=run, outcome=outcome, **fields)


# --- Starting and stopping ---------------------------------------------------------------------


def active_run(workspace) -> SyncRun | None:
    return SyncRun.objects.for_workspace(workspace).filter(status__in=ACTIVE_STATUSES).first()


def start_run(
    workspace, kind: str, *, user=None, trigger: str = SyncRun.Trigger.USER
) -> tuple[SyncRun, bool]:
    """Queue a run unless one is active (the database constraint decides races).

    Returns ``(run, created)``; when a run is already active it is returned with ``False``.
    """
    from sync import tasks

    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                workspace=workspace, kind=kind, started_by=user, trigger=trigger
            )
    except IntegrityError:
        existing = active_run(workspace)
        if existing is None:  # It finished between our insert and this read; try once more.
            return start_run(workspace, kind, user=user, trigger=trigger)
        return existing, False
    transaction.on_commit(lambda: tasks.plan_run.delay(str(run.id)))
    logger.info("run %s (%s) queued for workspace %s", run.id, kind, workspace.id)
    return run, True


def request_stop(run: SyncRun) -> SyncRun:
    """Ask a run to stop; a queued run stops at once, a running one after its current contact."""
    now = timezone.now()
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.STOPPED, stop_requested=True, finished_at=now
    )
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.STOPPING, stop_requested=True
    )
    run.refresh_from_db()
    return run


def _finish(run: SyncRun, status: str, reason: str = "") -> None:
    SyncRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
        status=status, finished_at=timezone.now(), failure_reason=reason[:2000]
    )
    logger.info("run %s finished: %s %s", run.id, status, reason)


# --- Executing ---------------------------------------------------------------------------------


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


def _enqueue_batch(run: SyncRun, batch_no: int) -> None:
    from sync import tasks

    transaction.on_commit(lambda: tasks.run_batch.delay(str(run.id), batch_no))


def _fail_from(run: SyncRun, exc: Exception) -> None:
    if isinstance(exc, (IntegrationError, StopRun)):
        reason = str(exc)
    else:
        logger.exception("run %s crashed", run.id)
        reason = f"Internal error ({type(exc).__name__}); the team has been notified."
    _finish(run, SyncRun.Status.FAILED, reason)


def execute_plan(run_id: str) -> None:
    """Plan a queued run, then hand it to the batches."""
    with run_lock(run_id) as acquired:
        if not acquired:
            return
        run = SyncRun.objects.filter(pk=run_id).first()
        if run is None or not run.is_active:
            return
        if run.stop_requested:
            _finish(run, SyncRun.Status.STOPPED)
            return
        if not run.planned:
            now = timezone.now()
            SyncRun.objects.filter(pk=run.pk).update(
                status=SyncRun.Status.RUNNING, started_at=now, heartbeat_at=now
            )
            run.refresh_from_db()
            ctx = BatchContext(run)
            handler = handler_for(run.kind)
            try:
                pulled = handler.pull(run, ctx)
                with transaction.atomic():
                    handler.write_plan(run, pulled)
                    SyncRun.objects.filter(pk=run.pk).update(planned=True)
            except Exception as exc:  # noqa: BLE001 - every failure ends the run with a reason
                _fail_from(run, exc)
                return
        run.refresh_from_db()
        _enqueue_batch(run, run.next_batch)


def execute_batch(run_id: str, batch_no: int) -> None:
    """Process the run's next batch of work items, then enqueue the one after."""
    with run_lock(run_id) as acquired:
        if not acquired:
            return
        run = SyncRun.objects.filter(pk=run_id).first()
        if run is None or not run.is_active or batch_no != run.next_batch:
            return
        if not run.planned:
            # The plan task died before finishing; planning again is safe (it is idempotent).
            from sync import tasks

            transaction.on_commit(lambda: tasks.plan_run.delay(str(run.id)))
            return
        if run.stop_requested:
            _finish(run, SyncRun.Status.STOPPED)
            return
        items = list(
            SyncWorkItem.objects.filter(run=run, state=SyncWorkItem.State.PENDING).order_by("seq")[
                :BATCH_SIZE
            ]
        )
        if not items:
            _finish(run, SyncRun.Status.COMPLETED)
            return
        ctx = BatchContext(run)
        ctx.heartbeat()
        try:
            handler_for(run.kind).process(run, items, ctx)
        except Exception as exc:  # noqa: BLE001 - every failure ends the run with a reason
            _fail_from(run, exc)
            return
        SyncRun.objects.filter(pk=run.pk).update(next_batch=F("next_batch") + 1)
        run.refresh_from_db()
        if run.stop_requested:
            _finish(run, SyncRun.Status.STOPPED)
            return
        _enqueue_batch(run, run.next_batch)


def recover_stale_runs(stale_after: timedelta | None = None) -> list[str]:
    """Re-enqueue active runs whose worker died (stale heartbeat and nobody holds the lock)."""
    if stale_after is None:
        stale_after = timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS)
    cutoff = timezone.now() - stale_after
    recovered = []
    candidates = SyncRun.objects.filter(status__in=ACTIVE_STATUSES).exclude(heartbeat_at__gt=cutoff)
    for run in candidates.filter(created_at__lt=cutoff):
        with run_lock(run.id) as acquired:
            if not acquired:
                continue  # A live worker is on it.
            run.refresh_from_db()
            if not run.is_active:
                continue
            if run.stop_requested:
                _finish(run, SyncRun.Status.STOPPED)
                continue
            SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
            from sync import tasks

            if run.planned:
                _enqueue_batch(run, run.next_batch)
            else:
                transaction.on_commit(lambda run_id=str(run.id): tasks.plan_run.delay(run_id))
            recovered.append(str(run.id))
    if recovered:
        logger.warning("re-enqueued stale runs: %s", ", ".join(recovered))
    return recovered
