"""A psycopg2 connection class that times COMMITs, for the benchmark's worker (no product change).

``tests.bench.settings`` passes it as ``connection_factory`` (a documented ``psycopg2.connect``
option, reached through ``DATABASES["default"]["OPTIONS"]``) when ``BENCH_STATS_FILE`` is set.
Django's execute wrappers see every statement but not the COMMIT that ends a
``transaction.atomic`` block, and with ``synchronous_commit`` each COMMIT waits for the WAL flush.
"""

from __future__ import annotations

import logging
import time

import psycopg2.extensions

logger = logging.getLogger(__name__)


class TimedCommitConnection(psycopg2.extensions.connection):
    """Counts COMMITs and their time, per process (the class attributes)."""

    commits = 0
    seconds = 0.0

    def commit(self) -> None:
        started = time.perf_counter()
        try:
            super().commit()
        finally:
            TimedCommitConnection.commits += 1
            TimedCommitConnection.seconds += time.perf_counter() - started
