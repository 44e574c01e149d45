"""Property tests (hypothesis) for normalisation and the match plan."""

from __future__ import annotations

import random
import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from integrations.records import ContactRecord, Phone
from sync.matching import MatchPlan, plan_matches
from sync.matching.normalize import (
    normalize_company,
    normalize_email,
    normalize_name,
    normalize_person_name,
    normalize_phone,
    record_keys,
)

# -- normalisation --------------------------------------------------------------------------


@given(st.text())
def test_normalisation_never_crashes_on_arbitrary_text(text):
    for result in (
        normalize_name(text),
        normalize_company(text),
        normalize_email(text),
        normalize_phone(text),
        normalize_person_name(text, text, text),
        normalize_person_name(text),
    ):
        assert isinstance(result, str)


@given(st.text())
def test_name_normalisation_is_idempotent(text):
    once = normalize_name(text)
    assert normalize_name(once) == once
    key = normalize_person_name(text)
    assert normalize_person_name(key) == key


@given(st.text())
def test_company_normalisation_is_idempotent(text):
    once = normalize_company(text)
    assert normalize_company(once) == once


@given(st.text() | st.emails())
def test_email_normalisation_is_idempotent(text):
    once = normalize_email(text)
    assert normalize_email(once) == once


@given(st.emails())
def test_valid_emails_survive_case_and_spaces(email):
    assert normalize_email(f"  {email.upper()} ") == normalize_email(email) != ""


@given(st.text())
def test_normalised_names_are_single_spaced_lowercase_words(text):
    for result in (normalize_name(text), normalize_company(text)):
        assert result == result.strip()
        assert "  " not in result
        assert all(c.isalnum() or c == " " for c in result)
        assert result == result.lower()


_WORD = st.text(string.ascii_letters, min_size=2, max_size=10).filter(
    lambda w: w.lower() not in {"jr", "sr", "ii", "iii", "iv", "md", "phd", "esq", "cpa", "dds"}
    and w.lower() not in {"dmd", "cfa", "jd", "mba", "rn", "ret"}
)


@given(_WORD, _WORD)
def test_last_comma_first_equals_first_last(first, last):
    assert normalize_name(f"{last}, {first}") == normalize_name(f"{first} {last}")
    assert normalize_person_name("", "", f"{last}, {first}") == normalize_person_name(
        first, "", last
    )


@given(_WORD, _WORD)
def test_person_names_ignore_case_and_spacing(first, last):
    assert normalize_person_name(first, "", last) == normalize_person_name(
        f"  {first.upper()} ", "", f"{last.lower()}  "
    )


# -- the match plan -------------------------------------------------------------------------

# Few enough values that records collide on every key, enough emails that some differ.
_FIRST = ["John", "JOHN", "Jon", "José", "Jose", ""]
_LAST = ["Smith", "smith", "Smyth", "O'Brien", "OBrien"]
_EMAIL = ["a@x.com", " A@X.com ", "shared@x.com", "bad", *(f"{k}@y.com" for k in range(6))]
_PHONE = ["5551234567", "(555) 123-4567", "5559999999"]
_COMPANY = ["", "", "Acme Inc", "ACME, LLC", "John Smith", "Smith, John"]


@st.composite
def _records(draw, system: str, max_size: int = 8) -> list[ContactRecord]:
    count = draw(st.integers(0, max_size))
    records = []
    for k in range(count):
        is_company = draw(st.integers(0, 5)) == 0
        emails = draw(st.lists(st.sampled_from(_EMAIL), max_size=1 if system == "qbo" else 2))
        records.append(
            ContactRecord(
                system=system,
                id=f"{system}-{k}",
                is_company=is_company,
                first_name="" if is_company else draw(st.sampled_from(_FIRST)),
                last_name="" if is_company else draw(st.sampled_from(_LAST)),
                company_name=draw(st.sampled_from(_COMPANY)),
                emails=tuple(emails),
                phones=tuple(Phone(p) for p in draw(st.lists(st.sampled_from(_PHONE), max_size=2))),
            )
        )
    return records


@st.composite
def _scenarios(draw):
    qbo, lacrm = draw(_records("qbo")), draw(_records("lacrm"))
    q_ids, l_ids = [r.id for r in qbo], [r.id for r in lacrm]
    linked_q = set(draw(st.lists(st.sampled_from(q_ids), max_size=3))) if q_ids else set()
    linked_l = set(draw(st.lists(st.sampled_from(l_ids), max_size=3))) if l_ids else set()
    rejected = set()
    if q_ids and l_ids:
        rejected = set(
            draw(st.lists(st.tuples(st.sampled_from(q_ids), st.sampled_from(l_ids)), max_size=4))
        )
    policy = draw(st.sampled_from(["match_by_name", "hold_for_review"]))
    return qbo, lacrm, linked_q, linked_l, rejected, policy


def _plan(qbo, lacrm, linked_q, linked_l, rejected, policy) -> MatchPlan:
    return plan_matches(
        qbo,
        lacrm,
        linked_qbo=linked_q,
        linked_lacrm=linked_l,
        rejected_pairs=rejected,
        no_email=policy,
    )


def _mirror(records: list[ContactRecord]) -> list[ContactRecord]:
    return [
        ContactRecord(
            system="mirror",
            id=r.id,
            is_company=r.is_company,
            first_name=r.first_name,
            last_name=r.last_name,
            company_name=r.company_name,
            emails=r.emails,
            phones=r.phones,
        )
        for r in records
    ]


_SETTINGS = settings(max_examples=200)


@_SETTINGS
@given(_scenarios())
def test_every_open_record_lands_in_exactly_one_place(scenario):
    qbo, lacrm, linked_q, linked_l, rejected, policy = scenario
    plan = _plan(*scenario)
    q_seen = [m.qbo_id for m in plan.links] + plan.qbo_only
    l_seen = [m.lacrm_id for m in plan.links] + plan.lacrm_only
    for review in plan.reviews:
        assert review.qbo_ids and review.lacrm_ids  # a review always has both sides
        q_seen += review.qbo_ids
        l_seen += review.lacrm_ids
    assert sorted(q_seen) == sorted(r.id for r in qbo if r.id not in linked_q)
    assert sorted(l_seen) == sorted(r.id for r in lacrm if r.id not in linked_l)


def _assert_rejections_respected(plan: MatchPlan, rejected: set[tuple[str, str]]) -> None:
    """No rejected pair links, and no review is made of rejected pairs only."""
    assert not {(m.qbo_id, m.lacrm_id) for m in plan.links} & rejected
    for review in plan.reviews:
        cross = {(q, c) for q in review.qbo_ids for c in review.lacrm_ids}
        assert not cross <= rejected, f"a review of rejected pairs only: {review}"
        # Stronger: everyone in it has a candidate in it that they were not rejected with.
        assert {q for q, _ in cross - rejected} == set(review.qbo_ids)
        assert {c for _, c in cross - rejected} == set(review.lacrm_ids)


@_SETTINGS
@given(_scenarios())
def test_rejected_pairs_never_link_nor_form_a_review_alone(scenario):
    _assert_rejections_respected(_plan(*scenario), scenario[4])


@_SETTINGS
@given(_scenarios(), st.data())
def test_a_review_case_marked_not_a_match_is_never_proposed_again(scenario, data):
    # What the review page does: "not a match" on a case rejects every pair across it.
    qbo, lacrm, linked_q, linked_l, rejected, policy = scenario
    first = _plan(*scenario)
    assume(first.reviews)
    picked = data.draw(st.lists(st.sampled_from(first.reviews), min_size=1, unique=True))
    for review in picked:
        rejected = rejected | {(q, c) for q in review.qbo_ids for c in review.lacrm_ids}
    again = _plan(qbo, lacrm, linked_q, linked_l, rejected, policy)
    _assert_rejections_respected(again, rejected)
    for review in picked:
        case = (frozenset(review.qbo_ids), frozenset(review.lacrm_ids))
        assert case not in {(frozenset(r.qbo_ids), frozenset(r.lacrm_ids)) for r in again.reviews}


@_SETTINGS
@given(_scenarios())
def test_links_never_join_same_named_records_with_different_emails(scenario):
    qbo, lacrm = scenario[0], scenario[1]
    keys = {r.id: record_keys(r) for r in qbo + lacrm}
    for match in _plan(*scenario).links:
        q, c = keys[match.qbo_id], keys[match.lacrm_id]
        assert match.method in {"email", "name", "email+name", "company"}
        if match.method == "company":
            # A person at a company and the other side's record of that company.
            assert {q.is_company, c.is_company} == {True, False}
            assert q.company_name == c.company_name
        elif match.method == "name":
            assert q.name_key == c.name_key and q.is_company == c.is_company
            assert not (q.emails and c.emails)
            assert scenario[5] == "match_by_name"
        else:
            assert set(q.emails) & set(c.emails)


@_SETTINGS
@given(_scenarios())
def test_swapping_the_sides_mirrors_links_reviews_and_creates(scenario):
    qbo, lacrm, linked_q, linked_l, rejected, policy = scenario
    plan = _plan(*scenario)
    swapped = plan_matches(
        _mirror(lacrm),
        _mirror(qbo),
        linked_qbo=linked_l,
        linked_lacrm=linked_q,
        rejected_pairs={(c, q) for q, c in rejected},
        no_email=policy,
    )
    assert {(m.lacrm_id, m.qbo_id, m.method) for m in swapped.links} == {
        (m.qbo_id, m.lacrm_id, m.method) for m in plan.links
    }
    assert {(frozenset(r.lacrm_ids), frozenset(r.qbo_ids)) for r in swapped.reviews} == {
        (frozenset(r.qbo_ids), frozenset(r.lacrm_ids)) for r in plan.reviews
    }
    assert set(swapped.qbo_only) == set(plan.lacrm_only)
    assert set(swapped.lacrm_only) == set(plan.qbo_only)


@_SETTINGS
@given(_scenarios(), st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_decisions(scenario, rng: random.Random):
    qbo, lacrm, *rest = scenario
    plan = _plan(*scenario)
    shuffled_q, shuffled_l = qbo[:], lacrm[:]
    rng.shuffle(shuffled_q)
    rng.shuffle(shuffled_l)
    again = _plan(shuffled_q, shuffled_l, *rest)
    assert {(m.qbo_id, m.lacrm_id, m.method) for m in again.links} == {
        (m.qbo_id, m.lacrm_id, m.method) for m in plan.links
    }
    assert {(frozenset(r.qbo_ids), frozenset(r.lacrm_ids)) for r in again.reviews} == {
        (frozenset(r.qbo_ids), frozenset(r.lacrm_ids)) for r in plan.reviews
    }
    assert set(again.qbo_only) == set(plan.qbo_only)


@given(
    st.lists(
        st.tuples(_WORD, _WORD, st.emails()),
        unique_by=lambda t: t[2].lower(),
        max_size=15,
    )
)
def test_people_in_both_systems_with_their_own_emails_are_all_linked(people):
    qbo = [
        ContactRecord(system="qbo", id=f"q{k}", first_name=f, last_name=la, emails=(e,))
        for k, (f, la, e) in enumerate(people)
    ]
    lacrm = [
        ContactRecord(system="lacrm", id=f"l{k}", last_name=f"{la}, {f}", emails=(f" {e.upper()}",))
        for k, (f, la, e) in enumerate(people)
    ]
    plan = plan_matches(qbo, lacrm)
    assert {(m.qbo_id, m.lacrm_id) for m in plan.links} == {
        (f"q{k}", f"l{k}") for k in range(len(people))
    }
    assert plan.reviews == [] and plan.qbo_only == [] and plan.lacrm_only == []


@_SETTINGS
@given(_WORD, _WORD, st.emails(), st.emails(), _scenarios())
def test_same_name_with_different_emails_is_never_linked(first, last, email1, email2, noise):
    assume(normalize_email(email1) != normalize_email(email2))
    qbo, lacrm, *rest = noise
    target_q = ContactRecord(
        system="qbo", id="q-target", first_name=first, last_name=last, emails=(email1,)
    )
    target_l = ContactRecord(
        system="lacrm", id="l-target", last_name=f"{last}, {first}", emails=(email2.upper(),)
    )
    plan = _plan([*qbo, target_q], [*lacrm, target_l], *rest)
    assert ("q-target", "l-target") not in {(m.qbo_id, m.lacrm_id) for m in plan.links}
    if not any(target_q.id in r.qbo_ids and target_l.id in r.lacrm_ids for r in plan.reviews):
        assert target_q.id in plan.qbo_only or target_q.id in {m.qbo_id for m in plan.links}
