"""Celery tasks of continuous sync: thin wrappers around plain functions."""

from __future__ import annotations

from celery import shared_task

from accounts.scoping import CrossTenantTask
from sync.continuous import intake

DRAIN_PENDING = "continuous.drain_pending"


@shared_task(name=DRAIN_PENDING, base=CrossTenantTask)
def drain_pending() -> None:
    intake.drain_pending()
