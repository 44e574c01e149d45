"""The sandbox QuickBooks' Celery task: send the webhooks it owes the app."""

from __future__ import annotations

from celery import shared_task

from integrations.sandbox.qbo import webhooks


@shared_task(name=webhooks.DELIVER_TASK)
def deliver_webhooks(pk: int | None = None) -> None:
    webhooks.deliver_due(pk=pk)
