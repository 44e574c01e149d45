"""Hand work to the Celery workers by task name, after the current transaction commits.

The engine enqueues by name so it never imports ``sync.tasks`` (which imports the engine):
no import cycle, and the task names below are the one place both sides agree on. Every run
task carries its workspace, so the worker opens that tenant's scope before touching a row.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction

from sync.models import SyncRun

PLAN_RUN = "sync.plan_run"
RUN_BATCH = "sync.run_batch"
RECOVER_STALE_RUNS = "sync.recover_stale_runs"
START_SCHEDULED_SYNCS = "sync.start_scheduled_syncs"


def _send(name: str, args: list, workspace_id, countdown: float = 0) -> None:
    kwargs = {"workspace_id": str(workspace_id)}
    options = {"countdown": countdown} if countdown > 0 else {}
    transaction.on_commit(lambda: current_app.send_task(name, args=args, kwargs=kwargs, **options))


def enqueue_plan(run, countdown: float = 0) -> None:
    """Plan ``run`` now, or ``countdown`` seconds from now (a changes run gathering changes)."""
    _send(PLAN_RUN, [str(run.id)], run.workspace_id, countdown)


def enqueue_batch(run, batch_no: int) -> None:
    _send(RUN_BATCH, [str(run.id), batch_no], run.workspace_id)


def workspace_of_run(run_id):
    """The workspace a run belongs to (``None`` when the run is gone); scopes disabled."""
    return (
        SyncRun.objects.with_scopes_disabled()
        .filter(pk=run_id)
        .values_list("workspace_id", flat=True)
        .first()
    )
