"""Celery tasks of continuous sync: thin wrappers around plain functions."""

from __future__ import annotations

from celery import shared_task

from accounts.scoping import CrossTenantTask
from sync.continuous import intake, schedule

DRAIN_PENDING = "continuous.drain_pending"
TICK = "continuous.tick"


@shared_task(name=DRAIN_PENDING, base=CrossTenantTask)
def drain_pending() -> None:
    intake.drain_pending()


@shared_task(name=TICK, base=CrossTenantTask)
def tick() -> None:
    schedule.tick()
