"""Update Invoice Summaries: a note on each linked LACRM contact with unpaid QBO invoices.

Runs on the same run/batch/Stop/Resume machinery as the contact sync (``sync.runs``). Planning
reads all open invoices of the company with one paged query, rolls sub-customer invoices up to
their parent, and lists one work item per linked contact that is due a note. Posting follows the
outbox rule: the contact's throttle row is claimed in the database (which also enforces the
24-hour window) before ``CreateNote``; the note carries the claim's reference, so a retry after a
crash, or right after an unanswered ``CreateNote``, finds the note it may already have posted
and adopts it instead of posting a second one.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations import pacing, registry
from integrations.errors import IntegrationError
from integrations.records import InvoiceRecord
from summaries.kind import KIND, POST_NOTE
from summaries.models import ContactSummaryState, SummaryNote, SummarySettings
from summaries.plan import WINDOW, LastNote, LinkedPair, plan_summaries
from summaries.summarize import group_open_invoices
from sync.continuous.models import SummaryRefresh
from sync.models import ContactLink, SyncRun, SyncWorkItem
from sync.runs import BatchContext, bump, log_entries, log_entry
from sync.runs.calls import CallPool

logger = logging.getLogger(__name__)


def reference_line(key: uuid.UUID | str) -> str:
    """The last line of every note: how a retry recognises a note it already posted."""
    return f"LedgerLink ref {str(key)[:8]}"


@dataclass
class Pulled:
    invoices_by_customer: dict[str, list[InvoiceRecord]]
    today: object
    names: dict[str, str] = field(default_factory=dict)


class SummaryHandler:
    """The ``invoice_summaries`` run kind."""

    kind = KIND

    def pull(self, run: SyncRun, ctx: BatchContext) -> Pulled:
        qbo = registry.accounting(run.workspace)
        # Touch the LACRM connection now, so a revoked key stops the run before any work.
        registry.crm(run.workspace)
        invoices = list(qbo.iter_open_invoices())
        ctx.heartbeat()
        linked = set(
            ContactLink.objects.for_workspace(run.workspace)
            .filter(qbo_id__isnull=False)
            .values_list("qbo_id", flat=True)
        )
        # Invoices of customers the ledger does not know may belong to sub-customers (jobs):
        # look those customers up to roll their invoices up to the parent.
        parent_of: dict[str, str] = {}
        names: dict[str, str] = {}
        unknown = {inv.customer_id for inv in invoices} - linked
        while unknown:
            records = qbo.get_contacts(sorted(unknown))
            # Their names, for the "not linked" log lines (an invoice may not carry one).
            names.update({r.id: r.name for r in records})
            parents = {r.id: r.parent_id for r in records if r.parent_id}
            parent_of.update(parents)
            unknown = set(parents.values()) - linked - set(parent_of)
        return Pulled(
            invoices_by_customer=group_open_invoices(invoices, parent_of),
            today=qbo.company_today(),
            names=names,
        )

    def write_plan(self, run: SyncRun, pulled: Pulled) -> None:
        workspace = run.workspace
        links = ContactLink.objects.for_workspace(workspace).filter(
            state=ContactLink.State.LINKED, qbo_id__isnull=False, lacrm_id__isnull=False
        )
        plan = plan_summaries(
            [
                LinkedPair(x.qbo_id, x.lacrm_id, x.qbo_name, x.lacrm_name, x.lacrm_email)
                for x in links
            ],
            {
                s.lacrm_id: LastNote(
                    s.last_posted_at, s.last_fingerprint, s.pending_key is not None
                )
                for s in ContactSummaryState.objects.for_workspace(workspace)
            },
            pulled.invoices_by_customer,
            today=pulled.today,
            now=timezone.now(),
            skip_unchanged=SummarySettings.for_workspace(workspace).skip_unchanged_summaries,
            customer_names=pulled.names,
        )
        items = [
            SyncWorkItem(
                run=run, seq=seq, action=POST_NOTE, source_id=note.lacrm_id, payload=note.payload()
            )
            for seq, note in enumerate(plan.notes)
        ]
        SyncWorkItem.objects.bulk_create(items, batch_size=1000)
        log_entries(run, plan.entries, total=len(items), **plan.counts)
        # Customers whose invoices changed (continuous sync marks them) are covered by this
        # plan, which read every open invoice after the run started.
        SummaryRefresh.objects.for_workspace(workspace).filter(
            marked_at__lt=run.started_at
        ).delete()

    def process(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        """Claim each contact (Stop checked before each), post several notes at once on a
        ``CallPool`` (paced by the LACRM limiter), then book the answers."""
        client = registry.crm(run.workspace)
        posting = []
        with CallPool(on_wait=ctx.heartbeat) as pool:
            for item in items:
                if ctx.should_stop():
                    break
                claim = self._claim(run, item)
                if claim is not None:
                    posting.append((item, claim, pool.submit(_call, client, item.source_id, claim)))
        error: BaseException | None = None
        for item, claim, future in posting:
            exc = future.exception()
            if exc is None:
                self._posted(run, item, claim, *future.result())
            elif isinstance(exc, IntegrationError) and not exc.connection_level:
                self._failed(run, item, claim, exc)
            else:
                # A whole-connection error, or the look of a resumed claim failed: the run
                # fails with it (claims stay; the next run looks before posting).
                error = error or (exc.error if isinstance(exc, _LookFailed) else exc)
        if error is not None:
            raise error

    def _claim(self, run: SyncRun, item: SyncWorkItem) -> _Claim | None:
        """Commit the contact's claim before its note is posted; None when throttled."""
        payload = item.payload
        state, _ = ContactSummaryState.objects.get_or_create(
            workspace=run.workspace, lacrm_id=item.source_id, defaults={"qbo_id": payload["qbo_id"]}
        )
        if state.pending_key is not None:
            # An earlier attempt claimed this contact and may have posted: look before posting.
            return _Claim(state.pk, state.pending_key, state.pending_text, resumed=True)
        key = uuid.uuid4()
        text = f"{payload['text']}\n{reference_line(key)}"
        now = timezone.now()
        claimed = (
            ContactSummaryState.objects.filter(pk=state.pk, pending_key__isnull=True)
            .filter(Q(last_posted_at__isnull=True) | Q(last_posted_at__lte=now - WINDOW))
            .update(
                pending_key=key,
                pending_since=now,
                pending_text=text,
                pending_fingerprint=payload["fingerprint"],
            )
        )
        if not claimed:
            state.refresh_from_db()
            with transaction.atomic():
                self._log(run, item, "throttled", _throttle_reason(state))
                bump(run, processed=1, throttled=1)
            return None
        return _Claim(state.pk, key, text, resumed=False)

    def _failed(self, run, item: SyncWorkItem, claim: _Claim, exc: IntegrationError) -> None:
        if exc.permanent:
            ContactSummaryState.objects.filter(pk=claim.state_pk, pending_key=claim.key).update(
                pending_key=None, pending_text="", pending_fingerprint=""
            )
            reason = str(exc)
        else:
            # Unanswered on every try and not found: keep the claim, the next run looks.
            reason = (
                f"{exc} LedgerLink will check for this note on the next run before "
                "posting it again."
            )
        with transaction.atomic():
            self._log(run, item, "failed", reason, error_code=exc.code[:40])
            bump(run, processed=1, failed=1)

    def _posted(self, run, item: SyncWorkItem, claim: _Claim, note_id: str, adopted: str) -> None:
        payload = item.payload
        now = timezone.now()
        with transaction.atomic():
            ContactSummaryState.objects.filter(pk=claim.state_pk).update(
                last_posted_at=now,
                last_note_id=note_id,
                last_fingerprint=payload["fingerprint"],
                pending_key=None,
                pending_since=None,
                pending_text="",
                pending_fingerprint="",
                qbo_id=payload["qbo_id"],
            )
            SummaryNote.objects.create(
                workspace=run.workspace,
                run=run,
                lacrm_id=item.source_id,
                qbo_id=payload["qbo_id"],
                note_id=note_id,
                posted_at=now,
                fingerprint=payload["fingerprint"],
                text=claim.text,
            )
            reason = f"Invoice summary note {note_id} added"
            if adopted:
                reason = f"Invoice summary note {note_id} adopted: {adopted}"
            self._log(run, item, "note_added", reason)
            bump(run, processed=1, notes_added=1)

    def _log(self, run, item, outcome: str, reason: str, **extra) -> None:
        log_entry(
            run,
            outcome,
            system="lacrm",
            record_id=item.source_id,
            record_name=item.payload.get("name", "")[:500],
            record_email=item.payload.get("email", "")[:254],
            target_id=item.payload.get("qbo_id", ""),
            reason=reason,
            **extra,
        )
        SyncWorkItem.objects.filter(pk=item.pk).update(state=SyncWorkItem.State.DONE)


@dataclass(frozen=True)
class _Claim:
    """A contact's committed claim: the note's key and text, and whether an earlier attempt
    left it (then the note may be there already)."""

    state_pk: int
    key: uuid.UUID
    text: str
    resumed: bool


class _LookFailed(Exception):
    """The look for a resumed claim's note failed (the run fails with ``error``, as before)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _call(client, lacrm_id: str, claim: _Claim) -> tuple[str, str]:
    """The calls for one claimed contact (run on a pool thread): ``(note_id, why adopted)``."""
    if claim.resumed:
        try:
            note_id = _find_posted_note(client, lacrm_id, reference_line(claim.key))
        except Exception as exc:  # noqa: BLE001 - re-raised by ``process``
            raise _LookFailed(exc) from exc
        if note_id:
            return note_id, "an interrupted attempt had posted it"
    return _post_settled(client, lacrm_id, claim.key, claim.text)


def _post_settled(client, lacrm_id: str, key, text: str) -> tuple[str, str]:
    """Post the note; ``(note_id, why adopted or "")``. A timeout or 5xx may have posted it: look
    right away, and when it is not there post again after a back-off, up to the retry limit.
    Raises the last error when no try settles it (or at once for a permanent one)."""
    tries = pacing.retry_tries()
    for attempt in range(1, tries + 1):
        try:
            return client.create_note(lacrm_id, text), ""
        except IntegrationError as exc:
            if exc.connection_level or exc.permanent:
                raise
            try:
                note_id = _find_posted_note(client, lacrm_id, reference_line(key))
            except IntegrationError as look_failed:
                if look_failed.connection_level:
                    raise
                raise exc from look_failed  # Posted or not is unknown: never post twice.
            if note_id:
                said = str(exc).rstrip(".")
                return note_id, f"Less Annoying CRM did not confirm the note ({said}), but it " + (
                    "had been posted"
                )
            if attempt == tries:
                raise
            time.sleep(pacing.retry_delay(attempt, getattr(exc, "retry_after", None)))
    raise AssertionError("unreachable")  # pragma: no cover


def _throttle_reason(state: ContactSummaryState) -> str:
    if state.last_posted_at is None:
        return "Another run is posting this contact's summary right now"
    eligible = state.last_posted_at + WINDOW
    return f"Summary already posted; next update after {eligible:%Y-%m-%d %H:%M} UTC"


def _look_again(client, contact_id: str, key) -> str:
    """The note of ``key`` if an unanswered CreateNote posted it; "" when unknown."""
    try:
        return _find_posted_note(client, contact_id, reference_line(key))
    except IntegrationError as exc:
        if exc.connection_level:
            raise
        return ""


def _find_posted_note(client, contact_id: str, reference: str) -> str:
    for note in client.list_notes(contact_id):
        if reference in note.get("text", ""):
            return note["id"]
    return ""
