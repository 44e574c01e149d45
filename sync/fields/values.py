"""One field value per side of a linked pair: read, normalised for comparison, shown (pure).

Fields kept in step: the primary/billing **address**, the work **phone** and the **mobile**, the
primary **website**, and the primary **email** when the workspace turns that on. Each is read
from a neutral ``ContactRecord`` as one value per side and compared in normalised form, so
"(555) 010-0100" and "555-010-0100" are the same phone and never cause an update. Which way a
value travels is ``sync.fields.rules``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from integrations.records import LACRM, Address, ContactRecord
from sync.matching.normalize import fold, normalize_email, normalize_phone

ADDRESS, PHONE, MOBILE, WEBSITE, EMAIL = "address", "phone", "mobile", "website", "email"
FIELDS = (ADDRESS, PHONE, MOBILE, WEBSITE, EMAIL)
LABELS = {
    ADDRESS: "Address",
    PHONE: "Phone",
    MOBILE: "Mobile",
    WEBSITE: "Website",
    EMAIL: "Email",
}
ADDRESS_PARTS = ("city", "state", "postal_code", "country")

_NON_WORD = re.compile(r"[\W_]+")
_NOT_DIGIT = re.compile(r"\D+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_EXTENSION = re.compile(r"(?:ext\.?|extension|x|#)\s*(\d+)\s*$", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_COUNTRIES = {
    "us": "us",
    "usa": "us",
    "united states": "us",
    "united states of america": "us",
    "ca": "ca",
    "can": "ca",
    "canada": "ca",
    "uk": "gb",
    "gb": "gb",
    "united kingdom": "gb",
    "great britain": "gb",
}


def fields_for(include_email: bool) -> tuple[str, ...]:
    """The fields a workspace keeps in step (email only when it asked for it)."""
    return FIELDS if include_email else tuple(f for f in FIELDS if f != EMAIL)


# --- Reading one value per side ------------------------------------------------------------------


def address_value(address: Address | None) -> dict:
    """An address as snapshot/payload data; ``{}`` when there is none."""
    if address is None or address.is_empty:
        return {}
    return {
        "lines": [line for line in address.lines if line.strip()],
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def to_address(value: Mapping, kind: str) -> Address:
    """Rebuild an ``Address`` of ``kind`` from ``address_value`` data."""
    return Address(
        lines=tuple(value.get("lines") or ()),
        city=value.get("city", ""),
        state=value.get("state", ""),
        postal_code=value.get("postal_code", ""),
        country=value.get("country", ""),
        kind=kind,
    )


def phone_index(record: ContactRecord, kind: str) -> int | None:
    """Where the phone of ``kind`` (work or mobile) sits in the record's list, if anywhere.

    QuickBooks has fixed slots (PrimaryPhone is work, Mobile is mobile). In LACRM a phone whose
    Type we do not recognise ("Main", "Direct" → other) counts as the work phone when there is
    no Work phone, because that is what such accounts use as their main number.
    """
    for index, phone in enumerate(record.phones):
        if phone.kind == kind and phone.number.strip():
            return index
    if kind == "work" and record.system == LACRM:
        for index, phone in enumerate(record.phones):
            if phone.kind == "other" and phone.number.strip():
                return index
    return None


def address_index(record: ContactRecord) -> int | None:
    """Where the primary/billing address sits: QBO's BillAddr; LACRM's billing, else first."""
    for index, address in enumerate(record.addresses):
        if address.kind == "billing" and not address.is_empty:
            return index
    if record.system == LACRM:
        for index, address in enumerate(record.addresses):
            if address.kind != "shipping" and not address.is_empty:
                return index
    return None


def read_value(record: ContactRecord, name: str) -> Any:
    """The record's value for one field: a string, or address data (``{}`` when empty)."""
    if name in (PHONE, MOBILE):
        index = phone_index(record, "work" if name == PHONE else "mobile")
        return record.phones[index].number.strip() if index is not None else ""
    if name == ADDRESS:
        index = address_index(record)
        return address_value(record.addresses[index]) if index is not None else {}
    values = record.websites if name == WEBSITE else record.emails
    return next((v.strip() for v in values if v.strip()), "")


# --- Comparing and showing values ----------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", fold(text or "")).split())


def _phone_key(value: str) -> str:
    main = normalize_phone(value) or _NOT_DIGIT.sub("", value)
    extension = _EXTENSION.search(value)
    if extension and main:
        main += "x" + extension.group(1)
    return main


def _website_key(value: str) -> str:
    value = _SCHEME.sub("", value.strip().casefold())
    if value.startswith("www."):
        value = value[4:]
    return value.rstrip("/")


def _address_key(value: Mapping) -> str:
    if not value:
        return ""
    lines = _words(" ".join(value.get("lines") or ()))
    city, state = _words(value.get("city", "")), _words(value.get("state", ""))
    postal = _NOT_ALNUM.sub("", fold(value.get("postal_code", "")))
    country = _words(value.get("country", ""))
    country = _COUNTRIES.get(country, country)
    if not any((lines, city, state, postal, country)):
        return ""
    return "|".join((lines, city, state, postal, country))


def field_key(name: str, value: Any) -> str:
    """The normalised form two values are compared by; ``""`` means empty."""
    if not value:
        return ""
    if name in (PHONE, MOBILE):
        return _phone_key(str(value))
    if name == ADDRESS:
        return _address_key(value)
    if name == WEBSITE:
        return _website_key(str(value))
    return normalize_email(str(value)) or str(value).strip().casefold()


def display(name: str, value: Any) -> str:
    """A value as a person reads it in the logs and the preview."""
    if not value:
        return ""
    if name == ADDRESS:
        state_zip = " ".join(p for p in (value.get("state", ""), value.get("postal_code", "")) if p)
        parts = [
            *value.get("lines", ()),
            value.get("city", ""),
            state_zip,
            value.get("country", ""),
        ]
        return ", ".join(p for p in parts if p)
    return str(value)


def quoted(name: str, value: Any) -> str:
    shown = display(name, value)
    return f"'{shown}'" if shown else "(empty)"
