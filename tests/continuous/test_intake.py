"""The change intake: stored once per event id, one coalesced ``changes`` run, applied over
real HTTP to the sandbox providers."""

from __future__ import annotations

from integrations.changes import Change, deliver
from sync.continuous.intake import KIND, record_changes
from sync.continuous.models import ChangeEvent
from sync.models import ContactLink, SyncLogEntry, SyncRun, SyncSettings
from tests.fixtures_worker import purge_broker
from tests.sync.helpers import run_here
from tests.sync.test_field_updates import add_contact, add_customer, edit_customer, link


def _drive(run: SyncRun) -> SyncRun:
    from sync import runs

    runs.execute_plan(str(run.id))
    run.refresh_from_db()
    while run.is_active:
        runs.execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
    purge_broker()
    return run


def test_redelivered_events_are_stored_once_and_share_one_queued_run(connected_workspace_empty):
    cw = connected_workspace_empty
    ws = cw.workspace
    record_changes(ws, "qbo", [Change("7", "updated", event_id="e1")], "qbo_webhook")
    record_changes(ws, "qbo", [Change("7", "updated", event_id="e1")], "qbo_webhook")
    record_changes(ws, "qbo", [Change("8", "created", event_id="e2")], "qbo_webhook")
    assert ChangeEvent.objects.filter(workspace=ws).count() == 2
    queued = SyncRun.objects.filter(workspace=ws, kind=KIND)
    assert queued.count() == 1
    assert not queued.get().planned
    # The same event id from another source is another event.
    record_changes(ws, "qbo", [Change("7", "updated", event_id="e1")], "qbo_cdc")
    assert ChangeEvent.objects.filter(workspace=ws).count() == 3
    assert queued.count() == 1
    purge_broker()


def test_a_new_customer_announced_is_created_in_lacrm_and_a_linked_edit_reaches_lacrm(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    ws = cw.workspace
    settings = SyncSettings.for_workspace(ws)
    settings.update_fields = True
    settings.save()
    qbo_new = add_customer(cw, "Nora", "Quill", PrimaryEmailAddr={"Address": "nora@example.com"})
    qbo_linked = add_customer(
        cw, "Ivan", "Petrov", PrimaryEmailAddr={"Address": "ivan@example.com"}
    )
    lacrm_linked = add_contact(cw, "Ivan Petrov", Email=[{"Text": "ivan@example.com"}])
    link(cw, qbo_linked, lacrm_linked)
    # A first changes run records both sides' agreed fields for the pair.
    deliver(ws, "qbo", [Change(qbo_linked, "updated", event_id="a")], "qbo_webhook")
    _drive(SyncRun.objects.get(workspace=ws, kind=KIND, status="queued"))
    edit_customer(cw, qbo_linked, PrimaryPhone={"FreeFormNumber": "555-0101"})
    deliver(
        ws,
        "qbo",
        [Change(qbo_new, "created", event_id="b"), Change(qbo_linked, "updated", event_id="c")],
        "qbo_webhook",
    )
    run = _drive(SyncRun.objects.get(workspace=ws, kind=KIND, status="queued"))
    assert run.status == "completed", run.failure_reason
    assert run.created_in_lacrm == 1
    created = ContactLink.objects.get(workspace=ws, qbo_id=qbo_new)
    assert created.state == "linked" and created.lacrm_id
    from integrations import registry

    contact = registry.crm(ws).get_contact(lacrm_linked)
    assert any("5550101" in p.number.replace("-", "") for p in contact.phones)
    assert SyncLogEntry.objects.filter(run=run, outcome="updated").exists()
    assert not ChangeEvent.objects.filter(workspace=ws, run__isnull=True).exists()


def test_run_here_helper_accepts_the_changes_kind_when_nothing_waits(connected_workspace_empty):
    run = run_here(connected_workspace_empty.workspace, KIND)
    assert run.status == "completed"
    assert run.total == 0


def test_a_workspace_not_kept_in_step_stores_changes_for_apply_changes(connected_workspace_empty):
    from sync.runs import start_blockers
    from tests.continuous.conftest import keep_in_step

    ws = connected_workspace_empty.workspace
    keep_in_step(ws, SyncSettings.Schedule.OFF)
    assert "no changes are waiting" in start_blockers(ws, kind=KIND)
    record_changes(ws, "qbo", [Change("7", "updated", event_id="e1")], "qbo_webhook")
    assert ChangeEvent.objects.filter(workspace=ws, run__isnull=True).count() == 1
    assert not SyncRun.objects.filter(workspace=ws).exists()
    # The dashboard's Apply changes button is now available.
    assert start_blockers(ws, kind=KIND) == []
