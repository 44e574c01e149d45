"""Hand work to the Celery workers by task name, after the current transaction commits.

The engine enqueues by name so it never imports ``sync.tasks`` (which imports the engine):
no import cycle, and the task names below are the one place both sides agree on. Every run
task carries its workspace, so the worker opens that tenant's scope before touching a row.
"""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.db import transaction

from sync.models import SyncRun

# Work items per batch; defined here (the engine uses it as ``engine.BATCH_SIZE``) because the
# queue of a batch depends on it and the engine imports this module, not the other way round.
BATCH_SIZE = 20

PLAN_RUN = "sync.plan_run"
RUN_BATCH = "sync.run_batch"
RECOVER_STALE_RUNS = "sync.recover_stale_runs"
START_SCHEDULED_SYNCS = "sync.start_scheduled_syncs"


def _send(
    name: str, args: list, workspace_id, queue: str | None = None, countdown: float = 0
) -> None:
    kwargs = {"workspace_id": str(workspace_id)}
    options: dict = {"queue": queue} if queue else {}  # else CELERY_TASK_ROUTES (config/queues.py)
    if countdown > 0:
        options["countdown"] = countdown
    transaction.on_commit(lambda: current_app.send_task(name, args=args, kwargs=kwargs, **options))


def batch_queue(run, batch_no: int) -> str:
    """``interactive`` or ``bulk`` for one of a run's batches (``SYNC_INTERACTIVE_BATCHES`` = N).

    A run that fits in N batches (``total`` ≤ N × 20) is interactive to its end, closing empty
    batch included, so it never waits behind another tenant's big run; a bigger run's first N
    batches are interactive too (the user sees it start at once), the rest are bulk.
    """
    limit = settings.SYNC_INTERACTIVE_BATCHES
    small = run.total <= limit * BATCH_SIZE
    return "interactive" if small or batch_no < limit else "bulk"


def enqueue_plan(run, countdown: float = 0) -> None:
    """Plan ``run`` now, or ``countdown`` seconds from now (a changes run gathering changes)."""
    _send(PLAN_RUN, [str(run.id)], run.workspace_id, countdown=countdown)


def enqueue_batch(run, batch_no: int) -> None:
    """Enqueue a run's batch; call it after releasing the run's lock (see ``engine``)."""
    _send(RUN_BATCH, [str(run.id), batch_no], run.workspace_id, batch_queue(run, batch_no))


def workspace_of_run(run_id):
    """The workspace a run belongs to (``None`` when the run is gone); scopes disabled."""
    return (
        SyncRun.objects.with_scopes_disabled()
        .filter(pk=run_id)
        .values_list("workspace_id", flat=True)
        .first()
    )
