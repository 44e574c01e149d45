"""Sync New Contacts: pull both sides, match, link, and create what is missing.

Planning writes every match to the ledger and lists the creates as work items; batches of 20 then
create them under the outbox rule (``sync.outbox``): the ledger row is committed in state
``creating`` with an idempotency key *before* the API call, so a retry after a crash looks for
the record it may already have made and adopts it instead of creating a second one.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass
from itertools import zip_longest

from django.db import transaction
from django.utils import timezone

from integrations import registry
from integrations.errors import TransientError, ValidationFailed
from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord, record_from_dict
from sync import outbox
from sync.contacts import bookkeeping
from sync.contacts.plan import Pulled
from sync.contacts.pull import pull_contacts
from sync.contacts.writes import write_contact_plan
from sync.models import ContactLink, SyncRun, SyncWorkItem
from sync.runs import BatchContext, bump, log_entry
from sync.runs.calls import CallPool

logger = logging.getLogger(__name__)


class ContactSyncHandler:
    """The ``contacts`` run kind."""

    kind = SyncRun.Kind.CONTACTS
    # A batch takes up to 20 of each (``sync.runs.engine.next_items``): 20 QuickBooks creates in
    # one batch call while 20 LACRM creates go beside it; then 20 pairs' field updates.
    lanes = (
        SyncWorkItem.Action.CREATE_IN_QBO,
        SyncWorkItem.Action.CREATE_IN_LACRM,
        SyncWorkItem.Action.UPDATE_PAIR,
    )

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
                (QBO, SyncWorkItem.Action.CREATE_IN_QBO),
                (LACRM, SyncWorkItem.Action.CREATE_IN_LACRM),
            )
        }
        if any(creates.values()) and not self._create_all(run, creates, ctx):
            return
        updates = [i for i in items if i.action == SyncWorkItem.Action.UPDATE_PAIR]
        if updates and not ctx.should_stop():
            from sync.fields.handler import FieldUpdateHandler

            FieldUpdateHandler().process(run, updates, ctx)

    def _create_all(self, run: SyncRun, creates: dict[str, list[Work]], ctx: BatchContext) -> bool:
        """Create the batch's records on both sides at once under the outbox rule.

        The calls go in each system's own chunks (QuickBooks: one batch call; LACRM: one
        contact a call), interleaved, on a ``CallPool``: the QuickBooks call and the LACRM calls
        are in flight together, each paced by the tenant's own limiter. Every outbox row of the
        batch is committed in one transaction before the first call (``bookkeeping``); Stop is
        checked before each contact's call is submitted (``submit`` waits for a free slot), and
        rows not sent are released. The answers are booked once all calls are back (``_book``).
        False when a stop was requested.
        """
        lanes = []
        for target, works in creates.items():
            if works:
                client = registry.client(run.workspace, target)
                size = max(1, client.create_batch_size)
                lanes.append([(client, works[s : s + size]) for s in range(0, len(works), size)])
        claims = bookkeeping.claim_batch(run, [w for ws in creates.values() for w in ws], _entry)
        sent: list[tuple[object, list[tuple[Work, ContactLink]], Future]] = []
        unsent: list[ContactLink] = []
        stopped = False
        with CallPool(on_wait=ctx.heartbeat) as pool:
            for client, chunk in _interleaved(lanes):
                claimed = [(w, claims[w.item.pk]) for w in chunk if w.item.pk in claims]
                if stopped or any(f.done() and f.exception() for _, _, f in sent):
                    # Stop was pressed, or a whole call failed (connection-level): send nothing
                    # more.
                    unsent += [link for _, link in claimed]
                    continue
                for n in range(len(claimed)):
                    if ctx.should_stop():  # Before every contact.
                        stopped = True
                        unsent += [link for _, link in claimed[n:]]
                        claimed = claimed[:n]
                        break
                if claimed:
                    rows = [(link, work.record, _was_attempted(link)) for work, link in claimed]
                    future = pool.submit(outbox.create_or_adopt, client, run.workspace, rows)
                    sent.append((client, claimed, future))
        bookkeeping.release_unsent(unsent)
        self._book(run, sent)
        return not stopped

    def _book(self, run: SyncRun, sent) -> None:
        """Book a batch's answers: its links, log entries, work items and counters in a few bulk
        statements and one transaction; then raise the first whole-call error, if any."""
        error: Exception | None = None
        links, entries, done = [], [], []
        counts: Counter[str] = Counter()
        now = timezone.now()
        for client, claimed, future in sent:
            if future.exception() is not None:
                error = error or future.exception()
                continue  # Rows stay ``creating``: the next attempt looks before creating.
            for (work, link), result in zip(claimed, future.result(), strict=True):
                if not result.ok:
                    error_of = result.error or TransientError(
                        f"{SYSTEM_NAMES[client.system]} gave no answer", system=client.system
                    )
                    self._fail(run, work, link, error_of)
                    continue
                target = client.system
                reason = f"Created in {SYSTEM_NAMES[target]}"
                if result.notes:
                    reason += "; " + "; ".join(result.notes)
                outbox.link_created(link, target, result.record, reason)
                link.updated_at = now  # bulk_update does not touch auto_now fields.
                links.append(link)
                entries.append(_entry(work, "created", reason, target_id=result.record.id))
                done.append(work.item.pk)
                counts["processed"] += 1
                counts[f"created_in_{target}"] += 1
        bookkeeping.book_created(run, links, entries, done, counts)
        if error is not None:
            raise error

    def _finish_item(self, run, work: Work, outcome: str, reason: str, **extra) -> None:
        log_entry(run, **_entry(work, outcome, reason, **extra))
        SyncWorkItem.objects.filter(pk=work.item.pk).update(state=SyncWorkItem.State.DONE)

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


def _entry(work: Work, outcome: str, reason: str, **extra) -> dict:
    record = work.record
    return dict(
        outcome=outcome,
        system=record.system,
        record_id=record.id,
        record_name=record.name[:500],
        record_email=record.primary_email[:254],
        reason=reason,
        **extra,
    )


def _interleaved(lanes):
    """The lanes' chunks taken in turn (QuickBooks' one batch call first, then LACRM's)."""
    for row in zip_longest(*lanes):
        yield from (chunk for chunk in row if chunk is not None)


def _was_attempted(link: ContactLink) -> bool:
    """True for an outbox row an earlier, interrupted attempt left behind."""
    return getattr(link, "resumed", False) and link.attempted_at is not None
