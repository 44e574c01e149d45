"""The match ledger as users read it: matched records, unmatched ones, the review queue, search.

Everything here is read-only and workspace-scoped; the review queue's cases are in
``sync.review`` and the decisions a user takes by hand (link, unlink, "not a match", create) in
``sync.ledger_actions``.

"Unmatched" records are derived from the latest planned contacts run, because the ledger only
holds records LedgerLink decided about. The run logged every record of its pull (or listed it as
a work item to create); a record among those is unmatched when it has no ledger row now:
- the run skipped it (inactive, sub-customer, one-way direction…) or its create failed;
- its create is still a pending work item (the run was stopped before reaching it);
- it was decided by hand since (unlinked, or "not a match" in the review queue).
Records that arrived in either system after that run are not known until the next sync.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet

from integrations import registry
from integrations.errors import IntegrationError, NotConnected, NotFound, ReconnectNeeded
from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord, record_from_dict
from sync.models import ContactLink, SyncLogEntry, SyncRun, SyncWorkItem

logger = logging.getLogger(__name__)

OTHER = {QBO: LACRM, LACRM: QBO}
SEARCH_LIMIT = 20

LEDGER_FILTERS = {
    "linked": "Linked",
    "needs_review": "Needs review",
    "created": "Created by LedgerLink",
    "flagged": "Flagged",
    "unmatched_qbo": "Unmatched QuickBooks customers",
    "unmatched_lacrm": "Unmatched LACRM contacts",
}
UNMATCHED_FILTERS = {"unmatched_qbo": QBO, "unmatched_lacrm": LACRM}
# Hand-made decisions that leave a record without a ledger row.
HAND_OUTCOMES = (
    SyncLogEntry.Outcome.UNLINKED,
    SyncLogEntry.Outcome.SKIPPED,
    SyncLogEntry.Outcome.FAILED,
)


class LedgerError(Exception):
    """A hand-made decision could not be carried out; ``str()`` is shown to the user."""


@dataclass(frozen=True)
class RecordRef:
    """A record as the ledger pages show it: which system, which id, name and email, and why."""

    system: str
    id: str
    name: str = ""
    email: str = ""
    # Why it is unmatched or held, or what stands in the way of linking it.
    note: str = ""
    linkable: bool = True

    @property
    def system_name(self) -> str:
        return SYSTEM_NAMES[self.system]

    @property
    def other_system(self) -> str:
        return OTHER[self.system]

    @property
    def other_system_name(self) -> str:
        return SYSTEM_NAMES[OTHER[self.system]]

    def matches(self, terms: str) -> bool:
        """Case-insensitive substring of the name or email, or the exact id."""
        needle = terms.strip().casefold()
        if not needle:
            return True
        return (
            needle in self.name.casefold() or needle in self.email.casefold() or needle == self.id
        )


def side_of(row: ContactLink, system: str) -> RecordRef | None:
    """One side of a ledger row from its snapshots, or None when that side is empty."""
    if system == QBO and row.qbo_id:
        return RecordRef(QBO, row.qbo_id, row.qbo_name, row.qbo_email)
    if system == LACRM and row.lacrm_id:
        return RecordRef(LACRM, row.lacrm_id, row.lacrm_name, row.lacrm_email)
    return None


# --- The ledger ----------------------------------------------------------------------------------


def search_q(terms: str) -> Q:
    """Match either system's name, email or id."""
    terms = terms.strip()
    return (
        Q(qbo_name__icontains=terms)
        | Q(qbo_email__icontains=terms)
        | Q(lacrm_name__icontains=terms)
        | Q(lacrm_email__icontains=terms)
        | Q(qbo_id=terms)
        | Q(lacrm_id=terms)
    )


def ledger_rows(workspace, filter_key: str = "", terms: str = "") -> QuerySet[ContactLink]:
    """The workspace's ledger rows for a filter (see ``LEDGER_FILTERS``) and a search."""
    rows = ContactLink.objects.for_workspace(workspace)
    if filter_key == "linked":
        rows = rows.filter(state=ContactLink.State.LINKED)
    elif filter_key == "needs_review":
        rows = rows.filter(state=ContactLink.State.NEEDS_REVIEW)
    elif filter_key == "created":
        rows = rows.filter(Q(created_in_qbo=True) | Q(created_in_lacrm=True))
    elif filter_key == "flagged":
        rows = rows.exclude(flag="")
    if terms.strip():
        rows = rows.filter(search_q(terms))
    return rows.order_by("-created_at", "-id")


def flagged_count(workspace) -> int:
    return ContactLink.objects.for_workspace(workspace).exclude(flag="").count()


# --- Unmatched records ---------------------------------------------------------------------------


def latest_contacts_run(workspace) -> SyncRun | None:
    """The newest contacts run that got as far as writing its plan."""
    return (
        SyncRun.objects.for_workspace(workspace)
        .filter(kind=SyncRun.Kind.CONTACTS, planned=True)
        .order_by("-created_at")
        .first()
    )


def unmatched_records(
    workspace, system: str | None = None, terms: str = ""
) -> tuple[SyncRun | None, list[RecordRef]]:
    """Records of the latest contacts run's pull that the ledger holds nothing about.

    Returns the run the list was derived from (None before any sync) and the records, newest
    decision last per record. See the module docstring for what counts.
    """
    run = latest_contacts_run(workspace)
    if run is None:
        return None, []
    found: dict[tuple[str, str], RecordRef] = {}
    by_hand = Q(run__isnull=True, at__gte=run.created_at, outcome__in=HAND_OUTCOMES)
    entries = (
        SyncLogEntry.objects.for_workspace(workspace)
        .filter(Q(run=run) | by_hand)
        .exclude(record_id="")
    )
    if system:
        entries = entries.filter(system=system)
    for entry in entries.order_by("at", "id").iterator(chunk_size=2000):
        found[(entry.system, entry.record_id)] = RecordRef(
            entry.system,
            entry.record_id,
            entry.record_name,
            entry.record_email,
            note=_unmatched_note(entry),
        )
    items = SyncWorkItem.objects.filter(
        run=run,
        state=SyncWorkItem.State.PENDING,
        action__in=(SyncWorkItem.Action.CREATE_IN_LACRM, SyncWorkItem.Action.CREATE_IN_QBO),
    )
    waiting = "by the running sync" if run.is_active else "(the sync stopped before reaching it)"
    for item in items.order_by("seq").iterator(chunk_size=2000):
        record = record_from_dict(item.payload)
        if system and record.system != system:
            continue
        target = SYSTEM_NAMES[OTHER[record.system]]
        found[(record.system, record.id)] = RecordRef(
            record.system,
            record.id,
            record.name,
            record.primary_email,
            note=f"Waiting to be created in {target} {waiting}",
        )
    held = _ledger_ids(workspace, found)
    records = [ref for key, ref in found.items() if key not in held and ref.matches(terms)]
    records.sort(key=lambda ref: (ref.system, ref.name.casefold(), ref.id))
    return run, records


def _unmatched_note(entry: SyncLogEntry) -> str:
    if entry.run_id is None:
        return entry.reason
    if entry.outcome in (SyncLogEntry.Outcome.SKIPPED, SyncLogEntry.Outcome.FAILED):
        return f"{entry.outcome_label}: {entry.reason}"
    return f"Not in the ledger any more (the last sync: {entry.outcome_label.lower()})"


def _ledger_ids(workspace, keys) -> set[tuple[str, str]]:
    """Which of the (system, id) keys have a ledger row."""
    by_system: dict[str, list[str]] = defaultdict(list)
    for system, record_id in keys:
        by_system[system].append(record_id)
    held: set[tuple[str, str]] = set()
    rows = ContactLink.objects.for_workspace(workspace)
    for system, ids in by_system.items():
        column = f"{system}_id"
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            values = rows.filter(**{f"{column}__in": chunk}).values_list(column, flat=True)
            held.update((system, value) for value in values)
    return held


# --- Finding records to link ---------------------------------------------------------------------


def find_source(workspace, system: str, record_id: str) -> RecordRef | None:
    """A record the user may link by hand: held for review, or unmatched in the latest sync."""
    if system not in OTHER or not record_id:
        return None
    row = ContactLink.objects.for_workspace(workspace).filter(**{f"{system}_id": record_id}).first()
    if row is not None:
        if row.state != ContactLink.State.NEEDS_REVIEW:
            return None
        return replace(side_of(row, system), note=f"Waiting for review: {row.reason}")
    _, records = unmatched_records(workspace, system)
    return next((ref for ref in records if ref.id == record_id), None)


def _linked_note(row: ContactLink, system: str) -> str:
    other = side_of(row, OTHER[system])
    if row.state == ContactLink.State.LINKED and other is not None:
        return f"Already linked to {other.name or other.id} — unlink it first"
    if row.state == ContactLink.State.CREATING:
        return "Being created in the other system"
    return ""


def search_known(workspace, system: str, terms: str) -> list[RecordRef]:
    """Records of ``system`` from LedgerLink's last pull (ledger snapshots, unmatched records)."""
    if not terms.strip():
        return []
    refs: dict[str, RecordRef] = {}
    _, unmatched = unmatched_records(workspace, system, terms)
    for ref in unmatched[:SEARCH_LIMIT]:
        refs[ref.id] = ref
    column = f"{system}_id"
    rows = (
        ContactLink.objects.for_workspace(workspace)
        .filter(**{f"{column}__isnull": False})
        .filter(
            Q(**{f"{system}_name__icontains": terms.strip()})
            | Q(**{f"{system}_email__icontains": terms.strip()})
            | Q(**{column: terms.strip()})
        )
        .order_by(f"{system}_name")[:SEARCH_LIMIT]
    )
    for row in rows:
        note = _linked_note(row, system)
        ref = side_of(row, system)
        if row.state == ContactLink.State.NEEDS_REVIEW:
            note = f"Waiting for review: {row.reason}"
        refs[ref.id] = replace(ref, note=note, linkable=row.state == ContactLink.State.NEEDS_REVIEW)
    return list(refs.values())


def search_live(workspace, system: str, terms: str) -> list[RecordRef]:
    """Search ``system`` itself through its client; raises IntegrationError if it can't."""
    if not terms.strip():
        return []
    records = registry.client(workspace, system).search_contacts(terms.strip())[:SEARCH_LIMIT]
    return mark_linkable(workspace, system, [to_ref(r) for r in records])


def to_ref(record: ContactRecord) -> RecordRef:
    note = "" if record.active else "Inactive"
    if record.parent_id:
        note = (note + "; " if note else "") + "Sub-customer"
    return RecordRef(record.system, record.id, record.name, record.primary_email, note=note)


def mark_linkable(workspace, system: str, refs: list[RecordRef]) -> list[RecordRef]:
    """Mark records the ledger already links (or is creating) as not linkable, saying why."""
    column = f"{system}_id"
    rows = {
        getattr(row, column): row
        for row in ContactLink.objects.for_workspace(workspace).filter(
            **{f"{column}__in": [ref.id for ref in refs]}
        )
    }
    marked = []
    for ref in refs:
        row = rows.get(ref.id)
        if row is not None and row.state != ContactLink.State.NEEDS_REVIEW:
            ref = replace(ref, note=_linked_note(row, system), linkable=False)
        marked.append(ref)
    return marked


# --- Reading records live ------------------------------------------------------------------------


def fetch_record(workspace, system: str, record_id: str) -> ContactRecord:
    """One record read live through its client; raises IntegrationError."""
    return registry.client(workspace, system).get_contact(record_id)


def unreachable_message(system: str, exc: Exception) -> str:
    """Why a record could not be read, in words a user can act on."""
    name = SYSTEM_NAMES[system]
    if isinstance(exc, NotConnected):
        return f"{name} is not connected, so this record cannot be shown. Connect it first."
    if isinstance(exc, ReconnectNeeded):
        return f"{name} needs reconnecting before this record can be shown ({exc})."
    if isinstance(exc, NotFound):
        return f"This record no longer exists in {name} (deleted or merged)."
    return f"{name} could not be reached: {exc}"


@dataclass
class LiveSide:
    """One side of a pair as read live: the record, or why it could not be read."""

    system: str
    record_id: str | None
    record: ContactRecord | None = None
    error: str = ""


def fetch_side(workspace, system: str, record_id: str | None) -> LiveSide:
    side = LiveSide(system, record_id)
    if not record_id:
        return side
    try:
        side.record = fetch_record(workspace, system, record_id)
    except IntegrationError as exc:
        logger.info("could not read %s %s: %s", system, record_id, type(exc).__name__)
        side.error = unreachable_message(system, exc)
    return side


def resolve_target(workspace, system: str, record_id: str) -> RecordRef:
    """The record a user picked to link to: known from the last pull, else read live.

    Raises LedgerError when it is already linked (or being created) or cannot be found.
    """
    row = ContactLink.objects.for_workspace(workspace).filter(**{f"{system}_id": record_id}).first()
    if row is not None:
        if row.state != ContactLink.State.NEEDS_REVIEW:
            raise LedgerError(_linked_note(row, system) or "This record is already in the ledger.")
        return side_of(row, system)
    _, unmatched = unmatched_records(workspace, system)
    known = next((ref for ref in unmatched if ref.id == record_id), None)
    if known is not None:
        return known
    try:
        return to_ref(fetch_record(workspace, system, record_id))
    except IntegrationError as exc:
        raise LedgerError(unreachable_message(system, exc)) from exc
