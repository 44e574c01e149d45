"""Automatic sync: scheduled contact syncs start on time, once per slot, and only when they can."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from integrations.models import ConnectionStatus, LacrmConnection, QuickBooksConnection
from sync import schedule, tasks
from sync.models import SyncRun, SyncSettings
from tests.factories import UserFactory
from tests.threads import test_thread

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def ws_of(user):
    return user.memberships.get().workspace


def connect(workspace, *, qbo=ConnectionStatus.CONNECTED, lacrm=ConnectionStatus.CONNECTED):
    """Connection rows in the given states (the scheduler only reads their status)."""
    QuickBooksConnection.objects.create(workspace=workspace, status=qbo, realm_id="9130")
    LacrmConnection.objects.create(workspace=workspace, status=lacrm, lacrm_user_id=1)


def scheduled(workspace, schedule_value="hourly", last=None) -> SyncSettings:
    return SyncSettings.objects.create(
        workspace=workspace, schedule=schedule_value, last_scheduled_at=last
    )


def finish_runs(workspace) -> None:
    SyncRun.objects.filter(workspace=workspace).update(status=SyncRun.Status.COMPLETED)


def runs_of(workspace):
    return list(SyncRun.objects.filter(workspace=workspace).order_by("created_at"))


@pytest.fixture
def ws(alice):
    workspace = ws_of(alice)
    connect(workspace)
    return workspace


def test_a_scheduled_sync_starts_on_time_and_not_before(ws):
    scheduled(ws, "hourly")
    with time_machine.travel(T0, tick=False):
        started = schedule.start_scheduled_syncs()
    assert [r.workspace_id for r in started] == [ws.pk]
    run = started[0]
    assert (run.kind, run.trigger, run.status) == ("contacts", "schedule", "queued")
    assert SyncSettings.objects.get(workspace=ws).last_scheduled_at == T0
    finish_runs(ws)

    with time_machine.travel(T0 + HOUR - timedelta(seconds=1), tick=False):
        assert schedule.start_scheduled_syncs() == []
    with time_machine.travel(T0 + HOUR, tick=False):
        assert len(schedule.start_scheduled_syncs()) == 1
    assert len(runs_of(ws)) == 2
    assert SyncSettings.objects.get(workspace=ws).last_scheduled_at == T0 + HOUR


def test_a_daily_schedule_waits_a_whole_day(ws):
    scheduled(ws, "daily", last=T0)
    with time_machine.travel(T0 + timedelta(hours=23, minutes=59), tick=False):
        assert schedule.start_scheduled_syncs() == []
    with time_machine.travel(T0 + timedelta(days=1, minutes=3), tick=False):
        assert len(schedule.start_scheduled_syncs()) == 1
    # The cadence stays on its anchor even though the check came three minutes late.
    assert SyncSettings.objects.get(workspace=ws).last_scheduled_at == T0 + timedelta(days=1)


def test_a_schedule_that_is_off_never_starts(ws):
    scheduled(ws, "off")
    with time_machine.travel(T0, tick=False):
        assert schedule.start_scheduled_syncs() == []
    assert runs_of(ws) == []


def test_calling_twice_for_one_slot_starts_one_run(ws):
    scheduled(ws, "hourly", last=T0 - HOUR)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        assert len(schedule.start_scheduled_syncs()) == 1
        # Even with the first run already over, the slot is taken.
        finish_runs(ws)
        assert schedule.start_scheduled_syncs() == []
    assert len(runs_of(ws)) == 1


def test_missed_slots_start_one_run_not_a_burst(ws):
    scheduled(ws, "hourly", last=T0)
    with time_machine.travel(T0 + timedelta(hours=5, minutes=10), tick=False):
        assert len(schedule.start_scheduled_syncs()) == 1
        finish_runs(ws)
        assert schedule.start_scheduled_syncs() == []
    sync_settings = SyncSettings.objects.get(workspace=ws)
    assert sync_settings.last_scheduled_at == T0 + 5 * HOUR
    assert schedule.next_scheduled_at(sync_settings, now=T0 + 5 * HOUR) == T0 + 6 * HOUR


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_start_one_run_per_workspace():
    workspaces = []
    for n in range(3):
        workspace = ws_of(UserFactory(email=f"owner{n}@example.com"))
        connect(workspace)
        scheduled(workspace, "hourly", last=T0 - HOUR)
        workspaces.append(workspace)
    threads_n = 6
    barrier = threading.Barrier(threads_n)
    results: list[list[SyncRun]] = []
    errors: list[BaseException] = []

    def call():
        try:
            barrier.wait(timeout=30)
            results.append(schedule.start_scheduled_syncs(now=T0))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [test_thread(target=call) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    started = [run for batch in results for run in batch]
    assert sorted(str(r.workspace_id) for r in started) == sorted(str(w.pk) for w in workspaces)
    for workspace in workspaces:
        assert len(runs_of(workspace)) == 1
        assert SyncSettings.objects.get(workspace=workspace).last_scheduled_at == T0


@pytest.mark.django_db(transaction=True)
def test_two_callers_holding_the_same_reading_take_a_slot_once():
    """The compare-and-set itself: both read the settings first, then race to take the slot."""
    workspace = ws_of(UserFactory(email="owner@example.com"))
    scheduled(workspace, "hourly", last=T0 - HOUR)
    threads_n = 4
    readings = [SyncSettings.objects.get(workspace=workspace) for _ in range(threads_n)]
    barrier = threading.Barrier(threads_n)
    taken: list[bool] = []

    def take(reading):
        try:
            barrier.wait(timeout=30)
            taken.append(schedule._take_slot(reading, T0))
        finally:
            connection.close()

    threads = [test_thread(target=take, args=(r,)) for r in readings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(taken) == [False, False, False, True]


def test_an_active_contacts_sync_takes_the_slot(ws):
    scheduled(ws, "hourly", last=T0 - HOUR)
    manual = SyncRun.objects.create(workspace=ws, kind="contacts", status="running")
    with time_machine.travel(T0, tick=False):
        assert schedule.start_scheduled_syncs() == []
        manual.status = SyncRun.Status.COMPLETED
        manual.save()
        # It did the slot's work: nothing starts again for this slot.
        assert schedule.start_scheduled_syncs() == []
    assert runs_of(ws) == [manual]
    assert SyncSettings.objects.get(workspace=ws).last_scheduled_at == T0


def test_another_active_job_makes_the_scheduled_sync_wait(ws):
    scheduled(ws, "hourly", last=T0 - HOUR)
    summaries = SyncRun.objects.create(workspace=ws, kind="invoice_summaries", status="running")
    with time_machine.travel(T0, tick=False):
        assert schedule.start_scheduled_syncs() == []
    assert SyncSettings.objects.get(workspace=ws).last_scheduled_at == T0 - HOUR
    summaries.status = SyncRun.Status.COMPLETED
    summaries.save()
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        started = schedule.start_scheduled_syncs()
    assert [r.kind for r in started] == ["contacts"]


@pytest.mark.parametrize(
    ("qbo", "lacrm"),
    [
        (ConnectionStatus.RECONNECT_NEEDED, ConnectionStatus.CONNECTED),
        (ConnectionStatus.CONNECTED, ConnectionStatus.DISCONNECTED),
        (None, ConnectionStatus.CONNECTED),
    ],
)
def test_disconnected_or_reconnect_needed_workspaces_are_skipped(alice, qbo, lacrm):
    workspace = ws_of(alice)
    if qbo is None:
        LacrmConnection.objects.create(workspace=workspace, status=lacrm)
    else:
        connect(workspace, qbo=qbo, lacrm=lacrm)
    scheduled(workspace, "hourly")
    with time_machine.travel(T0, tick=False):
        assert schedule.start_scheduled_syncs() == []
    assert runs_of(workspace) == []
    # The slot stays open: once reconnected, the next check starts it.
    assert SyncSettings.objects.get(workspace=workspace).last_scheduled_at is None
    QuickBooksConnection.objects.update_or_create(
        workspace=workspace, defaults={"status": ConnectionStatus.CONNECTED}
    )
    LacrmConnection.objects.filter(workspace=workspace).update(status=ConnectionStatus.CONNECTED)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert len(schedule.start_scheduled_syncs()) == 1


def test_one_workspace_does_not_hold_up_another(ws, bob):
    scheduled(ws, "hourly")
    other = ws_of(bob)
    scheduled(other, "hourly")  # bob has no connections at all
    with time_machine.travel(T0, tick=False):
        started = schedule.start_scheduled_syncs()
    assert [r.workspace_id for r in started] == [ws.pk]


def test_next_scheduled_at(ws):
    sync_settings = scheduled(ws, "off")
    assert schedule.next_scheduled_at(sync_settings, now=T0) is None
    sync_settings.schedule = "hourly"
    assert schedule.next_scheduled_at(sync_settings, now=T0) == T0
    sync_settings.last_scheduled_at = T0
    assert schedule.next_scheduled_at(sync_settings, now=T0 + timedelta(minutes=1)) == T0 + HOUR
    sync_settings.schedule = "daily"
    assert schedule.next_scheduled_at(sync_settings, now=T0) == T0 + timedelta(days=1)
    # Overdue: due at the next check.
    late = T0 + timedelta(days=2)
    assert schedule.next_scheduled_at(sync_settings, now=late) == late


def test_the_beat_task_starts_due_syncs(ws):
    assert settings.CELERY_BEAT_SCHEDULE["scheduled-syncs"] == {
        "task": "sync.start_scheduled_syncs",
        "schedule": 300.0,
    }
    scheduled(ws, "hourly")
    with time_machine.travel(T0, tick=False):
        tasks.start_scheduled_syncs()
    assert [r.trigger for r in runs_of(ws)] == ["schedule"]
