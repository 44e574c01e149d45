"""End-to-end Sync New Contacts against the sandbox over HTTP, with a real Celery worker.

``run()`` sets up the stage (``harness.Stage``: own database and Redis db, gunicorn, one worker
with concurrency 1), seeds ``sandbox_seed``-style data (``build_dataset``: 5,000 QBO customers
and 5,000 LACRM contacts, 40% overlap, the demo mix of invoices), connects the workspace for real,
starts the run with ``sync.runs.start_run`` and prints throughput, API calls per created contact
per system against the minimum the APIs allow, and our own work (worker CPU + database) per item.
With ``summaries=True`` it then runs Update Invoice Summaries on the same data
(``tests.bench.summaries``). Prints figures; asserts nothing.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace

from tests.bench.bounds import Limits, format_bound, ratio, run_bound
from tests.bench.e2e import (
    Probes,
    RunFigures,
    fmt_calls_table,
    fmt_shapes,
    measure_probes,
    start_and_watch,
)
from tests.bench.harness import Stage, install_sigterm_handler

logger = logging.getLogger(__name__)

LOOSE = 1_000_000  # "no limit" for the loosened pacing and sandbox knobs
# Intuit's documented limits  and our default LACRM pace.
QBO_REAL_BATCHES_PER_MINUTE = 40
QBO_REAL_REQUESTS_PER_MINUTE = 500
LACRM_DEFAULT_PER_MINUTE = 300


def pacing_env(real_limits: bool) -> dict[str, int]:
    if real_limits:
        return {}
    return {
        "QBO_REQUESTS_PER_MINUTE": LOOSE,
        "QBO_BATCHES_PER_MINUTE": LOOSE,
        "LACRM_REQUESTS_PER_MINUTE": LOOSE,
    }


def set_knobs(real_limits: bool, latency_ms: int = 0) -> None:
    """Sandbox knobs: Intuit's limits, or loosened like our pacing; latency as asked, no faults."""
    from integrations.sandbox.models import SandboxKnobs

    SandboxKnobs.objects.filter(pk=1).delete()
    defaults = {"latency_ms": latency_ms}
    if not real_limits:
        defaults.update(
            qbo_requests_per_minute=LOOSE,
            qbo_batches_per_minute=LOOSE,
            lacrm_requests_per_minute=LOOSE,
        )
    SandboxKnobs.objects.create(pk=1, **defaults)


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "  n/a"


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def print_time_split(figures: RunFigures, probes: Probes, done: int = 0) -> None:
    """Where the wall time went, honestly with several calls in flight at once.

    Call-seconds and thread-seconds overlap each other and the wall (a batch has calls in
    flight on several threads, and both sides at once), so they are not parts of the wall and
    are never subtracted from it. The wall itself splits only by one measure: whether at least
    one API call was in flight (the union of the calls' intervals in the sandbox's log). Our own
    work is measured directly: the worker's CPU (its process tree, from /proc) plus its
    database time, per item written. ``done`` is the number of contacts (or notes) written.
    """
    wall = figures.wall
    covered = min(figures.in_flight_seconds, wall)
    idle = wall - covered
    lacrm_calls, qbo_calls = figures.calls_of("lacrm"), figures.calls_of("qbo")
    pacing_trips = lacrm_calls * probes.lacrm_pacing + qbo_calls * probes.qbo_pacing
    handoffs = max(wall - figures.task_seconds, 0.0)
    print(f"  time (run started → finished, {wall:.1f}s wall):")
    print(
        f"    API calls: {figures.api_seconds:.1f} call-seconds (sandbox duration_ms) = "
        f"{figures.api_seconds / wall if wall else 0:.2f} calls in flight on average"
    )
    print(f"    wall with at least one call in flight  {covered:7.1f}s  {_pct(covered, wall)}")
    print(
        f"    wall with no call in flight            {idle:7.1f}s  {_pct(idle, wall)}"
        "   (waiting for a rate-limit window, our own work, hand-offs)"
    )
    print("    thread-seconds beside the calls (they overlap; not parts of the wall):")
    parts = [
        ("waiting in our pacing", figures.paced_seconds, f"{figures.paced_count} waits logged"),
        ("retry back-off sleeps", figures.retry_seconds, f"{figures.retry_count} retries logged"),
        (
            "HTTP transport (estimated)",
            probes.transport * figures.total_calls,
            f"{probes.transport * 1000:.1f} ms/call × {figures.total_calls} calls",
        ),
        (
            "pacing's Redis round trips (estimated)",
            pacing_trips,
            f"{probes.lacrm_pacing * 1000:.2f} ms × {lacrm_calls} LACRM + "
            f"{probes.qbo_pacing * 1000:.2f} ms × {qbo_calls} QBO calls",
        ),
        (
            "worker DB queries",
            figures.db_seconds,
            f"{figures.db_queries} queries"
            + (f", {figures.db_queries / done:.1f} per item written" if done else ""),
        ),
        (
            "worker COMMITs of transaction.atomic",
            figures.commit_seconds,
            f"{figures.commits} commits"
            + (f", {figures.commits / done:.1f} per item written" if done else ""),
        ),
        ("Celery hand-offs", handoffs, f"wall − time inside {figures.tasks} tasks"),
    ]
    for label, seconds, note in parts:
        print(f"      {label:40}{seconds:7.1f}s  ({note})")
    own = figures.worker_cpu + figures.db_seconds
    print(
        f"    our own work: worker CPU {figures.worker_cpu:.1f}s + its database time "
        f"{figures.db_seconds:.1f}s = {own:.1f}s = {_pct(own, wall).strip()} of the wall "
        f"(target < 20%: {_verdict(own < 0.2 * wall)})"
    )
    if done and wall:
        print(
            f"    per item written: {1000 * own / done:.1f} ms of our own work (target ≤ 3 ms), "
            f"{1000 * figures.api_seconds / done:.1f} call-ms in API calls"
        )
    if figures.total_calls and figures.api_seconds / figures.total_calls < 0.05:
        shares = ", ".join(
            f"{ms} ms/call → {_pct(own, own + figures.total_calls * ms / 1000).strip()}"
            for ms in (100, 300)
        )
        print(
            f"    projection (not measured): the sandbox answered in "
            f"{1000 * figures.api_seconds / figures.total_calls:.1f} ms/call; if the real APIs "
            f"take {shares} of the run would be our own work ({own:.1f}s; measure it with "
            "--latency-ms)"
        )
    if figures.phases:
        phases = ", ".join(f"{k} {v:.1f}s" for k, v in figures.phases.items())
        print(f"    phases: {phases} (queued → started {figures.queued:.1f}s, not in wall)")
    if figures.shapes:
        print("  the worker's database statements (most frequent first):")
        for line in fmt_shapes(figures, done):
            print(line)


def bench_limits(real_limits: bool, latency_ms: int) -> Limits:
    """The limits the stage's worker runs under: the settings in force, or loosened."""
    limits = Limits.from_settings(latency_ms)
    if real_limits:
        return limits
    return replace(limits, qbo_requests=LOOSE, qbo_batches=LOOSE, lacrm_requests=LOOSE)


def report(
    bench, figures: RunFigures, probes: Probes, real_limits: bool, latency_ms: int = 0
) -> None:
    run = figures.run
    created = run.created_in_qbo + run.created_in_lacrm
    print()
    print(
        f"  run {run.status}: matched {run.matched}, created in QBO {run.created_in_qbo}, "
        f"created in LACRM {run.created_in_lacrm}, skipped {run.skipped}, "
        f"needs review {run.needs_review}, failed {run.failed}"
    )
    print(
        f"  throughput: {created} contacts created in {figures.wall:.1f}s = "
        f"{created * 60 / figures.wall:.0f} contacts/min"
        + (
            f" ({created * 60 / figures.phases['batches']:.0f}/min during the batches)"
            if figures.phases.get("batches")
            else ""
        )
    )
    print("  API calls during the run, by operation (from SandboxCall):")
    for line in fmt_calls_table(figures):
        print(line)

    qbo_calls, lacrm_calls = figures.calls_of("qbo"), figures.calls_of("lacrm")
    limits = bench_limits(real_limits, latency_ms)
    bound = run_bound(
        bench.qbo_customers, bench.lacrm_records, run.created_in_qbo, run.created_in_lacrm, limits
    )
    tag = "" if real_limits else " [LOOSE LIMITS]"
    print(f"  API calls vs the minimum (cost model, tests/bench/bounds.py; target ≤ 1.10×){tag}:")
    for side, calls, made in (
        (bound.qbo, qbo_calls, run.created_in_qbo),
        (bound.lacrm, lacrm_calls, run.created_in_lacrm),
    ):
        per = f"{calls / made:.3f}" if made else "n/a"
        print(
            f"    {side.name:6} measured {calls:5d}  minimum {side.calls:5d} ({side.rule})  "
            f"calls/minimum {ratio(calls, side.calls)};  per contact created: {per} "
            f"(minimum {side.calls / made if made else 0:.3f})"
        )
    print(f"  wall time vs the bound ({limits.describe()}){tag}:")
    for line in format_bound(bound, figures.wall):
        print(line + tag)
    other = figures.total_calls - qbo_calls - lacrm_calls
    if other:
        print(f"    other calls (OAuth) during the run: {other}")
    print_time_split(figures, probes, created)


def run(
    customers: int = 5000,
    contacts: int = 5000,
    overlap: float = 0.4,
    *,
    summaries: bool = False,
    real_limits: bool = False,
    latency_ms: int = 0,
) -> None:
    """Print the end-to-end sync figures (and the summaries' figures when asked)."""
    install_sigterm_handler()
    print(
        f"End-to-end Sync New Contacts: {customers} QBO customers × {contacts} LACRM contacts, "
        f"{overlap:.0%} overlap, sandbox over HTTP, 1 Celery worker (concurrency 1)"
    )
    if real_limits:
        effective = {
            name: os.environ.get(name) or default
            for name, default in (
                ("QBO_REQUESTS_PER_MINUTE", QBO_REAL_REQUESTS_PER_MINUTE),
                ("QBO_BATCHES_PER_MINUTE", QBO_REAL_BATCHES_PER_MINUTE),
                ("LACRM_REQUESTS_PER_MINUTE", LACRM_DEFAULT_PER_MINUTE),
            )
        }
        print(
            "  limits: REAL (sandbox knobs at Intuit's values); our pacing: "
            + ", ".join(f"{k}={v}" for k, v in effective.items())
        )
    else:
        print(
            f"  NOTE: rate limits LOOSENED for this measurement: our pacing "
            f"(QBO_REQUESTS_PER_MINUTE, QBO_BATCHES_PER_MINUTE, LACRM_REQUESTS_PER_MINUTE = "
            f"{LOOSE:,}) and the sandbox knobs alike; QBO_MAX_IN_FLIGHT stays 10. Call counts "
            "do not depend on this; the times do: every bound line below says LOOSE LIMITS."
        )
    if latency_ms:
        print(f"  sandbox latency knob: {latency_ms} ms added to every call (counted as API time)")
    started = time.perf_counter()
    try:
        _run_on_stage(customers, contacts, overlap, summaries, real_limits, latency_ms)
    except (KeyboardInterrupt, SystemExit):
        print("\n  interrupted: the web server and the worker were stopped")
        raise
    print(f"  (end-to-end part took {time.perf_counter() - started:.0f}s in all)")


def _run_on_stage(
    customers: int,
    contacts: int,
    overlap: float,
    summaries: bool,
    real_limits: bool,
    latency_ms: int,
) -> None:
    with Stage(pacing=pacing_env(real_limits)) as stage:
        stage.prepare()
        set_knobs(real_limits, latency_ms)
        stage.start_web()
        stage.start_worker()
        from django_scopes import scopes_disabled

        # The benchmark looks at its one workspace from outside, like the tests do.
        with scopes_disabled():
            _measure(stage, customers, contacts, overlap, summaries, real_limits, latency_ms)


def _measure(
    stage: Stage,
    customers: int,
    contacts: int,
    overlap: float,
    summaries: bool,
    real_limits: bool,
    latency_ms: int,
) -> None:
    from tests.bench.workspace import prepare_workspace

    bench = prepare_workspace(stage.site_url, customers, contacts, overlap)
    print(
        f"  seeded: {bench.qbo_customers} QBO customers ({bench.invoices} invoices), "
        f"{bench.lacrm_records} LACRM records, "
        f"{bench.overlapping} overlapping [{bench.seed_seconds:.1f}s]; both connected"
    )
    from sync.models import SyncRun

    figures = start_and_watch(stage, bench, SyncRun.Kind.CONTACTS)
    probes = measure_probes(stage, bench_api_key(bench))
    report(bench, figures, probes, real_limits, latency_ms)
    if summaries:
        from tests.bench import summaries as summaries_bench

        summaries_bench.measure(stage, bench, probes, real_limits)


def bench_api_key(bench) -> str:
    from integrations.lacrm import connection as lacrm_connection

    return lacrm_connection.lacrm_connection(bench.workspace).api_key
