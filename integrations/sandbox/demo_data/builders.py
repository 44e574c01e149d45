"""The shared shapes: ``Dataset`` and small builders of QBO and LACRM dicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (street, city, state, postal code)
Where = tuple[str, str, str, str]

ADDRESSES: list[Where] = [
    ("100 Main St", "Springfield", "IL", "62701"),
    ("48 Harbor Way", "Portland", "OR", "97201"),
    ("2210 Elm Ave", "Austin", "TX", "78701"),
    ("77 Beacon St", "Boston", "MA", "02108"),
    ("915 Pine Rd", "Denver", "CO", "80202"),
    ("3 Lakeview Dr", "Madison", "WI", "53703"),
    ("640 Market St", "San Francisco", "CA", "94104"),
    ("18 Orchard Ln", "Burlington", "VT", "05401"),
]


@dataclass
class Dataset:
    """QBO Customer wire dicts and LACRM CreateContact parameter dicts.

    ``overlapping`` is how many LACRM contacts correspond to a QBO customer.
    """

    qbo_customers: list[dict[str, Any]]
    lacrm_contacts: list[dict[str, Any]]
    overlapping: int = 0


def qbo(
    first: str = "",
    last: str = "",
    email: str = "",
    phone: str = "",
    company: str = "",
    *,
    display: str = "",
    middle: str = "",
    title: str = "",
    suffix: str = "",
    web: str = "",
    notes: str = "",
    where: Where | None = None,
    active: bool = True,
    parent: int | None = None,
) -> dict[str, Any]:
    """A QBO Customer dict; one without first/last name is a company (or a job)."""
    customer: dict[str, Any] = {}
    for key, value in (
        ("Title", title),
        ("GivenName", first),
        ("MiddleName", middle),
        ("FamilyName", last),
        ("Suffix", suffix),
        ("CompanyName", company),
        ("Notes", notes),
    ):
        if value:
            customer[key] = value
    customer["DisplayName"] = display or " ".join(p for p in (first, last) if p) or company
    if email:
        customer["PrimaryEmailAddr"] = {"Address": email}
    if phone:
        customer["PrimaryPhone"] = {"FreeFormNumber": phone}
    if web:
        customer["WebAddr"] = {"URI": web}
    if where:
        street, city, state, postal = where
        customer["BillAddr"] = {
            "Line1": street,
            "City": city,
            "CountrySubDivisionCode": state,
            "PostalCode": postal,
            "Country": "USA",
        }
    if not active:
        customer["Active"] = False
    if parent is not None:
        # The loader turns this into ParentRef/Job once the parent has an Id.
        customer["_parent_index"] = parent
    return customer


def qco(name: str, email: str = "", phone: str = "", **extra: Any) -> dict[str, Any]:
    """A QBO company customer."""
    return qbo(company=name, email=email, phone=phone, **extra)


def crm(
    name: str,
    email: Any = "",
    phone: Any = "",
    company: str = "",
    *,
    is_company: bool = False,
    job: str = "",
    web: str = "",
    background: str = "",
    birthday: str = "",
    where: Where | None = None,
) -> dict[str, Any]:
    """LACRM CreateContact parameters (``email``/``phone``: a string or a list of dicts)."""
    params: dict[str, Any] = {"IsCompany": is_company}
    if is_company:
        params["Company Name"] = name
    else:
        params["Name"] = name
        if company:
            params["Company Name"] = company
    if email:
        params["Email"] = email if isinstance(email, list) else [{"Text": email, "Type": "Work"}]
    if phone:
        params["Phone"] = phone if isinstance(phone, list) else [{"Text": phone, "Type": "Work"}]
    for key, value in (("Job Title", job), ("Background Info", background), ("Birthday", birthday)):
        if value:
            params[key] = value
    if web:
        params["Website"] = [{"Text": web}]
    if where:
        street, city, state, postal = where
        params["Address"] = [
            {
                "Street": street,
                "City": city,
                "State": state,
                "Zip": postal,
                "Country": "United States",
                "Type": "Work",
            }
        ]
    return params


def cco(name: str, email: str = "", phone: str = "", **extra: Any) -> dict[str, Any]:
    """An LACRM company record."""
    return crm(name, email, phone, is_company=True, **extra)
