"""Turn run and connection events into notification tasks, after the transaction commits.

The task is sent with ``robust=True``: when the broker cannot take it the failure is logged and
the run (or the request) that caused it carries on; mail is never sent inside a run.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def _enqueue(name: str, args: list, workspace_id) -> None:
    kwargs = {"workspace_id": str(workspace_id)}
    transaction.on_commit(
        lambda: current_app.send_task(name, args=args, kwargs=kwargs), robust=True
    )


def on_run_finished(sender, *, run_id, workspace_id, status, **kwargs) -> None:
    from notifications.tasks import RUN_FINISHED

    if status in ("completed", "failed"):
        _enqueue(RUN_FINISHED, [str(run_id)], workspace_id)


def on_connection_broken(sender, *, workspace_id, system, reason, **kwargs) -> None:
    from notifications.tasks import CONNECTION_BROKEN

    if workspace_id is not None:
        _enqueue(CONNECTION_BROKEN, [str(workspace_id), system, reason], workspace_id)


def connect() -> None:
    from integrations.connections import connection_broken
    from sync.runs.lifecycle import run_finished

    run_finished.connect(on_run_finished, dispatch_uid="notifications.run_finished")
    connection_broken.connect(on_connection_broken, dispatch_uid="notifications.connection")
