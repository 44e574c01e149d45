"""Sync New Contacts: pull both sides, match, link, and create what is missing (design.md §4–§6).

Planning writes every match to the ledger and lists the creates as work items; batches of 20 then
create them under the outbox rule: the ledger row is committed in state ``creating`` with an
idempotency key *before* the API call, so a retry after a crash re-sends the same QBO ``requestid``
or, for LACRM, searches for the contact it may already have made and adopts it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from integrations import registry
from integrations.errors import IntegrationError, ValidationFailed
from integrations.records import (
    LACRM,
    QBO,
    SYSTEM_NAMES,
    ContactRecord,
    CreateResult,
    record_from_dict,
)
from sync.contact_plan import Pulled, snapshot
from sync.contact_writes import pull_contacts, write_contact_plan
from sync.matching.normalize import normalize_email, normalize_name
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
            if target == LACRM:
                link.lacrm_id = created.id
                link.created_in_lacrm = True
                link.lacrm_name, link.lacrm_email = created.name[:500], created.primary_email[:254]
            else:
                link.qbo_id = created.id
                link.created_in_qbo = True
                link.qbo_name, link.qbo_email = created.name[:500], created.primary_email[:254]
            link.state = ContactLink.State.LINKED
            link.method = ContactLink.Method.CREATED
            link.reason = reason
            link.linked_at = timezone.now()
            link.save(
                update_fields=[
                    "lacrm_id" if target == LACRM else "qbo_id",
                    f"created_in_{target}",
                    f"{target}_name",
                    f"{target}_email",
                    "state",
                    "method",
                    "reason",
                    "linked_at",
                    "updated_at",
                ]
            )
            self._finish_item(run, item, "created", record, reason, target_id=created.id)
            bump(run, processed=1, **{f"created_in_{target}": 1})

    def _fail(self, run, item, link: ContactLink | None, error: Exception) -> None:
        record = record_from_dict(item.payload)
        reason = str(error) or type(error).__name__
        if isinstance(error, ValidationFailed):
            reason = (
                f"{reason.rstrip('.')}. Correct it in {SYSTEM_NAMES[record.system]}, then run "
                "Sync New Contacts again."
            )
        with transaction.atomic():
            if link is not None:
                # Nothing was created: drop the outbox row so a later sync tries afresh.
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
        # A retry of a create that may have happened: adopt what is there before creating.
        adopted = find_in_lacrm(client, record, run.workspace) if _was_attempted(link) else None
        if adopted is not None:
            result = CreateResult(
                key=str(link.idempotency_key),
                record=adopted,
                notes=["adopted the contact made by an interrupted attempt"],
            )
        else:
            try:
                result = client.create_contact(str(link.idempotency_key), record)
            except IntegrationError as exc:
                if exc.connection_level:
                    raise
                if not exc.permanent:
                    # Timed out: the contact may exist after all. Adopt it if it does.
                    found = find_in_lacrm(client, record, run.workspace)
                    if found is not None:
                        result = CreateResult(key=str(link.idempotency_key), record=found)
                        self._link_created(run, item, link, result)
                        return
                self._fail(run, item, link, exc)
                return
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
        # A create that was sent before (its worker died mid-call) may have happened: adopt the
        # customer it made instead of sending it again.
        to_send = []
        for item, link in claimed:
            record = record_from_dict(item.payload)
            found = find_in_qbo(client, record, run.workspace) if _was_attempted(link) else None
            if found is not None:
                result = CreateResult(
                    key=str(link.idempotency_key),
                    record=found,
                    notes=["adopted the customer made by an interrupted attempt"],
                )
                self._link_created(run, item, link, result)
            else:
                to_send.append((item, link))
        claimed = to_send
        if not claimed:
            return
        # One batch call; each item's requestid derives from its ledger key, so a retry of the
        # same batch returns QuickBooks' original answer instead of creating a second customer.
        results = client.create_customers(
            [(str(link.idempotency_key), record_from_dict(item.payload)) for item, link in claimed]
        )
        by_key = {result.key: result for result in results}
        for item, link in claimed:
            result = by_key.get(str(link.idempotency_key))
            if result is not None and result.ok:
                self._link_created(run, item, link, result)
            else:
                error = result.error if result is not None else None
                self._fail(run, item, link, error or RuntimeError("QuickBooks gave no answer"))


def _was_attempted(link: ContactLink) -> bool:
    """True for an outbox row an earlier, interrupted attempt left behind."""
    return getattr(link, "resumed", False) and link.attempted_at is not None


def find_in_qbo(client, record: ContactRecord, workspace) -> ContactRecord | None:
    """Find the customer an interrupted create may have made (a DisplayName it would try)."""
    return _adoptable(client.find_possible_creations(record), record, workspace, "qbo_id")


def find_in_lacrm(client, record: ContactRecord, workspace) -> ContactRecord | None:
    """Find the contact an interrupted create may have made (LACRM's search by email/name)."""
    terms = record.primary_email or record.name
    if not terms:
        return None
    return _adoptable(client.search_contacts(terms), record, workspace, "lacrm_id")


def _adoptable(candidates, record: ContactRecord, workspace, side: str) -> ContactRecord | None:
    """The first candidate not in the ledger with the record's email (or, without one, name)."""
    email = normalize_email(record.primary_email)
    name = normalize_name(record.name)
    taken = set(
        ContactLink.objects.for_workspace(workspace)
        .filter(**{f"{side}__isnull": False})
        .values_list(side, flat=True)
    )
    for candidate in candidates:
        if candidate.id in taken:
            continue
        if email and email in {normalize_email(e) for e in candidate.emails}:
            return candidate
        if not email and not candidate.emails and name and normalize_name(candidate.name) == name:
            return candidate
    return None
