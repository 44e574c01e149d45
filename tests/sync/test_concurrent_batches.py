"""A batch's calls are in flight together: both sides at once, several LACRM creates at a time,
within the pool's width; and a worker killed mid-concurrent-batch leaves no duplicate.

The overlap is read from the sandbox's own call log: each call's interval is
``[at - duration, at]`` (``SandboxCall``), measured by the provider, not by us.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.records import LACRM, QBO
from integrations.sandbox import runtime
from integrations.sandbox.lacrm.store import load_contacts
from integrations.sandbox.models import SandboxCall, SandboxKnobs
from integrations.sandbox.qbo.store import load_customers
from sync import runs
from sync.models import ContactLink, SyncLogEntry, SyncRun
from sync.runs.calls import CALLS_IN_FLIGHT
from tests.sync.helpers import (
    assert_counters_match_logs,
    both_sides,
    duplicates,
    finished,
    kill_while_held,
    recover,
    run_here,
)

pytestmark = pytest.mark.django_db(transaction=True)

LACRM_ONLY = [f"Lane Lacrm{n}" for n in range(6)]  # created in QuickBooks
QBO_ONLY = [f"Lane Qbo{n}" for n in range(8)]  # created in LACRM


def lane_email(name: str) -> str:
    return f"{name.split()[1].lower()}@lanes.example"


def load_people(connected) -> None:
    load_contacts(
        connected.lacrm_account,
        [{"Name": name, "Email": lane_email(name)} for name in LACRM_ONLY],
    )
    load_customers(
        connected.qbo_company,
        [
            {
                "GivenName": "Lane",
                "FamilyName": name.split()[1],
                "PrimaryEmailAddr": {"Address": lane_email(name)},
            }
            for name in QBO_ONLY
        ],
        invoices_per_customer=0,
    )


def intervals(system: str, operation: str):
    calls = SandboxCall.objects.filter(system=system, operation=operation, status=200)
    return [(c.at - timedelta(milliseconds=c.duration_ms), c.at) for c in calls]


def max_overlap(spans) -> int:
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    level = best = 0
    for _, step in edges:
        level += step
        best = max(best, level)
    return best


def assert_exactly_once_and_linked(workspace) -> None:
    qbo, lacrm = both_sides(workspace)
    assert duplicates(qbo.values()) == [] and duplicates(lacrm.values()) == []
    assert sorted(r.name for r in qbo.values()) == sorted(LACRM_ONLY + QBO_ONLY)
    assert sorted(r.name for r in lacrm.values()) == sorted(LACRM_ONLY + QBO_ONLY)
    links = ContactLink.objects.filter(workspace=workspace)
    assert {link.state for link in links} == {"linked"}
    assert links.count() == len(LACRM_ONLY) + len(QBO_ONLY)
    assert {link.qbo_id for link in links} == set(qbo)
    assert {link.lacrm_id for link in links} == set(lacrm)


def test_a_batch_creates_on_both_sides_at_once_with_several_calls_in_flight(
    connected_workspace_empty,
):
    connected = connected_workspace_empty
    load_people(connected)
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=150)
    run = run_here(connected.workspace)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert_exactly_once_and_linked(connected.workspace)
    assert_counters_match_logs(run)
    assert run.created_in_qbo == len(LACRM_ONLY) and run.created_in_lacrm == len(QBO_ONLY)

    [qbo_batch] = intervals("qbo", "batch")  # One batch call for the six customers.
    lacrm_creates = intervals("lacrm", "CreateContact")
    assert len(lacrm_creates) == len(QBO_ONLY)
    # The QuickBooks batch call was in flight while LACRM creates were.
    assert any(start < qbo_batch[1] and qbo_batch[0] < end for start, end in lacrm_creates)
    # Several LACRM creates at a time, never more than the pool's width.
    assert 2 <= max_overlap(lacrm_creates) <= CALLS_IN_FLIGHT


@pytest.mark.worker
def test_a_worker_killed_mid_concurrent_batch_leaves_exactly_one_of_each(
    connected_workspace_empty, celery_worker_process, release_holds
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_people(connected)
    # The QuickBooks batch is processed and its answer held while LACRM creates are in flight.
    held = runtime.hold_next("qbo", "batch")
    run, _ = runs.start_run(workspace, SyncRun.Kind.CONTACTS)
    kill_while_held(celery_worker_process, held)
    assert ContactLink.objects.filter(workspace=workspace, state="creating").exists()
    recover(run)
    finished(run)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason

    assert_exactly_once_and_linked(workspace)
    # The customers the held batch made were adopted, not created again.
    assert SandboxCall.objects.filter(account=connected.realm_id, operation="batch").count() == 1
    adopted = SyncLogEntry.objects.filter(
        run=run, outcome="created", reason__contains="made by an interrupted attempt"
    )
    # Every customer of the held batch (made from a LACRM contact) was adopted.
    assert adopted.filter(system=LACRM).count() == len(LACRM_ONLY)
    created = SyncLogEntry.objects.filter(workspace=workspace, outcome="created")
    assert created.count() == len(LACRM_ONLY) + len(QBO_ONLY)
    assert {e.system for e in created} == {QBO, LACRM}
