"""QBO Customer and Invoice JSON → neutral records (the rules are in ``mapping``'s docstring)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.mapping_utils import clean, parse_datetime, split_emails, unique
from integrations.person_names import parse_person_name
from integrations.records import QBO, Address, ContactRecord, InvoiceRecord, Phone

SLOT_KINDS = {"PrimaryPhone": "work", "Mobile": "mobile", "AlternatePhone": "other", "Fax": "fax"}
ADDRESS_SLOTS = {"billing": "BillAddr", "shipping": "ShipAddr"}
MAX_ADDRESS_LINES = 5


def _text(data: Mapping, key: str) -> str:
    return clean(data.get(key))


def _nested(data: Mapping, key: str, inner: str) -> str:
    value = data.get(key)
    return clean(value.get(inner)) if isinstance(value, Mapping) else ""


def _parse_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _address_from_qbo(data: Any, kind: str) -> Address | None:
    if not isinstance(data, Mapping):
        return None
    address = Address(
        lines=tuple(
            clean(data.get(f"Line{i}")) for i in range(1, 6) if clean(data.get(f"Line{i}"))
        ),
        city=_text(data, "City"),
        state=_text(data, "CountrySubDivisionCode"),
        postal_code=_text(data, "PostalCode"),
        country=_text(data, "Country"),
        kind=kind,
    )
    return None if address.is_empty else address


def _person(data: Mapping) -> tuple[str, str, str, str, str]:
    """Given, middle and family name, title and suffix; from the DisplayName when the customer
    has nothing but a DisplayName that reads as a person's ("Maria Lopez", "Lopez, Maria")."""
    first, middle, last = (_text(data, k) for k in ("GivenName", "MiddleName", "FamilyName"))
    title, suffix = _text(data, "Title"), _text(data, "Suffix")
    if not (first or middle or last or _text(data, "CompanyName")):
        person = parse_person_name(_text(data, "DisplayName"))
        if person is not None:
            return (
                person.first,
                person.middle,
                person.last,
                title or person.title,
                suffix or (person.suffix),
            )
    return first, middle, last, title, suffix


def customer_to_record(data: Mapping) -> ContactRecord:
    """A QBO ``Customer`` object (the inner dict) as a neutral record."""
    first, middle, last, title, suffix = _person(data)
    display = _text(data, "DisplayName")
    is_company = not (first or middle or last)
    company = _text(data, "CompanyName") or (display if is_company else "")
    phones = tuple(
        Phone(number, kind)
        for slot, kind in SLOT_KINDS.items()
        if (number := _nested(data, slot, "FreeFormNumber"))
    )
    addresses = tuple(
        a
        for a in (
            _address_from_qbo(data.get("BillAddr"), "billing"),
            _address_from_qbo(data.get("ShipAddr"), "shipping"),
        )
        if a is not None
    )
    website = _nested(data, "WebAddr", "URI")
    is_job = bool(data.get("Job")) or bool(_nested(data, "ParentRef", "value"))
    return ContactRecord(
        system=QBO,
        id=_text(data, "Id"),
        is_company=is_company,
        display_name=display,
        salutation=title,
        first_name=first,
        middle_name=middle,
        last_name=last,
        suffix=suffix,
        company_name=company,
        emails=unique(split_emails(_nested(data, "PrimaryEmailAddr", "Address"))),
        phones=phones,
        websites=(website,) if website else (),
        addresses=addresses,
        notes=clean(data.get("Notes")),
        active=data.get("Active", True) is not False,
        parent_id=_nested(data, "ParentRef", "value") if is_job else "",
        sync_token=_text(data, "SyncToken"),
        updated_at=parse_datetime((data.get("MetaData") or {}).get("LastUpdatedTime")),
        created_at=parse_datetime((data.get("MetaData") or {}).get("CreateTime")),
    )


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def invoice_to_record(data: Mapping) -> InvoiceRecord:
    """A QBO ``Invoice`` object as a neutral invoice record."""
    return InvoiceRecord(
        id=_text(data, "Id"),
        customer_id=_nested(data, "CustomerRef", "value"),
        doc_number=_text(data, "DocNumber"),
        txn_date=_parse_date(data.get("TxnDate")),
        due_date=_parse_date(data.get("DueDate")),
        total=_decimal(data.get("TotalAmt")),
        balance=_decimal(data.get("Balance")),
        currency=_nested(data, "CurrencyRef", "value") or "USD",
    )
