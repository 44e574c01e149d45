"""The process-wide Redis clients (read metering, pacing) are made once even when a batch's calls
start on several threads at the same moment (``sync.runs.calls``).

Before the lock, two threads could each make a metering client; the dropped one closed its
connection pool when garbage-collected, under the other thread's command, and that API call
failed with "I/O operation on closed file" (seen in the many-tenant bench on a threads pool).
"""

from __future__ import annotations

import threading

from integrations import metering, pacing
from integrations.records import QBO

THREADS = 16
ROUNDS = 25


def _race(target) -> list[BaseException]:
    """Run ``target`` on THREADS threads released together; the errors they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def one() -> None:
        barrier.wait(timeout=30)
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - the test reports every failure
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_read_counts_from_many_threads_at_first_use_all_land(settings):
    account = "threads-race"
    for _ in range(ROUNDS):
        metering._client = None  # each round starts like a fresh worker process
        assert _race(lambda: metering.count(QBO, account)) == []
    assert metering.reads(QBO, account) == THREADS * ROUNDS


def test_pacing_makes_one_client_for_threads_starting_together(settings):
    seen: list[int] = []
    for _ in range(ROUNDS):
        _drop_pacing_client()
        seen.clear()
        assert _race(lambda: seen.append(id(pacing._redis()))) == []
        assert len(set(seen)) == 1
        assert pacing._redis().ping()
    _drop_pacing_client()  # later tests count this process's pacing connections


def _drop_pacing_client() -> None:
    if pacing._client is not None:
        pacing._client.connection_pool.disconnect()
    pacing._client = None
