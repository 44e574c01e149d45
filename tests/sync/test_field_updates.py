"""Update Linked Records over real HTTP: the sandbox providers, our clients, a real worker."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from integrations import registry
from integrations.errors import NotConnected
from integrations.lacrm import connection as lacrm_connection
from integrations.records import LACRM, QBO, Phone
from integrations.sandbox.lacrm import writes as lacrm_writes
from integrations.sandbox.models import SandboxCall, SandboxKnobs
from integrations.sandbox.qbo.faults import QboFault
from integrations.sandbox.qbo.models import SandboxQboName
from integrations.sandbox.qbo.names import create_name, update_name
from sync import runs
from sync.fields.apply import STALE_MESSAGE
from sync.fields.handler import FieldUpdateHandler
from sync.models import ContactLink, SyncLogEntry, SyncRun, SyncSettings, SyncWorkItem
from sync.runs import BATCH_SIZE, BatchContext
from tests.fixtures_worker import wait_for
from tests.threads import test_thread

ADDRESS_LACRM = {
    "Street": "100 Main St\nSuite 5",
    "City": "Springfield",
    "State": "IL",
    "Zip": "62701",
    "Country": "US",
}


# --- setting up both systems and the ledger ------------------------------------------------------


def add_customer(cw, given: str, family: str, **wire) -> str:
    """A customer in the sandbox QuickBooks company (its own store, as if typed in QBO)."""
    row = create_name(
        cw.qbo_company, "Customer", {"GivenName": given, "FamilyName": family, **wire}
    )
    return str(row.qbo_id)


def add_contact(cw, name: str, **params) -> str:
    """A contact in the sandbox LACRM account."""
    contact = lacrm_writes.create_contact(
        cw.lacrm_account,
        {"IsCompany": False, "AssignedTo": cw.lacrm_account.user_id, "Name": name, **params},
    )
    return contact.uid


def link(cw, qbo_id: str, lacrm_id: str, synced: dict | None = None) -> ContactLink:
    return ContactLink.objects.create(
        workspace=cw.workspace,
        qbo_id=qbo_id,
        lacrm_id=lacrm_id,
        state=ContactLink.State.LINKED,
        method=ContactLink.Method.EMAIL,
        synced_fields=synced or {},
    )


def edit_customer(cw, qbo_id: str, **fields) -> None:
    """Change a customer in the sandbox the way a QBO user would (SyncToken goes up)."""
    row = SandboxQboName.objects.get(company=cw.qbo_company, qbo_id=int(qbo_id))
    update_name(
        cw.qbo_company,
        "Customer",
        {"Id": qbo_id, "SyncToken": str(row.sync_token), "sparse": True, **fields},
    )


def customer(cw, qbo_id: str):
    return registry.accounting(cw.workspace).get_customer(qbo_id)


def contact(cw, lacrm_id: str):
    return registry.crm(cw.workspace).get_contact(lacrm_id)


def qbo_posts(cw, status: int | None = None):
    calls = SandboxCall.objects.filter(system="qbo", account=cw.realm_id, operation="POST customer")
    return calls.filter(status=status) if status is not None else calls


def lacrm_edits(cw):
    return SandboxCall.objects.filter(
        system="lacrm", account=cw.lacrm_account.uid, operation="EditContact"
    )


def run_here(workspace, after_plan=None) -> SyncRun:
    """Plan and process a field-update run in this process, the way the batch tasks do;
    ``after_plan()`` runs between the plan and the first batch."""
    run = SyncRun.objects.create(
        workspace=workspace, kind=SyncRun.Kind.FIELD_UPDATES, status=SyncRun.Status.RUNNING
    )
    handler, ctx = FieldUpdateHandler(), BatchContext(run)
    pulled = handler.pull(run, ctx)
    with transaction.atomic():
        handler.write_plan(run, pulled)
    if after_plan is not None:
        after_plan()
    while True:
        items = list(
            SyncWorkItem.objects.filter(run=run, state=SyncWorkItem.State.PENDING).order_by("seq")[
                :BATCH_SIZE
            ]
        )
        if not items:
            break
        handler.process(run, items, ctx)
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.COMPLETED)
    run.refresh_from_db()
    return run


def logs(run, **filters):
    return list(SyncLogEntry.objects.filter(run=run, **filters).order_by("id"))


@pytest.fixture
def connected_workspace_empty(connected_workspace_empty):
    """These tests are about field updates, which the user turned on in Settings."""
    SyncSettings.objects.update_or_create(
        workspace=connected_workspace_empty.workspace, defaults={"update_fields": True}
    )
    return connected_workspace_empty


def test_with_the_setting_off_update_linked_records_changes_nothing(connected_workspace_empty):
    """Settings → "Keep details of linked records in step" off means no linked record changes:
    the button is disabled and says why, a start is refused, and a run queued before the
    setting was turned off writes nothing."""
    cw = connected_workspace_empty
    SyncSettings.objects.filter(workspace=cw.workspace).update(update_fields=False)
    ann_q = add_customer(cw, "Ann", "Lee", WebAddr={"URI": "https://ann.example"})
    ann_l = add_contact(cw, "Ann Lee", Phone=[{"Text": "555-0100", "Type": "Work"}])
    link(cw, ann_q, ann_l)

    page = cw.client.get(reverse("dashboard")).content.decode()
    button = page[page.index('id="update-linked"') :].split(">", 1)[0]
    assert "disabled" in button and "off in Settings" in button
    response = cw.client.post(
        reverse("sync:start", kwargs={"kind": SyncRun.Kind.FIELD_UPDATES}), follow=True
    )
    assert "keeping linked records in step is off in Settings" in response.content.decode()
    assert not SyncRun.objects.filter(workspace=cw.workspace).exists()

    run = run_here(cw.workspace)
    assert run.status == "completed" and run.total == 0
    assert list(qbo_posts(cw)) == [] and list(lacrm_edits(cw)) == []
    (entry,) = logs(run)
    assert "off in Settings" in entry.reason


def phones(record) -> list[tuple[str, str]]:
    return [(p.number, p.kind) for p in record.phones]


# --- with a real worker --------------------------------------------------------------------------


@pytest.mark.worker
def test_first_run_fills_blanks_both_ways_and_lacrm_wins_a_conflict(
    connected_workspace_empty, celery_worker_process
):
    cw = connected_workspace_empty
    # Ann: QBO has no phone (filled from LACRM); LACRM has no website (filled from QBO).
    ann_q = add_customer(cw, "Ann", "Lee", WebAddr={"URI": "https://ann.example"})
    ann_l = add_contact(cw, "Ann Lee", Phone=[{"Text": "555-0100", "Type": "Work"}])
    # Bob: both have an address and they differ: LACRM (the default system of record) wins.
    bob_q = add_customer(
        cw, "Bob", "Ray", BillAddr={"Line1": "9 Elm Rd", "City": "Peoria", "PostalCode": "61602"}
    )
    bob_l = add_contact(cw, "Bob Ray", Address=[ADDRESS_LACRM])
    # Cy: the same phone written two ways, the same website: nothing to do.
    cy_q = add_customer(cw, "Cy", "Dunn", PrimaryPhone={"FreeFormNumber": "(555) 010-0100"})
    cy_l = add_contact(cw, "Cy Dunn", Phone=[{"Text": "555-010-0100", "Type": "Work"}])
    ann, bob, cy = link(cw, ann_q, ann_l), link(cw, bob_q, bob_l), link(cw, cy_q, cy_l)

    response = cw.client.post(reverse("sync:start", kwargs={"kind": SyncRun.Kind.FIELD_UPDATES}))
    assert response.status_code == 302
    run = SyncRun.objects.get(workspace=cw.workspace, kind=SyncRun.Kind.FIELD_UPDATES)
    wait_for(
        lambda: SyncRun.objects.get(pk=run.pk).status in ("completed", "failed"),
        message="the field-update run did not finish",
    )
    run.refresh_from_db()
    assert run.status == "completed", run.failure_reason

    assert customer(cw, ann_q).phones == (Phone("555-0100", "work"),)
    assert contact(cw, ann_l).websites == ("https://ann.example",)
    bill = next(a for a in customer(cw, bob_q).addresses if a.kind == "billing")
    assert (bill.lines, bill.city, bill.state, bill.postal_code) == (
        ("100 Main St", "Suite 5"),
        "Springfield",
        "IL",
        "62701",
    )
    # LACRM kept its own address (it is the system of record).
    assert contact(cw, bob_l).addresses[0].city == "Springfield"

    updated = logs(run, outcome="updated")
    reasons = {(e.system, e.record_id): e.reason for e in updated}
    assert reasons == {
        (QBO, ann_q): "Phone: (empty) → '555-0100' (from Less Annoying CRM)",
        (LACRM, ann_l): "Website: (empty) → 'https://ann.example' (from QuickBooks)",
        (QBO, bob_q): "Address: '9 Elm Rd, Peoria, 61602' → "
        "'100 Main St, Suite 5, Springfield, IL 62701, US' (from Less Annoying CRM)",
    }
    assert run.updated == len(updated) == 3
    assert run.failed == 0 and run.total == run.processed == 2
    # Nothing about Cy but the summary line; no write went to Cy's records.
    assert not SyncLogEntry.objects.filter(run=run, record_id__in=[cy_q, cy_l]).exists()
    summary = logs(run, outcome="unchanged")
    assert len(summary) == 1 and summary[0].reason.startswith("1 of 3 linked pairs already in step")
    assert qbo_posts(cw).count() == 2 and lacrm_edits(cw).count() == 1

    for row in (ann, bob, cy):
        row.refresh_from_db()
    assert ann.synced_fields == {"phone": "555-0100", "website": "https://ann.example"}
    assert bob.synced_fields["address"]["city"] == "Springfield"
    assert cy.synced_fields == {"phone": "555-010-0100"}


@pytest.mark.worker
def test_later_run_pushes_a_changed_phone_but_never_blanks_or_pushes_back(
    connected_workspace_empty, celery_worker_process
):
    cw = connected_workspace_empty
    # Dee: the phone changed in LACRM since the last sync, the website was emptied there.
    dee_q = add_customer(
        cw,
        "Dee",
        "Park",
        PrimaryPhone={"FreeFormNumber": "555-0100"},
        WebAddr={"URI": "dee.example"},
    )
    dee_l = add_contact(cw, "Dee Park", Phone=[{"Text": "555-0199", "Type": "Work"}])
    dee = link(cw, dee_q, dee_l, {"phone": "555-0100", "website": "dee.example"})
    # Eve: the phone changed only in QuickBooks: not copied back, not overwritten.
    eve_q = add_customer(cw, "Eve", "Moss", PrimaryPhone={"FreeFormNumber": "555-0300"})
    eve_l = add_contact(cw, "Eve Moss", Phone=[{"Text": "555-0100", "Type": "Work"}])
    link(cw, eve_q, eve_l, {"phone": "555-0100"})

    run, created = runs.start_run(cw.workspace, SyncRun.Kind.FIELD_UPDATES)
    assert created
    wait_for(lambda: SyncRun.objects.get(pk=run.pk).status in ("completed", "failed"))
    run.refresh_from_db()
    assert run.status == "completed", run.failure_reason

    dee_now = customer(cw, dee_q)
    assert phones(dee_now) == [("555-0199", "work")]
    assert dee_now.websites == ("dee.example",)  # never blanked
    (entry,) = logs(run, outcome="updated")
    assert entry.record_id == dee_q
    assert entry.reason.startswith("Phone: '555-0100' → '555-0199' (from Less Annoying CRM)")
    assert "never blanks" in entry.reason
    dee.refresh_from_db()
    assert dee.synced_fields == {"phone": "555-0199", "website": "dee.example"}

    assert phones(customer(cw, eve_q)) == [("555-0300", "work")]
    assert phones(contact(cw, eve_l)) == [("555-0100", "work")]
    (held,) = logs(run, outcome="skipped")
    assert held.record_id == eve_l and "differs in QuickBooks ('555-0300')" in held.reason
    assert run.updated == 1 and run.skipped == 1 and run.failed == 0
    assert lacrm_edits(cw).count() == 0


# --- in process (same HTTP, no worker) -----------------------------------------------------------


def test_quickbooks_as_system_of_record_updates_lacrm_and_its_other_phones_survive(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    SyncSettings.objects.update_or_create(
        workspace=cw.workspace, defaults={"system_of_record": SyncSettings.SystemOfRecord.QBO}
    )
    # Later sync: the work phone changed in QuickBooks. First sync of the address: QBO wins.
    fay_q = add_customer(
        cw,
        "Fay",
        "Hart",
        PrimaryPhone={"FreeFormNumber": "555-0199"},
        BillAddr={"Line1": "9 Elm Rd", "City": "Peoria", "CountrySubDivisionCode": "IL"},
    )
    fay_l = add_contact(
        cw,
        "Fay Hart",
        Phone=[
            {"Text": "555-0111", "Type": "Mobile"},
            {"Text": "555-0100", "Type": "Work"},
            {"Text": "555-0122", "Type": "Home"},
        ],
        Email=[{"Text": "fay@work.example", "Type": "Work"}, {"Text": "fay@home.example"}],
        Address=[{**ADDRESS_LACRM, "Type": "Home"}],
    )
    # First sync, empty LACRM work phone: added next to the mobile, which stays.
    gus_q = add_customer(cw, "Gus", "Ito", PrimaryPhone={"FreeFormNumber": "555-0400"})
    gus_l = add_contact(cw, "Gus Ito", Phone=[{"Text": "555-0411", "Type": "Mobile"}])
    fay = link(cw, fay_q, fay_l, {"phone": "555-0100"})
    link(cw, gus_q, gus_l)

    run = run_here(cw.workspace)

    fay_now = contact(cw, fay_l)
    assert phones(fay_now) == [("555-0111", "mobile"), ("555-0199", "work"), ("555-0122", "home")]
    assert fay_now.emails == ("fay@work.example", "fay@home.example")
    assert len(fay_now.addresses) == 1
    assert (fay_now.addresses[0].lines, fay_now.addresses[0].city) == (("9 Elm Rd",), "Peoria")
    assert fay_now.addresses[0].kind == "home"  # its Type is kept
    assert phones(contact(cw, gus_l)) == [("555-0411", "mobile"), ("555-0400", "work")]
    # QuickBooks, the system of record, had no mobile numbers: filled from LACRM.
    assert phones(customer(cw, fay_q)) == [("555-0199", "work"), ("555-0111", "mobile")]
    assert phones(customer(cw, gus_q)) == [("555-0400", "work"), ("555-0411", "mobile")]
    assert run.updated == 4 and run.failed == 0
    fay.refresh_from_db()
    assert fay.synced_fields["phone"] == "555-0199"
    assert fay.synced_fields["mobile"] == "555-0111"
    (entry,) = logs(run, outcome="updated", record_id=fay_l)
    assert entry.reason == (
        "Address: '100 Main St, Suite 5, Springfield, IL 62701, US' → '9 Elm Rd, Peoria, IL' "
        "(from QuickBooks); Phone: '555-0100' → '555-0199' (from QuickBooks)"
    )
    # A second run finds both pairs in step.
    assert run_here(cw.workspace).updated == 0


def test_a_stale_sync_token_is_retried_once_then_logged(connected_workspace_empty):
    cw = connected_workspace_empty
    hal_q = add_customer(cw, "Hal", "North")
    hal_l = add_contact(cw, "Hal North", Phone=[{"Text": "555-0500", "Type": "Work"}])
    hal = link(cw, hal_q, hal_l)
    # Every call now takes 0.4 s while someone edits the customer every 40 ms: each update we
    # send carries a SyncToken that went stale on the way.
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=400)
    stop = threading.Event()

    def keep_editing() -> None:
        count = 0
        try:
            while not stop.is_set():
                count += 1
                # Our own update may win a round now and then; that is the race we want.
                with contextlib.suppress(QboFault):
                    edit_customer(cw, hal_q, Notes=f"edited {count}")
                stop.wait(0.04)
        finally:
            connection.close()

    editor = test_thread(target=keep_editing, daemon=True)
    editor.start()
    try:
        run = run_here(cw.workspace)
    finally:
        stop.set()
        editor.join(timeout=10)
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=0)

    (failed,) = logs(run, outcome="failed")
    assert failed.reason == STALE_MESSAGE
    assert failed.error_code == "5010" and failed.system == QBO and failed.record_id == hal_q
    # The first attempt and exactly one retry, both refused as stale.
    assert qbo_posts(cw).count() == 2 and qbo_posts(cw, status=400).count() == 2
    assert run.failed == 1 and run.updated == 0 and run.processed == 1
    assert customer(cw, hal_q).phones == ()
    hal.refresh_from_db()
    # Nothing recorded for the phone, so the next run tries again (and now succeeds).
    assert "phone" not in hal.synced_fields
    again = run_here(cw.workspace)
    assert again.updated == 1 and customer(cw, hal_q).phones == (Phone("555-0500", "work"),)


def test_a_customer_changed_after_the_preview_is_updated_with_a_fresh_sync_token(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    ivy_q = add_customer(cw, "Ivy", "Stone")
    ivy_l = add_contact(cw, "Ivy Stone", Website=[{"Text": "ivy.example"}])
    link(cw, ivy_q, ivy_l)
    page = cw.client.get(reverse("sync:field_preview"))
    assert "ivy.example" in page.content.decode()
    edit_customer(cw, ivy_q, Notes="changed in QuickBooks after the preview")

    run = run_here(cw.workspace)

    assert run.updated == 1 and run.failed == 0
    assert customer(cw, ivy_q).websites == ("ivy.example",)
    assert customer(cw, ivy_q).notes == "changed in QuickBooks after the preview"
    assert qbo_posts(cw, status=400).count() == 0


def customer_reads(cw):
    """GETs of single customers (reads are metered by Intuit; queries are counted apart)."""
    return SandboxCall.objects.filter(system="qbo", account=cw.realm_id, operation="GET customer")


def test_the_update_is_sent_at_the_sync_token_it_was_planned_from_without_a_read(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    jo_q = add_customer(cw, "Jo", "Vale")
    jo_l = add_contact(cw, "Jo Vale", Website=[{"Text": "jo.example"}])
    link(cw, jo_q, jo_l)

    run = run_here(cw.workspace)

    assert run.updated == 1 and run.failed == 0
    assert qbo_posts(cw, status=200).count() == 1
    # The plan's query read the customer; the update spent no read of its own.
    assert customer_reads(cw).count() == 0
    assert customer(cw, jo_q).websites == ("jo.example",)


def test_a_customer_edited_between_plan_and_update_costs_one_read_and_one_retry(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    kit_q = add_customer(cw, "Kit", "Lane")
    kit_l = add_contact(cw, "Kit Lane", Website=[{"Text": "kit.example"}])
    link(cw, kit_q, kit_l)

    run = run_here(
        cw.workspace, after_plan=lambda: edit_customer(cw, kit_q, Notes="edited meanwhile")
    )

    assert run.updated == 1 and run.failed == 0
    # Refused as stale at the planned SyncToken, then read once and sent again.
    assert qbo_posts(cw, status=400).count() == 1 and qbo_posts(cw, status=200).count() == 1
    assert customer_reads(cw).count() == 1
    kit_now = customer(cw, kit_q)
    assert kit_now.websites == ("kit.example",) and kit_now.notes == "edited meanwhile"


def test_email_is_kept_in_step_only_when_the_workspace_enables_it(connected_workspace_empty):
    cw = connected_workspace_empty
    jo_q = add_customer(cw, "Jo", "West", PrimaryEmailAddr={"Address": "jo@old.example"})
    jo_l = add_contact(cw, "Jo West", Email=[{"Text": "jo@new.example", "Type": "Work"}])
    link(cw, jo_q, jo_l)
    assert run_here(cw.workspace).updated == 0
    assert customer(cw, jo_q).emails == ("jo@old.example",)

    SyncSettings.objects.filter(workspace=cw.workspace).update(update_email=True)
    run = run_here(cw.workspace)
    assert run.updated == 1
    assert customer(cw, jo_q).emails == ("jo@new.example",)


def test_a_failing_pair_is_logged_and_the_others_are_still_updated(connected_workspace_empty):
    cw = connected_workspace_empty
    kim_q = add_customer(cw, "Kim", "Young", WebAddr={"URI": "kim.example"})
    kim_l = add_contact(cw, "Kim Young")
    lou_q = add_customer(cw, "Lou", "Zane", WebAddr={"URI": "lou.example"})
    lou_l = add_contact(cw, "Lou Zane")
    link(cw, kim_q, kim_l)
    link(cw, lou_q, lou_l)
    run = SyncRun.objects.create(
        workspace=cw.workspace, kind=SyncRun.Kind.FIELD_UPDATES, status=SyncRun.Status.RUNNING
    )
    handler, ctx = FieldUpdateHandler(), BatchContext(run)
    pulled = handler.pull(run, ctx)
    with transaction.atomic():
        handler.write_plan(run, pulled)
    # Kim's contact is deleted in LACRM between planning and the batch.
    from integrations.sandbox.lacrm.models import SandboxLacrmContact

    lacrm_writes.delete_contact(SandboxLacrmContact.objects.get(uid=kim_l))
    handler.process(run, list(SyncWorkItem.objects.filter(run=run).order_by("seq")), ctx)
    run.refresh_from_db()

    (failed,) = logs(run, outcome="failed")
    assert failed.record_id == kim_l and "not applied: Website" in failed.reason
    assert contact(cw, lou_l).websites == ("lou.example",)
    assert run.failed == 1 and run.updated == 1 and run.processed == 2


def test_stop_is_checked_before_each_pair(connected_workspace_empty):
    cw = connected_workspace_empty
    mo_q = add_customer(cw, "Mo", "Reed", WebAddr={"URI": "mo.example"})
    mo_l = add_contact(cw, "Mo Reed")
    link(cw, mo_q, mo_l)
    run = SyncRun.objects.create(
        workspace=cw.workspace, kind=SyncRun.Kind.FIELD_UPDATES, status=SyncRun.Status.RUNNING
    )
    handler, ctx = FieldUpdateHandler(), BatchContext(run)
    pulled = handler.pull(run, ctx)
    with transaction.atomic():
        handler.write_plan(run, pulled)
    SyncRun.objects.filter(pk=run.pk).update(stop_requested=True)
    handler.process(run, list(SyncWorkItem.objects.filter(run=run)), ctx)
    assert contact(cw, mo_l).websites == ()
    assert SyncWorkItem.objects.filter(run=run, state="pending").count() == 1


# --- the preview page ----------------------------------------------------------------------------


def test_preview_shows_what_would_change_and_writes_nothing(connected_workspace_empty):
    cw = connected_workspace_empty
    nia_q = add_customer(cw, "Nia", "Cole", PrimaryPhone={"FreeFormNumber": "555-0100"})
    nia_l = add_contact(cw, "Nia Cole", Phone=[{"Text": "555-0199", "Type": "Work"}])
    row = link(cw, nia_q, nia_l, {"phone": "555-0100"})
    calls_before = SandboxCall.objects.count()

    page = cw.client.get(reverse("sync:field_preview"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Nia Cole" in html and "555-0100" in html and "555-0199" in html
    assert 'id="run-updates"' in html and "Everything is in step" not in html
    assert reverse("sync:start", kwargs={"kind": "field_updates"}) in html
    # Read calls only, no run, no log, the ledger untouched, both records unchanged.
    assert SandboxCall.objects.count() > calls_before
    assert not SandboxCall.objects.filter(
        operation__in=["POST customer", "batch", "EditContact", "CreateContact"]
    ).exists()
    assert not SyncRun.objects.filter(workspace=cw.workspace).exists()
    assert not SyncLogEntry.objects.filter(workspace=cw.workspace).exists()
    row.refresh_from_db()
    assert row.synced_fields == {"phone": "555-0100"}
    assert phones(customer(cw, nia_q)) == [("555-0100", "work")]


def test_preview_says_everything_is_in_step(connected_workspace_empty):
    cw = connected_workspace_empty
    link(
        cw,
        add_customer(cw, "Ola", "Fry", PrimaryPhone={"FreeFormNumber": "(555) 010-0100"}),
        add_contact(cw, "Ola Fry", Phone=[{"Text": "555-010-0100", "Type": "Work"}]),
    )
    html = cw.client.get(reverse("sync:field_preview")).content.decode()
    assert "Everything is in step" in html and 'id="run-updates"' not in html


def test_preview_without_connections_says_what_is_missing(alice_client):
    html = alice_client.get(reverse("sync:field_preview")).content.decode()
    assert "QuickBooks is not connected" in html
    assert "Less Annoying CRM is not connected" in html
    assert reverse("integrations:index") in html


def test_preview_needs_a_signed_in_user(client, db):
    response = client.get(reverse("sync:field_preview"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_preview_shows_an_outsider_nothing_of_another_workspace(connected_workspace_empty, bob):
    cw = connected_workspace_empty
    link(
        cw,
        add_customer(cw, "Pia", "Secret", WebAddr={"URI": "pia-secret.example"}),
        add_contact(cw, "Pia Secret"),
    )
    outsider = Client()
    outsider.force_login(bob)
    html = outsider.get(reverse("sync:field_preview")).content.decode()
    assert "Pia" not in html and "pia-secret.example" not in html
    assert "QuickBooks is not connected" in html
    assert not SyncRun.objects.exists()


def test_a_lost_connection_ends_the_run_with_its_reason(connected_workspace_empty):
    cw = connected_workspace_empty
    pat_q = add_customer(cw, "Pat", "Quinn", WebAddr={"URI": "pat.example"})
    pat_l = add_contact(cw, "Pat Quinn")
    link(cw, pat_q, pat_l)
    run = SyncRun.objects.create(
        workspace=cw.workspace, kind=SyncRun.Kind.FIELD_UPDATES, status=SyncRun.Status.RUNNING
    )
    handler, ctx = FieldUpdateHandler(), BatchContext(run)
    pulled = handler.pull(run, ctx)
    with transaction.atomic():
        handler.write_plan(run, pulled)
    lacrm_connection.disconnect_lacrm(cw.workspace)

    with pytest.raises(NotConnected):
        handler.process(run, list(SyncWorkItem.objects.filter(run=run)), ctx)
    (failed,) = logs(run, outcome="failed")
    assert failed.record_id == pat_l and "not connected" in failed.reason

    # Through the run machinery, planning without the connection fails the run with the reason.
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.FAILED)
    second = SyncRun.objects.create(workspace=cw.workspace, kind=SyncRun.Kind.FIELD_UPDATES)
    runs.execute_plan(str(second.id))
    second.refresh_from_db()
    assert second.status == "failed"
    assert "Less Annoying CRM is not connected" in second.failure_reason
