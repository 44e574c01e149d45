"""Queues and several worker processes, for real: interactive work does not wait behind another
tenant's bulk run, and two workers sharing one run neither duplicate a create nor lose a batch,
also when one of them is SIGKILLed mid-batch.

Workers here are named (``-n``) so the test can ask Celery which one is busy (``inspect``).
A sandbox hold (``runtime.script(..., HOLD, [n])``) stops the n-th LACRM create after it was
processed, so "the bulk worker is busy" and "kill the worker in the middle of a batch" happen
at a known moment, not after a sleep.
"""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import redis

from config.celery import app
from integrations.records import LACRM
from integrations.sandbox import runtime
from integrations.sandbox.models import SandboxCall, SandboxScript
from integrations.sandbox.qbo.store import load_customers
from sync import runs
from sync.models import ContactLink, SyncRun, SyncWorkItem
from sync.runs import dispatch
from tests.fixtures_worker import wait_for
from tests.sync.helpers import assert_counters_match_logs, both_sides, duplicates, finished, recover

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

BATCH = 20


def load_qbo(connected, n: int, tag: str) -> None:
    """``n`` QuickBooks customers that the sync creates in LACRM, one CreateContact each."""
    customers = [
        {
            "GivenName": f"P{i:03d}",
            "FamilyName": tag,
            "PrimaryEmailAddr": {"Address": f"p{i:03d}.{tag.lower()}@queues.example"},
        }
        for i in range(n)
    ]
    load_customers(connected.qbo_company, customers, invoices_per_customer=0)


def hold_create(number: int) -> SandboxScript:
    """Hold the answer of the ``number``-th LACRM create (counted across tenants from now)."""
    return runtime.script(
        "lacrm", "CreateContact", SandboxScript.Action.HOLD, [number], hold_seconds=120
    )


def assert_each_made_once(connected, n: int) -> None:
    workspace = connected.workspace
    lacrm = both_sides(workspace)[1]
    assert len(lacrm) == n and duplicates(lacrm.values()) == []
    links = ContactLink.objects.filter(workspace=workspace)
    assert sorted(set(links.values_list("state", flat=True))) == ["linked"]
    assert links.count() == n
    creates = SandboxCall.objects.filter(
        account=connected.lacrm_account.uid, operation="CreateContact"
    )
    assert creates.count() == n  # no create sent twice, none lost


def busy_workers(names: list[str]) -> list[str]:
    """The named workers executing a ``sync.run_batch`` now (Celery remote control)."""
    host = socket.gethostname()
    destination = [f"{n}@{host}" for n in names]
    replies = None
    deadline = time.monotonic() + 60
    # A worker busy on a loaded machine may answer late: ask again until every one has.
    while time.monotonic() < deadline:
        try:
            replies = app.control.inspect(destination=destination, timeout=5).active()
        except redis.exceptions.TimeoutError:
            continue
        if replies and len(replies) == len(names):
            break
    assert replies, "no worker answered inspect"
    return [
        node.split("@")[0]
        for node, tasks in replies.items()
        if any(task["name"] == "sync.run_batch" for task in tasks)
    ]


def test_an_interactive_run_finishes_while_the_bulk_worker_is_held_by_a_big_run(
    connected_workspace_empty, connect_workspace, bob, celery_worker_factory, release_holds
):
    big, small = connected_workspace_empty, connect_workspace(bob, seed_demo=False)
    load_qbo(big, 3 * BATCH, "Big")
    load_qbo(small, 3, "Small")
    # One interactive batch per run, so the big run's second batch is bulk work.
    celery_worker_factory("interactive", "interactive,periodic", SYNC_INTERACTIVE_BATCHES="1")
    celery_worker_factory("bulk", "bulk", SYNC_INTERACTIVE_BATCHES="1")
    held = hold_create(BATCH + 1)  # the first create of the big run's batch 1

    big_run, _ = runs.start_run(big.workspace, SyncRun.Kind.CONTACTS)
    assert runtime.wait_until_held(held, timeout=120), "the big run's bulk batch never started"
    big_run.refresh_from_db()
    assert big_run.next_batch == 1 and big_run.is_active
    assert busy_workers(["interactive", "bulk"]) == ["bulk"]

    small_run, _ = runs.start_run(small.workspace, SyncRun.Kind.CONTACTS)
    finished(small_run, timeout=60)
    assert small_run.status == SyncRun.Status.COMPLETED, small_run.failure_reason
    assert_each_made_once(small, 3)
    big_run.refresh_from_db()
    assert big_run.is_active and big_run.next_batch == 1  # still held on the bulk worker

    runtime.release(held)
    finished(big_run)
    assert big_run.status == SyncRun.Status.COMPLETED, big_run.failure_reason
    assert_each_made_once(big, 3 * BATCH)


def test_two_workers_share_a_run_without_recovery(connected_workspace_empty, celery_worker_factory):
    """Each batch hands the next to whichever worker is free; none is dropped on the lock (the
    next task is sent after the lock is released), so the run ends with no stale recovery:
    no beat runs here."""
    connected = connected_workspace_empty
    n = 6 * BATCH
    load_qbo(connected, n, "Shared")
    one = celery_worker_factory("one")
    two = celery_worker_factory("two")
    run, _ = runs.start_run(connected.workspace, SyncRun.Kind.CONTACTS)
    finished(run, timeout=180)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert_each_made_once(connected, n)
    assert_counters_match_logs(run)
    assert not SyncWorkItem.objects.filter(run=run, state=SyncWorkItem.State.PENDING).exists()
    # Both took part (batches go to whichever worker is free; with 7 batch tasks, one worker
    # taking them all would mean the other never consumed the queue).
    took = [w.log_path.read_text().count("sync.run_batch[") for w in (one, two)]
    assert all(took), took


def test_a_worker_killed_mid_batch_the_other_finishes_the_run(
    connected_workspace_empty, celery_worker_factory, release_holds
):
    connected = connected_workspace_empty
    n = 5 * BATCH
    load_qbo(connected, n, "Killed")
    workers = {name: celery_worker_factory(name) for name in ("one", "two")}
    held = hold_create(2 * BATCH + 5)  # in the middle of batch 2
    run, _ = runs.start_run(connected.workspace, SyncRun.Kind.CONTACTS)
    assert runtime.wait_until_held(held, timeout=120), "the held create was never sent"
    [busy] = busy_workers(list(workers))
    workers[busy].kill()  # SIGKILL: its lock goes with its database connection
    runtime.release(held)

    recover(run)  # beat's stale check; the survivor picks the re-enqueued batch
    finished(run, timeout=180)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert_each_made_once(connected, n)  # the held create is adopted, not sent again
    assert_counters_match_logs(run)
    [survivor] = [w for name, w in workers.items() if name != busy]
    assert survivor.proc.poll() is None
    assert LACRM == "lacrm"


def test_a_worker_on_every_queue_takes_interactive_work_before_bulk(celery_worker_factory):
    """Queued in the order bulk, bulk, interactive, interactive before the worker starts, the two
    interactive tasks run first (kombu's default round robin would run one bulk task between
    them). The tasks are batches of runs that do not exist, so each ends at once."""
    sent: dict[str, str] = {}
    for queue in ("bulk", "bulk", "interactive", "interactive"):
        result = app.send_task(dispatch.RUN_BATCH, args=[str(uuid.uuid4()), 0], queue=queue)
        sent[result.id] = queue
    worker = celery_worker_factory("all")  # every queue, one slot

    def order() -> list[str]:
        text = worker.log_path.read_text()
        done = [(text.find(f"[{task_id}] succeeded"), task_id) for task_id in sent]
        return [sent[task_id] for at, task_id in sorted(done) if at >= 0]

    wait_for(lambda: len(order()) == 4, timeout=60, message="the worker ran all four tasks")
    assert order() == ["interactive", "interactive", "bulk", "bulk"]
