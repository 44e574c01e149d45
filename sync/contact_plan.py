"""Planning Sync New Contacts: pull both sides, match, and write the ledger and the work.

Everything a plan writes is written in one transaction (``sync.runs.execute_plan``), so a worker
killed while planning leaves nothing behind and the plan simply runs again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.utils import timezone

from integrations import services
from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord, record_to_dict
from sync.matching import plan_matches
from sync.models import ContactLink, RejectedPair, SyncRun, SyncSettings, SyncWorkItem
from sync.normalize import normalize_company
from sync.runs import BatchContext, log_entries

logger = logging.getLogger(__name__)

CREATE_IN = {QBO: SyncWorkItem.Action.CREATE_IN_LACRM, LACRM: SyncWorkItem.Action.CREATE_IN_QBO}


def _entry(outcome: str, record: ContactRecord, reason: str = "", **extra) -> dict:
    return {
        "outcome": outcome,
        "system": record.system,
        "record_id": record.id,
        "record_name": record.name[:500],
        "record_email": record.primary_email[:254],
        "reason": reason,
        **extra,
    }


@dataclass
class Pulled:
    """Both sides as pulled, and what the workspace's settings made of them."""

    qbo: dict[str, ContactRecord]
    lacrm: dict[str, ContactRecord]
    skipped: list[tuple[ContactRecord, str]] = field(default_factory=list)


def pull_contacts(run: SyncRun, ctx: BatchContext) -> Pulled:
    """Pull both sides and set aside the QBO records the workspace's settings skip."""
    workspace = run.workspace
    sync_settings = SyncSettings.for_workspace(workspace)
    qbo_client = services.qbo_client(workspace)
    lacrm_client = services.lacrm_client(workspace)
    pulled = Pulled(qbo={}, lacrm={})
    # Inactive customers are pulled too, so the logs can say why each one was skipped.
    for count, record in enumerate(qbo_client.iter_customers(include_inactive=True), 1):
        if count % 1000 == 0:
            ctx.heartbeat()
        if not record.active and not sync_settings.include_inactive:
            pulled.skipped.append((record, "Inactive in QuickBooks (workspace setting)"))
        elif record.parent_id and sync_settings.sub_customers == SyncSettings.SubCustomers.SKIP:
            pulled.skipped.append(
                (record, "Sub-customer in QuickBooks; its invoices roll up to the parent")
            )
        else:
            pulled.qbo[record.id] = record
    ctx.heartbeat()
    for count, record in enumerate(lacrm_client.iter_contacts(), 1):
        if count % 1000 == 0:
            ctx.heartbeat()
        pulled.lacrm[record.id] = record
    ctx.heartbeat()
    return pulled


def write_contact_plan(run: SyncRun, pulled: Pulled) -> None:
    """Write the ledger's new links and reviews, the log entries, and the creates to do."""
    workspace = run.workspace
    sync_settings = SyncSettings.for_workspace(workspace)
    ledger = list(ContactLink.objects.for_workspace(workspace))
    entries: list[dict] = []
    counts = {"already_matched": 0, "needs_review": 0, "skipped": 0, "matched": 0}
    items: list[SyncWorkItem] = []

    for record, reason in pulled.skipped:
        entries.append(_entry("skipped", record, reason))
        counts["skipped"] += 1

    linked_qbo = {row.qbo_id for row in ledger if row.qbo_id}
    linked_lacrm = {row.lacrm_id for row in ledger if row.lacrm_id}
    changed_rows = []
    for row in ledger:
        qbo_rec = pulled.qbo.get(row.qbo_id) if row.qbo_id else None
        lacrm_rec = pulled.lacrm.get(row.lacrm_id) if row.lacrm_id else None
        if row.state == ContactLink.State.LINKED:
            record = qbo_rec or lacrm_rec
            if record is not None:
                entries.append(
                    _entry(
                        "already_matched",
                        record,
                        f"Linked since {row.linked_at:%Y-%m-%d} ({row.get_method_display()})"
                        if row.linked_at
                        else "Already linked",
                        target_id=(row.lacrm_id if record.system == QBO else row.qbo_id) or "",
                    )
                )
                counts["already_matched"] += 1
            flag = _missing_flag(row, qbo_rec, lacrm_rec)
            if _refreshsnapshot(row, qbo_rec, lacrm_rec, flag):
                changed_rows.append(row)
        elif row.state == ContactLink.State.NEEDS_REVIEW:
            record = qbo_rec or lacrm_rec
            if record is not None:
                entries.append(
                    _entry("needs_review", record, f"Waiting for your review: {row.reason}")
                )
                counts["needs_review"] += 1
        elif row.state == ContactLink.State.CREATING:
            # A create whose worker died: finish it (same idempotency key) in this run.
            source = lacrm_rec if row.target_system == QBO else qbo_rec
            if source is not None:
                items.append(work_item(run, len(items), source))
    if changed_rows:
        ContactLink.objects.bulk_update(
            changed_rows,
            ["qbo_name", "qbo_email", "lacrm_name", "lacrm_email", "flag"],
            batch_size=1000,
        )

    rejected = set(RejectedPair.objects.for_workspace(workspace).values_list("qbo_id", "lacrm_id"))
    qbo_open = [r for rid, r in pulled.qbo.items() if rid not in linked_qbo]
    lacrm_open = [r for rid, r in pulled.lacrm.items() if rid not in linked_lacrm]
    plan = plan_matches(
        qbo_open,
        lacrm_open,
        linked_qbo=linked_qbo,
        linked_lacrm=linked_lacrm,
        rejected_pairs=rejected,
        no_email=sync_settings.no_email,
    )

    now = timezone.now()
    new_links = []
    for match in plan.links:
        qbo_rec, lacrm_rec = pulled.qbo[match.qbo_id], pulled.lacrm[match.lacrm_id]
        new_links.append(
            ContactLink(
                workspace=workspace,
                qbo_id=match.qbo_id,
                lacrm_id=match.lacrm_id,
                state=ContactLink.State.LINKED,
                method=match.method,
                reason=match.reason,
                linked_at=now,
                **snapshot(qbo_rec, lacrm_rec),
            )
        )
        entries.append(_entry("matched", qbo_rec, match.reason, target_id=match.lacrm_id))
        counts["matched"] += 1
    for review in plan.reviews:
        for system, ids, other_ids in (
            (QBO, review.qbo_ids, review.lacrm_ids),
            (LACRM, review.lacrm_ids, review.qbo_ids),
        ):
            for rid in ids:
                record = (pulled.qbo if system == QBO else pulled.lacrm)[rid]
                new_links.append(
                    ContactLink(
                        workspace=workspace,
                        state=ContactLink.State.NEEDS_REVIEW,
                        reason=review.reason,
                        candidates=list(other_ids),
                        **({"qbo_id": rid} if system == QBO else {"lacrm_id": rid}),
                        **snapshot(
                            record if system == QBO else None,
                            record if system == LACRM else None,
                        ),
                    )
                )
                entries.append(_entry("needs_review", record, review.reason))
                counts["needs_review"] += 1
    ContactLink.objects.bulk_create(new_links, batch_size=1000)

    # A LACRM contact that matches a QBO customer we skipped (inactive, sub-customer) is that
    # customer, not someone new: creating it would make a duplicate in QuickBooks.
    lacrm_only = list(plan.lacrm_only)
    if pulled.skipped and lacrm_only:
        shadow = plan_matches(
            [record for record, _ in pulled.skipped],
            [pulled.lacrm[rid] for rid in lacrm_only],
            no_email=sync_settings.no_email,
        )
        skipped_by_id = {record.id: (record, why) for record, why in pulled.skipped}
        shadowed = {m.lacrm_id: m.qbo_id for m in shadow.links}
        for review in shadow.reviews:
            for rid in review.lacrm_ids:
                shadowed.setdefault(rid, review.qbo_ids[0])
        for rid, qbo_id in shadowed.items():
            customer, why = skipped_by_id[qbo_id]
            entries.append(
                _entry(
                    "skipped",
                    pulled.lacrm[rid],
                    f'Looks like QuickBooks customer "{customer.name}", which is skipped '
                    f"({why[0].lower() + why[1:]}); not creating a duplicate",
                    target_id=qbo_id,
                )
            )
            counts["skipped"] += 1
        lacrm_only = [rid for rid in lacrm_only if rid not in shadowed]

    # LACRM keeps a person's company as a company record of its own (creating a person with a
    # "Company Name" makes one). QuickBooks keeps it on the customer instead, so such a
    # record is not a customer to create: it would flood QuickBooks with copies.
    companies_of_people = {
        normalize_company(r.company_name)
        for side in (pulled.qbo, pulled.lacrm)
        for r in side.values()
        if r.company_name and r.person_name
    }
    kept = []
    for rid in lacrm_only:
        record = pulled.lacrm[rid]
        if record.is_company and normalize_company(record.name) in companies_of_people:
            entries.append(
                _entry(
                    "skipped",
                    record,
                    "Company record of a person's company; QuickBooks keeps the company "
                    "on the customer (Company name), so no separate customer is created",
                )
            )
            counts["skipped"] += 1
        else:
            kept.append(rid)
    lacrm_only = kept

    direction = sync_settings.direction
    for system, ids in ((QBO, plan.qbo_only), (LACRM, lacrm_only)):
        records = pulled.qbo if system == QBO else pulled.lacrm
        allowed = direction == SyncSettings.Direction.BOTH or direction == (
            SyncSettings.Direction.QBO_TO_LACRM
            if system == QBO
            else SyncSettings.Direction.LACRM_TO_QBO
        )
        for rid in ids:
            record = records[rid]
            if allowed:
                items.append(work_item(run, len(items), record))
            else:
                entries.append(
                    _entry(
                        "skipped",
                        record,
                        f"Not in {SYSTEM_NAMES[LACRM if system == QBO else QBO]}; "
                        f"the sync direction is {sync_settings.get_direction_display()}",
                    )
                )
                counts["skipped"] += 1

    if sync_settings.update_fields:
        # Keep address, phone and website of linked pairs in step in the same run.
        from sync.field_updates import FieldUpdateHandler

        pairs = [
            row
            for row in [*ledger, *new_links]
            if row.state == ContactLink.State.LINKED
            and row.qbo_id in pulled.qbo
            and row.lacrm_id in pulled.lacrm
        ]
        updates, update_entries, _ = FieldUpdateHandler().plan_work(
            run, pairs, pulled.qbo, pulled.lacrm, first_seq=len(items)
        )
        items.extend(updates)
        entries.extend(update_entries)
        counts["skipped"] += sum(1 for e in update_entries if e["outcome"] == "skipped")

    SyncWorkItem.objects.bulk_create(items, batch_size=1000)
    log_entries(run, entries, total=len(items), **counts)


def work_item(run: SyncRun, seq: int, record: ContactRecord) -> SyncWorkItem:
    """A work item creating ``record`` on the other side."""
    return SyncWorkItem(
        run=run,
        seq=seq,
        action=CREATE_IN[record.system],
        source_id=record.id,
        payload=record_to_dict(record),
    )


def snapshot(qbo: ContactRecord | None, lacrm: ContactRecord | None) -> dict:
    data = {}
    if qbo is not None:
        data.update(qbo_name=qbo.name[:500], qbo_email=qbo.primary_email[:254])
    if lacrm is not None:
        data.update(lacrm_name=lacrm.name[:500], lacrm_email=lacrm.primary_email[:254])
    return data


def _missing_flag(row: ContactLink, qbo: ContactRecord | None, lacrm: ContactRecord | None) -> str:
    """Describe a linked record that vanished from its side; links are flagged, never dropped."""
    missing = []
    if row.qbo_id and qbo is None:
        missing.append("the QuickBooks customer is inactive, a sub-customer or deleted")
    if row.lacrm_id and lacrm is None:
        missing.append("the LACRM contact was not found (deleted?)")
    text = "; ".join(missing)
    return (text[:1].upper() + text[1:])[:200]


def _refreshsnapshot(row: ContactLink, qbo, lacrm, flag: str) -> bool:
    before = (row.qbo_name, row.qbo_email, row.lacrm_name, row.lacrm_email, row.flag)
    for key, value in snapshot(qbo, lacrm).items():
        setattr(row, key, value)
    row.flag = flag
    return before != (row.qbo_name, row.qbo_email, row.lacrm_name, row.lacrm_email, row.flag)
