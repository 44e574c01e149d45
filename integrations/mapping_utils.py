"""Small helpers shared by the provider mappings: cutting values to a limit, coercing values.

Kept apart from any provider so ``quickbooks/mapping.py`` and ``lacrm/mapping.py`` stay free of
each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from integrations.records import Address, Phone

PHONE_KINDS = ("work", "mobile", "home", "fax", "other")
ADDRESS_KINDS = ("billing", "shipping", "work", "home", "other")


def clean(value: Any) -> str:
    """A stripped string; ``None`` becomes ``""``."""
    if value is None:
        return ""
    return str(value).strip()


def one_line(value: Any) -> str:
    """Collapse all whitespace (tabs, newlines) to single spaces."""
    return " ".join(clean(value).split())


def cut(value: str, limit: int, label: str, notes: list[str], system: str = "QuickBooks") -> str:
    """Return ``value`` cut to ``limit`` characters; say so in ``notes`` when it was cut."""
    if len(value) <= limit:
        return value
    notes.append(
        f"{label} was longer than the {limit} characters {system} allows and was shortened "
        f'to "{_preview(value[:limit])}".'
    )
    return value[:limit].rstrip()


def _preview(value: str, size: int = 40) -> str:
    return value if len(value) <= size else value[: size - 1] + "…"


def as_phone(value: Phone | Mapping | str) -> Phone:
    """A Phone from a Phone, a ``{"number", "kind"}`` dict or a bare number."""
    if isinstance(value, Phone):
        return value
    if isinstance(value, Mapping):
        return Phone(clean(value.get("number")), clean(value.get("kind")) or "work")
    return Phone(clean(value))


def as_address(value: Address | Mapping) -> Address:
    """An Address from an Address or a dict of its fields."""
    if isinstance(value, Address):
        return value
    return Address(
        lines=tuple(clean(line) for line in value.get("lines", ()) if clean(line)),
        city=clean(value.get("city")),
        state=clean(value.get("state")),
        postal_code=clean(value.get("postal_code")),
        country=clean(value.get("country")),
        kind=clean(value.get("kind")) or "billing",
    )


def split_emails(value: Any) -> tuple[str, ...]:
    """Emails from a field that may hold several separated by commas or semicolons."""
    return tuple(e for e in (p.strip() for p in re.split(r"[,;]", clean(value))) if e)


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Drop empty values and repeats (case-insensitive), keeping the first spelling and order."""
    seen: set[str] = set()
    result = []
    for value in values:
        value = clean(value)
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            result.append(value)
    return tuple(result)


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as both vendors send it ("Z" or an offset), or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
