"""Creating invoices and keeping customers' Balance / BalanceWithJobs in step with them."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.sandbox.qbo.counters import allocate_ids
from integrations.sandbox.qbo.faults import QboFault
from integrations.sandbox.qbo.models import SandboxQboCompany, SandboxQboInvoice, SandboxQboName
from integrations.sandbox.qbo.names import clean

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
# Home-currency value of one unit of a foreign currency (the sandbox's fixed rates).
EXCHANGE_RATES = {
    "USD": Decimal("1"),
    "CAD": Decimal("0.73"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
}
COMPUTED_KEYS = {
    "Id",
    "SyncToken",
    "MetaData",
    "domain",
    "sparse",
    "TxnDate",
    "DueDate",
    "DocNumber",
    "TotalAmt",
    "Balance",
    "HomeBalance",
    "HomeTotalAmt",
    "CurrencyRef",
    "CustomerRef",
    "time",
}


def exchange_rate(home: str, currency: str) -> Decimal:
    """Home-currency units per unit of ``currency`` (1 for the home currency)."""
    if currency == home:
        return Decimal("1")
    return (
        EXCHANGE_RATES.get(currency, Decimal("1")) / EXCHANGE_RATES.get(home, Decimal("1"))
    ).quantize(Decimal("0.0001"))


def apply_balance_delta(company: SandboxQboCompany, customer_qbo_id: int, delta: Decimal) -> None:
    """Add ``delta`` to a customer's Balance and to BalanceWithJobs up the parent chain."""
    if not delta:
        return
    SandboxQboName.objects.filter(company=company, qbo_id=customer_qbo_id).update(
        balance=F("balance") + delta
    )
    current: int | None = customer_qbo_id
    for _ in range(8):  # at most 5 levels exist; the bound guards against bad data
        if current is None:
            break
        SandboxQboName.objects.filter(company=company, qbo_id=current).update(
            balance_with_jobs=F("balance_with_jobs") + delta
        )
        current = (
            SandboxQboName.objects.filter(company=company, qbo_id=current)
            .values_list("parent_qbo_id", flat=True)
            .first()
        )


def _amount(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise QboFault(
            "2040",
            "Invalid Field Value",
            f"Invalid number for Invoice.{field}: {value}",
            element=field,
        ) from None


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise QboFault(
            "2040",
            "Invalid Field Value",
            f"Invalid date for Invoice.{field}: {value}",
            element=field,
        ) from None


def _lines(payload: dict) -> tuple[list[dict], Decimal]:
    """Number the lines, add the subtotal line and return them with the total."""
    lines = [line for line in payload.get("Line") or [] if isinstance(line, dict)]
    detail_lines = [ln for ln in lines if ln.get("DetailType") != "SubTotalLineDetail"]
    if not detail_lines and payload.get("TotalAmt") not in (None, ""):
        total = _amount(payload["TotalAmt"], "TotalAmt")
        detail_lines = [
            {
                "Amount": float(total),
                "Description": "Services",
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
            }
        ]
    if not detail_lines:
        raise QboFault(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter Line is missing in the request",
            element="Line",
        )
    total = Decimal("0")
    numbered = []
    for number, line in enumerate(detail_lines, start=1):
        amount = _amount(line.get("Amount", 0), "Line.Amount")
        total += amount
        numbered.append({**line, "Id": str(number), "LineNum": number, "Amount": float(amount)})
    numbered.append(
        {"Amount": float(total), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    )
    return numbered, total


def next_doc_number(company: SandboxQboCompany) -> str:
    numbers = SandboxQboInvoice.objects.filter(
        company=company, doc_number__regex=r"^[0-9]{1,9}$"
    ).values_list("doc_number", flat=True)
    return str(max((int(n) for n in numbers), default=1000) + 1)


def create_invoice(company: SandboxQboCompany, payload: dict) -> SandboxQboInvoice:
    """Create an invoice from wire JSON; its Balance starts at TotalAmt (unpaid)."""
    payload = clean(payload)
    ref = payload.get("CustomerRef")
    ref_value = ref.get("value") if isinstance(ref, dict) else ref
    if ref_value in (None, ""):
        raise QboFault(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter CustomerRef is missing in the request",
            element="CustomerRef",
        )
    customer = SandboxQboName.objects.filter(
        company=company,
        entity=SandboxQboName.Entity.CUSTOMER,
        qbo_id=int(ref_value) if str(ref_value).isdigit() else -1,
    ).first()
    if customer is None:
        raise QboFault(
            "2500", "Invalid Reference Id", f"Invalid Reference Id : CustomerRef {ref_value}"
        )
    if not customer.active:
        raise QboFault(
            "610",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been made inactive. Check the "
            "fields with accounts, customers, items, vendors or employees.",
            element="CustomerRef",
        )
    currency = customer.currency
    currency_ref = payload.get("CurrencyRef")
    if (
        isinstance(currency_ref, dict)
        and currency_ref.get("value")
        and str(currency_ref["value"]).upper() != customer.currency
    ):
        raise QboFault(
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: The currency of the transaction must match the "
            f"customer's currency ({customer.currency}).",
        )
    lines, total = _lines(payload)
    txn_date = _date(payload["TxnDate"], "TxnDate") if payload.get("TxnDate") else company.today()
    due_date = (
        _date(payload["DueDate"], "DueDate") if payload.get("DueDate") else txn_date + timedelta(30)
    )
    doc_number = str(payload.get("DocNumber") or "")
    if len(doc_number) > 21:
        raise QboFault(
            "2050",
            "Invalid String Length",
            f"Invalid length for Invoice.DocNumber: Min:0 Max:21 supplied:{len(doc_number)}",
            element="DocNumber",
        )
    data = {k: v for k, v in payload.items() if k not in COMPUTED_KEYS}
    data["Line"] = lines
    rate = exchange_rate(company.home_currency, currency)
    if currency != company.home_currency:
        data["ExchangeRate"] = float(rate)
    data["HomeTotalAmt"] = float((total * rate).quantize(CENT))
    data.setdefault("EmailStatus", "NotSet")
    data.setdefault("PrintStatus", "NotSet")
    data.setdefault("LinkedTxn", [])
    now = timezone.now()
    with transaction.atomic():
        qbo_id = allocate_ids(company)
        if not doc_number:
            doc_number = next_doc_number(company)
        clash = (
            SandboxQboInvoice.objects.filter(company=company, doc_number=doc_number)
            .values_list("qbo_id", flat=True)
            .first()
        )
        if clash is not None:
            raise QboFault(
                "6140",
                "Duplicate Document Number Error",
                "Duplicate Document Number Error : You must specify a different number. This "
                f"number has already been used. DocNumber={doc_number} is assigned to "
                f"TxnType=Invoice with TxnId={clash}",
            )
        row = SandboxQboInvoice.objects.create(
            company=company,
            qbo_id=qbo_id,
            customer_qbo_id=customer.qbo_id,
            doc_number=doc_number,
            txn_date=txn_date,
            due_date=due_date,
            total_amt=total,
            balance=total,
            currency=currency,
            data=data,
            created_at=now,
            updated_at=now,
        )
        apply_balance_delta(company, customer.qbo_id, total)
    logger.info("sandbox qbo invoice %s created in realm %s", qbo_id, company.realm_id)
    return row
