"""QBO DisplayNames: what a create starts with, and the sequence tried after error 6240.

DisplayName is unique across customers, vendors and employees (inactive ones too) and may not
hold ``:``, tabs or newlines. The retry sequence is deterministic so a re-sent create tries the
same names with the same request ids.
"""

from __future__ import annotations

import re
from collections.abc import Set

from integrations.mapping_utils import clean, one_line
from integrations.records import ContactRecord

DISPLAY_NAME_LIMIT = 500
# How many numbered DisplayNames ("Name 2" … ) to try after the descriptive ones.
MAX_NUMBERED_NAMES = 20


def sanitize_display_name(value: str) -> str:
    """DisplayName may not hold ``:``, tabs or newlines (QBO uses ``:`` for Parent:Job)."""
    return one_line(re.sub(r"\s*:\s*", " - ", clean(value)))


def base_display_name(record: ContactRecord) -> str:
    """The DisplayName a create starts with: the person's full name, else the company.

    A record with no name at all falls back to its display name, email or phone, so a contact
    without a name is still created rather than silently dropped.
    """
    for candidate in (
        record.person_name,
        record.company_name,
        record.display_name,
        record.primary_email,
        record.phones[0].number if record.phones else "",
    ):
        name = sanitize_display_name(candidate)
        if name:
            return name
    return ""


def display_name_candidates(record: ContactRecord) -> list[str]:
    """The deterministic DisplayName sequence a create tries after 6240 (name taken).

    "Name", "Name (Company)", "Name (email)", then "Name 2", "Name 3" … Each is within
    QBO's 500 characters and unique in the list; the index of a name in this list is its attempt
    number (part of the item's requestid), so a re-sent create retries the same names in order.
    """
    base = base_display_name(record)
    if not base:
        return []
    limit = DISPLAY_NAME_LIMIT
    raw = [base]
    company = sanitize_display_name(record.company_name)
    if company and company.casefold() != base.casefold():
        raw.append(f"{base} ({company})")
    email = sanitize_display_name(record.primary_email)
    if email:
        raw.append(f"{base} ({email})")
    raw.extend(f"{base[: limit - 4]} {n}" for n in range(2, MAX_NUMBERED_NAMES + 2))
    result: list[str] = []
    for name in raw:
        name = name[:limit].rstrip()
        if name.casefold() not in {r.casefold() for r in result}:
            result.append(name)
    return result


def collision_note(wanted: str, chosen: str) -> str:
    """What the log says when a create's DisplayName was taken and the next one was used."""
    return (
        f'"{wanted}" is already used in QuickBooks (by a customer, vendor or employee), so the '
        f'customer was created as "{chosen}".'
    )


def expected_display_name(record: ContactRecord, taken: Set[str]) -> str:
    """The DisplayName a create of ``record`` ends with, given the names in use (casefolded).

    The create path tries ``display_name_candidates`` in order and moves on at each 6240; with
    the names QuickBooks already holds this is the first free candidate. ``""`` when the record
    has no usable name or every candidate is taken (the create would fail). Pure: the preview of
    Sync New Contacts uses it to say what each new customer will be called.
    """
    for name in display_name_candidates(record):
        if name.casefold() not in taken:
            return name
    return ""
