"""The next batch task is published only once the run's advisory lock is free again.

Published while the lock is still held, a second worker may take the task at once, fail to get
the lock and drop it: the run stalls until stale recovery. Celery's ``after_task_publish`` signal
fires as the message reaches the broker (real Redis); at that moment another database session
tries the run's lock, as a second worker would.
"""

from __future__ import annotations

import threading

import pytest
from celery.signals import after_task_publish
from django.db import connection

from sync import runs
from sync.models import SyncRun
from sync.runs import dispatch, engine
from tests.fixtures_worker import purge_broker
from tests.sync.test_queues_workers import load_qbo

pytestmark = pytest.mark.django_db(transaction=True)


def lock_free_elsewhere(run_id) -> bool:
    """Whether another session gets the run's lock now (released again at once)."""
    got: list[bool] = []

    def other_session():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [engine._lock_key(run_id)])
                got.append(cursor.fetchone()[0])
                if got[0]:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [engine._lock_key(run_id)])
        finally:
            connection.close()

    thread = threading.Thread(target=other_session)
    thread.start()
    thread.join()
    return got == [True]


def test_each_next_batch_is_published_after_the_lock_is_released(connected_workspace_empty):
    load_qbo(connected_workspace_empty, 45, "Handoff")  # batches 0-2, then the closing one
    run, _ = runs.start_run(connected_workspace_empty.workspace, SyncRun.Kind.CONTACTS)
    seen: list[tuple[int, bool]] = []

    def on_publish(sender=None, body=None, **kwargs):
        if sender == dispatch.RUN_BATCH:
            args = body[0]
            seen.append((args[1], lock_free_elsewhere(args[0])))

    after_task_publish.connect(on_publish, weak=False)
    try:
        runs.execute_plan(str(run.id))
        run.refresh_from_db()
        while run.is_active:
            runs.execute_batch(str(run.id), run.next_batch)
            run.refresh_from_db()
    finally:
        after_task_publish.disconnect(on_publish)
        purge_broker()
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert seen == [(0, True), (1, True), (2, True), (3, True)]
