"""Start a run the way the dashboard does, watch it, and read what it cost from the call log.

Every figure comes from rows the product and the sandbox write anyway: the ``SyncRun`` (status,
counters, ``started_at``/``finished_at``), and ``SandboxCall`` (one row per request the sandbox
answered, with its server-side duration, latency knob included).
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from tests.bench.harness import Stage, tree_cpu, worker_waits

logger = logging.getLogger(__name__)

WRITE_OPERATIONS = ("batch", "CreateContact", "CreateNote")


@dataclass
class CallStats:
    """Calls of one (system, operation) during a run."""

    calls: int = 0
    items: int = 0
    seconds: float = 0.0
    errors: int = 0


@dataclass
class RunFigures:
    """One finished run and the sandbox calls made while it ran."""

    run: object  # sync.models.SyncRun
    wall: float  # started_at → finished_at, seconds
    queued: float  # created_at → started_at, seconds
    calls: dict[tuple[str, str], CallStats]
    api_seconds: float
    paced_seconds: float
    paced_count: int
    retry_seconds: float
    retry_count: int
    phases: dict[str, float] = field(default_factory=dict)
    # From the worker's per-task lines (tests/bench/instrument.py).
    tasks: int = 0
    task_seconds: float = 0.0
    db_queries: int = 0
    db_seconds: float = 0.0
    shapes: dict[str, list] = field(default_factory=dict)
    commits: int = 0
    commit_seconds: float = 0.0
    worker_cpu: float = 0.0  # CPU seconds of the worker's process tree over the run
    in_flight_seconds: float = 0.0  # wall with at least one API call in flight

    def calls_of(self, system: str, *operations: str) -> int:
        return sum(
            s.calls
            for (sys_, op), s in self.calls.items()
            if sys_ == system and (not operations or op in operations)
        )

    @property
    def total_calls(self) -> int:
        return sum(s.calls for s in self.calls.values())


def _call_stats(run) -> tuple[dict[tuple[str, str], CallStats], float, list]:
    from integrations.sandbox.models import SandboxCall

    rows = list(
        SandboxCall.objects.filter(at__gte=run.started_at, at__lte=run.finished_at)
        .order_by("at", "pk")
        .values_list("system", "operation", "status", "items", "duration_ms", "at")
    )
    stats: dict[tuple[str, str], CallStats] = defaultdict(CallStats)
    for system, operation, status, items, duration_ms, _ in rows:
        entry = stats[(system, operation)]
        entry.calls += 1
        entry.items += items
        entry.seconds += duration_ms / 1000
        entry.errors += status >= 400
    api_seconds = sum(s.seconds for s in stats.values())
    return dict(stats), api_seconds, rows


def _phases(run, rows: list) -> dict[str, float]:
    """Pull (reads), plan (matching, writing the plan) and batches (writes), from the call log.

    The pull ends with the last call before the first write; a call's row is written when the
    call ends, so a call started ``duration`` before its ``at``.
    """
    first = next((i for i, r in enumerate(rows) if r[1] in WRITE_OPERATIONS), None)
    if not first:
        return {}
    last_read = rows[first - 1][5].timestamp()
    first_write = rows[first][5].timestamp() - rows[first][4] / 1000
    return {
        "pull": last_read - run.started_at.timestamp(),
        "plan": first_write - last_read,
        "batches": run.finished_at.timestamp() - first_write,
    }


def start_and_watch(
    stage: Stage, bench, kind: str, *, timeout: float | None = None, every: float = 10.0
) -> RunFigures:
    """Queue a run of ``kind`` for the bench workspace, print progress until it ends.

    A run still going after ``timeout`` seconds (``BENCH_RUN_TIMEOUT``, default 1800) is asked
    to stop and the benchmark fails.
    """
    timeout = timeout or float(os.environ.get("BENCH_RUN_TIMEOUT") or 1800)
    from sync.models import SyncRun
    from sync.runs import request_stop, start_run

    worker = stage.child("worker")
    log_offset = len(worker.log_text())
    cpu_before = tree_cpu(worker.proc.pid)
    run, created = start_run(bench.workspace, kind, user=bench.user)
    if not created:
        raise RuntimeError(f"Another run is active: {run.pk}")
    began = time.monotonic()
    last_print = 0.0
    while True:
        time.sleep(0.5)
        run.refresh_from_db()
        elapsed = time.monotonic() - began
        if not run.is_active:
            break
        if not worker.alive():
            raise RuntimeError(f"The celery worker died; see {worker.log_path}")
        if elapsed > timeout:
            request_stop(run)
            raise RuntimeError(f"The {kind} run did not finish in {timeout:.0f}s; stop requested.")
        if elapsed - last_print >= every:
            last_print = elapsed
            print(
                f"    … {elapsed:5.0f}s {run.status:9} processed {run.processed}/{run.total}"
                f"  created QBO {run.created_in_qbo} LACRM {run.created_in_lacrm}"
                f"  notes {run.notes_added}  failed {run.failed}",
                flush=True,
            )
    if run.status != SyncRun.Status.COMPLETED:
        print(f"    ! the run ended {run.status}: {run.failure_reason or '(no reason given)'}")
    if run.started_at is None or run.finished_at is None:
        raise RuntimeError(f"The {kind} run never started; see {worker.log_path}")
    worker_cpu = tree_cpu(worker.proc.pid) - cpu_before
    calls, api_seconds, rows = _call_stats(run)
    paced, paced_n, retry, retry_n = worker_waits(worker.log_text()[log_offset:])
    tasks = stage.task_stats(str(run.pk))
    return RunFigures(
        run=run,
        wall=(run.finished_at - run.started_at).total_seconds(),
        queued=(run.started_at - run.created_at).total_seconds(),
        calls=calls,
        api_seconds=api_seconds,
        paced_seconds=paced,
        paced_count=paced_n,
        retry_seconds=retry,
        retry_count=retry_n,
        phases=_phases(run, rows),
        tasks=len(tasks),
        task_seconds=sum(t["seconds"] for t in tasks),
        db_queries=sum(t["db_queries"] for t in tasks),
        db_seconds=sum(t["db_seconds"] for t in tasks),
        shapes=_sum_shapes(tasks),
        commits=sum(t.get("commits", 0) for t in tasks),
        commit_seconds=sum(t.get("commit_seconds", 0.0) for t in tasks),
        worker_cpu=worker_cpu,
        in_flight_seconds=_covered(rows),
    )


def _covered(rows: list) -> float:
    """Seconds during which at least one of the calls was in flight (a call's row is written
    when it ends, ``duration_ms`` after it started): the union of their intervals."""
    spans = sorted((at.timestamp() - ms / 1000, at.timestamp()) for *_, ms, at in rows)
    total, end = 0.0, float("-inf")
    for start, stop in spans:
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def _sum_shapes(tasks: list[dict]) -> dict[str, list]:
    total: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for task in tasks:
        for shape, (count, seconds) in (task.get("shapes") or {}).items():
            total[shape][0] += count
            total[shape][1] += seconds
    return dict(total)


def fmt_shapes(figures: RunFigures, done: int, top: int = 12) -> list[str]:
    """The worker's most frequent statements, per item written."""
    rows = sorted(figures.shapes.items(), key=lambda kv: -kv[1][0])[:top]
    lines = [f"    {'statement (worker)':44} {'count':>7} {'per item':>9} {'ms each':>8} {'s':>6}"]
    for shape, (count, seconds) in rows:
        per = f"{count / done:9.2f}" if done else "      n/a"
        lines.append(
            f"    {shape[:44]:44} {count:7d} {per} {1000 * seconds / count:8.2f} {seconds:6.1f}"
        )
    return lines


@dataclass(frozen=True)
class Probes:
    """Per-call costs measured around the run (HTTP transport, pacing's Redis round trips)."""

    transport: float  # seconds per HTTP call outside the sandbox's own timer
    lacrm_pacing: float  # seconds of Redis round trips per paced LACRM call
    qbo_pacing: float  # seconds of Redis round trips per paced QBO batch call


def measure_probes(stage: Stage, api_key: str, samples: int = 100) -> Probes:
    """Time cheap calls after the run: GetUser round trips and empty pacing blocks.

    Transport = client-side round trip of ``GetUser`` minus the duration the sandbox logged for
    it (median): gunicorn, Django outside the sandbox's timer, the call-log insert, the network
    stack. Pacing = ``pacing.lacrm_request`` / ``qbo_request(batch=True)`` around nothing, on a
    probe bucket (Redis EVALs and the slot release), with the run's pacing settings.
    """
    import requests

    from integrations.lacrm import limits as lacrm_limits
    from integrations.quickbooks import limits as qbo_limits
    from integrations.sandbox.models import SandboxCall

    session = requests.Session()
    url = f"{stage.site_url}/sandbox/lacrm/v2/"
    gaps = []
    for _ in range(samples):
        before = SandboxCall.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        started = time.perf_counter()
        session.post(
            url,
            json={"Function": "GetUser", "Parameters": {}},
            headers={"Authorization": api_key},
            timeout=30,
        ).raise_for_status()
        round_trip = time.perf_counter() - started
        logged = SandboxCall.objects.filter(pk__gt=before).values_list("duration_ms", flat=True)
        if logged:
            gaps.append(round_trip - logged[0] / 1000)
    gaps.sort()

    def timed(block) -> float:
        # A fresh bucket per sample: the round trips alone, never a wait for the window
        # (100 batch calls on one bucket would wait for QuickBooks' 40 a minute).
        started = time.perf_counter()
        for i in range(samples):
            with block(f"bench-probe-{uuid.uuid4().hex}-{i}"):
                pass
        return (time.perf_counter() - started) / samples

    return Probes(
        transport=gaps[len(gaps) // 2] if gaps else 0.0,
        lacrm_pacing=timed(lacrm_limits.lacrm_request),
        qbo_pacing=timed(lambda key: qbo_limits.qbo_request(key, batch=True)),
    )


def ceil_div(a: int, b: int) -> int:
    return math.ceil(a / b) if a > 0 else 0


def fmt_calls_table(figures: RunFigures) -> list[str]:
    lines = [
        f"    {'system':13} {'operation':26} {'calls':>6} {'items':>7} {'API s':>7} {'err':>4}"
    ]
    for (system, operation), s in sorted(figures.calls.items()):
        lines.append(
            f"    {system:13} {operation[:26]:26} {s.calls:6d} {s.items:7d} {s.seconds:7.1f} "
            f"{s.errors:4d}"
        )
    return lines
