"""The contact matcher's reviews (rule 4) and "not a match" decisions."""

from __future__ import annotations

import pytest

from sync.matching import plan_matches
from sync.matching.review import MAX_SUB_BLOCK_PAIRS, SMALL_BLOCK_PAIRS
from tests.sync.test_matching import lacrm, pairs, qbo, reviewed

REJECTED = 'Marked "not a match" by a user'


# -- rule 4: plausible but uncertain ---------------------------------------------------------


def test_same_phone_and_close_name_goes_to_review():
    plan = plan_matches(
        [qbo("q1", "John", "Smith", "john@one.example", phone="+1 (555) 123-4567")],
        [lacrm("l1", "Jon", "Smith", "jon@two.example", phone="555.123.4567")],
    )
    assert plan.links == []
    assert reviewed(plan) == {(("q1",), ("l1",))}
    assert plan.reviews[0].reason == (
        'Same phone "5551234567" and a close name ("John Smith" / "Jon Smith")'
    )


def test_same_phone_and_a_small_spelling_difference_goes_to_review():
    plan = plan_matches(
        [qbo("q1", "Katherine", "Smyth", phone="5551234567")],
        [lacrm("l1", "Catherine", "Smyth", phone="5551234567")],
    )
    assert reviewed(plan) == {(("q1",), ("l1",))}


def test_same_company_and_close_name_goes_to_review():
    plan = plan_matches(
        [qbo("q1", "Nick", "Brown", company="Acme Inc")],
        [lacrm("l1", "Nicholas", "Brown", company="ACME LLC")],
    )
    assert reviewed(plan) == {(("q1",), ("l1",))}
    assert plan.reviews[0].reason.startswith('Same company "acme" and a close name')


def test_same_phone_with_an_unrelated_name_is_created_not_reviewed():
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee", phone="5551234567")],
        [lacrm("l1", "Bob", "Stone", phone="5551234567")],
    )
    assert plan.reviews == [] and plan.links == []
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1"]


def test_close_name_without_a_shared_phone_or_company_is_created():
    plan = plan_matches([qbo("q1", "John", "Smith")], [lacrm("l1", "Jon", "Smith")])
    assert plan.reviews == [] and plan.links == []
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1"]


def test_company_records_with_same_phone_and_close_names_go_to_review():
    plan = plan_matches(
        [qbo("q1", company="Acme Widgets", is_company=True, phone="5551234567")],
        [lacrm("l1", company="Acme Widget", is_company=True, phone="555-123-4567")],
    )
    assert reviewed(plan) == {(("q1",), ("l1",))}


def test_a_switchboard_number_only_joins_close_names():
    # Far more pairs than SMALL_BLOCK_PAIRS share the number: only close names are candidates.
    q = [qbo(f"q{k}", f"First{k}", f"Last{k}", phone="5550000000") for k in range(20)]
    contacts = [lacrm(f"l{k}", f"Other{k}", f"Person{k}", phone="5550000000") for k in range(20)]
    q.append(qbo("q-john", "John", "Smith", phone="5550000000"))
    contacts.append(lacrm("l-jon", "Jon", "Smith", phone="5550000000"))
    assert len(q) * len(contacts) > SMALL_BLOCK_PAIRS
    plan = plan_matches(q, contacts)
    assert reviewed(plan) == {(("q-john",), ("l-jon",))}
    assert len(plan.qbo_only) == len(plan.lacrm_only) == 20


def test_a_huge_block_of_close_names_is_reviewed_as_one_item():
    size = int(MAX_SUB_BLOCK_PAIRS**0.5) + 1
    q = [qbo(f"q{k}", "J", "Smith", f"q{k}@x.example", phone="5550000000") for k in range(size)]
    contacts = [
        lacrm(f"l{k}", "Jo", "Smith", f"l{k}@x.example", phone="5550000000") for k in range(size)
    ]
    plan = plan_matches(q, contacts)
    assert len(plan.reviews) == 1
    assert len(plan.reviews[0].qbo_ids) == len(plan.reviews[0].lacrm_ids) == size


def test_close_names_chained_through_shared_phones_form_one_review():
    plan = plan_matches(
        [qbo("q1", "John", "Smith", phone="5551111111", email="a@x.example")],
        [
            lacrm("l1", "Jon", "Smith", phone="5551111111"),
            lacrm("l2", "Johnny", "Smith", phone="5551111111"),
        ],
    )
    assert reviewed(plan) == {(("q1",), ("l1", "l2"))}


# -- rejected pairs and the ledger ------------------------------------------------------------


def test_rejected_pair_is_never_linked_by_email():
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee", "ann@x.example")],
        [lacrm("l1", "Ann", "Lee", "ann@x.example")],
        rejected_pairs={("q1", "l1")},
    )
    assert plan.links == [] and plan.reviews == []
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1"]
    assert plan.not_matches == [("q1", "l1", 'Marked "not a match" by a user')]


def test_rejected_pair_is_never_linked_by_name():
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee")], [lacrm("l1", "Ann", "Lee")], rejected_pairs={("q1", "l1")}
    )
    assert plan.links == [] and plan.reviews == []
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1"]


def test_rejected_pair_is_never_proposed_for_review_again():
    plan = plan_matches(
        [qbo("q1", "John", "Smith", phone="5551234567")],
        [lacrm("l1", "Jon", "Smith", phone="5551234567")],
        rejected_pairs={("q1", "l1")},
    )
    assert plan.reviews == []
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1"]


def test_rejected_pair_leaves_the_other_candidates_to_their_own_fate():
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee"), qbo("q2", "Ann", "Lee")],
        [lacrm("l1", "Ann", "Lee")],
        rejected_pairs={("q1", "l1")},
    )
    # q1 can no longer be l1; q2 still can, and the name is still duplicated: review q2 and l1.
    assert reviewed(plan) == {(("q2",), ("l1",))}
    assert plan.qbo_only == ["q1"]


def test_rejected_pair_may_still_appear_inside_a_larger_review():
    plan = plan_matches(
        [qbo("q1", "Jane", "Doe", "a@acme.com"), qbo("q2", "Bob", "Doe", "a@acme.com")],
        [lacrm("l1", "Robert", "Doe", "a@acme.com"), lacrm("l2", "Janet", "Doe", "a@acme.com")],
        rejected_pairs={("q2", "l1")},
    )
    # q2 may still be l2, and l1 still q1: only q2 + l1 is ruled out, so all four are held.
    assert reviewed(plan) == {(("q1", "q2"), ("l1", "l2"))}
    assert plan.not_matches == []


# -- "not a match" on a whole review case ----------------------------------------------------


def _family(*extra_lacrm):
    """QBO 1 and LACRM a and b share one address, and no name picks a pair: one review."""
    qbo_side = [qbo("1", "Ann", "Lee", "family@example.com")]
    lacrm_side = [
        lacrm("a", "Ann", "Lee-Park", "family@example.com"),
        lacrm("b", "Bo", "Lee", "family@example.com"),
        *extra_lacrm,
    ]
    return qbo_side, lacrm_side


def test_a_shared_email_case_is_reviewed_until_it_is_rejected():
    plan = plan_matches(*_family())
    assert reviewed(plan) == {(("1",), ("a", "b"))}


def test_a_shared_email_case_rejected_pair_by_pair_is_never_proposed_again():
    plan = plan_matches(*_family(), rejected_pairs={("1", "a"), ("1", "b")})
    assert plan.reviews == [] and plan.links == []
    assert plan.qbo_only == ["1"] and plan.lacrm_only == ["a", "b"]
    assert sorted(plan.not_matches) == [("1", "a", REJECTED), ("1", "b", REJECTED)]


def test_records_of_a_rejected_shared_email_case_carry_on_to_the_name_rule():
    plan = plan_matches(*_family(lacrm("c", "Ann", "Lee")), rejected_pairs={("1", "a"), ("1", "b")})
    # Customer 1 is neither a nor b; its name still finds contact c, which has no email.
    assert pairs(plan) == {("1", "c", "name")}
    assert plan.reviews == [] and plan.lacrm_only == ["a", "b"]


def test_a_record_rejected_with_every_candidate_leaves_the_shared_email_review():
    plan = plan_matches(
        [qbo("q1", "Jane", "Doe", "a@acme.com"), qbo("q2", "Bob", "Doe", "a@acme.com")],
        [lacrm("l1", "Robert", "Doe", "a@acme.com")],
        rejected_pairs={("q2", "l1")},
    )
    # q2 can only have been l1, and is not: the review is q1 + l1, and q2 is created in LACRM.
    assert reviewed(plan) == {(("q1",), ("l1",))}
    assert plan.qbo_only == ["q2"]
    assert plan.not_matches == [("q2", "l1", REJECTED)]


def test_leaving_out_one_rejected_record_can_leave_out_another():
    plan = plan_matches(
        [qbo(f"q{k}", f"Q{k}", "Doe", "a@acme.com") for k in (1, 2)],
        [lacrm(f"l{k}", f"L{k}", "Doe", "a@acme.com") for k in (1, 2)],
        rejected_pairs={("q1", "l1"), ("q1", "l2"), ("q2", "l1")},
    )
    # Without q1, l1's only candidate is q2, which it was rejected with too.
    assert reviewed(plan) == {(("q2",), ("l2",))}
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1"]


def test_a_duplicate_name_case_rejected_pair_by_pair_is_never_proposed_again():
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee"), qbo("q2", "Ann", "Lee")],
        [lacrm("l1", "Ann", "Lee")],
        rejected_pairs={("q1", "l1"), ("q2", "l1")},
    )
    assert plan.reviews == [] and plan.links == []
    assert plan.qbo_only == ["q1", "q2"] and plan.lacrm_only == ["l1"]


def test_a_close_name_case_rejected_pair_by_pair_is_never_proposed_again():
    plan = plan_matches(
        [qbo("q1", "John", "Smith", phone="5551111111")],
        [
            lacrm("l1", "Jon", "Smith", phone="5551111111"),
            lacrm("l2", "Johnny", "Smith", phone="5551111111"),
        ],
        rejected_pairs={("q1", "l1"), ("q1", "l2")},
    )
    assert plan.reviews == []
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1", "l2"]


def test_a_company_case_rejected_is_never_proposed_again():
    plan = plan_matches(
        [qbo("q1", company="Acme Inc", is_company=True, email="billing@acme.example")],
        [lacrm("l1", company="Acme", is_company=True, emails="info@acme.example")],
        rejected_pairs={("q1", "l1")},
    )
    assert plan.reviews == []
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1"]


def test_a_huge_block_keeps_a_record_rejected_only_with_the_first_candidate():
    size = int(MAX_SUB_BLOCK_PAIRS**0.5) + 1
    q = [qbo(f"q{k}", "J", "Smith", phone="5550000000") for k in range(size)]
    contacts = [lacrm(f"l{k}", "Jo", "Smith", phone="5550000000") for k in range(size)]
    plan = plan_matches(q, contacts, rejected_pairs={("q5", "l0"), ("q0", "l5")})
    # Still one review of everybody: q5 and l5 are joined through other candidates.
    assert len(plan.reviews) == 1
    assert len(plan.reviews[0].qbo_ids) == len(plan.reviews[0].lacrm_ids) == size


def test_a_huge_block_leaves_out_a_record_rejected_with_all_candidates_tried():
    size = int(MAX_SUB_BLOCK_PAIRS**0.5) + 1
    q = [qbo(f"q{k}", "J", "Smith", phone="5550000000") for k in range(size)]
    contacts = [lacrm(f"l{k}", "Jo", "Smith", phone="5550000000") for k in range(size)]
    rejected = {("q5", f"l{k}") for k in range(size)}
    plan = plan_matches(q, contacts, rejected_pairs=rejected)
    assert [r.qbo_ids for r in plan.reviews] == [tuple(f"q{k}" for k in range(size) if k != 5)]
    assert plan.qbo_only == ["q5"]


# --- Households and office lines (issue 12.3) ----------------------------------------------------


def test_household_sharing_a_phone_with_different_first_names_and_emails_is_two_people():
    plan = plan_matches(
        [qbo("1", "John", "Smith", email="john@smith.example", phone="555-010-0100")],
        [lacrm("a", "Jane", "Smith", emails="jane@smith.example", phone="(555) 010-0100")],
    )
    assert plan.reviews == []
    assert (plan.qbo_only, plan.lacrm_only) == (["1"], ["a"])


@pytest.mark.parametrize(
    ("q_first", "l_first", "l_email"),
    [
        ("Robert", "Bob", "bob@smith.example"),  # a nickname: maybe one person, two emails
        ("Nicholas", "Nick", "nick@smith.example"),  # a shortening
        ("Anne", "Ann", "ann@smith.example"),  # one letter apart
        ("John", "Jane", ""),  # no email to tell them apart
    ],
)
def test_what_is_genuinely_uncertain_on_a_shared_phone_is_still_reviewed(q_first, l_first, l_email):
    plan = plan_matches(
        [qbo("1", q_first, "Smith", email="robert@smith.example", phone="555-010-0100")],
        [lacrm("a", l_first, "Smith", emails=l_email, phone="555-010-0100")],
    )
    assert [(r.qbo_ids, r.lacrm_ids) for r in plan.reviews] == [(("1",), ("a",))]
    assert "Same phone" in plan.reviews[0].reason
