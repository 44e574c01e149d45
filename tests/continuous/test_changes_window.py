"""The changes window: announced changes wait a few minutes to share one changes run (about one
QuickBooks read however many it carries), and the window widens when the month's reads are on
course past the warning level."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import metering
from integrations.changes import Change
from integrations.records import QBO
from sync.continuous import budget
from sync.continuous.intake import KIND, gather_for, record_changes
from sync.continuous.models import ChangeEvent
from sync.models import SyncRun
from sync.runs import recover_stale_runs
from tests.fixtures_worker import purge_broker, wait_for
from tests.sync.test_field_updates import add_customer


def test_the_window_is_the_setting_while_the_month_is_on_course(settings, db):
    settings.SYNC_CHANGES_WINDOW_SECONDS = 300
    settings.QBO_MONTHLY_READ_BUDGET = 1_000_000
    assert budget.changes_window() == 300
    settings.SYNC_CHANGES_WINDOW_SECONDS = 0
    assert budget.changes_window() == 0


def test_the_window_widens_in_proportion_when_reads_are_on_course_past_the_warning(settings, db):
    settings.SYNC_CHANGES_WINDOW_SECONDS = 300
    settings.QBO_MONTHLY_READ_BUDGET = 1000
    metering.count(QBO, "another-workspace", 600)
    now = timezone.now()
    elapsed, length = budget.month_elapsed(now)
    course = 0.6 * length / max(elapsed, budget.MIN_ELAPSED)
    expected = min(budget.MAX_WINDOW, 300 * max(1.0, course / budget.WARN_AT))
    assert budget.projected_share(budget.usage(), now) == pytest.approx(course)
    assert budget.changes_window(now) == pytest.approx(expected)
    # 60 % of the budget spent is on course past 70 % until the month's last days: wider.
    if elapsed < 0.85 * length:
        assert budget.changes_window(now) > 300
    # Far past the budget, it stops at the catch-up interval.
    metering.count(QBO, "another-workspace", 100_000)
    assert budget.changes_window(now) == budget.MAX_WINDOW


def test_changes_in_one_window_share_one_run_that_plans_when_the_window_ends(
    connected_workspace_empty, settings
):
    settings.SYNC_CHANGES_WINDOW_SECONDS = 120
    ws = connected_workspace_empty.workspace
    before = timezone.now()
    record_changes(ws, "qbo", [Change("7", "updated", event_id="w1")], "qbo_webhook")
    record_changes(ws, "qbo", [Change("8", "created", event_id="w2")], "qbo_webhook")
    (run,) = SyncRun.objects.filter(workspace=ws, kind=KIND)
    assert run.status == "queued" and not run.planned
    # Its heartbeat says when it is due: stale-run recovery leaves it to its countdown.
    assert run.heartbeat_at >= before + timedelta(seconds=119)
    assert recover_stale_runs(stale_after=timedelta(0)) == []
    # Changes that already waited a whole window (a run was busy) go at once.
    ChangeEvent.objects.filter(workspace=ws).update(received_at=before - timedelta(minutes=5))
    assert gather_for(ws) == 0
    purge_broker()


@pytest.mark.worker
def test_a_burst_of_changes_is_applied_by_one_run_after_the_window(
    connected_workspace_empty, celery_worker_process, settings
):
    cw = connected_workspace_empty
    ws = cw.workspace
    settings.SYNC_CHANGES_WINDOW_SECONDS = 2
    ids = [add_customer(cw, "Burst", f"Number{i}") for i in range(3)]
    for n, qbo_id in enumerate(ids):
        record_changes(ws, "qbo", [Change(qbo_id, "created", event_id=f"b{n}")], "qbo_webhook")

    wait_for(lambda: SyncRun.objects.filter(workspace=ws, kind=KIND, status="completed").exists())
    (run,) = SyncRun.objects.filter(workspace=ws, kind=KIND)
    assert run.status == "completed", run.failure_reason
    assert run.started_at - run.created_at >= timedelta(seconds=2)
    assert set(ChangeEvent.objects.filter(workspace=ws).values_list("run", flat=True)) == {run.pk}
    assert run.created_in_lacrm == 3
