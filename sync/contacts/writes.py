"""Writing a Sync New Contacts plan: the planner (``sync.contacts.plan``) decides, this writes.

Everything a plan writes is written in one transaction (``sync.runs.engine.execute_plan``), so
a worker killed while planning leaves nothing behind and the plan simply runs again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.utils import timezone

from integrations.records import ContactRecord, record_to_dict
from sync.contacts.plan import (
    ContactPlan,
    LedgerRow,
    PlanSettings,
    Pulled,
    plan_contacts,
    restricted,
    snapshot,
)
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


# Hooks that may hold a run to less than its fresh plan (``sync.preview`` registers the one for
# runs that apply a stored preview). Each is called with the run, the fresh plan and what was
# pulled; it narrows the plan in place and returns True when it applies to the run.
PlanRestriction = Callable[[SyncRun, ContactPlan, Pulled], bool]
_RESTRICTIONS: list[PlanRestriction] = []


def restrict_plans_with(restriction: PlanRestriction) -> None:
    """Register a plan restriction (idempotent)."""
    if restriction not in _RESTRICTIONS:
        _RESTRICTIONS.append(restriction)


def plan_for(
    workspace, pulled: Pulled, ledger: list[ContactLink] | None = None
) -> tuple[ContactPlan, list[ContactLink]]:
    """The plan a run would write now, and the ledger it was made from (nothing written).

    Sync New Contacts and its preview both plan here, so a preview shows what a run does.
    ``ledger`` is the whole ledger unless given: an incremental plan (``sync.continuous``)
    passes only the rows of the records it pulled, both sides of each pulled.
    """
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
    return plan, ledger


def write_contact_plan(
    run: SyncRun, pulled: Pulled, ledger: list[ContactLink] | None = None
) -> None:
    """Plan (``sync.contact_plan``) and write the ledger's new rows, the logs and the work
    (``ledger``: see ``plan_for``)."""
    workspace = run.workspace
    sync_settings = SyncSettings.for_workspace(workspace)
    plan, ledger = plan_for(workspace, pulled, ledger)
    # A run held to a stored plan does that plan's contacts and nothing more (no field updates).
    held_to_preview = any([restrict(run, plan, pulled) for restrict in _RESTRICTIONS])
    plan, wanted = _retry_scope(run, plan)

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
    if sync_settings.update_fields and not held_to_preview:
        # Keep address, phone and website of linked pairs in step in the same run.
        from sync.fields.handler import FieldUpdateHandler

        pairs = _pairs_to_update([*ledger, *new_links], pulled, wanted)
        updates, update_entries, _ = FieldUpdateHandler().plan_work(
            run, pairs, pulled.qbo, pulled.lacrm, first_seq=len(items)
        )
        items.extend(updates)
        entries = [*entries, *update_entries]
        counts["skipped"] += sum(1 for e in update_entries if e["outcome"] == "skipped")

    SyncWorkItem.objects.bulk_create(items, batch_size=1000)
    log_entries(run, entries, total=len(items), **counts)


def _retry_scope(run: SyncRun, plan):
    """For "Retry failed items", the fresh plan's part about the records that failed and those
    records (``(system, id)``); otherwise the whole plan and None."""
    if not run.retry_of_id:
        return plan, None
    from sync.retry import failed_records

    wanted = failed_records(run.retry_of)
    return restricted(plan, wanted), wanted


def _pairs_to_update(rows: list[ContactLink], pulled: Pulled, wanted) -> list[ContactLink]:
    """The linked pairs whose both records were pulled (of ``wanted`` only, when given)."""
    return [
        row
        for row in rows
        if row.state == ContactLink.State.LINKED
        and row.qbo_id in pulled.qbo
        and row.lacrm_id in pulled.lacrm
        and (wanted is None or ("qbo", row.qbo_id) in wanted or ("lacrm", row.lacrm_id) in wanted)
    ]


def work_item(run: SyncRun, seq: int, record: ContactRecord) -> SyncWorkItem:
    """A work item creating ``record`` on the other side."""
    return SyncWorkItem(
        run=run,
        seq=seq,
        action=CREATE_IN[record.system],
        source_id=record.id,
        payload=record_to_dict(record),
    )
