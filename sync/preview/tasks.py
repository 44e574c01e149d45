"""The preview's Celery task: a thin wrapper around ``build.build_preview``."""

from __future__ import annotations

from celery import current_app, shared_task
from django.db import transaction

from accounts.scoping import WorkspaceTask
from sync.preview.build import build_preview
from sync.preview.models import ContactPreview

BUILD_PREVIEW = "sync.preview.build"


class PreviewTask(WorkspaceTask):
    """A task about one preview: a message without ``workspace_id`` finds it through it."""

    abstract = True

    def workspace_of(self, preview_id, *args, **kwargs):
        return (
            ContactPreview.objects.with_scopes_disabled()
            .filter(pk=preview_id)
            .values_list("workspace_id", flat=True)
            .first()
        )


@shared_task(name=BUILD_PREVIEW, base=PreviewTask)
def build_contact_preview(preview_id: str) -> None:
    build_preview(preview_id)


def enqueue_build(preview: ContactPreview) -> None:
    """Send the build job once the preview row is committed."""
    kwargs = {"workspace_id": str(preview.workspace_id)}
    transaction.on_commit(
        lambda: current_app.send_task(BUILD_PREVIEW, args=[str(preview.id)], kwargs=kwargs)
    )
