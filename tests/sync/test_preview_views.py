"""The preview pages: tenancy (an outsider gets 404 on every page and action), the list's
keyset pages and search, ticks and categories, the CSV export, expiry and the empty state."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Workspace
from sync.models import SyncRun
from sync.preview.models import ContactPreview, PreviewApplication, PreviewItem
from sync.preview.pages import PER_PAGE

pytestmark = pytest.mark.django_db


def workspace_of(user) -> Workspace:
    return user.workspaces.get()


def make_preview(user, creates: int = 3, links: int = 2, **extra) -> ContactPreview:
    """A ready preview with ``creates`` creates in QuickBooks and ``links`` links."""
    now = timezone.now()
    preview = ContactPreview.objects.create(
        workspace=workspace_of(user),
        created_by=user,
        status=ContactPreview.Status.READY,
        finished_at=now,
        expires_at=now + timedelta(hours=24),
        counts={"create_in_qbo": creates, "link": links},
        **extra,
    )
    rows = [
        PreviewItem(
            preview=preview,
            seq=n,
            category="create_in_qbo",
            system="lacrm",
            record_id=f"L{n}",
            record_name=f"=Person {n:04d}" if n == 0 else f"Person {n:04d}",
            record_email=f"person{n}@example.com",
            reason="Only in Less Annoying CRM",
            fields=[["DisplayName", f"Person {n:04d}"], ["PrimaryEmailAddr", f"p{n}@x.test"]],
            fingerprint="x",
        )
        for n in range(creates)
    ]
    rows += [
        PreviewItem(
            preview=preview,
            seq=creates + n,
            category="link",
            system="qbo",
            record_id=f"Q{n}",
            record_name=f"Linked Ünïcode {n}",
            target_id=f"T{n}",
            target_name=f"Other {n}",
            reason="email",
            fingerprint="y",
        )
        for n in range(links)
    ]
    PreviewItem.objects.bulk_create(rows)
    return preview


def url(name: str, preview: ContactPreview) -> str:
    return reverse(f"sync:preview:{name}", kwargs={"preview_id": preview.id})


@pytest.mark.parametrize("name", ["detail", "panel", "csv"])
def test_outsider_gets_404_for_preview_pages(bob_client, alice, name):
    preview = make_preview(alice)
    assert bob_client.get(url(name, preview)).status_code == 404


@pytest.mark.parametrize("name", ["items", "category", "apply"])
def test_outsider_gets_404_for_preview_actions_and_changes_nothing(bob_client, alice, name):
    preview = make_preview(alice)
    item = PreviewItem.objects.filter(preview=preview).first()
    data = {"shown": [item.pk], "category": "create_in_qbo", "action": "exclude"}
    assert bob_client.post(url(name, preview), data).status_code == 404
    assert not PreviewItem.objects.filter(preview=preview, excluded=True).exists()
    assert not SyncRun.objects.exists() and not PreviewApplication.objects.exists()


def test_outsider_sees_only_their_own_latest_preview(bob_client, alice, bob):
    make_preview(alice)
    response = bob_client.get(reverse("sync:preview:home"))
    assert response.status_code == 200
    assert "No preview yet" in response.content.decode()
    own = make_preview(bob)
    response = bob_client.get(reverse("sync:preview:home"))
    assert response["Location"] == url("detail", own)


def test_actions_need_post_and_a_csrf_token(alice, client):
    from django.test import Client

    preview = make_preview(alice)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(url("apply", preview)).status_code == 403
    assert strict.post(reverse("sync:preview:start")).status_code == 403
    assert strict.get(url("apply", preview)).status_code == 405


def test_starting_without_connections_says_why(alice_client):
    response = alice_client.post(reverse("sync:preview:start"), follow=True)
    assert "No preview started" in response.content.decode()
    assert not ContactPreview.objects.exists()


def test_list_pages_by_keyset_and_searches(alice_client, alice):
    preview = make_preview(alice, creates=PER_PAGE + 7, links=2)
    first = alice_client.get(url("detail", preview) + "?category=create_in_qbo")
    page = first.context["page"]
    assert [i.record_id for i in page.items][:2] == ["L0", "L1"] and len(page.items) == PER_PAGE
    second = alice_client.get(url("detail", preview) + page.next_url)
    rest = second.context["page"]
    assert [i.seq for i in rest.items] == list(range(PER_PAGE, PER_PAGE + 7))
    assert not rest.next_url and rest.previous_url
    back = alice_client.get(url("detail", preview) + rest.previous_url).context["page"]
    assert [i.seq for i in back.items] == list(range(PER_PAGE))
    found = alice_client.get(url("detail", preview) + "?q=person 0012").context["page"]
    assert [i.record_id for i in found.items] == ["L12"] and found.count == 1
    by_counterpart = alice_client.get(url("detail", preview) + "?q=Other 1").context["page"]
    assert [i.record_id for i in by_counterpart.items] == ["Q1"]


def test_unticking_rows_and_categories(alice_client, alice):
    preview = make_preview(alice)
    one, two = PreviewItem.objects.filter(preview=preview, category="create_in_qbo")[:2]
    alice_client.post(url("items", preview), {"shown": [one.pk, two.pk], "keep": [two.pk]})
    assert set(PreviewItem.objects.filter(excluded=True).values_list("pk", flat=True)) == {one.pk}
    page = alice_client.get(url("detail", preview)).content.decode()
    assert "Create 2 in QuickBooks, link 2 — apply?" in page
    alice_client.post(url("category", preview), {"category": "link", "action": "exclude"})
    page = alice_client.get(url("detail", preview)).content.decode()
    assert "Create 2 in QuickBooks — apply?" in page
    alice_client.post(url("category", preview), {"category": "link", "action": "include"})
    alice_client.post(url("items", preview), {"shown": [one.pk], "keep": [one.pk]})
    assert not PreviewItem.objects.filter(excluded=True).exists()
    # Only links and creates can be left out.
    alice_client.post(url("category", preview), {"category": "review", "action": "exclude"})
    assert not PreviewItem.objects.filter(excluded=True).exists()


def test_csv_is_utf8_with_bom_and_safe_for_spreadsheets(alice_client, alice):
    preview = make_preview(alice)
    PreviewItem.objects.filter(preview=preview, record_id="L1").update(excluded=True)
    response = alice_client.get(url("csv", preview))
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "category" and len(rows) == 1 + 3 + 2
    assert rows[1][4] == "'=Person 0000"  # a formula is neutralised
    assert rows[2][1] == "excluded" and rows[3][1] == "yes"
    assert "DisplayName: Person 0002" in rows[3][9]
    assert "Linked Ünïcode 0" in body.decode("utf-8-sig")
    only_links = alice_client.get(url("csv", preview) + "?category=link")
    assert len(b"".join(only_links.streaming_content).decode("utf-8-sig").splitlines()) == 3


def test_an_expired_preview_cannot_be_applied_or_changed(alice_client, alice):
    preview = make_preview(alice)
    ContactPreview.objects.filter(pk=preview.pk).update(expires_at=timezone.now())
    page = alice_client.get(url("detail", preview)).content.decode()
    assert "has expired and cannot be applied" in page and 'id="apply-plan"' not in page
    response = alice_client.post(url("apply", preview), follow=True)
    assert "Not applied: the preview has expired" in response.content.decode()
    assert not SyncRun.objects.exists()
    item = PreviewItem.objects.filter(preview=preview).first()
    alice_client.post(url("items", preview), {"shown": [item.pk]})
    assert not PreviewItem.objects.filter(excluded=True).exists()


def test_a_failed_preview_says_why_and_offers_a_new_one(alice_client, alice):
    preview = ContactPreview.objects.create(
        workspace=workspace_of(alice),
        status=ContactPreview.Status.FAILED,
        failure_reason="QuickBooks needs reconnecting",
    )
    page = alice_client.get(url("detail", preview)).content.decode()
    assert "QuickBooks needs reconnecting" in page and 'id="start-preview"' in page


def test_an_empty_plan_says_there_is_nothing_to_do(alice_client, alice):
    preview = make_preview(alice, creates=0, links=0)
    page = alice_client.get(url("detail", preview)).content.decode()
    assert "Nothing to do" in page


def test_dashboard_has_the_preview_button(alice_client):
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="preview-contacts"' in page


def test_lists_of_long_expired_previews_are_removed_but_their_counts_stay(alice_client, alice):
    from sync.preview.build import forget_old_items

    old, recent = make_preview(alice), make_preview(alice)
    ContactPreview.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=8))
    ContactPreview.objects.filter(pk=recent.pk).update(expires_at=timezone.now())
    assert forget_old_items(workspace_of(alice)) == 5
    assert PreviewItem.objects.filter(preview=recent).count() == 5
    page = alice_client.get(url("detail", old)).content.decode()
    assert "its list was removed" in page and 'id="count-create_in_qbo"><b>3</b>' in page
