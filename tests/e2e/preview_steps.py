"""Browser steps for Preview Sync New Contacts, reusable by other browser tests (e.g. undo):
sign in, preview, untick a row, apply with the confirmation, wait for the run to end."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC

from tests.e2e.browsing import (
    click,
    current_document,
    loaded,
    submit_and_wait,
    text,
    wait_new_page,
    waiter,
)

PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory's


def verified(user) -> None:
    """Mark the user's email as confirmed (test set-up: the sign-up test walks that part)."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def sign_in(browser: WebDriver, base_url: str, email: str, password: str = PASSWORD) -> None:
    browser.get(f"{base_url}/accounts/login/")
    waiter(browser).until(loaded, "the sign-in page did not load")
    browser.find_element(By.NAME, "login").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    submit_and_wait(browser, By.CSS_SELECTOR, "form button[type=submit]", "Dashboard")


def preview_from_dashboard(browser: WebDriver, timeout: float = 120) -> None:
    """Click Preview Sync New Contacts and wait until the worker has made the plan (the page
    polls its progress and reloads itself when the plan is ready)."""
    submit_and_wait(browser, By.ID, "preview-contacts", "Preview Sync New Contacts")
    waiter(browser, timeout).until(
        lambda b: b.find_elements(By.ID, "plan-summary") and loaded(b),
        lambda: f"the plan never showed (status: {text(browser, '#preview-status')!r})",
    )


def show_category(browser: WebDriver, category: str) -> None:
    submit_and_wait(browser, By.ID, f"count-{category}", "Preview Sync New Contacts")


def untick_first_row(browser: WebDriver) -> str:
    """Untick the first tickable row shown and save; returns the row's record text."""
    box = browser.find_element(By.CSS_SELECTOR, "#plan-items input[name=keep]:checked")
    row_id = box.get_attribute("id").removeprefix("keep-")
    record = text(browser, f"#item-{row_id} td:nth-child(3)")
    click(browser, By.ID, box.get_attribute("id"))
    submit_and_wait(browser, By.ID, "save-ticks", "Preview Sync New Contacts")
    return record


def apply_plan(browser: WebDriver) -> str:
    """Click Apply this plan, accept the confirmation; returns the question it asked."""
    old = current_document(browser)
    click(browser, By.ID, "apply-plan")
    alert = waiter(browser, 10).until(EC.alert_is_present(), "no confirmation dialog")
    question = alert.text
    alert.accept()
    wait_new_page(browser, old, "Sync New Contacts")
    return question


def wait_run_finished(browser: WebDriver, timeout: float = 180) -> str:
    """Wait on the run page until the run has ended (it reloads itself); returns the status."""
    waiter(browser, timeout).until(
        lambda b: text(b, "#run-status") in ("Completed", "Stopped", "Failed"),
        lambda: f"the run did not end (status {text(browser, '#run-status')!r})",
    )
    return text(browser, "#run-status")


def page_scrolls_sideways(browser: WebDriver) -> bool:
    """Whether the page itself is wider than the window (tables may scroll inside cards)."""
    return browser.execute_script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
