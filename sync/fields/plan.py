"""Planning Update Linked Records: what to copy for every linked pair (pure, no I/O).

Each linked pair is decided with ``sync.fields.rules``; a ``PairUpdate`` carries its changes,
the snapshot to store once they are applied, and notes on differences the rules leave alone.
It rides in the work item's payload (``to_dict`` / ``from_dict``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from integrations.records import LACRM, QBO, ContactRecord
from sync.fields import rules
from sync.fields.rules import FieldChange

# The ledger state of a linked pair (``ContactLink.State.LINKED``).
LINKED = "linked"


@dataclass
class PairUpdate:
    """What an update run would do to one linked pair (JSON-safe via ``to_dict``)."""

    link_id: str
    qbo_id: str
    lacrm_id: str
    system_of_record: str
    changes: list[FieldChange] = field(default_factory=list)
    # ``synced_fields`` once every change is applied, and as it was before.
    snapshot: dict = field(default_factory=dict)
    previous: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    names: dict = field(default_factory=dict)
    emails: dict = field(default_factory=dict)
    # The QuickBooks customer's SyncToken as planned from: the update is sent at it, so no read
    # is spent first (reads are metered); a customer edited since costs one read and a retry.
    qbo_version: str = ""

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def snapshot_changed(self) -> bool:
        return self.snapshot != self.previous

    @property
    def name(self) -> str:
        return self.names.get(self.system_of_record) or self.names.get(QBO) or ""

    def changes_for(self, target: str) -> list[FieldChange]:
        return [c for c in self.changes if c.target == target]

    def record_id(self, system: str) -> str:
        return self.qbo_id if system == QBO else self.lacrm_id

    def snapshot_after(self, failed: Iterable[str], stored: Mapping | None = None) -> dict:
        """The snapshot to save: changes for a ``failed`` system keep their old value, so the
        next run tries them again; ``stored`` overrides values as the system of record kept them.
        """
        failed = set(failed)
        result = {**self.snapshot, **(stored or {})}
        for change in self.changes:
            if change.target in failed:
                if change.field in self.previous:
                    result[change.field] = self.previous[change.field]
                else:
                    result.pop(change.field, None)
        return result

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> PairUpdate:
        changes = [FieldChange.from_dict(c) for c in data.get("changes", ())]
        return cls(**{**data, "changes": changes})


@dataclass
class PlanResult:
    """Every pair with something to say, plus how many linked pairs could not be compared."""

    updates: list[PairUpdate]
    linked: int = 0
    missing: int = 0

    @property
    def with_changes(self) -> list[PairUpdate]:
        return [u for u in self.updates if u.has_changes]

    @property
    def held(self) -> list[PairUpdate]:
        """Pairs the rules leave as they are although the systems disagree (notes only)."""
        return [u for u in self.updates if u.notes and not u.has_changes]

    @property
    def in_step(self) -> int:
        return self.linked - self.missing - len(self.with_changes) - len(self.held)


def _is_linked(link) -> bool:
    state = getattr(link, "state", LINKED)
    return state == LINKED and bool(link.qbo_id) and bool(link.lacrm_id)


def plan_updates(
    links: Iterable,
    qbo_by_id: Mapping[str, ContactRecord],
    lacrm_by_id: Mapping[str, ContactRecord],
    sync_settings,
) -> PlanResult:
    """Decide every linked pair; see ``plan_pair_updates``."""
    result = PlanResult(updates=[])
    for link in links:
        if not _is_linked(link):
            continue
        result.linked += 1
        qbo, lacrm = qbo_by_id.get(link.qbo_id), lacrm_by_id.get(link.lacrm_id)
        if qbo is None or lacrm is None:
            # Inactive, a skipped sub-customer, or deleted: contact sync flags those links.
            result.missing += 1
            continue
        previous = dict(link.synced_fields or {})
        plan = rules.plan_pair(
            qbo,
            lacrm,
            previous,
            system_of_record=sync_settings.system_of_record,
            include_email=sync_settings.update_email,
        )
        update = PairUpdate(
            link_id=str(link.id),
            qbo_id=link.qbo_id,
            lacrm_id=link.lacrm_id,
            system_of_record=sync_settings.system_of_record,
            changes=plan.changes,
            snapshot=plan.snapshot,
            previous=previous,
            notes=plan.notes,
            names={QBO: qbo.name[:500], LACRM: lacrm.name[:500]},
            emails={QBO: qbo.primary_email[:254], LACRM: lacrm.primary_email[:254]},
            qbo_version=qbo.sync_token,
        )
        if update.has_changes or update.snapshot_changed or update.notes:
            result.updates.append(update)
    return result


def plan_pair_updates(
    links: Iterable,
    qbo_by_id: Mapping[str, ContactRecord],
    lacrm_by_id: Mapping[str, ContactRecord],
    sync_settings,
) -> list[PairUpdate]:
    """The pairs among ``links`` (linked ledger rows) with something to write or say.

    Each has ``changes`` (copies to make; may be empty), the ``snapshot`` to store in
    ``synced_fields`` once applied (changed alone when both sides already agree), and ``notes``
    on differences the rules deliberately leave alone. Pure: no queries, no API calls.
    """
    return plan_updates(links, qbo_by_id, lacrm_by_id, sync_settings).updates
