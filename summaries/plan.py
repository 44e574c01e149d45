"""Planning Update Invoice Summaries, as a pure function: who gets a note this run, and why not.

For each linked pair: no unpaid invoices → "no open invoices"; a note less than 24 hours ago →
"throttled" (with when the next one is allowed); the same figures as the last note, when the
workspace skips unchanged summaries → "unchanged"; otherwise a note to post, its text ready.
Customers with open invoices but no linked contact are listed as "not linked". No database, no
API: ``summaries.engine`` reads what this needs and writes what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from integrations.records import InvoiceRecord
from summaries.kind import Outcome
from summaries.note import format_note
from summaries.summarize import summarize_customer, summary_fingerprint

# At most one summary note per contact in this many hours.
THROTTLE_HOURS = 24
WINDOW = timedelta(hours=THROTTLE_HOURS)


@dataclass(frozen=True)
class LinkedPair:
    qbo_id: str
    lacrm_id: str
    qbo_name: str = ""
    lacrm_name: str = ""
    lacrm_email: str = ""


@dataclass(frozen=True)
class LastNote:
    """What the throttle row says of a contact's last note."""

    posted_at: datetime | None = None
    fingerprint: str = ""
    pending: bool = False


@dataclass(frozen=True)
class NoteToPost:
    lacrm_id: str
    qbo_id: str
    name: str
    email: str
    text: str
    fingerprint: str

    def payload(self) -> dict:
        return {
            "qbo_id": self.qbo_id,
            "name": self.name,
            "email": self.email,
            "text": self.text,
            "fingerprint": self.fingerprint,
        }


@dataclass
class SummaryPlan:
    entries: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"skipped": 0, "throttled": 0})
    notes: list[NoteToPost] = field(default_factory=list)


def plan_summaries(
    pairs: Iterable[LinkedPair],
    last_notes: Mapping[str, LastNote],
    invoices_by_customer: Mapping[str, list[InvoiceRecord]],
    *,
    today: date,
    now: datetime,
    skip_unchanged: bool,
    customer_names: Mapping[str, str] | None = None,
) -> SummaryPlan:
    """Decide every linked pair and list the unlinked customers that owe money. Pure."""
    plan = SummaryPlan()
    linked_qbo = set()
    for pair in pairs:
        linked_qbo.add(pair.qbo_id)
        _plan_pair(
            plan,
            pair,
            last_notes.get(pair.lacrm_id),
            invoices_by_customer,
            today,
            now,
            skip_unchanged,
        )
    names = customer_names or {}
    for customer_id, invoices in invoices_by_customer.items():
        if customer_id in linked_qbo:
            continue
        plan.entries.append(
            {
                "outcome": Outcome.NOT_LINKED,
                "system": "qbo",
                "record_id": customer_id,
                "record_name": (names.get(customer_id) or _customer_name(invoices))[:500],
                "reason": f"{len(invoices)} open invoice(s) but no linked LACRM contact; "
                "run Sync New Contacts or link it by hand",
            }
        )
        plan.counts["skipped"] += 1
    return plan


def _plan_pair(
    plan,
    pair: LinkedPair,
    last: LastNote | None,
    invoices_by_customer,
    today,
    now,
    skip_unchanged: bool,
) -> None:
    base = {
        "system": "lacrm",
        "record_id": pair.lacrm_id,
        "record_name": pair.lacrm_name or pair.qbo_name,
        "record_email": pair.lacrm_email,
        "target_id": pair.qbo_id,
    }
    summary = summarize_customer(pair.qbo_id, invoices_by_customer.get(pair.qbo_id, []), today)
    if summary is None:
        plan.entries.append(
            {**base, "outcome": Outcome.NO_OPEN_INVOICES, "reason": "No unpaid invoices"}
        )
        plan.counts["skipped"] += 1
        return
    if last and last.posted_at and last.posted_at > now - WINDOW:
        eligible = last.posted_at + WINDOW
        reason = (
            f"Summary posted {last.posted_at:%Y-%m-%d %H:%M} UTC; next update after "
            f"{eligible:%Y-%m-%d %H:%M} UTC"
        )
        plan.entries.append({**base, "outcome": Outcome.THROTTLED, "reason": reason})
        plan.counts["throttled"] += 1
        return
    fingerprint = summary_fingerprint(summary)
    if skip_unchanged and last is not None and not last.pending and last.fingerprint == fingerprint:
        reason = (
            "Same invoices and balances as the last summary "
            f"({last.posted_at:%Y-%m-%d}); not posted again"
        )
        plan.entries.append({**base, "outcome": Outcome.UNCHANGED, "reason": reason})
        plan.counts["skipped"] += 1
        return
    text = format_note(summary, as_of=today, customer_name=pair.qbo_name or pair.lacrm_name)
    plan.notes.append(
        NoteToPost(
            pair.lacrm_id, pair.qbo_id, base["record_name"], pair.lacrm_email, text, fingerprint
        )
    )


def _customer_name(invoices: list[InvoiceRecord]) -> str:
    return next((inv.customer_name for inv in invoices if inv.customer_name), "")
