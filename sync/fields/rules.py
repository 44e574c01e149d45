"""Which contact fields of a linked pair to copy, and which way (pure functions, no I/O).

Values are read and compared by ``sync.fields.values``. Precedence, per field (so that "both
sides changed" always has one clear answer):


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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord, Phone
from sync.fields.values import (
    ADDRESS,
    EMAIL,
    LABELS,
    MOBILE,
    PHONE,
    WEBSITE,
    address_index,
    field_key,
    fields_for,
    phone_index,
    quoted,
    read_value,
    to_address,
)

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
            f"{self.label}: {quoted(self.field, self.old)} → {quoted(self.field, self.new)} "
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
            f"{quoted(name, other_value)} is kept (LedgerLink never blanks a field)."
            if other_key
            else ""
        )
        return FieldDecision(None, snapshot, note)
    if sor_key == snap_key:
        # The system of record did not change: whatever the other side did stays as it is.
        note = ""
        if other_key != sor_key:
            note = (
                f"{label} differs in {other_name} ({quoted(name, other_value)}); "
                f"{sor_name} is the system of record and its value {quoted(name, sor_value)} "
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
    """Neutral fields for QuickBooks' ``update_contact`` (a sparse update of those slots)."""
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
    """Neutral fields for the CRM's ``update_contact``, merged into ``current``'s lists.

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
