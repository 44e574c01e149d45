"""Which contact fields of a linked pair to copy, and which way (pure functions, no I/O).

Fields kept in step: the primary/billing **address**, the work **phone** and the **mobile**, the
primary **website**, and the primary **email** when the workspace turns that on. Each is read
from a neutral ``ContactRecord`` as one value per side and compared in normalised form, so
"(555) 010-0100" and "555-010-0100" are the same phone and never cause an update.

Precedence, per field (design.md "unclear precedence when both sides changed"):

* **First sync** of the field (the pair's ``synced_fields`` snapshot has no value for it): an
  empty side is filled from the other; when both hold different values the workspace's system
  of record (LACRM by default) wins and its value is copied to the other side.
* **Later syncs**: only *changes in the system of record* travel. When its value differs from the
  snapshot, it is copied to the other side. A change made only in the other system is neither
  copied back nor overwritten; it stays until the system of record's own value changes, and the
  run logs the difference so it is visible. (We chose this over "last writer wins" because
  neither API gives a trustworthy per-field change time, and a bookkeeper's edit in QuickBooks
  silently undone by a CRM sync is the complaint we most want to avoid.)
* A value is **never blanked**: a system-of-record field that became empty pushes nothing.
* After applying, the snapshot holds the agreed value (the system of record's). A snapshot is
  only kept for a field that has a value, so a field empty on both sides stays in "first sync"
  mode and is filled as soon as either side gets a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from integrations.records import LACRM, QBO, SYSTEM_NAMES, Address, ContactRecord, Phone
from sync.normalize import fold, normalize_email, normalize_phone

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


def _quoted(name: str, value: Any) -> str:
    shown = display(name, value)
    return f"'{shown}'" if shown else "(empty)"


# --- Deciding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """Copy ``new`` into the ``target`` system's field (replacing ``old``)."""

    field: str
    target: str
    old: Any
    new: Any

    @property
    def source(self) -> str:
        return LACRM if self.target == QBO else QBO

    @property
    def label(self) -> str:
        return LABELS[self.field]

    @property
    def reason(self) -> str:
        """E.g. ``Phone: '555-0100' → '555-0199' (from Less Annoying CRM)``."""
        return (
            f"{self.label}: {_quoted(self.field, self.old)} → {_quoted(self.field, self.new)} "
            f"(from {SYSTEM_NAMES[self.source]})"
        )

    def to_dict(self) -> dict:
        return {"field": self.field, "target": self.target, "old": self.old, "new": self.new}

    @classmethod
    def from_dict(cls, data: Mapping) -> FieldChange:
        return cls(field=data["field"], target=data["target"], old=data["old"], new=data["new"])


@dataclass(frozen=True)
class FieldDecision:
    """What to do with one field: a change (or none), the snapshot after it, and a log note."""

    change: FieldChange | None
    snapshot: Any
    note: str = ""


def decide_field(
    name: str, qbo_value: Any, lacrm_value: Any, snapshot: Any, system_of_record: str
) -> FieldDecision:
    """Apply the precedence rules (module docstring) to one field of one pair.

    ``snapshot`` is the value both sides agreed on last time, or ``None``/empty for none. The
    returned snapshot is ``None`` when the field still has no agreed value.
    """
    sor = LACRM if system_of_record == LACRM else QBO
    other = QBO if sor == LACRM else LACRM
    values = {QBO: qbo_value, LACRM: lacrm_value}
    sor_value, other_value = values[sor], values[other]
    sor_key, other_key = field_key(name, sor_value), field_key(name, other_value)
    snap_key = field_key(name, snapshot)
    label, sor_name, other_name = LABELS[name], SYSTEM_NAMES[sor], SYSTEM_NAMES[other]

    if not snap_key:
        # First sync of this field: fill blanks; when both are set and differ, the SoR wins.
        if not sor_key and not other_key:
            return FieldDecision(None, None)
        if not sor_key:
            return FieldDecision(FieldChange(name, sor, sor_value, other_value), other_value)
        if sor_key == other_key:
            return FieldDecision(None, sor_value)
        return FieldDecision(FieldChange(name, other, other_value, sor_value), sor_value)

    if not sor_key:
        note = (
            f"{label} is empty in {sor_name}; the {other_name} value "
            f"{_quoted(name, other_value)} is kept (LedgerLink never blanks a field)."
            if other_key
            else ""
        )
        return FieldDecision(None, snapshot, note)
    if sor_key == snap_key:
        # The system of record did not change: whatever the other side did stays as it is.
        note = ""
        if other_key != sor_key:
            note = (
                f"{label} differs in {other_name} ({_quoted(name, other_value)}); "
                f"{sor_name} is the system of record and its value {_quoted(name, sor_value)} "
                "has not changed, so nothing is copied."
            )
        return FieldDecision(None, snapshot, note)
    if sor_key == other_key:
        return FieldDecision(None, sor_value)
    return FieldDecision(FieldChange(name, other, other_value, sor_value), sor_value)


@dataclass
class PairPlan:
    """The changes for one pair, its snapshot after applying them, and notes for the log."""

    changes: list[FieldChange] = field(default_factory=list)
    snapshot: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def plan_pair(
    qbo: ContactRecord,
    lacrm: ContactRecord,
    synced_fields: Mapping | None,
    *,
    system_of_record: str,
    include_email: bool,
) -> PairPlan:
    """Decide every kept field of one linked pair."""
    previous = dict(synced_fields or {})
    plan = PairPlan(snapshot=dict(previous))
    for name in fields_for(include_email):
        decision = decide_field(
            name,
            read_value(qbo, name),
            read_value(lacrm, name),
            previous.get(name),
            system_of_record,
        )
        if decision.change is not None:
            plan.changes.append(decision.change)
        if field_key(name, decision.snapshot):
            plan.snapshot[name] = decision.snapshot
        else:
            plan.snapshot.pop(name, None)
        if decision.note:
            plan.notes.append(decision.note)
    return plan


# --- Writing -------------------------------------------------------------------------------------


def qbo_changes(changes: Iterable[FieldChange]) -> dict:
    """Neutral fields for ``QuickBooksClient.update_customer`` (a sparse update of those slots)."""
    result: dict[str, tuple] = {}
    phones: list[Phone] = []
    for change in changes:
        if change.field in (PHONE, MOBILE):
            phones.append(Phone(change.new, "work" if change.field == PHONE else "mobile"))
        elif change.field == ADDRESS:
            result["addresses"] = (to_address(change.new, "billing"),)
        elif change.field == WEBSITE:
            result["websites"] = (change.new,)
        elif change.field == EMAIL:
            result["emails"] = (change.new,)
    if phones:
        result["phones"] = tuple(phones)
    return result


def _replace_first(values: tuple[str, ...], new: str, name: str) -> tuple[str, ...]:
    """Put ``new`` in place of the first value; drop later copies of it (no duplicates)."""
    key = field_key(name, new)
    rest = [v for v in values[1:] if field_key(name, v) != key]
    return (new, *rest)


def lacrm_fields(current: ContactRecord, changes: Iterable[FieldChange]) -> dict:
    """Neutral fields for ``LacrmClient.edit_contact``, merged into ``current``'s lists.

    EditContact replaces a whole list, so each changed list is sent complete: the other phones,
    emails, websites and addresses of the contact are kept and only the primary one of the
    changed kind is replaced (or added when the contact had none).
    """
    phones, addresses = list(current.phones), list(current.addresses)
    websites, emails = tuple(current.websites), tuple(current.emails)
    touched: set[str] = set()
    for change in changes:
        if change.field in (PHONE, MOBILE):
            kind = "work" if change.field == PHONE else "mobile"
            index = phone_index(ContactRecord(system=LACRM, phones=tuple(phones)), kind)
            if index is None:
                phones.append(Phone(change.new, kind))
            else:
                phones[index] = Phone(change.new, phones[index].kind)
            touched.add("phones")
        elif change.field == ADDRESS:
            index = address_index(ContactRecord(system=LACRM, addresses=tuple(addresses)))
            if index is None:
                addresses.append(to_address(change.new, "work"))
            else:
                addresses[index] = to_address(change.new, addresses[index].kind)
            touched.add("addresses")
        elif change.field == WEBSITE:
            websites = _replace_first(websites, change.new, WEBSITE)
            touched.add("websites")
        elif change.field == EMAIL:
            emails = _replace_first(emails, change.new, EMAIL)
            touched.add("emails")
    merged = {
        "phones": tuple(phones),
        "addresses": tuple(addresses),
        "websites": websites,
        "emails": emails,
    }
    return {key: value for key, value in merged.items() if key in touched}
