"""Public helpers for the sandbox QBO data: companies, bulk loading, names for tests.

Other parts of LedgerLink (demo seeding, tests, benchmarks) use these functions; keep the names
and signatures stable.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date

from django.db import transaction

from integrations.sandbox.qbo import bulkload
from integrations.sandbox.qbo.models import SandboxQboCompany, SandboxQboInvoice, SandboxQboName
from integrations.sandbox.qbo.names import create_name
from integrations.sandbox.qbo.wire import invoices_to_wire, name_to_wire

logger = logging.getLogger(__name__)


def default_company_name(workspace=None) -> str:
    """A name like "Sandbox Company US 4f2a", stable per workspace for the consent screen."""
    suffix = workspace.id.hex[:4] if workspace is not None else secrets.token_hex(2)
    return f"Sandbox Company US {suffix}"


def _new_realm_id() -> str:
    while True:
        realm_id = "9341" + f"{secrets.randbelow(10**12):012d}"
        if not SandboxQboCompany.objects.filter(realm_id=realm_id).exists():
            return realm_id


def create_company(
    *, workspace=None, name: str | None = None, seed_demo: bool = True
) -> SandboxQboCompany:
    """Create a sandbox company (realm), seeded with the demo customers and invoices if asked."""
    with transaction.atomic():
        company = SandboxQboCompany.objects.create(
            realm_id=_new_realm_id(),
            name=name or default_company_name(workspace),
            workspace=workspace,
        )
        if seed_demo:
            # Imported lazily: the demo data set is a separate module that imports nothing of ours.
            from integrations.sandbox.demo_data import demo_dataset

            load_customers(company, demo_dataset().qbo_customers)
    logger.info("sandbox qbo company %s created (demo data: %s)", company.realm_id, seed_demo)
    return company


def company_for_workspace(workspace) -> SandboxQboCompany | None:
    """The sandbox company a workspace connected to, if any."""
    if workspace is None:
        return None
    return SandboxQboCompany.objects.filter(workspace=workspace).first()


def company_by_realm(realm_id: str) -> SandboxQboCompany | None:
    return SandboxQboCompany.objects.filter(realm_id=str(realm_id)).first()


def add_name(
    company: SandboxQboCompany, entity: str, display_name: str, *, active: bool = True
) -> SandboxQboName:
    """Create a Vendor, Employee (or Customer) with just a name, e.g. to provoke error 6240."""
    if entity not in SandboxQboName.Entity.values:
        raise ValueError(f"entity must be one of {SandboxQboName.Entity.values}")
    return create_name(company, entity, {"DisplayName": display_name, "Active": active})


def load_customers(
    company: SandboxQboCompany,
    customers: list[dict],
    *,
    invoices_per_customer: int | None = None,
    today: date | None = None,
    seed: int = 0,
) -> int:
    """Bulk-insert customers given as QBO Customer wire JSON, with invoices; return the count.

    A dict may carry ``"_parent_index": i`` (an index into ``customers``) to be a sub-customer
    and ``"Active": False`` to be inactive. ``invoices_per_customer=None`` gives the demo mix
    (0-4 per customer, one customer billed in CAD unless the dicts name currencies); an int
    gives exactly that many each, their statuses cycling through paid, overdue 3/8/17/45/120
    days, unpaid, partially paid (and overdue), due today. Invalid or clashing names raise
    ``ValueError`` before anything is written. ``today`` defaults to the company's local date.
    """
    if not customers:
        return 0
    with transaction.atomic():
        names, invoices = bulkload.load(
            company,
            customers,
            invoices_per_customer=invoices_per_customer,
            today=today,
            seed=seed,
        )
    logger.info(
        "sandbox qbo realm %s: loaded %d customers, %d invoices", company.realm_id, names, invoices
    )
    return names


def customer_dicts(company: SandboxQboCompany, *, include_inactive: bool = True) -> list[dict]:
    """All customers of a company as wire JSON, by Id (for assertions in tests)."""
    qs = SandboxQboName.objects.filter(company=company, entity=SandboxQboName.Entity.CUSTOMER)
    if not include_inactive:
        qs = qs.filter(active=True)
    tz = company.tzinfo
    return [name_to_wire(row, tz) for row in qs.order_by("qbo_id")]


def invoice_dicts(company: SandboxQboCompany) -> list[dict]:
    """All invoices of a company as wire JSON, by Id."""
    return invoices_to_wire(
        company, SandboxQboInvoice.objects.filter(company=company).order_by("qbo_id")
    )
