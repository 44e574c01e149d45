"""The bench's cost model: the fewest API calls a sync can make, and the fastest it can finish.

Every figure the bench prints sits next to one of these bounds as a ratio (wall/bound,
calls/minimum), so a number never stands alone. Pure arithmetic (no Django, no I/O):
``tests/bench/test_bounds.py``-style unit tests can check it quickly; ``Limits.from_settings()``
reads the limits actually in force (``config.settings`` and ``integrations.pacing``), never
guesses.

Cost model for one Sync New Contacts run:

- QBO: ``⌈customers / qbo_page⌉`` read queries + ``⌈creates / batch⌉`` batch calls, where
  ``batch`` is the smaller of the engine's batch (``sync.runs.engine.BATCH_SIZE``) and the
  client's ``BATCH_LIMIT``: one batch call carries every create of one engine batch.
- LACRM: ``⌈records / lacrm_page⌉`` read pages + one call per create (LACRM has no batch API).
- Rate-limit time per side: QBO ``max(batch calls / batches_per_min, calls / requests_per_min)``;
  LACRM ``calls / requests_per_min``.
- Latency floor per side: reads are sequential pages (``pages × latency``); creates can overlap
  up to the in-flight cap (QBO ``QBO_MAX_IN_FLIGHT``; LACRM has none, so one latency), so
  ``⌈creates' calls / in_flight⌉ × latency``.
- A side's bound is ``max(rate time, latency floor)``; with both sides in parallel the run's
  bound is ``max(QBO side, LACRM side)`` (sequential sides would add up: also printed).
- That rate time is the steady rate (calls ÷ per-minute limit), the bound the issue set the
  target against. A run that starts with empty windows can beat it: a limit of N calls in any
  minute lets the first N go at once, so the fewest seconds are ``60 × (⌈calls / N⌉ − 1)`` plus
  the last call's latency (``SideBound.window_seconds``, printed beside it). Short runs sit
  between the two; long runs converge on the steady rate.

Many tenants at once: each tenant has its own QBO realm and its own LACRM connection, so their
limits add up: the aggregate bound is the sum of the tenants' create rates (``aggregate_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass

QBO_PAGE = 1000  # QBO query MAXRESULTS the client asks for
LACRM_PAGE = 10_000  # LACRM GetContacts MaxNumberOfResults the client asks for


def ceil_div(a: int, b: int) -> int:
    return -(-a // b) if b else 0


@dataclass(frozen=True)
class Limits:
    """Per-tenant limits (per QBO realm, per LACRM connection), per minute."""

    qbo_requests: int = 500
    qbo_batches: int = 40
    qbo_in_flight: int = 10
    lacrm_requests: int = 300
    batch: int = 20  # creates per QBO batch call: min(engine batch, client BATCH_LIMIT)
    latency_s: float = 0.150

    @classmethod
    def from_settings(cls, latency_ms: float) -> Limits:
        """The limits in force in this process (Django must be set up)."""
        from django.conf import settings

        from integrations.quickbooks.client import BATCH_LIMIT
        from sync.runs.engine import BATCH_SIZE

        return cls(
            qbo_requests=settings.QBO_REQUESTS_PER_MINUTE,
            qbo_batches=settings.QBO_BATCHES_PER_MINUTE,
            qbo_in_flight=settings.QBO_MAX_IN_FLIGHT,
            lacrm_requests=settings.LACRM_REQUESTS_PER_MINUTE,
            batch=min(BATCH_SIZE, BATCH_LIMIT),
            latency_s=latency_ms / 1000,
        )

    def describe(self) -> str:
        return (
            f"QBO {self.qbo_requests} req/min, {self.qbo_batches} batch calls/min, "
            f"{self.qbo_in_flight} in flight, {self.batch} creates/batch; LACRM "
            f"{self.lacrm_requests}/min; latency {self.latency_s * 1000:.0f} ms"
        )


@dataclass(frozen=True)
class SideBound:
    name: str
    reads: int  # read calls (pages)
    writes: int  # create calls (QBO: batch calls; LACRM: one per create)
    rate_seconds: float
    latency_seconds: float
    rule: str
    window_seconds: float = 0.0  # fewest seconds when the run starts with empty windows

    @property
    def first_window_seconds(self) -> float:
        return max(self.window_seconds, self.latency_seconds)

    @property
    def calls(self) -> int:
        return self.reads + self.writes

    @property
    def seconds(self) -> float:
        return max(self.rate_seconds, self.latency_seconds)


@dataclass(frozen=True)
class RunBound:
    qbo: SideBound
    lacrm: SideBound

    @property
    def parallel_seconds(self) -> float:
        """Both sides at once: the slower side decides."""
        return max(self.qbo.seconds, self.lacrm.seconds)

    @property
    def sequential_seconds(self) -> float:
        return self.qbo.seconds + self.lacrm.seconds

    @property
    def window_parallel_seconds(self) -> float:
        """Both sides at once, each starting with empty rate-limit windows."""
        return max(self.qbo.first_window_seconds, self.lacrm.first_window_seconds)

    @property
    def min_calls(self) -> int:
        return self.qbo.calls + self.lacrm.calls


def windowed(calls: int, per_minute: int, latency_s: float) -> float:
    """Fewest seconds for ``calls`` under at most ``per_minute`` in any minute, from empty
    windows: the (k·N + 1)-th call cannot start before minute k, and takes its latency."""
    if not calls or not per_minute:
        return 0.0
    return 60.0 * (ceil_div(calls, per_minute) - 1) + latency_s


def qbo_side(customers: int, creates: int, limits: Limits) -> SideBound:
    reads, batches = ceil_div(customers, QBO_PAGE), ceil_div(creates, limits.batch)
    calls = reads + batches
    rate = 60 * max(
        batches / limits.qbo_batches if limits.qbo_batches else 0.0,
        calls / limits.qbo_requests if limits.qbo_requests else 0.0,
    )
    latency = (reads + ceil_div(batches, max(limits.qbo_in_flight, 1))) * limits.latency_s
    rule = f"⌈{customers}/{QBO_PAGE}⌉ queries + ⌈{creates}/{limits.batch}⌉ batch calls"
    window = max(
        windowed(batches, limits.qbo_batches, limits.latency_s),
        windowed(calls, limits.qbo_requests, limits.latency_s),
    )
    return SideBound("QBO", reads, batches, rate, latency, rule, window)


def lacrm_side(records: int, creates: int, limits: Limits) -> SideBound:
    reads = ceil_div(records, LACRM_PAGE)
    calls = reads + creates
    rate = 60 * calls / limits.lacrm_requests if limits.lacrm_requests else 0.0
    latency = (reads + (1 if creates else 0)) * limits.latency_s
    rule = f"⌈{records}/{LACRM_PAGE}⌉ reads + {creates} creates"
    window = windowed(calls, limits.lacrm_requests, limits.latency_s)
    return SideBound("LACRM", reads, creates, rate, latency, rule, window)


def run_bound(
    customers: int, records: int, creates_in_qbo: int, creates_in_lacrm: int, limits: Limits
) -> RunBound:
    return RunBound(
        qbo=qbo_side(customers, creates_in_qbo, limits),
        lacrm=lacrm_side(records, creates_in_lacrm, limits),
    )


def aggregate_rate(tenants: int, limits: Limits) -> tuple[float, float]:
    """Creates/min the tenants' own limits allow together: (QBO, LACRM), reads aside."""
    qbo = tenants * min(limits.qbo_batches * limits.batch, limits.qbo_requests * limits.batch)
    return float(qbo), float(tenants * limits.lacrm_requests)


def ratio(measured: float, bound: float) -> str:
    return f"{measured / bound:.2f}×" if bound else "n/a"


def format_bound(bound: RunBound, wall: float | None = None) -> list[str]:
    """Lines: each side's minimum calls and time, and the run's bound (with wall/bound)."""
    lines = []
    for side in (bound.lacrm, bound.qbo):
        lines.append(
            f"    {side.name:6} minimum {side.calls:5d} calls ({side.rule}); ≥ {side.seconds:.1f}s "
            f"(rate limits {side.rate_seconds:.1f}s, latency floor {side.latency_seconds:.1f}s; "
            f"from empty windows ≥ {side.first_window_seconds:.1f}s)"
        )
    line = (
        f"    bound, both sides in parallel: {bound.parallel_seconds:.1f}s "
        f"(one side after the other: {bound.sequential_seconds:.1f}s)"
    )
    if wall is not None:
        line += (
            f"; measured wall {wall:.1f}s = {ratio(wall, bound.parallel_seconds)} the parallel "
            f"bound, {ratio(wall, bound.sequential_seconds)} the sequential one (target ≤ 1.10×)"
        )
    lines.append(line)
    line = (
        f"    bound from empty windows, both sides in parallel: "
        f"{bound.window_parallel_seconds:.1f}s (the first minute's calls go at once)"
    )
    if wall is not None:
        line += f"; measured wall = {ratio(wall, bound.window_parallel_seconds)} of it"
    lines.append(line)
    return lines
