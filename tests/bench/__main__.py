"""``make bench``: LedgerLink's performance figures, printed (nothing is asserted).

Usage::

    make bench                                  # everything (about 6 minutes on 2 cores)
    .venv/bin/python -m tests.bench             # the same, after `manage.py migrate`
    .venv/bin/python -m tests.bench matching    # one part: matching|clients|sync|summaries|logs
    .venv/bin/python -m tests.bench sync --customers 20000 --contacts 20000 --overlap 0.3

Parts:

- ``matching``: ``plan_matches`` on 100,000 QBO × 100,000 LACRM synthetic records with 40%
  overlap: time and peak memory (``tests/bench/matching.py``; size with ``--match-size``). Then
  its quality on labelled hard cases at 10,000 and 100,000 records per side
  (``tests/bench/matching_quality.py``; ``--quality-sizes 10000,100000``): precision, recall,
  true pairs sent to review and why, silent misses and wrong links per variant, beside the
  issue's targets, with time and peak memory.
- ``clients``: HTTP requests per 1,000 customers read and created by the two API clients
  (``tests/bench/clients.py``; ``--clients-read``, ``--clients-create``).
- ``sync``: Sync New Contacts end to end — a dedicated database (``<DATABASE_URL name>_bench``,
  dropped and re-created; or ``BENCH_DATABASE_URL``) and Redis db (``BENCH_REDIS_URL``, default
  db 15 on ``REDIS_URL``'s server, flushed), gunicorn serving the sandbox over HTTP, one real Celery
  worker, ``sandbox_seed``-style data (default 2,000 + 2,000, 40% overlap), both connections made
  for real. Prints contacts created per minute, API calls per created contact per system against
  the minimum the APIs allow (``tests/bench/bounds.py``), the wall time against the rate-limit
  bound with both sides in parallel, and our own work (worker CPU + database) per item. By
  default the real limits (the settings in force: QBO 500 req/min, 40 batch calls/min; LACRM
  pacing 300/min) and 150 ms sandbox latency; ``--loose-limits`` raises them for a quick run and
  every figure's line then says LOOSE.
- ``many``: ``--tenants`` (100) workspaces × ``--tenant-size`` (200) + 200 started at once on
  one worker process (``--worker-pool``, prefork; ``--worker-concurrency``, 4): aggregate
  creates/min against the sum of the tenants' limits and the sandbox's own measured capacity
  (``--probe-threads`` clients), slowest/fastest tenant progress, CPU by process
  (``tests/bench/many.py``). The sandbox QuickBooks sends no webhooks there unless
  ``--qbo-webhooks`` (``BENCH_QBO_WEBHOOKS=1``): see ``many.py`` for why.
- ``summaries``: the sync above, then Update Invoice Summaries on the same data: API calls by
  operation against ⌈open invoices/1000⌉ QBO queries + one LACRM call per note.

- ``continuous``: QuickBooks reads per tenant per day for 1,000 changes/day, continuous sync
  (webhooks + CDC catch-ups, counted over ``--changes`` real changes) vs hourly full pulls, and
  the tenants a 500,000-read month carries (``tests/bench/continuous.py``).
- ``logs``: the run page over 1,000,000 runtime-log rows in one run (its own database,
  ``<DATABASE_URL name>_bench_logs``, dropped afterwards; filled with one INSERT … SELECT):
  p50/p95 of the first page, outcome filters, name/email/id searches, deep and oldest pages
  through Django's test client against a 100 ms target, the indexes each used (EXPLAIN
  ANALYZE), and the CSV export of every row: time and process memory
  (``tests/bench/logs.py``; ``--logs-rows``, ``--logs-requests``).
- ``preview``: Preview Sync New Contacts on 20,000 + 20,000 synthetic records in a database of
  its own: planning, the new records' fields, decisions and storing, then the apply side's
  re-plan against the stored plan (``tests/bench/preview.py``; ``--preview-size``).

Sizes also come from the environment (``make bench BENCH_CUSTOMERS=20000``): ``BENCH_CUSTOMERS``,
``BENCH_CONTACTS``, ``BENCH_OVERLAP``, ``BENCH_MATCH_SIZE``, ``BENCH_QUALITY_SIZES``,
``BENCH_CLIENTS_READ``, ``BENCH_CLIENTS_CREATE``, ``BENCH_LOGS_ROWS``, ``BENCH_LOGS_REQUESTS``,
``BENCH_LATENCY_MS`` (``--latency-ms``: sandbox latency per call in the sync parts, default 150),
``BENCH_LOOSE_LIMITS=1`` (``--loose-limits``),
``BENCH_RUN_TIMEOUT`` (seconds a run may take, default 1800). Every part runs in its own
process; the web server and the worker are stopped at the end, also on Ctrl-C or an error.
Their logs stay in the printed temp folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time

from tests.bench.harness import install_sigterm_handler

logger = logging.getLogger(__name__)

PARTS = ("matching", "clients", "sync", "many", "summaries", "logs", "preview", "continuous")


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench", description=__doc__.split("\n")[0]
    )
    # No ``choices``: with nargs="*" argparse would check the empty default against them.
    parser.add_argument(
        "parts",
        nargs="*",
        metavar="PART",
        help="matching | clients | sync | many | summaries | logs | preview | continuous (all)",
    )
    parser.add_argument("--customers", type=int, default=_env_int("BENCH_CUSTOMERS", 2000))
    parser.add_argument("--contacts", type=int, default=_env_int("BENCH_CONTACTS", 2000))
    parser.add_argument("--overlap", type=float, default=_env_float("BENCH_OVERLAP", 0.4))
    parser.add_argument(
        "--match-size",
        type=int,
        default=_env_int("BENCH_MATCH_SIZE", 100_000),
        help="records per side for the matching part",
    )
    parser.add_argument(
        "--quality-sizes",
        default=os.environ.get("BENCH_QUALITY_SIZES") or "10000,100000",
        help="records per side for the labelled matching-quality runs, comma-separated",
    )
    parser.add_argument("--clients-read", type=int, default=_env_int("BENCH_CLIENTS_READ", 5000))
    parser.add_argument(
        "--clients-create", type=int, default=_env_int("BENCH_CLIENTS_CREATE", 1000)
    )
    parser.add_argument(
        "--preview-size",
        type=int,
        default=_env_int("BENCH_PREVIEW_SIZE", 20_000),
        help="records per side for the preview part",
    )
    parser.add_argument("--logs-rows", type=int, default=_env_int("BENCH_LOGS_ROWS", 1_000_000))
    parser.add_argument(
        "--logs-requests",
        type=int,
        default=_env_int("BENCH_LOGS_REQUESTS", 100),
        help="requests per kind of page in the logs part",
    )
    parser.add_argument(
        "--changes",
        type=int,
        default=_env_int("BENCH_CHANGES", 200),
        help="changes applied one by one in the continuous part",
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=_env_int("BENCH_LATENCY_MS", 150),
        help="sandbox latency per call in the sync parts (default 150 ms, a realistic API)",
    )
    parser.add_argument(
        "--tenants",
        type=int,
        default=_env_int("BENCH_TENANTS", 100),
        help="tenants started at once in the many part (each --tenant-size + --tenant-size)",
    )
    parser.add_argument("--tenant-size", type=int, default=_env_int("BENCH_TENANT_SIZE", 200))
    parser.add_argument(
        "--worker-concurrency",
        type=int,
        default=_env_int("BENCH_WORKER_CONCURRENCY", 4),
        help="the many part's one worker process: --concurrency of its pool",
    )
    parser.add_argument(
        "--worker-pool",
        choices=("threads", "prefork"),
        default=os.environ.get("BENCH_WORKER_POOL") or "prefork",
        help="the many part's worker pool: threads (one process) or prefork (a child per slot)",
    )
    parser.add_argument("--probe-threads", type=int, default=_env_int("BENCH_PROBE_THREADS", 64))
    parser.add_argument(
        "--qbo-webhooks",
        action="store_true",
        default=os.environ.get("BENCH_QBO_WEBHOOKS", "") not in ("", "0"),
        help="the many part: the sandbox QuickBooks sends its one-per-change webhooks",
    )
    parser.add_argument(
        "--loose-limits",
        action="store_true",
        default=os.environ.get("BENCH_LOOSE_LIMITS", "") not in ("", "0"),
        help="raise our pacing and the sandbox's limits for a quick run (figures say so)",
    )
    parser.add_argument(
        "--real-limits",
        action="store_true",
        help="the default; kept so older command lines still work",
    )
    args = parser.parse_args(argv)
    args.real_limits = not args.loose_limits
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    return args


def _flags(args: argparse.Namespace) -> list[str]:
    flags = [
        f"--customers={args.customers}",
        f"--contacts={args.contacts}",
        f"--overlap={args.overlap}",
        f"--match-size={args.match_size}",
        f"--quality-sizes={args.quality_sizes}",
        f"--clients-read={args.clients_read}",
        f"--clients-create={args.clients_create}",
        f"--logs-rows={args.logs_rows}",
        f"--preview-size={args.preview_size}",
        f"--logs-requests={args.logs_requests}",
        f"--latency-ms={args.latency_ms}",
        f"--changes={args.changes}",
        f"--tenants={args.tenants}",
        f"--tenant-size={args.tenant_size}",
        f"--worker-concurrency={args.worker_concurrency}",
        f"--worker-pool={args.worker_pool}",
        f"--probe-threads={args.probe_threads}",
        *(["--qbo-webhooks"] if args.qbo_webhooks else []),
    ]
    return flags if args.real_limits else [*flags, "--loose-limits"]


def run_part(part: str, args: argparse.Namespace) -> None:
    """Run one part (or "sync summaries" together) in this process."""
    if part == "matching":
        from tests.bench import matching

        print(
            f"Matching: {args.match_size:,} QBO × {args.match_size:,} LACRM records, "
            f"{args.overlap:.0%} overlap"
        )
        matching.run(args.match_size, args.match_size, args.overlap)
        from tests.bench import matching_quality

        for size in (int(n) for n in args.quality_sizes.split(",") if n.strip()):
            print()
            matching_quality.run(size, size)
    elif part == "clients":
        from tests.bench import clients

        print(
            f"API clients: {args.clients_read} read, {args.clients_create} created per system "
            "(live server thread; rate limits loosened, see clients.py)"
        )
        clients.run(args.clients_read, args.clients_create)
    elif part == "logs":
        from tests.bench import logs

        logs.run(args.logs_rows, args.logs_requests)
    elif part == "preview":
        from tests.bench import preview

        preview.run(args.preview_size, args.preview_size, args.overlap)
    elif part == "many":
        from tests.bench import many

        many.run(
            args.tenants,
            args.tenant_size,
            args.tenant_size,
            args.overlap,
            real_limits=args.real_limits,
            latency_ms=args.latency_ms,
            concurrency=args.worker_concurrency,
            pool=args.worker_pool,
            probe_threads=args.probe_threads,
            qbo_webhooks=args.qbo_webhooks,
        )
    elif part == "continuous":
        from tests.bench import continuous

        continuous.run(args.customers, args.contacts, args.overlap, args.changes)
    else:
        from tests.bench import sync_e2e

        sync_e2e.run(
            args.customers,
            args.contacts,
            args.overlap,
            summaries=part == "summaries",
            real_limits=args.real_limits,
            latency_ms=args.latency_ms,
        )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    install_sigterm_handler()
    # Line by line even into a pipe or file, so figures and progress appear as they come.
    sys.stdout.reconfigure(line_buffering=True)
    parts = list(dict.fromkeys(args.parts)) or list(PARTS)
    # The summaries part runs the sync first on the same stage, so "sync summaries" is one job.
    if "summaries" in parts and "sync" in parts:
        parts.remove("sync")
    if len(parts) == 1:
        try:
            run_part(parts[0], args)
        except KeyboardInterrupt:
            print("Interrupted.")
            return 130
        return 0
    started = time.perf_counter()
    failed: list[str] = []
    for part in parts:
        print(f"\n===== {part} " + "=" * (60 - len(part)), flush=True)
        # Each part in a fresh process: Django settings, databases and memory stay separate.
        child = subprocess.Popen([sys.executable, "-m", "tests.bench", part, *_flags(args)])
        try:
            code = child.wait()
        except KeyboardInterrupt:
            # The child got the Ctrl-C too and stops its own subprocesses; wait for it.
            child.wait()
            print("\nInterrupted.")
            return 130
        finally:
            if child.poll() is None:  # We were terminated: pass it on, so the child cleans up.
                child.terminate()
                child.wait()
        if code:
            failed.append(f"{part} (exit {code})")
    print(
        f"\n===== bench done in {time.perf_counter() - started:.0f}s"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
