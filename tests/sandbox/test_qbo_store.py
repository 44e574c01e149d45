"""The sandbox QBO store: companies, bulk loading with invoices, demo seeding, fast paging."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from quickbooks.objects.customer import Customer

from integrations.sandbox.qbo.models import SandboxQboInvoice, SandboxQboName
from integrations.sandbox.qbo.store import (
    add_name,
    company_for_workspace,
    create_company,
    customer_dicts,
    invoice_dicts,
    load_customers,
)

TODAY = date(2026, 3, 15)


def _people(count: int, prefix: str = "Person") -> list[dict]:
    return [
        {
            "GivenName": f"{prefix}{i}",
            "FamilyName": "Example",
            "PrimaryEmailAddr": {"Address": f"{prefix.lower()}{i}@example.com"},
        }
        for i in range(count)
    ]


def _status(invoice: SandboxQboInvoice) -> str:
    if invoice.balance == 0:
        return "paid"
    if invoice.due_date < TODAY:
        return f"overdue {(TODAY - invoice.due_date).days}"
    if invoice.balance < invoice.total_amt:
        return "partial"
    return "unpaid"


def _assert_balances_consistent(company) -> None:
    names = {n.qbo_id: n for n in SandboxQboName.objects.filter(company=company)}
    own: dict[int, Decimal] = defaultdict(Decimal)
    for invoice in SandboxQboInvoice.objects.filter(company=company):
        own[invoice.customer_qbo_id] += invoice.balance
    with_jobs: dict[int, Decimal] = defaultdict(Decimal)
    for qbo_id, amount in own.items():
        current = qbo_id
        while current is not None:
            with_jobs[current] += amount
            current = names[current].parent_qbo_id
    for qbo_id, row in names.items():
        assert row.balance == own[qbo_id], row
        assert row.balance_with_jobs == with_jobs[qbo_id], row


def test_create_company_gives_a_long_digit_realm_and_a_sandbox_name(db, alice):
    workspace = alice.memberships.get().workspace
    company = create_company(workspace=workspace, seed_demo=False)
    assert re.fullmatch(r"\d{16}", company.realm_id)
    assert re.fullmatch(r"Sandbox Company US [0-9a-f]{4}", company.name)
    assert company_for_workspace(workspace) == company
    assert company_for_workspace(None) is None


def test_demo_seeding_loads_customers_and_a_realistic_invoice_mix(db):
    company = create_company(seed_demo=True)
    customers = customer_dicts(company)
    assert len(customers) > 20
    invoices = SandboxQboInvoice.objects.filter(company=company)
    assert invoices.filter(balance=0).exists()
    assert invoices.filter(balance__gt=0, due_date__lt=company.today()).exists()
    assert invoices.exclude(currency="USD").count() >= 2
    foreign = set(invoices.exclude(currency="USD").values_list("customer_qbo_id", flat=True))
    assert len(foreign) == 1
    _assert_balances_consistent(company)


def test_load_with_a_fixed_count_cycles_through_every_status(db):
    company = create_company(seed_demo=False)
    loaded = load_customers(company, _people(6), invoices_per_customer=2, today=TODAY)
    assert loaded == 6
    invoices = list(SandboxQboInvoice.objects.filter(company=company).order_by("qbo_id"))
    assert len(invoices) == 12
    statuses = {_status(i) for i in invoices}
    assert {
        "paid",
        "partial",
        "unpaid",
        "overdue 3",
        "overdue 17",
        "overdue 45",
        "overdue 120",
    } <= statuses
    assert len({i.doc_number for i in invoices}) == 12
    _assert_balances_consistent(company)


def test_sub_customers_inactive_and_currency(db):
    company = create_company(seed_demo=False)
    load_customers(
        company,
        [
            {"DisplayName": "Maple Leaf Ltd", "CurrencyRef": {"value": "CAD"}},
            {"DisplayName": "Maple Job", "_parent_index": 0},
            {"DisplayName": "Maple Job Phase 2", "_parent_index": 1},
            {"DisplayName": "Retired Customer", "Active": False},
        ],
        invoices_per_customer=1,
        today=TODAY,
    )
    rows = {row["DisplayName"]: row for row in customer_dicts(company)}
    assert (
        rows["Maple Job Phase 2"]["FullyQualifiedName"]
        == "Maple Leaf Ltd:Maple Job:Maple Job Phase 2"
    )
    assert rows["Maple Job Phase 2"]["Level"] == 2
    assert rows["Maple Job"]["CurrencyRef"]["value"] == "CAD"  # jobs bill in the parent's currency
    assert rows["Retired Customer"]["Active"] is False
    cad = [inv for inv in invoice_dicts(company) if inv["CurrencyRef"]["value"] == "CAD"]
    assert len(cad) == 3 and all(inv["ExchangeRate"] == 0.73 for inv in cad)
    _assert_balances_consistent(company)


def test_load_refuses_names_that_clash(db):
    company = create_company(seed_demo=False)
    add_name(company, "Vendor", "Taken Inc")
    with pytest.raises(ValueError, match="already used"):
        load_customers(company, [{"DisplayName": "taken inc"}])
    with pytest.raises(ValueError, match="repeats"):
        load_customers(company, [{"DisplayName": "Twin"}, {"DisplayName": "TWIN"}])
    assert not SandboxQboName.objects.filter(company=company, entity="Customer").exists()


def test_paging_2500_customers_through_the_library(sandbox, qbo_company, qbo):
    started = time.perf_counter()
    people = _people(2500)
    for i in range(0, 2500, 100):
        people[i]["Active"] = False  # 25 inactive ones the default query leaves out
    load_customers(qbo_company, people, invoices_per_customer=1)
    loaded = time.perf_counter() - started

    started = time.perf_counter()
    seen: list[str] = []
    position = 1
    while True:
        page = Customer.where("", order_by="Id", start_position=position, max_results=1000, qb=qbo)
        seen.extend(c.Id for c in page)
        if len(page) < 1000:
            break
        position += 1000
    paged = time.perf_counter() - started
    print(f"\nload 2,500 customers + invoices: {loaded:.2f}s; paging 3 pages: {paged:.2f}s")
    assert len(seen) == len(set(seen)) == 2475
    assert seen == sorted(seen, key=int)
    assert Customer.count("Active IN (true, false)", qb=qbo) == 2500


def test_invoice_dates_are_relative_to_today(db):
    company = create_company(seed_demo=False)
    load_customers(company, _people(3), invoices_per_customer=4, today=TODAY)
    overdue = SandboxQboInvoice.objects.filter(company=company, balance__gt=0, due_date__lt=TODAY)
    assert {(TODAY - i.due_date).days for i in overdue} >= {3, 17}
    for invoice in SandboxQboInvoice.objects.filter(company=company):
        assert invoice.txn_date == invoice.due_date - timedelta(days=30)
