"""Client-side pacing in Redis: sliding windows make callers wait; in-flight slots are bounded."""

from __future__ import annotations

import threading

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


def test_retry_delay_grows_is_capped_and_honours_retry_after(settings):
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.5
    settings.INTEGRATION_RETRY_CAP_SECONDS = 8.0
    assert 0.25 <= pacing.retry_delay(1) <= 0.5
    assert 2.0 <= pacing.retry_delay(4) <= 4.0
    assert pacing.retry_delay(20) <= 8.0
    assert pacing.retry_delay(1, retry_after=5) >= 5
    assert pacing.parse_retry_after("3") == 3.0
    assert pacing.parse_retry_after("soon") is None
