"""Start Sync New Contacts for a workspace from the command line (operators)."""

from __future__ import annotations

import time
import uuid

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Workspace
from accounts.scoping import scope
from sync import runs
from sync.models import SyncRun


def find_workspace(value: str) -> Workspace:
    """A workspace by UUID, or the (first) workspace of the user with that email."""
    try:
        return Workspace.objects.get(pk=uuid.UUID(value))
    except (ValueError, Workspace.DoesNotExist):
        pass
    workspace = (
        Workspace.objects.filter(memberships__user__email__iexact=value)
        .order_by("memberships__created_at")
        .first()
    )
    if workspace is None:
        raise CommandError(f"No workspace with id or member email {value!r}.")
    return workspace


class Command(BaseCommand):
    help = "Run Sync New Contacts for a workspace through the same engine as the dashboard."
    kind = SyncRun.Kind.CONTACTS

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="Workspace UUID or member email.")
        parser.add_argument(
            "--wait", action="store_true", help="Wait for the run to end and print its counters."
        )
        parser.add_argument("--timeout", type=int, default=3600, help="Seconds to wait at most.")

    def handle(self, *args, **options):
        workspace = find_workspace(options["workspace"])
        with scope(workspace=workspace.pk):
            self._run(workspace, options)

    def _run(self, workspace, options):
        run, created = runs.start_run(workspace, self.kind, trigger=SyncRun.Trigger.OPERATOR)
        verb = "Started" if created else "Already active:"
        self.stdout.write(f"{verb} {run.kind_label} run {run.id} for {workspace.name}")
        if not options["wait"]:
            return
        deadline = time.monotonic() + options["timeout"]
        while run.is_active and time.monotonic() < deadline:
            time.sleep(1)
            run.refresh_from_db()
        self.stdout.write(
            f"Status: {run.status}; processed {run.processed}/{run.total}; "
            f"created in LACRM {run.created_in_lacrm}, in QuickBooks {run.created_in_qbo}; "
            f"matched {run.matched}; already matched {run.already_matched}; "
            f"needs review {run.needs_review}; skipped {run.skipped}; failed {run.failed}; "
            f"notes added {run.notes_added}"
        )
        if run.failure_reason:
            self.stdout.write(f"Reason: {run.failure_reason}")
        if run.is_active:
            raise CommandError("Timed out waiting for the run; it goes on in the background.")
        if run.status == SyncRun.Status.FAILED:
            raise CommandError("The run failed.")
