"""Small Selenium helpers for the browser tests: explicit waits that survive page loads and swaps.

Two things make a browser test flaky on a busy machine, and every helper here handles both:

- A click that loads a page returns before the new document is there. Reading right after it
  reads the old page, or an element of it that is being thrown away. So every navigation waits
  until the old ``<html>`` element is gone, the new document has loaded and the new page's
  marker (its ``<h1>``) is present.
- An element found a moment ago can be replaced (a page load, or htmx swapping the run panel
  every two seconds). Chromium reports that race in more than one way; the reads retry on those
  (see :func:`is_transient`) and fail at once on anything else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

logger = logging.getLogger(__name__)

T = TypeVar("T")
Message = str | Callable[[], str]

PROGRESS = re.compile(r"(\d+) of (\d+)")
# How Chromium (156) and chromedriver report "the node you hold is no longer in the page":
# Selenium maps the W3C "stale element reference" error to its own class, but a node of a
# replaced document often comes back as a generic "unknown error" naming the DevTools failure,
# and a script run while the document is being swapped loses its execution context.
TRANSIENT_MESSAGES = (
    "stale element",
    "does not belong to the document",
    "no node with given id",
    "execution context was destroyed",
    "cannot find context with specified id",
)


def is_transient(error: WebDriverException) -> bool:
    """Whether ``error`` is a page-swap race worth looking again for, not a real failure."""
    if isinstance(error, TimeoutException):
        return False
    if isinstance(error, (NoSuchElementException, StaleElementReferenceException)):
        return True
    message = (error.msg or str(error)).lower()
    return any(fragment in message for fragment in TRANSIENT_MESSAGES)


class Waiter:
    """Poll a condition every 0.2 s until it is truthy; Chromium's page-swap races mean "not yet".

    Any other WebDriver error fails the wait at once. ``message`` may be a callable, so that a
    timeout reports what the page showed at the end rather than at the start of the wait.
    """

    def __init__(self, browser: WebDriver, timeout: float = 30) -> None:
        self.browser = browser
        self.timeout = timeout

    def until(self, condition: Callable[[WebDriver], T], message: Message = "") -> T:
        last_race: list[WebDriverException] = []

        def attempt(b: WebDriver) -> T | bool:
            try:
                return condition(b)
            except WebDriverException as error:
                if not is_transient(error):
                    raise
                last_race[:] = [error]
                return False

        wait = WebDriverWait(self.browser, self.timeout, poll_frequency=0.2)
        try:
            return wait.until(attempt)
        except TimeoutException:
            detail = message() if callable(message) else message
            if last_race:
                detail += f" (last race: {last_race[0].msg})"
            raise TimeoutException(f"after {self.timeout:g} s: {detail}") from None


def waiter(browser: WebDriver, timeout: float = 30) -> Waiter:
    """A :class:`Waiter` on ``browser``."""
    return Waiter(browser, timeout)


def read(browser: WebDriver, what: Callable[[WebDriver], T], timeout: float = 30) -> T:
    """Run ``what`` (a read of the page), retrying it on a page-swap race; returns its result."""
    return (
        waiter(browser, timeout)
        .until(lambda b: _Box(what(b)), lambda: f"could not read the page at {browser.current_url}")
        .value
    )


class _Box:
    """An always-truthy wrapper, so that a wait can return a falsy read such as "" or []."""

    def __init__(self, value) -> None:
        self.value = value


def text(browser: WebDriver, css: str) -> str:
    """The visible text of the first element matching ``css`` ("" when there is none)."""

    def first(b: WebDriver) -> str:
        found = b.find_elements(By.CSS_SELECTOR, css)
        return found[0].text.strip() if found else ""

    return read(browser, first)


def texts(browser: WebDriver, css: str) -> list[str]:
    """The texts of every element matching ``css``, read from one settled page."""
    return read(browser, lambda b: [e.text for e in b.find_elements(By.CSS_SELECTOR, css)])


def attribute(browser: WebDriver, by: str, value: str, name: str) -> str | None:
    """The attribute ``name`` of the element (``by``, ``value``)."""
    return read(browser, lambda b: b.find_element(by, value).get_attribute(name))


def wait_text(browser: WebDriver, css: str, expected: str, timeout: float = 30) -> str:
    """Wait until the element's text contains ``expected``; returns the text."""

    def shown(b: WebDriver) -> str | bool:
        found = text(b, css)
        return found if expected in found else False

    return waiter(browser, timeout).until(
        shown, lambda: f"{css!r} never showed {expected!r} (last: {text(browser, css)!r})"
    )


def _heading_is(browser: WebDriver, heading: str) -> bool:
    return text(browser, "h1").startswith(heading)


def wait_heading(browser: WebDriver, heading: str, timeout: float = 30) -> None:
    """Wait until the loaded page's <h1> starts with ``heading``."""
    waiter(browser, timeout).until(
        lambda b: loaded(b) and _heading_is(b, heading),
        lambda: f"page with heading {heading!r} never appeared (h1: {text(browser, 'h1')!r}, "
        f"url: {browser.current_url})",
    )


def loaded(browser: WebDriver) -> bool:
    """Whether the current document has finished loading (parsed, scripts and images in)."""
    return browser.execute_script("return document.readyState") == "complete"


def current_document(browser: WebDriver) -> WebElement:
    """The current page's ``<html>`` element: it goes stale once another page replaces it."""
    return read(browser, lambda b: b.find_element(By.TAG_NAME, "html"))


def is_stale(element: WebElement) -> bool:
    """Whether ``element`` has left the page (Chromium says so in several ways)."""
    try:
        element.is_enabled()
    except WebDriverException as error:
        if is_transient(error):
            return True
        raise
    return False


def wait_new_page(browser: WebDriver, old: WebElement, heading: str, timeout: float = 30) -> None:
    """Wait until the document ``old`` belonged to is gone and the new page has loaded, with
    its <h1> starting with ``heading`` (redirects have landed)."""
    waiter(browser, timeout).until(
        lambda b: is_stale(old) and loaded(b) and _heading_is(b, heading),
        lambda: f"no new page with heading {heading!r} (h1: {text(browser, 'h1')!r}, "
        f"url: {browser.current_url}, old page gone: {is_stale(old)})",
    )


def _click_once(browser: WebDriver, by: str, value: str, old: WebElement | None) -> bool:
    """One attempt at clicking; ``old``: the page, whose going stale means a click landed."""
    if old is not None and is_stale(old):
        # An earlier attempt's click went through and reported the race of the page it
        # unloaded; clicking again would submit twice.
        return True
    element = browser.find_element(by, value)
    if not (element.is_displayed() and element.is_enabled()):
        return False
    try:
        element.click()
    except ElementClickInterceptedException:
        # htmx put a fresh copy of the element where this one was; chromedriver checks the
        # hit target before it dispatches, so nothing was clicked and the next attempt can be.
        return False
    return True


def click(browser: WebDriver, by: str, value: str, timeout: float = 30) -> None:
    """Click an element that does not load a page, finding it again if htmx replaced it."""
    waiter(browser, timeout).until(
        lambda b: _click_once(b, by, value, None),
        lambda: f"could not click {value!r} on {browser.current_url}",
    )


def submit_and_wait(
    browser: WebDriver, by: str, value: str, heading: str, timeout: float = 30
) -> None:
    """Click something that loads a page and wait for the page whose <h1> starts with
    ``heading``."""
    old = current_document(browser)
    waiter(browser, timeout).until(
        lambda b: _click_once(b, by, value, old),
        lambda: f"could not click {value!r} on {browser.current_url}",
    )
    wait_new_page(browser, old, heading, timeout)


def progress(browser: WebDriver) -> tuple[int, int] | None:
    """The run panel's "N of M … processed" figures, if the panel shows them."""
    match = PROGRESS.search(text(browser, "#run-progress"))
    return (int(match.group(1)), int(match.group(2))) if match else None


def filter_logs(browser: WebDriver, outcome_label: str) -> list[str]:
    """Choose an outcome in the runtime-log filter, press Filter; returns the rows' texts."""
    heading = read(browser, lambda b: b.find_element(By.TAG_NAME, "h1").text)
    read(
        browser,
        lambda b: Select(b.find_element(By.ID, "outcome")).select_by_visible_text(outcome_label),
    )
    submit_and_wait(browser, By.CSS_SELECTOR, "form.filters button[type=submit]", heading)

    def rows(b: WebDriver) -> list[str]:
        selected = Select(b.find_element(By.ID, "outcome")).first_selected_option.text
        assert selected == outcome_label, f"the filter shows {selected!r}, not {outcome_label!r}"
        return [row.text for row in b.find_elements(By.CSS_SELECTOR, "table.logs tbody tr")]

    return read(browser, rows)


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
