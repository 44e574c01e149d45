"""Bulk-loading customers and their invoices with Postgres COPY (20,000 in a few seconds).

The rows are validated like API creates (names, lengths, e-mail, unique DisplayName), Ids are
reserved in one step, balances are summed in Python, and both tables are filled with one COPY
each, skipping the ORM's per-object overhead.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.sandbox.qbo import seeding
from integrations.sandbox.qbo.counters import allocate_ids
from integrations.sandbox.qbo.faults import QboFault
from integrations.sandbox.qbo.invoices import CENT, exchange_rate, next_doc_number
from integrations.sandbox.qbo.models import SandboxQboCompany, SandboxQboInvoice, SandboxQboName
from integrations.sandbox.qbo.names import (
    COMPUTED_KEYS,
    MAX_LEVEL,
    build_display_name,
    clean,
    validate,
)

FOREIGN_CURRENCY = "CAD"
NULL = r"\N"


def _cell(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY rows (values in ``columns`` order) into the model's table; returns the count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        count += 1
    if not count:
        return 0
    buffer.seek(0)
    fields = [model._meta.get_field(name).column for name in columns]
    quoted = ", ".join(connection.ops.quote_name(f) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {table} ({quoted}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
        )
    return count


@dataclass
class _Customer:
    name: str
    data: dict
    parent: int | None
    level: int
    active: bool
    currency: str
    fqn: str = ""
    balance: Decimal = Decimal("0")
    with_jobs: Decimal = Decimal("0")


def _parents(customers: list[dict]) -> list[int | None]:
    parents: list[int | None] = []
    for index, customer in enumerate(customers):
        parent = customer.get("_parent_index")
        if parent is not None and (not 0 <= int(parent) < len(customers) or parent == index):
            raise ValueError(f"customer {index}: _parent_index {parent} is out of range")
        parents.append(None if parent is None else int(parent))
    return parents


def _levels(parents: list[int | None]) -> list[int]:
    levels: list[int | None] = [None] * len(parents)

    def level_of(index: int, depth: int = 0) -> int:
        if depth > MAX_LEVEL:
            raise ValueError(f"customer {index}: sub-customers nest at most {MAX_LEVEL} deep")
        if levels[index] is None:
            parent = parents[index]
            levels[index] = 0 if parent is None else level_of(parent, depth + 1) + 1
        return levels[index]  # type: ignore[return-value]

    return [level_of(i) for i in range(len(parents))]


def _prepare(company: SandboxQboCompany, customers: list[dict]) -> list[_Customer]:
    """Validate like the API would; resolve names, parents, levels and currencies."""
    parents = _parents(customers)
    levels = _levels(parents)
    prepared: list[_Customer] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(customers):
        payload = clean({k: v for k, v in raw.items() if not k.startswith("_")})
        data = {k: v for k, v in payload.items() if k not in COMPUTED_KEYS}
        name = str(payload.get("DisplayName") or build_display_name(data)).strip()
        try:
            validate("Customer", name, data)
        except QboFault as fault:
            raise ValueError(f"customer {index}: {fault.message}: {fault.detail}") from None
        if name.lower() in seen:
            raise ValueError(f"customer {index}: DisplayName {name!r} repeats {seen[name.lower()]}")
        seen[name.lower()] = index
        ref = payload.get("CurrencyRef")
        currency = str(ref["value"]).upper() if isinstance(ref, dict) and ref.get("value") else ""
        prepared.append(
            _Customer(
                name=name,
                data=data,
                parent=parents[index],
                level=levels[index],
                active=raw.get("Active") is not False,
                currency=currency,
            )
        )
    taken = set(
        SandboxQboName.objects.filter(company=company)
        .annotate(lower_name=Lower("display_name"))
        .filter(lower_name__in=list(seen))
        .values_list("lower_name", flat=True)
    )
    if taken:
        raise ValueError(f"DisplayName(s) already used in this company: {sorted(taken)[:5]}")
    return prepared


def _settle_tree(company: SandboxQboCompany, rows: list[_Customer], demo: bool) -> int | None:
    """Full names and currencies, parents before jobs; returns the demo's foreign customer."""
    foreign = None
    if demo and not any(row.currency for row in rows):
        candidates = [{"CompanyName": r.data.get("CompanyName"), "Active": r.active} for r in rows]
        foreign = seeding.pick_foreign_customer(candidates, [r.parent for r in rows])
        if foreign is not None:
            rows[foreign].currency = FOREIGN_CURRENCY
    for row in sorted(rows, key=lambda r: r.level):
        if row.parent is None:
            row.fqn = row.name
            row.currency = row.currency or company.home_currency
        else:
            parent = rows[row.parent]
            row.fqn = f"{parent.fqn}:{row.name}"
            row.currency = row.currency or parent.currency  # jobs bill in the parent's currency
    return foreign


def _plan(
    rows: list[_Customer],
    per_customer: int | None,
    foreign: int | None,
    today: date,
    rng: random.Random,
) -> list[seeding.PlannedInvoice]:
    raw = [{"Active": r.active} for r in rows]
    counts = seeding.invoice_counts(raw, [r.parent for r in rows], per_customer, rng)
    if foreign is not None:
        counts[foreign] = max(counts[foreign], 2)
    planned = []
    for index, count in enumerate(counts):
        for nth in range(count):
            forced = None
            if index == foreign:
                forced = [("overdue", 17), ("unpaid", 12), ("paid", 0)][min(nth, 2)]
            planned.append(
                seeding.plan_invoice(
                    index,
                    len(planned),
                    today,
                    rng,
                    inactive=not rows[index].active,
                    cycle=per_customer is not None,
                    forced=forced,
                )
            )
    return planned


INVOICE_COLUMNS = (
    "company",
    "qbo_id",
    "sync_token",
    "customer_qbo_id",
    "doc_number",
    "txn_date",
    "due_date",
    "total_amt",
    "balance",
    "currency",
    "data",
    "created_at",
    "updated_at",
)
NAME_COLUMNS = (
    "company",
    "entity",
    "qbo_id",
    "sync_token",
    "display_name",
    "active",
    "parent_qbo_id",
    "level",
    "fully_qualified_name",
    "balance",
    "balance_with_jobs",
    "currency",
    "data",
    "created_at",
    "updated_at",
)


def _invoice_tuples(
    company: SandboxQboCompany,
    rows: list[_Customer],
    planned: list[seeding.PlannedInvoice],
    first_id: int,
    today: date,
    rng: random.Random,
) -> Iterator[tuple]:
    """COPY rows for the planned invoices, Ids from ``first_id`` on."""
    doc = int(next_doc_number(company))
    tz = company.tzinfo
    for offset, plan in enumerate(planned):
        customer = rows[plan.customer_index]
        rate = exchange_rate(company.home_currency, customer.currency)
        email = (customer.data.get("PrimaryEmailAddr") or {}).get("Address")
        paid_some = plan.balance < plan.total
        lines = [{**line, "Id": str(n), "LineNum": n} for n, line in enumerate(plan.lines, 1)]
        lines.append(
            {
                "Amount": float(plan.total),
                "DetailType": "SubTotalLineDetail",
                "SubTotalLineDetail": {},
            }
        )
        data: dict = {
            "Line": lines,
            "SalesTermRef": {"value": "3", "name": "Net 30"},
            "EmailStatus": "EmailSent" if email else "NotSet",
            "PrintStatus": "NotSet" if email else "NeedToPrint",
            "HomeTotalAmt": float((plan.total * rate).quantize(CENT)),
            "LinkedTxn": (
                [{"TxnId": str(900000 + first_id + offset), "TxnType": "Payment"}]
                if paid_some
                else []
            ),
        }
        if email:
            data["BillEmail"] = {"Address": email}
        if customer.currency != company.home_currency:
            data["ExchangeRate"] = float(rate)
        created = datetime.combine(plan.txn_date, time(9, 30), tz) + timedelta(
            minutes=rng.randint(0, 480)
        )
        paid_on = min(today, plan.due_date) if paid_some else plan.txn_date
        updated = max(created, datetime.combine(paid_on, time(15, 0), tz))
        yield (
            company.pk,
            first_id + offset,
            1 if paid_some else 0,
            plan.customer_qbo_id,
            str(doc + offset),
            plan.txn_date,
            plan.due_date,
            plan.total,
            plan.balance,
            customer.currency,
            data,
            created,
            updated,
        )


def load(
    company: SandboxQboCompany,
    customers: list[dict],
    *,
    invoices_per_customer: int | None,
    today: date | None,
    seed: int,
) -> tuple[int, int]:
    """Insert customers and invoices (the caller holds a transaction); returns both counts."""
    rng = random.Random(seed)
    today = today or company.today()
    rows = _prepare(company, customers)
    foreign = _settle_tree(company, rows, demo=invoices_per_customer is None)
    planned = _plan(rows, invoices_per_customer, foreign, today, rng)
    first_id = allocate_ids(company, len(rows) + len(planned))
    for plan in planned:
        plan.customer_qbo_id = first_id + plan.customer_index
        customer = rows[plan.customer_index]
        customer.balance += plan.balance
        current: int | None = plan.customer_index
        while current is not None:
            rows[current].with_jobs += plan.balance
            current = rows[current].parent
    now = timezone.now()

    def name_tuples():
        for index, row in enumerate(rows):
            created = now - timedelta(days=rng.randint(30, 900), seconds=rng.randint(0, 86399))
            yield (
                company.pk,
                SandboxQboName.Entity.CUSTOMER.value,
                first_id + index,
                0,
                row.name,
                row.active,
                None if row.parent is None else first_id + row.parent,
                row.level,
                row.fqn,
                row.balance,
                row.with_jobs,
                row.currency,
                row.data,
                created,
                created + timedelta(days=rng.randint(0, 25)),
            )

    names = copy_rows(SandboxQboName, NAME_COLUMNS, name_tuples())
    invoice_first = first_id + len(rows)
    invoices = copy_rows(
        SandboxQboInvoice,
        INVOICE_COLUMNS,
        _invoice_tuples(company, rows, planned, invoice_first, today, rng),
    )
    return names, invoices
