"""Undo in a real browser: run a sync, then undo it from the run's page.

Dashboard → Sync New Contacts → the run's page → Undo this run → the preview (counts, lists) →
tick the confirmation → the undo run's page until it completes → the original run says
"Undone". The preview is also read at phone width (390 px): it must not scroll sideways.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from integrations.sandbox.lacrm.models import SandboxLacrmContact
from integrations.sandbox.qbo.models import SandboxQboName
from sync.models import ContactLink, SyncRun
from tests.e2e.browsing import read, submit_and_wait, text, wait_text, waiter
from tests.sync.test_undo import seed

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RUN_TIMEOUT = 180


def sign_in(browser, cw, base: str) -> None:
    """Hand the browser the session of the signed-in test client (sign-up has its own test)."""
    browser.get(base + "/healthz")
    cookie = cw.client.cookies[settings.SESSION_COOKIE_NAME]
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "path": "/"})


def wait_completed(browser) -> None:
    wait_text(browser, "#run-status", "Completed", timeout=RUN_TIMEOUT)


def no_sideways_scroll(browser) -> bool:
    return browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )


def test_sync_then_undo_it_from_the_run_page(
    live_server, connected_workspace_empty, celery_worker_process, browser
):
    cw = connected_workspace_empty
    seed(cw)
    base = live_server.url
    sign_in(browser, cw, base)
    browser.get(base + "/dashboard/")
    waiter(browser).until(lambda b: b.find_element(By.ID, "sync-contacts").is_enabled())
    submit_and_wait(browser, By.ID, "sync-contacts", "Dashboard")
    wait_completed(browser)
    run = SyncRun.objects.get(workspace=cw.workspace, kind=SyncRun.Kind.CONTACTS)

    submit_and_wait(browser, By.LINK_TEXT, "Runtime logs →", "Sync New Contacts")
    submit_and_wait(browser, By.ID, "undo-run", "Undo Sync New Contacts")
    assert text(browser, "#undo-count-delete-lacrm") == "2"
    assert text(browser, "#undo-count-deactivate-qbo") == "2"
    assert text(browser, "#undo-count-unlink") == "5"
    assert "QuickBooks cannot delete customers" in text(browser, "#undo-list-deactivate-qbo")
    summary = text(browser, "#undo-summary")
    assert "delete 2 contacts in Less Annoying CRM" in summary
    assert "make 2 customers inactive in QuickBooks" in summary

    # At phone width the preview wraps instead of scrolling sideways.
    size = browser.get_window_size()
    browser.set_window_size(390, size["height"])
    try:
        assert read(browser, no_sideways_scroll), "the undo preview scrolls sideways at 390 px"
    finally:
        browser.set_window_size(size["width"], size["height"])

    read(browser, lambda b: b.find_element(By.ID, "undo-confirm-box").click() or True)
    submit_and_wait(browser, By.ID, "undo-start", "Undo a run")
    wait_completed(browser)
    assert text(browser, "#count-undo-deleted") == "2"
    assert text(browser, "#count-undo-inactive") == "2"
    assert text(browser, "#count-undo-unlinked") == "1"

    submit_and_wait(browser, By.ID, "undoes-run", "Sync New Contacts")
    assert text(browser, "#undone-badge") == "Undone"
    assert not browser.find_elements(By.ID, "undo-run")

    assert not ContactLink.objects.filter(workspace=cw.workspace).exists()
    assert SandboxLacrmContact.objects.filter(account=cw.lacrm_account).count() == 3
    assert not SandboxLacrmContact.objects.filter(
        account=cw.lacrm_account,
        uid__in=run.log_entries.filter(outcome="created").values("target_id"),
    ).exists()
    made = SandboxQboName.objects.filter(company=cw.qbo_company, display_name__in=["Lara Gamma"])
    assert [row.active for row in made] == [False]
