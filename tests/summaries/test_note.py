"""The plain-text LACRM note: money formatting, golden files and the plain-text guarantees.

Golden files live in tests/summaries/golden/. The tests compare them exactly; after an intended
change to the note's wording, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/summaries/test_note.py -q

and review the diff (``git diff tests/summaries/golden``) before committing.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.records import InvoiceRecord
from summaries.note import FOOTER, format_date, format_money, format_note
from summaries.summarize import (
    CustomerSummary,
    group_open_invoices,
    summarize_customer,
    summary_fingerprint,
)
from tests.summaries.test_summarize import PROPERTY, TODAY, days, inv, summaries

D = Decimal
GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, note: str) -> None:
    """Compare ``note`` with golden/<name> exactly (or rewrite it when UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(note + "\n", encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it"
    assert note + "\n" == path.read_text(encoding="utf-8")


def assert_plain_text(note: str) -> None:
    """What LACRM shows as-is: no HTML, entities, Markdown tables or bold, tabs, or wide lines."""
    assert "<" not in note and ">" not in note
    assert not re.search(r"&#?\w+;", note)
    assert "|" not in note
    assert "**" not in note and "`" not in note
    assert "\t" not in note and "\r" not in note
    for line in note.split("\n"):
        assert line.isprintable(), repr(line)
        assert len(line) <= 100, repr(line)
        assert line == line.rstrip(), repr(line)


# --- money and dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("4250", "USD", "$4,250.00"),
        ("4250.00", "usd", "$4,250.00"),
        ("0", "USD", "$0.00"),
        ("0.5", "USD", "$0.50"),
        ("1234567.891", "USD", "$1,234,567.89"),
        ("0.005", "USD", "$0.01"),
        ("1200.5", "CAD", "CA$1,200.50"),
        ("1234.56", "EUR", "€1,234.56"),
        ("999.99", "GBP", "£999.99"),
        ("10", "AUD", "A$10.00"),
        ("1234.56", "XYZ", "1,234.56 XYZ"),
        ("1234.56", "CHF", "1,234.56 CHF"),
        ("-4250.00", "USD", "-$4,250.00"),
        ("-1200.5", "CAD", "-CA$1,200.50"),
        ("-1234.56", "XYZ", "-1,234.56 XYZ"),
        ("-0.001", "USD", "$0.00"),
        ("12.30", "", "12.30"),
    ],
)
def test_format_money(amount, currency, expected):
    assert format_money(D(amount), currency) == expected


@pytest.mark.parametrize("bad", [4250.0, 0.1 + 0.2, 4250, "4250.00"])
def test_format_money_refuses_anything_but_decimal(bad):
    with pytest.raises(TypeError, match="must be a Decimal"):
        format_money(bad, "USD")


def test_format_date_is_day_month_year_in_english():
    assert format_date(date(2026, 11, 21)) == "21 Nov 2026"
    assert format_date(date(2026, 1, 5)) == "5 Jan 2026"
    assert format_date(None) == "no date"


# --- golden files -----------------------------------------------------------------------------


def _typical_summary() -> CustomerSummary:
    """Acme: an overdue invoice, a partly paid job invoice and one due next month; one paid."""
    invoices = [
        inv("31", doc="1001", txn=date(2026, 10, 5), due=date(2026, 11, 4), total="1000.00"),
        inv(
            "32",
            doc="1000",
            txn=date(2026, 9, 1),
            due=date(2026, 10, 1),
            total="300.00",
            balance="0",
        ),
        InvoiceRecord(
            id="35",
            customer_id="11",  # a job of Acme: rolls up into Acme's note
            customer_name="Kitchen remodel",
            doc_number="1003",
            txn_date=date(2026, 10, 27),
            due_date=date(2026, 11, 26),
            total=D("2500.00"),
            balance=D("1250.00"),
        ),
        inv("37", doc="1005", txn=date(2026, 11, 16), due=date(2026, 12, 16), total="2000.00"),
    ]
    groups = group_open_invoices(invoices, {"11": "10"})
    return summarize_customer("10", groups["10"], TODAY)


def _thirty_invoices() -> list[InvoiceRecord]:
    invoices = []
    for n in range(30):
        issued = date(2026, 4, 1) + timedelta(days=8 * n)
        total = D(150 + 85 * n) + D("0.25") * (n % 4)
        balance = (total / 2).quantize(D("0.01")) if n % 5 == 0 else total
        invoices.append(
            inv(
                str(500 + n),
                doc=f"{2001 + n}" if n != 7 else "",  # one without a DocNumber shows as #507
                txn=issued,
                due=issued + timedelta(days=30),
                total=total,
                balance=balance,
            )
        )
    return invoices


def test_golden_typical_customer():
    note = format_note(_typical_summary(), as_of=TODAY, customer_name="Acme Corp")

    check_golden("typical.txt", note)
    assert_plain_text(note)


def test_golden_thirty_invoices_lists_25_and_counts_the_rest():
    invoices = _thirty_invoices()
    summary = summarize_customer("10", invoices, TODAY)

    note = format_note(summary, as_of=TODAY, customer_name="Globex Corporation")

    check_golden("thirty.txt", note)
    assert_plain_text(note)
    listed = [line for line in note.split("\n") if line.startswith("- ")]
    assert len(listed) == 25
    # The five newest are left out, and their balance is in the "+5 more" line.
    rest = sum((i.balance for i in invoices[25:]), D("0"))
    assert f"+5 more open invoices ({format_money(rest, 'USD')} due)" in note
    assert "- 2031," not in note and "- 2025," in note


def test_golden_two_currencies():
    invoices = [
        inv("41", doc="A-17", txn=date(2026, 9, 30), due=date(2026, 10, 30), total="4000.00"),
        inv(
            "42",
            doc="A-18",
            txn=date(2026, 10, 15),
            due=date(2026, 11, 14),
            total="1200.50",
            currency="CAD",
        ),
        inv("43", doc="A-19", txn=date(2026, 11, 1), due=date(2026, 12, 1), total="250.00"),
        inv(
            "44",
            doc="A-20",
            txn=date(2026, 11, 20),
            due=date(2026, 12, 20),
            total="980.00",
            balance="480.00",
            currency="CAD",
        ),
    ]
    summary = summarize_customer("10", invoices, TODAY, main_currency="USD")

    note = format_note(summary, as_of=TODAY, customer_name="Maple & Pine Ltd.")

    check_golden("two_currencies.txt", note)
    assert_plain_text(note.replace("&", "and"))
    assert "Open invoices in USD: 2, balance due $4,250.00" in note
    assert "Open invoices in CAD: 2, balance due CA$1,680.50" in note
    # Never summed across currencies: 4,250.00 + 1,680.50 appears nowhere.
    assert "5,930.50" not in note


# --- content rules ----------------------------------------------------------------------------


def test_note_order_heading_totals_status_invoices_footer():
    lines = format_note(_typical_summary(), as_of=TODAY).split("\n")

    assert lines[0] == "QuickBooks invoice summary - 21 Nov 2026"
    assert lines[1] == "Open invoices: 3, balance due $4,250.00"
    assert lines[2] == "Overdue: 1 invoice, $1,000.00, oldest 17 days past due"
    assert lines[3] == "Payment status: Overdue"
    assert [line.split(",")[0] for line in lines if line.startswith("- ")] == [
        "- 1001",
        "- 1003 (Kitchen remodel)",
        "- 1005",
    ]
    assert lines[-1] == FOOTER


def test_nothing_overdue_is_said_plainly():
    summary = summarize_customer("10", [inv(due=days(3)), inv("2", due=days(9))], TODAY)

    note = format_note(summary, as_of=TODAY)

    assert "Nothing overdue" in note
    assert "Payment status: Unpaid (not yet due)" in note


def test_as_of_is_the_heading_and_does_not_touch_the_fingerprint():
    summary = _typical_summary()

    monday = format_note(summary, as_of=date(2026, 11, 23))
    tuesday = format_note(summary, as_of=date(2026, 11, 24))

    assert monday.split("\n")[0].endswith("23 Nov 2026")
    assert monday.split("\n")[1:] == tuesday.split("\n")[1:]
    assert summary_fingerprint(summary) == summary_fingerprint(_typical_summary())


def test_exactly_max_lines_invoices_needs_no_more_line():
    summary = summarize_customer("10", _thirty_invoices()[:25], TODAY)

    note = format_note(summary, as_of=TODAY)

    assert sum(line.startswith("- ") for line in note.split("\n")) == 25
    assert "more open" not in note


def test_more_line_keeps_currencies_apart():
    invoices = [
        inv("1", due=days(1), total="10.00"),
        inv("2", due=days(2), total="20.00", currency="CAD"),
        inv("3", due=days(3), total="30.00", currency="CAD"),
    ]
    summary = summarize_customer("10", invoices, TODAY)

    note = format_note(summary, as_of=TODAY, max_lines=1)

    assert "+2 more open invoices (CA$50.00 due)" in note
    one_more = format_note(summarize_customer("10", invoices[:2], TODAY), as_of=TODAY, max_lines=0)
    assert "+2 more open invoices ($10.00 and CA$20.00 due)" in one_more


def test_quickbooks_text_is_shown_literally_not_escaped():
    # LACRM escapes HTML itself; escaping here would show "&amp;" to the reader.
    summary = summarize_customer("10", [inv(doc="R&D <7>", due=days(2))], TODAY)

    note = format_note(summary, as_of=TODAY, customer_name="Smith & Sons <Ltd>")

    assert "Customer: Smith & Sons <Ltd>" in note
    assert "- R&D <7>, " in note
    assert "&amp;" not in note and "&lt;" not in note


def test_control_characters_from_quickbooks_are_blanked():
    summary = summarize_customer("10", [inv(doc="10\t01\n", due=days(2))], TODAY)

    note = format_note(summary, as_of=TODAY, customer_name="Acme\r\nCorp\x00\u2028Inc")

    assert "Customer: Acme Corp Inc" in note
    assert "- 10 01, " in note
    assert_plain_text(note)


def test_job_name_is_shown_only_for_rolled_up_invoices():
    invoices = [
        InvoiceRecord(
            id="1",
            customer_id="10",
            customer_name="Acme",
            doc_number="7",
            total=D("5.00"),
            balance=D("5.00"),
        ),
        InvoiceRecord(
            id="2",
            customer_id="12",
            customer_name="Roof\trepair",
            doc_number="8",
            total=D("6.00"),
            balance=D("6.00"),
        ),
    ]
    summary = summarize_customer("10", invoices, TODAY)

    note = format_note(summary, as_of=TODAY)

    assert "- 7, " in note
    assert "- 8 (Roof repair), " in note


def test_missing_doc_number_shows_the_id():
    summary = summarize_customer("10", [inv("123", doc="", due=days(2))], TODAY)

    assert "- #123, " in format_note(summary, as_of=TODAY)


def test_wide_invoice_line_wraps_but_stays_one_bullet():
    big = "987654321012.34"
    summary = summarize_customer(
        "10",
        [inv("1", doc="X" * 21, due=days(-1234), total=big, balance="1.00", currency="CAD")],
        TODAY,
    )

    note = format_note(summary, as_of=TODAY)

    assert_plain_text(note)
    lines = note.split("\n")
    start = next(n for n, line in enumerate(lines) if line.startswith("- "))
    assert lines[start].startswith("- " + "X" * 21 + ", ")
    assert lines[start + 1] == "  Overdue 1234 days (partially paid)"
    assert sum(line.startswith("- ") for line in lines) == 1


def test_negative_max_lines_is_refused():
    with pytest.raises(ValueError, match="max_lines"):
        format_note(_typical_summary(), as_of=TODAY, max_lines=-1)


# --- properties -------------------------------------------------------------------------------

names = st.text(st.characters(exclude_characters="<>&|*`"), max_size=120)


@PROPERTY
@given(summaries(), names, st.integers(0, 30), st.dates(date(2024, 1, 1), date(2027, 12, 31)))
def test_any_note_stays_plain_text(summary, name, max_lines, as_of):
    assert_plain_text(format_note(summary, as_of=as_of, customer_name=name, max_lines=max_lines))


@PROPERTY
@given(summaries(), st.integers(0, 30))
def test_every_open_invoice_is_listed_or_counted(summary, max_lines):
    note = format_note(summary, as_of=TODAY, max_lines=max_lines)

    listed = sum(line.startswith("- ") for line in note.split("\n"))
    more = re.search(r"^\+(\d+) more open invoices? \(", note, re.MULTILINE)
    counted = int(more.group(1)) if more else 0
    assert listed == min(max_lines, summary.open_count)
    assert listed + counted == summary.open_count
    for totals in summary.totals:
        assert format_money(totals.balance_due, totals.currency) in note
