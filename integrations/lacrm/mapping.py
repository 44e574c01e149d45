"""LACRM contact JSON ⇄ neutral records (contacts, companies and their contact-info lists).

- ``IsCompany`` records are companies, named by ``"Company Name"`` (or ``Name`` as a string).
- A person's name is sent as LACRM's structured ``Name`` object so every part (Salutation,
  First, Middle, Last, Suffix) survives exactly; the client falls back to one full-name string if
  an account rejects the object.
- Email/Phone entries carry a ``Type``; phone kinds map to Work/Mobile/Home/Fax/Other, emails
  are sent as "Work". Types are account-specific, so the client retries without them on a 400.
- ``Address.Street`` holds the address lines joined with newlines.
- ``"Background Info"`` ⇄ notes, ``"Job Title"`` ⇄ job title.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from integrations.mapping_utils import as_address, as_phone, clean, one_line, parse_datetime, unique
from integrations.records import (
    LACRM,
    Address,
    ContactRecord,
    CreatePreview,
    Phone,
    flatten_fields,
)

logger = logging.getLogger(__name__)

PHONE_TYPES = {"work": "Work", "mobile": "Mobile", "home": "Home", "fax": "Fax", "other": "Other"}
PHONE_KINDS = {
    "work": "work",
    "office": "work",
    "business": "work",
    "mobile": "mobile",
    "cell": "mobile",
    "home": "home",
    "personal": "home",
    "fax": "fax",
}
ADDRESS_TYPES = {
    "billing": "Billing",
    "shipping": "Shipping",
    "work": "Work",
    "home": "Home",
    "other": "Other",
}
EMAIL_TYPE = "Work"
NAME_KEYS = ("Salutation", "FirstName", "MiddleName", "LastName", "Suffix")
CONTACT_INFO_KEYS = ("Email", "Phone", "Website", "Address")


def _entries(value: Any) -> list[Mapping]:
    """Contact-info lists as LACRM returns them; tolerate a bare string or a single object."""
    if value is None or value == "":
        return []
    if isinstance(value, str | Mapping):
        value = [value]
    return [{"Text": v} if isinstance(v, str) else v for v in value if isinstance(v, str | Mapping)]


def _name_parts(contact: Mapping) -> dict[str, str]:
    name = contact.get("Name")
    if isinstance(name, Mapping):
        return {k: clean(name.get(k)) for k in NAME_KEYS}
    parts = dict.fromkeys(NAME_KEYS, "")
    if isinstance(name, str) and name.strip():
        # A bare string only comes back for companies; keep it as the first name of a person.
        parts["FirstName"] = clean(name)
    return parts


def _company_name(contact: Mapping) -> str:
    for value in (
        contact.get("Company Name"),
        contact.get("CompanyName"),
        (contact.get("CompanyMetaData") or {}).get("CompanyName")
        if isinstance(contact.get("CompanyMetaData"), Mapping)
        else None,
    ):
        if clean(value):
            return clean(value)
    return ""


def _address_from_lacrm(entry: Mapping) -> Address:
    street = str(entry.get("Street") or "")
    kind_text = clean(entry.get("Type")).lower()
    kind = kind_text if kind_text in ADDRESS_TYPES else ("other" if kind_text else "work")
    return Address(
        lines=tuple(line.strip() for line in street.splitlines() if line.strip()),
        city=clean(entry.get("City")),
        state=clean(entry.get("State")),
        postal_code=clean(entry.get("Zip")),
        country=clean(entry.get("Country")),
        kind=kind,
    )


def contact_to_record(contact: Mapping) -> ContactRecord:
    """A LACRM contact or company object as a neutral record."""
    is_company = bool(contact.get("IsCompany"))
    parts = _name_parts(contact)
    company = _company_name(contact)
    if is_company:
        name = contact.get("Name")
        company = company or (
            clean(name) if isinstance(name, str) else " ".join(v for v in parts.values() if v)
        )
        parts = dict.fromkeys(NAME_KEYS, "")
    phones = tuple(
        Phone(clean(e.get("Text")), PHONE_KINDS.get(clean(e.get("Type")).lower(), "other"))
        for e in _entries(contact.get("Phone"))
        if clean(e.get("Text"))
    )
    addresses = tuple(
        a
        for a in (_address_from_lacrm(e) for e in _entries(contact.get("Address")))
        if not a.is_empty
    )
    person = " ".join(parts[k] for k in ("FirstName", "MiddleName", "LastName") if parts[k])
    return ContactRecord(
        system=LACRM,
        id=clean(contact.get("ContactId")),
        is_company=is_company or not person,
        display_name=person or company,
        salutation=parts["Salutation"],
        first_name=parts["FirstName"],
        middle_name=parts["MiddleName"],
        last_name=parts["LastName"],
        suffix=parts["Suffix"],
        company_name=company,
        job_title=clean(contact.get("Job Title")),
        emails=unique(clean(e.get("Text")) for e in _entries(contact.get("Email"))),
        phones=phones,
        websites=unique(clean(e.get("Text")) for e in _entries(contact.get("Website"))),
        addresses=addresses,
        notes=str(contact.get("Background Info") or "").strip(),
        updated_at=parse_datetime(contact.get("LastUpdate")),
        created_at=parse_datetime(contact.get("DateCreated")),
    )


# --- neutral → LACRM ----------------------------------------------------------------------------


def _structured_name(record: ContactRecord) -> dict[str, str]:
    return {
        "Salutation": one_line(record.salutation),
        "FirstName": one_line(record.first_name),
        "MiddleName": one_line(record.middle_name),
        "LastName": one_line(record.last_name),
        "Suffix": one_line(record.suffix),
    }


def full_name_text(record: ContactRecord) -> str:
    """The person's name as one string, for accounts that want ``Name`` as text."""
    return " ".join(v for v in _structured_name(record).values() if v)


def _emails(record: ContactRecord) -> list[dict]:
    return [{"Text": e, "Type": EMAIL_TYPE} for e in unique(one_line(e) for e in record.emails)]


def _phones(record: ContactRecord) -> list[dict]:
    result = []
    for phone in (as_phone(p) for p in record.phones):
        number = one_line(phone.number)
        if number:
            result.append({"Text": number, "Type": PHONE_TYPES.get(phone.kind, "Other")})
    return result


def _websites(record: ContactRecord) -> list[dict]:
    return [{"Text": w} for w in unique(one_line(w) for w in record.websites)]


def _addresses(record: ContactRecord) -> list[dict]:
    result = []
    for address in (as_address(a) for a in record.addresses):
        if address.is_empty:
            continue
        result.append(
            {
                "Street": "\n".join(one_line(line) for line in address.lines if one_line(line)),
                "City": one_line(address.city),
                "State": one_line(address.state),
                "Zip": one_line(address.postal_code),
                "Country": one_line(address.country),
                "Type": ADDRESS_TYPES.get(address.kind, "Other"),
            }
        )
    return result


def is_person(record: ContactRecord) -> bool:
    """A LACRM person record is made when there is a person name; otherwise a company."""
    return bool(
        one_line(record.first_name) or one_line(record.middle_name) or one_line(record.last_name)
    )


def record_to_create_params(record: ContactRecord, user_id: int) -> dict[str, Any]:
    """CreateContact parameters for ``record``, assigned to ``user_id``; empty values left out."""
    params: dict[str, Any] = {"AssignedTo": user_id}
    if is_person(record):
        params["IsCompany"] = False
        params["Name"] = {k: v for k, v in _structured_name(record).items() if v}
        if one_line(record.company_name):
            params["Company Name"] = one_line(record.company_name)
    else:
        params["IsCompany"] = True
        params["Company Name"] = (
            one_line(record.company_name) or one_line(record.display_name) or (record.primary_email)
        )
    if one_line(record.job_title) and is_person(record):
        params["Job Title"] = one_line(record.job_title)
    for key, value in (
        ("Email", _emails(record)),
        ("Phone", _phones(record)),
        ("Website", _websites(record)),
        ("Address", _addresses(record)),
    ):
        if value:
            params[key] = value
    if clean(record.notes):
        params["Background Info"] = clean(record.notes)
    return params


def describe_contact_creates(records: Sequence[ContactRecord], user_id: int) -> list[CreatePreview]:
    """What ``CreateContact`` would receive for each record, as a person reads it."""
    previews = []
    for record in records:
        params = record_to_create_params(record, user_id)
        params.pop("AssignedTo", None)
        kind = "Company" if params.pop("IsCompany") else "Person"
        if isinstance(params.get("Name"), dict):
            params["Name"] = full_name_text(record)
        previews.append(CreatePreview(fields={"Record": kind, **flatten_fields(params)}))
    return previews


EDIT_MAP = {
    "job_title": "Job Title",
    "notes": "Background Info",
    "company_name": "Company Name",
}
NAME_ATTRS = {"salutation", "first_name", "middle_name", "last_name", "suffix"}


def changes_to_edit_params(
    changes: Mapping[str, Any], current: ContactRecord | None = None
) -> dict[str, Any]:
    """EditContact parameters from neutral ``changes`` (ContactRecord field names).

    Name parts are sent as one ``Name`` object, completed from ``current`` for the parts not
    changed. Lists (emails, phones, websites, addresses) replace LACRM's lists, so callers merge
    first. Keys that are already LACRM parameter names (``"Email"``, ``"Job Title"``…) pass through.
    """
    params: dict[str, Any] = {}
    base = current or ContactRecord(system=LACRM)
    name_changes = {k: v for k, v in changes.items() if k in NAME_ATTRS}
    if name_changes:
        parts = {attr: clean(name_changes.get(attr, getattr(base, attr))) for attr in NAME_ATTRS}
        merged = ContactRecord(system=LACRM, **parts)
        params["Name"] = _structured_name(merged)
    for attr, key in EDIT_MAP.items():
        if attr in changes:
            value = clean(changes[attr]) if attr == "notes" else one_line(changes[attr])
            # None clears a field in LACRM; "" would be stored as an empty value.
            params[key] = value or None
    list_builders = {
        "emails": ("Email", _emails),
        "phones": ("Phone", _phones),
        "websites": ("Website", _websites),
        "addresses": ("Address", _addresses),
    }
    for attr, (key, build) in list_builders.items():
        if attr in changes:
            record = ContactRecord(system=LACRM, **{attr: tuple(changes[attr] or ())})
            params[key] = build(record)
    handled = NAME_ATTRS | set(EDIT_MAP) | set(list_builders)
    for key, value in changes.items():
        if key in handled:
            continue
        if key in {
            "display_name",
            "active",
            "is_company",
            "id",
            "system",
            "sync_token",
            "updated_at",
            "created_at",
            "parent_id",
        }:
            # Nothing in LACRM holds these (display name is derived from the name).
            continue
        if key[:1].isupper():
            params[key] = value
        else:
            raise ValueError(f"Unknown contact field for Less Annoying CRM: {key}")
    return params


def has_types(params: Mapping[str, Any]) -> bool:
    """True when any contact-info entry carries a ``Type``."""
    return any(
        isinstance(entry, Mapping) and "Type" in entry
        for key in CONTACT_INFO_KEYS
        for entry in (params.get(key) or [])
        if isinstance(params.get(key), list)
    )


def strip_types(params: dict[str, Any]) -> dict[str, Any]:
    """The same parameters with every contact-info ``Type`` removed (account-specific Types)."""
    stripped = dict(params)
    for key in CONTACT_INFO_KEYS:
        if isinstance(stripped.get(key), list):
            stripped[key] = [
                {k: v for k, v in entry.items() if k not in ("Type", "TypeId")}
                if isinstance(entry, Mapping)
                else entry
                for entry in stripped[key]
            ]
    return stripped
