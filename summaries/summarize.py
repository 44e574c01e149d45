"""Invoice status and per-customer summaries: the pure core of "Update Invoice Summaries".

Plain functions over :class:`~integrations.records.InvoiceRecord` values: no database, no HTTP,
no clock. The caller passes ``today`` as the QuickBooks company's *local* date, because an invoice
due "today" in Vancouver is not overdue yet even when it is already tomorrow in UTC.

Amounts are :class:`~decimal.Decimal` throughout; a float (or any other type) where an amount is
expected raises :class:`TypeError` instead of silently rounding a customer's balance.

Status kinds (:class:`Status`), in order of precedence for one invoice:

* ``paid`` - Balance is 0 (or below): the invoice is not open and never appears in a summary.
* ``overdue`` - open and DueDate < today. Label "Overdue 17 days", plus " (partially paid)".
* ``due_today`` - open and DueDate == today. Label "Due today", plus " (partially paid)".
* ``partially_paid`` - open, not yet due (or no DueDate) and 0 < Balance < TotalAmt. Label
  "Due in 5 days (partially paid)", "Due tomorrow (partially paid)" or, without a DueDate,
  "Partially paid".
* ``unpaid`` - open, not yet due (or no DueDate), nothing paid. Label "Due in 5 days",
  "Due tomorrow" or, without a DueDate, "Unpaid".
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from integrations.records import InvoiceRecord

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
# Bump when the fingerprint payload changes shape, so old fingerprints never match new ones.
FINGERPRINT_VERSION = 1


class Status(StrEnum):
    """The headline state of one invoice (see the module docstring for the rules)."""

    PAID = "paid"
    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    PARTIALLY_PAID = "partially_paid"
    UNPAID = "unpaid"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class InvoiceStatus:
    """The status of one invoice on one day.

    ``days_overdue`` is 0 unless the invoice is overdue. ``days_until_due`` is the number of days
    left (0 when due today) for an open invoice that is not overdue, and ``None`` when it is paid,
    overdue or has no DueDate. ``partially_paid`` is kept even when ``kind`` is overdue.
    """

    kind: str
    label: str
    days_overdue: int = 0
    days_until_due: int | None = None
    partially_paid: bool = False

    @property
    def is_open(self) -> bool:
        return self.kind != Status.PAID

    @property
    def is_overdue(self) -> bool:
        return self.kind == Status.OVERDUE


@dataclass(frozen=True)
class CurrencyTotals:
    """The open-invoice figures of one customer in one currency (never summed across currencies).

    ``total_invoiced`` is the sum of TotalAmt of the *open* invoices; ``oldest_days_overdue`` is 0
    when nothing is overdue.
    """

    currency: str
    open_count: int
    balance_due: Decimal
    overdue_count: int
    overdue_total: Decimal
    oldest_days_overdue: int
    total_invoiced: Decimal
    partially_paid_count: int


@dataclass(frozen=True)
class CustomerSummary:
    """Everything the LACRM note says about one (root) customer's open invoices.

    ``totals`` has one entry per currency, the main currency first. ``invoices`` holds only open
    invoices, oldest first (DueDate, then TxnDate, then DocNumber; missing dates last).
    """

    customer_id: str
    totals: tuple[CurrencyTotals, ...]
    invoices: tuple[tuple[InvoiceRecord, InvoiceStatus], ...]
    payment_status: str

    @property
    def open_count(self) -> int:
        return len(self.invoices)


def require_decimal(value: object, what: str = "amount") -> Decimal:
    """Return ``value`` if it is a finite Decimal; raise otherwise.

    Floats are refused outright: ``0.1 + 0.2`` is not ``0.3`` and a balance must add up to the cent.
    """
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal, not {type(value).__name__} ({value!r})")
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite Decimal, not {value}")
    return value


def _check_invoice(invoice: InvoiceRecord) -> None:
    require_decimal(invoice.total, f"invoice {invoice.id} total")
    require_decimal(invoice.balance, f"invoice {invoice.id} balance")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def invoice_status(invoice: InvoiceRecord, today: date) -> InvoiceStatus:
    """Classify one invoice on ``today`` (the company's local date); see the module docstring."""
    _check_invoice(invoice)
    # A datetime is a date too, but "today" must already be the company's local calendar day;
    # guessing the timezone here would make "overdue" depend on the server's clock.
    if isinstance(today, datetime) or not isinstance(today, date):
        raise TypeError(f"today must be a date, not {type(today).__name__}")

    balance, total = invoice.balance, invoice.total
    if balance <= ZERO:
        return InvoiceStatus(kind=Status.PAID, label=str(Status.PAID.label))

    partially_paid = balance < total
    suffix = " (partially paid)" if partially_paid else ""
    due = invoice.due_date
    if due is None:
        kind = Status.PARTIALLY_PAID if partially_paid else Status.UNPAID
        return InvoiceStatus(kind=kind, label=str(kind.label), partially_paid=partially_paid)

    days = (due - today).days
    if days < 0:
        return InvoiceStatus(
            kind=Status.OVERDUE,
            label=f"Overdue {_plural(-days, 'day')}{suffix}",
            days_overdue=-days,
            partially_paid=partially_paid,
        )
    if days == 0:
        return InvoiceStatus(
            kind=Status.DUE_TODAY,
            label=f"Due today{suffix}",
            days_until_due=0,
            partially_paid=partially_paid,
        )
    when = "Due tomorrow" if days == 1 else f"Due in {days} days"
    return InvoiceStatus(
        kind=Status.PARTIALLY_PAID if partially_paid else Status.UNPAID,
        label=f"{when}{suffix}",
        days_until_due=days,
        partially_paid=partially_paid,
    )


def _id_order(value: str) -> tuple[int, str]:
    # QBO ids are numeric strings: "9" should come before "10".
    return (len(value), value)


def root_customer_id(customer_id: str, parent_of: Mapping[str, str]) -> str:
    """Follow ParentRef links up to the top-level customer.

    ``parent_of`` maps a sub-customer (job) id to its parent id; top-level customers are absent
    or map to ``""``. QBO allows four levels of jobs, but bad data (a cycle) must not hang a run:
    on a cycle the smallest id in the cycle is used, so every member of it rolls up to one key.
    """
    seen: list[str] = []
    current = customer_id
    while current not in seen:
        parent = parent_of.get(current, "")
        if not parent:
            return current
        seen.append(current)
        current = parent
    cycle = seen[seen.index(current) :]
    root = min(cycle, key=_id_order)
    logger.warning("Customer parent cycle %s; rolling up to %s", " -> ".join(cycle), root)
    return root


def group_open_invoices(
    invoices: Iterable[InvoiceRecord], parent_of: Mapping[str, str]
) -> dict[str, list[InvoiceRecord]]:
    """Group invoices with Balance > 0 by their *root* customer id (jobs roll up to the parent).

    Paid invoices are dropped; groups and the invoices inside them keep the input order.
    """
    groups: dict[str, list[InvoiceRecord]] = {}
    roots: dict[str, str] = {}
    for invoice in invoices:
        _check_invoice(invoice)
        if invoice.balance <= ZERO:
            continue
        root = roots.get(invoice.customer_id)
        if root is None:
            root = roots[invoice.customer_id] = root_customer_id(invoice.customer_id, parent_of)
        groups.setdefault(root, []).append(invoice)
    return groups


_DIGITS = re.compile(r"(\d+)")


def _natural(value: str) -> tuple[tuple[int, int, str], ...]:
    # DocNumbers are often numeric strings ("999" before "1000") but may carry prefixes ("INV-7").
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _DIGITS.split(value)
        if part
    )


def _age_key(invoice: InvoiceRecord) -> tuple:
    return (
        invoice.due_date or date.max,
        invoice.txn_date or date.max,
        _natural(invoice.doc_number),
        _id_order(invoice.id),
    )


def currency_code(invoice: InvoiceRecord) -> str:
    """The invoice's ISO currency code, upper-cased (QBO sends "USD"; be lenient with "usd")."""
    return (invoice.currency or "").strip().upper()


def _overall_status(statuses: Sequence[InvoiceStatus]) -> str:
    kinds = {s.kind for s in statuses}
    if Status.OVERDUE in kinds:
        return "Overdue"
    if Status.DUE_TODAY in kinds:
        return "Due today"
    if any(s.partially_paid for s in statuses):
        return "Partially paid"
    if all(s.days_until_due is not None for s in statuses):
        return "Unpaid (not yet due)"
    return "Unpaid"


def summarize_customer(
    customer_id: str,
    invoices: Sequence[InvoiceRecord],
    today: date,
    *,
    main_currency: str | None = None,
) -> CustomerSummary | None:
    """Summarize one root customer's open invoices on ``today``; ``None`` when nothing is open.

    ``invoices`` may include paid ones (they are ignored) and the invoices of sub-customers (as
    grouped by :func:`group_open_invoices`). ``main_currency`` (e.g. the customer's or company's
    currency) is listed first; without it, the currency with the most open invoices comes first,
    ties broken by code.
    """
    rows = [(inv, invoice_status(inv, today)) for inv in invoices]
    rows = [row for row in rows if row[1].is_open]
    if not rows:
        return None
    rows.sort(key=lambda row: _age_key(row[0]))

    by_currency: dict[str, list[tuple[InvoiceRecord, InvoiceStatus]]] = {}
    for row in rows:
        by_currency.setdefault(currency_code(row[0]), []).append(row)
    main = (main_currency or "").strip().upper()
    order = sorted(by_currency, key=lambda code: (code != main, -len(by_currency[code]), code))
    totals = tuple(_currency_totals(code, by_currency[code]) for code in order)

    return CustomerSummary(
        customer_id=customer_id,
        totals=totals,
        invoices=tuple(rows),
        payment_status=_overall_status([status for _, status in rows]),
    )


def _currency_totals(
    currency: str, rows: Sequence[tuple[InvoiceRecord, InvoiceStatus]]
) -> CurrencyTotals:
    overdue = [(inv, st) for inv, st in rows if st.is_overdue]
    return CurrencyTotals(
        currency=currency,
        open_count=len(rows),
        # Start from Decimal zero so an exact sum never passes through int or float.
        balance_due=sum((inv.balance for inv, _ in rows), ZERO),
        overdue_count=len(overdue),
        overdue_total=sum((inv.balance for inv, _ in overdue), ZERO),
        oldest_days_overdue=max((st.days_overdue for _, st in overdue), default=0),
        total_invoiced=sum((inv.total for inv, _ in rows), ZERO),
        partially_paid_count=sum(1 for _, st in rows if st.partially_paid),
    )


def _amount(value: Decimal) -> str:
    # 400, 400.0 and 400.00 are the same balance; only a different value is a change.
    return format(value.normalize(), "f") if value else "0"


def summary_fingerprint(summary: CustomerSummary) -> str:
    """A stable hash of a summary's figures, for "unchanged since the last note" detection.

    It covers the customer, every open invoice (id, number, dates, amounts, currency, status kind)
    and the per-currency totals, but not the day counts ("Overdue 17 days" tomorrow is
    "Overdue 18 days") nor the note's date heading: a summary only counts as changed when money
    moved, an invoice was added or closed, or an invoice changed state (e.g. became overdue).
    """
    payload = {
        "v": FINGERPRINT_VERSION,
        "customer": summary.customer_id,
        "invoices": [
            [
                inv.id,
                inv.doc_number,
                inv.txn_date.isoformat() if inv.txn_date else "",
                inv.due_date.isoformat() if inv.due_date else "",
                _amount(inv.total),
                _amount(inv.balance),
                currency_code(inv),
                str(status.kind),
                status.partially_paid,
            ]
            for inv, status in summary.invoices
        ],
        "totals": [
            [
                t.currency,
                t.open_count,
                _amount(t.balance_due),
                t.overdue_count,
                _amount(t.overdue_total),
                _amount(t.total_invoiced),
                t.partially_paid_count,
            ]
            for t in summary.totals
        ],
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()
