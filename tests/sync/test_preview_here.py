"""Preview Sync New Contacts and applying it, run in this process against the sandbox over HTTP
(the same functions the worker's tasks call); ``test_preview_worker.py`` repeats the key cases
through a real Celery worker."""

from __future__ import annotations

import pytest

from sync.models import ContactLink, SyncLogEntry, SyncRun
from tests.sync.helpers import both_sides
from tests.sync.preview_helpers import (
    apply,
    ids,
    items,
    last_call_id,
    preview_here,
    run_to_end_here,
    writes_since,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_preview_then_apply_does_exactly_the_plan(connected_workspace):
    cw = connected_workspace
    before = last_call_id()
    preview = preview_here(cw)
    assert writes_since(before) == []
    assert not ContactLink.objects.filter(workspace=cw.workspace).exists()
    assert preview.count("create_in_qbo") and preview.count("create_in_lacrm")
    assert preview.count("link") and preview.count("review")

    run = run_to_end_here(apply(cw, preview))
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    created = ContactLink.objects.filter(workspace=cw.workspace, method="created")
    # The demo data holds a few records QuickBooks refuses (an email without a dot): those are
    # the run's failures, with the reason; everything else previewed was created.
    failed = set(
        SyncLogEntry.objects.filter(run=run, outcome="failed").values_list("record_id", flat=True)
    )
    in_qbo = set(created.filter(target_system="qbo").values_list("lacrm_id", flat=True))
    in_lacrm = set(created.filter(target_system="lacrm").values_list("qbo_id", flat=True))
    assert in_qbo | (failed & ids(preview, "create_in_qbo")) == ids(preview, "create_in_qbo")
    assert in_lacrm | (failed & ids(preview, "create_in_lacrm")) == ids(preview, "create_in_lacrm")
    assert not (in_qbo | in_lacrm) & failed
    linked = ContactLink.objects.filter(workspace=cw.workspace, state="linked").exclude(
        method="created"
    )
    assert set(linked.values_list("qbo_id", flat=True)) == ids(preview, "link")
    assert not SyncLogEntry.objects.filter(run=run, outcome="preview_changed").exists()
    # Each customer got the DisplayName the preview said, collisions with existing customers
    # and with customers created earlier in the plan included.
    qbo, _ = both_sides(cw.workspace)
    made = dict(created.filter(target_system="qbo").values_list("lacrm_id", "qbo_id"))
    said = {
        item.record_id: dict(item.fields)["DisplayName"]
        for item in items(preview, "create_in_qbo")
        if item.record_id in made
    }
    assert {rid: qbo[made[rid]].display_name for rid in said} == said
    assert any(" (" in name for name in said.values()), "the demo data has a name collision"
