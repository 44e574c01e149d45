"""Update Linked Records: keep address, phone, website (and email) of linked pairs in step.

The ``field_updates`` run kind. Planning pulls both sides, decides each linked pair with
``sync.fields.rules`` and lists one ``UPDATE_PAIR`` work item per pair with something to copy
(the changes and the snapshot to store once they are applied ride in the payload). Pairs that
only need their snapshot recorded are saved right in the plan; pairs whose systems disagree in a
way the rules leave alone get one "skipped" line saying so. Batches of 20 then apply the
changes: QuickBooks with a sparse update on a freshly read SyncToken, LACRM with an EditContact
whose lists are merged into the contact as it is *now*, so its other phones/emails survive.

``plan_pair_updates`` (``sync.fields.plan``) and ``apply_pair_update`` (``sync.fields.apply``)
are public so Sync New Contacts can add field
updates when the workspace's ``update_fields`` setting is on; ``preview_updates`` backs the
preview page and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import transaction

from integrations import registry
from integrations.records import LACRM, QBO
from sync.fields.apply import (
    Pulled,
    apply_pair_update,
    failure_reason,
    linked_pairs,
    pull_linked_records,
)
from sync.fields.plan import PairUpdate, PlanResult, plan_updates
from sync.models import ContactLink, SyncRun, SyncSettings, SyncWorkItem
from sync.runs import BatchContext, log_entries

logger = logging.getLogger(__name__)


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
        if not SyncSettings.for_workspace(run.workspace).update_fields:
            # Turned off after the run was queued: the setting's promise holds, nothing is written.
            reason = "Keeping linked records in step is off in Settings; nothing was changed."
            log_entries(run, [{"outcome": "unchanged", "reason": reason}])
            return
        links = list(linked_pairs(run.workspace))
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
            reason = failure_reason(error, update.changes_for(target))
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
        return self._get(QBO, registry.accounting)

    def lacrm(self) -> object:
        return self._get(LACRM, registry.crm)


def _finish(run: SyncRun, item: SyncWorkItem, entries: list[dict], **counts: int) -> None:
    """Log the pair, mark its work item done and move the counters, all at once."""
    with transaction.atomic():
        log_entries(run, entries, processed=1, **counts)
        SyncWorkItem.objects.filter(pk=item.pk).update(state=SyncWorkItem.State.DONE)
