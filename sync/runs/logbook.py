"""The run's counters and its runtime-log entries, always moved together."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from sync.models import SyncLogEntry, SyncRun

COUNTERS = (
    "total",
    "processed",
    "created_in_lacrm",
    "created_in_qbo",
    "matched",
    "already_matched",
    "needs_review",
    "skipped",
    "failed",
    "updated",
    "notes_added",
    "throttled",
)


def bump(run: SyncRun, **counts: int) -> None:
    """Add to the run's counters atomically (several processes may write the same run)."""
    unknown = set(counts) - set(COUNTERS)
    if unknown:
        raise ValueError(f"Unknown counters: {sorted(unknown)}")
    updates = {name: F(name) + value for name, value in counts.items() if value}
    if updates:
        SyncRun.objects.filter(pk=run.pk).update(**updates)


def log_entries(run: SyncRun, entries: Iterable[dict], **counts: int) -> int:
    """Write log entries and move the matching counters in one transaction."""
    rows = [SyncLogEntry(workspace_id=run.workspace_id, run=run, **entry) for entry in entries]
    with transaction.atomic():
        SyncLogEntry.objects.bulk_create(rows, batch_size=1000)
        bump(run, **counts)
    return len(rows)


def log_entry(run: SyncRun, outcome: str, **fields) -> None:
    """Write one log entry; the counters are the caller's to move in the same transaction."""
    SyncLogEntry.objects.create(workspace_id=run.workspace_id, run=run, outcome=outcome, **fields)
