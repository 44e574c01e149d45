"""Rendering sandbox rows as QBO wire JSON (computed fields overlaid on the stored ones)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from integrations.sandbox.qbo.faults import iso
from integrations.sandbox.qbo.models import SandboxQboCompany, SandboxQboInvoice, SandboxQboName

CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "AUD": "Australian Dollar",
}


def money(value: Decimal) -> float | int:
    """Amounts go out as JSON numbers, like Intuit's (1234.5, 0)."""
    as_float = float(value)
    return int(as_float) if as_float == int(as_float) else as_float


def currency_ref(code: str) -> dict:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def name_to_wire(row: SandboxQboName, tz: ZoneInfo) -> dict:
    """A Customer, Vendor or Employee as the API returns it."""
    out = dict(row.data)
    out.update(
        {
            "Id": str(row.qbo_id),
            "SyncToken": str(row.sync_token),
            "DisplayName": row.display_name,
            "Active": row.active,
            "domain": "QBO",
            "sparse": False,
            "MetaData": {
                "CreateTime": iso(row.created_at, tz),
                "LastUpdatedTime": iso(row.updated_at, tz),
            },
        }
    )
    out.setdefault("PrintOnCheckName", row.display_name[:110])
    if row.entity == SandboxQboName.Entity.EMPLOYEE:
        return out
    out["Balance"] = money(row.balance)
    out["CurrencyRef"] = currency_ref(row.currency)
    if row.entity == SandboxQboName.Entity.VENDOR:
        out.setdefault("Vendor1099", False)
        return out
    out["FullyQualifiedName"] = row.fully_qualified_name
    out["BalanceWithJobs"] = money(row.balance_with_jobs)
    out["Job"] = row.parent_qbo_id is not None
    out.setdefault("BillWithParent", False)
    out.setdefault("Taxable", False)
    out.setdefault("PreferredDeliveryMethod", "Print")
    out.setdefault("IsProject", False)
    if row.parent_qbo_id is not None:
        out["ParentRef"] = {"value": str(row.parent_qbo_id)}
        out["Level"] = row.level
    else:
        out.pop("ParentRef", None)
        out.pop("Level", None)
    return out


def invoice_to_wire(row: SandboxQboInvoice, tz: ZoneInfo, customer_name: str | None) -> dict:
    """An Invoice as the API returns it; CustomerRef.name is the customer's current name."""
    out = dict(row.data)
    out.update(
        {
            "Id": str(row.qbo_id),
            "SyncToken": str(row.sync_token),
            "domain": "QBO",
            "sparse": False,
            "TxnDate": row.txn_date.isoformat(),
            "TotalAmt": money(row.total_amt),
            "Balance": money(row.balance),
            "CurrencyRef": currency_ref(row.currency),
            "CustomerRef": {"value": str(row.customer_qbo_id)},
            "MetaData": {
                "CreateTime": iso(row.created_at, tz),
                "LastUpdatedTime": iso(row.updated_at, tz),
            },
        }
    )
    if customer_name is not None:
        out["CustomerRef"]["name"] = customer_name
    if row.doc_number:
        out["DocNumber"] = row.doc_number
    if row.due_date:
        out["DueDate"] = row.due_date.isoformat()
    rate = Decimal(str(out.get("ExchangeRate", 1)))
    out["HomeBalance"] = money((row.balance * rate).quantize(Decimal("0.01")))
    return out


def invoices_to_wire(company: SandboxQboCompany, rows: Iterable[SandboxQboInvoice]) -> list[dict]:
    """Render a page of invoices with one extra query for the customers' names."""
    rows = list(rows)
    ids = {row.customer_qbo_id for row in rows}
    names = dict(
        SandboxQboName.objects.filter(company=company, qbo_id__in=ids).values_list(
            "qbo_id", "display_name"
        )
    )
    tz = company.tzinfo
    return [invoice_to_wire(row, tz, names.get(row.customer_qbo_id)) for row in rows]
