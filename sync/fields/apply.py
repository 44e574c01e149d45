"""Update Linked Records against the two systems: read the linked records, write one pair.

QuickBooks gets a sparse update at the SyncToken the pair was planned from (no read first;
a stale one costs a read and one retry); LACRM an EditContact whose lists
are merged into the contact as it is *now*, so its other phones/emails survive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from integrations import registry
from integrations.errors import IntegrationError, StaleObject
from integrations.records import LACRM, QBO, ContactRecord
from sync.fields import rules
from sync.fields.plan import PairUpdate, PlanResult, plan_updates
from sync.fields.rules import FieldChange
from sync.models import ContactLink, SyncSettings

STALE_MESSAGE = "QuickBooks record changed while we were updating it; will retry next run"


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
                record = qbo_client().update_contact(
                    update.qbo_id, rules.qbo_changes(changes), update.qbo_version
                )
                if update.system_of_record == QBO:
                    # Filling the system of record: agree on the value as QuickBooks stored it
                    # (cut to its limits), or the next run would see a "change" and copy it back.
                    for change in changes:
                        value = rules.read_value(record, change.field)
                        if rules.field_key(change.field, value):
                            stored[change.field] = value
            else:
                client = lacrm_client()
                current = client.get_contact(update.lacrm_id)
                client.update_contact(update.lacrm_id, rules.lacrm_fields(current, changes))
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


def failure_reason(error: IntegrationError, changes: list[FieldChange]) -> str:
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


def linked_pairs(workspace):
    return ContactLink.objects.for_workspace(workspace).filter(
        state=ContactLink.State.LINKED, qbo_id__isnull=False, lacrm_id__isnull=False
    )


def pull_linked_records(workspace, heartbeat: Callable[[], None] | None = None) -> Pulled:
    """Read both sides (no writes) and keep the records the ledger links."""
    sync_settings = SyncSettings.for_workspace(workspace)
    qbo_ids, lacrm_ids = set(), set()
    for qbo_id, lacrm_id in linked_pairs(workspace).values_list("qbo_id", "lacrm_id"):
        qbo_ids.add(qbo_id)
        lacrm_ids.add(lacrm_id)
    qbo_client = registry.accounting(workspace)
    lacrm_client = registry.crm(workspace)
    pulled = Pulled(qbo={}, lacrm={})
    for count, record in enumerate(
        qbo_client.iter_contacts(include_inactive=sync_settings.include_inactive), 1
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
        list(linked_pairs(workspace)),
        pulled.qbo,
        pulled.lacrm,
        SyncSettings.for_workspace(workspace),
    )
