"""What a run kind implements (``RunHandler``) and what the engine gives it (``BatchContext``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from django.db import connection
from django.utils import timezone

if TYPE_CHECKING:
    from sync.models import SyncRun, SyncWorkItem


# Seconds between heartbeats written by ``should_stop`` (``SYNC_STALE_AFTER_SECONDS``, 60 by
# default, is how old a heartbeat must be before stale-run recovery steps in).
HEARTBEAT_EVERY = 5.0


class StopRun(Exception):
    """Raised by a handler to end the run as failed with a human reason."""


class BatchContext:
    """What a handler may ask while processing a batch: should it stop, and proof of life."""

    def __init__(self, run: SyncRun) -> None:
        self.run = run
        self._beat_at = float("-inf")  # monotonic time of the last heartbeat written

    def should_stop(self) -> bool:
        """Checked before every contact: the contact in flight finishes, nothing is half-done.

        One statement reads the stop request; every ``HEARTBEAT_EVERY`` seconds the same
        statement also records the heartbeat (an UPDATE per contact cost more than the rest of
        a batch's database work; stale-run recovery waits a minute, not seconds).
        """
        from sync.models import SyncRun

        table = SyncRun._meta.db_table
        with connection.cursor() as cursor:
            if time.monotonic() - self._beat_at >= HEARTBEAT_EVERY:
                cursor.execute(
                    f"UPDATE {table} SET heartbeat_at = %s "  # noqa: S608
                    "WHERE id = %s RETURNING stop_requested",
                    [timezone.now(), self.run.pk],
                )
                self._beat_at = time.monotonic()
            else:
                cursor.execute(
                    f"SELECT stop_requested FROM {table} WHERE id = %s",  # noqa: S608
                    [self.run.pk],
                )
            row = cursor.fetchone()
        return row is None or bool(row[0])

    def heartbeat(self) -> None:
        from sync.models import SyncRun

        SyncRun.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now())
        self._beat_at = time.monotonic()


class RunHandler(Protocol):
    """A run kind's work: read, plan (one transaction), then act batch by batch."""

    def pull(self, run: SyncRun, ctx: BatchContext) -> object:
        """Read what the plan needs from the providers (no writes); may raise IntegrationError."""

    def write_plan(self, run: SyncRun, pulled: object) -> None:
        """Write ledger rows, log entries, counters and work items (called inside a transaction).

        Nothing of a plan is written until all of it is, so a worker killed while planning leaves
        nothing behind and the plan simply runs again.
        """

    def process(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        """Act on one batch of work items, marking each done as it finishes."""
