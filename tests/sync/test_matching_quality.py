"""The matcher on the bench's labelled hard cases (issue 12), 2,000 records per side, no database.

These are correctness properties, not speed: no link may join two different entities
(precision 1), and the variants the issue names must be linked or reviewed, never created on
both sides. ``python -m tests.bench.matching_quality`` prints the full picture.
"""

from __future__ import annotations

import pytest

from integrations.records import ContactRecord
from sync.matching import Match, MatchPlan, Review, plan_matches
from tests.bench.labelled import MUST_LINK_OR_REVIEW, VARIANTS, LabelledSet, build_labelled
from tests.bench.matching_quality import evaluate

SIZE = 2000


@pytest.fixture(scope="module")
def labelled():
    data = build_labelled(SIZE, SIZE)
    return data, plan_matches(data.qbo, data.lacrm)


def test_the_labelled_set_holds_every_hard_variant():
    data = build_labelled(SIZE, SIZE)
    assert len(data.qbo) == len(data.lacrm) == SIZE
    on_both = {data.variant[q] for q, _ in data.truth}
    with_pairs = {v for v, expect in VARIANTS.items() if expect != "none"}
    assert on_both == with_pairs
    present = set(data.variant.values())
    assert present == set(VARIANTS)


def test_displayname_only_customers_are_read_as_people():
    data = build_labelled(SIZE, SIZE)
    only = [r for r in data.qbo if data.variant[r.id] == "DisplayName only"]
    assert only
    assert all(not r.is_company and r.first_name and r.last_name for r in only)
    assert any("," in r.display_name for r in only)


def test_no_link_joins_two_different_entities(labelled):
    data, plan = labelled
    wrong = [m for m in plan.links if (m.qbo_id, m.lacrm_id) not in data.truth]
    examples = [
        (data.variant[m.qbo_id], data.variant[m.lacrm_id], m.method, m.reason) for m in wrong[:5]
    ]
    assert wrong == [], f"{len(wrong)} of {len(plan.links)} links are wrong, e.g. {examples}"


@pytest.mark.parametrize("variant", MUST_LINK_OR_REVIEW)
def test_variant_is_never_created_on_both_sides(labelled, variant):
    data, plan = labelled
    outcomes = evaluate(data, plan).outcomes[variant]
    assert sum(outcomes.values()) >= 10  # Enough cases for the property to mean something.
    assert outcomes["silent miss"] == 0, dict(outcomes)
    assert outcomes["linked"] + outcomes["review"] == sum(outcomes.values()), dict(outcomes)


def test_evaluate_sorts_every_true_pair_into_its_outcome():
    """The scoring itself: each outcome, and a wrong link counted against both variants."""
    truth = {("q1", "l1"), ("q2", "l2"), ("q3", "l3"), ("q4", "l4"), ("q5", "l5"), ("q6", "l6")}
    ids = [i for pair in truth for i in pair] + ["q7", "l7"]
    data = LabelledSet(
        qbo=[ContactRecord("qbo", i) for i in ids if i[0] == "q"],
        lacrm=[ContactRecord("lacrm", i) for i in ids if i[0] == "l"],
        truth=truth,
        variant={i: ("x" if i[1] in "123456" else "y") for i in ids},
    )
    plan = MatchPlan(
        links=[Match("q1", "l1", "email", ""), Match("q6", "l7", "email", "")],
        reviews=[
            Review(("q2",), ("l2",), 'Same phone "1" and a close name'),
            Review(("q3",), ("l4",), ""),
        ],
        qbo_only=["q4", "q5", "q7"],
        lacrm_only=["l3", "l5", "l6"],
        not_matches=[("q5", "l5", "Same name")],
    )
    quality = evaluate(data, plan)
    assert dict(quality.outcomes["x"]) == {
        "linked": 1,
        "review": 1,
        "half created": 2,  # q3 held while l3 is created, and l4 held while q4 is.
        "silent miss": 1,
        "linked wrongly": 1,
    }
    assert (quality.links, quality.true_links) == (2, 1)
    assert dict(quality.wrong_links) == {"x": 1, "y": 1}
    assert dict(quality.said_not_a_match) == {"x": 1}
    assert dict(quality.review_reasons) == {"Same phone … and a close name": 1}
