"""A contact plan as one decision per record, and holding a fresh plan to a stored one. Pure.

``decisions`` turns the planner's output (``sync.contacts.plan.ContactPlan``) into what the
preview stores: per record, its category (will link, will create on the other side, held for
review, skipped, already linked), the reason, the fields a new record would get, and a
*fingerprint* of the decision and of the records it was made on.

``hold_plan_to`` is the apply side: a run that applies a stored preview plans afresh, and acts
only where the fresh decision has the stored fingerprint (same decision on unchanged records)
and the user did not exclude it. Everything else is taken out of the plan and logged as
"changed since preview" (a record edited, created or deleted since, or a decision that would
now differ) or "excluded from the plan" — in place of the entry the plan had for it, so each
record still has one log entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Set
from dataclasses import dataclass, field

from integrations.records import LACRM, QBO, ContactRecord, CreatePreview, record_to_dict
from sync.contacts.plan import ContactPlan, Pulled, entry

LINK = "link"
CREATE_IN_QBO = "create_in_qbo"
CREATE_IN_LACRM = "create_in_lacrm"
REVIEW = "review"
SKIPPED = "skipped"
ALREADY_LINKED = "already_linked"
CATEGORIES = (CREATE_IN_QBO, CREATE_IN_LACRM, LINK, REVIEW, SKIPPED, ALREADY_LINKED)
# What an apply run acts on; the user may exclude these.
ACTIONABLE = (LINK, CREATE_IN_QBO, CREATE_IN_LACRM)
# What an apply run acts on only when it is unchanged (a new review row is a ledger write).
HELD = (*ACTIONABLE, REVIEW)
LABELS = {
    LINK: "link",
    CREATE_IN_QBO: "create in QuickBooks",
    CREATE_IN_LACRM: "create in LACRM",
    REVIEW: "hold for review",
    SKIPPED: "skip",
    ALREADY_LINKED: "already linked",
}

# The log outcomes of an apply run's records that it did not act on (``sync.registration``).
CHANGED = "preview_changed"
EXCLUDED = "preview_excluded"

# The plan's log outcome for each category whose entry an apply run may replace.
_ENTRY_OUTCOMES = {LINK: "matched", REVIEW: "needs_review", SKIPPED: "skipped"}


@dataclass(frozen=True)
class Decision:
    """What the plan does with one record."""

    category: str
    record: ContactRecord
    fingerprint: str
    reason: str = ""
    target_id: str = ""
    target_name: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return record_key(self.record.system, self.record.id)


@dataclass(frozen=True)
class StoredDecision:
    """What the stored preview said of a record (and whether the user excluded it)."""

    category: str
    fingerprint: str
    excluded: bool = False
    system: str = ""
    record_id: str = ""
    record_name: str = ""
    record_email: str = ""
    target_id: str = ""


def record_key(system: str, record_id: str) -> str:
    return f"{system}:{record_id}"


def record_digest(record: ContactRecord) -> str:
    """A digest of a record's contents (its version token and timestamp left out)."""
    data = record_to_dict(record)
    data.pop("sync_token", None)
    data.pop("updated_at", None)
    return _digest(data)


def _digest(data) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decisions(
    plan: ContactPlan, pulled: Pulled, previews: Mapping[str, CreatePreview]
) -> dict[str, Decision]:
    """One decision per record the plan decides (by ``record_key``), creates first in work
    order. ``previews``: what each create would send, by the source record's key."""
    records = {record_key(QBO, r.id): r for r in pulled.qbo.values()}
    records.update((record_key(LACRM, r.id), r) for r in pulled.lacrm.values())
    records.update((record_key(r.system, r.id), r) for r, _ in pulled.skipped)
    found: dict[str, Decision] = {}
    for item in plan.entries:
        category = {
            "skipped": SKIPPED,
            "already_matched": ALREADY_LINKED,
            "needs_review": REVIEW,
        }.get(item["outcome"])
        record = records.get(record_key(item["system"], item["record_id"]))
        if category is None or record is None:
            continue
        detail = [] if category == REVIEW else [item["reason"], item.get("target_id", "")]
        found[record_key(record.system, record.id)] = Decision(
            category,
            record,
            _digest([category, record_digest(record), *detail]),
            reason=item["reason"],
            target_id=item.get("target_id", ""),
        )
    for review in plan.reviews:
        record = review.record
        found[record_key(record.system, record.id)] = Decision(
            REVIEW,
            record,
            # The record, not the wording: once written, a review row's entry reads differently.
            _digest([REVIEW, record_digest(record)]),
            reason=review.reason,
        )
    for link in plan.links:
        found[record_key(QBO, link.qbo.id)] = Decision(
            LINK,
            link.qbo,
            _digest([LINK, record_digest(link.qbo), record_digest(link.lacrm), link.method]),
            reason=link.reason,
            target_id=link.lacrm.id,
            target_name=link.lacrm.name[:500],
        )
    creates: dict[str, Decision] = {}
    for record in plan.creates:
        key = record_key(record.system, record.id)
        category = CREATE_IN_LACRM if record.system == QBO else CREATE_IN_QBO
        preview = previews.get(key) or CreatePreview()
        notes = (*((preview.error,) if preview.error else ()), *preview.notes)
        creates[key] = Decision(
            category,
            record,
            _digest([category, record_digest(record), preview.fields, preview.error]),
            reason=f"Only in {'QuickBooks' if record.system == QBO else 'Less Annoying CRM'}",
            fields=dict(preview.fields),
            notes=tuple(notes),
        )
        found.pop(key, None)
    rank = {category: n for n, category in enumerate(CATEGORIES)}
    rest = sorted(found.values(), key=lambda d: rank[d.category])
    return {**creates, **{d.key: d for d in rest}}


@dataclass
class _Held:
    """What ``hold_plan_to`` takes out of the plan, and the entries it writes instead."""

    drop: set[str] = field(default_factory=set)
    entries: list[dict] = field(default_factory=list)
    # Plan entries (outcome, system, record id) that the new entries replace.
    replaced: set[tuple[str, str, str]] = field(default_factory=set)


def hold_plan_to(
    plan: ContactPlan,
    fresh: Mapping[str, Decision],
    stored: Mapping[str, StoredDecision],
    unfinished: Set[str] = frozenset(),
    in_ledger: Set[str] = frozenset(),
) -> dict[str, int]:
    """Narrow ``plan`` (in place) to what the stored preview showed; see the module docstring.

    ``unfinished``: keys of records whose create an earlier run left in the outbox (``creating``):
    those are always finished (create-or-adopt), so nothing is made twice. ``in_ledger``: keys
    of records the ledger links or holds for review now; a previewed item that is among them
    was done already (by an earlier, stopped apply of the same plan) and is not "changed".
    Returns how many records were left out, by outcome (``CHANGED``, ``EXCLUDED``).
    """
    held = _Held()
    for key, decision in fresh.items():
        if decision.category not in HELD or key in unfinished:
            continue
        before = stored.get(key)
        if before is not None and before.fingerprint == decision.fingerprint:
            if before.excluded:
                _leave_out(held, decision, EXCLUDED, _excluded_reason(decision.category))
            continue
        _leave_out(held, decision, CHANGED, _changed_reason(before, decision))
    # A LACRM contact that would now be linked is decided under its QuickBooks customer's key.
    linked_to = {record_key(LACRM, d.target_id): d for d in fresh.values() if d.category == LINK}
    for key, before in stored.items():
        if before.category not in HELD or key in held.drop or key in in_ledger:
            continue
        now = fresh.get(key)
        if now is None and key in linked_to:
            held.entries.append(_stored_entry(before, _changed_reason(before, linked_to[key])))
        elif now is None:
            held.entries.append(_stored_entry(before, _GONE.format(LABELS[before.category])))
        elif now.category == SKIPPED:
            # Previewed as something to do, now skipped: say so in place of the skip entry.
            _leave_out(held, now, CHANGED, _changed_reason(before, now))
    _narrow(plan, held, fresh)
    left = {CHANGED: 0, EXCLUDED: 0}
    for item in held.entries:
        left[item["outcome"]] += 1
    return left


def _leave_out(held: _Held, decision: Decision, outcome: str, reason: str) -> None:
    held.drop.add(decision.key)
    outcome_before = _ENTRY_OUTCOMES.get(decision.category)
    if outcome_before:
        held.replaced.add((outcome_before, decision.record.system, decision.record.id))
    held.entries.append(
        entry(outcome, decision.record, reason[:2000], target_id=decision.target_id)
    )


def _narrow(plan: ContactPlan, held: _Held, fresh: Mapping[str, Decision]) -> None:
    dropped_links = {fresh[key].target_id for key in held.drop if fresh[key].category == LINK}
    plan.links = [link for link in plan.links if record_key(QBO, link.qbo.id) not in held.drop]
    plan.reviews = [
        r for r in plan.reviews if record_key(r.record.system, r.record.id) not in held.drop
    ]
    plan.creates = [r for r in plan.creates if record_key(r.system, r.id) not in held.drop]
    kept = []
    for item in plan.entries:
        mark = (item["outcome"], item["system"], item["record_id"])
        # A link's entry may be written about its LACRM side (a link to an inactive customer).
        link_entry = (
            item["outcome"] == "matched"
            and item["system"] == LACRM
            and item["record_id"] in dropped_links
        )
        if mark in held.replaced or link_entry:
            counter = {"matched": "matched", "needs_review": "needs_review"}.get(item["outcome"])
            plan.counts[counter or "skipped"] -= 1
        else:
            kept.append(item)
    plan.entries = kept + held.entries
    plan.counts["skipped"] += len(held.entries)


def _excluded_reason(category: str) -> str:
    return (
        f"Excluded from the plan before applying (it would {LABELS[category]}); not acted on. "
        "The next Sync New Contacts decides it again."
    )


def _changed_reason(before: StoredDecision | None, now: Decision) -> str:
    if before is None:
        return (
            f"New since the preview (it would now {LABELS[now.category]}): not in the plan, so "
            "not acted on; left for the next Sync New Contacts."
        )
    if before.category != now.category:
        detail = f" ({now.reason})" if now.reason else ""
        return (
            f"Changed since the preview: previewed as {LABELS[before.category]}, now it would "
            f"{LABELS[now.category]}{detail}. Not acted on; the next Sync New Contacts decides it."
        )
    return (
        f"Changed since the preview: still {LABELS[now.category]}, but a record was edited "
        "(or what the new record would get differs). Not acted on; preview again to see it."
    )


_GONE = (
    "Changed since the preview: previewed as {}, but the record is no longer there to act on "
    "(deleted, made inactive or a sub-customer?). Not acted on."
)


def _stored_entry(before: StoredDecision, reason: str) -> dict:
    """A log entry about a record the fresh plan has no decision of its own for."""
    return {
        "outcome": CHANGED,
        "system": before.system,
        "record_id": before.record_id,
        "record_name": before.record_name[:500],
        "record_email": before.record_email[:254],
        "target_id": before.target_id,
        "reason": reason[:2000],
    }
