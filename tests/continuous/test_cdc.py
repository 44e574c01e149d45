"""CDC over real HTTP: the sandbox's rules (30 days, 1,000 objects, deletions, Pacific offsets,
counted as reads), the client's window narrowing, and the catch-up after an outage."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from integrations import metering, registry
from integrations.changes import CatchUpTooOld
from integrations.records import QBO
from integrations.sandbox.models import SandboxCall
from integrations.sandbox.qbo.merge import merge_customers
from integrations.sandbox.qbo.models import SandboxQboName
from sync.continuous import cdc
from sync.continuous.models import ChangeEvent, ContinuousState
from sync.models import ContactLink, SyncLogEntry, SyncRun
from sync.runs import execute_batch, execute_plan
from tests.continuous.conftest import set_format
from tests.fixtures_worker import purge_broker
from tests.sync.test_field_updates import add_contact, add_customer, edit_customer


def drive_queued(workspace, kind: str = "changes") -> SyncRun:
    run = SyncRun.objects.get(workspace=workspace, kind=kind, status="queued")
    execute_plan(str(run.id))
    run.refresh_from_db()
    while run.is_active:
        execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
    purge_broker()
    return run


def raw_cdc(cw, since: str, entities: str = "Customer,Invoice"):
    from integrations.quickbooks.connection import qbo_connection
    from integrations.quickbooks.oauth import ConnectionTokens

    token = ConnectionTokens(qbo_connection(cw.workspace)).access_token()
    from django.conf import settings

    return requests.get(
        f"{settings.QBO_API_BASE_URL}/company/{cw.realm_id}/cdc",
        params={"entities": entities, "changedSince": since},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=30,
    )


def test_sandbox_cdc_reports_changes_and_deletions_with_pacific_offsets(connected_workspace_empty):
    cw = connected_workspace_empty
    before = timezone.now() - timedelta(seconds=2)
    keep = add_customer(cw, "Hal", "Ives")
    gone = add_customer(cw, "Hal", "Ives-Old")
    merge_customers(cw.qbo_company, int(gone), int(keep))
    answer = raw_cdc(cw, before.isoformat())
    assert answer.status_code == 200, answer.text
    data = answer.json()
    customers = data["CDCResponse"][0]["QueryResponse"][0]["Customer"]
    by_id = {c["Id"]: c for c in customers}
    assert by_id[gone]["status"] == "Deleted"
    assert by_id[keep]["DisplayName"] == "Hal Ives"
    stamp = by_id[keep]["MetaData"]["LastUpdatedTime"]
    assert stamp.endswith(("-08:00", "-07:00")), stamp
    assert data["time"].endswith(("-08:00", "-07:00"))
    assert SandboxCall.objects.filter(operation="GET cdc", account=cw.realm_id).count() == 1


def test_sandbox_cdc_refuses_a_window_over_30_days(connected_workspace_empty):
    old = (timezone.now() - timedelta(days=31)).isoformat()
    answer = raw_cdc(connected_workspace_empty, old)
    assert answer.status_code == 400
    assert "30 days" in answer.text
    with pytest.raises(CatchUpTooOld):
        registry.accounting(connected_workspace_empty.workspace).changes_since(
            timezone.now() - timedelta(days=31)
        )


def test_more_than_1000_changes_are_paged_by_narrowing_the_window(connected_workspace_empty):
    cw = connected_workspace_empty
    start = timezone.now() - timedelta(days=1)
    company = cw.qbo_company
    rows = [
        SandboxQboName(
            company=company,
            entity="Customer",
            qbo_id=10_000 + i,
            display_name=f"Bulk {i:04d}",
            fully_qualified_name=f"Bulk {i:04d}",
            data={"GivenName": "Bulk", "FamilyName": f"{i:04d}"},
            updated_at=start + timedelta(seconds=10 * i),
        )
        for i in range(1205)
    ]
    SandboxQboName.objects.bulk_create(rows)
    SandboxCall.objects.all().delete()
    feed = registry.accounting(cw.workspace).changes_since(start - timedelta(seconds=1))
    ids = [c.record_id for c in feed.changes[QBO]]
    assert len(set(ids)) == 1205
    # Both entities in one call; Customer filled its 1,000, so the rest of its window next.
    assert feed.calls == 2
    assert SandboxCall.objects.filter(operation="GET cdc").count() == 2


def test_after_lost_webhooks_a_catch_up_applies_the_changes_once(connected_workspace_empty):
    cw = connected_workspace_empty
    ws = cw.workspace
    ContinuousState.objects.update_or_create(
        workspace=ws, defaults={"cdc_cursor": timezone.now() - timedelta(hours=7)}
    )
    # While our webhook endpoint was down, a customer was added and a linked one renamed.
    set_format(cw, "off")
    newcomer = add_customer(cw, "Ida", "Moss", PrimaryEmailAddr={"Address": "ida@example.com"})
    linked = add_customer(cw, "Jon", "Pike", PrimaryEmailAddr={"Address": "jon@example.com"})
    contact = add_contact(cw, "Jon Pike", Email=[{"Text": "jon@example.com"}])
    ContactLink.objects.create(
        workspace=ws, qbo_id=linked, lacrm_id=contact, state="linked", method="email"
    )
    edit_customer(cw, linked, Active=False)
    said = cdc.catch_up(ws)
    assert said == "2 changes"
    run = drive_queued(ws)
    assert run.status == "completed", run.failure_reason
    assert run.created_in_lacrm == 1
    assert ContactLink.objects.get(qbo_id=newcomer).state == "linked"
    assert "inactive" in ContactLink.objects.get(qbo_id=linked).flag.lower()
    # The next catch-up may overlap the first (its cursor is cut to whole seconds): whatever it
    # sees again is the same version of the same record, stored once, so nothing is queued.
    events = ChangeEvent.objects.filter(workspace=ws).count()
    cdc.catch_up(ws)
    assert ChangeEvent.objects.filter(workspace=ws).count() == events
    assert not SyncRun.objects.filter(workspace=ws, status="queued").exists()
    # A late webhook about the new customer changes nothing either.
    from integrations.changes import Change, deliver

    deliver(ws, "qbo", [Change(newcomer, "created", event_id="late")], "qbo_webhook")
    late = drive_queued(ws)
    assert late.created_in_lacrm == 0 and late.already_matched == 1
    lacrm = list(registry.crm(ws).iter_contacts())
    assert sorted(c.name for c in lacrm) == ["Ida Moss", "Jon Pike"]


def test_a_cursor_older_than_30_days_starts_one_full_sync_and_says_so(connected_workspace_empty):
    ws = connected_workspace_empty.workspace
    ContinuousState.objects.update_or_create(
        workspace=ws, defaults={"cdc_cursor": timezone.now() - timedelta(days=45)}
    )
    said = cdc.catch_up(ws)
    assert "over 30 days ago" in said
    run = SyncRun.objects.get(workspace=ws, kind="contacts")
    entry = SyncLogEntry.objects.get(run=run, outcome="catch_up")
    assert "full sync" in entry.reason
    state = ContinuousState.objects.get(workspace=ws)
    assert state.cdc_cursor > timezone.now() - timedelta(minutes=5)
    purge_broker()


def test_the_read_counter_matches_the_sandbox_call_log(connected_workspace_empty):
    cw = connected_workspace_empty
    ws = cw.workspace
    for i in range(5):
        add_customer(cw, f"Kim{i}", "Lo", PrimaryEmailAddr={"Address": f"k{i}@example.com"})
    add_contact(cw, "Max Nye", Email=[{"Text": "max@example.com"}])
    SandboxCall.objects.all().delete()
    before = metering.reads(QBO, str(ws.pk))
    before_all = metering.reads(QBO)
    ContinuousState.objects.update_or_create(
        workspace=ws, defaults={"cdc_cursor": timezone.now() - timedelta(hours=1)}
    )
    cdc.catch_up(ws)
    drive_queued(ws)
    from tests.sync.helpers import run_here

    run_here(ws)  # A full Sync New Contacts: queries, searches, batch creates.
    calls = SandboxCall.objects.filter(system="qbo", account=cw.realm_id)
    reads = calls.filter(operation__regex=r"^(GET |query)").count()
    writes = calls.exclude(operation__regex=r"^(GET |query)").count()
    assert reads > 0 and writes > 0
    assert metering.reads(QBO, str(ws.pk)) - before == reads
    assert metering.reads(QBO) - before_all == reads
