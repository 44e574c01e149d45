"""Sync New Contacts end to end: a real Celery worker, the sandbox providers over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from integrations.sandbox import runtime
from integrations.sandbox.demo_data import build_dataset
from integrations.sandbox.lacrm.store import load_contacts, regenerate_key
from integrations.sandbox.models import SandboxCall, SandboxKnobs, SandboxScript
from integrations.sandbox.qbo.store import load_customers
from sync import runs
from sync.matching.normalize import normalize_company, normalize_email
from sync.models import ACTIVE_STATUSES, ContactLink, SyncLogEntry, SyncRun
from tests.fixtures_worker import wait_for
from tests.sync.helpers import assert_counters_match_logs, both_sides, duplicates
from tests.threads import test_thread

pytestmark = [pytest.mark.django_db(transaction=True)]


def finished(run: SyncRun, timeout: float = 180) -> SyncRun:
    def done():
        run.refresh_from_db()
        return run.status not in ACTIVE_STATUSES

    wait_for(done, timeout=timeout, message=f"run {run.id} did not finish (status {run.status})")
    return run


def sync(workspace, timeout: float = 180) -> SyncRun:
    run, created = runs.start_run(workspace, SyncRun.Kind.CONTACTS)
    assert created
    return finished(run, timeout)


def eligible_qbo(records):
    return {rid: r for rid, r in records.items() if r.active and not r.parent_id}


def assert_one_counterpart_each(workspace, qbo, lacrm):
    """Every eligible record is in the ledger exactly once; linked ids exist on both sides.

    LACRM contacts that match a skipped (inactive or sub-) customer stay out of the ledger: the
    latest run logged them as skipped instead of creating a duplicate in QuickBooks. So do
    contacts QuickBooks refused (logged as failed, with the reason).
    """
    rows = list(ContactLink.objects.filter(workspace=workspace))
    latest = SyncRun.objects.filter(workspace=workspace).order_by("-created_at").first()
    # Skipped on purpose, or failed with a reason in the logs (bad data, e.g. an invalid email).
    shadowed = set(
        SyncLogEntry.objects.filter(
            run=latest, outcome__in=("skipped", "failed"), system="lacrm"
        ).values_list("record_id", flat=True)
    )
    assert not [r for r in rows if r.state == ContactLink.State.CREATING]
    in_ledger_qbo = [r.qbo_id for r in rows if r.qbo_id]
    in_ledger_lacrm = [r.lacrm_id for r in rows if r.lacrm_id]
    assert len(in_ledger_qbo) == len(set(in_ledger_qbo))
    assert len(in_ledger_lacrm) == len(set(in_ledger_lacrm))
    assert set(eligible_qbo(qbo)) <= set(in_ledger_qbo), "a QBO customer has no counterpart"
    # LACRM makes a company record when a person is created with a "Company Name"; QuickBooks
    # keeps that company on the customer, so those records have no counterpart of their own.
    people_companies = {
        normalize_company(r.company_name)
        for side in (qbo, lacrm)
        for r in side.values()
        if r.company_name and r.person_name
    }
    company_records = {
        rid
        for rid, r in lacrm.items()
        if r.is_company and normalize_company(r.name) in people_companies
    }
    missing = set(lacrm) - set(in_ledger_lacrm) - shadowed - company_records
    assert not missing, f"LACRM contacts without counterpart: {[lacrm[m].name for m in missing]}"
    assert not (shadowed & set(in_ledger_lacrm))
    for row in rows:
        if row.state == ContactLink.State.LINKED:
            assert row.qbo_id in qbo and row.lacrm_id in lacrm
    assert duplicates(qbo.values()) == []
    assert duplicates(lacrm.values()) == []


@pytest.mark.worker
def test_sync_gives_every_record_exactly_one_counterpart(
    connected_workspace, celery_worker_process
):
    workspace = connected_workspace.workspace
    qbo_before, lacrm_before = both_sides(workspace)
    run = sync(workspace)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason

    qbo, lacrm = both_sides(workspace)
    assert_one_counterpart_each(workspace, qbo, lacrm)
    in_ledger = set(
        ContactLink.objects.filter(workspace=workspace).values_list("lacrm_id", flat=True)
    )
    # New LACRM records beyond ours: company records LACRM made for the people we created.
    auto_companies = [
        r for rid, r in lacrm.items() if rid not in lacrm_before and rid not in in_ledger
    ]
    assert all(r.is_company for r in auto_companies)
    assert run.created_in_lacrm == len(lacrm) - len(lacrm_before) - len(auto_companies) > 0
    assert run.created_in_qbo == len(qbo) - len(qbo_before) > 0
    assert run.matched > 0 and run.needs_review > 0
    assert_counters_match_logs(run)

    # Ambiguous cases wait in the review queue and were not created on the other side.
    review = ContactLink.objects.filter(workspace=workspace, state="needs_review")
    held = {(r.qbo_id or r.lacrm_id) for r in review}
    created_sources = set(
        SyncLogEntry.objects.filter(run=run, outcome="created").values_list("record_id", flat=True)
    )
    assert held and not (held & created_sources)

    # Fields carried over as mapped: each customer created in LACRM from QBO, and back.
    for link in ContactLink.objects.filter(workspace=workspace, created_in_lacrm=True):
        source, made = qbo[link.qbo_id], lacrm[link.lacrm_id]
        assert normalize_email(made.primary_email) == normalize_email(source.primary_email)
        assert made.name == source.name
        assert [p.number for p in made.phones] == [p.number for p in source.phones]
        assert made.websites == source.websites
        assert [(a.city, a.postal_code) for a in made.addresses][:1] == [
            (a.city, a.postal_code) for a in source.addresses
        ][:1]
    for link in ContactLink.objects.filter(workspace=workspace, created_in_qbo=True):
        source, made = lacrm[link.lacrm_id], qbo[link.qbo_id]
        assert normalize_email(made.primary_email) == normalize_email(source.primary_email)
        assert made.company_name == source.company_name

    # Skipped QBO records say why: inactive customers and sub-customers.
    reasons = " ".join(
        SyncLogEntry.objects.filter(run=run, outcome="skipped").values_list("reason", flat=True)
    )
    assert "Inactive" in reasons and "Sub-customer" in reasons

    # A second sync creates nothing and reports every pair as already matched.
    again = sync(workspace)
    assert again.status == SyncRun.Status.COMPLETED
    assert again.created_in_lacrm == again.created_in_qbo == again.matched == 0
    assert (
        again.already_matched
        == ContactLink.objects.filter(workspace=workspace, state="linked").count()
    )
    assert both_sides(workspace) == (qbo, lacrm)


def load_synthetic(connected, customers: int, contacts: int, overlap: float = 0.4) -> None:
    data = build_dataset(customers, contacts, overlap, seed=7)
    load_customers(connected.qbo_company, data.qbo_customers, invoices_per_customer=0)
    load_contacts(connected.lacrm_account, data.lacrm_contacts)


@pytest.mark.worker
def test_stop_after_first_batch_then_sync_again_finishes_without_gap_or_duplicate(
    connected_workspace_empty, calls_one_at_a_time, celery_worker_process, release_holds
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_synthetic(connected, 60, 50)
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=40)
    # A batch takes up to 20 creates of each system: hold the 21st LACRM create (the second
    # batch's first) so Stop certainly arrives while the run still has work left.
    held = runtime.script(
        "lacrm", "CreateContact", SandboxScript.Action.HOLD, [runs.BATCH_SIZE + 1], hold_seconds=120
    )

    run, _ = runs.start_run(workspace, SyncRun.Kind.CONTACTS)
    assert runtime.wait_until_held(held, timeout=120), "the second batch never started"
    assert SyncRun.objects.get(pk=run.pk).processed >= runs.BATCH_SIZE  # the first is booked
    runs.request_stop(run)
    runtime.release(held)
    finished(run)
    assert run.status == SyncRun.Status.STOPPED
    assert runs.BATCH_SIZE <= run.processed < run.total
    first_created = run.created_in_lacrm + run.created_in_qbo

    SandboxKnobs.objects.filter(pk=1).update(latency_ms=0)
    resumed = sync(workspace)
    assert resumed.status == SyncRun.Status.COMPLETED
    assert resumed.already_matched >= first_created
    qbo, lacrm = both_sides(workspace)
    assert_one_counterpart_each(workspace, qbo, lacrm)
    total_created = ContactLink.objects.filter(workspace=workspace, method="created").count()
    assert total_created == first_created + resumed.created_in_lacrm + resumed.created_in_qbo


@pytest.mark.worker
def test_killed_worker_leaves_no_duplicate_and_no_creating_row(
    connected_workspace_empty, celery_worker_process
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_synthetic(connected, 120, 100)
    qbo_loaded, lacrm_loaded = (len(side) for side in both_sides(workspace))
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=25)
    worker = celery_worker_process

    run, _ = runs.start_run(workspace, SyncRun.Kind.CONTACTS)
    kills = 0
    # Kill at different points: early in the LACRM creates, later, and during QBO batches.
    for threshold in (3, 30, 75, 130):
        reached = wait_for(
            lambda t=threshold: SyncRun.objects.get(pk=run.pk).processed >= t
            or not SyncRun.objects.get(pk=run.pk).is_active,
            timeout=120,
        )
        if not reached or not SyncRun.objects.get(pk=run.pk).is_active:
            break
        worker.kill()
        kills += 1
        worker.start()
        # What beat's periodic check does; the dead worker's lock went with its connection.
        wait_for(
            lambda: runs.recover_stale_runs(timedelta(0))
            or not SyncRun.objects.get(pk=run.pk).is_active,
            timeout=30,
            message=f"run not recovered: {SyncRun.objects.get(pk=run.pk).status}",
        )
    assert kills >= 2
    finished(run, timeout=240)
    if run.status == SyncRun.Status.STOPPED:  # pragma: no cover - not expected
        pytest.fail("run stopped unexpectedly")
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason

    qbo, lacrm = both_sides(workspace)
    assert_one_counterpart_each(workspace, qbo, lacrm)
    # No orphan: every record the sandbox holds beyond the loaded ones is in the ledger once.
    links = ContactLink.objects.filter(workspace=workspace)
    assert len(lacrm) == lacrm_loaded + links.filter(created_in_lacrm=True).count()
    assert len(qbo) == qbo_loaded + links.filter(created_in_qbo=True).count()


@pytest.mark.worker
def test_a_malformed_record_fails_alone_and_the_run_carries_on(
    connected_workspace_empty, celery_worker_process
):
    connected = connected_workspace_empty
    load_contacts(
        connected.lacrm_account,
        [
            {"IsCompany": False, "Name": "Good One", "Email": "good.one@example.com"},
            {"IsCompany": False, "Name": "Bad Email", "Email": "bad-email@nodot"},
            {"IsCompany": False, "Name": "Good Two", "Email": "good.two@example.com"},
        ],
    )
    run = sync(connected.workspace)
    assert run.status == SyncRun.Status.COMPLETED
    assert run.created_in_qbo == 2 and run.failed == 1
    failure = SyncLogEntry.objects.get(run=run, outcome="failed")
    assert failure.record_name == "Bad Email"
    assert "mail" in failure.reason.lower()
    assert not ContactLink.objects.filter(workspace=connected.workspace, state="creating").exists()


@pytest.mark.worker
def test_revoked_lacrm_key_stops_the_run_with_the_reason(
    connected_workspace, celery_worker_process
):
    regenerate_key(connected_workspace.lacrm_account)
    run = sync(connected_workspace.workspace)
    assert run.status == SyncRun.Status.FAILED
    assert "Less Annoying CRM" in run.failure_reason
    assert SyncLogEntry.objects.filter(run=run, outcome="failed").count() == 0
    response = connected_workspace.client.get("/dashboard/")
    assert run.failure_reason in response.content.decode()


def test_double_click_starts_one_run(connected_workspace):
    workspace = connected_workspace.workspace
    results = []

    def click():
        results.append(runs.start_run(workspace, SyncRun.Kind.CONTACTS))

    threads = [test_thread(target=click) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(created for _, created in results) == 1
    assert len({run.id for run, _ in results}) == 1
    assert SyncRun.objects.filter(workspace=workspace).count() == 1
    # And through the dashboard's button: a second POST starts nothing new.
    connected_workspace.client.post("/sync/start/contacts/")
    assert SyncRun.objects.filter(workspace=workspace).count() == 1


@pytest.mark.worker
def test_operator_command_runs_the_same_engine(connected_workspace, celery_worker_process, capsys):
    call_command("sync_contacts", "--workspace", connected_workspace.user.email, "--wait")
    out = capsys.readouterr().out
    assert "Status: completed" in out
    run = SyncRun.objects.get(workspace=connected_workspace.workspace)
    assert run.trigger == SyncRun.Trigger.OPERATOR
    assert f"created in LACRM {run.created_in_lacrm}" in out


@pytest.mark.worker
def test_a_sync_under_seeded_faults_finishes_every_item_in_one_run(
    connected_workspace_empty, celery_worker_process
):
    """Issue 12.4: 10% 5xx and 5% 429 on every call, QuickBooks tokens that live two minutes:
    one run creates everything, nothing twice. A 5xx on a create may or may not have made the
    record; the outbox looks for it and, when it is not there, sends it again."""
    from integrations.models import QuickBooksConnection

    cw = connected_workspace_empty
    load_synthetic(cw, customers=60, contacts=60, overlap=0.4)
    qbo_before, lacrm_before = both_sides(cw.workspace)
    SandboxKnobs.objects.filter(pk=1).update(
        fault_500_rate=0.10,
        fault_429_rate=0.05,
        fault_seed=20261201,
        fault_calls=0,
        qbo_access_token_lifetime=120,
    )
    # The token in hand expires now: the run refreshes and gets two-minute tokens from here on.
    QuickBooksConnection.objects.filter(workspace=cw.workspace).update(
        access_expires_at=timezone.now()
    )
    run = sync(cw.workspace, timeout=540)
    SandboxKnobs.objects.filter(pk=1).update(fault_500_rate=0.0, fault_429_rate=0.0)

    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    faults = SandboxKnobs.objects.get(pk=1).fault_calls
    assert faults > 0  # the dice were rolled for every call of the run
    assert run.failed == 0, list(
        SyncLogEntry.objects.filter(run=run, outcome="failed").values_list("reason", flat=True)
    )
    assert run.processed == run.total > 0
    qbo, lacrm = both_sides(cw.workspace)
    assert_one_counterpart_each(cw.workspace, qbo, lacrm)
    assert run.created_in_qbo == len(qbo) - len(qbo_before)
    assert_counters_match_logs(run)
    # Faults were really injected: the sandbox answered some calls with 500 and 429.
    statuses = set(SandboxCall.objects.values_list("status", flat=True))
    assert {500, 429} <= statuses


@pytest.mark.worker
def test_the_hard_cases_of_a_first_sync_through_the_worker(
    connected_workspace_empty, celery_worker_process
):
    """Issue 12, behaviours 1, 2, 3 and 7, end to end over HTTP: a business customer links to
    its LACRM company record; a person named only in DisplayName links to the LACRM person; a
    household sharing a phone is two people; an inactive customer's contact is linked."""
    cw = connected_workspace_empty
    load_customers(
        cw.qbo_company,
        [
            {
                "GivenName": "Ann",
                "FamilyName": "Lee",
                "CompanyName": "Acme Tooling Inc",
                "PrimaryEmailAddr": {"Address": "ann@acmetooling.example"},
            },
            {"DisplayName": "Lopez, Maria", "PrimaryPhone": {"FreeFormNumber": "555-010-0300"}},
            {
                "GivenName": "John",
                "FamilyName": "Ashgrove",
                "PrimaryEmailAddr": {"Address": "john@ashgrove.example"},
                "PrimaryPhone": {"FreeFormNumber": "555-010-0400"},
            },
            {
                "GivenName": "Dee",
                "FamilyName": "Fox",
                "Active": False,
                "PrimaryEmailAddr": {"Address": "dee@fox.example"},
            },
        ],
        invoices_per_customer=0,
    )
    load_contacts(
        cw.lacrm_account,
        [
            {"IsCompany": True, "Name": "ACME Tooling", "Email": "info@acmetooling.example"},
            {"Name": "Maria Lopez", "Phone": "(555) 010-0300"},
            {"Name": "Jane Ashgrove", "Email": "jane@ashgrove.example", "Phone": "5550100400"},
            {"Name": "Dee Fox", "Email": "dee@fox.example"},
        ],
    )
    qbo, lacrm = both_sides(cw.workspace)
    by_name = {r.name: r.id for r in qbo.values()} | {
        "ACME Tooling": lacrm_id_of(lacrm, "ACME Tooling")
    }
    run = sync(cw.workspace)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason

    links = {
        (row.qbo_id, row.lacrm_id): row
        for row in ContactLink.objects.filter(workspace=cw.workspace, state="linked")
    }
    qbo_after, lacrm_after = both_sides(cw.workspace)
    # 1. The business is the LACRM company record; no person was created under it.
    acme = links[(by_name["Ann Lee"], by_name["ACME Tooling"])]
    assert acme.method == "company"
    assert not [r for r in lacrm_after.values() if r.name == "Ann Lee"]
    # 2. The DisplayName-only customer is the person Maria Lopez.
    assert (qbo_id_of(qbo, "Lopez, Maria"), lacrm_id_of(lacrm, "Maria Lopez")) in links
    # 3. John and Jane share a phone and a surname, not a person: each created on the other side.
    assert not ContactLink.objects.filter(workspace=cw.workspace, state="needs_review").exists()
    assert [r for r in lacrm_after.values() if r.name == "John Ashgrove"]
    assert [r for r in qbo_after.values() if r.name == "Jane Ashgrove"]
    # 7. The inactive customer's contact is linked (flagged), and nothing was created for it.
    dee = links[(by_name["Dee Fox"], lacrm_id_of(lacrm, "Dee Fox"))]
    assert "inactive" in dee.flag.lower() and "inactive" in dee.reason.lower()
    assert len([r for r in qbo_after.values() if r.name == "Dee Fox"]) == 1
    assert_counters_match_logs(run)


def qbo_id_of(records, display_name: str) -> str:
    return next(r.id for r in records.values() if r.display_name == display_name)


def lacrm_id_of(records, name: str) -> str:
    return next(r.id for r in records.values() if r.name == name)
