"""Continuous sync's QuickBooks reads against hourly full pulls, from counted calls of real runs.

On a ``harness.Stage`` (own database and Redis, gunicorn serving the app and the sandbox over
HTTP, one real Celery worker) with ``--customers``/``--contacts`` seeded and both connected:

1. Sync New Contacts once (the first sync), then once more: the second run is what an hourly
   (or daily) scheduled full pull costs a tenant that is already in step; its QBO reads are
   counted from the sandbox's call log.
2. The workspace switches to Keep in step: continuous. ``--changes`` changes are made in the
   sandbox QuickBooks through its API, one at a time, as a busy day brings them (90% edits of
   linked customers, 10% new customers). Each makes the sandbox send a signed webhook (through
   the worker), which the app records and applies with an incremental ``changes`` run; the
   next change waits until that run has ended, so no two changes share a run (the worst case:
   spread over a day they rarely would). Then four CDC catch-ups (one every 6 hours).
3. Reads per changes run are measured at 1 and at ``GROUP`` changes a run (linear between, the
   only fit). Production gathers changes for a window (``SYNC_CHANGES_WINDOW_SECONDS``, default
   5 minutes; the stage runs with 0 so each measured run carries exactly what the bench gives
   it): a seeded day of 1,000 change times (8 busy hours hold 80% of them) is cut into windows
   as the intake does — a run opens at the first waiting change and takes everything that came
   within the window — for windows of 0 (every change its own run), 1, 5 and 15 minutes.
4. Reads per tenant per day = Σ runs × measured reads for the changes each carries + 4 CDC
   catch-ups (measured), against 24 × (and 1 ×) the measured full pull; and the tenants a
   500,000-read month carries at each. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import random
import time

import requests

from tests.bench.harness import Stage, install_sigterm_handler

BUDGET = 500_000
CHANGES_PER_DAY = 1000
READ_REGEX = r"^(GET |query)"


def _qbo_reads(realm: str, since_id: int) -> int:
    from integrations.sandbox.models import SandboxCall

    return SandboxCall.objects.filter(
        system="qbo", account=realm, pk__gt=since_id, operation__regex=READ_REGEX
    ).count()


def _last_call_id() -> int:
    from integrations.sandbox.models import SandboxCall

    return SandboxCall.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _wait_runs(workspace, count: int, timeout: float = 120) -> None:
    from sync.models import ACTIVE_STATUSES, SyncRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = SyncRun.objects.filter(workspace=workspace, kind="changes")
        if runs.count() >= count and not runs.filter(status__in=ACTIVE_STATUSES).exists():
            return
        time.sleep(0.1)
    raise RuntimeError(f"changes run {count} did not finish in {timeout:.0f}s")


def _api_post(site_url: str, realm: str, token: str, body: dict) -> None:
    answer = requests.post(
        f"{site_url}/sandbox/qbo/v3/company/{realm}/customer",
        data=json.dumps(body),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        timeout=30,
    )
    answer.raise_for_status()


def run(customers: int = 2000, contacts: int = 2000, overlap: float = 0.4, changes: int = 200):
    install_sigterm_handler()
    print(
        f"Continuous sync vs full pulls: {customers} QBO customers × {contacts} LACRM contacts, "
        f"{changes} changes applied one by one through webhooks, sandbox over HTTP, 1 worker"
    )
    from tests.bench.sync_e2e import pacing_env, set_knobs

    # Every measured changes run carries exactly the changes the bench gives it (no window).
    with Stage(pacing={**pacing_env(False), "SYNC_CHANGES_WINDOW_SECONDS": 0}) as stage:
        stage.prepare()
        set_knobs(False)
        stage.start_web()
        stage.start_worker()
        from django_scopes import scopes_disabled

        # The benchmark looks at its one workspace from outside, like the tests do.
        with scopes_disabled():
            _measure(stage, customers, contacts, overlap, changes)


def _measure(stage: Stage, customers: int, contacts: int, overlap: float, changes: int) -> None:
    from django.conf import settings

    from tests.bench.e2e import start_and_watch
    from tests.bench.sync_e2e import LOOSE
    from tests.bench.workspace import prepare_workspace

    settings.SYNC_CHANGES_WINDOW_SECONDS = 0  # This process starts runs too (``_grouped``).
    bench = prepare_workspace(stage.site_url, customers, contacts, overlap)
    print(f"  seeded and connected; rate limits loosened ({LOOSE:,}/min), counts unaffected")
    from sync.models import SyncRun

    start_and_watch(stage, bench, SyncRun.Kind.CONTACTS)
    from sync.models import SyncSettings

    # Field updates on, as a continuous tenant has them; this full pull records what both sides
    # agree on for every pair, so a later edit on one side is that side's change.
    SyncSettings.objects.filter(workspace=bench.workspace).update(update_fields=True)
    start_and_watch(stage, bench, SyncRun.Kind.CONTACTS)
    mark = _last_call_id()
    started = time.monotonic()
    start_and_watch(stage, bench, SyncRun.Kind.CONTACTS)
    full_reads = _qbo_reads(bench.realm_id, mark)
    print(
        f"  a full pull of a tenant already in step (field updates on): {full_reads} QBO reads "
        f"({time.monotonic() - started:.1f}s)"
    )
    per_change, grouped, catch_up = _continuous(stage, bench, changes)
    _report(full_reads, per_change, grouped, catch_up, changes)


def _continuous(stage: Stage, bench, changes: int) -> tuple[float, float]:
    from django.utils import timezone

    from integrations.quickbooks.connection import qbo_connection
    from integrations.quickbooks.oauth import ConnectionTokens
    from integrations.sandbox.qbo.models import SandboxQboWebhook
    from sync.continuous import cdc
    from sync.continuous.models import ChangeEvent, ContinuousState
    from sync.models import ContactLink, SyncSettings

    workspace = bench.workspace
    # The sandbox announced every customer the first sync created (Intuit does too): let those
    # webhooks arrive, then set them aside, so the figures below are about the day's changes.
    deadline = time.monotonic() + 600
    while SandboxQboWebhook.objects.filter(next_attempt_at__isnull=False).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the sandbox's webhooks of the first sync were not delivered")
        time.sleep(0.5)
    echoes, _ = ChangeEvent.objects.filter(workspace=workspace, run__isnull=True).delete()
    print(f"  {echoes} webhook events about the first sync's own creates set aside")
    SyncSettings.objects.filter(workspace=workspace).update(schedule="continuous")
    ContinuousState.objects.update_or_create(
        workspace=workspace, defaults={"cdc_cursor": timezone.now()}
    )
    linked = list(
        ContactLink.objects.filter(
            workspace=workspace, state="linked", qbo_id__isnull=False
        ).values_list("qbo_id", flat=True)
    )
    rng = random.Random(7)
    token = ConnectionTokens(qbo_connection(workspace)).access_token()
    mark = _last_call_id()
    began = time.monotonic()
    for n in range(changes):
        _change(stage, bench, token, rng, linked, n)
        _wait_runs(workspace, n + 1)
        if n % 50 == 49:
            print(f"    … {n + 1} changes applied ({time.monotonic() - began:.0f}s)", flush=True)
    reads = _qbo_reads(bench.realm_id, mark)
    runs = SyncRun_count(workspace)
    print(
        f"  {changes} changes → {runs} changes runs, {reads} QBO reads "
        f"({reads / changes:.2f} per change; the edits themselves are writes) "
        f"[{time.monotonic() - began:.0f}s]"
    )
    grouped = _grouped(stage, bench, token, rng, linked, changes)
    mark = _last_call_id()
    for _ in range(4):
        cdc.catch_up(workspace)
    catch_up = _qbo_reads(bench.realm_id, mark) / 4
    print(f"  a CDC catch-up: {catch_up:.1f} QBO reads")
    return reads / changes, grouped, catch_up


GROUP = 4


def _change(stage: Stage, bench, token: str, rng, linked: list[str], n: int) -> None:
    """One change in QuickBooks: 9 in 10 edit a linked customer's phone, 1 adds a customer."""
    from integrations.sandbox.qbo.models import SandboxQboName

    if n % 10 == 9:
        body = {"GivenName": "New", "FamilyName": f"Customer {n}"}
    else:
        qbo_id = rng.choice(linked)
        row = SandboxQboName.objects.get(company=bench.company, qbo_id=int(qbo_id))
        body = {
            "Id": qbo_id,
            "SyncToken": str(row.sync_token),
            "sparse": True,
            "PrimaryPhone": {"FreeFormNumber": f"555-{n:04d}"},
        }
    _api_post(stage.site_url, bench.realm_id, token, body)


def _grouped(stage: Stage, bench, token: str, rng, linked: list[str], changes: int) -> float:
    """Intuit's production webhooks come aggregated every 1-5 minutes: at 1,000 changes a day
    a 5-minute delivery carries about 3.5. Emulated: ``GROUP`` changes arrive (the run held
    back meanwhile), then one changes run applies them."""
    from integrations.sandbox.qbo.models import SandboxQboWebhook
    from sync.continuous.intake import ensure_changes_run
    from sync.models import SyncSettings

    workspace = bench.workspace
    settings_rows = SyncSettings.objects.filter(workspace=workspace)
    runs_before = SyncRun_count(workspace)
    mark = _last_call_id()
    groups = max(1, changes // GROUP)
    for g in range(groups):
        settings_rows.update(schedule="off")
        for i in range(GROUP):
            _change(stage, bench, token, rng, linked, 10_000 + g * GROUP + i)
        deadline = time.monotonic() + 60
        while SandboxQboWebhook.objects.filter(next_attempt_at__isnull=False).exists():
            if time.monotonic() > deadline:
                raise RuntimeError("webhooks were not delivered")
            time.sleep(0.1)
        settings_rows.update(schedule="continuous")
        ensure_changes_run(workspace)
        _wait_runs(workspace, runs_before + g + 1)
    reads = _qbo_reads(bench.realm_id, mark)
    print(
        f"  {groups * GROUP} changes arriving {GROUP} per delivery → {groups} changes runs, "
        f"{reads} QBO reads ({reads / (groups * GROUP):.2f} per change)"
    )
    return reads / (groups * GROUP)


def SyncRun_count(workspace) -> int:  # noqa: N802 - reads like the model it counts
    from sync.models import SyncRun

    return SyncRun.objects.filter(workspace=workspace, kind="changes").count()


WINDOWS = (0, 60, 300, 900)


def day_of_changes(count: int = CHANGES_PER_DAY, seed: int = 11) -> list[float]:
    """Seconds of the day at which ``count`` changes arrive: 80% in 8 busy hours, seeded."""
    rng = random.Random(seed)
    busy = int(count * 0.8)
    times = [rng.uniform(9 * 3600, 17 * 3600) for _ in range(busy)]
    times += [rng.uniform(0, 86400) for _ in range(count - busy)]
    return sorted(times)


def runs_of(times: list[float], window: float) -> list[int]:
    """How many changes each changes run carries when the intake gathers for ``window``."""
    if window <= 0:
        return [1] * len(times)
    sizes: list[int] = []
    opened, size = None, 0
    for moment in times:
        if opened is not None and moment <= opened + window:
            size += 1
            continue
        if size:
            sizes.append(size)
        opened, size = moment, 1
    if size:
        sizes.append(size)
    return sizes


def _report(
    full_reads: int, per_change: float, grouped: float, catch_up: float, changes: int
) -> None:
    # Reads of a run carrying k changes, from the two measured points (k = 1 and k = GROUP).
    slope = (grouped * GROUP - per_change) / (GROUP - 1)
    base = per_change - slope

    def reads_for(k: int) -> float:
        return base + slope * k

    times = day_of_changes()
    print(
        f"  reads per changes run: {per_change:.2f} carrying 1 change, {grouped * GROUP:.2f} "
        f"carrying {GROUP} (so about {base:.2f} + {slope:.3f} per change)"
    )
    print(f"  QBO reads per tenant per day at {CHANGES_PER_DAY} changes/day (seeded day):")
    rows = []
    for window in WINDOWS:
        sizes = runs_of(times, window)
        label = (
            "continuous, every change its own run"
            if window == 0
            else f"continuous, {window // 60}-minute window"
        )
        rows.append((label, len(sizes), sum(reads_for(k) for k in sizes) + 4 * catch_up))
    rows.append(("hourly full pulls", 24, 24 * full_reads))
    rows.append(("daily full pull (changes a day late)", 1, full_reads))
    for label, run_count, per_day in rows:
        month = per_day * 30
        tenants = BUDGET / month if month else float("inf")
        print(
            f"    {label:40} {run_count:5} runs {per_day:8.0f} reads/day {month:9.0f}/month "
            f"→ {tenants:8.1f} tenants per {BUDGET:,}-read month"
        )
    print(
        f"  (reads per run measured over {changes} single-change runs and the grouped runs; the "
        "windows' run counts come from the seeded day. A full pull reads ⌈customers/1,000⌉ "
        "query pages, so its cost grows with the tenant; continuous grows with the changes and "
        "is bounded by 86,400 / window runs a day, and the window widens when the install's "
        "reads are on course past 70% of the budget)"
    )
