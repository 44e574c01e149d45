"""Planning seeded invoices: a realistic mix of paid, partially paid, unpaid and overdue ones.

Pure functions over plain data (no database), used by ``store.load_customers``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

CENT = Decimal("0.01")

# The first invoices of a load walk through every status, so even a small company shows all of
# them; with a fixed count per customer the statuses cycle through this list.
CANONICAL: list[tuple[str, int]] = [
    ("paid", 0),
    ("overdue", 3),
    ("unpaid", 12),
    ("partial", 0),
    ("overdue", 17),
    ("overdue", 45),
    ("partial_overdue", 30),
    ("overdue", 120),
    ("due_today", 0),
    ("paid", 0),
    ("unpaid", 25),
    ("overdue", 8),
]
# Past the canonical ones, about half of all invoices are paid, as in a real ledger.
_RANDOM_STATUSES = [("paid", 0)] * 10 + [
    ("unpaid", 5),
    ("unpaid", 18),
    ("unpaid", 26),
    ("partial", 0),
    ("overdue", 3),
    ("overdue", 17),
    ("overdue", 45),
    ("overdue", 120),
    ("overdue", 61),
    ("partial_overdue", 12),
]
_PRODUCTS = [
    "Consulting hours",
    "Bookkeeping (monthly)",
    "Website maintenance",
    "Design services",
    "Hardware",
    "Installation",
    "Training session",
    "Support plan",
]


@dataclass
class PlannedInvoice:
    """One invoice to insert, before Ids are known."""

    customer_index: int
    status: str
    txn_date: date
    due_date: date
    total: Decimal
    balance: Decimal
    lines: list[dict] = field(default_factory=list)
    customer_qbo_id: int = 0


def invoice_counts(
    customers: list[dict],
    parents: list[int | None],
    per_customer: int | None,
    rng: random.Random,
) -> list[int]:
    """How many invoices each customer gets: K each, or the demo mix."""
    if per_customer is not None:
        return [per_customer] * len(customers)
    counts = []
    for index, customer in enumerate(customers):
        if customer.get("Active") is False:
            counts.append(rng.choice([0, 0, 1]))
        elif parents[index] is not None:
            counts.append(rng.choice([1, 1, 2]))  # jobs are billed, that is why they exist
        else:
            counts.append(rng.choices([0, 1, 2, 3, 4], weights=[30, 25, 22, 14, 9])[0])
    return counts


def plan_invoice(
    customer_index: int,
    ordinal: int,
    today: date,
    rng: random.Random,
    *,
    inactive: bool,
    cycle: bool,
    forced: tuple[str, int] | None = None,
) -> PlannedInvoice:
    """Plan the ``ordinal``-th invoice of the load for one customer."""
    if forced is not None:
        status, days = forced
    elif inactive:
        status, days = "paid", 0
    elif cycle or ordinal < len(CANONICAL):
        status, days = CANONICAL[ordinal % len(CANONICAL)]
    else:
        status, days = rng.choice(_RANDOM_STATUSES)
    line_count = rng.choice([1, 1, 2, 3])
    lines = []
    total = Decimal("0")
    for _ in range(line_count):
        qty = rng.choice([1, 1, 2, 3, 5, 10])
        unit = (Decimal(rng.randint(2500, 90000)) / 100).quantize(CENT)
        amount = (unit * qty).quantize(CENT)
        total += amount
        lines.append(
            {
                "Amount": float(amount),
                "Description": rng.choice(_PRODUCTS),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "1", "name": "Services"},
                    "UnitPrice": float(unit),
                    "Qty": qty,
                },
            }
        )
    if status == "paid":
        due = today - timedelta(days=rng.randint(10, 300))
        balance = Decimal("0")
    elif status == "unpaid":
        due = today + timedelta(days=days)
        balance = total
    elif status == "due_today":
        due = today
        balance = total
    elif status == "partial":
        due = today + timedelta(days=rng.randint(4, 20))
        balance = (total * Decimal(rng.choice(["0.25", "0.4", "0.5", "0.6"]))).quantize(CENT)
    elif status == "partial_overdue":
        due = today - timedelta(days=days)
        balance = (total * Decimal(rng.choice(["0.3", "0.5", "0.75"]))).quantize(CENT)
    else:  # overdue
        due = today - timedelta(days=days)
        balance = total
    return PlannedInvoice(
        customer_index=customer_index,
        status=status,
        txn_date=due - timedelta(days=30),
        due_date=due,
        total=total,
        balance=balance,
        lines=lines,
    )


def pick_foreign_customer(customers: list[dict], parents: list[int | None]) -> int | None:
    """The demo mix bills one established top-level customer in CAD (a customer has one
    currency), unless the data already names currencies."""
    if any(c.get("CurrencyRef") for c in customers):
        return None
    candidates = [
        i
        for i, c in enumerate(customers)
        if parents[i] is None and c.get("Active") is not False and c.get("CompanyName")
    ]
    if not candidates:
        candidates = [i for i, c in enumerate(customers) if parents[i] is None]
    if not candidates:
        return None
    return candidates[min(3, len(candidates) - 1)]
