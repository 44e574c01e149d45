"""NUL bytes and bytes that are not UTF-8 get a clear 400, never a 500 or a truncated download."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sync.models import ContactLink, SyncLogEntry, SyncRun

pytestmark = pytest.mark.django_db

NUL = "%00"
NOT_UTF8 = "%FF%FE"


@pytest.fixture
def run(alice):
    workspace = alice.workspaces.get()
    run = SyncRun.objects.create(
        workspace=workspace, kind=SyncRun.Kind.CONTACTS, status="completed", planned=True
    )
    SyncLogEntry.objects.create(
        workspace=workspace,
        run=run,
        outcome="skipped",
        system="qbo",
        record_id="77",
        record_name="Una Matched",
        reason="Inactive in QuickBooks",
    )
    return run


def _assert_refused(response) -> None:
    assert response.status_code == 400
    page = response.content.decode()
    assert "could not be read" in page and "nothing was searched, saved or changed" in page


def _pages(run) -> list[str]:
    return [
        reverse("sync:run_detail", kwargs={"run_id": run.id}) + "?q={}",
        reverse("sync:run_logs_csv", kwargs={"run_id": run.id}) + "?q={}",
        reverse("sync:ledger") + "?q={}",
        reverse("sync:ledger") + "?filter=unmatched_qbo&q={}",
        reverse("sync:review") + "?q={}",
        reverse("sync:manual_link") + "?system=qbo&record_id={}",
        reverse("sync:manual_link") + "?system=qbo&record_id=77&q={}",
    ]


@pytest.mark.parametrize("bad", [NUL, "a" + NUL + "b", NOT_UTF8, "%C3"])
@pytest.mark.parametrize("page", range(7))
def test_unreadable_query_strings_get_a_clear_400(alice_client, run, page, bad):
    url = _pages(run)[page].format(bad)
    _assert_refused(alice_client.get(url))


@pytest.mark.parametrize("bad", [NUL, NOT_UTF8])
@pytest.mark.parametrize("name", ["sync:manual_link", "sync:create_counterpart"])
def test_unreadable_forms_get_a_clear_400_and_change_nothing(alice_client, run, name, bad):
    body = f"system=qbo&record_id=77&target_id=a{bad}"
    response = alice_client.post(
        reverse(name), body, content_type="application/x-www-form-urlencoded"
    )
    _assert_refused(response)
    assert not ContactLink.objects.exists()


def test_a_nul_in_a_multipart_form_gets_a_clear_400(alice_client, run):
    response = alice_client.post(
        reverse("sync:create_counterpart"), {"system": "qbo", "record_id": "77\x00"}
    )
    _assert_refused(response)
    assert not ContactLink.objects.exists()


def test_the_400_page_keeps_the_signed_in_navigation(alice_client, run):
    response = alice_client.get(reverse("sync:ledger") + "?q=" + NUL)
    assert response.status_code == 400
    assert "Sign out" in response.content.decode()


def test_readable_unicode_still_searches(alice_client, run):
    # "Zoë" and "Müller & Söhne" percent-encoded as UTF-8, as a browser sends them.
    for url in _pages(run):
        response = alice_client.get(url.format("Zo%C3%AB+M%C3%BCller+%26+S%C3%B6hne"))
        assert response.status_code in (200, 404), url  # 404: no such record to link by hand
    response = alice_client.get(
        reverse("sync:run_detail", kwargs={"run_id": run.id}) + "?q=Una+Matched"
    )
    assert "Una Matched" in response.content.decode()
