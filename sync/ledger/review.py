"""The review queue: ledger rows held for review, grouped into cases.

``write_plan`` in ``sync.contacts`` writes one ``needs_review`` row per record of a review item,
each listing the other side's records as ``candidates``, all with the item's reason. A case is
the set of rows joined through their candidates; any row's id names the case in URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from integrations.records import LACRM, QBO
from sync.ledger.queries import RecordRef, side_of
from sync.models import ContactLink


@dataclass
class ReviewCase:
    """Review rows that belong together: records of both sides, one of which may be the other."""

    rows: list[ContactLink]
    reasons: list[str] = field(default_factory=list)

    @property
    def key(self):
        """The row whose id names the case in URLs (any row of a case leads to the whole case)."""
        return self.rows[0].id

    @property
    def qbo(self) -> list[RecordRef]:
        return [side_of(r, QBO) for r in self.rows if r.qbo_id]

    @property
    def lacrm(self) -> list[RecordRef]:
        return [side_of(r, LACRM) for r in self.rows if r.lacrm_id]

    @property
    def qbo_entries(self) -> list[tuple[RecordRef, ContactLink]]:
        """Each QuickBooks record of the case with its review row."""
        return [(side_of(r, QBO), r) for r in self.rows if r.qbo_id]

    @property
    def lacrm_entries(self) -> list[tuple[RecordRef, ContactLink]]:
        return [(side_of(r, LACRM), r) for r in self.rows if r.lacrm_id]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def pairs(self) -> set[tuple[str, str]]:
        """Every (QBO id, LACRM id) pair the case proposes."""
        pairs = set()
        for row in self.rows:
            for other in row.candidates or ():
                pairs.add((row.qbo_id, str(other)) if row.qbo_id else (str(other), row.lacrm_id))
        present_q = {r.qbo_id for r in self.rows if r.qbo_id}
        present_l = {r.lacrm_id for r in self.rows if r.lacrm_id}
        # Pairs with a side that no longer waits here (linked meanwhile) are no longer proposed.
        return {(q, lid) for q, lid in pairs if q in present_q and lid in present_l}

    def holds(self, system: str, record_id: str) -> bool:
        return any(getattr(r, f"{system}_id") == record_id for r in self.rows)


def _cases(rows: list[ContactLink]) -> list[ReviewCase]:
    """Group review rows into cases: rows joined through their candidates (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def key(system: str, record_id) -> str:
        return f"{system}:{record_id}"

    for row in rows:
        own = key(QBO, row.qbo_id) if row.qbo_id else key(LACRM, row.lacrm_id)
        other_system = LACRM if row.qbo_id else QBO
        for candidate in row.candidates or ():
            parent[find(own)] = find(key(other_system, candidate))
        find(own)
    groups: dict[str, ReviewCase] = {}
    for row in rows:
        own = key(QBO, row.qbo_id) if row.qbo_id else key(LACRM, row.lacrm_id)
        case = groups.setdefault(find(own), ReviewCase(rows=[]))
        case.rows.append(row)
        if row.reason and row.reason not in case.reasons:
            case.reasons.append(row.reason)
    cases = list(groups.values())
    for case in cases:
        case.rows.sort(key=lambda r: (r.qbo_id is None, r.created_at, str(r.id)))
    cases.sort(key=lambda c: (min(r.created_at for r in c.rows), str(c.key)))
    return cases


def review_cases(workspace, terms: str = "") -> list[ReviewCase]:
    """Every open review case of the workspace, oldest first."""
    rows = list(
        ContactLink.objects.for_workspace(workspace).filter(state=ContactLink.State.NEEDS_REVIEW)
    )
    cases = _cases(rows)
    if terms.strip():
        cases = [c for c in cases if any(ref.matches(terms) for ref in c.qbo + c.lacrm)]
    return cases


def open_case_count(workspace) -> int:
    """Cases waiting in the review queue, as the review page lists them (not records: the
    records of one case, joined through their candidates, are one decision)."""
    return len(review_cases(workspace))


def case_rows(workspace, seeds: list[ContactLink], *, lock: bool = False) -> list[ContactLink]:
    """The review rows of the cases the ``seeds`` belong to (following candidates both ways)."""
    review = ContactLink.objects.for_workspace(workspace).filter(
        state=ContactLink.State.NEEDS_REVIEW
    )
    if lock:
        review = review.select_for_update()
    seen = {row.pk: row for row in seeds if row.state == ContactLink.State.NEEDS_REVIEW}
    frontier = list(seen.values())
    while frontier:
        qbo_ids, lacrm_ids = set(), set()
        for row in frontier:
            candidates = {str(c) for c in row.candidates or ()}
            if row.qbo_id:
                lacrm_ids |= candidates
            else:
                qbo_ids |= candidates
        found = review.filter(Q(qbo_id__in=qbo_ids) | Q(lacrm_id__in=lacrm_ids)).exclude(
            pk__in=list(seen)
        )
        frontier = list(found)
        seen.update((row.pk, row) for row in frontier)
    return list(seen.values())


def case_for(workspace, row: ContactLink) -> ReviewCase:
    """The review case a needs-review row belongs to."""
    cases = _cases(case_rows(workspace, [row]))
    return next(c for c in cases if any(r.pk == row.pk for r in c.rows))
