"""Celery tasks of continuous sync: thin wrappers around plain functions."""

from __future__ import annotations

from celery import shared_task

from accounts.scoping import CrossTenantTask, WorkspaceTask
from sync.continuous import intake, lacrm_poll, schedule

DRAIN_PENDING = "continuous.drain_pending"
TICK = "continuous.tick"
POLL_LACRM_EDITS = "continuous.poll_lacrm_edits"


@shared_task(name=DRAIN_PENDING, base=CrossTenantTask)
def drain_pending() -> None:
    intake.drain_pending()


@shared_task(name=TICK, base=CrossTenantTask)
def tick() -> None:
    schedule.tick()


@shared_task(name=POLL_LACRM_EDITS, base=WorkspaceTask)
def poll_lacrm_edits(workspace_pk: str) -> None:
    """Poll one workspace's LACRM for edited and deleted contacts (see ``lacrm_poll``).

    Send it with ``args=[id], kwargs={"workspace_id": id}`` (the kwarg opens the scope).
    """
    from accounts.models import Workspace

    lacrm_poll.poll_lacrm_edits(Workspace.objects.get(pk=workspace_pk), only_if_due=False)
