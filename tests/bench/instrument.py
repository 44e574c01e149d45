"""Worker-side timing for the benchmark, loaded by ``celery worker --include`` (no product change).

For every task it appends one JSON line to ``$BENCH_STATS_FILE``: when it started, how long it
took, and the number and time of its database queries, in all and by statement shape
("UPDATE sync_syncrun"), through Django's documented ``connection.execute_wrappers`` hook. The
benchmark sums a run's lines into database work and Celery hand-offs between batches.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time

from celery.signals import task_postrun, task_prerun

logger = logging.getLogger(__name__)


_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([\w.]+)"?', re.IGNORECASE)


def statement_shape(sql: str) -> str:
    """``"UPDATE sync_syncrun"``, ``"SELECT sync_contactlink FOR UPDATE"``, ``"SAVEPOINT"``…"""
    verb = (sql.split(None, 1) or ["?"])[0].upper()
    match = _TABLE.search(sql)
    if match:
        shape = f"{verb} {match.group(1)}"
    elif "(" in sql and verb == "SELECT":
        shape = sql[: sql.index("(")].strip()  # e.g. SELECT pg_try_advisory_lock
    else:
        shape = verb
    return shape + (" FOR UPDATE" if "FOR UPDATE" in sql.upper() else "")


class QueryTimer:
    """An execute wrapper that counts queries and their time, in all and by statement shape."""

    def __init__(self) -> None:
        self.queries = 0
        self.seconds = 0.0
        self.shapes: dict[str, list] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds += elapsed
            self.queries += 1
            entry = self.shapes.setdefault(statement_shape(sql), [0, 0.0])
            entry[0] += 1
            entry[1] += elapsed


_current: dict[str, object] = {}


@task_prerun.connect
def _start(task_id=None, task=None, **kwargs) -> None:
    from django.db import connection

    from tests.bench.dbtiming import TimedCommitConnection as commits

    timer = QueryTimer()
    connection.execute_wrappers.append(timer)
    _current.update(
        timer=timer,
        started=time.time(),
        perf=time.perf_counter(),
        commits=(commits.commits, commits.seconds),
    )


@task_postrun.connect
def _end(task_id=None, task=None, **kwargs) -> None:
    from django.db import connection

    timer = _current.pop("timer", None)
    if timer is None:
        return
    if timer in connection.execute_wrappers:
        connection.execute_wrappers.remove(timer)
    from tests.bench.dbtiming import TimedCommitConnection as commits

    commits_before, commit_seconds_before = _current["commits"]
    path = os.environ.get("BENCH_STATS_FILE")
    if not path:
        return
    line = {
        "task": getattr(task, "name", ""),
        "args": list(kwargs.get("args") or []),
        "started": _current["started"],
        "seconds": time.perf_counter() - _current["perf"],
        "db_queries": timer.queries,
        "db_seconds": timer.seconds,
        "shapes": timer.shapes,
        "commits": commits.commits - commits_before,
        "commit_seconds": commits.seconds - commit_seconds_before,
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
