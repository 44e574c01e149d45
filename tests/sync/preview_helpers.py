"""Helpers for the preview tests: make a preview over HTTP, wait for it, apply it, and read what
the sandbox was asked (reads only, or which writes)."""

from __future__ import annotations

from django.urls import reverse

from integrations.sandbox.models import SandboxCall
from sync import runs
from sync.models import SyncRun
from sync.preview.build import build_preview
from sync.preview.models import ContactPreview, PreviewItem
from tests.fixtures_worker import purge_broker, wait_for

QBO_WRITES = ("batch", "POST ")
LACRM_WRITES = ("Create", "Edit", "Delete")


def last_call_id() -> int:
    last = SandboxCall.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def calls_since(call_id: int):
    return SandboxCall.objects.filter(id__gt=call_id, system__in=("qbo", "lacrm"))


def writes_since(call_id: int) -> list[str]:
    """The sandbox calls after ``call_id`` that write (creates, updates, deletes, batches)."""
    return [
        f"{system} {operation}"
        for system, operation in calls_since(call_id).values_list("system", "operation")
        if (system == "qbo" and operation.startswith(QBO_WRITES))
        or (system == "lacrm" and operation.startswith(LACRM_WRITES))
    ]


def start_preview(cw) -> ContactPreview:
    """Press Preview Sync New Contacts on the dashboard (a POST, as the button does)."""
    before = set(ContactPreview.objects.filter(workspace=cw.workspace).values_list("id", flat=True))
    response = cw.client.post(reverse("sync:preview:start"))
    assert response.status_code == 302, response
    (preview,) = ContactPreview.objects.filter(workspace=cw.workspace).exclude(id__in=before)
    assert response["Location"] == reverse("sync:preview:detail", kwargs={"preview_id": preview.id})
    return preview


def ready(preview: ContactPreview, timeout: float = 120) -> ContactPreview:
    """Wait until a worker has made the preview; fail on a failed one."""

    def done():
        preview.refresh_from_db()
        return not preview.is_working

    wait_for(done, timeout=timeout, message=f"preview {preview.id} stayed {preview.status}")
    assert preview.status == ContactPreview.Status.READY, preview.failure_reason
    return preview


def preview_here(cw) -> ContactPreview:
    """Make a preview in this process, through the same function the task calls."""
    preview = start_preview(cw)
    purge_broker()  # The task start_preview sent is not for a worker.
    build_preview(preview.id)
    preview.refresh_from_db()
    assert preview.status == ContactPreview.Status.READY, preview.failure_reason
    return preview


def items(preview: ContactPreview, category: str | None = None):
    rows = PreviewItem.objects.filter(preview=preview)
    return rows.filter(category=category) if category else rows


def ids(preview: ContactPreview, category: str) -> set[str]:
    return set(items(preview, category).values_list("record_id", flat=True))


def untick(cw, preview: ContactPreview, *rows: PreviewItem) -> None:
    """Untick rows on the page and save (every other row shown stays ticked)."""
    data = {"shown": [str(r.pk) for r in rows], "keep": []}
    response = cw.client.post(
        reverse("sync:preview:items", kwargs={"preview_id": preview.id}), data
    )
    assert response.status_code == 302


def apply(cw, preview: ContactPreview) -> SyncRun:
    """Press Apply this plan; returns the run it started."""
    response = cw.client.post(reverse("sync:preview:apply", kwargs={"preview_id": preview.id}))
    assert response.status_code == 302, response
    run = preview.applications.order_by("-created_at").first().run
    assert response["Location"] == reverse("sync:run_detail", kwargs={"run_id": run.id})
    return run


def run_to_end_here(run: SyncRun) -> SyncRun:
    """Plan and process a queued run in this process, as the tasks do."""
    purge_broker()
    runs.execute_plan(str(run.id))
    run.refresh_from_db()
    while run.is_active:
        runs.execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
    purge_broker()
    return run
