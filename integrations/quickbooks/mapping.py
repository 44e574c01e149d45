"""QBO Customer and Invoice JSON ⇄ neutral records (the field mapping is in the README).

- A customer with no person name (Given/Middle/Family) is a company; its company name is
  ``CompanyName``, else its ``DisplayName`` — unless it has nothing but a DisplayName that reads
  as a person's name (``integrations.person_names``): then it is that person.
- ``PrimaryEmailAddr`` may hold several addresses separated by commas (QBO's own UI allows it);
  reading splits them. Writing sends only the first email: QBO has one email field, and extra
  emails are *not* folded into ``Notes`` (Notes sync to LACRM's Background Info, so that would
  echo contact data back and forth). The dropped values are listed in the create notes instead.
- Phones: ``PrimaryPhone`` = work, ``Mobile`` = mobile, ``AlternatePhone`` = other/home,
  ``Fax`` = fax. A second number of a kind goes to ``AlternatePhone`` when that slot is free;
  anything else that doesn't fit is noted, not written.
- Addresses: ``BillAddr`` (billing) and ``ShipAddr`` (shipping), ``Line1``–``Line5``.
- Values over QBO's field limits (``LIMITS`` below) are cut, and the cut is noted.
- DisplayNames (and the 6240 retry sequence) come from ``names.py``; reading JSON into records is
  ``reading.py``, writing records as JSON is here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from typing import Any

from integrations.mapping_utils import (
    as_address,
    as_phone,
    clean,
    cut,
    one_line,
    unique,
)
from integrations.quickbooks.names import (
    base_display_name,
    display_name_candidates,
    sanitize_display_name,
)
from integrations.quickbooks.reading import (
    ADDRESS_SLOTS,
    MAX_ADDRESS_LINES,
    customer_to_record,
    invoice_to_record,
)
from integrations.records import QBO, Address, ContactRecord, Phone

logger = logging.getLogger(__name__)

LIMITS = {
    "DisplayName": 500,
    "Title": 16,
    "Suffix": 16,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "CompanyName": 100,
    "PrimaryEmailAddr": 100,
    "Phone": 30,
    "WebAddr": 1000,
    "Notes": 2000,
    "Line": 500,
    "City": 255,
    "CountrySubDivisionCode": 255,
    "PostalCode": 30,
    "Country": 255,
}
LABELS = {
    "DisplayName": "The display name",
    "Title": "The title",
    "Suffix": "The suffix",
    "GivenName": "The first name",
    "MiddleName": "The middle name",
    "FamilyName": "The last name",
    "CompanyName": "The company name",
    "Notes": "The notes",
}
# QBO phone slot for each neutral kind, first choice first.
PHONE_SLOTS = {
    "work": ("PrimaryPhone", "AlternatePhone"),
    "mobile": ("Mobile", "AlternatePhone"),
    "home": ("AlternatePhone",),
    "other": ("AlternatePhone",),
    "fax": ("Fax",),
}


# --- neutral → QBO ------------------------------------------------------------------------------


def _phone_slots(phones: tuple[Phone, ...], notes: list[str]) -> dict[str, dict]:
    slots: dict[str, dict] = {}
    dropped = []
    for phone in phones:
        phone = as_phone(phone)
        number = one_line(phone.number)
        if not number:
            continue
        slot = next(
            (s for s in PHONE_SLOTS.get(phone.kind, ("AlternatePhone",)) if s not in slots), None
        )
        if slot is None:
            dropped.append(number)
            continue
        slots[slot] = {"FreeFormNumber": cut(number, LIMITS["Phone"], "A phone number", notes)}
    if dropped:
        notes.append(
            "QuickBooks holds four phone numbers (phone, mobile, alternate, fax); not copied: "
            + ", ".join(dropped)
            + "."
        )
    return slots


def _address_to_qbo(address: Address, notes: list[str]) -> dict:
    lines = [one_line(line) for line in address.lines if one_line(line)]
    if len(lines) > MAX_ADDRESS_LINES:
        # Keep everything: the overflow joins the last line QBO has.
        notes.append(
            f"The address had {len(lines)} lines; QuickBooks holds five, so the last ones "
            "were joined."
        )
        lines = lines[: MAX_ADDRESS_LINES - 1] + [", ".join(lines[MAX_ADDRESS_LINES - 1 :])]
    data = {
        f"Line{i}": cut(line, LIMITS["Line"], f"Address line {i}", notes)
        for i, line in enumerate(lines, start=1)
    }
    for key, value in (
        ("City", address.city),
        ("CountrySubDivisionCode", address.state),
        ("PostalCode", address.postal_code),
        ("Country", address.country),
    ):
        value = one_line(value)
        if value:
            data[key] = cut(value, LIMITS[key], f"The address {key}", notes)
    return data


def _address_slots(addresses: tuple[Address, ...], notes: list[str]) -> dict[str, dict]:
    slots: dict[str, dict] = {}
    pending = []
    for address in (as_address(a) for a in addresses):
        if address.is_empty:
            continue
        slot = ADDRESS_SLOTS.get(address.kind)
        if slot and slot not in slots:
            slots[slot] = _address_to_qbo(address, notes)
        else:
            pending.append(address)
    for address in pending:
        free = next((s for s in ("BillAddr", "ShipAddr") if s not in slots), None)
        if free is None:
            notes.append(
                "QuickBooks holds two addresses (billing, shipping); extra addresses were not "
                "copied."
            )
            break
        slots[free] = _address_to_qbo(address, notes)
    return slots


def _field(record: ContactRecord, attr: str, key: str, notes: list[str]) -> str:
    value = one_line(getattr(record, attr))
    return cut(value, LIMITS[key], LABELS[key], notes)


def _fields_for(record: ContactRecord, names: set[str], notes: list[str]) -> dict[str, Any]:
    """QBO fields for the neutral attributes in ``names`` (strings included even when empty)."""
    data: dict[str, Any] = {}
    for attr, key in (
        ("salutation", "Title"),
        ("first_name", "GivenName"),
        ("middle_name", "MiddleName"),
        ("last_name", "FamilyName"),
        ("suffix", "Suffix"),
        ("company_name", "CompanyName"),
    ):
        if attr in names:
            data[key] = _field(record, attr, key, notes)
    if "display_name" in names:
        data["DisplayName"] = cut(
            sanitize_display_name(record.display_name),
            LIMITS["DisplayName"],
            LABELS["DisplayName"],
            notes,
        )
    if "emails" in names:
        emails = unique(one_line(e) for e in record.emails)
        if emails:
            data["PrimaryEmailAddr"] = {
                "Address": cut(emails[0], LIMITS["PrimaryEmailAddr"], "The email address", notes)
            }
        if len(emails) > 1:
            notes.append(
                "QuickBooks holds one email address; not copied: " + ", ".join(emails[1:]) + "."
            )
    if "phones" in names:
        data.update(_phone_slots(tuple(record.phones), notes))
    if "websites" in names:
        sites = unique(record.websites)
        if sites:
            data["WebAddr"] = {"URI": cut(sites[0], LIMITS["WebAddr"], "The website", notes)}
        if len(sites) > 1:
            notes.append("QuickBooks holds one website; not copied: " + ", ".join(sites[1:]) + ".")
    if "addresses" in names:
        data.update(_address_slots(tuple(record.addresses), notes))
    if "notes" in names:
        data["Notes"] = cut(clean(record.notes), LIMITS["Notes"], LABELS["Notes"], notes)
    if "active" in names:
        data["Active"] = bool(record.active)
    if "job_title" in names and record.job_title:
        notes.append(f'QuickBooks has no job title field; "{record.job_title}" was not copied.')
    return data


CREATE_FIELDS = {
    "salutation",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "company_name",
    "emails",
    "phones",
    "websites",
    "addresses",
    "notes",
    "job_title",
}


def record_to_customer(
    record: ContactRecord, display_name: str | None = None
) -> tuple[dict, list[str]]:
    """The JSON for creating ``record`` as a QBO customer, plus notes on what was changed.

    Empty values are left out (a create never needs them). ``display_name`` overrides the
    DisplayName (the 6240 retries pass the candidate they are trying).
    """
    notes: list[str] = []
    data = {k: v for k, v in _fields_for(record, CREATE_FIELDS, notes).items() if v not in ("", {})}
    name = display_name if display_name is not None else base_display_name(record)
    data["DisplayName"] = cut(
        sanitize_display_name(name), LIMITS["DisplayName"], LABELS["DisplayName"], notes
    )
    if record.parent_id:
        data["ParentRef"] = {"value": record.parent_id}
        data["Job"] = True
    return data, notes


NEUTRAL_FIELDS = {f.name for f in dataclass_fields(ContactRecord)} - {
    "system",
    "id",
    "is_company",
    "sync_token",
    "updated_at",
    "created_at",
    "parent_id",
}


def changes_to_sparse(changes: Mapping[str, Any]) -> tuple[dict, list[str]]:
    """QBO fields for a sparse update from neutral ``changes`` (ContactRecord field names).

    Keys that are already QBO field names (``"PrimaryEmailAddr"``…) pass through unchanged.
    String fields given as ``""`` are cleared; lists only set the slots they fill (a sparse
    update never blanks a phone or address that was not mentioned).
    """
    notes: list[str] = []
    neutral = {k: v for k, v in changes.items() if k in NEUTRAL_FIELDS}
    passthrough = {k: v for k, v in changes.items() if k not in NEUTRAL_FIELDS}
    unknown = [k for k in passthrough if not k[:1].isupper()]
    if unknown:
        raise ValueError(f"Unknown contact field(s) for QuickBooks: {', '.join(sorted(unknown))}")
    coerced = dict(neutral)
    for key in ("emails", "websites"):
        if key in coerced:
            coerced[key] = tuple(coerced[key] or ())
    if "phones" in coerced:
        coerced["phones"] = tuple(as_phone(p) for p in coerced["phones"] or ())
    if "addresses" in coerced:
        coerced["addresses"] = tuple(as_address(a) for a in coerced["addresses"] or ())
    record = replace(ContactRecord(system=QBO), **coerced)
    data = _fields_for(record, set(neutral), notes)
    data.update(passthrough)
    return data, notes


__all__ = [
    "base_display_name",
    "changes_to_sparse",
    "customer_to_record",
    "display_name_candidates",
    "invoice_to_record",
    "record_to_customer",
    "sanitize_display_name",
]
