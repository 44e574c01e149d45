"""Writing a ``changes`` run's plan: merges repointed, summaries marked, then the contact plan
of Sync New Contacts (``sync.contacts.writes``) over only the pulled records and their rows.

Everything here runs in the plan's one transaction (``sync.runs.engine.execute_plan``), and the
run claims its change events in it: a plan that fails leaves them for the next run.
"""

from __future__ import annotations

import logging

from django.db.models import Q

from integrations.records import LACRM, QBO
from sync.contacts.writes import write_contact_plan
from sync.continuous.models import ChangeEvent, SummaryRefresh
from sync.continuous.pull import ChangesPulled
from sync.models import ContactLink, SyncRun
from sync.runs import log_entries

logger = logging.getLogger(__name__)


def write_changes_plan(run: SyncRun, changes: ChangesPulled) -> None:
    workspace = run.workspace
    ChangeEvent.objects.for_workspace(workspace).filter(
        pk__in=changes.event_ids, run__isnull=True
    ).update(run=run)
    entries = list(changes.failures)
    entries += [_repoint(workspace, loser, survivor) for loser, survivor in changes.merges]
    for qbo_id in sorted(changes.invoice_customers):
        SummaryRefresh.objects.update_or_create(workspace=workspace, qbo_id=qbo_id)
    pulled = changes.pulled
    _drop_linked_candidates(workspace, changes)
    known_qbo = changes.announced[QBO] | set(pulled.qbo) | {r.id for r, _ in pulled.skipped}
    known_lacrm = changes.announced[LACRM] | set(pulled.lacrm)
    ledger = list(
        ContactLink.objects.for_workspace(workspace).filter(
            Q(qbo_id__in=known_qbo) | Q(lacrm_id__in=known_lacrm)
        )
    )
    ledger = _without_unreadable(ledger, changes)
    write_contact_plan(run, pulled, ledger=ledger)
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["outcome"]] = counts.get(e["outcome"], 0) + 1
    log_entries(run, entries, **counts)


def _without_unreadable(ledger: list[ContactLink], changes: ChangesPulled) -> list[ContactLink]:
    """A pair whose LACRM contact could not be read sits this run out, both records with it:
    planning would take the contact for deleted, or the customer for a new one."""
    if not changes.unreadable:
        return ledger
    kept = []
    for row in ledger:
        if row.lacrm_id in changes.unreadable:
            changes.pulled.qbo.pop(row.qbo_id or "", None)
            changes.pulled.skipped = [
                (r, why) for r, why in changes.pulled.skipped if r.id != row.qbo_id
            ]
        else:
            kept.append(row)
    return kept


def _drop_linked_candidates(workspace, changes: ChangesPulled) -> None:
    """A candidate that is in the ledger already is not a possible match: leave it out (its
    counterpart was not pulled, so planning would take it for missing)."""
    pulled = changes.pulled
    for system, side in ((QBO, pulled.qbo), (LACRM, pulled.lacrm)):
        ids = changes.candidates[system]
        if not ids:
            continue
        taken = set(
            ContactLink.objects.for_workspace(workspace)
            .filter(**{f"{system}_id__in": ids})
            .values_list(f"{system}_id", flat=True)
        )
        for rid in taken:
            side.pop(rid, None)
        if system == QBO:
            pulled.skipped = [(r, why) for r, why in pulled.skipped if r.id not in taken]


def _repoint(workspace, loser: str, survivor: str) -> dict:
    """A QuickBooks merge: the link of the customer that disappeared moves to the survivor."""
    links = ContactLink.objects.for_workspace(workspace)
    link = links.filter(qbo_id=loser).first()
    entry = {"system": QBO, "record_id": survivor, "target_id": ""}
    if link is None:
        reason = f"Customer {loser} merged into {survivor} in QuickBooks; {loser} was not linked"
        return {**entry, "outcome": "skipped", "reason": reason}
    entry["target_id"] = link.lacrm_id or ""
    if links.filter(qbo_id=survivor).exclude(pk=link.pk).exists():
        link.flag = (
            f"QuickBooks merged customer {loser} into {survivor}, which is linked to another "
            "contact; decide which link to keep"
        )[:200]
        link.save(update_fields=["flag", "updated_at"])
        return {**entry, "outcome": "needs_review", "reason": link.flag}
    link.qbo_id = survivor
    link.flag = ""
    link.save(update_fields=["qbo_id", "flag", "updated_at"])
    logger.info("workspace %s: link %s repointed %s -> %s", workspace.pk, link.pk, loser, survivor)
    return {
        **entry,
        "outcome": "updated",
        "reason": f"QuickBooks merged customer {loser} into {survivor}: the link now points "
        f"to {survivor}",
    }
