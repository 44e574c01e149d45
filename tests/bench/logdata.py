"""A million runtime-log rows for the logs benchmark, written by one INSERT … SELECT.

The rows belong to one run of their own workspace and are laid out like a real Sync New
Contacts run: the planning step's entries first (matched, already matched, needs review,
skipped: two thirds of the rows), then the batches' creates and failures, so each outcome sits
in its own stretch of time as it does in production. Twenty rows share each ``at`` (one batch),
so paging has ties to break. Names and emails come from synthetic pools (3,000 first names,
20,000 last names): a last name matches about fifty rows, a first name about 330. The run's
counters are set from the rows afterwards, as the engine would have moved them.

The benchmark's database is its own, so the table's secondary indexes are dropped for the
INSERT and built again afterwards from their own definitions (much faster than maintaining
two trigram indexes row by row).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from dataclasses import dataclass

SEED = 20240613
PER_BATCH = 20  # rows sharing one ``at``
DOMAINS = ["example.com", "mail.test", "inbox.test", "post.example", "corp.test"]
# Percent of the planning step's rows, then of the batches' rows, per outcome (each sums to 100).
PLAN_MIX = {"matched": 30, "already_matched": 45, "needs_review": 7, "skipped": 18}
BATCH_MIX = {"created": 91, "failed": 9}
PLAN_SHARE = 0.67
REASONS = {
    "created": "Created in Less Annoying CRM",
    "matched": "Same email address and name",
    "already_matched": "Linked earlier",
    "skipped": "Inactive in QuickBooks",
    "needs_review": "Two contacts in Less Annoying CRM have this name",
    "failed": "QuickBooks rejected the email address",
}
_ONSETS = "b c d f g h j k l m n p r s t v w z br ch cl dr fr gr kr pl sh st th tr".split()
_VOWELS = "a e i o u ai ea ee ie oo ou y".split()
_CODAS = ["", "", "n", "r", "s", "l", "m", "t", "nd", "rt", "ck", "ll", "ng", "x"]

_FILL_SQL = """
INSERT INTO sync_synclogentry
    (workspace_id, run_id, outcome, system, record_id, record_name, record_email, target_id,
     reason, error_code, at)
SELECT %(workspace)s, %(run)s, o.outcome,
       CASE WHEN i %% 2 = 0 THEN 'qbo' ELSE 'lacrm' END,
       CASE WHEN i %% 2 = 0 THEN i::text ELSE '31' || lpad(i::text, 29, '0') END,
       p.first || ' ' || p.last,
       lower(p.first) || '.' || lower(p.last) || i || '@' || p.domain,
       CASE WHEN o.outcome IN ('created', 'matched', 'already_matched')
            THEN CASE WHEN i %% 2 = 0 THEN '31' || lpad((i + 1)::text, 29, '0')
                      ELSE (i + 1)::text END
            ELSE '' END,
       o.reason,
       CASE WHEN o.outcome = 'failed' THEN '6240' ELSE '' END,
       %(start)s::timestamptz + ((i - 1) / %(per_batch)s) * interval '500 milliseconds'
FROM generate_series(1::bigint, %(rows)s) AS i
CROSS JOIN LATERAL (
    SELECT (%(firsts)s::text[])[(1 + (i * 7919) %% %(n_firsts)s)::int] AS first,
           (%(lasts)s::text[])[(1 + (i * 104729) %% %(n_lasts)s)::int] AS last,
           (%(domains)s::text[])[(1 + (i * 31) %% %(n_domains)s)::int] AS domain
) AS p
CROSS JOIN LATERAL (
    SELECT CASE WHEN i <= %(plan_rows)s THEN (%(plan_mix)s::text[])[(1 + (i * 37) %% 100)::int]
                ELSE (%(batch_mix)s::text[])[(1 + (i * 37) %% 100)::int] END AS outcome
) AS m
CROSS JOIN LATERAL (
    SELECT m.outcome, (%(reasons)s::jsonb) ->> m.outcome AS reason
) AS o
"""


@dataclass
class LogData:
    """What the benchmark needs to build its requests: the run, the pools, the id range."""

    run: object
    rows: int
    first_id: int
    firsts: list[str]
    lasts: list[str]
    seconds: float

    def row_id(self, i: int) -> int:
        """The primary key of the ``i``-th row written (1-based)."""
        return self.first_id + i - 1


def _word(rng: random.Random, syllables: int) -> str:
    parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)]
    return ("".join(parts) + rng.choice(_CODAS)).capitalize()


def pool(rng: random.Random, size: int, low: int, high: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < size:
        seen.add(_word(rng, rng.randint(low, high)))
    return sorted(seen)


def _mix(shares: dict[str, int]) -> list[str]:
    return [outcome for outcome, share in shares.items() for _ in range(share)]


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sync_synclogentry' "
        "AND indexname <> 'sync_synclogentry_pkey'"
    )
    return cursor.fetchall()


def _insert(cursor, workspace, run, rows: int, start: dt.datetime, pools) -> None:
    firsts, lasts = pools
    cursor.execute(
        _FILL_SQL,
        {
            "workspace": workspace.pk,
            "run": run.pk,
            "start": start,
            "per_batch": PER_BATCH,
            "rows": rows,
            "firsts": firsts,
            "n_firsts": len(firsts),
            "lasts": lasts,
            "n_lasts": len(lasts),
            "domains": DOMAINS,
            "n_domains": len(DOMAINS),
            "plan_rows": int(rows * PLAN_SHARE),
            "plan_mix": _mix(PLAN_MIX),
            "batch_mix": _mix(BATCH_MIX),
            "reasons": json.dumps(REASONS),
        },
    )


def _set_counters(run) -> None:
    from django.db.models import Count

    from sync.models import SyncLogEntry, SyncRun

    by_outcome = dict(
        SyncLogEntry.objects.filter(run=run)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    created, failed = by_outcome.get("created", 0), by_outcome.get("failed", 0)
    SyncRun.objects.filter(pk=run.pk).update(
        total=created + failed,
        processed=created + failed,
        created_in_lacrm=created // 2,
        created_in_qbo=created - created // 2,
        matched=by_outcome.get("matched", 0),
        already_matched=by_outcome.get("already_matched", 0),
        needs_review=by_outcome.get("needs_review", 0),
        skipped=by_outcome.get("skipped", 0),
        failed=failed,
    )


def fill(workspace, rows: int) -> LogData:
    """A finished Sync New Contacts run of ``workspace`` with ``rows`` log entries."""
    from django.db import connection, transaction

    from sync.models import SyncRun

    rng = random.Random(SEED)
    pools = (pool(rng, 3000, 1, 2), pool(rng, 20000, 2, 3))
    started = time.perf_counter()
    start = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        run = SyncRun.objects.create(
            workspace=workspace,
            kind=SyncRun.Kind.CONTACTS,
            status=SyncRun.Status.COMPLETED,
            planned=True,
            started_at=start,
            finished_at=start + dt.timedelta(seconds=rows // PER_BATCH // 2),
        )
        # Foreign-key checks at the end of the INSERT, not at COMMIT: CREATE INDEX refuses a
        # table with checks still pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        indexes = _secondary_indexes(cursor)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        _insert(cursor, workspace, run, rows, start, pools)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SELECT min(id) FROM sync_synclogentry WHERE run_id = %s", [run.pk])
        first_id = cursor.fetchone()[0]
        _set_counters(run)
    # What autovacuum would do soon after: fresh statistics and visibility map for the planner.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE sync_synclogentry")
    run.refresh_from_db()
    return LogData(
        run=run,
        rows=rows,
        first_id=first_id,
        firsts=pools[0],
        lasts=pools[1],
        seconds=time.perf_counter() - started,
    )
