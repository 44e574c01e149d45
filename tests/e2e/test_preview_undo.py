"""In a real browser, the whole of issue 15: preview → untick a row → apply → undo.

The first three steps are the preview's own (``tests/e2e/preview_steps.py``); then, on the run
that applied the plan, Undo this run → its preview → the confirmation → the undo run completes,
and exactly what the apply created is taken back while the unticked record stays untouched.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from integrations.sandbox.lacrm.models import SandboxLacrmContact
from integrations.sandbox.qbo.models import SandboxQboName
from sync.models import ContactLink, SyncLogEntry, SyncRun
from sync.preview.models import PreviewItem
from tests.e2e.browsing import read, submit_and_wait, text
from tests.e2e.preview_steps import (
    apply_plan,
    page_scrolls_sideways,
    preview_from_dashboard,
    show_category,
    sign_in,
    untick_first_row,
    verified,
    wait_run_finished,
)

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_preview_untick_a_row_apply_then_undo_the_applied_run(
    connected_workspace, celery_worker_process, browser, live_server
):
    cw = connected_workspace
    verified(cw.user)
    sign_in(browser, live_server.url, cw.user.email)
    preview_from_dashboard(browser)
    show_category(browser, "create_in_qbo")
    untick_first_row(browser)
    unticked = PreviewItem.objects.get(preview__workspace=cw.workspace, excluded=True)
    apply_plan(browser)
    assert wait_run_finished(browser) == "Completed"
    run = SyncRun.objects.get(workspace=cw.workspace, kind=SyncRun.Kind.CONTACTS)
    created = SyncLogEntry.objects.filter(run=run, outcome="created")
    made_in_lacrm = list(created.filter(system="qbo").values_list("target_id", flat=True))
    made_in_qbo = list(created.filter(system="lacrm").values_list("target_id", flat=True))
    assert made_in_lacrm and made_in_qbo

    submit_and_wait(browser, By.ID, "undo-run", "Undo Sync New Contacts")
    assert text(browser, "#undo-count-delete-lacrm") == str(len(made_in_lacrm))
    assert text(browser, "#undo-count-deactivate-qbo") == str(len(made_in_qbo))
    assert text(browser, "#undo-count-left-alone") == "0"
    browser.set_window_size(390, 844)
    assert not page_scrolls_sideways(browser)
    browser.set_window_size(1280, 900)
    read(browser, lambda b: b.find_element(By.ID, "undo-confirm-box").click() or True)
    submit_and_wait(browser, By.ID, "undo-start", "Undo a run")
    assert wait_run_finished(browser) == "Completed"
    assert text(browser, "#count-undo-deleted") == str(len(made_in_lacrm))
    assert text(browser, "#count-undo-inactive") == str(len(made_in_qbo))

    # What the apply created is gone from LACRM and inactive in QuickBooks; no link it made is
    # left; the unticked contact was never created and is still there, unlinked.
    assert not SandboxLacrmContact.objects.filter(uid__in=made_in_lacrm).exists()
    customers = SandboxQboName.objects.filter(
        company=cw.qbo_company, qbo_id__in=[int(i) for i in made_in_qbo]
    )
    assert customers.count() == len(made_in_qbo) and not customers.filter(active=True).exists()
    assert not ContactLink.objects.filter(workspace=cw.workspace, method="created").exists()
    assert SandboxLacrmContact.objects.filter(uid=unticked.record_id).exists()
    assert not ContactLink.objects.filter(lacrm_id=unticked.record_id).exists()
    submit_and_wait(browser, By.ID, "undoes-run", "Sync New Contacts")
    assert text(browser, "#undone-badge") == "Undone"
