"""Update Linked Records: keep address, phone, website (and email) of linked pairs in step.

The ``field_updates`` run kind. Planning pulls both sides, decides each linked pair with
``sync.field_rules`` and lists one ``UPDATE_PAIR`` work item per pair with something to copy
(the changes and the snapshot to store once they are applied ride in the payload). Pairs that
only need their snapshot recorded are saved right in the plan; pairs whose systems disagree in a
way the rules leave alone get one "skipped" line saying so. Batches of 20 then apply the
changes: QuickBooks with a sparse update on a freshly read SyncToken, LACRM with an EditContact
whose lists are merged into the contact as it is *now*, so its other phones/emails survive.

``plan_pair_updates`` and ``apply_pair_update`` are public so Sync New Contacts can add field
updates when the workspace's ``update_fields`` setting is on; ``preview_updates`` backs the
preview page and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field

from django.db import transaction

from integrations import services
from integrations.errors import IntegrationError, StaleObject
from integrations.records import LACRM, QBO, ContactRecord
from sync import field_rules
from sync.field_rules import FieldChange
from sync.models import ContactLink, SyncRun, SyncSettings, SyncWorkItem
from sync.runs import BatchContext, log_entries

logger = logging.getLogger(__name__)

STALE_MESSAGE = "QuickBooks record changed while we were updating it; will retry next run"


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
    state = getattr(link, "state", ContactLink.State.LINKED)
    return state == ContactLink.State.LINKED and bool(link.qbo_id) and bool(link.lacrm_id)


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
        plan = field_rules.plan_pair(
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


# --- Applying ------------------------------------------------------------------------------------


@dataclass
class ApplyOutcome:
    """What happened to one pair: changes applied per system, errors per system, new snapshot."""

    updated: dict[str, list[FieldChange]] = field(default_factory=dict)
    failed: dict[str, IntegrationError] = field(default_factory=dict)
    snapshot: dict = field(default_factory=dict)
    # A connection-level error: the caller records the pair, then re-raises it to end the run.
    fatal: IntegrationError | None = None


def apply_pair_update(
    update: PairUpdate, *, qbo_client: Callable[[], object], lacrm_client: Callable[[], object]
) -> ApplyOutcome:
    """Send one pair's changes; per-system errors are collected, not raised.

    The clients are given as zero-argument callables so a pair that changes one side never
    needs the other connection.
    """
    outcome = ApplyOutcome()
    stored: dict = {}
    for target in (QBO, LACRM):
        changes = update.changes_for(target)
        if not changes:
            continue
        try:
            if target == QBO:
                record = qbo_client().update_customer(
                    update.qbo_id, field_rules.qbo_changes(changes)
                )
                if update.system_of_record == QBO:
                    # Filling the system of record: agree on the value as QuickBooks stored it
                    # (cut to its limits), or the next run would see a "change" and copy it back.
                    for change in changes:
                        value = field_rules.read_value(record, change.field)
                        if field_rules.field_key(change.field, value):
                            stored[change.field] = value
            else:
                client = lacrm_client()
                current = client.get_contact(update.lacrm_id)
                client.edit_contact(update.lacrm_id, field_rules.lacrm_fields(current, changes))
        except IntegrationError as exc:
            outcome.failed[target] = exc
            if exc.connection_level:
                outcome.fatal = exc
                break
            continue
        outcome.updated[target] = changes
    not_applied = {c.target for c in update.changes} - set(outcome.updated)
    outcome.snapshot = update.snapshot_after(not_applied, stored)
    return outcome


def _failure_reason(error: IntegrationError, changes: list[FieldChange]) -> str:
    if isinstance(error, StaleObject):
        return STALE_MESSAGE
    labels = ", ".join(c.label for c in changes)
    message = str(error) or type(error).__name__
    return f"{message} (not applied: {labels})"


# --- Pulling -------------------------------------------------------------------------------------


@dataclass
class Pulled:
    """The linked records of both sides, by id."""

    qbo: dict[str, ContactRecord]
    lacrm: dict[str, ContactRecord]


def _linked(workspace):
    return ContactLink.objects.for_workspace(workspace).filter(
        state=ContactLink.State.LINKED, qbo_id__isnull=False, lacrm_id__isnull=False
    )


def pull_linked_records(workspace, heartbeat: Callable[[], None] | None = None) -> Pulled:
    """Read both sides (no writes) and keep the records the ledger links."""
    sync_settings = SyncSettings.for_workspace(workspace)
    qbo_ids, lacrm_ids = set(), set()
    for qbo_id, lacrm_id in _linked(workspace).values_list("qbo_id", "lacrm_id"):
        qbo_ids.add(qbo_id)
        lacrm_ids.add(lacrm_id)
    qbo_client = services.qbo_client(workspace)
    lacrm_client = services.lacrm_client(workspace)
    pulled = Pulled(qbo={}, lacrm={})
    for count, record in enumerate(
        qbo_client.iter_customers(include_inactive=sync_settings.include_inactive), 1
    ):
        if heartbeat and count % 1000 == 0:
            heartbeat()
        if record.id in qbo_ids:
            pulled.qbo[record.id] = record
    for count, record in enumerate(lacrm_client.iter_contacts(), 1):
        if heartbeat and count % 1000 == 0:
            heartbeat()
        if record.id in lacrm_ids:
            pulled.lacrm[record.id] = record
    return pulled


def preview_updates(workspace) -> PlanResult:
    """What an update run would change now, pulled live; writes nothing."""
    pulled = pull_linked_records(workspace)
    return plan_updates(
        list(_linked(workspace)), pulled.qbo, pulled.lacrm, SyncSettings.for_workspace(workspace)
    )


# --- The run kind --------------------------------------------------------------------------------


def _entry(update: PairUpdate, system: str, outcome: str, reason: str, **extra) -> dict:
    other = LACRM if system == QBO else QBO
    return {
        "outcome": outcome,
        "system": system,
        "record_id": update.record_id(system),
        "record_name": update.names.get(system, "")[:500],
        "record_email": update.emails.get(system, "")[:254],
        "target_id": update.record_id(other),
        "reason": reason,
        **extra,
    }


class FieldUpdateHandler:
    """The ``field_updates`` run kind ("Update Linked Records")."""

    kind = SyncRun.Kind.FIELD_UPDATES

    def pull(self, run: SyncRun, ctx: BatchContext) -> Pulled:
        pulled = pull_linked_records(run.workspace, heartbeat=ctx.heartbeat)
        ctx.heartbeat()
        return pulled

    def write_plan(self, run: SyncRun, pulled: Pulled) -> None:
        links = list(_linked(run.workspace))
        items, entries, plan = self.plan_work(run, links, pulled.qbo, pulled.lacrm)
        SyncWorkItem.objects.bulk_create(items, batch_size=1000)
        summary = (
            f"{plan.in_step} of {plan.linked} linked pairs already in step; {len(items)} to update"
            if plan.linked
            else "No linked pairs yet: run Sync New Contacts first"
        )
        if plan.missing:
            summary += (
                f"; {plan.missing} left alone because one record is inactive, a skipped "
                "sub-customer or deleted"
            )
        # A run-level line, not a contact: it moves no counter.
        log_entries(
            run,
            [*entries, {"outcome": "unchanged", "reason": summary + "."}],
            total=len(items),
            skipped=len(entries),
        )

    def plan_work(
        self, run: SyncRun, links: list, qbo_by_id: Mapping, lacrm_by_id: Mapping, first_seq=0
    ) -> tuple[list[SyncWorkItem], list[dict], PlanResult]:
        """Plan ``links``: save snapshots both sides already agree on, and return the unsaved
        ``UPDATE_PAIR`` work items (seq from ``first_seq``) plus "skipped" log entries for the
        pairs left alone. Sync New Contacts can call this and hand the items to ``process``.
        """
        plan = plan_updates(
            links, qbo_by_id, lacrm_by_id, SyncSettings.for_workspace(run.workspace)
        )
        by_id = {str(link.id): link for link in links}
        items: list[SyncWorkItem] = []
        entries: list[dict] = []
        agreed: list[ContactLink] = []
        for update in plan.updates:
            if update.has_changes:
                items.append(
                    SyncWorkItem(
                        run=run,
                        seq=first_seq + len(items),
                        action=SyncWorkItem.Action.UPDATE_PAIR,
                        source_id=update.link_id,
                        payload=update.to_dict(),
                    )
                )
                continue
            if update.snapshot_changed:
                # Both sides already agree: record it now, no API call needed.
                link = by_id[update.link_id]
                link.synced_fields = update.snapshot
                agreed.append(link)
            if update.notes:
                reason = " ".join(update.notes)
                entries.append(_entry(update, update.system_of_record, "skipped", reason))
        ContactLink.objects.bulk_update(agreed, ["synced_fields"], batch_size=1000)
        return items, entries, plan

    def process(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        clients = _Clients(run.workspace)
        for item in items:
            if ctx.should_stop():
                return
            self._process_item(run, item, clients)

    def _process_item(self, run: SyncRun, item: SyncWorkItem, clients: _Clients) -> None:
        update = PairUpdate.from_dict(item.payload)
        link = ContactLink.objects.for_workspace(run.workspace).filter(pk=update.link_id).first()
        if (
            link is None
            or link.state != ContactLink.State.LINKED
            or (link.qbo_id, link.lacrm_id) != (update.qbo_id, update.lacrm_id)
        ):
            reason = "Unlinked since this run was planned; nothing was changed."
            entry = _entry(update, update.system_of_record, "skipped", reason)
            _finish(run, item, [entry], skipped=1)
            return

        outcome = apply_pair_update(update, qbo_client=clients.qbo, lacrm_client=clients.lacrm)
        entries = []
        for target, changes in outcome.updated.items():
            reason = "; ".join(c.reason for c in changes)
            entries.append(_entry(update, target, "updated", reason))
        for target, error in outcome.failed.items():
            reason = _failure_reason(error, update.changes_for(target))
            entries.append(_entry(update, target, "failed", reason, error_code=error.code[:40]))
        if update.notes and entries:
            entries[0]["reason"] += ". " + " ".join(update.notes)
        with transaction.atomic():
            ContactLink.objects.filter(pk=link.pk).update(synced_fields=outcome.snapshot)
            _finish(run, item, entries, updated=len(outcome.updated), failed=len(outcome.failed))
        logger.info(
            "run %s pair %s: updated %s, failed %s",
            run.id,
            update.link_id,
            sorted(outcome.updated),
            sorted(outcome.failed),
        )
        if outcome.fatal is not None:
            raise outcome.fatal


class _Clients:
    """The workspace's clients, made on first use: a pair changing one side needs only one."""

    def __init__(self, workspace) -> None:
        self.workspace = workspace
        self._made: dict[str, object] = {}

    def _get(self, system: str, factory) -> object:
        if system not in self._made:
            self._made[system] = factory(self.workspace)
        return self._made[system]

    def qbo(self) -> object:
        return self._get(QBO, services.qbo_client)

    def lacrm(self) -> object:
        return self._get(LACRM, services.lacrm_client)


def _finish(run: SyncRun, item: SyncWorkItem, entries: list[dict], **counts: int) -> None:
    """Log the pair, mark its work item done and move the counters, all at once."""
    with transaction.atomic():
        log_entries(run, entries, processed=1, **counts)
        SyncWorkItem.objects.filter(pk=item.pk).update(state=SyncWorkItem.State.DONE)
