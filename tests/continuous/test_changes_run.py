"""The ``changes`` run over real HTTP: merges repoint, deletions and inactivity flag, a new
LACRM contact reaches QuickBooks, a new record matches instead of duplicating, and it reads
only what changed."""

from __future__ import annotations

from integrations import registry
from integrations.changes import Change
from integrations.sandbox.lacrm import writes as lacrm_writes
from integrations.sandbox.lacrm.models import SandboxLacrmContact
from integrations.sandbox.models import SandboxCall
from sync.continuous.intake import KIND, record_changes
from sync.continuous.models import SummaryRefresh
from sync.models import ContactLink, SyncLogEntry, SyncRun
from sync.runs import execute_batch, execute_plan
from tests.fixtures_worker import purge_broker
from tests.sync.helpers import assert_counters_match_logs
from tests.sync.test_field_updates import add_contact, add_customer, edit_customer, link


def apply(cw, system: str, *changes: Change) -> SyncRun:
    """Record changes and run the queued changes run here, as the tasks would."""
    record_changes(cw.workspace, system, list(changes), "test")
    run = SyncRun.objects.get(workspace=cw.workspace, kind=KIND, status="queued")
    execute_plan(str(run.id))
    run.refresh_from_db()
    while run.is_active:
        execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
    purge_broker()
    assert run.status == "completed", run.failure_reason
    return run


def test_a_merge_repoints_the_link_to_the_surviving_customer(connected_workspace_empty):
    cw = connected_workspace_empty
    loser = add_customer(cw, "Ann", "Lee", PrimaryEmailAddr={"Address": "ann@example.com"})
    survivor = add_customer(cw, "Ann", "Lee-Park", PrimaryEmailAddr={"Address": "ann@example.com"})
    contact = add_contact(cw, "Ann Lee", Email=[{"Text": "ann@example.com"}])
    row = link(cw, loser, contact)
    edit_customer(cw, loser, Active=False)  # QuickBooks deactivates the merged-away customer.
    run = apply(cw, "qbo", Change(loser, "merged", survivor_id=survivor, event_id="m"))
    row.refresh_from_db()
    assert row.qbo_id == survivor and row.lacrm_id == contact and row.flag == ""
    assert SyncLogEntry.objects.filter(run=run, outcome="updated", record_id=survivor).exists()
    assert run.created_in_lacrm == run.created_in_qbo == 0
    assert ContactLink.objects.filter(workspace=cw.workspace).count() == 1
    assert_counters_match_logs(run)


def test_an_inactive_customer_or_deleted_contact_flags_its_link_and_is_never_recreated(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    gone_qbo = add_customer(cw, "Bo", "Gone", PrimaryEmailAddr={"Address": "bo@example.com"})
    kept_lacrm = add_contact(cw, "Bo Gone", Email=[{"Text": "bo@example.com"}])
    kept_qbo = add_customer(cw, "Cy", "Kept", PrimaryEmailAddr={"Address": "cy@example.com"})
    gone_lacrm = add_contact(cw, "Cy Kept", Email=[{"Text": "cy@example.com"}])
    first = link(cw, gone_qbo, kept_lacrm)
    second = link(cw, kept_qbo, gone_lacrm)
    edit_customer(cw, gone_qbo, Active=False)
    lacrm_writes.delete_contact(SandboxLacrmContact.objects.get(uid=gone_lacrm))
    run = apply(
        cw,
        "qbo",
        Change(gone_qbo, "inactive", event_id="i"),
    )
    record_changes(cw.workspace, "lacrm", [Change(gone_lacrm, "deleted", event_id="d")], "test")
    run2 = SyncRun.objects.get(workspace=cw.workspace, kind=KIND, status="queued")
    execute_plan(str(run2.id))
    run2.refresh_from_db()
    while run2.is_active:
        execute_batch(str(run2.id), run2.next_batch)
        run2.refresh_from_db()
    purge_broker()
    first.refresh_from_db()
    second.refresh_from_db()
    assert "inactive" in first.flag.lower()
    assert "deleted" in second.flag.lower()
    for r in (run, run2):
        assert r.created_in_lacrm == r.created_in_qbo == 0
    contacts = {c.id for c in registry.crm(cw.workspace).iter_contacts()}
    assert contacts == {kept_lacrm}
    customers = list(registry.accounting(cw.workspace).iter_customers(include_inactive=True))
    assert len(customers) == 2


def test_a_new_lacrm_contact_is_created_in_quickbooks_and_a_known_name_is_matched(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    existing = add_customer(cw, "Nick", "Brown", PrimaryEmailAddr={"Address": "nick@example.com"})
    same_person = add_contact(cw, "Brown, Nick", Email=[{"Text": "nick@example.com"}])
    newcomer = add_contact(cw, "Dora Vale", Email=[{"Text": "dora@example.com"}])
    run = apply(
        cw,
        "lacrm",
        Change(same_person, "created", event_id="n1"),
        Change(newcomer, "created", event_id="n2"),
    )
    assert run.matched == 1 and run.created_in_qbo == 1
    assert ContactLink.objects.get(lacrm_id=same_person).qbo_id == existing
    created = ContactLink.objects.get(lacrm_id=newcomer)
    assert created.state == "linked" and created.created_in_qbo
    names = sorted(c.name for c in registry.accounting(cw.workspace).iter_customers())
    assert names == ["Dora Vale", "Nick Brown"]
    assert_counters_match_logs(run)
    # The created customer is never read back: the batch create's answer has it.
    ops = list(
        SandboxCall.objects.filter(system="qbo", account=cw.realm_id)
        .order_by("id")
        .values_list("operation", flat=True)
    )
    assert "batch" in ops
    assert not any(op.startswith("GET customer") for op in ops[ops.index("batch") :]), ops


def test_a_changes_run_reads_only_the_changed_records_and_never_reads_after_creating(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    for i in range(30):
        add_customer(cw, f"Other{i}", "Person", PrimaryEmailAddr={"Address": f"o{i}@example.com"})
    linked_qbo = add_customer(cw, "Eve", "Stone", PrimaryEmailAddr={"Address": "eve@example.com"})
    linked_lacrm = add_contact(cw, "Eve Stone", Email=[{"Text": "eve@example.com"}])
    link(cw, linked_qbo, linked_lacrm)
    new_qbo = add_customer(cw, "Finn", "Ray", PrimaryEmailAddr={"Address": "finn@example.com"})
    SandboxCall.objects.all().delete()
    apply(
        cw,
        "qbo",
        Change(linked_qbo, "updated", event_id="u"),
        Change(new_qbo, "created", event_id="c"),
    )
    qbo_calls = list(
        SandboxCall.objects.filter(system="qbo", account=cw.realm_id).values_list(
            "operation", flat=True
        )
    )
    # One query for both changed customers; nothing else read from QuickBooks.
    assert [op for op in qbo_calls if op.startswith(("GET", "query"))] == ["query Customer"], (
        qbo_calls
    )
    lacrm_ops = list(SandboxCall.objects.filter(system="lacrm").values_list("operation", flat=True))
    assert "CreateContact" in lacrm_ops
    # The linked contact is read once; the created one is not read back after its create.
    after_create = lacrm_ops[lacrm_ops.index("CreateContact") + 1 :]
    assert "GetContact" not in after_create, lacrm_ops
    assert lacrm_ops.count("GetContact") == 1, lacrm_ops


def test_invoice_changes_mark_their_customer_for_the_next_summaries_run(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    from integrations.sandbox.qbo.invoices import create_invoice

    customer = add_customer(cw, "Gil", "Ames", PrimaryEmailAddr={"Address": "gil@example.com"})
    invoice = create_invoice(
        cw.qbo_company,
        {
            "CustomerRef": {"value": customer},
            "Line": [
                {"Amount": 50, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}
            ],
        },
    )
    apply(cw, "qbo_invoice", Change(str(invoice.qbo_id), "updated", event_id="inv"))
    assert list(SummaryRefresh.objects.values_list("qbo_id", flat=True)) == [customer]
    # The next Update Invoice Summaries covers it (and posts at most one note a day).
    link(cw, customer, add_contact(cw, "Gil Ames", Email=[{"Text": "gil@example.com"}]))
    from tests.sync.helpers import run_here

    summaries = run_here(cw.workspace, "invoice_summaries")
    assert summaries.notes_added == 1
    assert not SummaryRefresh.objects.exists()
