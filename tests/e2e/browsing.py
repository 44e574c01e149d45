"""Small Selenium helpers for the browser tests: explicit waits that survive htmx swaps."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

logger = logging.getLogger(__name__)

# htmx replaces the run panel every two seconds, so an element found a moment ago may be gone;
# waits retry instead of failing on that.
TRANSIENT = (NoSuchElementException, StaleElementReferenceException)
PROGRESS = re.compile(r"(\d+) of (\d+)")


def waiter(browser: WebDriver, timeout: float = 30) -> WebDriverWait:
    """A WebDriverWait polling every 0.2 s that ignores elements vanishing mid-check."""
    return WebDriverWait(browser, timeout, poll_frequency=0.2, ignored_exceptions=TRANSIENT)


def text(browser: WebDriver, css: str) -> str:
    """The visible text of the first element matching ``css`` ("" when there is none)."""
    try:
        found = browser.find_elements(By.CSS_SELECTOR, css)
        return found[0].text.strip() if found else ""
    except WebDriverException:
        # Mid-swap (htmx or a page load): the caller's wait simply looks again.
        return ""


def wait_text(browser: WebDriver, css: str, expected: str, timeout: float = 30) -> str:
    """Wait until the element's text contains ``expected``; returns the text."""
    waiter(browser, timeout).until(
        lambda b: expected in text(b, css),
        f"{css!r} never showed {expected!r} (last: {text(browser, css)!r})",
    )
    return text(browser, css)


def wait_heading(browser: WebDriver, heading: str, timeout: float = 30) -> None:
    """Wait for a page whose <h1> starts with ``heading`` (the navigation has finished)."""
    waiter(browser, timeout).until(
        lambda b: text(b, "h1").startswith(heading),
        f"page with heading {heading!r} never appeared (h1: {text(browser, 'h1')!r}, "
        f"url: {browser.current_url})",
    )


def click(browser: WebDriver, by: str, value: str, timeout: float = 30) -> None:
    """Click an element once it is clickable, finding it again if htmx replaced it."""

    def attempt(b: WebDriver) -> bool:
        element = EC.element_to_be_clickable((by, value))(b)
        if not element:
            return False
        element.click()
        return True

    waiter(browser, timeout).until(attempt, f"could not click {value!r} on {browser.current_url}")


def wait_loaded(browser: WebDriver, timeout: float = 30) -> None:
    """Wait until the new document has finished loading (not just the old one unloading)."""
    waiter(browser, timeout).until(
        lambda b: b.execute_script("return document.readyState") == "complete",
        "the page never finished loading",
    )


def submit_and_wait(browser: WebDriver, by: str, value: str, timeout: float = 30) -> None:
    """Click something that loads a new page and wait until the new page has loaded."""
    old = browser.find_element(By.TAG_NAME, "html")
    click(browser, by, value, timeout)
    waiter(browser, timeout).until(EC.staleness_of(old), f"{value!r} did not load a new page")
    wait_loaded(browser, timeout)


def button_with_text(browser: WebDriver, label: str, scope: str = "body") -> WebElement:
    """The first button under ``scope`` whose text contains ``label``."""
    for button in browser.find_elements(By.CSS_SELECTOR, f"{scope} button"):
        if label in button.text:
            return button
    raise NoSuchElementException(f"no button {label!r} in {scope!r}")


def progress(browser: WebDriver) -> tuple[int, int] | None:
    """The run panel's "N of M … processed" figures, if the panel shows them."""
    match = PROGRESS.search(text(browser, "#run-progress"))
    return (int(match.group(1)), int(match.group(2))) if match else None


def filter_logs(browser: WebDriver, outcome_label: str) -> list[str]:
    """Choose an outcome in the runtime-log filter, press Filter; returns the rows' texts."""
    old = browser.find_element(By.TAG_NAME, "html")
    Select(browser.find_element(By.ID, "outcome")).select_by_visible_text(outcome_label)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    waiter(browser).until(EC.staleness_of(old), f"filtering by {outcome_label!r} did not reload")
    wait_loaded(browser)

    def rows(b: WebDriver) -> list[str] | None:
        # Chromium may still be swapping documents: "node does not belong to the document".
        try:
            selected = Select(b.find_element(By.ID, "outcome")).first_selected_option.text
            found = [row.text for row in b.find_elements(By.CSS_SELECTOR, "table.logs tbody tr")]
        except WebDriverException:
            return None
        return found if selected == outcome_label else None

    return waiter(browser).until(rows, f"the logs filtered by {outcome_label!r} never showed")


def screenshot(browser: WebDriver, path: Path) -> Path:
    """Save a full-height screenshot of the current page (the window grows to fit it)."""
    width = browser.get_window_size()["width"]
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, max(900, min(int(height) + 120, 4000)))
    try:
        assert browser.save_screenshot(str(path)), f"no screenshot written to {path}"
    finally:
        browser.set_window_size(width, 900)
    logger.info("screenshot %s", path)
    return path
