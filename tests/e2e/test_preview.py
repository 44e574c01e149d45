"""In a real browser: preview Sync New Contacts → untick a row → apply → read the results.

The steps live in ``tests/e2e/preview_steps.py`` so a later test can go on from here (undo).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from sync.models import ContactLink, SyncLogEntry, SyncRun
from sync.preview.models import ContactPreview, PreviewItem
from tests.e2e.browsing import screenshot, submit_and_wait, text, texts
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


def test_preview_untick_a_row_apply_and_see_the_results(
    connected_workspace, celery_worker_process, browser, live_server, tmp_path
):
    cw = connected_workspace
    verified(cw.user)
    sign_in(browser, live_server.url, cw.user.email)
    preview_from_dashboard(browser)
    preview = ContactPreview.objects.get(workspace=cw.workspace)
    to_qbo = preview.count("create_in_qbo")
    assert f"{to_qbo}" in text(browser, "#count-create_in_qbo")
    assert "Can be applied until" in text(browser, "#preview-expiry")
    screenshot(browser, tmp_path / "preview.png")

    show_category(browser, "create_in_qbo")
    record = untick_first_row(browser)
    assert "1 excluded" in text(browser, ".messages")
    unticked = PreviewItem.objects.get(preview=preview, excluded=True)
    assert unticked.record_name in record and unticked.category == "create_in_qbo"
    assert f"({to_qbo - 1} ticked)" in text(browser, "#count-create_in_qbo")

    # The page fits a phone: nothing but the plan's table scrolls sideways.
    browser.set_window_size(390, 844)
    assert not page_scrolls_sideways(browser)
    screenshot(browser, tmp_path / "preview-390.png")
    browser.set_window_size(1280, 900)

    question = apply_plan(browser)
    assert question.startswith(f"Create {to_qbo - 1} in QuickBooks, ")
    assert wait_run_finished(browser) == "Completed"
    run = SyncRun.objects.get(workspace=cw.workspace)
    assert "applies" in text(browser, "#applied-preview-note")

    # The results: the unticked contact was not created, and the logs say why.
    assert not ContactLink.objects.filter(lacrm_id=unticked.record_id).exists()
    made = ContactLink.objects.filter(workspace=cw.workspace, method="created", target_system="qbo")
    failed = SyncLogEntry.objects.filter(run=run, outcome="failed").count()
    assert made.count() + failed >= to_qbo - 1 and made.count() == run.created_in_qbo
    browser.find_element(By.ID, "q").send_keys(unticked.record_name)
    submit_and_wait(
        browser, By.XPATH, "//form[@class='filters']//button[@type='submit']", "Sync New Contacts"
    )
    rows = texts(browser, "table.logs tbody tr")
    assert any("Excluded from the plan" in row for row in rows), rows
    screenshot(browser, tmp_path / "applied.png")
