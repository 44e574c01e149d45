"""Celery beat's periodic tasks (run beat exactly once per install)."""

from __future__ import annotations


def beat_schedule(*, sandbox_enabled: bool) -> dict:
    schedule: dict = {
        "recover-stale-runs": {"task": "sync.recover_stale_runs", "schedule": 30.0},
        "scheduled-syncs": {"task": "sync.start_scheduled_syncs", "schedule": 300.0},
        # Warnings 30 and 7 days before QuickBooks' hard expiry (each sent once).
        "qbo-hard-expiry-warnings": {
            "task": "notifications.warn_hard_expiry",
            "schedule": 86400.0,
        },
        # Continuous sync: start a changes run where announced changes wait (sync.continuous).
        "continuous-drain": {"task": "continuous.drain_pending", "schedule": 30.0},
        "continuous-tick": {"task": "continuous.tick", "schedule": 300.0},
    }
    if sandbox_enabled:  # The built-in QuickBooks sends its webhooks, on Intuit's retry schedule.
        schedule["sandbox-webhooks"] = {"task": "sandbox.qbo_deliver_webhooks", "schedule": 10}
    return schedule
