"""The field-update precedence rules, normalisation and list merging (pure, no database)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.records import LACRM, QBO, Address, ContactRecord, Phone
from sync.fields import rules, values
from sync.fields.plan import PairUpdate, plan_pair_updates
from sync.fields.rules import FieldChange
from sync.fields.values import ADDRESS, EMAIL, MOBILE, PHONE, WEBSITE

ADDR_A = {
    "lines": ["100 Main St", "Suite 5"],
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "country": "US",
}
ADDR_B = {"lines": ["9 Elm Rd"], "city": "Peoria", "state": "IL", "postal_code": "61602"}


def qbo(**kw) -> ContactRecord:
    return ContactRecord(system=QBO, id="1", first_name="Nick", last_name="Brown", **kw)


def lacrm(**kw) -> ContactRecord:
    return ContactRecord(system=LACRM, id="31", first_name="Nick", last_name="Brown", **kw)


def plan(q, lc, snapshot=None, sor=LACRM, email=False):
    return rules.plan_pair(q, lc, snapshot, system_of_record=sor, include_email=email)


# --- normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("(555) 010-0100", "555-010-0100"),
        ("+1 555 010 0100", "555.010.0100"),
        ("555 0100", "555-0100"),
        ("555-010-0100 ext. 12", "(555) 010 0100 x12"),
    ],
)
def test_phone_formats_compare_equal(a, b):
    assert values.field_key(PHONE, a) == values.field_key(PHONE, b) != ""


def test_phone_extension_and_digits_matter():
    assert values.field_key(PHONE, "555-010-0100 x12") != values.field_key(
        PHONE, "555-010-0100 x13"
    )
    assert values.field_key(PHONE, "555-010-0100") != values.field_key(PHONE, "555-010-0199")


@pytest.mark.parametrize(
    "variant", ["https://www.acme.example/", "ACME.example", "http://acme.example"]
)
def test_website_scheme_www_and_slash_do_not_count(variant):
    assert values.field_key(WEBSITE, variant) == values.field_key(WEBSITE, "acme.example")


def test_address_case_punctuation_line_breaks_and_country_names_do_not_count():
    other = {
        "lines": ["100 MAIN ST., SUITE 5"],
        "city": "springfield",
        "state": "il",
        "postal_code": "627 01",
        "country": "United States",
    }
    assert values.field_key(ADDRESS, ADDR_A) == values.field_key(ADDRESS, other)
    assert values.field_key(ADDRESS, ADDR_A) != values.field_key(
        ADDRESS, {**other, "city": "Peoria"}
    )
    assert values.field_key(ADDRESS, {}) == ""


def test_email_compares_case_insensitively():
    assert values.field_key(EMAIL, " Nick@Example.COM ") == values.field_key(
        EMAIL, "nick@example.com"
    )


def test_address_display_reads_naturally():
    assert values.display(ADDRESS, ADDR_A) == "100 Main St, Suite 5, Springfield, IL 62701, US"


# --- reading one value per side ------------------------------------------------------------------


def test_qbo_values_come_from_fixed_slots():
    record = qbo(
        phones=(Phone("555-0001", "other"), Phone("555-0100", "work"), Phone("555-0111", "mobile")),
        addresses=(Address(lines=("1 Ship Way",), kind="shipping"),),
        websites=("acme.example",),
        emails=("a@x.example", "b@x.example"),
    )
    assert values.read_value(record, PHONE) == "555-0100"
    assert values.read_value(record, MOBILE) == "555-0111"
    # ShipAddr is not the billing address: QuickBooks has none.
    assert values.read_value(record, ADDRESS) == {}
    assert values.read_value(record, WEBSITE) == "acme.example"
    assert values.read_value(record, EMAIL) == "a@x.example"


def test_lacrm_work_phone_falls_back_to_an_untyped_phone_and_address_to_the_first():
    record = lacrm(
        phones=(Phone("555-0111", "mobile"), Phone("555-0999", "other")),
        addresses=(Address(lines=("1 Ship Way",), kind="shipping"), Address(lines=("2 Home",))),
    )
    assert values.read_value(record, PHONE) == "555-0999"
    assert values.read_value(record, ADDRESS)["lines"] == ["2 Home"]
    billing = replace(
        record,
        addresses=(Address(lines=("2 Home",), kind="work"), Address(lines=("3 Bill",))),
    )
    billing = replace(
        billing,
        addresses=(billing.addresses[0], replace(billing.addresses[1], kind="billing")),
    )
    assert values.read_value(billing, ADDRESS)["lines"] == ["3 Bill"]


# --- first sync ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sor", [LACRM, QBO])
def test_first_sync_fills_an_empty_qbo_field_from_lacrm(sor):
    result = plan(qbo(), lacrm(phones=(Phone("555-0100"),)), sor=sor)
    assert result.changes == [FieldChange(PHONE, QBO, "", "555-0100")]
    assert result.snapshot == {PHONE: "555-0100"}


@pytest.mark.parametrize("sor", [LACRM, QBO])
def test_first_sync_fills_an_empty_lacrm_field_from_qbo(sor):
    result = plan(qbo(websites=("acme.example",)), lacrm(), sor=sor)
    assert result.changes == [FieldChange(WEBSITE, LACRM, "", "acme.example")]
    assert result.snapshot == {WEBSITE: "acme.example"}


def test_first_sync_both_set_and_different_lacrm_wins_by_default():
    q = qbo(addresses=(Address(lines=("9 Elm Rd",), city="Peoria", kind="billing"),))
    lc = lacrm(addresses=(values.to_address(ADDR_A, "work"),))
    result = plan(q, lc)
    assert [(c.field, c.target, c.new) for c in result.changes] == [(ADDRESS, QBO, ADDR_A)]
    assert result.snapshot[ADDRESS] == ADDR_A


def test_first_sync_both_set_and_different_qbo_wins_when_it_is_the_system_of_record():
    result = plan(qbo(phones=(Phone("555-0100"),)), lacrm(phones=(Phone("555-0199"),)), sor=QBO)
    assert result.changes == [FieldChange(PHONE, LACRM, "555-0199", "555-0100")]
    assert result.snapshot == {PHONE: "555-0100"}


def test_first_sync_equal_values_in_different_formats_change_nothing_but_are_recorded():
    result = plan(
        qbo(phones=(Phone("(555) 010-0100"),), websites=("https://acme.example/",)),
        lacrm(phones=(Phone("555-010-0100"),), websites=("acme.example",)),
    )
    assert result.changes == []
    assert result.snapshot == {PHONE: "555-010-0100", WEBSITE: "acme.example"}


def test_both_empty_changes_nothing_and_records_no_snapshot():
    result = plan(qbo(), lacrm())
    assert result.changes == [] and result.snapshot == {} and result.notes == []


def test_each_field_is_decided_on_its_own():
    result = plan(
        qbo(phones=(Phone("555-0100"), Phone("555-0111", "mobile")), websites=("q.example",)),
        lacrm(phones=(Phone("555-0199"),), addresses=(values.to_address(ADDR_B, "work"),)),
    )
    got = {c.field: (c.target, c.new) for c in result.changes}
    assert got == {
        PHONE: (QBO, "555-0199"),
        MOBILE: (LACRM, "555-0111"),
        ADDRESS: (QBO, values.address_value(values.to_address(ADDR_B, "work"))),
        WEBSITE: (LACRM, "q.example"),
    }


# --- later syncs ---------------------------------------------------------------------------------


def test_later_sync_pushes_a_changed_phone_from_the_system_of_record():
    result = plan(
        qbo(phones=(Phone("555-0100"),)),
        lacrm(phones=(Phone("555-0199"),)),
        snapshot={PHONE: "555-0100"},
    )
    assert result.changes == [FieldChange(PHONE, QBO, "555-0100", "555-0199")]
    assert result.changes[0].reason == ("Phone: '555-0100' → '555-0199' (from Less Annoying CRM)")
    assert result.snapshot == {PHONE: "555-0199"}


def test_later_sync_system_of_record_change_wins_even_if_the_other_side_changed_too():
    result = plan(
        qbo(phones=(Phone("555-0300"),)),
        lacrm(phones=(Phone("555-0199"),)),
        snapshot={PHONE: "555-0100"},
    )
    assert result.changes == [FieldChange(PHONE, QBO, "555-0300", "555-0199")]


def test_later_sync_does_not_push_back_a_change_made_only_in_the_other_system():
    result = plan(
        qbo(phones=(Phone("555-0300"),)),
        lacrm(phones=(Phone("555-0100"),)),
        snapshot={PHONE: "555-0100"},
    )
    assert result.changes == []
    assert result.snapshot == {PHONE: "555-0100"}
    assert result.notes and "differs in QuickBooks ('555-0300')" in result.notes[0]


def test_later_sync_does_not_refill_a_value_cleared_in_the_other_system():
    result = plan(qbo(), lacrm(phones=(Phone("555-0100"),)), snapshot={PHONE: "555-0100"})
    assert result.changes == []
    assert result.notes


@pytest.mark.parametrize("sor", [LACRM, QBO])
def test_later_sync_never_blanks_a_value(sor):
    q = qbo(websites=("acme.example",)) if sor == LACRM else qbo()
    lc = lacrm() if sor == LACRM else lacrm(websites=("acme.example",))
    result = plan(q, lc, snapshot={WEBSITE: "acme.example"}, sor=sor)
    assert result.changes == []
    assert result.snapshot == {WEBSITE: "acme.example"}
    assert "never blanks" in result.notes[0]


def test_later_sync_same_change_on_both_sides_updates_only_the_snapshot():
    result = plan(
        qbo(phones=(Phone("555 0199"),)),
        lacrm(phones=(Phone("555-0199"),)),
        snapshot={PHONE: "555-0100"},
    )
    assert result.changes == []
    assert result.snapshot == {PHONE: "555-0199"}


def test_later_sync_reformatted_value_is_no_change():
    result = plan(
        qbo(phones=(Phone("555-010-0100"),)),
        lacrm(phones=(Phone("(555) 010-0100"),)),
        snapshot={PHONE: "555-010-0100"},
    )
    assert result.changes == [] and result.notes == []


def test_qbo_as_system_of_record_pushes_its_changes_to_lacrm():
    result = plan(
        qbo(phones=(Phone("555-0199"),)),
        lacrm(phones=(Phone("555-0100"),)),
        snapshot={PHONE: "555-0100"},
        sor=QBO,
    )
    assert result.changes == [FieldChange(PHONE, LACRM, "555-0100", "555-0199")]
    assert result.changes[0].reason.endswith("(from QuickBooks)")


# --- email ---------------------------------------------------------------------------------------


def test_email_is_left_alone_unless_the_workspace_enables_it():
    q, lc = qbo(emails=("old@x.example",)), lacrm(emails=("new@x.example",))
    off = plan(q, lc, snapshot={EMAIL: "kept@x.example"})
    assert off.changes == [] and off.snapshot == {EMAIL: "kept@x.example"}
    on = plan(q, lc, email=True)
    assert on.changes == [FieldChange(EMAIL, QBO, "old@x.example", "new@x.example")]


# --- writing -------------------------------------------------------------------------------------


def test_qbo_changes_name_only_the_slots_that_change():
    changes = [
        FieldChange(PHONE, QBO, "", "555-0100"),
        FieldChange(MOBILE, QBO, "", "555-0111"),
        FieldChange(ADDRESS, QBO, {}, ADDR_B),
        FieldChange(WEBSITE, QBO, "", "acme.example"),
    ]
    out = rules.qbo_changes(changes)
    assert out["phones"] == (Phone("555-0100", "work"), Phone("555-0111", "mobile"))
    assert out["addresses"] == (values.to_address(ADDR_B, "billing"),)
    assert out["websites"] == ("acme.example",)
    assert "emails" not in out


def test_lacrm_merge_keeps_the_other_phones_and_replaces_only_the_work_phone():
    current = lacrm(
        phones=(Phone("555-0111", "mobile"), Phone("555-0100", "work"), Phone("555-0122", "home")),
        emails=("a@x.example",),
    )
    out = rules.lacrm_fields(current, [FieldChange(PHONE, LACRM, "555-0100", "555-0199")])
    assert out == {
        "phones": (
            Phone("555-0111", "mobile"),
            Phone("555-0199", "work"),
            Phone("555-0122", "home"),
        )
    }


def test_lacrm_merge_adds_a_phone_of_the_kind_when_missing():
    current = lacrm(phones=(Phone("555-0122", "home"),))
    out = rules.lacrm_fields(current, [FieldChange(MOBILE, LACRM, "", "555-0111")])
    assert out["phones"] == (Phone("555-0122", "home"), Phone("555-0111", "mobile"))


def test_lacrm_merge_replaces_the_primary_email_and_website_and_drops_duplicates():
    current = lacrm(
        emails=("old@x.example", "other@x.example", "NEW@x.example"),
        websites=("old.example", "blog.example"),
    )
    out = rules.lacrm_fields(
        current,
        [
            FieldChange(EMAIL, LACRM, "old@x.example", "new@x.example"),
            FieldChange(WEBSITE, LACRM, "old.example", "new.example"),
        ],
    )
    assert out["emails"] == ("new@x.example", "other@x.example")
    assert out["websites"] == ("new.example", "blog.example")


def test_lacrm_merge_replaces_the_primary_address_and_keeps_its_type_and_the_others():
    current = lacrm(
        addresses=(
            Address(lines=("1 Ship Way",), kind="shipping"),
            Address(lines=("9 Elm Rd",), city="Peoria", kind="work"),
        )
    )
    out = rules.lacrm_fields(current, [FieldChange(ADDRESS, LACRM, ADDR_B, ADDR_A)])
    assert out["addresses"][0] == current.addresses[0]
    assert out["addresses"][1] == values.to_address(ADDR_A, "work")


# --- pairs ---------------------------------------------------------------------------------------


def _link(qbo_id="1", lacrm_id="31", synced=None, state="linked"):
    return SimpleNamespace(
        id="link-1", qbo_id=qbo_id, lacrm_id=lacrm_id, synced_fields=synced or {}, state=state
    )


def test_plan_pair_updates_skips_unlinked_and_missing_records_and_reports_the_rest():
    settings_ = SimpleNamespace(system_of_record=LACRM, update_email=False)
    q, lc = qbo(), lacrm(phones=(Phone("555-0100"),))
    updates = plan_pair_updates(
        [_link(), _link(state="needs_review"), _link(qbo_id="404")],
        {"1": q},
        {"31": lc},
        settings_,
    )
    assert len(updates) == 1
    update = updates[0]
    assert update.changes == [FieldChange(PHONE, QBO, "", "555-0100")]
    assert update.names == {QBO: "Nick Brown", LACRM: "Nick Brown"}
    assert PairUpdate.from_dict(update.to_dict()) == update


def test_plan_pair_updates_leaves_out_pairs_already_in_step():
    settings_ = SimpleNamespace(system_of_record=LACRM, update_email=False)
    q, lc = qbo(phones=(Phone("555-0100"),)), lacrm(phones=(Phone("555 0100"),))
    assert (
        plan_pair_updates([_link(synced={PHONE: "555-0100"})], {"1": q}, {"31": lc}, settings_)
        == []
    )


def test_a_failed_side_keeps_its_old_snapshot_so_the_next_run_retries():
    update = PairUpdate(
        link_id="l",
        qbo_id="1",
        lacrm_id="31",
        system_of_record=LACRM,
        changes=[
            FieldChange(PHONE, QBO, "555-0100", "555-0199"),
            FieldChange(WEBSITE, LACRM, "", "acme.example"),
        ],
        snapshot={PHONE: "555-0199", WEBSITE: "acme.example"},
        previous={PHONE: "555-0100"},
    )
    assert update.snapshot_after({QBO}) == {PHONE: "555-0100", WEBSITE: "acme.example"}
    assert update.snapshot_after({LACRM}) == {PHONE: "555-0199"}


# --- properties ----------------------------------------------------------------------------------


def _apply(record: ContactRecord, changes) -> ContactRecord:
    """What the provider would hold after our update (QBO slots, LACRM merged lists)."""
    mine = [c for c in changes if c.target == record.system]
    if not mine:
        return record
    if record.system == LACRM:
        return replace(record, **rules.lacrm_fields(record, mine))
    update = rules.qbo_changes(mine)
    phones = {p.kind: p for p in record.phones}
    for phone in update.get("phones", ()):
        phones[phone.kind] = phone
    return replace(
        record,
        phones=tuple(phones.values()),
        addresses=update.get("addresses", record.addresses),
        websites=update.get("websites", record.websites),
        emails=update.get("emails", record.emails),
    )


phones = st.sampled_from(["", "555-0100", "(555) 010-0100", "555-0199", "+1 555 010 0199"])
sites = st.sampled_from(["", "acme.example", "https://www.acme.example/", "other.example"])
addrs = st.sampled_from([{}, ADDR_A, ADDR_B])


def _records(qp, qm, qs, qa, lp, lm, ls, la):
    q = qbo(
        phones=tuple(p for p in (Phone(qp, "work"), Phone(qm, "mobile")) if p.number),
        websites=(qs,) if qs else (),
        addresses=(values.to_address(qa, "billing"),) if qa else (),
    )
    lc = lacrm(
        phones=tuple(p for p in (Phone(lp, "work"), Phone(lm, "mobile")) if p.number),
        websites=(ls,) if ls else (),
        addresses=(values.to_address(la, "work"),) if la else (),
    )
    return q, lc


@settings(max_examples=300)
@given(phones, phones, sites, addrs, phones, phones, sites, addrs, st.sampled_from([LACRM, QBO]))
def test_applying_a_first_sync_plan_converges_and_never_blanks(qp, qm, qs, qa, lp, lm, ls, la, sor):
    q, lc = _records(qp, qm, qs, qa, lp, lm, ls, la)
    first = plan(q, lc, sor=sor)
    q2, lc2 = _apply(q, first.changes), _apply(lc, first.changes)
    for name in values.fields_for(False):
        before = {values.field_key(name, values.read_value(r, name)) for r in (q, lc)} - {""}
        after_q = values.field_key(name, values.read_value(q2, name))
        after_l = values.field_key(name, values.read_value(lc2, name))
        # Whatever was known is now on both sides, and it is the same value.
        if before:
            assert after_q and after_q == after_l
    # A second run right after changes nothing and says nothing.
    again = plan(q2, lc2, first.snapshot, sor=sor)
    assert again.changes == [] and again.notes == []


@settings(max_examples=300)
@given(phones, phones, phones, st.sampled_from([LACRM, QBO]))
def test_later_sync_only_moves_values_from_the_system_of_record(snap, q_now, l_now, sor):
    q, lc = (
        qbo(phones=(Phone(q_now),) if q_now else ()),
        lacrm(phones=(Phone(l_now),) if l_now else ()),
    )
    snapshot = {PHONE: snap} if snap else {}
    result = plan(q, lc, snapshot, sor=sor)
    for change in result.changes:
        assert change.new  # never blanks
        if snap:
            assert change.source == sor
