"""Reading CreateContact/EditContact parameters into stored values, with LACRM's validation.

Each reader accepts the shapes LACRM accepts and raises ``ApiError`` (a 400 with a description)
for the rest, so a client that sends something LACRM would refuse learns it from the sandbox.
"""

from __future__ import annotations

import re
from typing import Any

from integrations.sandbox.lacrm.names import full_name


class ApiError(Exception):
    """An error answer: HTTP ``status`` (400 unless said) with ``{ErrorCode, ErrorDescription}``."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


ADDRESS_KEYS = ("Street", "City", "State", "Zip", "Country", "Type")
BIRTHDAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def text(value: Any, field: str) -> str:
    """A plain string field; ``None`` clears it."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ApiError(f'"{field}" must be a string.')
    return str(value)


def _pick_type(given: Any, options: list[str], field: str) -> tuple[str, str]:
    """Return ``(Type, TypeId)``: blank means the first option; anything else must be one."""
    if given is None or str(given).strip() == "":
        return options[0], "1"
    for index, option in enumerate(options):
        if option.lower() == str(given).strip().lower():
            return option, str(index + 1)
    allowed = ", ".join(options)
    raise ApiError(
        f'"{given}" is not a valid {field} type for this account. Valid types: {allowed}.'
    )


def contact_info(value: Any, field: str, options: list[str] | None) -> list[dict[str, str]]:
    """Email/Phone/Website: a string, a list of strings, or a list of ``{Text, Type}``.

    ``options`` are the account's allowed Types (``None`` for websites, whose Type is free).
    """
    if value is None:
        return []
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        raise ApiError(f'"{field}" must be a string, a list of strings or a list of objects.')
    entries = []
    for item in value:
        if isinstance(item, str):
            item = {"Text": item}
        if not isinstance(item, dict):
            raise ApiError(f'Each "{field}" entry must be a string or an object with "Text".')
        unknown = set(item) - {"Text", "Type", "TypeId"}
        if unknown:
            raise ApiError(f'Unknown key "{sorted(unknown)[0]}" in "{field}".')
        entry_text = item.get("Text")
        if not isinstance(entry_text, str):
            raise ApiError(f'Each "{field}" entry needs a "Text" string.')
        if not entry_text.strip():
            continue
        if options is None:
            kind, type_id = str(item.get("Type") or "Work"), "1"
        else:
            kind, type_id = _pick_type(item.get("Type"), options, field)
        entries.append({"Text": entry_text, "Type": kind, "TypeId": type_id})
    return entries


def addresses(value: Any) -> list[dict[str, str]]:
    """Address: one object or a list of ``{Street, City, State, Zip, Country, Type}``."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ApiError('"Address" must be an object or a list of objects.')
    result = []
    for item in value:
        if not isinstance(item, dict):
            raise ApiError('Each "Address" entry must be an object.')
        unknown = set(item) - set(ADDRESS_KEYS) - {"TypeId"}
        if unknown:
            raise ApiError(f'Unknown key "{sorted(unknown)[0]}" in "Address".')
        entry = {key: text(item.get(key), f"Address {key}") for key in ADDRESS_KEYS}
        entry["Type"] = entry["Type"] or "Work"
        entry["TypeId"] = "1"
        if any(entry[k] for k in ADDRESS_KEYS if k != "Type"):
            result.append(entry)
    return result


def birthday(value: Any) -> str:
    """``yyyy-mm-dd``, with year ``0000`` when the year is unknown."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not BIRTHDAY.match(value):
        raise ApiError('"Birthday" must be a date as yyyy-mm-dd (0000-mm-dd without a year).')
    return value


def search_text(
    name: dict[str, str], company_name: str, emails: list[dict], phones: list[dict]
) -> str:
    """The lower-cased, ``|``-delimited text SearchTerms are matched against."""
    pieces = [full_name(name), f"{name.get('FirstName', '')} {name.get('LastName', '')}".strip()]
    pieces.append(company_name)
    pieces.extend(e["Text"].strip() for e in emails)
    for phone in phones:
        pieces.append(phone["Text"])
        pieces.append(re.sub(r"\D", "", phone["Text"]))
    return "|" + "|".join(p.lower() for p in pieces if p) + "|"
