"""Sync New Contacts: pull both sides, match, link, and create what is missing (design.md §4–§6).

Planning writes every match to the ledger and lists the creates as work items; batches of 20 then
create them under the outbox rule (``sync.outbox``): the ledger row is committed in state
``creating`` with an idempotency key *before* the API call, so a retry after a crash looks for
the record it may already have made and adopts it instead of creating a second one.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from integrations import registry
from integrations.errors import TransientError, ValidationFailed
from integrations.records import LACRM, QBO, SYSTEM_NAMES, CreateResult, record_from_dict
from sync import outbox
from sync.contact_plan import Pulled, snapshot
from sync.contact_writes import pull_contacts, write_contact_plan
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
        to_lacrm = [i for i in items if i.action == SyncWorkItem.Action.CREATE_IN_LACRM]
        to_qbo = [i for i in items if i.action == SyncWorkItem.Action.CREATE_IN_QBO]
        updates = [i for i in items if i.action == SyncWorkItem.Action.UPDATE_PAIR]
        if to_lacrm:
            client = registry.crm(run.workspace)
            for item in to_lacrm:
                if ctx.should_stop():
                    return
                self._create_in_lacrm(run, item, client)
        if to_qbo:
            self._create_in_qbo(run, to_qbo, ctx)
        if updates and not ctx.should_stop():
            from sync.fields.handler import FieldUpdateHandler

            FieldUpdateHandler().process(run, updates, ctx)

    def _claim(self, run: SyncRun, item: SyncWorkItem, target: str) -> ContactLink | None:
        """Commit the outbox row for a create; None when the record is already handled."""
        source_side = "qbo_id" if target == LACRM else "lacrm_id"
        record = record_from_dict(item.payload)
        with transaction.atomic():
            link = (
                ContactLink.objects.select_for_update()
                .filter(workspace=run.workspace, **{source_side: item.source_id})
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
                    **{source_side: item.source_id},
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
            self._finish_item(
                run, item, "skipped", record, f"Already {link.get_state_display().lower()}"
            )
            bump(run, skipped=1, processed=1)
            return None

    def _finish_item(self, run, item, outcome, record, reason, **extra) -> None:
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
        SyncWorkItem.objects.filter(pk=item.pk).update(state=SyncWorkItem.State.DONE)

    def _link_created(
        self, run: SyncRun, item: SyncWorkItem, link: ContactLink, result: CreateResult
    ) -> None:
        record = record_from_dict(item.payload)
        created = result.record
        target = LACRM if record.system == QBO else QBO
        reason = f"Created in {SYSTEM_NAMES[target]}"
        if result.notes:
            reason += "; " + "; ".join(result.notes)
        with transaction.atomic():
            link.save(update_fields=outbox.link_created(link, target, created, reason))
            self._finish_item(run, item, "created", record, reason, target_id=created.id)
            bump(run, processed=1, **{f"created_in_{target}": 1})

    def _fail(self, run, item, link: ContactLink | None, error: Exception) -> None:
        record = record_from_dict(item.payload)
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
                run,
                item,
                "failed",
                record,
                reason,
                error_code=getattr(error, "code", "")[:40],
            )
            bump(run, processed=1, failed=1)

    def _create_in_lacrm(self, run: SyncRun, item: SyncWorkItem, client) -> None:
        link = self._claim(run, item, LACRM)
        if link is None:
            return
        record = record_from_dict(item.payload)
        [result] = outbox.create_or_adopt(
            client, run.workspace, [(link, record, _was_attempted(link))]
        )
        if result.ok:
            self._link_created(run, item, link, result)
        else:
            self._fail(run, item, link, result.error)

    def _create_in_qbo(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        claimed: list[tuple[SyncWorkItem, ContactLink]] = []
        for item in items:
            if ctx.should_stop():
                break
            link = self._claim(run, item, QBO)
            if link is not None:
                claimed.append((item, link))
        if not claimed:
            return
        client = registry.accounting(run.workspace)
        # One batch call; each item's requestid derives from its ledger key, so the client's
        # retries of the same batch get QuickBooks' original answer instead of a second customer.
        results = outbox.create_or_adopt(
            client,
            run.workspace,
            [(link, record_from_dict(i.payload), _was_attempted(link)) for i, link in claimed],
        )
        for (item, link), result in zip(claimed, results, strict=True):
            if result.ok:
                self._link_created(run, item, link, result)
            else:
                error = result.error or TransientError("QuickBooks gave no answer", system=QBO)
                self._fail(run, item, link, error)


def _was_attempted(link: ContactLink) -> bool:
    """True for an outbox row an earlier, interrupted attempt left behind."""
    return getattr(link, "resumed", False) and link.attempted_at is not None
