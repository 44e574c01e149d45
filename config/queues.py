"""Celery queues and the route of every task (imported by ``config.settings``).

Three queues, so a user's click never waits behind another tenant's 20,000-contact run:

- ``interactive``: what a user is waiting for — planning a run, every batch of a small run
  (one that fits in ``SYNC_INTERACTIVE_BATCHES`` batches) and the first that many batches of a
  big one, previews, notifications, webhook registration;
- ``bulk``: the later batches of big runs;
- ``periodic``: beat's work — stale-run recovery, scheduled syncs, continuous drain/tick/polling,
  expiry warnings, the sandbox's webhook deliveries.

A worker that consumes several queues takes them in the order it lists them (kombu's
``queue_order_strategy`` "priority", not its default round robin): a worker started without
``-Q`` asks ``interactive``, then ``periodic``, then ``bulk``, so a queued interactive batch goes
before any bulk batch, and when a hundred tenants start at once every run gets its first
batches done before any run's bulk batches race ahead (the fairness the many-tenant bench
measures). The bulk worker of the Procfile lists ``bulk,interactive``: bulk first, and it helps
with interactive work only when no bulk work waits.

``sync.runs.dispatch`` picks ``interactive`` or ``bulk`` per batch; every other task goes by
``CELERY_TASK_ROUTES``. A task on a queue no worker consumes is a silent outage:
``tests/test_queues.py`` checks that every registered task routes to a queue that the worker
commands in the Procfile consume. Add a new task here when you add it.
"""

from __future__ import annotations

import os

__all__ = [
    "CELERY_BROKER_TRANSPORT_OPTIONS",
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
QUEUES = (INTERACTIVE, PERIODIC, BULK)  # the order a worker without -Q asks them in
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # With acks_late, a task whose worker died is redelivered after this many seconds.
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT") or 3600),
    # A worker takes its queues in the order it lists them (see above), not round robin.
    "queue_order_strategy": "priority",
}

# Runs of up to N × 20 contacts are interactive throughout; bigger ones after their N-th batch
# are bulk (``sync.runs.dispatch.batch_queue``).
SYNC_INTERACTIVE_BATCHES = int(os.environ.get("SYNC_INTERACTIVE_BATCHES", "3"))

# The sandbox's webhook deliveries go with beat's work unless ``SANDBOX_TASK_QUEUE`` names a
# queue of their own: the bench (tests/bench/harness.py) serves that queue with a worker of its
# own, so the worker it measures does only our work, as in production where Intuit and LACRM
# send their webhooks from their own machines.
SANDBOX_QUEUE = os.environ.get("SANDBOX_TASK_QUEUE") or PERIODIC

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
    # The sandbox's own work (it plays Intuit and LACRM): see SANDBOX_QUEUE.
    "sandbox.qbo_deliver_webhooks": SANDBOX_QUEUE,
    "sandbox.lacrm.deliver_webhooks": SANDBOX_QUEUE,
}

CELERY_TASK_ROUTES = {name: {"queue": queue} for name, queue in ROUTES.items()}
# An unrouted task lands where both documented workers listen, never on a dead queue.
CELERY_TASK_DEFAULT_QUEUE = INTERACTIVE
# A worker started without ``-Q`` (tests, a one-box install) consumes all three.
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name} for name in QUEUES}
