"""The pure contact planner: pulled records and ledger rows in, a plan out (no database, no API).

The same decisions are tested end to end through a real worker in ``test_contact_sync.py``;
these pin each of the planner's steps on its own.
"""

from __future__ import annotations

from datetime import UTC, datetime

from integrations.records import ContactRecord
from sync.contacts.plan import (
    CREATING,
    LINKED,
    NEEDS_REVIEW,
    QBO_TO_LACRM,
    LedgerRow,
    PlanSettings,
    Pulled,
    plan_contacts,
)


def qbo(rid, first="", last="", email="", company="", active=True, is_company=False):
    return ContactRecord(
        system="qbo",
        id=rid,
        first_name=first,
        last_name=last,
        company_name=company,
        is_company=is_company,
        emails=(email,) if email else (),
        active=active,
    )


def lacrm(rid, first="", last="", email="", company="", is_company=False):
    return ContactRecord(
        system="lacrm",
        id=rid,
        first_name=first,
        last_name=last,
        company_name=company,
        is_company=is_company,
        emails=(email,) if email else (),
    )


def pulled(qbos=(), lacrms=(), skipped=()):
    return Pulled(
        qbo={r.id: r for r in qbos}, lacrm={r.id: r for r in lacrms}, skipped=list(skipped)
    )


def outcomes(plan) -> list[tuple[str, str, str]]:
    return [(e["outcome"], e["system"], e["record_id"]) for e in plan.entries]


def test_email_match_links_and_the_rest_is_created_on_the_other_side():
    plan = plan_contacts(
        pulled(
            [qbo("1", "Ann", "Lee", "ann@x.example"), qbo("2", "Bo", "Ng", "bo@x.example")],
            [lacrm("a", "Ann", "Lee", "ann@x.example"), lacrm("b", "Cy", "Oh", "cy@x.example")],
        ),
        [],
        PlanSettings(),
    )
    assert [(link.qbo.id, link.lacrm.id, link.method) for link in plan.links] == [
        ("1", "a", "email+name")
    ]
    assert [(r.system, r.id) for r in plan.creates] == [("qbo", "2"), ("lacrm", "b")]
    assert outcomes(plan) == [("matched", "qbo", "1")]
    assert plan.counts == {"already_matched": 0, "needs_review": 0, "skipped": 0, "matched": 1}


def test_ledger_rows_are_replayed_and_their_snapshots_refreshed():
    since = datetime(2026, 11, 2, tzinfo=UTC)
    ledger = [
        LedgerRow("k1", LINKED, "1", "a", "Email", linked_at=since, qbo_name="Ann Old"),
        LedgerRow("k2", LINKED, "9", "z", "Name", linked_at=since),
        LedgerRow("k3", NEEDS_REVIEW, "2", None, reason="Two share one email"),
        LedgerRow("k4", CREATING, None, "c", target_system="qbo"),
    ]
    plan = plan_contacts(
        pulled(
            [qbo("1", "Ann", "Lee"), qbo("2", "Bo", "Ng")],
            [lacrm("a", "Ann", "Lee"), lacrm("c", "Cy", "Oh", "cy@x.example")],
        ),
        ledger,
        PlanSettings(),
    )
    assert outcomes(plan) == [("already_matched", "qbo", "1"), ("needs_review", "qbo", "2")]
    assert plan.entries[0]["reason"] == "Linked since 2026-11-02 (Email)"
    assert plan.entries[1]["reason"] == "Waiting for your review: Two share one email"
    # The unfinished create is finished first (same ledger row, same idempotency key); nothing
    # in the ledger is matched or created again.
    assert [(r.system, r.id) for r in plan.creates] == [("lacrm", "c")]
    assert plan.links == [] and plan.reviews == []
    assert plan.refreshed["k1"]["qbo_name"] == "Ann Lee"
    # Both records of k2 are gone from their systems: flagged, never unlinked.
    assert plan.refreshed["k2"]["flag"].startswith("The QuickBooks customer is inactive")


def test_what_an_unfinished_create_may_have_made_is_left_to_it():
    # Cy's create in QuickBooks was interrupted (its row is still "creating"); the customer it
    # made (same email) and Di's (no email, same name) are theirs to adopt, not new customers to
    # create back in LACRM. A customer with Cy's email that is linked already is not.
    ledger = [
        LedgerRow("k1", CREATING, None, "c", target_system="qbo"),
        LedgerRow("k2", CREATING, None, "d", target_system="qbo"),
        LedgerRow("k3", LINKED, "7", "z"),
    ]
    plan = plan_contacts(
        pulled(
            [
                qbo("7", "Cy", "Oh", "cy@x.example"),
                qbo("8", "Cy", "Oh", "CY@x.example"),
                qbo("9", "Di", "Ma"),
                qbo("10", "Ed", "Po", "ed@x.example"),
            ],
            [lacrm("c", "Cy", "Oh", "cy@x.example"), lacrm("d", "Di", "Ma"), lacrm("z", "Zed")],
        ),
        ledger,
        PlanSettings(),
    )
    assert [(r.system, r.id) for r in plan.creates] == [
        ("lacrm", "c"),
        ("lacrm", "d"),
        ("qbo", "10"),
    ]
    assert plan.links == [] and plan.reviews == []


def test_one_way_direction_skips_the_other_side_and_says_why():
    plan = plan_contacts(
        pulled([qbo("1", "Ann", "Lee", "ann@x.example")], [lacrm("a", "Cy", "Oh", "cy@x.ex")]),
        [],
        PlanSettings(direction=QBO_TO_LACRM, direction_label="QuickBooks → LACRM only"),
    )
    assert [(r.system, r.id) for r in plan.creates] == [("qbo", "1")]
    assert outcomes(plan) == [("skipped", "lacrm", "a")]
    assert "the sync direction is QuickBooks → LACRM only" in plan.entries[0]["reason"]


def test_contact_of_an_inactive_customer_is_linked_and_flagged_not_created():
    """Issue 12.7: the link is kept knowledge (summaries, a reactivation), nothing is written."""
    inactive = qbo("7", "Dee", "Fox", "dee@x.example", active=False)
    plan = plan_contacts(
        pulled([], [lacrm("d", "Dee", "Fox", "dee@x.example")], skipped=[(inactive, "Inactive")]),
        [],
        PlanSettings(),
    )
    assert plan.creates == []
    assert [(link.qbo.id, link.lacrm.id) for link in plan.links] == [("7", "d")]
    assert plan.links[0].flag.startswith("The QuickBooks customer is inactive")
    assert outcomes(plan) == [("skipped", "qbo", "7"), ("matched", "lacrm", "d")]
    assert "Linked to an inactive QuickBooks customer" in plan.entries[1]["reason"]


def test_contact_of_a_skipped_sub_customer_is_not_created_as_a_duplicate():
    job = ContactRecord(
        system="qbo",
        id="8",
        first_name="Dee",
        last_name="Fox",
        emails=("dee@x.example",),
        parent_id="1",
    )
    plan = plan_contacts(
        pulled([], [lacrm("d", "Dee", "Fox", "dee@x.example")], skipped=[(job, "Sub-customer")]),
        [],
        PlanSettings(),
    )
    assert plan.creates == [] and plan.links == []
    assert outcomes(plan) == [("skipped", "qbo", "8"), ("skipped", "lacrm", "d")]
    assert plan.entries[1]["target_id"] == "8"


def test_a_rejected_pair_with_an_inactive_customer_is_not_linked():
    inactive = qbo("7", "Dee", "Fox", "dee@x.example", active=False)
    plan = plan_contacts(
        pulled([], [lacrm("d", "Dee", "Fox", "dee@x.example")], skipped=[(inactive, "Inactive")]),
        [],
        PlanSettings(),
        rejected_pairs={("7", "d")},
    )
    assert plan.links == []


def test_company_record_of_a_persons_company_is_not_a_customer_to_create():
    plan = plan_contacts(
        pulled(
            [qbo("1", "Ann", "Lee", "ann@x.example", company="Acme Inc")],
            [
                lacrm("a", "Ann", "Lee", "ann@x.example"),
                lacrm("co", company="ACME", is_company=True),
            ],
        ),
        [],
        PlanSettings(),
    )
    assert plan.creates == []
    assert ("skipped", "lacrm", "co") in outcomes(plan)


def test_rejected_pair_is_not_linked_and_each_side_is_created():
    plan = plan_contacts(
        pulled([qbo("1", "Ann", "Lee")], [lacrm("a", "Ann", "Lee")]),
        [],
        PlanSettings(),
        rejected_pairs={("1", "a")},
    )
    assert plan.links == []
    assert sorted((r.system, r.id) for r in plan.creates) == [("lacrm", "a"), ("qbo", "1")]
