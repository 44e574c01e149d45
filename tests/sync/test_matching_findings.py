"""Cases the labelled bench (``tests.bench.matching_quality``) found the matcher getting wrong.

Each test is the smallest plan that shows one finding, with what issue 12 asks for: precision
1 (no link joins two different people) and, for a true pair that is not linked, a review with a
reason, never a create on both sides. They fail until the matcher is changed: the matcher's
rules are the coordinator's to decide, these tests only pin the cases down.
"""

from __future__ import annotations

import pytest

from sync.matching import plan_matches
from tests.sync.test_matching import lacrm, pairs, qbo, reviewed

# -- Rule 1 links two different people who share one address ------------------------------------


@pytest.mark.parametrize(
    ("q_name", "l_name", "email"),
    [
        (("Ann", "Lee"), ("Bob", "Kim"), "office@acme.example"),  # colleagues, one office inbox
        (("John", "Ashford"), ("Mary", "Ashford"), "ashfords@family.example"),  # a couple
    ],
)
def test_one_email_of_two_plainly_different_people_is_no_link(q_name, l_name, email):
    """One record per side holds the address, but the names are of two people (different
    first names, nothing alike): rule 1 links them on the email alone today."""
    plan = plan_matches(
        [qbo("q1", *q_name, email, phone="555-010-0100")],
        [lacrm("l1", *l_name, email, phone="555-010-0100")],
    )
    assert plan.links == []


def test_one_email_with_a_changed_surname_is_still_linked_or_reviewed():
    """The guard for a fix of the above: a married name keeps the person (and the link)."""
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee", "ann@x.example")], [lacrm("l1", "Ann", "Park", "ann@x.example")]
    )
    assert pairs(plan) == {("q1", "l1", "email")} or reviewed(plan) == {(("q1",), ("l1",))}


# -- Rule 4 misses common nicknames that are not in the table -----------------------------------


@pytest.mark.parametrize(
    ("formal", "nickname", "nickname_email"),
    [
        ("Gerald", "Jerry", ""),  # different initials: not a close name at all
        ("Ann", "Nancy", ""),
        ("Gerald", "Jerry", "jerry@home.example"),
        ("Lawrence", "Larry", "larry@home.example"),  # same initial, but read as a household
        ("Sarah", "Sally", "sally@home.example"),
        ("Henry", "Hank", "hank@home.example"),
    ],
)
def test_a_common_nickname_on_the_same_phone_is_reviewed(formal, nickname, nickname_email):
    plan = plan_matches(
        [qbo("q1", formal, "Brookport", f"{formal.lower()}@work.example", phone="555-010-0100")],
        [lacrm("l1", nickname, "Brookport", emails=nickname_email, phone="(555) 010-0100")],
    )
    assert plan.links == []
    assert reviewed(plan) == {(("q1",), ("l1",))}


# -- Rule 4 reads a transposed first name as another person --------------------------------------


@pytest.mark.parametrize(("right", "slip"), [("Sophie", "Spohie"), ("Austin", "Ausitn")])
def test_two_swapped_letters_on_the_same_phone_are_reviewed(right, slip):
    """The commonest typing slip is a Levenshtein distance of two, so with two emails the
    household rule (12.3) takes "Sophie" and "Spohie" for two people and creates both."""
    plan = plan_matches(
        [qbo("q1", right, "Glenworth", "sophie@work.example", phone="555-010-0100")],
        [lacrm("l1", slip, "Glenworth", "sophie@home.example", phone="555-010-0100")],
    )
    assert reviewed(plan) == {(("q1",), ("l1",))}


# -- Rule 3's "two people of one name" overrides a shared phone ----------------------------------


def test_same_name_and_same_phone_with_two_emails_is_reviewed():
    """Rule 4 reviews a *close* name on one phone; the identical name on one phone with a work
    and a home email is ruled out by rule 3 instead ("not a match") and created on both sides."""
    plan = plan_matches(
        [qbo("q1", "Grace", "Lindholm", "grace@work.example", phone="555-010-0100")],
        [lacrm("l1", "Grace", "Lindholm", "grace@home.example", phone="555-010-0100")],
    )
    assert reviewed(plan) == {(("q1",), ("l1",))}
