"""Sync New Contacts: pull both sides, match, link, and create what is missing.

Planning writes every match to the ledger and lists the creates as work items; batches of 20 then
create them under the outbox rule (``sync.outbox``): the ledger row is committed in state
``creating`` with an idempotency key *before* the API call, so a retry after a crash looks for
the record it may already have made and adopts it instead of creating a second one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from integrations import registry
from integrations.errors import TransientError, ValidationFailed
from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord, record_from_dict
from sync import outbox
from sync.contacts.plan import Pulled, snapshot
from sync.contacts.pull import pull_contacts
from sync.contacts.writes import write_contact_plan
from sync.models import ContactLink, SyncRun, SyncWorkItem
from sync.runs import BatchContext, bump, log_entry

logger = logging.getLogger(__name__)


class ContactSyncHandler:
    """The ``contacts`` run kind."""

    kind = SyncRun.Kind.CONTACTS

    def pull(self, run: SyncRun, ctx: BatchContext) -> Pulled:
        return pull_contacts(run, ctx)

    def write_plan(self, run: SyncRun, pulled: Pulled) -> None:
        write_contact_plan(run, pulled)

    # --- batches ----------------------------------------------------------------------------

    def process(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        # Each work item's record is decoded once, here, and handed down with it.
        creates = {
            target: [Work(i, record_from_dict(i.payload)) for i in items if i.action == action]
            for target, action in (
                (LACRM, SyncWorkItem.Action.CREATE_IN_LACRM),
                (QBO, SyncWorkItem.Action.CREATE_IN_QBO),
            )
        }
        for target, works in creates.items():
            if works and not self._create_on(run, target, works, ctx):
                return
        updates = [i for i in items if i.action == SyncWorkItem.Action.UPDATE_PAIR]
        if updates and not ctx.should_stop():
            from sync.fields.handler import FieldUpdateHandler

            FieldUpdateHandler().process(run, updates, ctx)

    def _create_on(self, run: SyncRun, target: str, works: list[Work], ctx: BatchContext) -> bool:
        """Create ``works`` in ``target`` under the outbox rule, in the system's own chunks
        (QuickBooks: one batch call; LACRM: one contact a call). Stop is checked before each
        contact is claimed. False when a stop was requested."""
        client = registry.client(run.workspace, target)
        size = max(1, client.create_batch_size)
        for start in range(0, len(works), size):
            claimed: list[tuple[Work, ContactLink]] = []
            for work in works[start : start + size]:
                if ctx.should_stop():
                    self._send(run, client, claimed)
                    return False
                link = self._claim(run, work, target)
                if link is not None:
                    claimed.append((work, link))
            self._send(run, client, claimed)
        return True

    def _send(self, run: SyncRun, client, claimed: list[tuple[Work, ContactLink]]) -> None:
        if not claimed:
            return
        # For QuickBooks each item's requestid derives from its ledger key, so the client's
        # retries of the same batch get the original answer instead of a second customer.
        results = outbox.create_or_adopt(
            client,
            run.workspace,
            [(link, work.record, _was_attempted(link)) for work, link in claimed],
        )
        for (work, link), result in zip(claimed, results, strict=True):
            if result.ok:
                self._link_created(run, work, link, result)
            else:
                error = result.error or TransientError(
                    f"{SYSTEM_NAMES[client.system]} gave no answer", system=client.system
                )
                self._fail(run, work, link, error)

    def _claim(self, run: SyncRun, work: Work, target: str) -> ContactLink | None:
        """Commit the outbox row for a create; None when the record is already handled."""
        record = work.record
        source_side = f"{record.system}_id"
        with transaction.atomic():
            link = (
                ContactLink.objects.select_for_update()
                .filter(workspace=run.workspace, **{source_side: record.id})
                .first()
            )
            if link is None:
                # Committed before the create call (the outbox rule), already marked as
                # attempted: a retry after a crash between here and the call only searches once
                # more than it needed to.
                link = ContactLink.objects.create(
                    workspace=run.workspace,
                    state=ContactLink.State.CREATING,
                    target_system=target,
                    attempted_at=timezone.now(),
                    **{source_side: record.id},
                    **snapshot(
                        record if record.system == QBO else None,
                        record if record.system == LACRM else None,
                    ),
                )
                link.resumed = False
                return link
            if link.state == ContactLink.State.CREATING:
                # Left by an earlier attempt: the create may have happened.
                link.resumed = True
                return link
            # Linked or held for review since planning (by hand, or by another run).
            self._finish_item(run, work, "skipped", f"Already {link.get_state_display().lower()}")
            bump(run, skipped=1, processed=1)
            return None

    def _finish_item(self, run, work: Work, outcome: str, reason: str, **extra) -> None:
        record = work.record
        log_entry(
            run,
            outcome,
            system=record.system,
            record_id=record.id,
            record_name=record.name[:500],
            record_email=record.primary_email[:254],
            reason=reason,
            **extra,
        )
        SyncWorkItem.objects.filter(pk=work.item.pk).update(state=SyncWorkItem.State.DONE)

    def _link_created(self, run: SyncRun, work: Work, link: ContactLink, result) -> None:
        created = result.record
        target = LACRM if work.record.system == QBO else QBO
        reason = f"Created in {SYSTEM_NAMES[target]}"
        if result.notes:
            reason += "; " + "; ".join(result.notes)
        with transaction.atomic():
            link.save(update_fields=outbox.link_created(link, target, created, reason))
            self._finish_item(run, work, "created", reason, target_id=created.id)
            bump(run, processed=1, **{f"created_in_{target}": 1})

    def _fail(self, run, work: Work, link: ContactLink | None, error: Exception) -> None:
        record = work.record
        reason = str(error) or type(error).__name__
        unknown = outbox.outcome_unknown(error)
        if isinstance(error, ValidationFailed):
            reason = (
                f"{reason.rstrip('.')}. Correct it in {SYSTEM_NAMES[record.system]}, then run "
                "Sync New Contacts again."
            )
        elif unknown:
            reason = (
                f"{reason.rstrip('.')}. It may have been created all the same: the next sync "
                "looks for it before creating it again."
            )
        with transaction.atomic():
            if link is not None and not unknown:
                # Nothing was created: drop the outbox row so a later sync tries afresh. (A
                # create that may have happened keeps it, so the next sync looks first.)
                ContactLink.objects.filter(pk=link.pk, state=ContactLink.State.CREATING).delete()
            self._finish_item(
                run, work, "failed", reason, error_code=getattr(error, "code", "")[:40]
            )
            bump(run, processed=1, failed=1)


@dataclass(frozen=True)
class Work:
    """One create of the batch: its work item and the record it creates, decoded once."""

    item: SyncWorkItem
    record: ContactRecord


def _was_attempted(link: ContactLink) -> bool:
    """True for an outbox row an earlier, interrupted attempt left behind."""
    return getattr(link, "resumed", False) and link.attempted_at is not None
