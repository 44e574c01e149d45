"""Helpers for the sync tests: read both sandbox sides back through our own clients, run runs
here or on a real worker, and kill that worker at the moment the sandbox holds a call."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from integrations import registry
from integrations.sandbox import runtime
from sync import runs
from sync.matching.normalize import normalize_email, normalize_name
from sync.models import ACTIVE_STATUSES, ContactLink, SyncLogEntry, SyncRun
from tests.fixtures_worker import purge_broker, wait_for

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
    "preview_changed": "skipped",
    "preview_excluded": "skipped",
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


def run_here(workspace, kind: str = SyncRun.Kind.CONTACTS) -> SyncRun:
    """Run a run to its end in this process, through the same functions the tasks call."""
    run, created = runs.start_run(workspace, kind)
    assert created
    runs.execute_plan(str(run.id))
    run.refresh_from_db()
    while run.is_active:
        runs.execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
    # The tasks start_run and the batches enqueued are not for a worker.
    purge_broker()
    return run


def finished(run: SyncRun, timeout: float = 120) -> SyncRun:
    """Wait until a run a worker is doing is no longer active."""

    def done():
        run.refresh_from_db()
        return run.status not in ACTIVE_STATUSES

    wait_for(done, timeout=timeout, message=f"run {run.id} did not finish ({run.status})")
    return run


def kill_while_held(worker, held) -> None:
    """SIGKILL the worker once the sandbox processed its call and holds the answer; restart it."""
    assert runtime.wait_until_held(held, timeout=60), "the held call was never sent"
    worker.kill()
    runtime.release(held)
    worker.start()


def recover(run: SyncRun) -> None:
    """What beat's periodic check does; the dead worker's lock went with its connection."""
    wait_for(
        lambda: runs.recover_stale_runs(timedelta(0))
        or not SyncRun.objects.get(pk=run.pk).is_active,
        timeout=30,
        message="the run was not recovered",
    )
