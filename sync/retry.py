"""Retry failed items: a new run that retries exactly the failed items of a finished run.

The new run (``retry_of`` set) is an ordinary run of the same kind: it pulls and plans afresh,
so a record corrected since is sent as it is now, and then keeps only the part of the plan
about the records that failed (for Sync New Contacts: ``sync.contacts.plan.restricted``). Only
kinds that say so (``RunKind.retry_failed``) offer it; the others retry their failures by
simply running again.
"""

from __future__ import annotations

from sync import kinds, outcomes
from sync.models import SyncLogEntry, SyncRun
from sync.runs import start_blockers, start_run


def failed_records(run: SyncRun) -> set[tuple[str, str]]:
    """``(system, record id)`` of every item that failed in ``run``."""
    rows = (
        SyncLogEntry.objects.filter(
            workspace=run.workspace_id, run=run, outcome__in=outcomes.in_group(outcomes.FAILED)
        )
        .exclude(record_id="")
        .values_list("system", "record_id")
        .distinct()
    )
    return set(rows)


def retry_blockers(run: SyncRun) -> list[str]:
    """Why ``run``'s failed items cannot be retried now ([] when they can)."""
    if not kinds.get(run.kind).retry_failed:
        return [f"{run.kind_label} retries its failures when it runs again"]
    if run.is_active:
        return ["the run has not finished yet"]
    if not run.failed:
        return ["nothing failed in this run"]
    return start_blockers(run.workspace, kind=run.kind)


def start_retry(run: SyncRun, *, user) -> tuple[SyncRun, bool]:
    """Queue the retry of ``run``'s failed items (``(run, False)`` when another is active)."""
    return start_run(run.workspace, run.kind, user=user, retry_of=run)
