"""Celery task of the sandbox LACRM: send due webhook deliveries, then wait for the next retry."""

from __future__ import annotations

from celery import shared_task

from integrations.sandbox.lacrm import webhooks


@shared_task(name=webhooks.DELIVER_TASK, ignore_result=True)
def deliver_webhooks() -> dict:
    """Send what is due; if a retry is pending, run again when it falls due."""
    counts = webhooks.deliver_due()
    wait = webhooks.next_due_in()
    if wait is not None:
        webhooks.schedule_delivery(wait)
    return counts
