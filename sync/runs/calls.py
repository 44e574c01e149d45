"""A small thread pool for a batch's API calls (``CallPool``).

A batch of 20 has several calls in flight at once, each still paced by the shared Redis limiter
(``integrations.pacing``), so one tenant reaches its own limit at 150–250 ms latency and the
QuickBooks and LACRM creates of a batch proceed at the same time.

Threads, not gevent or an async client: the clients are requests-based and blocking, the worker
stays prefork (or threads) as it is, and nothing needs monkey-patching. The calls wait on the
network and on Redis, not on the CPU, so the GIL costs nothing here.

Each task runs in a copy of the submitting thread's context (the workspace scope is a context
variable) and closes the database connection it may have opened (a token refresh, an adopt
look), so no connection outlives the batch.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from django.conf import settings
from django.db import connections

# Calls in flight per batch (the setting ``SYNC_CALLS_IN_FLIGHT``, config/queues.py, overrides);
# the Redis limiter still decides the rate. LACRM's own in-flight cap is 4.
CALLS_IN_FLIGHT = 4


def calls_in_flight() -> int:
    return int(getattr(settings, "SYNC_CALLS_IN_FLIGHT", CALLS_IN_FLIGHT))


class CallPool:
    """Run callables on up to ``width`` threads; ``submit`` blocks while all are busy, so the
    caller checks Stop (and claims) just before each call really starts."""

    def __init__(self, width: int | None = None, on_wait: Callable[[], Any] | None = None):
        self.width = max(1, width or calls_in_flight())
        self._executor = ThreadPoolExecutor(max_workers=self.width, thread_name_prefix="sync-call")
        self._slots = threading.BoundedSemaphore(self.width)
        self._futures: list[Future] = []
        self._on_wait = on_wait
        self.max_in_flight = 0
        self._in_flight = 0
        self._count_lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        while not self._slots.acquire(timeout=5):
            if self._on_wait is not None:
                self._on_wait()  # Proof of life while every slot waits on a slow call.
        context = contextvars.copy_context()
        future = self._executor.submit(context.run, self._run, fn, *args)
        self._futures.append(future)
        return future

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._count_lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            return fn(*args)
        finally:
            with self._count_lock:
                self._in_flight -= 1
            connections.close_all()  # This thread's connections only.
            self._slots.release()

    def wait_all(self) -> None:
        """Wait for every call submitted (results and errors stay on their futures)."""
        pending = {f for f in self._futures if not f.done()}
        while pending:
            _, pending = wait(pending, timeout=5, return_when=FIRST_COMPLETED)
            if pending and self._on_wait is not None:
                self._on_wait()

    def close(self) -> None:
        self.wait_all()
        self._executor.shutdown(wait=True)

    def __enter__(self) -> CallPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
