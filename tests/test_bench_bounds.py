"""The bench's cost model (tests/bench/bounds.py): arithmetic only, the bench itself never runs."""

from __future__ import annotations

import pytest

from tests.bench.bounds import Limits, aggregate_rate, run_bound

REAL = Limits(qbo_requests=500, qbo_batches=40, qbo_in_flight=10, lacrm_requests=300, batch=20)


def test_minimum_calls_per_side():
    bound = run_bound(2000, 2000, creates_in_qbo=1200, creates_in_lacrm=1200, limits=REAL)
    assert (bound.qbo.reads, bound.qbo.writes) == (2, 60)  # ⌈2000/1000⌉ + ⌈1200/20⌉
    assert (bound.lacrm.reads, bound.lacrm.writes) == (1, 1200)  # ⌈2000/10000⌉ + one per create
    assert bound.min_calls == 62 + 1201


def test_parallel_bound_is_the_slower_side_and_sequential_adds_up():
    bound = run_bound(2000, 2000, creates_in_qbo=1200, creates_in_lacrm=1200, limits=REAL)
    assert bound.lacrm.seconds == pytest.approx(60 * 1201 / 300)
    assert bound.qbo.seconds == pytest.approx(60 * 60 / 40)  # batch limit binds, not 500/min
    assert bound.parallel_seconds == pytest.approx(max(bound.lacrm.seconds, bound.qbo.seconds))
    assert bound.sequential_seconds == pytest.approx(bound.lacrm.seconds + bound.qbo.seconds)


def test_latency_floor_wins_when_limits_are_loose():
    loose = Limits(qbo_requests=10**6, qbo_batches=10**6, lacrm_requests=10**6, latency_s=0.15)
    bound = run_bound(2000, 2000, creates_in_qbo=1200, creates_in_lacrm=1200, limits=loose)
    # QBO: 2 sequential pages + ⌈60 batch calls / 10 in flight⌉ round trips of 150 ms.
    assert bound.qbo.seconds == pytest.approx((2 + 6) * 0.15)
    assert bound.lacrm.seconds == pytest.approx((1 + 1) * 0.15)


def test_tenants_limits_add_up():
    assert aggregate_rate(100, REAL) == (100 * 40 * 20, 100 * 300)


def test_from_empty_windows_the_first_minutes_calls_go_at_once():
    bound = run_bound(2000, 2000, creates_in_qbo=1200, creates_in_lacrm=1121, limits=REAL)
    # LACRM: 1,122 calls at 300 a minute: the 901st starts in minute 3, then one latency.
    assert bound.lacrm.first_window_seconds == pytest.approx(3 * 60 + 0.15)
    # QBO: 60 batch calls at 40 a minute: the 41st starts in minute 1.
    assert bound.qbo.first_window_seconds == pytest.approx(60 + 0.15)
    assert bound.window_parallel_seconds < bound.parallel_seconds
    small = run_bound(10, 10, creates_in_qbo=5, creates_in_lacrm=5, limits=REAL)
    assert small.lacrm.first_window_seconds == pytest.approx(small.lacrm.latency_seconds)
