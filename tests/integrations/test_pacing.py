"""Client-side pacing in Redis: sliding windows make callers wait; in-flight slots are bounded."""

from __future__ import annotations

import multiprocessing
import threading

import redis
from django.conf import settings

from integrations import pacing


def test_window_admits_up_to_the_limit_then_waits():
    waits = [pacing.wait_for_window("test:window", 3, window=1.0) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0  # the fourth call slept until the oldest left the window


def test_window_is_shared_between_threads():
    admitted_without_wait = []

    def call():
        admitted_without_wait.append(pacing.wait_for_window("test:shared", 5, window=2.0) == 0)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert admitted_without_wait.count(True) == 5
    assert admitted_without_wait.count(False) == 3


def test_in_flight_slots_bound_concurrency():
    lock = threading.Lock()
    current = 0
    peak = 0
    two_inside = threading.Event()

    def work():
        nonlocal current, peak
        with pacing.in_flight_slot("test:slots", 2):
            with lock:
                current += 1
                peak = max(peak, current)
                if current == 2:
                    two_inside.set()
            # Hold the slot until both slots have been taken at once, however the threads are
            # scheduled; meanwhile the others knock, and one getting in would lift the peak.
            two_inside.wait(timeout=30)
            with lock:
                current -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert two_inside.is_set() and peak == 2


def test_many_threads_share_a_bounded_pool_of_redis_connections(settings):
    """Forty threads pacing at once on a pool of 3: all are admitted, waiting for a free
    connection instead of failing, and Redis never sees more than 3 pacing connections."""
    settings.PACING_REDIS_MAX_CONNECTIONS = 3
    client = pacing._redis()
    db = client.connection_pool.connection_kwargs.get("db", 0)
    peak = 0
    errors: list[Exception] = []
    start = threading.Barrier(40)

    def ours() -> int:
        clients = redis.Redis.from_url(settings.REDIS_URL).client_list()
        return sum(1 for c in clients if c["name"] == pacing.client_name() and int(c["db"]) == db)

    def call():
        start.wait(timeout=30)
        try:
            for _ in range(5):
                pacing.wait_for_window("test:pool", 10_000, window=60.0)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(40)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, ours())
    for t in threads:
        t.join()
    assert errors == []
    assert 1 <= peak <= 3
    assert len(client.connection_pool._connections) <= 3


def test_retry_delay_grows_is_capped_and_honours_retry_after(settings):
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.5
    settings.INTEGRATION_RETRY_CAP_SECONDS = 8.0
    assert 0.25 <= pacing.retry_delay(1) <= 0.5
    assert 2.0 <= pacing.retry_delay(4) <= 4.0
    assert pacing.retry_delay(20) <= 8.0
    assert pacing.retry_delay(1, retry_after=5) >= 5
    assert pacing.parse_retry_after("3") == 3.0
    assert pacing.parse_retry_after("soon") is None


# --- No window ever holds more than the limit ---------------------------------------------------

LIMIT = 5
WINDOW = 0.5  # "a minute", shortened
MARGIN = 0.1
PROCESSES, THREADS, CALLS = 2, 4, 4


def _grant_log() -> str:
    return pacing._key("test", "grant-log")


def _acquire_and_log(bucket: str) -> None:
    """Take ``CALLS`` grants and push each one's Redis admission time to the grant log."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for _ in range(CALLS):
        with pacing.paced([(bucket, LIMIT)], window=WINDOW, margin=MARGIN) as grant:
            client.rpush(_grant_log(), repr(grant.at))


def _threads_acquiring(bucket: str) -> None:
    threads = [threading.Thread(target=_acquire_and_log, args=(bucket,)) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)


def _most_in_any_window(times: list[float], length: float) -> int:
    """The most grants in any closed window ``[t, t + length]``."""
    times = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] > length:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_no_window_holds_more_than_the_limit_across_processes_and_threads():
    bucket = "test:many-callers"
    # Forked workers share nothing with this process but Redis, like Celery's prefork pool.
    fork = multiprocessing.get_context("fork")
    workers = [fork.Process(target=_threads_acquiring, args=(bucket,)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    _threads_acquiring(bucket)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    client = redis.Redis.from_url(settings.REDIS_URL)
    times = sorted(float(t) for t in client.lrange(_grant_log(), 0, -1))
    assert len(times) == (PROCESSES + 1) * THREADS * CALLS
    # Under either reading of "per minute": any WINDOW seconds (which also covers any fixed
    # clock window) hold at most LIMIT grants, closed windows included...
    assert _most_in_any_window(times, WINDOW) == LIMIT
    # ...with MARGIN to spare for calls that reach the provider at different speeds.
    assert min(b - a for a, b in zip(times, times[LIMIT:], strict=False)) >= WINDOW + MARGIN
    assert _most_in_any_window(times, WINDOW + MARGIN) == LIMIT


def test_a_call_is_admitted_to_all_its_windows_or_to_none():
    # A full batch window must not spend a place in the request window while the call waits.
    for _ in range(2):
        pacing.wait_for_window("test:all:batch", 2, window=30.0)
    client = pacing._redis()
    admitted, wait = pacing._admit(
        client,
        [pacing._key("test:all:req"), pacing._key("test:all:batch")],
        [10, 2],
        30.0,
        "one-call",
    )
    assert not admitted and 29 < wait <= 31
    assert client.zcard(pacing._key("test:all:req")) == 0
