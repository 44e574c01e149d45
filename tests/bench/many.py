"""Many tenants at once: N workspaces' Sync New Contacts started together on one worker process.

``python -m tests.bench many --tenants 100 --customers 200 --contacts 200``. One stage (own
database, Redis db, gunicorn sandbox, one Celery worker process), N users each with their own
sandbox company and account, both connected for real, then every run queued at the same instant.
Printed, nothing asserted:

- aggregate creates/min (first run started → last run finished) against the sum of the tenants'
  own limits (``bounds.aggregate_rate``) and against what the sandbox itself serves on this
  machine (``capacity``: threads hammering LACRM CreateContact on throw-away accounts, before the
  runs, at the same latency);
- fairness: when the first run finishes, the slowest tenant's progress / the fastest's;
- a CPU profile by process (web, worker, Postgres, this process) over the runs, from /proc
  (utime + stime of each process tree), naming the busiest one.

QuickBooks webhooks are off in the tenants' sandbox companies unless ``--qbo-webhooks``. The
sandbox sends one webhook per change at once, as Intuit's sandbox does; production aggregates a
realm's changes every 1, 3 or 5 minutes (docs/quickbooks-api.md §8), so a hundred tenants'
creates would bring our web server a few deliveries a second, not one per created customer.
On this stage every delivery also lands on the one gunicorn that plays both APIs and serves our
app. (The delivery task itself is Intuit's work: it runs on the stage's vendor worker, apart from
the measured one. Before that split, with webhooks on, it took 24% of the measured worker's slot
time: 40 tenants, concurrency 4.)

Postgres: each tenant's run uses the worker's connections, not one per tenant; with
``max_connections`` 400 nothing more was needed at the worker concurrency used here.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from tests.bench.bounds import Limits, aggregate_rate, ratio
from tests.bench.harness import (
    TICK,
    WEB_THREADS,
    WEB_WORKERS,
    Stage,
    install_sigterm_handler,
    tree_cpu,
)

CONCURRENCY = [1]  # the worker's --concurrency, for the report
SLOTS_NOTE = (
    "in flight at most: the worker's {n} slots × {k} calls per batch = {nk} calls, at most "
    "{cap:.0f} calls/min at this latency; the sandbox's web server answers {slots} at once "
    "({workers} processes × {threads} threads), at most {web:.0f}/min"
)


def _postgres_cpu() -> float:
    """CPU seconds of every Postgres process, including backends that have exited: the
    postmaster's ``cutime + cstime`` holds the time of the children it reaped (a client that
    connects per request leaves nothing behind to sample)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / TICK
                parent = Path(f"/proc/{fields[1]}/comm").read_text().strip()
                if parent not in ("postgres", "postmaster"):  # the postmaster itself
                    total += (int(fields[13]) + int(fields[14])) / TICK
        except OSError:
            continue
    return total


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / TICK, sum(ticks) / TICK


def capacity(stage: Stage, threads: int, seconds: float) -> tuple[float, int]:
    """LACRM CreateContact calls/min the sandbox serves to ``threads`` clients at once."""
    import requests
    from django.conf import settings

    from integrations.sandbox.lacrm import store as lacrm_store

    accounts = [lacrm_store.create_account(seed_demo=False) for _ in range(threads)]
    url, done, errors = settings.LACRM_API_URL, [0] * threads, [0] * threads
    stop_at = time.monotonic() + seconds

    def hammer(i: int) -> None:
        account, key = accounts[i]
        session = requests.Session()
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            body = {
                "Function": "CreateContact",
                "Parameters": {
                    "IsCompany": False,
                    "AssignedTo": account.user_id,
                    "Name": {"FirstName": "Probe", "LastName": f"{i}-{n}"},
                },
            }
            answer = session.post(url, json=body, headers={"Authorization": key}, timeout=30)
            if answer.ok and "ErrorCode" not in answer.text:
                done[i] += 1
            else:
                errors[i] += 1

    started = time.monotonic()
    workers = [threading.Thread(target=hammer, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) * 60 / (time.monotonic() - started), sum(errors)


def run(
    tenants: int,
    customers: int,
    contacts: int,
    overlap: float,
    *,
    real_limits: bool,
    latency_ms: int,
    concurrency: int,
    pool: str = "prefork",
    probe_threads: int = 64,
    qbo_webhooks: bool = False,
) -> None:
    install_sigterm_handler()
    CONCURRENCY[0] = concurrency
    from tests.bench.sync_e2e import bench_limits, pacing_env, set_knobs

    tag = "" if real_limits else " [LOOSE LIMITS]"
    print(
        f"{tenants} tenants × ({customers} QBO + {contacts} LACRM, {overlap:.0%} overlap) at "
        f"once on one Celery worker process (--pool={pool} --concurrency={concurrency}), "
        f"sandbox latency "
        f"{latency_ms} ms{tag}"
    )
    with Stage(pacing=pacing_env(real_limits)) as stage:
        stage.prepare()
        set_knobs(real_limits, latency_ms)
        stage.start_web()
        stage.start_worker(concurrency=concurrency, pool=pool)
        from django_scopes import scopes_disabled

        with scopes_disabled():
            limits = bench_limits(real_limits, latency_ms)
            print(f"  limits per tenant: {limits.describe()}{tag}")
            print(
                "  QuickBooks webhooks: "
                + (
                    "on, one per change at once (the sandbox's way; production aggregates)"
                    if qbo_webhooks
                    else "off (production aggregates a realm's changes every 1-5 min; see many.py)"
                )
            )
            _measure(
                stage,
                limits,
                (tenants, customers, contacts, overlap),
                probe_threads,
                tag,
                qbo_webhooks,
            )


def _measure(stage, limits: Limits, sizes, probe_threads, tag, qbo_webhooks):
    from integrations.sandbox.qbo.models import SandboxQboCompany
    from sync.models import SyncRun
    from sync.runs import start_run
    from tests.bench.workspace import prepare_workspace

    tenants, customers, contacts, overlap = sizes
    cap, cap_errors = capacity(stage, probe_threads, 20.0)
    print(
        f"  sandbox capacity on this machine: {cap:.0f} LACRM creates/min with {probe_threads} "
        f"clients hammering for 20 s ({cap_errors} errors){tag}"
    )
    started = time.perf_counter()
    benches = [
        prepare_workspace(stage.site_url, customers, contacts, overlap, email=f"t{i}@example.com")
        for i in range(tenants)
    ]
    if not qbo_webhooks:
        SandboxQboCompany.objects.filter(pk__in=[b.company.pk for b in benches]).update(
            webhook_format="off"
        )
    print(f"  seeded and connected {tenants} tenants [{time.perf_counter() - started:.0f}s]")
    pids = {c.name: c.proc.pid for c in stage.children}
    cpu_before = {name: tree_cpu(pid) for name, pid in pids.items()}
    cpu_before["postgres"], cpu_before["bench"] = _postgres_cpu(), time.process_time()
    machine_before = _machine_busy()
    began_at = time.time()  # the worker's task lines (instrument.py) carry wall-clock starts
    runs = [start_run(b.workspace, SyncRun.Kind.CONTACTS, user=b.user)[0] for b in benches]
    began, first_done, fairness = time.monotonic(), None, None
    timeout = float(os.environ.get("BENCH_RUN_TIMEOUT") or 1800)
    while True:
        time.sleep(2)
        for r in runs:
            r.refresh_from_db()
        active = [r for r in runs if r.is_active]
        if first_done is None and len(active) < len(runs):
            first_done = time.monotonic() - began
            shares = [r.processed / r.total if r.total else 0.0 for r in runs]
            fairness = min(shares) / max(shares) if max(shares) else 0.0
        if not active:
            break
        if time.monotonic() - began > timeout:
            from sync.runs import request_stop

            print(f"  ! {len(active)} runs still going after {timeout:.0f}s: stop requested")
            for r in active:
                request_stop(r)
            if fairness is None:
                shares = [r.processed / r.total if r.total else 0.0 for r in runs]
                fairness = min(shares) / max(shares) if max(shares) else 0.0
            break
        if int(time.monotonic() - began) % 20 < 2:
            done = sum(r.processed for r in runs)
            print(f"    … {time.monotonic() - began:5.0f}s {len(active)} active, processed {done}")
    wall = time.monotonic() - began
    cpu = {name: tree_cpu(pid) - cpu_before[name] for name, pid in pids.items()}
    cpu["postgres"] = _postgres_cpu() - cpu_before["postgres"]
    cpu["bench"] = time.process_time() - cpu_before["bench"]
    busy, total = (a - b for a, b in zip(_machine_busy(), machine_before, strict=True))
    cpu["machine"] = busy / total
    _report(runs, limits, wall, first_done, fairness, cap, cpu, tag)
    _slot_use(stage, {str(r.id) for r in runs}, began_at, wall)


def _slot_use(stage: Stage, run_ids: set[str], began_at: float, wall: float) -> None:
    """How busy the worker's slots were over the runs, and how long a batch took, from the
    worker's own per-task lines (``tests/bench/instrument.py``)."""
    rows = [r for run_id in run_ids for r in stage.task_stats(run_id)]
    batches = sorted(r["seconds"] for r in rows if r["task"] == "sync.run_batch")
    if not batches:
        return
    busy = sum(r["seconds"] for r in rows if r["started"] >= began_at)
    slots = CONCURRENCY[0]
    print(
        f"  worker slots busy {busy / (slots * wall):.0%} of the wall ({slots} slots); "
        f"{len(batches)} batch tasks, p50 {batches[len(batches) // 2]:.2f}s, "
        f"p90 {batches[int(len(batches) * 0.9)]:.2f}s each"
    )


def _report(runs, limits, wall, first_done, fairness, cap, cpu, tag):
    tenants = len(runs)
    qbo = sum(r.created_in_qbo for r in runs)
    lacrm = sum(r.created_in_lacrm for r in runs)
    statuses = {r.status for r in runs}
    print(f"  runs ended {', '.join(sorted(statuses))}; wall (all queued → last done) {wall:.0f}s")
    qbo_rate, lacrm_rate = qbo * 60 / wall, lacrm * 60 / wall
    qbo_bound, lacrm_bound = aggregate_rate(tenants, limits)
    print(
        f"  aggregate LACRM creates {lacrm_rate:.0f}/min = {ratio(lacrm_rate, lacrm_bound)} the "
        f"sum of the tenants' limits ({lacrm_bound:.0f}/min), {ratio(lacrm_rate, cap)} the "
        f"sandbox's measured capacity ({cap:.0f}/min); target ≥ 0.70× the lower{tag}"
    )
    print(
        f"  aggregate QBO creates {qbo_rate:.0f}/min = {ratio(qbo_rate, qbo_bound)} the sum of "
        f"the tenants' limits ({qbo_bound:.0f}/min at {limits.batch} per batch call){tag}"
    )
    if fairness is not None:
        print(
            f"  fairness: when the first run finished ({first_done or wall:.0f}s), slowest/fastest "
            "tenant "
            f"progress = {fairness:.2f} (target ≥ 0.5)"
        )
    machine = cpu.pop("machine")
    busiest = max(cpu, key=cpu.get)
    share = ", ".join(f"{k} {v:.0f}s ({v / wall:.0%} of one core)" for k, v in cpu.items())
    print(f"  CPU by process over the runs (2 cores, shared machine): {share}")
    print(f"  busiest process: {busiest} ({cpu[busiest] / wall:.0%} of one core)")
    print(f"  the whole machine (all processes, 2 cores) was {machine:.0%} busy over the runs")
    if limits.latency_s:
        from sync.runs.calls import calls_in_flight

        n, k = CONCURRENCY[0], calls_in_flight()
        note = SLOTS_NOTE.format(
            n=n,
            k=k,
            nk=n * k,
            cap=n * k * 60 / limits.latency_s,
            slots=WEB_WORKERS * WEB_THREADS,
            workers=WEB_WORKERS,
            threads=WEB_THREADS,
            web=WEB_WORKERS * WEB_THREADS * 60 / limits.latency_s,
        )
        print(f"  {note}")
        if machine >= 0.85:
            print(
                "  the machine's CPU is saturated: the sandbox, the worker and Postgres share 2 "
                "cores, so the sandbox serves less than its capacity probe measured alone"
            )
        elif cpu[busiest] / wall < 0.6:
            print(
                "  no process is CPU-bound: the runs wait on API calls in flight (see the line "
                "above), not on CPU"
            )
