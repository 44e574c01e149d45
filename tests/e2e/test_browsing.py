"""The browser helpers tell Chromium's page-swap races from real failures (no browser needed)."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)

from tests.e2e.browsing import is_transient

CHROMIUM_156_RACE = (
    'unknown error: unhandled inspector error: {"code":-32000,'
    '"message":"Node with given id does not belong to the document"}'
)


@pytest.mark.parametrize(
    "error",
    [
        StaleElementReferenceException("stale element reference: stale element not found"),
        NoSuchElementException("no such element: Unable to locate element"),
        WebDriverException(CHROMIUM_156_RACE),
        WebDriverException("javascript error: Execution context was destroyed."),
    ],
)
def test_a_node_lost_to_a_page_swap_is_looked_for_again(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        WebDriverException("disconnected: not connected to DevTools"),
        WebDriverException("chrome not reachable"),
        WebDriverException("invalid selector: An invalid or illegal selector was specified"),
        TimeoutException("the old page never went stale"),
    ],
)
def test_a_real_browser_failure_is_not_retried(error):
    assert not is_transient(error)
