"""Update Invoice Summaries end to end: sandbox over HTTP, the run machinery, a real worker."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from integrations import registry
from integrations.sandbox.models import SandboxKnobs
from summaries.kind import KIND as SUMMARIES_KIND
from summaries.models import ContactSummaryState, SummaryNote
from sync import runs
from sync.models import ACTIVE_STATUSES, ContactLink, SyncLogEntry, SyncRun
from tests.fixtures_worker import wait_for
from tests.sync.helpers import assert_counters_match_logs

pytestmark = [pytest.mark.django_db(transaction=True)]


def finished(run: SyncRun, timeout: float = 180) -> SyncRun:
    def done():
        run.refresh_from_db()
        return run.status not in ACTIVE_STATUSES

    wait_for(done, timeout=timeout, message=f"run {run.id} did not finish ({run.status})")
    return run


def run_with_worker(workspace, kind) -> SyncRun:
    run, created = runs.start_run(workspace, kind)
    assert created
    return finished(run)


def run_inline(workspace, kind) -> SyncRun:
    """Run the same plan and batch functions the worker's tasks call, in this process."""
    run, created = runs.start_run(workspace, kind)
    assert created
    runs.execute_plan(str(run.id))
    run.refresh_from_db()
    while run.is_active:
        runs.execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
    return run


def notes_by_contact(workspace) -> dict[str, list[dict]]:
    client = registry.crm(workspace)
    links = ContactLink.objects.filter(workspace=workspace, state="linked")
    return {link.lacrm_id: client.list_notes(link.lacrm_id) for link in links}


def expected_open(connected) -> dict[str, tuple[int, Decimal]]:
    """Open invoice count and balance per linked customer, sub-customers rolled up, from the
    sandbox's own invoice rows (not through our client)."""
    from integrations.sandbox.qbo.store import customer_dicts, invoice_dicts

    parent = {
        c["Id"]: c["ParentRef"]["value"]
        for c in customer_dicts(connected.qbo_company)
        if c.get("ParentRef")
    }

    def root(cid):
        seen = set()
        while cid in parent and cid not in seen:
            seen.add(cid)
            cid = parent[cid]
        return cid

    totals: dict[str, list] = defaultdict(lambda: [0, Decimal("0")])
    for inv in invoice_dicts(connected.qbo_company):
        balance = Decimal(str(inv["Balance"]))
        if balance > 0:
            entry = totals[root(inv["CustomerRef"]["value"])]
            entry[0] += 1
            entry[1] += balance
    return {cid: (n, total) for cid, (n, total) in totals.items()}


@pytest.fixture
def synced(connected_workspace, celery_worker_process):
    """The demo workspace after Sync New Contacts: the ledger links the overlapping contacts."""
    run = run_with_worker(connected_workspace.workspace, SyncRun.Kind.CONTACTS)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    return connected_workspace


@pytest.mark.worker
def test_notes_land_only_on_linked_contacts_with_unpaid_invoices(synced):
    workspace = synced.workspace
    client = registry.crm(workspace)
    links = list(ContactLink.objects.filter(workspace=workspace, state="linked"))
    before = {link.lacrm_id: client.get_contact(link.lacrm_id) for link in links}

    run = run_with_worker(workspace, SUMMARIES_KIND)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert_counters_match_logs(run)

    expected = expected_open(synced)
    notes = notes_by_contact(workspace)
    with_notes = {lid for lid, posted in notes.items() if posted}
    should = {link.lacrm_id for link in links if link.qbo_id in expected}
    assert with_notes == should and run.notes_added == len(should) > 0
    for link in links:
        posted = notes[link.lacrm_id]
        if link.qbo_id not in expected:
            assert posted == []
            continue
        assert len(posted) == 1
        count, balance = expected[link.qbo_id]
        text = posted[0]["text"]
        # "Open invoices: 2, balance due $1,250.00" (or CA$… for a customer billed in CAD).
        shown = re.search(rf"Open invoices: {count}, balance due \D*([\d,]+\.\d\d)", text)
        assert shown, text
        assert Decimal(shown.group(1).replace(",", "")) == balance
        assert "<" not in text and "&amp;" not in text

    # Contacts without open invoices, and QBO customers with invoices but no link, are skipped.
    outcomes = set(SyncLogEntry.objects.filter(run=run).values_list("outcome", flat=True))
    assert {"note_added", "no_open_invoices"} <= outcomes

    # No contact detail changed.
    after = {link.lacrm_id: client.get_contact(link.lacrm_id) for link in links}
    for lacrm_id, record in before.items():
        assert after[lacrm_id].emails == record.emails
        assert after[lacrm_id].phones == record.phones
        assert after[lacrm_id].addresses == record.addresses
        assert after[lacrm_id].name == record.name

    # A second run inside 24 hours posts nothing and says when each contact is eligible again.
    again = run_with_worker(workspace, SUMMARIES_KIND)
    assert again.notes_added == 0 and again.throttled == len(should)
    reason = SyncLogEntry.objects.filter(run=again, outcome="throttled").first().reason
    assert "next update after" in reason
    assert sum(len(v) for v in notes_by_contact(workspace).values()) == len(should)


def test_after_24_hours_a_changed_summary_posts_again(connected_workspace, sandbox):
    workspace = connected_workspace.workspace
    run_inline(workspace, SyncRun.Kind.CONTACTS)
    first = run_inline(workspace, SUMMARIES_KIND)
    assert first.notes_added > 0
    posted = first.notes_added

    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=True):
        inside = run_inline(workspace, SUMMARIES_KIND)
        assert inside.notes_added == 0 and inside.throttled == posted

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=True):
        later = run_inline(workspace, SUMMARIES_KIND)
    # A day later "overdue" counts moved for some invoices; unchanged summaries are skipped
    # (workspace setting, on by default) and the rest get a new note.
    assert later.throttled == 0
    assert (
        later.notes_added + SyncLogEntry.objects.filter(run=later, outcome="unchanged").count()
        == posted
    )
    assert SummaryNote.objects.filter(workspace=workspace).count() == posted + later.notes_added


@pytest.mark.worker
def test_stop_and_resume_post_each_note_exactly_once(synced):
    workspace = synced.workspace
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=150)
    run, _ = runs.start_run(workspace, SUMMARIES_KIND)
    wait_for(lambda: SyncRun.objects.get(pk=run.pk).notes_added >= 1, timeout=60)
    runs.request_stop(run)
    finished(run)
    assert run.status == SyncRun.Status.STOPPED
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=0)
    resumed = run_with_worker(workspace, SUMMARIES_KIND)
    assert resumed.status == SyncRun.Status.COMPLETED
    assert resumed.throttled == run.notes_added
    counts = [len(v) for v in notes_by_contact(workspace).values()]
    assert max(counts) == 1
    assert sum(counts) == run.notes_added + resumed.notes_added


@pytest.mark.worker
def test_a_killed_worker_never_causes_a_second_note(synced, celery_worker_process):
    workspace = synced.workspace
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=120)
    run, _ = runs.start_run(workspace, SUMMARIES_KIND)
    for threshold in (1, 4):
        wait_for(lambda t=threshold: SyncRun.objects.get(pk=run.pk).notes_added >= t, timeout=60)
        celery_worker_process.kill()
        celery_worker_process.start()
        wait_for(lambda: runs.recover_stale_runs(timedelta(0)), timeout=30)
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=0)
    finished(run)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    counts = [len(v) for v in notes_by_contact(workspace).values()]
    assert max(counts) == 1
    assert not ContactSummaryState.objects.filter(pending_key__isnull=False).exists()
