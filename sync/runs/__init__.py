"""The run engine shared by every job kind (contact sync, linked-record updates, summaries).

It knows no job kind by name: each app registers its kinds (``sync.kinds.register``) and the
log outcomes they write (``sync.outcomes.register``) in its ``AppConfig.ready``.

- ``handler``: the ``RunHandler`` protocol a kind implements, and the ``BatchContext`` it gets;
- ``lifecycle``: start, stop, and "can a run start now?";
- ``engine``: plan, batches of 20, locks, recovery of runs whose worker died;
- ``logbook``: counters and log entries, moved together;
- ``dispatch``: enqueueing by task name (no import of ``sync.tasks``, so no cycle).
"""

from sync.runs.engine import BATCH_SIZE, execute_batch, execute_plan, recover_stale_runs
from sync.runs.handler import BatchContext, RunHandler, StopRun
from sync.runs.lifecycle import (
    active_run,
    connection_problems,
    request_stop,
    start_blockers,
    start_run,
)
from sync.runs.logbook import COUNTERS, bump, log_entries, log_entry

__all__ = [
    "BATCH_SIZE",
    "COUNTERS",
    "BatchContext",
    "RunHandler",
    "StopRun",
    "active_run",
    "bump",
    "connection_problems",
    "execute_batch",
    "execute_plan",
    "log_entries",
    "log_entry",
    "recover_stale_runs",
    "request_stop",
    "start_blockers",
    "start_run",
]
