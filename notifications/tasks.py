"""Celery tasks of the notifications: thin wrappers that take ids and call ``notices``."""

from __future__ import annotations

from celery import shared_task

from accounts.scoping import CrossTenantTask, WorkspaceTask
from notifications import notices

RUN_FINISHED = "notifications.run_finished"
CONNECTION_BROKEN = "notifications.connection_broken"
HARD_EXPIRY = "notifications.warn_hard_expiry"


@shared_task(name=RUN_FINISHED, base=WorkspaceTask)
def run_finished(run_id: str) -> None:
    notices.run_finished(run_id)


@shared_task(name=CONNECTION_BROKEN, base=WorkspaceTask)
def connection_broken(workspace_ref: str, system: str, reason: str) -> None:
    notices.connection_broken(workspace_ref, system, reason)


@shared_task(name=HARD_EXPIRY, base=CrossTenantTask)
def warn_hard_expiry() -> None:
    notices.warn_hard_expiry()
