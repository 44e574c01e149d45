"""The contact matcher's link rules (email, shared email, name, company record), one per test.

Reviews of uncertain pairs and "not a match" decisions are in ``test_matching_reviews.py``.
"""

from __future__ import annotations

import pytest

from integrations.records import ContactRecord, Phone
from sync.matching import Match, MatchPlan, plan_matches


def qbo(rid, first="", last="", email="", phone="", company="", is_company=False):
    return ContactRecord(
        system="qbo",
        id=rid,
        first_name=first,
        last_name=last,
        company_name=company,
        is_company=is_company,
        emails=(email,) if email else (),
        phones=(Phone(phone),) if phone else (),
    )


def lacrm(rid, first="", last="", emails=(), phone="", company="", is_company=False):
    return ContactRecord(
        system="lacrm",
        id=rid,
        first_name=first,
        last_name=last,
        company_name=company,
        is_company=is_company,
        emails=(emails,) if isinstance(emails, str) else tuple(emails),
        phones=(Phone(phone),) if phone else (),
    )


def pairs(plan: MatchPlan) -> set[tuple[str, str, str]]:
    return {(m.qbo_id, m.lacrm_id, m.method) for m in plan.links}


def reviewed(plan: MatchPlan) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    return {(r.qbo_ids, r.lacrm_ids) for r in plan.reviews}


# -- rule 1: email --------------------------------------------------------------------------


def test_email_links_despite_case_and_spaces():
    plan = plan_matches(
        [qbo("q1", "Nick", "Brown", " Nick.Brown@ACME.com ")],
        [lacrm("l1", "Nicholas", "Brown", "nick.brown@acme.com")],
    )
    assert plan.links == [Match("q1", "l1", "email", 'Same email "nick.brown@acme.com"')]
    assert plan.qbo_only == plan.lacrm_only == []


def test_email_and_agreeing_name_gives_method_email_plus_name():
    plan = plan_matches(
        [qbo("q1", "Nick", "Brown", "nick@acme.com")],
        [lacrm("l1", "", "Brown, Nick", "NICK@acme.com")],
    )
    assert pairs(plan) == {("q1", "l1", "email+name")}
    assert 'Same email "nick@acme.com"' in plan.links[0].reason


def test_every_email_of_an_lacrm_contact_is_indexed():
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee", "ann@work.example")],
        [lacrm("l1", "Ann", "Lee", ["ann@home.example", "Ann@Work.example"])],
    )
    assert pairs(plan) == {("q1", "l1", "email+name")}


def test_email_link_does_not_need_the_names_to_agree():
    # One record on each side with the same address: the person was renamed or married.
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee", "ann@x.example")], [lacrm("l1", "Ann", "Park", "ann@x.example")]
    )
    assert pairs(plan) == {("q1", "l1", "email")}


# -- rule 2: shared email -------------------------------------------------------------------


def test_shared_email_links_the_pair_the_name_picks_out():
    plan = plan_matches(
        [
            qbo("q1", "Jane", "Doe", "accounts@acme.com"),
            qbo("q2", "Bob", "Doe", "accounts@acme.com"),
            qbo("q3", "Carl", "Doe", "Accounts@Acme.com"),
        ],
        [lacrm("l1", "Jane", "Doe", "accounts@acme.com")],
    )
    assert pairs(plan) == {("q1", "l1", "email+name")}
    assert 'sharing "accounts@acme.com"' in plan.links[0].reason
    # Bob and Carl are not that address's owner in LACRM: they are created there.
    assert plan.qbo_only == ["q2", "q3"]
    assert plan.reviews == []


def test_shared_email_without_a_deciding_name_goes_to_review():
    plan = plan_matches(
        [
            qbo("q1", "Jane", "Doe", "accounts@acme.com"),
            qbo("q2", "Bob", "Doe", "accounts@acme.com"),
            qbo("q3", "Carl", "Doe", "accounts@acme.com"),
        ],
        [lacrm("l1", "Accounts", "Team", "accounts@acme.com")],
    )
    assert plan.links == []
    assert reviewed(plan) == {(("q1", "q2", "q3"), ("l1",))}
    assert plan.reviews[0].reason.startswith('3 QuickBooks customers share "accounts@acme.com"')
    assert plan.qbo_only == plan.lacrm_only == []


def test_shared_email_with_a_duplicated_name_goes_to_review():
    plan = plan_matches(
        [qbo("q1", "Jane", "Doe", "a@acme.com"), qbo("q2", "Jane", "Doe", "a@acme.com")],
        [lacrm("l1", "Jane", "Doe", "a@acme.com")],
    )
    assert plan.links == []
    assert reviewed(plan) == {(("q1", "q2"), ("l1",))}


def test_shared_email_on_both_sides_links_by_name_and_reviews_the_rest():
    plan = plan_matches(
        [qbo("q1", "Jane", "Doe", "a@acme.com"), qbo("q2", "Bob", "Doe", "a@acme.com")],
        [lacrm("l1", "Jane", "Doe", "a@acme.com"), lacrm("l2", "Robert", "Doe", "a@acme.com")],
    )
    assert pairs(plan) == {("q1", "l1", "email+name")}
    assert reviewed(plan) == {(("q2",), ("l2",))}
    assert "different names" in plan.reviews[0].reason


def test_records_tied_through_a_second_email_form_one_group():
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee", "ann@home.example"), qbo("q2", "Ann", "Lee", "ann@work.example")],
        [lacrm("l1", "Ann", "Lee", ["ann@home.example", "ann@work.example"])],
    )
    assert plan.links == []
    assert reviewed(plan) == {(("q1", "q2"), ("l1",))}


# -- rule 3: name ---------------------------------------------------------------------------


def test_last_comma_first_matches_first_last():
    plan = plan_matches([qbo("q1", "Nick", "Brown")], [lacrm("l1", "", "Brown, Nick")])
    assert pairs(plan) == {("q1", "l1", "name")}


def test_punctuation_accents_and_case_do_not_prevent_a_match():
    plan = plan_matches(
        [qbo("q1", "Sinéad", "O'Brien"), qbo("q2", "José", "Álvarez-Ruiz")],
        [lacrm("l1", "SINEAD", "OBRIEN"), lacrm("l2", "Jose", "Alvarez Ruiz")],
    )
    assert pairs(plan) == {("q1", "l1", "name"), ("q2", "l2", "name")}


def test_middle_initial_on_one_side_does_not_prevent_a_match():
    plan = plan_matches([qbo("q1", "John Q.", "Adams")], [lacrm("l1", "John", "Adams")])
    assert pairs(plan) == {("q1", "l1", "name")}


def test_same_name_with_different_emails_is_not_a_match_and_both_are_created():
    plan = plan_matches(
        [qbo("q1", "John", "Smith", "john@one.example")],
        [lacrm("l1", "John", "Smith", "jsmith@two.example")],
    )
    assert plan.links == [] and plan.reviews == []
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1"]
    assert plan.not_matches == [("q1", "l1", 'Same name "John Smith" but different emails')]


def test_name_links_when_only_one_side_has_an_email():
    plan = plan_matches([qbo("q1", "Ann", "Lee", "ann@x.example")], [lacrm("l1", "Ann", "Lee")])
    assert pairs(plan) == {("q1", "l1", "name")}
    assert "no email in LACRM" in plan.links[0].reason


def test_name_links_when_neither_side_has_an_email_by_default():
    plan = plan_matches([qbo("q1", "Ann", "Lee")], [lacrm("l1", "Ann", "Lee")])
    assert pairs(plan) == {("q1", "l1", "name")}
    assert "no email on either side" in plan.links[0].reason


@pytest.mark.parametrize("q_email", ["", "ann@x.example"])
def test_hold_for_review_policy_sends_name_only_matches_to_review(q_email):
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee", q_email)], [lacrm("l1", "Ann", "Lee")], no_email="hold_for_review"
    )
    assert plan.links == []
    assert reviewed(plan) == {(("q1",), ("l1",))}
    assert plan.qbo_only == plan.lacrm_only == []


def test_hold_for_review_policy_still_links_by_email():
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee", "ann@x.example")],
        [lacrm("l1", "Ann", "Lee", "ann@x.example")],
        no_email="hold_for_review",
    )
    assert pairs(plan) == {("q1", "l1", "email+name")}


def test_unknown_no_email_policy_is_an_error():
    with pytest.raises(ValueError, match="no_email"):
        plan_matches([], [], no_email="guess")


def test_duplicate_names_on_one_side_go_to_review():
    plan = plan_matches(
        [qbo("q1", "John", "Smith"), qbo("q2", "John", "Smith", "js@x.example")],
        [lacrm("l1", "John", "Smith")],
    )
    assert plan.links == []
    assert reviewed(plan) == {(("q1", "q2"), ("l1",))}
    assert plan.reviews[0].reason == (
        '2 QuickBooks customers and 1 Less Annoying CRM contact are named "John Smith"'
    )


def test_duplicate_names_leave_out_records_every_candidate_rules_out_by_email():
    plan = plan_matches(
        [qbo("q1", "John", "Smith", "a@x.example"), qbo("q2", "John", "Smith")],
        [lacrm("l1", "John", "Smith", "b@x.example")],
    )
    # q1 and l1 have different emails (not a match); only q2 could be l1.
    assert reviewed(plan) == {(("q2",), ("l1",))}
    assert plan.qbo_only == ["q1"]


def test_duplicate_names_all_with_different_emails_are_not_matches():
    plan = plan_matches(
        [qbo("q1", "John", "Smith", "a@x.example"), qbo("q2", "John", "Smith", "b@x.example")],
        [lacrm("l1", "John", "Smith", "c@x.example")],
    )
    assert plan.links == [] and plan.reviews == []
    assert plan.qbo_only == ["q1", "q2"] and plan.lacrm_only == ["l1"]
    assert {(qid, lid) for qid, lid, _ in plan.not_matches} == {("q1", "l1"), ("q2", "l1")}


# -- companies ------------------------------------------------------------------------------


def test_company_records_match_across_legal_suffixes():
    plan = plan_matches(
        [qbo("q1", company="Acme Inc", is_company=True)],
        [lacrm("l1", company="ACME, LLC", is_company=True)],
    )
    assert pairs(plan) == {("q1", "l1", "name")}
    assert plan.links[0].reason.startswith('Same company name "Acme Inc" / "ACME, LLC"')


def test_company_records_with_one_name_and_different_emails_go_to_review():
    # A business has billing@ and info@ addresses; two businesses of one name are rarer (and
    # LACRM does not allow two company records of one name), so this is not "not a match".
    plan = plan_matches(
        [qbo("q1", company="Acme Inc", is_company=True, email="billing@acme.example")],
        [lacrm("l1", company="Acme", is_company=True, emails="info@acme.example")],
    )
    assert plan.links == [] and plan.not_matches == []
    assert reviewed(plan) == {(("q1",), ("l1",))}
    assert "different emails" in plan.reviews[0].reason


def test_duplicate_company_names_are_reviewed_whatever_their_emails():
    plan = plan_matches(
        [
            qbo("q1", company="Acme Inc", is_company=True, email="a@acme.example"),
            qbo("q2", company="Acme LLC", is_company=True, email="b@acme.example"),
        ],
        [lacrm("l1", company="ACME", is_company=True, emails="c@acme.example")],
    )
    assert reviewed(plan) == {(("q1", "q2"), ("l1",))}


def test_leading_the_and_ampersand_do_not_prevent_a_company_match():
    plan = plan_matches(
        [qbo("q1", company="The Smith & Jones Co.", is_company=True)],
        [lacrm("l1", company="Smith and Jones", is_company=True)],
    )
    assert pairs(plan) == {("q1", "l1", "name")}


def test_a_person_never_auto_links_to_a_company_record_of_the_same_name():
    plan = plan_matches(
        [qbo("q1", company="Nick Brown", is_company=True)], [lacrm("l1", "Nick", "Brown")]
    )
    assert plan.links == []
    assert reviewed(plan) == {(("q1",), ("l1",))}
    assert "a person in one system, a company in the other" in plan.reviews[0].reason


def test_a_person_named_like_a_company_record_in_last_first_form_is_reviewed():
    plan = plan_matches(
        [qbo("q1", "Nick", "Brown")], [lacrm("l1", company="Brown, Nick", is_company=True)]
    )
    assert reviewed(plan) == {(("q1",), ("l1",))}


def test_a_person_at_a_company_links_to_that_company_record():
    """Issue 12.1: the customer is the LACRM company record; no person is created under it."""
    plan = plan_matches(
        [qbo("q1", "Jane", "Doe", company="Acme Inc")],
        [lacrm("l1", company="Acme", is_company=True)],
    )
    assert [(m.qbo_id, m.lacrm_id, m.method) for m in plan.links] == [("q1", "l1", "company")]
    assert plan.qbo_only == [] and plan.lacrm_only == []


# -- the ledger and odd inputs ------------------------------------------------------------


def test_already_linked_ids_are_excluded_even_when_renamed():
    plan = plan_matches(
        [qbo("q1", "Ann", "Married", "ann@new.example"), qbo("q2", "Bob", "Stone")],
        [lacrm("l1", "Ann", "Maiden", "ann@old.example"), lacrm("l2", "Bob", "Stone")],
        linked_qbo={"q1"},
        linked_lacrm={"l1"},
    )
    assert pairs(plan) == {("q2", "l2", "name")}
    ids = {m.qbo_id for m in plan.links} | {m.lacrm_id for m in plan.links}
    assert not ids & {"q1", "l1"}
    assert plan.qbo_only == plan.lacrm_only == [] and plan.reviews == []


def test_a_linked_record_does_not_make_a_name_look_duplicated():
    plan = plan_matches(
        [qbo("q1", "Ann", "Lee"), qbo("q2", "Ann", "Lee")],
        [lacrm("l1", "Ann", "Lee")],
        linked_qbo={"q1"},
    )
    assert pairs(plan) == {("q2", "l1", "name")}


def test_a_repeated_id_counts_once():
    record = qbo("q1", "Ann", "Lee", "ann@x.example")
    plan = plan_matches([record, record], [lacrm("l1", "Ann", "Lee", "ann@x.example")])
    assert pairs(plan) == {("q1", "l1", "email+name")}
    assert plan.qbo_only == []


def test_records_without_any_name_or_email_are_created():
    plan = plan_matches([qbo("q1")], [lacrm("l1")])
    assert plan.links == [] and plan.reviews == []
    assert plan.qbo_only == ["q1"] and plan.lacrm_only == ["l1"]


def test_empty_inputs_give_an_empty_plan():
    assert plan_matches([], []) == MatchPlan()


# --- Rule 3b: a customer that is an LACRM company record (issue 12.1) ---------------------------


def test_a_business_customer_links_to_its_lacrm_company_record():
    plan = plan_matches(
        [qbo("1", "Ann", "Lee", email="ann@acme.example", company="Acme Inc.")],
        [lacrm("co", company="ACME", is_company=True, emails="info@acme.example")],
    )
    assert [(m.qbo_id, m.lacrm_id) for m in plan.links] == [("1", "co")]
    assert 'Same company "ACME"' in plan.links[0].reason and plan.links[0].method == "company"
    assert plan.lacrm_only == [] and plan.qbo_only == []


def test_a_lacrm_person_of_the_customers_name_wins_over_the_company_record():
    plan = plan_matches(
        [qbo("1", "Ann", "Lee", company="Acme Inc.")],
        [lacrm("a", "Ann", "Lee", company="Acme"), lacrm("co", company="Acme", is_company=True)],
    )
    assert [(m.qbo_id, m.lacrm_id) for m in plan.links] == [("1", "a")]


def test_two_customers_of_one_company_do_not_claim_its_company_record():
    plan = plan_matches(
        [
            qbo("1", "Ann", "Lee", email="ann@acme.example", company="Acme"),
            qbo("2", "Bo", "Ng", email="bo@acme.example", company="Acme"),
        ],
        [lacrm("co", company="Acme", is_company=True)],
    )
    assert plan.links == []
    assert sorted(plan.qbo_only) == ["1", "2"]


def test_a_rejected_company_pair_is_not_linked():
    plan = plan_matches(
        [qbo("1", "Ann", "Lee", company="Acme")],
        [lacrm("co", company="Acme", is_company=True)],
        rejected_pairs={("1", "co")},
    )
    assert plan.links == []
