"""Invoice status, sub-customer roll-up, per-currency totals and the summary fingerprint."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from integrations.records import InvoiceRecord
from summaries.summarize import (
    CustomerSummary,
    Status,
    group_open_invoices,
    invoice_status,
    root_customer_id,
    summarize_customer,
    summary_fingerprint,
)

TODAY = date(2026, 11, 21)
D = Decimal
# No example database: it would write a .hypothesis folder into the shared tree.
PROPERTY = hsettings(max_examples=150, database=None)


def inv(
    id: str = "1",
    *,
    customer: str = "10",
    doc: str = "",
    txn: date | None = date(2026, 10, 1),
    due: date | None = None,
    total: str | Decimal = "100.00",
    balance: str | Decimal | None = None,
    currency: str = "USD",
) -> InvoiceRecord:
    """An invoice; amounts given as strings become exact Decimals, balance defaults to total."""
    total_d = D(total) if isinstance(total, str) else total
    balance_d = (
        total_d if balance is None else (D(balance) if isinstance(balance, str) else balance)
    )
    return InvoiceRecord(
        id=id,
        customer_id=customer,
        doc_number=doc,
        txn_date=txn,
        due_date=due,
        total=total_d,
        balance=balance_d,
        currency=currency,
    )


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


# --- invoice status -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "total", "balance", "kind", "label", "overdue", "until", "partial"),
    [
        (days(-30), "100.00", "0.00", Status.PAID, "Paid", 0, None, False),
        (None, "0.00", "0.00", Status.PAID, "Paid", 0, None, False),
        (None, "100.00", "100.00", Status.UNPAID, "Unpaid", 0, None, False),
        (None, "100.00", "40.00", Status.PARTIALLY_PAID, "Partially paid", 0, None, True),
        (days(0), "100.00", "100.00", Status.DUE_TODAY, "Due today", 0, 0, False),
        (days(0), "100.00", "0.01", Status.DUE_TODAY, "Due today (partially paid)", 0, 0, True),
        (days(1), "100.00", "100.00", Status.UNPAID, "Due tomorrow", 0, 1, False),
        (days(5), "100.00", "100.00", Status.UNPAID, "Due in 5 days", 0, 5, False),
        (
            days(5),
            "100.00",
            "99.99",
            Status.PARTIALLY_PAID,
            "Due in 5 days (partially paid)",
            0,
            5,
            True,
        ),
        (days(-1), "100.00", "100.00", Status.OVERDUE, "Overdue 1 day", 1, None, False),
        (days(-17), "100.00", "100.00", Status.OVERDUE, "Overdue 17 days", 17, None, False),
        (
            days(-17),
            "250.00",
            "125.00",
            Status.OVERDUE,
            "Overdue 17 days (partially paid)",
            17,
            None,
            True,
        ),
    ],
)
def test_invoice_status_table(due, total, balance, kind, label, overdue, until, partial):
    status = invoice_status(inv(due=due, total=total, balance=balance), TODAY)

    assert status.kind == kind
    assert status.label == label
    assert status.days_overdue == overdue
    assert status.days_until_due == until
    assert status.partially_paid is partial
    assert status.is_open is (kind != Status.PAID)


def test_invoice_due_today_becomes_overdue_the_next_local_day():
    invoice = inv(due=TODAY)

    assert invoice_status(invoice, TODAY).kind == Status.DUE_TODAY
    assert invoice_status(invoice, days(1)).label == "Overdue 1 day"
    assert invoice_status(invoice, days(-1)).label == "Due tomorrow"


def test_invoice_status_refuses_a_datetime_for_today():
    # "today" must be the company's local calendar date; a UTC datetime would shift by a day.
    with pytest.raises(TypeError, match="today must be a date"):
        invoice_status(inv(due=TODAY), datetime(2026, 11, 21, 23, 30))


@pytest.mark.parametrize("bad", [100.0, 0.1, 100, "100.00", None])
def test_non_decimal_amounts_are_rejected_everywhere(bad):
    as_total = InvoiceRecord(id="7", customer_id="10", total=bad, balance=D("1.00"))
    as_balance = InvoiceRecord(id="7", customer_id="10", total=D("1.00"), balance=bad)

    for invoice in (as_total, as_balance):
        with pytest.raises(TypeError, match="must be a Decimal"):
            invoice_status(invoice, TODAY)
        with pytest.raises(TypeError, match="invoice 7"):
            group_open_invoices([invoice], {})
        with pytest.raises(TypeError):
            summarize_customer("10", [invoice], TODAY)


def test_non_finite_decimal_is_rejected():
    with pytest.raises(ValueError, match="finite"):
        invoice_status(inv(total="100.00", balance=D("NaN")), TODAY)


# --- roll-up to the root customer -----------------------------------------------------------

PARENTS = {
    "11": "10",  # job of 10
    "12": "11",  # sub-job
    "13": "12",  # sub-sub-job
    "14": "13",  # fourth level, the deepest QBO allows
    "20": "",  # top-level customer listed with an empty ParentRef
}


@pytest.mark.parametrize(
    ("customer", "root"),
    [("10", "10"), ("11", "10"), ("12", "10"), ("13", "10"), ("14", "10"), ("20", "20")],
)
def test_root_customer_follows_parent_chain(customer, root):
    assert root_customer_id(customer, PARENTS) == root


def test_unknown_customer_is_its_own_root():
    assert root_customer_id("99", PARENTS) == "99"


def test_parent_cycle_ends_at_one_root_for_every_member(caplog):
    parents = {"5": "30", "30": "9", "9": "30", "7": "7"}

    with caplog.at_level(logging.WARNING, logger="summaries.summarize"):
        roots = {c: root_customer_id(c, parents) for c in ("5", "30", "9", "7")}

    # Ids compare numerically ("9" < "30"), so the cycle 30 <-> 9 rolls up to 9 from any side.
    assert roots == {"5": "9", "30": "9", "9": "9", "7": "7"}
    assert "cycle" in caplog.text


def test_group_open_invoices_rolls_jobs_up_and_skips_paid():
    invoices = [
        inv("1", customer="10", balance="100.00"),
        inv("2", customer="13", balance="50.00"),  # sub-sub-job of 10
        inv("3", customer="10", balance="0.00"),  # paid
        inv("4", customer="20", balance="10.00"),
        inv("5", customer="11", balance="0"),  # paid job invoice
        inv("6", customer="14", total="80.00", balance="20.00"),
    ]

    groups = group_open_invoices(invoices, PARENTS)

    assert {root: [i.id for i in group] for root, group in groups.items()} == {
        "10": ["1", "2", "6"],
        "20": ["4"],
    }


def test_group_open_invoices_is_empty_when_everything_is_paid():
    assert group_open_invoices([inv(balance="0.00"), inv("2", balance="0")], {}) == {}


# --- customer summary -------------------------------------------------------------------------


def test_summary_is_none_when_nothing_is_open():
    assert summarize_customer("10", [], TODAY) is None
    assert summarize_customer("10", [inv(balance="0.00")], TODAY) is None


def test_summary_totals_and_order_oldest_first():
    invoices = [
        inv("1", doc="1005", due=days(25), total="2000.00"),
        inv("2", doc="1001", due=days(-17), total="1000.00"),
        inv("3", doc="1003", due=days(5), total="2500.00", balance="1250.00"),
        inv("4", doc="1000", due=days(-40), total="300.00", balance="0.00"),  # paid
        inv("5", doc="1000", due=days(-3), total="70.00", balance="30.00"),
        inv("6", doc="999", due=None, total="5.00"),
    ]

    summary = summarize_customer("10", invoices, TODAY)

    assert summary is not None
    assert [i.doc_number for i, _ in summary.invoices] == ["1001", "1000", "1003", "1005", "999"]
    (usd,) = summary.totals
    assert usd.currency == "USD"
    assert usd.open_count == 5
    assert usd.balance_due == D("4285.00")
    assert usd.total_invoiced == D("5575.00")
    assert usd.overdue_count == 2
    assert usd.overdue_total == D("1030.00")
    assert usd.oldest_days_overdue == 17
    assert usd.partially_paid_count == 2
    assert summary.payment_status == "Overdue"


def test_same_due_date_orders_by_issue_date_then_natural_doc_number():
    invoices = [
        inv("1", doc="1000", txn=date(2026, 10, 2), due=days(3)),
        inv("2", doc="999", txn=date(2026, 10, 2), due=days(3)),
        inv("3", doc="INV-10", txn=date(2026, 10, 1), due=days(3)),
        inv("4", doc="INV-9", txn=date(2026, 10, 1), due=days(3)),
        inv("5", doc="", txn=None, due=days(3)),
    ]

    summary = summarize_customer("10", invoices, TODAY)

    assert [i.id for i, _ in summary.invoices] == ["4", "3", "2", "1", "5"]


def test_currencies_are_kept_apart_main_currency_first():
    invoices = [
        inv("1", total="100.00", currency="USD"),
        inv("2", total="200.00", currency="CAD", due=days(-2)),
        inv("3", total="300.00", currency="CAD"),
        inv("4", total="1.50", currency="cad"),
    ]

    summary = summarize_customer("10", invoices, TODAY)

    # CAD has the most open invoices; "cad" is the same currency as "CAD".
    assert [(t.currency, t.open_count, t.balance_due) for t in summary.totals] == [
        ("CAD", 3, D("501.50")),
        ("USD", 1, D("100.00")),
    ]
    assert summary.totals[0].overdue_total == D("200.00")
    assert summary.totals[1].overdue_count == 0
    assert summary.totals[1].oldest_days_overdue == 0

    chosen = summarize_customer("10", invoices, TODAY, main_currency="usd")
    assert [t.currency for t in chosen.totals] == ["USD", "CAD"]


def test_decimal_sums_are_exact():
    invoices = [inv(str(n), total="0.10") for n in range(10)] + [inv("x", total="0.20")]

    summary = summarize_customer("10", invoices, TODAY)

    # Ten 0.1 floats add up to 0.9999999999999999; Decimals add up to the cent.
    assert summary.totals[0].balance_due == D("1.20")
    assert summary.totals[0].balance_due == D("0.1") * 10 + D("0.2")
    assert isinstance(summary.totals[0].overdue_total, Decimal)


@pytest.mark.parametrize(
    ("invoices", "expected"),
    [
        ([inv(due=days(-1)), inv("2", due=days(0))], "Overdue"),
        ([inv(due=days(0)), inv("2", due=days(3), balance="1.00")], "Due today"),
        ([inv(due=days(9)), inv("2", due=None, balance="1.00")], "Partially paid"),
        ([inv(due=days(9)), inv("2", due=days(1))], "Unpaid (not yet due)"),
        ([inv(due=days(9)), inv("2", due=None)], "Unpaid"),
    ],
)
def test_overall_payment_status(invoices, expected):
    assert summarize_customer("10", invoices, TODAY).payment_status == expected


# --- fingerprint ------------------------------------------------------------------------------


def _typical() -> list[InvoiceRecord]:
    return [
        inv("1", doc="1001", due=days(-17), total="1000.00"),
        inv("2", doc="1003", due=days(5), total="2500.00", balance="1250.00"),
        inv("3", doc="1005", due=days(25), total="2000.00"),
    ]


def test_fingerprint_changes_when_a_balance_changes():
    before = summarize_customer("10", _typical(), TODAY)
    paid_some = _typical()
    paid_some[1] = inv("2", doc="1003", due=days(5), total="2500.00", balance="1249.99")

    after = summarize_customer("10", paid_some, TODAY)

    assert len(summary_fingerprint(before)) == 64
    assert summary_fingerprint(after) != summary_fingerprint(before)


def test_fingerprint_ignores_the_passing_days_and_input_order():
    # Two days later every day count moved ("Overdue 19 days", "Due in 3 days"), no money did.
    today = summarize_customer("10", _typical(), TODAY)
    later = summarize_customer("10", list(reversed(_typical())), days(2))

    assert today.invoices[0][1].label != later.invoices[0][1].label
    assert summary_fingerprint(later) == summary_fingerprint(today)


def test_fingerprint_changes_when_an_invoice_becomes_overdue():
    today = summarize_customer("10", _typical(), TODAY)
    after_due_date = summarize_customer("10", _typical(), days(6))

    assert summary_fingerprint(after_due_date) != summary_fingerprint(today)


def test_fingerprint_treats_equal_amounts_as_equal():
    plain = summarize_customer("10", [inv(total="400", due=days(3))], TODAY)
    cents = summarize_customer("10", [inv(total="400.00", due=days(3))], TODAY)

    assert summary_fingerprint(plain) == summary_fingerprint(cents)


def test_fingerprint_differs_between_customers():
    assert summary_fingerprint(summarize_customer("10", _typical(), TODAY)) != summary_fingerprint(
        summarize_customer("11", _typical(), TODAY)
    )


# --- properties -------------------------------------------------------------------------------

CURRENCIES = ["USD", "CAD", "EUR", "GBP", "CHF", "usd"]


@st.composite
def invoice_records(draw, customers=("10", "11", "12")) -> InvoiceRecord:
    """An arbitrary invoice: exact cents, balance anywhere from paid to unpaid, dates or none."""
    total = draw(st.decimals(D("0.01"), D("1000000000"), places=2))
    balance = draw(
        st.one_of(st.just(D("0.00")), st.just(total), st.decimals(D("0.01"), total, places=2))
    )
    txn = draw(st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2027, 12, 31))))
    due = draw(st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2027, 12, 31))))
    return InvoiceRecord(
        id=str(draw(st.integers(1, 10**6))),
        customer_id=draw(st.sampled_from(customers)),
        doc_number=draw(
            st.text(st.characters(codec="ascii", exclude_characters="<>&|*`"), max_size=8)
        ),
        txn_date=txn,
        due_date=due,
        total=total,
        balance=balance,
        currency=draw(st.sampled_from(CURRENCIES)),
        customer_name=draw(st.text(st.characters(exclude_characters="<>&|*`"), max_size=60)),
    )


def summaries(max_size: int = 40) -> st.SearchStrategy[CustomerSummary]:
    """Summaries of non-empty open-invoice lists, on a random day."""
    open_invoices = invoice_records().filter(lambda i: i.balance > 0)
    return st.builds(
        lambda invoices, today: summarize_customer("10", invoices, today),
        st.lists(open_invoices, min_size=1, max_size=max_size),
        st.dates(date(2024, 1, 1), date(2027, 12, 31)),
    )


@PROPERTY
@given(st.lists(invoice_records(), max_size=30), st.dates(date(2024, 1, 1), date(2027, 12, 31)))
def test_totals_equal_the_sum_of_open_balances_per_currency(invoices, today):
    summary = summarize_customer("10", invoices, today)

    open_invoices = [i for i in invoices if i.balance > 0]
    if not open_invoices:
        assert summary is None
        return
    expected: dict[str, Decimal] = {}
    for i in open_invoices:
        code = i.currency.upper()
        expected[code] = expected.get(code, D("0")) + i.balance
    assert {t.currency: t.balance_due for t in summary.totals} == expected
    assert sum(t.open_count for t in summary.totals) == len(open_invoices) == summary.open_count
    for t in summary.totals:
        assert D("0") <= t.overdue_total <= t.balance_due <= t.total_invoiced
        assert t.overdue_count <= t.open_count
        assert (t.oldest_days_overdue > 0) is (t.overdue_count > 0)
    keys = [(i.due_date or date.max, i.txn_date or date.max) for i, _ in summary.invoices]
    assert keys == sorted(keys)


@PROPERTY
@given(st.lists(invoice_records(customers=("10", "11", "12", "13", "20")), max_size=30))
def test_grouping_keeps_every_open_invoice_exactly_once(invoices):
    groups = group_open_invoices(invoices, PARENTS)

    open_invoices = [i for i in invoices if i.balance > 0]
    assert set(groups) <= {"10", "20"}
    for root, group in groups.items():
        # Each group keeps the input order, and nothing is lost or counted twice.
        assert group == [
            i for i in open_invoices if root_customer_id(i.customer_id, PARENTS) == root
        ]
    assert sum(len(group) for group in groups.values()) == len(open_invoices)
