"""Writing a Sync New Contacts plan: the planner (``sync.contacts.plan``) decides, this writes.

Everything a plan writes is written in one transaction (``sync.runs.engine.execute_plan``), so
a worker killed while planning leaves nothing behind and the plan simply runs again.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from integrations.records import ContactRecord, record_to_dict
from sync.contacts.plan import LedgerRow, PlanSettings, Pulled, plan_contacts, snapshot
from sync.models import ContactLink, RejectedPair, SyncRun, SyncSettings, SyncWorkItem
from sync.runs import log_entries

logger = logging.getLogger(__name__)

CREATE_IN = {"qbo": SyncWorkItem.Action.CREATE_IN_LACRM, "lacrm": SyncWorkItem.Action.CREATE_IN_QBO}


def ledger_row(link: ContactLink) -> LedgerRow:
    return LedgerRow(
        key=str(link.pk),
        state=link.state,
        qbo_id=link.qbo_id,
        lacrm_id=link.lacrm_id,
        method_label=link.get_method_display(),
        reason=link.reason,
        linked_at=link.linked_at,
        target_system=link.target_system,
        qbo_name=link.qbo_name,
        qbo_email=link.qbo_email,
        lacrm_name=link.lacrm_name,
        lacrm_email=link.lacrm_email,
        flag=link.flag,
    )


def write_contact_plan(
    run: SyncRun, pulled: Pulled, ledger: list[ContactLink] | None = None
) -> None:
    """Plan (``sync.contact_plan``) and write the ledger's new rows, the logs and the work.

    ``ledger`` is the whole ledger unless given: an incremental plan (``sync.continuous``)
    passes only the rows of the records it pulled, both sides of each pulled.
    """
    workspace = run.workspace
    sync_settings = SyncSettings.for_workspace(workspace)
    if ledger is None:
        ledger = list(ContactLink.objects.for_workspace(workspace))
    rejected = set(RejectedPair.objects.for_workspace(workspace).values_list("qbo_id", "lacrm_id"))
    plan = plan_contacts(
        pulled,
        [ledger_row(link) for link in ledger],
        PlanSettings(
            direction=sync_settings.direction,
            direction_label=sync_settings.get_direction_display(),
            no_email=sync_settings.no_email,
        ),
        rejected,
    )

    changed = [link for link in ledger if str(link.pk) in plan.refreshed]
    for link in changed:
        for name, value in plan.refreshed[str(link.pk)].items():
            setattr(link, name, value)
    ContactLink.objects.bulk_update(
        changed, ["qbo_name", "qbo_email", "lacrm_name", "lacrm_email", "flag"], batch_size=1000
    )

    now = timezone.now()
    new_links = [
        ContactLink(
            workspace=workspace,
            qbo_id=link.qbo.id,
            lacrm_id=link.lacrm.id,
            state=ContactLink.State.LINKED,
            method=link.method,
            reason=link.reason,
            linked_at=now,
            flag=link.flag,
            **snapshot(link.qbo, link.lacrm),
        )
        for link in plan.links
    ]
    new_links += [
        ContactLink(
            workspace=workspace,
            state=ContactLink.State.NEEDS_REVIEW,
            reason=review.reason,
            candidates=list(review.candidates),
            **{f"{review.record.system}_id": review.record.id},
            **snapshot(
                review.record if review.record.system == "qbo" else None,
                review.record if review.record.system == "lacrm" else None,
            ),
        )
        for review in plan.reviews
    ]
    ContactLink.objects.bulk_create(new_links, batch_size=1000)

    items = [work_item(run, seq, record) for seq, record in enumerate(plan.creates)]
    entries, counts = plan.entries, dict(plan.counts)
    if sync_settings.update_fields:
        # Keep address, phone and website of linked pairs in step in the same run.
        from sync.fields.handler import FieldUpdateHandler

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
        entries = [*entries, *update_entries]
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
