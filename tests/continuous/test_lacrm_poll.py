"""LACRM's edit poll over real HTTP: newest first down to the cursor (the sandbox's call log
counts the pages), edits reaching QuickBooks under the precedence rules, deleted contacts
flagging their link."""

from __future__ import annotations

from datetime import timedelta

import requests
from django.conf import settings
from django.utils import timezone

from integrations import registry
from integrations.lacrm import polling
from integrations.lacrm.models import LacrmEditCursor
from integrations.sandbox.lacrm.models import SandboxLacrmContact
from integrations.sandbox.lacrm.store import load_contacts
from integrations.sandbox.models import SandboxCall
from sync.continuous.intake import KIND
from sync.continuous.lacrm_poll import poll_lacrm_edits
from sync.continuous.models import ChangeEvent
from sync.models import ContactLink, SyncRun, SyncSettings
from sync.runs import execute_batch, execute_plan
from tests.fixtures_worker import purge_broker
from tests.sync.test_field_updates import add_customer, link


def _lacrm(cw, function: str, params: dict):
    response = requests.post(
        settings.LACRM_API_URL,
        json={"Function": function, "Parameters": params},
        headers={"Authorization": cw.lacrm_api_key},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def _gets(cw) -> int:
    return SandboxCall.objects.filter(
        system="lacrm", account=cw.lacrm_account.uid, operation="GetContacts"
    ).count()


def _old_contacts(cw, count: int) -> list[str]:
    """``count`` contacts last touched two hours ago (the account's history before the poll)."""
    load_contacts(
        cw.lacrm_account,
        [{"Name": f"Old Timer{i:03d}", "Email": [f"old{i}@example.com"]} for i in range(count)],
    )
    long_ago = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    rows = SandboxLacrmContact.objects.filter(account=cw.lacrm_account).order_by("id")
    ids = list(rows.values_list("uid", flat=True))
    for age, uid in enumerate(ids):  # One a second, the newest first.
        moment = long_ago - timedelta(seconds=age)
        rows.filter(uid=uid).update(created_at=moment, updated_at=moment)
    return ids


def _apply_queued(cw) -> SyncRun:
    run = SyncRun.objects.get(workspace=cw.workspace, kind=KIND, status="queued")
    execute_plan(str(run.id))
    run.refresh_from_db()
    while run.is_active:
        execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
    purge_broker()
    assert run.status == "completed", run.failure_reason
    return run


def test_the_poll_pages_newest_first_and_stops_at_the_cursor(connected_workspace_empty):
    cw = connected_workspace_empty
    ws = cw.workspace
    ids = _old_contacts(cw, 30)

    before = _gets(cw)
    first = polling.poll_edits(ws, page_size=2)
    assert first.baseline and first.changes == [] and first.calls == 1
    assert _gets(cw) - before == 1
    cursor = LacrmEditCursor.objects.get(workspace=ws)
    assert cursor.cursor is not None and cursor.last_calls == 1

    for contact_id in ids[:3]:
        _lacrm(cw, "EditContact", {"ContactId": contact_id, "Job Title": "Edited"})
    newcomer = _lacrm(
        cw,
        "CreateContact",
        {"IsCompany": False, "AssignedTo": cw.lacrm_account.user_id, "Name": "New Comer"},
    )["ContactId"]

    before = _gets(cw)
    second = polling.poll_edits(ws, page_size=2)
    # Four changed records at two per page: two full pages, then the third page's first
    # record is older than the cursor and the poll stops there (27 records never read).
    assert second.calls == 3 and _gets(cw) - before == 3
    kinds = {c.record_id: c.kind for c in second.changes}
    assert kinds == {ids[0]: "updated", ids[1]: "updated", ids[2]: "updated", newcomer: "created"}
    stored = ChangeEvent.objects.filter(workspace=ws, source="lacrm_poll")
    assert sorted(stored.values_list("record_id", flat=True)) == sorted(kinds)
    assert stored.get(record_id=newcomer).event_id == f"lacrm:Contact.Create:{newcomer}"

    before = _gets(cw)
    # A quiet poll reads through the cursor's second (the four edits above may share it): at
    # the default page size that is one call.
    quiet = polling.poll_edits(ws)
    assert quiet.changes == [] and quiet.calls == 1 and _gets(cw) - before == 1
    assert stored.count() == 4
    purge_broker()


def test_an_edit_in_the_cursors_own_second_is_found_after_one_already_handed_on(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    ws = cw.workspace
    first, second = _old_contacts(cw, 5)[:2]
    contacts = SandboxLacrmContact.objects.filter(account=cw.lacrm_account)
    moment = timezone.now().replace(microsecond=0) - timedelta(seconds=30)
    contacts.filter(uid=first).update(updated_at=moment + timedelta(milliseconds=200))
    baseline = polling.poll_edits(ws, page_size=2)
    assert baseline.baseline
    assert LacrmEditCursor.objects.get(workspace=ws).ids_at_cursor == [first]
    # Later in that same second: the second contact is edited, then the first once more, so
    # the first (already handed on) is listed ahead of the new edit.
    contacts.filter(uid=second).update(updated_at=moment + timedelta(milliseconds=500))
    contacts.filter(uid=first).update(updated_at=moment + timedelta(milliseconds=800))

    found = polling.poll_edits(ws, page_size=2)

    assert [c.record_id for c in found.changes] == [second]
    assert sorted(LacrmEditCursor.objects.get(workspace=ws).ids_at_cursor) == sorted(
        [first, second]
    )
    purge_broker()


def test_an_edit_found_by_polling_reaches_quickbooks_under_the_precedence_rules(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    ws = cw.workspace
    sync_settings = SyncSettings.for_workspace(ws)
    sync_settings.update_fields = True
    sync_settings.save()
    qbo_id = add_customer(
        cw,
        "Pia",
        "Poll",
        PrimaryEmailAddr={"Address": "pia@example.com"},
        PrimaryPhone={"FreeFormNumber": "555-0100"},
    )
    lacrm_id = _lacrm(
        cw,
        "CreateContact",
        {
            "IsCompany": False,
            "AssignedTo": cw.lacrm_account.user_id,
            "Name": "Pia Poll",
            "Email": [{"Text": "pia@example.com", "Type": "Work"}],
            "Phone": [{"Text": "555-0100", "Type": "Work"}],
        },
    )["ContactId"]
    link(cw, qbo_id, lacrm_id)
    # Made an hour ago (LACRM's dates are to the second: the edit below must be a later one).
    an_hour_ago = timezone.now() - timedelta(hours=1)
    SandboxLacrmContact.objects.filter(uid=lacrm_id).update(
        created_at=an_hour_ago, updated_at=an_hour_ago
    )
    polling.poll_edits(ws)  # The first poll sets the cursor.
    # The first changes run records the pair's agreed fields (nothing to change yet).
    from integrations.changes import Change, deliver

    deliver(ws, "lacrm", [Change(lacrm_id, "updated", event_id="agree")], "test")
    _apply_queued(cw)

    _lacrm(
        cw, "EditContact", {"ContactId": lacrm_id, "Phone": [{"Text": "555-0199", "Type": "Work"}]}
    )
    result = poll_lacrm_edits(ws, only_if_due=False)
    assert [(c.record_id, c.kind) for c in result.changes] == [(lacrm_id, "updated")]
    run = _apply_queued(cw)
    assert run.updated == 1
    phone = registry.accounting(ws).get_customer(qbo_id).phones[0].number
    assert phone.replace("-", "").endswith("5550199")


def test_a_deleted_lacrm_contact_is_found_and_flags_its_link(connected_workspace_empty):
    cw = connected_workspace_empty
    ws = cw.workspace
    kept, gone = _old_contacts(cw, 2)
    kept_qbo = add_customer(cw, "Kip", "Kept", PrimaryEmailAddr={"Address": "old0@example.com"})
    gone_qbo = add_customer(cw, "Gus", "Gone", PrimaryEmailAddr={"Address": "old1@example.com"})
    link(cw, kept_qbo, kept)
    row = link(cw, gone_qbo, gone)
    polling.poll_edits(ws)  # Cursor set; linked ids not looked up without being asked.
    _lacrm(cw, "DeleteContact", {"ContactId": gone})

    result = poll_lacrm_edits(ws, force_deletion_check=True, only_if_due=False)
    assert [(c.record_id, c.kind) for c in result.changes] == [(gone, "deleted")]
    # One GetContacts (nothing newer than the cursor) and one GetContactsById for both links.
    assert result.calls == 2
    run = _apply_queued(cw)
    row.refresh_from_db()
    assert "deleted" in row.flag.lower()
    assert run.created_in_lacrm == run.created_in_qbo == 0
    assert ContactLink.objects.get(workspace=ws, lacrm_id=kept).flag == ""
    # Found again an hour later, the same deletion is not a new event.
    again = poll_lacrm_edits(ws, force_deletion_check=True, only_if_due=False)
    assert [c.kind for c in again.changes] == ["deleted"]
    assert ChangeEvent.objects.filter(workspace=ws, kind="deleted").count() == 1
    purge_broker()


def test_a_failed_poll_keeps_the_cursor_and_says_why(connected_workspace_empty):
    from integrations.errors import IntegrationError
    from integrations.sandbox.lacrm.store import regenerate_key

    cw = connected_workspace_empty
    ws = cw.workspace
    _old_contacts(cw, 3)
    polling.poll_edits(ws)
    cursor = LacrmEditCursor.objects.get(workspace=ws).cursor
    SandboxLacrmContact.objects.filter(account=cw.lacrm_account).update(updated_at=timezone.now())
    regenerate_key(cw.lacrm_account)  # The key LedgerLink holds stops working.
    try:
        polling.poll_edits(ws)
    except IntegrationError:
        pass
    else:
        raise AssertionError("a poll with a dead key must raise")
    state = LacrmEditCursor.objects.get(workspace=ws)
    assert state.cursor == cursor and state.last_error
    assert not ChangeEvent.objects.filter(workspace=ws).exists()


def test_the_poll_waits_for_the_workspaces_interval(connected_workspace_empty):
    cw = connected_workspace_empty
    ws = cw.workspace
    _old_contacts(cw, 1)
    assert poll_lacrm_edits(ws) is not None  # Never polled: due.
    before = _gets(cw)
    assert poll_lacrm_edits(ws) is None
    assert _gets(cw) == before
    state = LacrmEditCursor.objects.get(workspace=ws)
    state.interval_minutes = 30
    state.last_polled_at = timezone.now() - timedelta(minutes=29)
    state.save()
    assert poll_lacrm_edits(ws) is None
    LacrmEditCursor.objects.filter(pk=state.pk).update(
        last_polled_at=timezone.now() - timedelta(minutes=31)
    )
    assert poll_lacrm_edits(ws) is not None and _gets(cw) == before + 1


def test_the_continuous_tick_registers_the_webhook_and_polls_lacrm(connected_workspace_empty):
    from integrations.lacrm.models import LacrmWebhook
    from sync.continuous import schedule

    cw = connected_workspace_empty
    ws = cw.workspace
    _old_contacts(cw, 2)
    SyncSettings.objects.filter(pk=SyncSettings.for_workspace(ws).pk).update(
        schedule=SyncSettings.Schedule.CONTINUOUS
    )
    said = schedule.tick()[str(ws.pk)]
    assert "polled lacrm" in said
    assert LacrmWebhook.objects.get(workspace=ws).state == LacrmWebhook.State.ACTIVE
    state = LacrmEditCursor.objects.get(workspace=ws)
    assert state.cursor is not None and state.last_polled_at is not None
    purge_broker()
