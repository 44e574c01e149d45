"""Celery tasks: thin wrappers that take ids and call the run machinery."""

from __future__ import annotations

from celery import shared_task

from sync import schedule
from sync.runs import dispatch, engine


@shared_task(name=dispatch.PLAN_RUN)
def plan_run(run_id: str) -> None:
    engine.execute_plan(run_id)


@shared_task(name=dispatch.RUN_BATCH)
def run_batch(run_id: str, batch_no: int) -> None:
    engine.execute_batch(run_id, batch_no)


@shared_task(name=dispatch.RECOVER_STALE_RUNS)
def recover_stale_runs() -> None:
    engine.recover_stale_runs()


@shared_task(name=dispatch.START_SCHEDULED_SYNCS)
def start_scheduled_syncs() -> None:
    schedule.start_scheduled_syncs()
