"""The pure summaries planner: linked pairs, last notes and open invoices in, a plan out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from integrations.records import InvoiceRecord
from summaries.plan import LastNote, LinkedPair, plan_summaries
from summaries.summarize import summarize_customer, summary_fingerprint

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def invoice(customer, balance="100.00", name=""):
    return InvoiceRecord(
        id=f"i{customer}",
        customer_id=customer,
        doc_number="1001",
        txn_date=date(2026, 11, 1),
        due_date=date(2026, 11, 30),
        total=Decimal("100.00"),
        balance=Decimal(balance),
        customer_name=name,
    )


def plan(pairs, last=None, invoices=None, skip_unchanged=True, names=None):
    return plan_summaries(
        pairs,
        last or {},
        invoices or {},
        today=TODAY,
        now=NOW,
        skip_unchanged=skip_unchanged,
        customer_names=names,
    )


def outcomes(result):
    return [(e["outcome"], e["record_id"]) for e in result.entries]


def test_a_linked_contact_with_unpaid_invoices_gets_a_note_with_its_figures():
    result = plan([LinkedPair("1", "a", "Ann Lee", "Ann Lee")], invoices={"1": [invoice("1")]})
    assert result.entries == [] and len(result.notes) == 1
    note = result.notes[0]
    assert (note.lacrm_id, note.qbo_id) == ("a", "1")
    assert "Customer: Ann Lee" in note.text and "100.00" in note.text


def test_no_invoices_throttled_and_unchanged_are_each_said_with_a_reason():
    inv = [invoice("3")]
    fingerprint = summary_fingerprint(summarize_customer("3", inv, TODAY))
    result = plan(
        [LinkedPair("1", "a"), LinkedPair("2", "b"), LinkedPair("3", "c")],
        last={
            "b": LastNote(NOW - timedelta(hours=2), "x"),
            "c": LastNote(NOW - timedelta(days=3), fingerprint),
        },
        invoices={"2": [invoice("2")], "3": inv},
    )
    assert outcomes(result) == [
        ("no_open_invoices", "a"),
        ("throttled", "b"),
        ("unchanged", "c"),
    ]
    assert "next update after 2026-12-02 10:00 UTC" in result.entries[1]["reason"]
    assert result.counts == {"skipped": 2, "throttled": 1} and result.notes == []


def test_an_unchanged_summary_is_posted_when_the_workspace_asks_for_every_one():
    inv = [invoice("3")]
    fingerprint = summary_fingerprint(summarize_customer("3", inv, TODAY))
    result = plan(
        [LinkedPair("3", "c")],
        last={"c": LastNote(NOW - timedelta(days=3), fingerprint)},
        invoices={"3": inv},
        skip_unchanged=False,
    )
    assert len(result.notes) == 1


def test_an_unlinked_customer_with_open_invoices_is_named_even_without_a_name_on_its_invoices():
    result = plan([], invoices={"9": [invoice("9")]}, names={"9": "Harbor Freight"})
    assert outcomes(result) == [("not_linked", "9")]
    assert result.entries[0]["record_name"] == "Harbor Freight"
