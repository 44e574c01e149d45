"""The ``changes`` run kind: apply announced changes, planning only the affected records.

Its plan is Sync New Contacts' planner (``sync.contacts.plan``) over the pulled records, so a
new record is matched by the same rules, created on the other side under the same outbox
rule, and a linked pair's fields are updated under the workspace's precedence rules; the
batches are Sync New Contacts' own.
"""

from __future__ import annotations

from sync.contacts.handler import ContactSyncHandler
from sync.continuous.pull import ChangesPulled, pull_changes
from sync.continuous.writes import write_changes_plan
from sync.models import SyncRun
from sync.runs import BatchContext


class ChangesHandler(ContactSyncHandler):
    """Plans from change events; processes its work items as Sync New Contacts does."""

    kind = "changes"

    def pull(self, run: SyncRun, ctx: BatchContext) -> ChangesPulled:
        return pull_changes(run, ctx)

    def write_plan(self, run: SyncRun, pulled: ChangesPulled) -> None:
        write_changes_plan(run, pulled)
