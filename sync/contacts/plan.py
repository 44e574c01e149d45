"""Planning Sync New Contacts, as a pure function: both sides and the ledger in, a plan out.

``plan_contacts`` decides, for every pulled record, what this run does with it: already
matched, matched now, held for review, skipped (and why), or created on the other side. It
touches no database and no API: the caller (``sync.contact_writes``) reads the ledger, calls it
and writes the result in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from datetime import datetime

from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord
from sync.matching import MATCH_BY_NAME, MatchPlan, adopt, plan_matches
from sync.matching.normalize import normalize_company

# Ledger states and directions as the planner reads them (the model's values).
LINKED, NEEDS_REVIEW, CREATING = "linked", "needs_review", "creating"
BOTH, QBO_TO_LACRM, LACRM_TO_QBO = "both", "qbo_to_lacrm", "lacrm_to_qbo"


@dataclass
class Pulled:
    """Both sides as pulled, and what the workspace's settings made of them."""

    qbo: dict[str, ContactRecord]
    lacrm: dict[str, ContactRecord]
    skipped: list[tuple[ContactRecord, str]] = field(default_factory=list)


@dataclass(frozen=True)
class LedgerRow:
    """What planning needs of one ledger row."""

    key: str
    state: str
    qbo_id: str | None = None
    lacrm_id: str | None = None
    method_label: str = ""
    reason: str = ""
    linked_at: datetime | None = None
    target_system: str = ""
    qbo_name: str = ""
    qbo_email: str = ""
    lacrm_name: str = ""
    lacrm_email: str = ""
    flag: str = ""


@dataclass(frozen=True)
class PlanSettings:
    direction: str = BOTH
    direction_label: str = "Both ways"
    no_email: str = MATCH_BY_NAME


@dataclass(frozen=True)
class NewLink:
    qbo: ContactRecord
    lacrm: ContactRecord
    method: str
    reason: str
    # Set for a link to a record LedgerLink writes nothing to (an inactive customer).
    flag: str = ""


@dataclass(frozen=True)
class NewReview:
    record: ContactRecord
    reason: str
    candidates: tuple[str, ...]


@dataclass
class ContactPlan:
    """Everything a run of Sync New Contacts writes when it plans."""

    entries: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {
            "already_matched": 0,
            "needs_review": 0,
            "skipped": 0,
            "matched": 0,
        }
    )
    links: list[NewLink] = field(default_factory=list)
    reviews: list[NewReview] = field(default_factory=list)
    # Records to create on the other side, in work order (unfinished creates first).
    creates: list[ContactRecord] = field(default_factory=list)
    # Ledger row key -> its refreshed display snapshot and flag, for rows that changed.
    refreshed: dict[str, dict] = field(default_factory=dict)

    def log(self, outcome: str, record: ContactRecord, reason: str = "", **extra) -> None:
        self.entries.append(entry(outcome, record, reason, **extra))
        if outcome in self.counts:
            self.counts[outcome] += 1


def entry(outcome: str, record: ContactRecord, reason: str = "", **extra) -> dict:
    """A runtime-log entry about ``record``."""
    return {
        "outcome": outcome,
        "system": record.system,
        "record_id": record.id,
        "record_name": record.name[:500],
        "record_email": record.primary_email[:254],
        "reason": reason,
        **extra,
    }


def snapshot(qbo: ContactRecord | None, lacrm: ContactRecord | None) -> dict:
    """The ledger's display copy of each side's name and email."""
    data = {}
    if qbo is not None:
        data.update(qbo_name=qbo.name[:500], qbo_email=qbo.primary_email[:254])
    if lacrm is not None:
        data.update(lacrm_name=lacrm.name[:500], lacrm_email=lacrm.primary_email[:254])
    return data


def plan_contacts(
    pulled: Pulled,
    ledger: Iterable[LedgerRow],
    settings: PlanSettings,
    rejected_pairs: Set[tuple[str, str]] = frozenset(),
) -> ContactPlan:
    """Decide every pulled record; see the module docstring. Pure."""
    plan = ContactPlan()
    ledger = list(ledger)
    for record, reason in pulled.skipped:
        plan.log("skipped", record, reason)
    _replay_ledger(plan, pulled, ledger)

    linked_qbo = {row.qbo_id for row in ledger if row.qbo_id}
    linked_lacrm = {row.lacrm_id for row in ledger if row.lacrm_id}
    # What an unfinished create may have made is that create's record: out of matching and
    # creating, so the create's work item adopts it rather than a duplicate being made.
    left_qbo, left_lacrm = _left_to_unfinished_creates(pulled, ledger, linked_qbo, linked_lacrm)
    linked_qbo |= left_qbo
    linked_lacrm |= left_lacrm
    matches = plan_matches(
        [r for rid, r in pulled.qbo.items() if rid not in linked_qbo],
        [r for rid, r in pulled.lacrm.items() if rid not in linked_lacrm],
        linked_qbo=linked_qbo,
        linked_lacrm=linked_lacrm,
        rejected_pairs=rejected_pairs,
        no_email=settings.no_email,
    )
    _take_matches(plan, pulled, matches)
    lacrm_only = _not_skipped_customers(
        plan, pulled, list(matches.lacrm_only), settings, linked_qbo, rejected_pairs
    )
    lacrm_only = _not_company_records_of_people(plan, pulled, lacrm_only)
    _creates(plan, pulled.qbo, matches.qbo_only, QBO, settings)
    _creates(plan, pulled.lacrm, lacrm_only, LACRM, settings)
    return plan


def _replay_ledger(plan: ContactPlan, pulled: Pulled, ledger: list[LedgerRow]) -> None:
    """What the ledger already knows: linked pairs, open reviews, creates left unfinished."""
    for row in ledger:
        qbo = pulled.qbo.get(row.qbo_id) if row.qbo_id else None
        lacrm = pulled.lacrm.get(row.lacrm_id) if row.lacrm_id else None
        record = qbo or lacrm
        if row.state == LINKED:
            if record is not None:
                since = (
                    f"Linked since {row.linked_at:%Y-%m-%d} ({row.method_label})"
                    if row.linked_at
                    else "Already linked"
                )
                other = row.lacrm_id if record.system == QBO else row.qbo_id
                plan.log("already_matched", record, since, target_id=other or "")
            refreshed = _refreshed(row, qbo, lacrm)
            if refreshed is not None:
                plan.refreshed[row.key] = refreshed
        elif row.state == NEEDS_REVIEW:
            if record is not None:
                plan.log("needs_review", record, f"Waiting for your review: {row.reason}")
        elif row.state == CREATING:
            # A create whose worker died: finish it (same idempotency key) in this run.
            source = lacrm if row.target_system == QBO else qbo
            if source is not None:
                plan.creates.append(source)


def _left_to_unfinished_creates(
    pulled: Pulled, ledger: list[LedgerRow], linked_qbo: set[str], linked_lacrm: set[str]
) -> tuple[set[str], set[str]]:
    """Ids of pulled records that the ``creating`` rows' earlier attempts may have made."""
    left: dict[str, set[str]] = {QBO: set(), LACRM: set()}
    taken = {QBO: linked_qbo, LACRM: linked_lacrm}
    sides = {QBO: pulled.qbo, LACRM: pulled.lacrm}
    indexes: dict[str, dict[str, list[ContactRecord]]] = {}
    for row in ledger:
        if row.state != CREATING or row.target_system not in sides:
            continue
        target = row.target_system
        if target == QBO:
            source = pulled.lacrm.get(row.lacrm_id or "")
        else:
            source = pulled.qbo.get(row.qbo_id or "")
        if source is None:
            continue
        if target not in indexes:
            indexes[target] = adopt.index(sides[target].values())
        found = adopt.pick_indexed(indexes[target], source, taken[target] | left[target])
        if found is not None:
            left[target].add(found.id)
    return left[QBO], left[LACRM]


def _take_matches(plan: ContactPlan, pulled: Pulled, matches: MatchPlan) -> None:
    for match in matches.links:
        qbo, lacrm = pulled.qbo[match.qbo_id], pulled.lacrm[match.lacrm_id]
        plan.links.append(NewLink(qbo, lacrm, match.method, match.reason))
        plan.log("matched", qbo, match.reason, target_id=match.lacrm_id)
    for review in matches.reviews:
        for side, ids, other_ids in (
            (pulled.qbo, review.qbo_ids, review.lacrm_ids),
            (pulled.lacrm, review.lacrm_ids, review.qbo_ids),
        ):
            for rid in ids:
                plan.reviews.append(NewReview(side[rid], review.reason, tuple(other_ids)))
                plan.log("needs_review", side[rid], review.reason)


def _not_skipped_customers(
    plan: ContactPlan,
    pulled: Pulled,
    lacrm_only: list[str],
    settings: PlanSettings,
    linked_qbo: Set[str],
    rejected_pairs: Set[tuple[str, str]],
) -> list[str]:
    """A LACRM contact that matches a QBO customer we skipped (inactive, sub-customer) is that
    customer, not someone new: creating it would make a duplicate in QuickBooks. A sure match
    with an *inactive* customer is linked (flagged; nothing is written to an inactive customer),
    so invoice summaries reach the contact and a reactivation finds the pair; the rest is
    skipped with the reason."""
    skipped = [(r, why) for r, why in pulled.skipped if r.id not in linked_qbo]
    if not (skipped and lacrm_only):
        return lacrm_only
    shadow = plan_matches(
        [record for record, _ in skipped],
        [pulled.lacrm[rid] for rid in lacrm_only],
        rejected_pairs=rejected_pairs,
        no_email=settings.no_email,
    )
    skipped_by_id = {record.id: (record, why) for record, why in skipped}
    for match in shadow.links:
        customer = skipped_by_id[match.qbo_id][0]
        if not customer.active:
            reason = f"Linked to an inactive QuickBooks customer ({match.reason})"
            flag = "The QuickBooks customer is inactive; nothing is written to it"
            plan.links.append(
                NewLink(customer, pulled.lacrm[match.lacrm_id], match.method, reason, flag)
            )
            plan.log("matched", pulled.lacrm[match.lacrm_id], reason, target_id=customer.id)
    linked_now = {link.lacrm.id for link in plan.links}
    shadowed = {m.lacrm_id: m.qbo_id for m in shadow.links if m.lacrm_id not in linked_now}
    for review in shadow.reviews:
        for rid in review.lacrm_ids:
            shadowed.setdefault(rid, review.qbo_ids[0])
    for rid, qbo_id in shadowed.items():
        customer, why = skipped_by_id[qbo_id]
        plan.log(
            "skipped",
            pulled.lacrm[rid],
            f'Looks like QuickBooks customer "{customer.name}", which is skipped '
            f"({why[0].lower() + why[1:]}); not creating a duplicate",
            target_id=qbo_id,
        )
    return [rid for rid in lacrm_only if rid not in shadowed and rid not in linked_now]


def _not_company_records_of_people(
    plan: ContactPlan, pulled: Pulled, lacrm_only: list[str]
) -> list[str]:
    """LACRM keeps a person's company as a company record of its own (creating a person with a
    "Company Name" makes one). QuickBooks keeps it on the customer instead, so such a record is
    not a customer to create: it would flood QuickBooks with copies."""
    companies_of_people = {
        normalize_company(r.company_name)
        for side in (pulled.qbo, pulled.lacrm)
        for r in side.values()
        if r.company_name and r.person_name
    }
    kept = []
    for rid in lacrm_only:
        record = pulled.lacrm[rid]
        if record.is_company and normalize_company(record.name) in companies_of_people:
            plan.log(
                "skipped",
                record,
                "Company record of a person's company; QuickBooks keeps the company "
                "on the customer (Company name), so no separate customer is created",
            )
        else:
            kept.append(rid)
    return kept


def _creates(
    plan: ContactPlan,
    records: dict[str, ContactRecord],
    ids: list[str],
    system: str,
    settings: PlanSettings,
) -> None:
    """Records only on ``system``'s side: created on the other, as the direction allows."""
    other = LACRM if system == QBO else QBO
    allowed = settings.direction in (BOTH, QBO_TO_LACRM if system == QBO else LACRM_TO_QBO)
    for rid in ids:
        if allowed:
            plan.creates.append(records[rid])
        else:
            plan.log(
                "skipped",
                records[rid],
                f"Not in {SYSTEM_NAMES[other]}; the sync direction is {settings.direction_label}",
            )


def missing_flag(row: LedgerRow, qbo: ContactRecord | None, lacrm: ContactRecord | None) -> str:
    """Describe a linked record that vanished from its side; links are flagged, never dropped."""
    missing = []
    if row.qbo_id and qbo is None:
        missing.append("the QuickBooks customer is inactive, a sub-customer or deleted")
    if row.lacrm_id and lacrm is None:
        missing.append("the LACRM contact was not found (deleted?)")
    text = "; ".join(missing)
    return (text[:1].upper() + text[1:])[:200]


def _refreshed(row: LedgerRow, qbo, lacrm) -> dict | None:
    """The row's new snapshot and flag, or None when nothing changed."""
    before = {
        "qbo_name": row.qbo_name,
        "qbo_email": row.qbo_email,
        "lacrm_name": row.lacrm_name,
        "lacrm_email": row.lacrm_email,
        "flag": row.flag,
    }
    after = {**before, **snapshot(qbo, lacrm), "flag": missing_flag(row, qbo, lacrm)}
    return after if after != before else None


def restricted(plan: ContactPlan, wanted: Set[tuple[str, str]]) -> ContactPlan:
    """Only the part of ``plan`` about the records in ``wanted`` (``(system, id)`` pairs): what
    "Retry failed items" does with a fresh plan, so those records are matched against everything
    pulled but no other record is linked, held or created. Display refreshes are kept whole."""

    def about(system: str, record_id: str | None, target_id: str | None = None) -> bool:
        other = LACRM if system == QBO else QBO
        return (system, record_id) in wanted or (other, target_id) in wanted

    kept = ContactPlan(refreshed=plan.refreshed)
    kept.entries = [
        e for e in plan.entries if about(e["system"], e["record_id"], e.get("target_id"))
    ]
    for e in kept.entries:
        if e["outcome"] in kept.counts:
            kept.counts[e["outcome"]] += 1
    kept.links = [link for link in plan.links if about(QBO, link.qbo.id, link.lacrm.id)]
    kept.reviews = [r for r in plan.reviews if about(r.record.system, r.record.id)]
    kept.creates = [record for record in plan.creates if about(record.system, record.id)]
    return kept
