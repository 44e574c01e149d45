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
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations import registry
from integrations.errors import IntegrationError
from integrations.records import InvoiceRecord
from summaries.kind import KIND, POST_NOTE
from summaries.models import THROTTLE_HOURS, ContactSummaryState, SummaryNote, SummarySettings
from summaries.note import format_note
from summaries.summarize import group_open_invoices, summarize_customer, summary_fingerprint
from sync.models import ContactLink, SyncRun, SyncWorkItem
from sync.runs import BatchContext, bump, log_entries, log_entry

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=THROTTLE_HOURS)


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
        unknown = {inv.customer_id for inv in invoices} - linked
        while unknown:
            records = qbo.get_contacts(sorted(unknown))
            parents = {r.id: r.parent_id for r in records if r.parent_id}
            parent_of.update(parents)
            unknown = set(parents.values()) - linked - set(parent_of)
        return Pulled(
            invoices_by_customer=group_open_invoices(invoices, parent_of),
            today=qbo.company_today(),
        )

    def write_plan(self, run: SyncRun, pulled: Pulled) -> None:
        workspace = run.workspace
        summary_settings = SummarySettings.for_workspace(workspace)
        now = timezone.now()
        links = list(
            ContactLink.objects.for_workspace(workspace).filter(
                state=ContactLink.State.LINKED, qbo_id__isnull=False, lacrm_id__isnull=False
            )
        )
        states = {s.lacrm_id: s for s in ContactSummaryState.objects.for_workspace(workspace).all()}
        entries: list[dict] = []
        items: list[SyncWorkItem] = []
        counts = {"skipped": 0, "throttled": 0}
        linked_qbo = set()
        for link in links:
            linked_qbo.add(link.qbo_id)
            base = {
                "system": "lacrm",
                "record_id": link.lacrm_id,
                "record_name": link.lacrm_name or link.qbo_name,
                "record_email": link.lacrm_email,
                "target_id": link.qbo_id,
            }
            invoices = pulled.invoices_by_customer.get(link.qbo_id, [])
            summary = summarize_customer(link.qbo_id, invoices, pulled.today)
            if summary is None:
                entries.append(
                    {**base, "outcome": "no_open_invoices", "reason": "No unpaid invoices"}
                )
                counts["skipped"] += 1
                continue
            state = states.get(link.lacrm_id)
            if state and state.last_posted_at and state.last_posted_at > now - WINDOW:
                eligible = state.last_posted_at + WINDOW
                entries.append(
                    {
                        **base,
                        "outcome": "throttled",
                        "reason": "Summary posted "
                        f"{state.last_posted_at:%Y-%m-%d %H:%M} UTC; next update after "
                        f"{eligible:%Y-%m-%d %H:%M} UTC",
                    }
                )
                counts["throttled"] += 1
                continue
            fingerprint = summary_fingerprint(summary)
            if (
                summary_settings.skip_unchanged_summaries
                and state is not None
                and state.pending_key is None
                and state.last_fingerprint == fingerprint
            ):
                entries.append(
                    {
                        **base,
                        "outcome": "unchanged",
                        "reason": "Same invoices and balances as the last summary "
                        f"({state.last_posted_at:%Y-%m-%d}); not posted again",
                    }
                )
                counts["skipped"] += 1
                continue
            text = format_note(
                summary, as_of=pulled.today, customer_name=link.qbo_name or link.lacrm_name
            )
            items.append(
                SyncWorkItem(
                    run=run,
                    seq=len(items),
                    action=POST_NOTE,
                    source_id=link.lacrm_id,
                    payload={
                        "qbo_id": link.qbo_id,
                        "name": base["record_name"],
                        "email": link.lacrm_email,
                        "text": text,
                        "fingerprint": fingerprint,
                    },
                )
            )
        for customer_id, invoices in pulled.invoices_by_customer.items():
            if customer_id in linked_qbo:
                continue
            entries.append(
                {
                    "outcome": "not_linked",
                    "system": "qbo",
                    "record_id": customer_id,
                    "record_name": _customer_name(invoices),
                    "reason": f"{len(invoices)} open invoice(s) but no linked LACRM contact; "
                    "run Sync New Contacts or link it by hand",
                }
            )
            counts["skipped"] += 1
        SyncWorkItem.objects.bulk_create(items, batch_size=1000)
        log_entries(run, entries, total=len(items), **counts)

    def process(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        client = registry.crm(run.workspace)
        for item in items:
            if ctx.should_stop():
                return
            self._post(run, item, client)

    def _post(self, run: SyncRun, item: SyncWorkItem, client) -> None:
        payload = item.payload
        lacrm_id = item.source_id
        state, _ = ContactSummaryState.objects.get_or_create(
            workspace=run.workspace, lacrm_id=lacrm_id, defaults={"qbo_id": payload["qbo_id"]}
        )
        note_id = ""
        adopted = ""
        if state.pending_key is not None:
            # An earlier attempt claimed this contact and may have posted: look before posting.
            key, text = state.pending_key, state.pending_text
            note_id = _find_posted_note(client, lacrm_id, reference_line(key))
            if note_id:
                adopted = "an interrupted attempt had posted it"
        else:
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
                return
        if not note_id:
            try:
                note_id = client.create_note(lacrm_id, text)
            except IntegrationError as exc:
                if exc.connection_level:
                    raise
                if exc.permanent:
                    ContactSummaryState.objects.filter(pk=state.pk, pending_key=key).update(
                        pending_key=None, pending_text="", pending_fingerprint=""
                    )
                    with transaction.atomic():
                        self._log(run, item, "failed", str(exc), error_code=exc.code[:40])
                        bump(run, processed=1, failed=1)
                    return
                # Timed out or unanswered: the note may exist. Look right away; when it cannot
                # be found, keep the claim so the next run looks before posting.
                note_id = _look_again(client, lacrm_id, key)
                if not note_id:
                    with transaction.atomic():
                        self._log(
                            run,
                            item,
                            "failed",
                            f"{exc} LedgerLink will check for this note on the next run "
                            "before posting it again.",
                            error_code=exc.code[:40],
                        )
                        bump(run, processed=1, failed=1)
                    return
                adopted = (
                    f"Less Annoying CRM did not confirm the note ({str(exc).rstrip('.')}), "
                    "but it had been posted"
                )
        now = timezone.now()
        with transaction.atomic():
            ContactSummaryState.objects.filter(pk=state.pk).update(
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
                lacrm_id=lacrm_id,
                qbo_id=payload["qbo_id"],
                note_id=note_id,
                posted_at=now,
                fingerprint=payload["fingerprint"],
                text=text,
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


def _customer_name(invoices: list[InvoiceRecord]) -> str:
    return next((inv.customer_name for inv in invoices if inv.customer_name), "")[:500]
