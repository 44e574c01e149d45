"""How a sandbox record is shown: labelled fields from its wire JSON (what the API returns)."""

from __future__ import annotations

import json
from typing import Any


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def _get(data: dict, path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def qbo_address(addr: Any) -> str:
    if not isinstance(addr, dict):
        return ""
    keys = ("Line1", "Line2", "Line3", "Line4", "Line5", "City", "CountrySubDivisionCode")
    parts = [_text(addr.get(k)) for k in (*keys, "PostalCode", "Country")]
    return ", ".join(p for p in parts if p)


QBO_FIELDS = (
    ("Display name", "DisplayName"),
    ("Title", "Title"),
    ("First name", "GivenName"),
    ("Middle name", "MiddleName"),
    ("Last name", "FamilyName"),
    ("Suffix", "Suffix"),
    ("Company", "CompanyName"),
    ("Email", "PrimaryEmailAddr.Address"),
    ("Phone", "PrimaryPhone.FreeFormNumber"),
    ("Mobile", "Mobile.FreeFormNumber"),
    ("Other phone", "AlternatePhone.FreeFormNumber"),
    ("Fax", "Fax.FreeFormNumber"),
    ("Website", "WebAddr.URI"),
    ("Notes", "Notes"),
    ("Active", "Active"),
    ("Balance", "Balance"),
    ("Parent customer", "ParentRef.value"),
    ("Created", "MetaData.CreateTime"),
    ("Last updated", "MetaData.LastUpdatedTime"),
)


def qbo_fields(customer: dict) -> list[tuple[str, str]]:
    """A customer's fields worth reading, in QuickBooks' order; empty ones left out."""
    rows = [(label, _text(_get(customer, path))) for label, path in QBO_FIELDS]
    rows += [
        ("Billing address", qbo_address(customer.get("BillAddr"))),
        ("Shipping address", qbo_address(customer.get("ShipAddr"))),
    ]
    return [(label, value) for label, value in rows if value]


def _typed(items: Any, label: str) -> list[tuple[str, str]]:
    out = []
    for item in items or []:
        if isinstance(item, dict) and _text(item.get("Text")):
            kind = _text(item.get("Type"))
            out.append((f"{label} ({kind})" if kind else label, _text(item.get("Text"))))
    return out


def lacrm_address(addr: Any) -> str:
    if not isinstance(addr, dict):
        return ""
    parts = [_text(addr.get(k)) for k in ("Street", "City", "State", "Zip", "Country")]
    return ", ".join(p for p in parts if p)


def lacrm_fields(contact: dict) -> list[tuple[str, str]]:
    """A contact's fields as LACRM's contact page lists them; empty ones left out."""
    name = contact.get("Name") or {}
    full_name = " ".join(
        _text(name.get(k))
        for k in ("Salutation", "FirstName", "MiddleName", "LastName", "Suffix")
        if _text(name.get(k))
    )
    rows = [
        ("Record", "Company" if contact.get("IsCompany") else "Person"),
        ("Name", full_name),
        ("Company", _text(contact.get("Company Name"))),
        ("Job title", _text(contact.get("Job Title"))),
    ]
    rows += _typed(contact.get("Email"), "Email")
    rows += _typed(contact.get("Phone"), "Phone")
    rows += _typed(contact.get("Website"), "Website")
    for addr in contact.get("Address") or []:
        kind = _text(addr.get("Type")) if isinstance(addr, dict) else ""
        rows.append((f"Address ({kind})" if kind else "Address", lacrm_address(addr)))
    rows += [
        ("Background info", _text(contact.get("Background Info"))),
        ("Birthday", _text(contact.get("Birthday"))),
        ("Created", _text(contact.get("DateCreated"))),
        ("Last updated", _text(contact.get("LastUpdate"))),
    ]
    return [(label, value) for label, value in rows if value]


def as_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str)
