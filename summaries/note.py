"""The plain-text LACRM note for one customer's invoice summary.

LACRM shows notes as plain text: it escapes HTML and Markdown (so ``<b>`` or ``**`` would be shown
literally) and keeps newlines. The note is therefore lines of text joined with ``\\n``, "- "
bullets, no tabs and no tables, every line at most :data:`MAX_LINE` characters. Text that comes
from QuickBooks (customer name, DocNumber) is *not* HTML-escaped here - LACRM does that, and
escaping twice would show "&amp;" to the reader - but control characters are blanked out.

Example (dates are "21 Nov 2026" everywhere)::

    QuickBooks invoice summary - 21 Nov 2026
    Customer: Acme Corp
    Open invoices: 3, balance due $4,250.00
    Overdue: 1 invoice, $1,000.00, oldest 17 days past due
    Payment status: Overdue

    Open invoices, oldest first (number, issued, due, total, balance, status):
    - 1001, 5 Oct 2026, due 4 Nov 2026, $1,000.00, balance $1,000.00, Overdue 17 days
    ...

    Sent by LedgerLink from QuickBooks Online
"""

from __future__ import annotations

import logging
import textwrap
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from integrations.records import InvoiceRecord
from summaries.summarize import (
    CurrencyTotals,
    CustomerSummary,
    InvoiceStatus,
    currency_code,
    require_decimal,
)

logger = logging.getLogger(__name__)

MAX_LINE = 100
# QBO caps DocNumber at 21 characters; a longer one is bad data and would only push lines apart.
MAX_DOC_NUMBER = 21
MAX_NAME = 80
MAX_JOB_NAME = 40
FOOTER = "Sent by LedgerLink from QuickBooks Online"

# Prefix symbols for the currencies our users mostly bill in; any other code is written after
# the number ("1,234.56 CHF") rather than guessing a symbol that could be read as dollars.
CURRENCY_SYMBOLS = {
    "USD": "$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "EUR": "€",
    "GBP": "£",
}
_CENT = Decimal("0.01")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_money(amount: Decimal, currency: str) -> str:
    """Format an amount for people: "$4,250.00", "CA$1,200.50", "-€3.10", "1,234.56 CHF".

    Rounded half-up to cents for display only; the figures themselves stay exact.
    """
    require_decimal(amount)
    cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""  # A rounded "-0.00" is shown as "0.00".
    number = f"{abs(cents):,.2f}"
    code = _code(currency)
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol is not None:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code}" if code else f"{sign}{number}"


def format_date(value: date | None) -> str:
    """Format a date as "5 Oct 2026" (English month names, independent of the server locale)."""
    if value is None:
        return "no date"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _clean(text: str) -> str:
    # Tabs, newlines and other non-printable characters from QuickBooks data would break the
    # one-line-per-item layout; blank them and squeeze the spaces.
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _code(currency: str) -> str:
    # ISO codes are three letters; anything longer is bad data, shown but kept short.
    return _cut(_clean(currency or "").upper(), 10)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def invoice_number(invoice: InvoiceRecord) -> str:
    """The number a person knows the invoice by: its DocNumber, else "#<Id>"."""
    number = _cut(_clean(invoice.doc_number), MAX_DOC_NUMBER)
    return number or f"#{_cut(_clean(invoice.id), MAX_DOC_NUMBER)}"


def _totals_lines(totals: CurrencyTotals, several: bool) -> list[str]:
    code = totals.currency
    label = _code(code) or "no currency"
    money = format_money(totals.balance_due, code)
    if several:
        open_line = f"Open invoices in {label}: {totals.open_count}, balance due {money}"
    else:
        open_line = f"Open invoices: {totals.open_count}, balance due {money}"
    if not totals.overdue_count:
        return [open_line, f"Nothing overdue in {label}" if several else "Nothing overdue"]
    overdue = (
        f"{_plural(totals.overdue_count, 'invoice')}, "
        f"{format_money(totals.overdue_total, code)}, "
        f"oldest {_plural(totals.oldest_days_overdue, 'day')} past due"
    )
    return [open_line, f"Overdue in {label}: {overdue}" if several else f"Overdue: {overdue}"]


def _invoice_line(invoice: InvoiceRecord, status: InvoiceStatus, root_id: str) -> list[str]:
    code = currency_code(invoice)
    number = invoice_number(invoice)
    job = _cut(_clean(invoice.customer_name), MAX_JOB_NAME)
    if job and invoice.customer_id != root_id:
        # A sub-customer's (job's) invoice rolled up into this note: say which job it is for.
        number = f"{number} ({job})"
    head = (
        f"- {number}, {format_date(invoice.txn_date)}, "
        f"due {format_date(invoice.due_date)}, {format_money(invoice.total, code)}, "
        f"balance {format_money(invoice.balance, code)}"
    )
    line = f"{head}, {status.label}"
    if len(line) <= MAX_LINE:
        return [line]
    # Too wide (long number, huge amounts): the status goes on an indented line of its own, so
    # every line that starts with "- " is still exactly one invoice.
    return [*_wrap(head, indent="  "), *_wrap(status.label, first="  ", indent="  ")]


def _more_line(rest: list[tuple[InvoiceRecord, InvoiceStatus]]) -> str:
    sums: dict[str, Decimal] = {}
    for invoice, _ in rest:
        code = currency_code(invoice)
        sums[code] = sums.get(code, Decimal("0")) + invoice.balance
    money = " and ".join(format_money(amount, code) for code, amount in sums.items())
    return f"+{len(rest)} more open {'invoice' if len(rest) == 1 else 'invoices'} ({money} due)"


def _wrap(text: str, *, first: str = "", indent: str = "  ") -> list[str]:
    return textwrap.wrap(
        text,
        width=MAX_LINE,
        initial_indent=first,
        subsequent_indent=indent,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def format_note(
    summary: CustomerSummary, *, as_of: date, customer_name: str = "", max_lines: int = 25
) -> str:
    """Render the LACRM note for ``summary`` as plain text (see the module docstring).

    ``as_of`` is the date in the heading (the company's local date the summary was made for).
    At most ``max_lines`` invoices are listed, oldest first; the rest are counted in a final
    "+N more open invoices (...)" line with their balance per currency.
    """
    if max_lines < 0:
        raise ValueError("max_lines must be 0 or more")
    lines = [f"QuickBooks invoice summary - {format_date(as_of)}"]
    name = _cut(_clean(customer_name), MAX_NAME)
    if name:
        lines.append(f"Customer: {name}")
    several = len(summary.totals) > 1
    for totals in summary.totals:
        lines.extend(_totals_lines(totals, several))
    lines.append(f"Payment status: {summary.payment_status}")

    lines.append("")
    lines.append("Open invoices, oldest first (number, issued, due, total, balance, status):")
    shown, rest = summary.invoices[:max_lines], list(summary.invoices[max_lines:])
    for invoice, status in shown:
        lines.extend(_invoice_line(invoice, status, summary.customer_id))
    if rest:
        lines.extend(_wrap(_more_line(rest)))

    lines.append("")
    lines.append(FOOTER)
    # The header lines hold bounded text already; wrapping them is the last guard on the width.
    out: list[str] = []
    for line in lines:
        out.extend(_wrap(line) if len(line) > MAX_LINE else [line])
    return "\n".join(out)
