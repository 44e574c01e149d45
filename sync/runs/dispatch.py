"""Hand work to the Celery workers by task name, after the current transaction commits.

The engine enqueues by name so it never imports ``sync.tasks`` (which imports the engine):
no import cycle, and the task names below are the one place both sides agree on.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction

PLAN_RUN = "sync.plan_run"
RUN_BATCH = "sync.run_batch"
RECOVER_STALE_RUNS = "sync.recover_stale_runs"
START_SCHEDULED_SYNCS = "sync.start_scheduled_syncs"


def enqueue_plan(run_id) -> None:
    run_id = str(run_id)
    transaction.on_commit(lambda: current_app.send_task(PLAN_RUN, args=[run_id]))


def enqueue_batch(run_id, batch_no: int) -> None:
    run_id = str(run_id)
    transaction.on_commit(lambda: current_app.send_task(RUN_BATCH, args=[run_id, batch_no]))
