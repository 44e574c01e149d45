"""Dashboard, run pages, Stop, log filters and CSV export; every view scoped to its workspace."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from django.urls import reverse

from sync.models import SyncLogEntry, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_run(alice):
    workspace = alice.workspaces.get()
    run = SyncRun.objects.create(
        workspace=workspace,
        kind=SyncRun.Kind.CONTACTS,
        status=SyncRun.Status.RUNNING,
        planned=True,
        total=40,
        processed=12,
        created_in_lacrm=9,
        failed=1,
        already_matched=3,
        needs_review=2,
    )
    outcomes = ["created"] * 9 + ["failed"] + ["already_matched"] * 3 + ["needs_review"] * 2
    for n, outcome in enumerate(outcomes):
        SyncLogEntry.objects.create(
            workspace=workspace,
            run=run,
            outcome=outcome,
            system="qbo",
            record_id=str(100 + n),
            record_name="=HYPERLINK(evil)" if n == 0 else f"Customer {n:02d}",
            record_email=f"c{n}@example.com",
            reason="QuickBooks rejected the email address" if outcome == "failed" else "ok",
        )
    return run


def test_dashboard_without_connections_disables_actions_with_the_reason(alice_client):
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="sync-contacts" disabled' in page
    assert "QuickBooks is not connected" in page
    assert "Less Annoying CRM is not connected" in page
    assert "No runs yet" in page


def test_start_is_refused_while_not_connected(alice_client, alice):
    response = alice_client.post(reverse("sync:start", kwargs={"kind": "contacts"}), follow=True)
    assert "Not started: QuickBooks is not connected" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_start_requires_post(alice_client):
    response = alice_client.get(reverse("sync:start", kwargs={"kind": "contacts"}))
    assert response.status_code == 405


def test_dashboard_shows_live_counters_and_stop_for_an_active_run(alice_client, alice_run):
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="stop-run"' in page
    assert 'hx-trigger="every 2s"' in page
    assert '<b id="count-created-lacrm">9</b>' in page
    assert "12 of 40" in page
    assert "Sync New Contacts is in progress" in page  # why the buttons are disabled


def test_stop_moves_a_running_run_to_stopping(alice_client, alice_run):
    response = alice_client.post(reverse("sync:stop", kwargs={"run_id": alice_run.id}))
    assert response.status_code == 302
    alice_run.refresh_from_db()
    assert alice_run.status == SyncRun.Status.STOPPING and alice_run.stop_requested


def test_panel_polling_stops_and_refreshes_when_the_run_ends(alice_client, alice_run):
    alice_run.status = SyncRun.Status.COMPLETED
    alice_run.save()
    url = reverse("sync:run_panel", kwargs={"run_id": alice_run.id})
    response = alice_client.get(url, HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"
    assert "every 2s" not in response.content.decode()


def test_logs_filter_by_outcome_and_search(alice_client, alice_run):
    url = reverse("sync:run_detail", kwargs={"run_id": alice_run.id})
    failed = alice_client.get(url, {"outcome": "failed"}).content.decode()
    assert "1 entry" in failed and "QuickBooks rejected the email address" in failed
    succeeded = alice_client.get(url, {"outcome": "succeeded"}).content.decode()
    assert "9 entries" in succeeded
    found = alice_client.get(url, {"q": "c12@example"}).content.decode()
    assert "1 entry" in found and "Customer 12" in found


def test_logs_paginate(alice_client, alice_run):
    workspace = alice_run.workspace
    SyncLogEntry.objects.bulk_create(
        SyncLogEntry(workspace=workspace, run=alice_run, outcome="matched", record_name=f"M{i}")
        for i in range(60)
    )
    SyncRun.objects.filter(pk=alice_run.pk).update(matched=60)
    url = reverse("sync:run_detail", kwargs={"run_id": alice_run.id})
    first = alice_client.get(url).content.decode()
    assert "Showing 1–50 of about 75 entries" in first
    older = re.search(r'id="logs-older" [^>]*href="([^"]+)"', first)[1]
    second = alice_client.get(url + unescape(older)).content.decode()
    assert "Showing 51–75 of about 75 entries" in second
    assert 'id="logs-older"' not in second and 'id="logs-newer"' in second


def test_csv_export_has_every_filtered_entry_and_defuses_formulas(alice_client, alice_run):
    url = reverse("sync:run_logs_csv", kwargs={"run_id": alice_run.id})
    response = alice_client.get(url, {"outcome": "succeeded"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["time", "outcome", "system"]
    assert len(rows) == 1 + 9
    assert rows[1][4] == "'=HYPERLINK(evil)"


def test_csv_export_streams_every_entry_oldest_first_in_blocks(alice_client, alice_run):
    workspace = alice_run.workspace
    SyncLogEntry.objects.bulk_create(
        SyncLogEntry(
            workspace=workspace,
            run=alice_run,
            outcome="created",
            record_id=f"n{n}",
            reason="x" * 40,
        )
        for n in range(2500)
    )
    url = reverse("sync:run_logs_csv", kwargs={"run_id": alice_run.id})
    blocks = list(alice_client.get(url).streaming_content)
    rows = list(csv.reader(io.StringIO(b"".join(blocks).decode("utf-8-sig"))))
    expected = SyncLogEntry.objects.filter(run=alice_run).order_by("at", "id")
    assert [r[3] for r in rows[1:]] == [e.record_id for e in expected]
    assert 1 < len(blocks) < len(rows) / 100


def test_csv_export_that_fails_midway_ends_with_a_line_saying_it_is_incomplete(
    alice_client, alice_run, caplog
):
    from django.db import connection

    workspace = alice_run.workspace
    SyncLogEntry.objects.bulk_create(
        SyncLogEntry(
            workspace=workspace, run=alice_run, outcome="created", system="qbo", record_id=str(n)
        )
        for n in range(2000)
    )
    # A stored time Python cannot represent (year 10000): reading it fails, as any row-level
    # failure would. It sorts last, so it sits in the second chunk the export reads.
    last = SyncLogEntry.objects.filter(run=alice_run).order_by("-id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sync_synclogentry SET at = '10000-01-01T00:00:00Z' WHERE id = %s", [last.pk]
        )
    total = SyncLogEntry.objects.filter(run=alice_run).count()

    url = reverse("sync:run_logs_csv", kwargs={"run_id": alice_run.id})
    response = alice_client.get(url)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert response.status_code == 200
    assert rows[0][0] == "time"
    assert len(rows) - 2 < total - 1  # entries are missing...
    assert rows[-1][0].startswith("EXPORT INCOMPLETE")  # ...and the file says so
    assert f"after {len(rows) - 2} log entries" in rows[-1][0]
    assert any(r.levelname == "ERROR" and "stopped after" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("name", ["run_detail", "run_panel", "run_logs_csv"])
def test_outsider_gets_404_for_run_pages(bob_client, alice_run, name):
    response = bob_client.get(reverse(f"sync:{name}", kwargs={"run_id": alice_run.id}))
    assert response.status_code == 404


def test_outsider_cannot_stop_a_run(bob_client, alice_run):
    response = bob_client.post(reverse("sync:stop", kwargs={"run_id": alice_run.id}))
    assert response.status_code == 404
    alice_run.refresh_from_db()
    assert alice_run.status == SyncRun.Status.RUNNING and not alice_run.stop_requested


def test_outsider_dashboard_shows_nothing_of_another_workspace(bob_client, alice_run):
    page = bob_client.get(reverse("dashboard")).content.decode()
    assert "Customer 01" not in page and str(alice_run.id) not in page
