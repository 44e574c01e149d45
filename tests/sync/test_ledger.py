"""The ledger's read side and the decisions taken by hand, on real Postgres rows."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import Workspace
from integrations.records import LACRM, QBO, ContactRecord, record_to_dict
from sync.contacts.handler import ContactSyncHandler
from sync.contacts.plan import Pulled
from sync.ledger import actions as ledger_actions
from sync.ledger import queries as ledger
from sync.ledger import review
from sync.ledger.queries import LedgerError, RecordRef
from sync.matching import plan_matches
from sync.models import (
    ContactLink,
    RejectedPair,
    SyncLogEntry,
    SyncRun,
    SyncSettings,
    SyncWorkItem,
)
from tests.factories import review_case


def ws_of(user) -> Workspace:
    return user.memberships.get().workspace


def person(system, rid, first, last, email="") -> ContactRecord:
    return ContactRecord(
        system=system,
        id=rid,
        first_name=first,
        last_name=last,
        emails=(email,) if email else (),
    )


def review_rows(workspace, qbo_ids, lacrm_ids, reason="Shared email"):
    """Rows as ``write_plan`` writes them for one review item."""
    return review_case(workspace, qbo_ids, lacrm_ids, reason)


def planned_run(workspace, **fields) -> SyncRun:
    return SyncRun.objects.create(
        workspace=workspace,
        kind=SyncRun.Kind.CONTACTS,
        status=fields.pop("status", SyncRun.Status.STOPPED),
        planned=True,
        **fields,
    )


def write_plan(workspace, qbo: list[ContactRecord], lacrm: list[ContactRecord]) -> SyncRun:
    """Run the contact handler's planning step on records, as a sync would after its pull."""
    run = SyncRun.objects.create(
        workspace=workspace, kind=SyncRun.Kind.CONTACTS, status=SyncRun.Status.RUNNING
    )
    pulled = Pulled(qbo={r.id: r for r in qbo}, lacrm={r.id: r for r in lacrm})
    with transaction.atomic():
        ContactSyncHandler().write_plan(run, pulled)
        # Done planning; the creates (if any) are not the point of these tests.
        SyncRun.objects.filter(pk=run.pk).update(planned=True, status=SyncRun.Status.STOPPED)
    return run


# --- Review cases --------------------------------------------------------------------------------


def test_review_rows_group_into_cases_through_their_candidates(alice):
    ws = ws_of(alice)
    review_rows(ws, ["1"], ["a", "b"], reason="Two contacts share one email")
    review_rows(ws, ["2", "3"], ["c"], reason="Same name, different emails")
    cases = review.review_cases(ws)
    assert len(cases) == 2
    shapes = sorted(
        (sorted(r.id for r in c.qbo), sorted(r.id for r in c.lacrm), c.reason) for c in cases
    )
    assert shapes == [
        (["1"], ["a", "b"], "Two contacts share one email"),
        (["2", "3"], ["c"], "Same name, different emails"),
    ]
    first = next(c for c in cases if c.holds(QBO, "1"))
    assert first.pairs == {("1", "a"), ("1", "b")}


def test_case_for_any_row_finds_the_whole_case(alice):
    ws = ws_of(alice)
    rows = review_rows(ws, ["1", "2"], ["a"])
    review_rows(ws, ["9"], ["z"])
    lacrm_row = rows[-1]
    case = review.case_for(ws, lacrm_row)
    assert {r.pk for r in case.rows} == {r.pk for r in rows}


def test_review_search_matches_either_side(alice):
    ws = ws_of(alice)
    review_rows(ws, ["1"], ["a"])
    review_rows(ws, ["2"], ["b"])
    assert [c.lacrm[0].id for c in review.review_cases(ws, "lb@example")] == ["b"]
    assert [c.qbo[0].id for c in review.review_cases(ws, "Q 1")] == ["1"]


# --- Linking by hand -----------------------------------------------------------------------------


def test_link_candidate_links_the_pair_and_returns_the_rest_to_planning(alice):
    ws = ws_of(alice)
    review_rows(ws, ["1", "2"], ["a"])
    case = review.review_cases(ws)[0]
    link = ledger_actions.link_candidate(ws, case, "2", "a", user=alice)
    assert link.state == ContactLink.State.LINKED
    assert link.method == ContactLink.Method.MANUAL
    assert (link.qbo_name, link.lacrm_name) == ("Q 2", "L a")
    # One row for the pair; "1" is no longer held (the next sync plans it again).
    assert list(ContactLink.objects.filter(workspace=ws).values_list("qbo_id", "lacrm_id")) == [
        ("2", "a")
    ]
    entry = SyncLogEntry.objects.get(workspace=ws)
    assert entry.run is None and entry.outcome == "linked"
    assert (entry.record_id, entry.target_id) == ("2", "a")
    assert entry.reason == "Linked by hand by alice@example.com"


def test_link_candidate_rejects_a_pair_outside_the_case(alice):
    ws = ws_of(alice)
    review_rows(ws, ["1"], ["a"])
    review_rows(ws, ["2"], ["b"])
    case = next(c for c in review.review_cases(ws) if c.holds(QBO, "1"))
    with pytest.raises(LedgerError):
        ledger_actions.link_candidate(ws, case, "1", "b", user=alice)
    assert ContactLink.objects.filter(workspace=ws, state="linked").count() == 0


def test_link_records_refuses_a_record_that_is_already_linked(alice):
    ws = ws_of(alice)
    ContactLink.objects.create(workspace=ws, qbo_id="1", lacrm_id="a", state="linked")
    with pytest.raises(LedgerError, match="already linked"):
        ledger_actions.link_records(
            ws, RecordRef(QBO, "2", "Two"), RecordRef(LACRM, "a", "Ay"), user=alice
        )
    assert ContactLink.objects.filter(workspace=ws).count() == 1
    assert not SyncLogEntry.objects.filter(workspace=ws).exists()


def test_link_by_hand_withdraws_an_earlier_not_a_match(alice):
    ws = ws_of(alice)
    RejectedPair.objects.create(workspace=ws, qbo_id="1", lacrm_id="a")
    ledger_actions.link_records(ws, RecordRef(QBO, "1", "One"), RecordRef(LACRM, "a"), user=alice)
    assert not RejectedPair.objects.filter(workspace=ws).exists()


def test_hand_decisions_are_refused_while_a_sync_is_planning(alice):
    ws = ws_of(alice)
    SyncRun.objects.create(workspace=ws, kind=SyncRun.Kind.CONTACTS, status="running")
    with pytest.raises(LedgerError, match="running"):
        ledger_actions.link_records(ws, RecordRef(QBO, "1"), RecordRef(LACRM, "a"), user=alice)
    assert not ContactLink.objects.filter(workspace=ws).exists()


# --- Not a match, unlink, and what the next sync does ---------------------------------------------


def _proposed(plan) -> set[tuple[str, str]]:
    proposed = {(m.qbo_id, m.lacrm_id) for m in plan.links}
    for item in plan.reviews:
        proposed |= {(q, lid) for q in item.qbo_ids for lid in item.lacrm_ids}
    return proposed


def test_not_a_match_is_remembered_and_never_proposed_again(alice):
    ws = ws_of(alice)
    SyncSettings.objects.create(workspace=ws, no_email=SyncSettings.NoEmail.HOLD_FOR_REVIEW)
    # One name on both sides and no email to confirm it: held for review by the setting.
    qbo = [person(QBO, "1", "Ann", "Lee")]
    lacrm = [person(LACRM, "a", "Ann", "Lee", "ann@example.com")]
    write_plan(ws, qbo, lacrm)
    cases = review.review_cases(ws)
    assert len(cases) == 1, "the fixture must produce a review case"
    count = ledger_actions.reject_case(ws, cases[0], user=alice)

    assert count == 1
    rejected = set(RejectedPair.objects.filter(workspace=ws).values_list("qbo_id", "lacrm_id"))
    assert rejected == {("1", "a")}
    assert not ContactLink.objects.filter(workspace=ws).exists()
    skipped = SyncLogEntry.objects.filter(workspace=ws, run=None, outcome="skipped")
    assert skipped.count() == 2
    assert all('"not a match"' in e.reason for e in skipped)

    # The matcher, given the remembered pairs, proposes none of them ...
    plan = plan_matches(qbo, lacrm, rejected_pairs=rejected, no_email="hold_for_review")
    assert not _proposed(plan) & rejected
    # ... and the next sync holds nothing for review and links none of them.
    write_plan(ws, qbo, lacrm)
    assert not ContactLink.objects.filter(workspace=ws, state="needs_review").exists()
    assert not ContactLink.objects.filter(workspace=ws, state="linked").exists()


def test_not_a_match_on_a_shared_email_case_is_never_proposed_again(alice):
    ws = ws_of(alice)
    qbo = [person(QBO, "1", "Ann", "Lee", "family@example.com")]
    lacrm = [
        person(LACRM, "a", "Ann", "Lee-Park", "family@example.com"),
        person(LACRM, "b", "Bo", "Lee", "family@example.com"),
    ]
    write_plan(ws, qbo, lacrm)
    cases = review.review_cases(ws)
    assert len(cases) == 1
    pairs = cases[0].pairs
    assert ledger_actions.reject_case(ws, cases[0], user=alice) == 2
    assert not _proposed(plan_matches(qbo, lacrm, rejected_pairs=pairs)) & pairs


def test_unlink_removes_the_link_and_the_next_sync_does_not_relink(alice):
    ws = ws_of(alice)
    qbo = [person(QBO, "1", "Nick", "Brown", "nick@example.com")]
    lacrm = [person(LACRM, "a", "Nick", "Brown", "nick@example.com")]
    write_plan(ws, qbo, lacrm)
    link = ContactLink.objects.get(workspace=ws, state="linked")
    assert link.method == "email+name"

    ledger_actions.unlink(ws, link, user=alice)
    assert not ContactLink.objects.filter(workspace=ws).exists()
    assert RejectedPair.objects.filter(workspace=ws, qbo_id="1", lacrm_id="a").exists()
    entries = SyncLogEntry.objects.filter(workspace=ws, run=None, outcome="unlinked")
    assert sorted(entries.values_list("system", "record_id", "target_id")) == [
        (LACRM, "a", "1"),
        (QBO, "1", "a"),
    ]
    # Both are unmatched now, so either can be linked to another record by hand.
    assert [r.id for r in ledger.unmatched_records(ws, QBO)[1]] == ["1"]
    assert ledger.find_source(ws, LACRM, "a").note.startswith("Unlinked by hand by alice")

    write_plan(ws, qbo, lacrm)
    assert not ContactLink.objects.filter(workspace=ws, qbo_id="1", lacrm_id="a").exists()


def test_unlink_of_a_row_no_longer_linked_is_refused(alice):
    ws = ws_of(alice)
    row = review_rows(ws, ["1"], ["a"])[0]
    with pytest.raises(LedgerError):
        ledger_actions.unlink(ws, row, user=alice)
    assert ContactLink.objects.filter(pk=row.pk).exists()


def test_links_survive_renames_on_both_sides(alice):
    ws = ws_of(alice)
    write_plan(
        ws,
        [person(QBO, "1", "Nick", "Brown", "nick@example.com")],
        [person(LACRM, "a", "Nick", "Brown", "nick@example.com")],
    )
    link = ContactLink.objects.get(workspace=ws)
    # Both renamed, and the emails changed too: nothing left that matching could use.
    run = write_plan(
        ws,
        [person(QBO, "1", "Nicholas", "Browne", "nb@work.example")],
        [person(LACRM, "a", "Nico", "Brown-Smith", "nico@home.example")],
    )
    link.refresh_from_db()
    assert link.state == "linked" and (link.qbo_id, link.lacrm_id) == ("1", "a")
    assert (link.qbo_name, link.lacrm_name) == ("Nicholas Browne", "Nico Brown-Smith")
    assert link.flag == ""
    assert ContactLink.objects.filter(workspace=ws).count() == 1
    assert SyncLogEntry.objects.filter(run=run, outcome="already_matched").count() == 1
    assert not SyncWorkItem.objects.filter(run=run).exists()


def test_a_vanished_record_flags_its_link_instead_of_unlinking(alice):
    ws = ws_of(alice)
    write_plan(
        ws,
        [person(QBO, "1", "Nick", "Brown", "nick@example.com")],
        [person(LACRM, "a", "Nick", "Brown", "nick@example.com")],
    )
    write_plan(ws, [], [person(LACRM, "a", "Nick", "Brown", "nick@example.com")])
    link = ContactLink.objects.get(workspace=ws)
    assert link.state == "linked"
    assert "quickbooks customer" in link.flag.lower()
    assert [r.pk for r in ledger.ledger_rows(ws, "flagged")] == [link.pk]
    assert ledger.flagged_count(ws) == 1


# --- Unmatched records ---------------------------------------------------------------------------


def test_unmatched_records_come_from_the_latest_planned_contacts_run(alice, bob):
    ws = ws_of(alice)
    old = planned_run(ws)
    SyncLogEntry.objects.create(
        workspace=ws, run=old, outcome="skipped", system=QBO, record_id="old", record_name="Old"
    )
    run = planned_run(ws)
    SyncLogEntry.objects.create(
        workspace=ws,
        run=run,
        outcome="skipped",
        system=QBO,
        record_id="7",
        record_name="Inactive Ike",
        reason="Inactive in QuickBooks (workspace setting)",
    )
    SyncLogEntry.objects.create(
        workspace=ws,
        run=run,
        outcome="failed",
        system=LACRM,
        record_id="f",
        record_name="Fay Fail",
        reason="QuickBooks refused it",
    )
    # Skipped at claim time because it was linked meanwhile: it has a ledger row, so not listed.
    SyncLogEntry.objects.create(
        workspace=ws, run=run, outcome="skipped", system=QBO, record_id="8", record_name="Linked"
    )
    ContactLink.objects.create(workspace=ws, qbo_id="8", lacrm_id="h", state="linked")
    SyncWorkItem.objects.create(
        run=run,
        seq=0,
        action=SyncWorkItem.Action.CREATE_IN_LACRM,
        source_id="9",
        payload=record_to_dict(person(QBO, "9", "Pat", "Pending", "pat@example.com")),
    )
    SyncWorkItem.objects.create(
        run=run,
        seq=1,
        action=SyncWorkItem.Action.CREATE_IN_LACRM,
        source_id="10",
        payload=record_to_dict(person(QBO, "10", "Don", "Done")),
        state=SyncWorkItem.State.DONE,
    )
    # A newer run that never finished planning does not hide the planned one's results.
    SyncRun.objects.create(workspace=ws, kind=SyncRun.Kind.CONTACTS, status="failed")

    source, qbo = ledger.unmatched_records(ws, QBO)
    assert source == run
    assert [(r.id, r.name) for r in qbo] == [("7", "Inactive Ike"), ("9", "Pat Pending")]
    assert qbo[0].note.startswith("Skipped: Inactive")
    assert "stopped before reaching it" in qbo[1].note
    _, lacrm = ledger.unmatched_records(ws, LACRM)
    assert [(r.id, r.note) for r in lacrm] == [("f", "Failed: QuickBooks refused it")]
    _, found = ledger.unmatched_records(ws, QBO, "pat@")
    assert [r.id for r in found] == ["9"]
    # bob's workspace sees nothing of it.
    assert ledger.unmatched_records(ws_of(bob), QBO) == (None, [])


def test_find_source_accepts_unmatched_and_held_records_only(alice):
    ws = ws_of(alice)
    run = planned_run(ws)
    SyncLogEntry.objects.create(
        workspace=ws, run=run, outcome="skipped", system=LACRM, record_id="u", record_name="Una"
    )
    review_rows(ws, ["1"], ["a"])
    ContactLink.objects.create(workspace=ws, qbo_id="2", lacrm_id="b", state="linked")
    assert ledger.find_source(ws, LACRM, "u").name == "Una"
    assert ledger.find_source(ws, QBO, "1").note.startswith("Waiting for review")
    assert ledger.find_source(ws, QBO, "2") is None
    assert ledger.find_source(ws, QBO, "nope") is None
    assert ledger.find_source(ws, "other", "u") is None


def test_search_known_marks_linked_records_as_not_linkable(alice):
    ws = ws_of(alice)
    ContactLink.objects.create(
        workspace=ws,
        qbo_id="2",
        lacrm_id="b",
        state="linked",
        qbo_name="Bea",
        lacrm_name="Bea Linked",
    )
    review_rows(ws, ["1"], ["a"])
    refs = {r.id: r for r in ledger.search_known(ws, LACRM, "L a")}
    assert refs["a"].linkable
    refs = {r.id: r for r in ledger.search_known(ws, LACRM, "Bea")}
    assert not refs["b"].linkable and "Already linked to Bea" in refs["b"].note


# --- Creating by hand without a connection -------------------------------------------------------


def test_create_without_a_connection_says_so_and_changes_nothing(alice):
    ws = ws_of(alice)
    row = review_rows(ws, ["1"], ["a"])[0]
    with pytest.raises(LedgerError, match="not connected"):
        ledger_actions.create_counterpart(ws, ledger.side_of(row, QBO), user=alice)
    row.refresh_from_db()
    assert row.state == "needs_review" and row.candidates == ["a"]
    assert not ContactLink.objects.filter(workspace=ws, state="creating").exists()
