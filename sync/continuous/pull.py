"""The reads of a ``changes`` run: only the announced records, their counterparts and the
few candidates a new record could match — never a whole side.

QuickBooks customers come in one ``select * from Customer where Id in (…)`` query (500 ids a
query), invoices likewise; LACRM contacts one ``GetContact`` each. A record its system no longer
has is simply absent from the result: the ledger row that points at it gets flagged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from integrations import registry
from integrations.changes import MERGED, QBO_INVOICE
from integrations.errors import NotFound, ValidationFailed
from integrations.records import LACRM, QBO, ContactRecord
from sync.contacts.plan import Pulled
from sync.continuous.models import ChangeEvent
from sync.models import ContactLink, SyncRun, SyncSettings
from sync.runs import BatchContext

logger = logging.getLogger(__name__)

# At most this many announced changes per run; the rest wait for the next one.
MAX_EVENTS = 2000


@dataclass
class ChangesPulled:
    """What a ``changes`` run pulled, for its plan (``sync.continuous.writes``)."""

    event_ids: list[int]
    pulled: Pulled
    # Ids the events named (whether or not the record still exists), per side.
    announced: dict[str, set[str]]
    # Records pulled only as possible matches of a new record.
    candidates: dict[str, set[str]]
    merges: list[tuple[str, str]] = field(default_factory=list)
    invoice_customers: set[str] = field(default_factory=set)
    failures: list[dict] = field(default_factory=list)
    # LACRM contacts that could not be read (not "not found"): their pairs sit this run out.
    unreadable: set[str] = field(default_factory=set)


def pull_changes(run: SyncRun, ctx: BatchContext) -> ChangesPulled:
    workspace = run.workspace
    events = list(
        ChangeEvent.objects.for_workspace(workspace)
        .filter(run__isnull=True)
        .order_by("id")
        .values("id", "system", "record_id", "kind", "survivor_id")[:MAX_EVENTS]
    )
    announced: dict[str, set[str]] = {QBO: set(), LACRM: set()}
    merges: list[tuple[str, str]] = []
    invoice_ids: set[str] = set()
    for event in events:
        if event["system"] == QBO_INVOICE:
            invoice_ids.add(event["record_id"])
        elif event["system"] in announced:
            announced[event["system"]].add(event["record_id"])
            if event["system"] == QBO and event["kind"] == MERGED and event["survivor_id"]:
                merges.append((event["record_id"], event["survivor_id"]))
                announced[QBO].add(event["survivor_id"])
    result = ChangesPulled(
        event_ids=[e["id"] for e in events],
        pulled=Pulled(qbo={}, lacrm={}),
        announced=announced,
        candidates={QBO: set(), LACRM: set()},
        merges=merges,
    )
    if not events:
        return result
    sync_settings = SyncSettings.for_workspace(workspace)
    fetch = _with_counterparts(workspace, announced, merges)
    qbo_records = _fetch_qbo(workspace, fetch[QBO]) if fetch[QBO] else []
    lacrm_records = _fetch_lacrm(workspace, fetch[LACRM], result) if fetch[LACRM] else []
    ctx.heartbeat()
    _sort_qbo(result.pulled, qbo_records, sync_settings)
    for record in lacrm_records:
        result.pulled.lacrm[record.id] = record
    _add_candidates(workspace, result, sync_settings)
    if invoice_ids:
        invoices = registry.accounting(workspace).get_invoices(sorted(invoice_ids))
        result.invoice_customers = {inv.customer_id for inv in invoices if inv.customer_id}
    ctx.heartbeat()
    return result


def _with_counterparts(workspace, announced, merges) -> dict[str, set[str]]:
    """The announced ids plus the other side of every ledger row that holds one of them."""
    fetch = {QBO: set(announced[QBO]), LACRM: set(announced[LACRM])}
    losers = {loser for loser, _ in merges}
    rows = ContactLink.objects.for_workspace(workspace).filter(
        qbo_id__in=announced[QBO] | losers
    ) | ContactLink.objects.for_workspace(workspace).filter(lacrm_id__in=announced[LACRM])
    for qbo_id, lacrm_id in rows.values_list("qbo_id", "lacrm_id"):
        if qbo_id and qbo_id not in losers:
            fetch[QBO].add(qbo_id)
        if lacrm_id:
            fetch[LACRM].add(lacrm_id)
    return fetch


def _fetch_qbo(workspace, ids: set[str]) -> list[ContactRecord]:
    return registry.accounting(workspace).get_contacts(sorted(ids))


def _fetch_lacrm(workspace, ids: set[str], result: ChangesPulled) -> list[ContactRecord]:
    crm = registry.crm(workspace)
    records = []
    for contact_id in sorted(ids):
        try:
            records.append(crm.get_contact(contact_id))
        except NotFound:
            continue  # Deleted in LACRM: its ledger row is flagged when the plan is written.
        except ValidationFailed as exc:
            result.unreadable.add(contact_id)
            result.failures.append(
                {
                    "outcome": "failed",
                    "system": LACRM,
                    "record_id": contact_id,
                    "reason": f"Could not read the changed contact: {exc}",
                    "error_code": str(getattr(exc, "code", ""))[:40],
                }
            )
    return records


def _sort_qbo(pulled: Pulled, records: list[ContactRecord], sync_settings: SyncSettings) -> None:
    """The same settings as a full pull (``sync.contacts.pull``): inactive customers and
    sub-customers are set aside with the reason."""
    for record in records:
        if not record.active and not sync_settings.include_inactive:
            pulled.skipped.append((record, "Inactive in QuickBooks (workspace setting)"))
        elif record.parent_id and sync_settings.sub_customers == SyncSettings.SubCustomers.SKIP:
            pulled.skipped.append(
                (record, "Sub-customer in QuickBooks; its invoices roll up to the parent")
            )
        else:
            pulled.qbo[record.id] = record


def search_terms(record: ContactRecord) -> list[str]:
    """What to search the other side for: the email, and the family (or company) name, which
    finds "Nick Brown" and "Brown, Nick" alike."""
    terms = [record.primary_email, record.last_name or record.company_name or record.name]
    return [t for t in dict.fromkeys(t.strip() for t in terms) if t]


def _linked_ids(workspace, system: str, ids) -> set[str]:
    return set(
        ContactLink.objects.for_workspace(workspace)
        .filter(**{f"{system}_id__in": list(ids)})
        .values_list(f"{system}_id", flat=True)
    )


def _add_candidates(workspace, result: ChangesPulled, sync_settings: SyncSettings) -> None:
    """Search the other side for records a new (unlinked) record could match."""
    pulled = result.pulled
    linked_qbo = _linked_ids(workspace, QBO, pulled.qbo)
    linked_lacrm = _linked_ids(workspace, LACRM, pulled.lacrm)
    new_qbo = [r for rid, r in pulled.qbo.items() if rid not in linked_qbo]
    new_lacrm = [r for rid, r in pulled.lacrm.items() if rid not in linked_lacrm]
    if new_qbo:
        _lacrm_candidates(workspace, result, new_qbo)
    if new_lacrm:
        _qbo_candidates(workspace, result, new_lacrm, sync_settings)


def _lacrm_candidates(workspace, result: ChangesPulled, new: list[ContactRecord]) -> None:
    crm = registry.crm(workspace)
    pulled = result.pulled
    for record in new:
        for term in search_terms(record):
            for found in crm.search_contacts(term):
                if found.id not in pulled.lacrm:
                    pulled.lacrm[found.id] = found
                    result.candidates[LACRM].add(found.id)


def _qbo_candidates(
    workspace, result: ChangesPulled, new: list[ContactRecord], sync_settings: SyncSettings
) -> None:
    accounting = registry.accounting(workspace)
    pulled = result.pulled
    known = set(pulled.qbo) | {r.id for r, _ in pulled.skipped}
    found: dict[str, ContactRecord] = {}
    for record in new:
        for term in search_terms(record):
            for customer in accounting.search_contacts(term):
                if customer.id not in known:
                    found[customer.id] = customer
    holder = Pulled(qbo={}, lacrm={})
    _sort_qbo(holder, list(found.values()), sync_settings)
    pulled.qbo.update(holder.qbo)
    pulled.skipped.extend(holder.skipped)
    result.candidates[QBO] |= set(found)
