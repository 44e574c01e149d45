"""The pure side of the preview: a plan as decisions with fingerprints, and holding a fresh plan
to a stored one (no database, no API)."""

from __future__ import annotations

from dataclasses import replace

from integrations.records import ContactRecord, CreatePreview
from sync.contacts.plan import PlanSettings, Pulled, plan_contacts
from sync.preview import decide


def person(system, rid, first, last, email=""):
    return ContactRecord(
        system=system, id=rid, first_name=first, last_name=last, emails=(email,) if email else ()
    )


ANN_Q = person("qbo", "1", "Ann", "Lee", "ann@x.test")
ANN_L = person("lacrm", "a", "Ann", "Lee", "ann@x.test")
BOB_Q = person("qbo", "2", "Bob", "Stone", "bob@x.test")
CAT_L = person("lacrm", "c", "Cat", "Moss", "cat@x.test")
DAN_L = person("lacrm", "d", "Dan", "Hill", "dan@x.test")


def plan_of(qbo, lacrm):
    pulled = Pulled(qbo={r.id: r for r in qbo}, lacrm={r.id: r for r in lacrm})
    return plan_contacts(pulled, [], PlanSettings()), pulled


def decided(qbo, lacrm, previews=None):
    plan, pulled = plan_of(qbo, lacrm)
    return plan, decide.decisions(plan, pulled, previews or {})


def stored(found, excluded=()):
    return {
        key: decide.StoredDecision(
            d.category, d.fingerprint, key in excluded, d.record.system, d.record.id, d.record.name
        )
        for key, d in found.items()
    }


def test_every_record_gets_one_decision_creates_first():
    _, found = decided([ANN_Q, BOB_Q], [ANN_L, CAT_L])
    assert {k: d.category for k, d in found.items()} == {
        "qbo:2": decide.CREATE_IN_LACRM,
        "lacrm:c": decide.CREATE_IN_QBO,
        "qbo:1": decide.LINK,
    }
    assert list(found)[-1] == "qbo:1"
    assert found["qbo:1"].target_id == "a" and found["qbo:1"].target_name == "Ann Lee"


def test_fingerprint_follows_edits_and_new_record_fields_not_version_tokens():
    previews = {"lacrm:c": CreatePreview(fields={"DisplayName": "Cat Moss"})}
    _, before = decided([ANN_Q], [ANN_L, CAT_L], previews)
    _, touched = decided([replace(ANN_Q, sync_token="9")], [ANN_L, CAT_L], previews)
    assert touched["qbo:1"].fingerprint == before["qbo:1"].fingerprint
    _, renamed = decided([ANN_Q], [ANN_L, replace(CAT_L, last_name="Moss-Li")], previews)
    assert renamed["lacrm:c"].fingerprint != before["lacrm:c"].fingerprint
    other = {"lacrm:c": CreatePreview(fields={"DisplayName": "Cat Moss (cat@x.test)"})}
    _, renamed_in_qbo = decided([ANN_Q], [ANN_L, CAT_L], other)
    assert renamed_in_qbo["lacrm:c"].fingerprint != before["lacrm:c"].fingerprint


def test_unchanged_plan_is_kept_whole():
    plan, found = decided([ANN_Q, BOB_Q], [ANN_L, CAT_L])
    left = decide.hold_plan_to(plan, found, stored(found))
    assert left == {decide.CHANGED: 0, decide.EXCLUDED: 0}
    assert [r.id for r in plan.creates] == ["2", "c"] and len(plan.links) == 1


def test_excluded_changed_new_and_gone_records_are_left_out_and_logged():
    _, at_preview = decided([ANN_Q, BOB_Q], [ANN_L, CAT_L, DAN_L])
    saved = stored(at_preview, excluded={"qbo:1"})
    # Since: Bob renamed in QuickBooks, Dan deleted in LACRM, Eve added.
    eve = person("lacrm", "e", "Eve", "Park", "eve@x.test")
    plan, now = decided([ANN_Q, replace(BOB_Q, first_name="Robert")], [ANN_L, CAT_L, eve])
    left = decide.hold_plan_to(plan, now, saved)
    assert left == {decide.CHANGED: 3, decide.EXCLUDED: 1}
    assert [r.id for r in plan.creates] == ["c"] and plan.links == []
    outcomes = {(e["outcome"], e["record_id"]) for e in plan.entries}
    assert outcomes == {
        (decide.EXCLUDED, "1"),
        (decide.CHANGED, "2"),
        (decide.CHANGED, "d"),
        (decide.CHANGED, "e"),
    }
    # The link's "matched" entry went with it; counters follow the entries.
    assert plan.counts["matched"] == 0 and plan.counts["skipped"] == 4


def test_a_decision_that_differs_now_is_not_acted_on():
    _, at_preview = decided([BOB_Q], [CAT_L])
    # Cat now matches a QuickBooks customer by email: she would be linked, not created.
    cat_q = person("qbo", "3", "Cat", "Moss", "cat@x.test")
    plan, now = decided([BOB_Q, cat_q], [CAT_L])
    decide.hold_plan_to(plan, now, stored(at_preview))
    assert [r.id for r in plan.creates] == ["2"] and plan.links == []
    reasons = {e["record_id"]: e["reason"] for e in plan.entries if e["outcome"] == decide.CHANGED}
    assert "previewed as create in QuickBooks, now it would link" in reasons["c"]
    assert "New since the preview" in reasons["3"]


def test_unfinished_creates_and_records_already_in_the_ledger_are_not_changed():
    plan, at_preview = decided([BOB_Q], [CAT_L])
    saved = stored(at_preview)
    edited = replace(CAT_L, last_name="Moss-Li")
    plan, now = decided([BOB_Q], [edited])
    # Cat's create was interrupted (in the outbox): it is finished whatever changed.
    decide.hold_plan_to(plan, now, saved, unfinished={"lacrm:c"})
    assert [r.id for r in plan.creates] == ["2", "c"]
    # Bob was created by an earlier apply of the same plan: not in this plan, not "gone".
    plan, now = decided([], [CAT_L])
    left = decide.hold_plan_to(plan, now, saved, in_ledger={"qbo:2"})
    assert left[decide.CHANGED] == 0
