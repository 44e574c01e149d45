"""Helpers for the sync tests: read both sandbox sides back through our own clients."""

from __future__ import annotations

from collections import Counter

from integrations import registry
from sync.matching.normalize import normalize_email, normalize_name
from sync.models import ContactLink, SyncLogEntry, SyncRun

# Log outcome -> the run counter it moves.
OUTCOME_COUNTER = {
    "matched": "matched",
    "already_matched": "already_matched",
    "needs_review": "needs_review",
    "skipped": "skipped",
    "failed": "failed",
    "note_added": "notes_added",
    "throttled": "throttled",
    "no_open_invoices": "skipped",
    "not_linked": "skipped",
    "unchanged": "skipped",
    "updated": "updated",
}


def both_sides(workspace):
    """All QBO customers (active and inactive) and all LACRM contacts, by id."""
    qbo = {r.id: r for r in registry.accounting(workspace).iter_customers(include_inactive=True)}
    lacrm = {r.id: r for r in registry.crm(workspace).iter_contacts()}
    return qbo, lacrm


def identity(record) -> tuple[str, str]:
    """What makes two records the same person for duplicate checks."""
    return (normalize_name(record.name), normalize_email(record.primary_email))


def duplicates(records) -> list[tuple[str, str]]:
    counts = Counter(identity(r) for r in records)
    return [key for key, n in counts.items() if n > 1]


def assert_counters_match_logs(run: SyncRun) -> None:
    run.refresh_from_db()
    logs = Counter(SyncLogEntry.objects.filter(run=run).values_list("outcome", flat=True))
    expected: Counter = Counter()
    for outcome, n in logs.items():
        if outcome == "created":
            continue
        expected[OUTCOME_COUNTER[outcome]] += n
    created = SyncLogEntry.objects.filter(run=run, outcome="created")
    assert run.created_in_lacrm == created.filter(system="qbo").count()
    assert run.created_in_qbo == created.filter(system="lacrm").count()
    for counter in ("matched", "already_matched", "needs_review", "skipped", "failed", "updated"):
        assert getattr(run, counter) == expected[counter], counter
    per_item = ("created", "failed", "note_added", "throttled")
    item_logs = SyncLogEntry.objects.filter(run=run, outcome__in=per_item).count()
    if run.kind == SyncRun.Kind.CONTACTS:
        # Every processed work item has exactly one created/failed/skipped-at-claim entry.
        assert run.processed <= run.total
    else:
        assert run.processed == item_logs


def ledger_ids(workspace, state=None):
    rows = ContactLink.objects.filter(workspace=workspace)
    if state:
        rows = rows.filter(state=state)
    return rows
