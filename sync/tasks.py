"""Celery tasks: thin wrappers that take ids and call the run machinery."""

from __future__ import annotations

from celery import shared_task

from sync import runs, schedule


@shared_task(name="sync.plan_run")
def plan_run(run_id: str) -> None:
    runs.execute_plan(run_id)


@shared_task(name="sync.run_batch")
def run_batch(run_id: str, batch_no: int) -> None:
    runs.execute_batch(run_id, batch_no)


@shared_task(name="sync.recover_stale_runs")
def recover_stale_runs() -> None:
    runs.recover_stale_runs()


@shared_task(name="sync.start_scheduled_syncs")
def start_scheduled_syncs() -> None:
    schedule.start_scheduled_syncs()
