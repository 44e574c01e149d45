"""The read budget (scheduled work throttled before Intuit's limit), the dashboard's Keep-in-step
card with its banner, and the operator page (staff only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations import metering
from integrations.changes import Change
from integrations.records import QBO
from sync import schedule as full_schedule
from sync.continuous import budget
from sync.continuous import schedule as continuous_schedule
from sync.continuous.intake import record_changes
from sync.continuous.models import ContinuousState
from sync.models import SyncRun, SyncSettings
from tests.fixtures_worker import purge_broker
from tests.sync.test_schedule import connect, ws_of


@pytest.fixture
def ws(alice):
    workspace = ws_of(alice)
    connect(workspace)
    return workspace


def spend(settings, share: float) -> None:
    settings.QBO_MONTHLY_READ_BUDGET = 1000
    metering.count(QBO, "someone-else", int(share * 1000))


def test_scheduled_full_syncs_stop_at_80_percent(ws, settings):
    SyncSettings.objects.create(workspace=ws, schedule="hourly")
    spend(settings, 0.80)
    assert full_schedule.start_scheduled_syncs() == []
    assert "80%" in budget.scheduled_allowed(budget.FULL)
    assert budget.scheduled_allowed(budget.CATCH_UP) == ""
    # A user's own click still works.
    from sync.runs import start_run

    run, created = start_run(ws, "contacts")
    assert created
    purge_broker()


def test_below_80_percent_the_scheduled_sync_starts(ws, settings):
    SyncSettings.objects.create(workspace=ws, schedule="hourly")
    spend(settings, 0.79)
    assert len(full_schedule.start_scheduled_syncs()) == 1
    purge_broker()


def test_catch_ups_go_on_past_80_percent_and_stop_at_95(ws, settings):
    SyncSettings.objects.create(workspace=ws, schedule="continuous")
    ContinuousState.objects.create(workspace=ws, cdc_cursor=None)
    spend(settings, 0.95)
    said = continuous_schedule.tick()
    assert "95%" in said[str(ws.pk)]
    assert not SyncRun.objects.filter(workspace=ws).exists()
    assert ContinuousState.objects.get(workspace=ws).last_cdc_at is None


def test_the_tick_catches_up_every_6_hours_and_polls_every_15_minutes(ws, settings):
    from integrations import changes

    polled = []
    # Only this test's poller: the real LACRM one would call the (fake) connection's LACRM.
    installed = dict(changes._POLLERS)
    changes._POLLERS.clear()
    changes.register_poller("test-system", lambda workspace: polled.append(workspace.pk))
    try:
        SyncSettings.objects.create(workspace=ws, schedule="continuous")
        now = timezone.now()
        ContinuousState.objects.create(
            workspace=ws, cdc_cursor=now, last_cdc_at=now, last_poll_at=now
        )
        assert continuous_schedule.tick(now + timedelta(minutes=10))[str(ws.pk)] == ""
        said = continuous_schedule.tick(now + timedelta(minutes=16))[str(ws.pk)]
        assert said == "polled test-system" and polled == [ws.pk]
        state = ContinuousState.objects.get(workspace=ws)
        assert continuous_schedule.catch_up_due(state, ws, now + timedelta(hours=6))
        assert not continuous_schedule.catch_up_due(state, ws, now + timedelta(hours=5))
        # A failed changes run is a suspected gap: catch up at once.
        SyncRun.objects.create(
            workspace=ws, kind="changes", status="failed", finished_at=now + timedelta(minutes=1)
        )
        assert continuous_schedule.catch_up_due(state, ws, now + timedelta(minutes=2))
    finally:
        changes._POLLERS.clear()
        changes._POLLERS.update(installed)


def test_dashboard_shows_keep_in_step_last_event_and_the_budget(alice_client, alice, settings):
    workspace = ws_of(alice)
    SyncSettings.objects.create(workspace=workspace, schedule="continuous")
    record_changes(workspace, "qbo", [Change("5", "updated", event_id="x")], "qbo_webhook")
    metering.count(QBO, str(workspace.pk), 42)
    text = alice_client.get(reverse("dashboard")).content.decode()
    assert "Continuous (changes as they happen)" in text
    assert "QuickBooks webhook)" in text  # last change received, with its source
    assert "1 change waiting" in text
    assert "42 by this workspace" in text
    assert 'id="read-budget-banner"' not in text
    assert 'id="operator-link"' not in text
    spend(settings, 0.7)
    text = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="read-budget-banner"' in text and "Scheduled full syncs pause at 80%" in text
    purge_broker()


def test_dashboard_says_how_often_lacrm_is_checked_and_how_long_changes_gather(
    alice_client, alice, settings
):
    from integrations.lacrm.models import LacrmEditCursor

    workspace = ws_of(alice)
    SyncSettings.objects.create(workspace=workspace, schedule="continuous")
    settings.SYNC_CHANGES_WINDOW_SECONDS = 300
    settings.QBO_MONTHLY_READ_BUDGET = 100_000_000
    LacrmEditCursor.objects.create(
        workspace=workspace,
        interval_minutes=30,
        last_polled_at=timezone.now() - timedelta(minutes=4),
        last_calls=1,
        last_changes=2,
    )
    text = alice_client.get(reverse("dashboard")).content.decode()
    assert "LACRM edit check" in text
    assert "(every 30 minutes); found 2 changes in 1 call" in text
    assert "every 15 minutes" not in text
    assert "waits up to 5 minutes to share one QuickBooks read" in text
    assert "widened" not in text
    # Reads on course past the budget: the window widens, and the card says why.
    spend(settings, 0.9)
    text = alice_client.get(reverse("dashboard")).content.decode()
    assert "widened: this month's reads are on course for" in text


def test_an_outsider_sees_nothing_of_another_workspace(alice, bob_client):
    workspace = ws_of(alice)
    SyncSettings.objects.create(workspace=workspace, schedule="off")
    record_changes(workspace, "qbo", [Change("5", "updated", event_id="x")], "qbo_webhook")
    metering.count(QBO, str(workspace.pk), 42)
    text = bob_client.get(reverse("dashboard")).content.decode()
    assert "change waiting" not in text
    assert "0 by this workspace" in text
    assert bob_client.get(reverse("continuous:operator")).status_code == 404


def test_the_operator_page_is_for_staff_only(alice, alice_client):
    from django.test import Client

    url = reverse("continuous:operator")
    assert Client().get(url).status_code == 302  # to the login page
    assert alice_client.get(url).status_code == 404
    metering.count(QBO, str(ws_of(alice).pk), 7)
    alice.is_staff = True
    alice.save()
    page = alice_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alice &amp; Co" in text and "<td>7</td>" in text
    assert 'id="operator-link"' in alice_client.get(reverse("dashboard")).content.decode()


def test_keep_in_step_continuous_is_chosen_in_settings_and_shown_on_the_dashboard(
    alice_client, alice
):
    from tests.sync.test_settings_views import html, settings_data

    page = html(alice_client.get(reverse("sync:settings")))
    assert "Keep in step" in page and "Continuous (changes as they happen)" in page
    response = alice_client.post(
        reverse("sync:settings"), settings_data(schedule="continuous"), follow=True
    )
    assert "Settings saved" in html(response)
    assert SyncSettings.objects.get(workspace=ws_of(alice)).schedule == "continuous"
    text = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="qbo-webhook-state"' in text and "no verified delivery yet" in text
    assert 'id="last-catch-up"' in text


def test_claimed_changes_are_kept_30_days(ws):
    from sync.continuous.models import ChangeEvent

    SyncSettings.objects.create(workspace=ws, schedule="off")
    run = SyncRun.objects.create(workspace=ws, kind="changes", status="completed")
    old = ChangeEvent.objects.create(
        workspace=ws, system="qbo", record_id="1", kind="updated", source="t", run=run
    )
    ChangeEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=31))
    ChangeEvent.objects.create(
        workspace=ws, system="qbo", record_id="2", kind="updated", source="t", run=run
    )
    waiting = ChangeEvent.objects.create(
        workspace=ws, system="qbo", record_id="3", kind="updated", source="t"
    )
    ChangeEvent.objects.filter(pk=waiting.pk).update(
        received_at=timezone.now() - timedelta(days=31)
    )
    continuous_schedule.tick()
    assert sorted(ChangeEvent.objects.values_list("record_id", flat=True)) == ["2", "3"]
