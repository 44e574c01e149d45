"""The product's rough edges (issue 16): error pages, the no-workspace page, the review badge,
the empty dashboard, the search cap, the CSV byte-order mark and one source for a run's status."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from accounts.models import Membership, User, Workspace
from sync.models import ContactLink, SyncLogEntry, SyncRun
from sync.searchterms import MAX_SEARCH
from tests.factories import review_case

pytestmark = pytest.mark.django_db


# A URL conf for the error pages Django renders itself: the site's routes plus views that fail.
def _boom(request):
    raise RuntimeError("kaboom")


def _forbidden(request):
    raise PermissionDenied


def _fine(request):
    return HttpResponse("ok")


def _urlpatterns():
    from config.urls import urlpatterns

    return [
        path("test-boom/", _boom),
        path("test-forbidden/", _forbidden),
        *urlpatterns,
    ]


urlpatterns = _urlpatterns()


@pytest.fixture
def alice_workspace(alice):
    return alice.workspaces.get()


# --- Error pages ----------------------------------------------------------------------------


def test_an_unknown_page_is_the_sites_own_404_with_a_way_back(alice_client):
    response = alice_client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'id="error-page"' in page and "That page is not here" in page
    assert f'href="{reverse("dashboard")}"' in page
    assert 'class="topbar"' in page  # in the site's frame, with its navigation


def test_a_stale_unlink_after_back_gets_the_friendly_404_and_changes_nothing(
    alice_client, alice_workspace
):
    link = ContactLink.objects.create(
        workspace=alice_workspace, qbo_id="7", lacrm_id="L7", state=ContactLink.State.LINKED
    )
    url = reverse("sync:unlink", kwargs={"link_id": link.id})
    assert alice_client.post(url).status_code == 302
    again = alice_client.post(url)  # the form of the page before, sent once more
    assert again.status_code == 404
    assert "That page is not here" in again.content.decode()
    assert "unlinked" in again.content.decode()


def test_an_outsiders_record_is_the_same_friendly_404(bob_client, alice_workspace):
    link = ContactLink.objects.create(
        workspace=alice_workspace, qbo_id="8", lacrm_id="L8", state=ContactLink.State.LINKED
    )
    response = bob_client.get(reverse("sync:ledger_detail", kwargs={"link_id": link.id}))
    assert response.status_code == 404
    assert "That page is not here" in response.content.decode()


@pytest.mark.urls("tests.test_ui_pages")
def test_a_server_error_is_the_sites_own_500(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/test-boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page and 'href="/"' in page
    assert "kaboom" not in page and "Traceback" not in page


@pytest.mark.urls("tests.test_ui_pages")
def test_permission_denied_is_the_sites_own_403(alice_client):
    response = alice_client.get("/test-forbidden/")
    assert response.status_code == 403
    assert "You cannot do that here" in response.content.decode()


def test_a_post_without_csrf_token_gets_the_form_expired_page(alice, alice_workspace):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("sync:start", kwargs={"kind": "contacts"}))
    page = response.content.decode()
    assert response.status_code == 403
    assert "That form had expired" in page and "Nothing was changed" in page
    assert not SyncRun.objects.exists()


# --- An account with no workspace -----------------------------------------------------------


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(email="root@example.com", password="x-long-password-1")


def test_the_readme_superuser_lands_on_a_page_saying_what_to_do(superuser):
    client = Client()
    client.force_login(superuser)
    response = client.get(reverse("dashboard"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "This account has no workspace" in page
    assert 'id="create-workspace"' in page and 'id="admin-link"' in page


def test_the_no_workspace_page_offers_no_admin_link_to_a_non_staff_user(db):
    user = User.objects.create_user(email="lone@example.com", password="x-long-password-1")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("sync:ledger")).content.decode()
    assert "This account has no workspace" in page and 'id="admin-link"' not in page


def test_create_a_workspace_from_the_no_workspace_page(superuser):
    client = Client(enforce_csrf_checks=False)
    client.force_login(superuser)
    assert client.get(reverse("create_own_workspace")).status_code == 405
    response = client.post(reverse("create_own_workspace"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "<h1>Dashboard</h1>" in response.content.decode()
    membership = Membership.objects.get(user=superuser)
    assert membership.role == Membership.Role.OWNER
    # A second press creates no second workspace.
    client.post(reverse("create_own_workspace"))
    assert Workspace.objects.filter(members=superuser).count() == 1


def test_create_a_workspace_needs_a_signed_in_user(client):
    response = client.post(reverse("create_own_workspace"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Workspace.objects.exists()


# --- The header, the review badge, the empty dashboard ----------------------------------------


def test_the_review_badge_counts_cases_not_records(alice_client, alice_workspace):
    review_case(alice_workspace, ["1", "2"], ["a"])  # three records, one decision
    review_case(alice_workspace, ["3"], ["b", "c"])  # three more, a second decision
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert '<span class="badge needs_review">2</span>' in page
    assert "2 cases waiting for your review" in page
    ledger = alice_client.get(reverse("sync:ledger")).content.decode()
    assert "Review queue (2 cases)" in ledger


def test_no_runs_yet_asks_to_connect_only_while_not_connected(alice_client):
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="no-runs"' in page and "Manage connections" in page
    assert "Both accounts are connected" not in page


@pytest.mark.django_db(transaction=True)
def test_no_runs_yet_with_both_accounts_connected_says_what_to_click(connected_workspace):
    page = connected_workspace.client.get(reverse("dashboard")).content.decode()
    assert "No runs yet. Both accounts are connected" in page
    assert "is not connected" not in page


# --- Search length --------------------------------------------------------------------------


@pytest.fixture
def alice_run(alice_workspace):
    run = SyncRun.objects.create(
        workspace=alice_workspace,
        kind=SyncRun.Kind.CONTACTS,
        status=SyncRun.Status.COMPLETED,
        planned=True,
    )
    SyncLogEntry.objects.create(
        workspace=alice_workspace,
        run=run,
        outcome="created",
        system="qbo",
        record_id="1",
        record_name="Zoë Ångström",
        record_email="zoe@example.com",
    )
    return run


@pytest.mark.parametrize(
    "url_name", ["sync:ledger", "sync:review", "sync:run_detail"], ids=["ledger", "review", "logs"]
)
def test_a_5000_character_search_is_cut_and_said_so(alice_client, alice_run, url_name):
    kwargs = {"run_id": alice_run.id} if url_name == "sync:run_detail" else {}
    if url_name == "sync:ledger":
        ContactLink.objects.create(workspace=alice_run.workspace, qbo_id="1", state="linked")
    long_search = "x" * 5000
    page = alice_client.get(reverse(url_name, kwargs=kwargs), {"q": long_search}).content.decode()
    assert 'id="search-notice"' in page
    assert f"limited to {MAX_SEARCH} characters" in page and "5000 you entered" in page
    assert "x" * (MAX_SEARCH + 1) not in page  # neither echoed in the box nor in the text
    assert 'maxlength="200"' in page


def test_a_search_within_the_limit_is_not_warned_about(alice_client, alice_run):
    url = reverse("sync:run_detail", kwargs={"run_id": alice_run.id})
    page = alice_client.get(url, {"q": "zoe"}).content.decode()
    assert 'id="search-notice"' not in page and "Zoë Ångström" in page


# --- CSV for Excel --------------------------------------------------------------------------


def test_the_csv_export_starts_with_a_utf8_byte_order_mark(alice_client, alice_run):
    url = reverse("sync:run_logs_csv", kwargs={"run_id": alice_run.id})
    response = alice_client.get(url)
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\xef\xbb\xbf") == 1
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "time" and rows[1][4] == "Zoë Ångström"


# --- One status for a run ---------------------------------------------------------------------


def test_each_panel_poll_refreshes_the_status_in_the_run_history(alice_client, alice_workspace):
    run = SyncRun.objects.create(
        workspace=alice_workspace, kind=SyncRun.Kind.CONTACTS, status=SyncRun.Status.QUEUED
    )
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert f'id="history-status-{run.id}">Queued<' in page
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.RUNNING)
    url = reverse("sync:run_panel", kwargs={"run_id": run.id})
    poll = alice_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="run-status">Running<' in poll
    assert f'id="history-status-{run.id}" hx-swap-oob="true">Running<' in poll
    # The run page has no history table, so its polls carry no copy for it.
    detail = alice_client.get(url, {"detail": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-swap-oob" not in detail
