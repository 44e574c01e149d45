"""The ledger pages: matched records, details, review queue, linking by hand, settings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.records import LACRM, QBO
from sync.models import (
    ContactLink,
    RejectedPair,
    SyncLogEntry,
    SyncRun,
)
from tests.factories import review_case

NAV = ('id="nav-ledger"', 'id="nav-review"', 'id="nav-settings"')


def ws_of(user):
    return user.memberships.get().workspace


def linked(workspace, qbo_id="1", lacrm_id="a", **fields) -> ContactLink:
    defaults = {
        "state": ContactLink.State.LINKED,
        "method": ContactLink.Method.EMAIL,
        "reason": 'Same email "nick@example.com"',
        "qbo_name": "Nick Brown",
        "qbo_email": "nick@example.com",
        "lacrm_name": "Brown, Nick",
        "lacrm_email": "nick@example.com",
    }
    defaults.update(fields)
    return ContactLink.objects.create(
        workspace=workspace, qbo_id=qbo_id, lacrm_id=lacrm_id, **defaults
    )


def held(workspace, qbo_ids, lacrm_ids, reason="2 LACRM contacts share one email"):
    return review_case(
        workspace,
        qbo_ids,
        lacrm_ids,
        reason,
        qbo_name="Quinn {}",
        qbo_email="quinn{}@example.com",
        lacrm_name="Lee {}",
        lacrm_email="lee{}@example.com",
    )


def unmatched(workspace, system=QBO, record_id="77", name="Una Matched", email="una@example.com"):
    """A record the latest sync skipped, so it has no ledger row."""
    run = SyncRun.objects.create(
        workspace=workspace, kind=SyncRun.Kind.CONTACTS, status="completed", planned=True
    )
    SyncLogEntry.objects.create(
        workspace=workspace,
        run=run,
        outcome="skipped",
        system=system,
        record_id=record_id,
        record_name=name,
        record_email=email,
        reason="Inactive in QuickBooks (workspace setting)",
    )
    return run


def html(response) -> str:
    return response.content.decode()


# --- Navigation, sign-in, empty states -----------------------------------------------------------


@pytest.mark.parametrize("name", ["sync:ledger", "sync:review", "sync:settings"])
def test_pages_are_in_the_navigation_and_render_it(alice_client, name):
    page = alice_client.get(reverse(name))
    assert page.status_code == 200
    text = html(page)
    for marker in NAV:
        assert marker in text
    for target in ("sync:ledger", "sync:review", "sync:settings"):
        assert f'href="{reverse(target)}"' in text


def test_the_review_link_shows_the_open_count(alice_client, alice):
    held(ws_of(alice), ["1"], ["a", "b"])  # three records of one case: one decision
    text = html(alice_client.get(reverse("sync:ledger")))
    assert "1 case waiting for your review" in text


@pytest.mark.parametrize(
    "url",
    ["/sync/ledger/", "/sync/review/", "/sync/settings/", "/sync/ledger/link/?system=qbo"],
)
def test_pages_need_a_signed_in_user(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_empty_ledger_says_to_run_a_sync(alice_client):
    text = html(alice_client.get(reverse("sync:ledger")))
    assert "No matched records yet — run <strong>Sync New Contacts</strong>" in text
    assert 'id="ledger-table"' not in text


def test_empty_review_queue(alice_client):
    text = html(alice_client.get(reverse("sync:review")))
    assert 'id="review-empty"' in text and "Nothing to review" in text


# --- Matched records -----------------------------------------------------------------------------


def test_ledger_lists_both_sides_state_method_and_flag(alice_client, alice):
    ws = ws_of(alice)
    linked(ws)
    linked(
        ws,
        "2",
        "b",
        qbo_name="Gone Gary",
        lacrm_name="Gary",
        flag="The QuickBooks customer is inactive, a sub-customer or deleted",
    )
    text = html(alice_client.get(reverse("sync:ledger")))
    assert "Nick Brown" in text and "Brown, Nick" in text and "nick@example.com" in text
    assert "Same email" in text and "Email" in text
    assert 'id="flagged-banner"' in text and "1 linked record flagged" in text
    assert "⚑ Flagged" in text


@pytest.mark.parametrize(
    ("filter_key", "expected"),
    [
        ("linked", {"Nick Brown", "Carla Created", "Fay Flag"}),
        ("needs_review", {"Quinn 5"}),
        ("created", {"Carla Created"}),
        ("flagged", {"Fay Flag"}),
        ("", {"Nick Brown", "Carla Created", "Fay Flag", "Quinn 5"}),
    ],
)
def test_ledger_filters(alice_client, alice, filter_key, expected):
    ws = ws_of(alice)
    linked(ws)
    linked(ws, "2", "b", qbo_name="Carla Created", created_in_lacrm=True, method="created")
    linked(ws, "3", "c", qbo_name="Fay Flag", flag="The LACRM contact was not found (deleted?)")
    held(ws, ["5"], ["e"])
    page = alice_client.get(reverse("sync:ledger"), {"filter": filter_key})
    rows = page.context["page"].object_list
    assert {r.qbo_name for r in rows if r.qbo_id} == expected


@pytest.mark.parametrize("terms", ["brown, nick", "NICK@example", "1", "a"])
def test_ledger_search_covers_both_systems_names_emails_and_ids(alice_client, alice, terms):
    ws = ws_of(alice)
    linked(ws, lacrm_email="nick.b@example.com")
    linked(ws, "2", "b", qbo_name="Other", qbo_email="o@x.test", lacrm_name="O", lacrm_email="")
    page = alice_client.get(reverse("sync:ledger"), {"q": terms})
    assert [r.qbo_id for r in page.context["page"].object_list] == ["1"]


def test_ledger_pages_by_fifty(alice_client, alice):
    ws = ws_of(alice)
    ContactLink.objects.bulk_create(
        ContactLink(workspace=ws, qbo_id=str(n), lacrm_id=f"l{n}", state="linked")
        for n in range(120)
    )
    first = alice_client.get(reverse("sync:ledger"))
    assert len(first.context["page"].object_list) == 50
    last = alice_client.get(reverse("sync:ledger"), {"page": 3})
    assert len(last.context["page"].object_list) == 20
    assert "Page 3 of 3" in html(last)


def test_unmatched_filters_list_records_without_a_ledger_row(alice_client, alice):
    ws = ws_of(alice)
    unmatched(ws, QBO, "77", "Una Matched")
    page = alice_client.get(reverse("sync:ledger"), {"filter": "unmatched_qbo"})
    text = html(page)
    assert "Una Matched" in text and "Inactive in QuickBooks" in text
    assert "Link by hand…" in text and "Create in Less Annoying CRM" in text
    lacrm = alice_client.get(reverse("sync:ledger"), {"filter": "unmatched_lacrm"})
    assert "Una Matched" not in html(lacrm) and "No unmatched records" in html(lacrm)


def test_unmatched_before_any_sync_says_to_run_one(alice_client):
    text = html(alice_client.get(reverse("sync:ledger"), {"filter": "unmatched_qbo"}))
    assert "No sync has run yet" in text


# --- Pair details --------------------------------------------------------------------------------


def test_details_say_clearly_when_a_side_is_not_reachable(alice_client, alice):
    link = linked(ws_of(alice))
    text = html(alice_client.get(reverse("sync:ledger_detail", args=[link.pk])))
    assert "QuickBooks is not connected, so this record cannot be shown" in text
    assert "Less Annoying CRM is not connected" in text
    # The unlink confirmation says what unlinking means.
    assert "will not link these two records again" in text
    assert 'id="unlink-button"' in text


# --- Unlink --------------------------------------------------------------------------------------


def test_unlink_removes_the_link_logs_it_and_remembers_the_pair(alice_client, alice):
    ws = ws_of(alice)
    link = linked(ws)
    response = alice_client.post(reverse("sync:unlink", args=[link.pk]), follow=True)
    assert "The next sync will not link these two again" in html(response)
    assert not ContactLink.objects.filter(pk=link.pk).exists()
    assert RejectedPair.objects.filter(workspace=ws, qbo_id="1", lacrm_id="a").exists()
    entries = SyncLogEntry.objects.filter(workspace=ws, outcome="unlinked")
    assert {(e.system, e.run) for e in entries} == {(QBO, None), (LACRM, None)}
    assert all("alice@example.com" in e.reason for e in entries)


def test_unlink_needs_post(alice_client, alice):
    link = linked(ws_of(alice))
    assert alice_client.get(reverse("sync:unlink", args=[link.pk])).status_code == 405
    assert ContactLink.objects.filter(pk=link.pk).exists()


# --- Review queue --------------------------------------------------------------------------------


def test_review_page_shows_each_case_with_candidates_and_reason(alice_client, alice):
    ws = ws_of(alice)
    held(ws, ["1"], ["a", "b"], reason='2 LACRM contacts share "fam@example.com"')
    held(ws, ["2"], ["c"], reason='Same name "Sam Smith", no email to confirm it')
    page = alice_client.get(reverse("sync:review"))
    text = html(page)
    assert len(page.context["page"].object_list) == 2
    assert text.count('class="card review-case"') == 2
    assert "2 LACRM contacts share &quot;fam@example.com&quot;" in text
    for name in ("Quinn 1", "Lee a", "Lee b", "leea@example.com"):
        assert name in text
    assert "Link Quinn 1 ⇄ Lee a" in text and "Link Quinn 1 ⇄ Lee b" in text
    assert "never proposes these pairs again" in text


def test_review_link_links_one_candidate_and_frees_the_others(alice_client, alice):
    ws = ws_of(alice)
    rows = held(ws, ["1"], ["a", "b"])
    response = alice_client.post(
        reverse("sync:review_link", args=[rows[0].pk]), {"qbo_id": "1", "lacrm_id": "b"}
    )
    assert response.status_code == 302
    link = ContactLink.objects.get(workspace=ws)
    assert (link.qbo_id, link.lacrm_id, link.state, link.method) == ("1", "b", "linked", "manual")
    assert SyncLogEntry.objects.filter(workspace=ws, outcome="linked", run=None).count() == 1


def test_review_reject_remembers_every_pair(alice_client, alice):
    ws = ws_of(alice)
    rows = held(ws, ["1"], ["a", "b"])
    response = alice_client.post(reverse("sync:review_reject", args=[rows[1].pk]), follow=True)
    assert "Marked 2 pairs as not a match" in html(response)
    assert set(RejectedPair.objects.filter(workspace=ws).values_list("qbo_id", "lacrm_id")) == {
        ("1", "a"),
        ("1", "b"),
    }
    assert not ContactLink.objects.filter(workspace=ws).exists()
    assert SyncLogEntry.objects.filter(workspace=ws, outcome="skipped", run=None).count() == 3


def test_review_create_without_connection_explains_and_keeps_the_case(alice_client, alice):
    ws = ws_of(alice)
    rows = held(ws, ["1"], ["a"])
    response = alice_client.post(reverse("sync:review_create", args=[rows[0].pk]), follow=True)
    assert "QuickBooks is not connected" in html(response)
    assert set(ContactLink.objects.filter(workspace=ws).values_list("state", flat=True)) == {
        "needs_review"
    }


def test_a_decided_case_is_reported_not_redone(alice_client, alice):
    ws = ws_of(alice)
    row = linked(ws)
    response = alice_client.post(reverse("sync:review_reject", args=[row.pk]), follow=True)
    assert "already decided" in html(response)
    assert not RejectedPair.objects.filter(workspace=ws).exists()


# --- Link by hand --------------------------------------------------------------------------------


def test_manual_link_page_offers_records_from_the_last_sync(alice_client, alice):
    ws = ws_of(alice)
    unmatched(ws, QBO, "77", "Una Matched")
    held(ws, ["9"], ["u"], reason="Close name")
    ContactLink.objects.filter(lacrm_id="u").update(lacrm_name="Una Matched-Lee")
    linked(ws, "5", "x", qbo_name="Someone", lacrm_name="Una Linked")
    page = alice_client.get(reverse("sync:manual_link"), {"system": QBO, "record_id": "77"})
    assert page.status_code == 200
    # The search starts with the record's own name, in LedgerLink's own data only.
    assert page.context["query"] == "Una Matched"
    assert [ref.id for ref in page.context["known"]] == ["u"]
    assert 'id="live-results"' not in html(page) and 'id="live-error"' not in html(page)
    page = alice_client.get(
        reverse("sync:manual_link"), {"system": QBO, "record_id": "77", "q": "una"}
    )
    known = {ref.id: ref for ref in page.context["known"]}
    assert known["u"].linkable
    assert not known["x"].linkable and "Already linked to Someone" in known["x"].note


def test_manual_link_live_search_says_when_the_other_side_is_unreachable(alice_client, alice):
    unmatched(ws_of(alice), QBO, "77", "Una Matched")
    page = alice_client.get(
        reverse("sync:manual_link"), {"system": QBO, "record_id": "77", "q": "Una"}
    )
    assert "Less Annoying CRM is not connected" in html(page)


def test_manual_link_links_and_logs(alice_client, alice):
    ws = ws_of(alice)
    unmatched(ws, QBO, "77", "Una Matched", "una@example.com")
    held(ws, ["9"], ["u"])
    response = alice_client.post(
        reverse("sync:manual_link"), {"system": QBO, "record_id": "77", "target_id": "u"}
    )
    link = ContactLink.objects.get(workspace=ws, state="linked")
    assert response.status_code == 302
    assert response["Location"] == reverse("sync:ledger_detail", args=[link.pk])
    assert (link.qbo_id, link.lacrm_id, link.method) == ("77", "u", "manual")
    assert (link.qbo_name, link.lacrm_name) == ("Una Matched", "Lee u")
    # The case "u" was held in is decided: "9" goes back to the next sync.
    assert not ContactLink.objects.filter(workspace=ws, qbo_id="9").exists()
    entry = SyncLogEntry.objects.get(workspace=ws, outcome="linked")
    assert (entry.system, entry.record_id, entry.target_id) == (QBO, "77", "u")
    # Linked now, so it is no longer unmatched.
    page = alice_client.get(reverse("sync:ledger"), {"filter": "unmatched_qbo"})
    assert list(page.context["page"].object_list) == []


def test_manual_link_to_an_already_linked_record_is_refused(alice_client, alice):
    ws = ws_of(alice)
    unmatched(ws, QBO, "77")
    linked(ws, "5", "x", lacrm_name="Taken Tom")
    response = alice_client.post(
        reverse("sync:manual_link"),
        {"system": QBO, "record_id": "77", "target_id": "x"},
        follow=True,
    )
    assert "Already linked to" in html(response)
    assert ContactLink.objects.filter(workspace=ws).count() == 1
    assert not SyncLogEntry.objects.filter(workspace=ws, outcome="linked").exists()


def test_manual_link_of_an_unknown_record_is_404(alice_client):
    response = alice_client.get(reverse("sync:manual_link"), {"system": LACRM, "record_id": "zz"})
    assert response.status_code == 404


def test_create_for_an_unmatched_record_without_connection_changes_nothing(alice_client, alice):
    ws = ws_of(alice)
    unmatched(ws, QBO, "77")
    response = alice_client.post(
        reverse("sync:create_counterpart"),
        {"system": QBO, "record_id": "77", "next_filter": "unmatched_qbo"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("sync:ledger") + "?filter=unmatched_qbo"
    assert not ContactLink.objects.filter(workspace=ws).exists()


# --- Outsiders -----------------------------------------------------------------------------------


@pytest.fixture
def alice_rows(alice):
    ws = ws_of(alice)
    unmatched(ws, QBO, "77", "Una Matched")
    return {"link": linked(ws), "review": held(ws, ["1b"], ["ab"])[0]}


def assert_alice_untouched(alice):
    ws = ws_of(alice)
    assert ContactLink.objects.filter(workspace=ws, state="linked").count() == 1
    assert ContactLink.objects.filter(workspace=ws, state="needs_review").count() == 2
    assert not RejectedPair.objects.exists()
    assert not SyncLogEntry.objects.filter(run=None).exists()


@pytest.mark.parametrize(
    ("method", "name", "row", "data"),
    [
        ("get", "sync:ledger_detail", "link", None),
        ("post", "sync:unlink", "link", None),
        ("post", "sync:review_link", "review", {"qbo_id": "1b", "lacrm_id": "ab"}),
        ("post", "sync:review_reject", "review", None),
        ("post", "sync:review_create", "review", None),
    ],
)
def test_outsider_gets_404_for_rows_and_changes_nothing(
    client, bob, alice, alice_rows, method, name, row, data
):
    client.force_login(bob)
    url = reverse(name, args=[alice_rows[row].pk])
    response = getattr(client, method)(url, data or {})
    assert response.status_code == 404
    assert_alice_untouched(alice)


@pytest.mark.parametrize(
    ("method", "name", "data"),
    [
        ("get", "sync:manual_link", {"system": QBO, "record_id": "77"}),
        ("post", "sync:manual_link", {"system": QBO, "record_id": "77", "target_id": "ab"}),
        ("post", "sync:create_counterpart", {"system": QBO, "record_id": "77"}),
        ("get", "sync:manual_link", {"system": QBO, "record_id": "1b"}),
    ],
)
def test_outsider_cannot_reach_alices_records_to_link(
    client, bob, alice, alice_rows, method, name, data
):
    client.force_login(bob)
    response = getattr(client, method)(reverse(name), data)
    assert response.status_code == 404
    assert_alice_untouched(alice)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("sync:ledger", {}),
        ("sync:ledger", {"filter": "unmatched_qbo"}),
        ("sync:ledger", {"q": "Nick"}),
        ("sync:review", {}),
    ],
)
def test_outsider_lists_show_nothing_of_alice(client, bob, alice_rows, name, params):
    client.force_login(bob)
    text = html(client.get(reverse(name), params))
    for secret in ("Nick Brown", "Una Matched", "Quinn 1b", "Lee ab", str(alice_rows["link"].pk)):
        assert secret not in text
