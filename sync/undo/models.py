"""Which run an undo run takes back."""

from __future__ import annotations

import uuid

from django.db import models

from accounts.scoping import WorkspaceManager


class RunUndo(models.Model):
    """One undo run of ``original``. A run counts as undone once one of its undos completed;
    a stopped or failed undo can be started again (it re-plans and skips what is done)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    original = models.ForeignKey("sync.SyncRun", on_delete=models.CASCADE, related_name="undos")
    undo_run = models.OneToOneField(
        "sync.SyncRun", on_delete=models.CASCADE, related_name="undo_of"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"undo {self.undo_run_id} of {self.original_id}"
