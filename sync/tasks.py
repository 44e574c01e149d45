"""Celery tasks: thin wrappers that take ids and call the run machinery.

Run tasks execute inside their workspace's scope (``accounts.scoping.WorkspaceTask``); the
periodic checks look across tenants and scope each tenant's work themselves.
"""

from __future__ import annotations

from celery import shared_task

from accounts.scoping import CrossTenantTask, WorkspaceTask
from sync import schedule
from sync.runs import dispatch, engine


class RunTask(WorkspaceTask):
    """A task about one run: a message without ``workspace_id`` finds it through the run."""

    abstract = True

    def workspace_of(self, run_id, *args, **kwargs):
        return dispatch.workspace_of_run(run_id)


@shared_task(name=dispatch.PLAN_RUN, base=RunTask)
def plan_run(run_id: str) -> None:
    engine.execute_plan(run_id)


@shared_task(name=dispatch.RUN_BATCH, base=RunTask)
def run_batch(run_id: str, batch_no: int) -> None:
    engine.execute_batch(run_id, batch_no)


@shared_task(name=dispatch.RECOVER_STALE_RUNS, base=CrossTenantTask)
def recover_stale_runs() -> None:
    engine.recover_stale_runs()


@shared_task(name=dispatch.START_SCHEDULED_SYNCS, base=CrossTenantTask)
def start_scheduled_syncs() -> None:
    schedule.start_scheduled_syncs()
