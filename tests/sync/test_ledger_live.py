"""The ledger pages against the sandbox providers over real HTTP (live server, real clients)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from integrations import registry
from integrations.records import LACRM, QBO, ContactRecord, Phone
from sync import runs
from sync.models import ContactLink, RejectedPair, SyncLogEntry, SyncRun
from tests.fixtures_worker import purge_broker


def qbo_customer(workspace, record: ContactRecord) -> ContactRecord:
    [result] = registry.accounting(workspace).create_customers([(str(uuid.uuid4()), record)])
    assert result.ok, result.error
    return result.record


def lacrm_contact(workspace, record: ContactRecord) -> ContactRecord:
    result = registry.crm(workspace).create_contact(str(uuid.uuid4()), record)
    assert result.ok, result.error
    return result.record


def person(system, first, last, email="", phone="") -> ContactRecord:
    return ContactRecord(
        system=system,
        first_name=first,
        last_name=last,
        emails=(email,) if email else (),
        phones=(Phone(phone, "work"),) if phone else (),
    )


def sync_here(workspace) -> SyncRun:
    """Run Sync New Contacts to the end in this process, through the run machinery."""
    run, created = runs.start_run(workspace, SyncRun.Kind.CONTACTS)
    assert created
    runs.execute_plan(str(run.id))
    run.refresh_from_db()
    while run.is_active:
        runs.execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
    # The tasks start_run and the batches enqueued are not for this test's (absent) worker.
    purge_broker()
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    return run


def lacrm_by_name(workspace, name: str) -> list[ContactRecord]:
    return [r for r in registry.crm(workspace).iter_contacts() if r.name == name]


def qbo_by_name(workspace, name: str) -> list[ContactRecord]:
    customers = registry.accounting(workspace).iter_customers(include_inactive=True)
    return [r for r in customers if r.name == name]


@pytest.fixture
def cw(connected_workspace_empty):
    return connected_workspace_empty


def test_details_show_both_records_read_live_side_by_side(cw):
    ws = cw.workspace
    q = qbo_customer(ws, person(QBO, "Nick", "Brown", "nick@example.com", "555-0100"))
    lid = lacrm_contact(ws, person(LACRM, "Nick", "Brown", "nick@example.com", "555-0199"))
    link = ContactLink.objects.create(
        workspace=ws, qbo_id=q.id, lacrm_id=lid.id, state="linked", method="email"
    )
    page = cw.client.get(reverse("sync:ledger_detail", args=[link.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="qbo-error"' not in text and 'id="lacrm-error"' not in text
    fields = {row["label"]: row for row in page.context["fields"]}
    assert fields["Name"]["qbo"] == fields["Name"]["lacrm"] == "Nick Brown"
    assert fields["Emails"]["qbo"] == fields["Emails"]["lacrm"] == "nick@example.com"
    assert not fields["Emails"]["differs"]
    assert "555-0100" in fields["Phones"]["qbo"] and "555-0199" in fields["Phones"]["lacrm"]
    assert fields["Phones"]["differs"]


def test_details_say_when_a_record_no_longer_exists(cw):
    ws = cw.workspace
    q = qbo_customer(ws, person(QBO, "Ada", "Gone", "ada@example.com"))
    link = ContactLink.objects.create(
        workspace=ws, qbo_id=q.id, lacrm_id="4070000000000000000000000000001", state="linked"
    )
    text = cw.client.get(reverse("sync:ledger_detail", args=[link.pk])).content.decode()
    assert "Ada Gone" in text
    assert "no longer exists in Less Annoying CRM" in text


def test_links_survive_renames_in_both_systems(cw):
    ws = cw.workspace
    q = qbo_customer(ws, person(QBO, "Nick", "Brown", "nick@example.com"))
    lid = lacrm_contact(ws, person(LACRM, "Nick", "Brown", "nick@example.com"))
    sync_here(ws)
    link = ContactLink.objects.get(workspace=ws, qbo_id=q.id)
    assert link.lacrm_id == lid.id and link.state == "linked"

    # Renamed on both sides, and the emails changed: nothing matching could still use.
    registry.accounting(ws).update_customer(
        q.id,
        {"first_name": "Nicholas", "last_name": "Browne", "emails": ("nb@work.example",)},
    )
    registry.crm(ws).edit_contact(
        lid.id, {"first_name": "Nico", "last_name": "Smith", "emails": ("nico@home.example",)}
    )
    second = sync_here(ws)

    link.refresh_from_db()
    assert (link.qbo_id, link.lacrm_id, link.state) == (q.id, lid.id, "linked")
    assert (link.qbo_name, link.lacrm_name) == ("Nicholas Browne", "Nico Smith")
    assert ContactLink.objects.filter(workspace=ws).count() == 1
    assert SyncLogEntry.objects.filter(run=second, outcome="already_matched").count() == 1
    assert second.created_in_lacrm == second.created_in_qbo == 0
    assert len(list(registry.crm(ws).iter_contacts())) == 1


def test_review_create_makes_the_record_and_links_it(cw):
    ws = cw.workspace
    q = qbo_customer(ws, person(QBO, "Ann", "Lee", "ann.lee@example.com"))
    other = lacrm_contact(ws, person(LACRM, "Anne", "Lee", "anne@example.com"))
    row = ContactLink.objects.create(
        workspace=ws,
        qbo_id=q.id,
        state="needs_review",
        reason="Close name with the same phone",
        candidates=[other.id],
        qbo_name="Ann Lee",
    )
    ContactLink.objects.create(
        workspace=ws,
        lacrm_id=other.id,
        state="needs_review",
        reason="Close name with the same phone",
        candidates=[q.id],
        lacrm_name="Anne Lee",
    )
    response = cw.client.post(reverse("sync:review_create", args=[row.pk]), follow=True)
    assert "Created Ann Lee in Less Annoying CRM" in response.content.decode()

    [created] = lacrm_by_name(ws, "Ann Lee")
    assert created.emails == ("ann.lee@example.com",)
    link = ContactLink.objects.get(workspace=ws)
    assert (link.qbo_id, link.lacrm_id, link.state, link.method) == (
        q.id,
        created.id,
        "linked",
        "created",
    )
    assert link.created_in_lacrm and link.pk == row.pk
    # "None of these": the candidate is remembered as not this customer and goes back to syncing.
    assert RejectedPair.objects.filter(workspace=ws, qbo_id=q.id, lacrm_id=other.id).exists()
    entry = SyncLogEntry.objects.get(workspace=ws, outcome="created")
    assert entry.run is None and entry.target_id == created.id
    assert "by hand by alice@example.com" in entry.reason


def test_create_in_quickbooks_for_an_unmatched_lacrm_contact(cw):
    ws = cw.workspace
    lid = lacrm_contact(ws, person(LACRM, "Cora", "Create", "cora@example.com"))
    run = SyncRun.objects.create(workspace=ws, kind="contacts", status="completed", planned=True)
    SyncLogEntry.objects.create(
        workspace=ws,
        run=run,
        outcome="skipped",
        system=LACRM,
        record_id=lid.id,
        record_name="Cora Create",
        reason="Not in QuickBooks; the sync direction is QuickBooks → LACRM only",
    )
    response = cw.client.post(
        reverse("sync:create_counterpart"), {"system": LACRM, "record_id": lid.id}
    )
    link = ContactLink.objects.get(workspace=ws)
    assert response["Location"] == reverse("sync:ledger_detail", args=[link.pk])
    [customer] = qbo_by_name(ws, "Cora Create")
    assert (link.qbo_id, link.lacrm_id, link.created_in_qbo) == (customer.id, lid.id, True)
    assert customer.emails == ("cora@example.com",)
    # Clicking again creates nothing more.
    cw.client.post(reverse("sync:create_counterpart"), {"system": LACRM, "record_id": lid.id})
    assert len(qbo_by_name(ws, "Cora Create")) == 1


def test_a_refused_create_leaves_the_case_as_it_was(cw):
    ws = cw.workspace
    company = ContactRecord(system=QBO, is_company=True, company_name="Acme Ltd")
    q = qbo_customer(ws, company)
    taken = lacrm_contact(ws, ContactRecord(system=LACRM, is_company=True, company_name="Acme Ltd"))
    row = ContactLink.objects.create(
        workspace=ws,
        qbo_id=q.id,
        state="needs_review",
        reason="A person named like a company",
        candidates=["someone"],
        qbo_name="Acme Ltd",
    )
    response = cw.client.post(reverse("sync:review_create", args=[row.pk]), follow=True)
    assert "did not create" in response.content.decode()
    row.refresh_from_db()
    assert (row.state, row.candidates, row.reason) == (
        "needs_review",
        ["someone"],
        "A person named like a company",
    )
    assert not ContactLink.objects.filter(workspace=ws, state="creating").exists()
    assert [r.id for r in lacrm_by_name(ws, "Acme Ltd")] == [taken.id]
    assert SyncLogEntry.objects.filter(workspace=ws, outcome="failed", run=None).count() == 1


@pytest.mark.parametrize("side", [QBO, LACRM])
def test_manual_link_searches_the_other_system_live_and_links(cw, side):
    ws = cw.workspace
    q = qbo_customer(ws, person(QBO, "Pat", "Quinn", "pat@books.example"))
    lid = lacrm_contact(ws, person(LACRM, "Patricia", "Quinn", "patricia@crm.example"))
    source, target = (q, lid) if side == QBO else (lid, q)
    run = SyncRun.objects.create(workspace=ws, kind="contacts", status="completed", planned=True)
    SyncLogEntry.objects.create(
        workspace=ws,
        run=run,
        outcome="skipped",
        system=side,
        record_id=source.id,
        record_name=source.name,
    )
    page = cw.client.get(
        reverse("sync:manual_link"), {"system": side, "record_id": source.id, "q": "Quinn"}
    )
    assert page.context["live_error"] == ""
    live_ids = {ref.id for ref in page.context["live"]}
    assert target.id in live_ids
    response = cw.client.post(
        reverse("sync:manual_link"),
        {"system": side, "record_id": source.id, "target_id": target.id},
    )
    assert response.status_code == 302
    link = ContactLink.objects.get(workspace=ws, state="linked")
    assert (link.qbo_id, link.lacrm_id, link.method) == (q.id, lid.id, "manual")
    assert link.qbo_name == "Pat Quinn" and link.lacrm_name == "Patricia Quinn"
