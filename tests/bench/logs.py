"""The run page's runtime log and its CSV export over a million log rows.

``run()`` re-creates a database of its own (``<DATABASE_URL name>_bench_logs``, or
``BENCH_LOGS_DATABASE_URL``), migrates it, fills one run of a new workspace with ``rows`` log
entries in one INSERT … SELECT (``tests.bench.logdata``), then requests each kind of page many
times through Django's test client, signed in as the workspace's owner: the whole view with
middleware, sessions, scoping and templates, but no network. It prints p50 and p95 per kind
next to the 100 ms target (as p95/target), the indexes each kind's queries used (EXPLAIN
ANALYZE of one request's queries), and the time and memory of a CSV export of every row.
The database is dropped at the end. Prints figures; asserts nothing.
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from tests.bench.harness import DEFAULT_DATABASE_URL, ROOT, recreate_database

logger = logging.getLogger(__name__)

TARGET_MS = 100.0
CSV_TARGET_S = 30.0
SEED = 7


def database_url() -> str:
    explicit = os.environ.get("BENCH_LOGS_DATABASE_URL")
    if explicit:
        return explicit
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    name = parts.path.lstrip("/") or "ledgerlink"
    return urlunsplit(parts._replace(path=f"/{name}_bench_logs"))


def drop_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    admin = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            name = sql.Identifier(parts.path.lstrip("/"))
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    finally:
        admin.close()


def _prepare(url: str) -> None:
    recreate_database(url)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
    import django

    django.setup()
    logging.disable(logging.INFO)


def _token(data, depth: int) -> str:
    """The link token of the entry ``depth`` entries from the newest (1-based)."""
    from sync.logpage import Cursor
    from sync.models import SyncLogEntry

    entry = SyncLogEntry.objects.get(pk=data.row_id(data.rows - depth + 1))
    return Cursor.of(entry).token()


def scenarios(data, requests: int) -> list[tuple[str, list[str]]]:
    """Each kind of page as a list of query strings (cycled through for ``requests`` calls)."""
    rng = random.Random(SEED)
    n = data.rows

    def pick(values, k=requests):
        return [rng.choice(values) for _ in range(k)]

    depths = [rng.randint(n // 10, n - n // 10) for _ in range(min(requests, 50))]
    deep = [f"?older={_token(data, d)}&start={d + 1}" for d in depths]
    deep_succeeded = [f"?outcome=succeeded&older={_token(data, d)}" for d in depths[:20]]
    ids = [str(2 * rng.randint(1, n // 2)) for _ in range(requests // 2)]
    ids += [f"31{2 * rng.randint(1, n // 2) - 1:029d}" for _ in range(requests - len(ids))]
    prefixes = sorted({name[:3] for name in data.lasts})
    return [
        ("first page", ["?"]),
        ("filter: failed (one outcome, 3%)", ["?outcome=failed"]),
        ("filter: succeeded (6 outcomes)", ["?outcome=succeeded"]),
        ("filter: already matched", ["?outcome=already_matched"]),
        ("search: last name (~50 hits)", [f"?q={last}" for last in pick(data.lasts)]),
        ("search: first name (~330 hits)", [f"?q={first}" for first in pick(data.firsts)]),
        ("search: 3 letters (100-20,000 hits)", [f"?q={p}" for p in pick(prefixes)]),
        ("search: 2 letters (word starts)", [f"?q={p[:2]}" for p in pick(prefixes)]),
        ("search + filter (failed)", [f"?outcome=failed&q={x}" for x in pick(data.firsts)]),
        ("id search (record or counterpart)", [f"?q={i}" for i in ids]),
        ("deep page (10-90% deep)", deep),
        ("deep page, filter succeeded", deep_succeeded),
        ("oldest page", ["?oldest=1"]),
    ]


def _time_requests(client, url: str, queries: list[str], requests: int) -> list[float]:
    for query in queries[:3]:  # warm-up: plans cached, pages in the buffer cache
        client.get(url + query)
    times = []
    for k in range(requests):
        started = time.perf_counter()
        response = client.get(url + queries[k % len(queries)])
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{queries[k % len(queries)]} answered {response.status_code}")
    return times


def _plan_nodes(plan: dict) -> list[str]:
    """The table scans of one EXPLAIN (FORMAT JSON) plan, as "Node Type index" strings."""
    found = []
    if plan.get("Relation Name") == "sync_synclogentry" or "Index Name" in plan:
        backward = " Backward" if plan.get("Scan Direction") == "Backward" else ""
        found.append(f"{plan['Node Type']}{backward} {plan.get('Index Name', '')}".strip())
    for child in plan.get("Plans", []):
        found.extend(_plan_nodes(child))
    return found


def _label(sql: str) -> str:
    from sync.logsearch import SEARCH_COUNT_CAP

    if sql.startswith("SELECT COUNT("):
        return "count"
    if sql.endswith(f"LIMIT {SEARCH_COUNT_CAP + 1}"):
        return "matches"
    if '"sync_synclogentry"."id" IN (' in sql:
        return "page by id"
    return "page"


def explain(client, url: str, query: str) -> list[str]:
    """What each log-table query of one request did (EXPLAIN ANALYZE of the captured SQL).

    The planner switches the page sets around some queries (``sync.logsearch``) are replayed
    in the same order, so each plan is the one the page got.
    """
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url + query)
    notes = []
    with transaction.atomic(), connection.cursor() as cursor:
        for q in captured.captured_queries:
            sql = q["sql"]
            if sql.startswith(("SET LOCAL", "RESET")):
                cursor.execute(sql)
            if "sync_synclogentry" not in sql:
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            result = cursor.fetchone()[0][0]
            nodes = sorted(set(_plan_nodes(result["Plan"])))
            notes.append(f"{_label(sql)} {result['Execution Time']:.1f} ms: {', '.join(nodes)}")
    return notes


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_csv(client, url: str) -> dict:
    """Stream the whole export, sampling this process's resident memory as it goes."""
    import gc

    gc.collect()
    before = peak = _rss_mb()
    started = time.perf_counter()
    response = client.get(url)
    size = lines = 0
    for blocks, block in enumerate(response.streaming_content, 1):
        size += len(block)
        lines += block.count(b"\n")
        if blocks % 200 == 0:
            peak = max(peak, _rss_mb())
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "mb": size / 2**20,
        "lines": lines,
        "rss_before": before,
        "rss_peak": max(peak, _rss_mb()),
    }


def _print_table(rows: list[tuple[str, int, float, float]]) -> None:
    print(f"  {'page':<36} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {'p95/target':>10}")
    for name, n, p50, p95 in rows:
        print(
            f"  {name:<36} {n:>4} {p50:>8.1f} {p95:>8.1f} {TARGET_MS:>7.0f} "
            f"{p95 / TARGET_MS:>9.2f}×"
        )


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def run(rows: int = 1_000_000, requests: int = 100, keep: bool = False) -> None:
    url = database_url()
    print(f"Runtime logs: {rows:,} rows in one run, {requests} requests per kind of page")
    _prepare(url)
    try:
        _measure(rows, requests)
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            drop_database(url)


def _measure(rows: int, requests: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django_scopes import scopes_disabled

    from tests.bench.logdata import fill
    from tests.factories import UserFactory

    with scopes_disabled():
        user = UserFactory(email="bench-logs@example.com", workspace="Bench logs")
        data = fill(user.workspaces.get(), rows)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('sync_synclogentry'))")
            size = cursor.fetchone()[0]
        print(f"  filled {data.rows:,} rows in {data.seconds:.1f}s (table with indexes: {size})")
        kinds = scenarios(data, requests)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    page_url = reverse("sync:run_detail", kwargs={"run_id": data.run.pk})
    table, notes = [], []
    for name, queries in kinds:
        times = _time_requests(client, page_url, queries, requests)
        table.append((name, len(times), statistics.median(times), _p95(times)))
        notes.append((name, explain(client, page_url, queries[0])))
    print("\n  Page times (test client, server side, includes rendering):")
    _print_table(table)
    worst = max(p95 for *_, p95 in table)
    print(f"  worst p95: {worst:.1f} ms = {worst / TARGET_MS:.2f}× the {TARGET_MS:.0f} ms target")
    print("\n  What the queries did (EXPLAIN ANALYZE of one request per kind):")
    for name, lines in notes:
        print(f"  {name}:")
        for line in lines:
            print(f"      {line}")
    figures = measure_csv(client, reverse("sync:run_logs_csv", kwargs={"run_id": data.run.pk}))
    print(
        f"\n  CSV export of all {figures['lines'] - 1:,} entries: {figures['seconds']:.1f}s "
        f"({figures['seconds'] / CSV_TARGET_S:.2f}× the {CSV_TARGET_S:.0f} s target), "
        f"{figures['mb']:.0f} MB streamed; process memory {figures['rss_before']:.0f} MB "
        f"before, {figures['rss_peak']:.0f} MB at peak "
        f"(+{figures['rss_peak'] - figures['rss_before']:.0f} MB)"
    )


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
