"""Celery queues and the route of every task (imported by ``config.settings``).

Three queues, so a user's click never waits behind another tenant's 20,000-contact run:

- ``interactive``: what a user is waiting for — planning a run, every batch of a small run
  (one that fits in ``SYNC_INTERACTIVE_BATCHES`` batches) and the first that many batches of a
  big one, previews, notifications, webhook registration;
- ``bulk``: the later batches of big runs;
- ``periodic``: beat's work — stale-run recovery, scheduled syncs, continuous drain/tick/polling,
  expiry warnings, the sandbox's webhook deliveries.

``sync.runs.dispatch`` picks ``interactive`` or ``bulk`` per batch; every other task goes by
``CELERY_TASK_ROUTES``. A task on a queue no worker consumes is a silent outage:
``tests/test_queues.py`` checks that every registered task routes to a queue that the worker
commands in the Procfile consume. Add a new task here when you add it.
"""

from __future__ import annotations

import os

__all__ = [
    "CELERY_TASK_DEFAULT_QUEUE",
    "CELERY_TASK_QUEUES",
    "CELERY_TASK_ROUTES",
    "SYNC_CALLS_IN_FLIGHT",
    "SYNC_INTERACTIVE_BATCHES",
]

# API calls one batch has in flight at once (``sync.runs.calls``); the Redis limiter still
# decides each tenant's rate. LACRM's own in-flight cap is 4.
SYNC_CALLS_IN_FLIGHT = int(os.environ.get("SYNC_CALLS_IN_FLIGHT") or 4)

INTERACTIVE = "interactive"
BULK = "bulk"
PERIODIC = "periodic"
QUEUES = (INTERACTIVE, BULK, PERIODIC)

# Runs of up to N × 20 contacts are interactive throughout; bigger ones after their N-th batch
# are bulk (``sync.runs.dispatch.batch_queue``).
SYNC_INTERACTIVE_BATCHES = int(os.environ.get("SYNC_INTERACTIVE_BATCHES", "3"))

ROUTES = {
    # Runs (sync, undo, continuous changes runs all go through plan + batches).
    "sync.plan_run": INTERACTIVE,
    "sync.run_batch": BULK,  # dispatch overrides per batch (see above)
    "sync.preview.build": INTERACTIVE,
    "notifications.run_finished": INTERACTIVE,
    "notifications.connection_broken": INTERACTIVE,
    "lacrm.register_webhook": INTERACTIVE,
    "lacrm.remove_webhook": INTERACTIVE,
    "lacrm.ensure_webhook": INTERACTIVE,
    # Beat's work.
    "sync.recover_stale_runs": PERIODIC,
    "sync.start_scheduled_syncs": PERIODIC,
    "notifications.warn_hard_expiry": PERIODIC,
    "continuous.drain_pending": PERIODIC,
    "continuous.tick": PERIODIC,
    "continuous.poll_lacrm_edits": PERIODIC,
    "sandbox.qbo_deliver_webhooks": PERIODIC,
    "sandbox.lacrm.deliver_webhooks": PERIODIC,
}

CELERY_TASK_ROUTES = {name: {"queue": queue} for name, queue in ROUTES.items()}
# An unrouted task lands where both documented workers listen, never on a dead queue.
CELERY_TASK_DEFAULT_QUEUE = INTERACTIVE
# A worker started without ``-Q`` (tests, a one-box install) consumes all three.
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name} for name in QUEUES}
