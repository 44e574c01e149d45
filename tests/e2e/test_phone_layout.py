"""Every page at phone width (390 px) and desktop width (1366 px) in real Chromium.

At 390 px no page scrolls sideways (``scrollWidth <= clientWidth`` of the document), the
navigation folds behind a menu button that opens and closes from the keyboard, and the header's
Sign-up button keeps its button colours. Each page is saved as a screenshot at both widths
(into ``$LEDGERLINK_SHOTS`` when set, e.g. ``/tmp/shots-ui``, else the test's temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from accounts.models import User
from sync.models import ContactLink, SyncLogEntry, SyncRun
from tests.e2e.browsing import current_document, loaded, read, text, wait_new_page, waiter
from tests.fixtures_worker import purge_broker
from tests.sync.helpers import run_here

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = 390, 1366
# The pages issue 16 names for the no-sideways-scroll check (all others are checked too).
REQUIRED = {"dashboard", "logs", "review", "ledger", "settings"}


def emulate(browser, width: int, height: int = 900) -> None:
    """Make the viewport ``width`` CSS pixels wide, as a phone (touch, meta viewport) or not."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700},
    )


def open_page(browser, url: str) -> None:
    browser.get(url)
    waiter(browser).until(lambda b: loaded(b) and b.find_elements(By.TAG_NAME, "h1"), url)


def widths(browser) -> tuple[int, int]:
    return read(
        browser,
        lambda b: tuple(
            b.execute_script(
                "const d = document.documentElement; return [d.scrollWidth, d.clientWidth];"
            )
        ),
    )


def wider_elements(browser) -> list[str]:
    """What sticks out past the viewport (for the failure message)."""
    return browser.execute_script(
        """const w = document.documentElement.clientWidth; const out = [];
        for (const e of document.querySelectorAll('body *')) {
          const r = e.getBoundingClientRect();
          if (r.right > w + 1 && out.length < 8) out.push(`${e.tagName}#${e.id}.${e.className}`);
        }
        return out;"""
    )


def save(browser, folder: Path, name: str, width: int) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    emulate(browser, width, max(900, min(int(height), 6000)))
    try:
        assert browser.save_screenshot(str(folder / f"{name}-{width}.png"))
    finally:
        emulate(browser, width)


def sign_in(browser, base: str, user) -> None:
    """Carry a signed-in session into the browser (the sign-in form has its own test)."""
    client = Client()
    client.force_login(user)
    open_page(browser, base + "/accounts/login/")
    browser.add_cookie(
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        }
    )


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("LEDGERLINK_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_every_page_fits_a_phone_and_the_menu_folds(
    live_server, connected_workspace, browser, shots
):
    from summaries.kind import KIND as SUMMARIES

    connected = connected_workspace
    ws = connected.workspace
    contacts = run_here(ws)
    assert contacts.status == SyncRun.Status.COMPLETED, contacts.failure_reason
    run_here(ws, SUMMARIES)
    # A second summaries run right after: every contact is throttled, the panel says until when.
    throttled = run_here(ws, SUMMARIES)
    assert throttled.throttled > 0
    # A long name and email from the other system, to see them wrap.
    SyncLogEntry.objects.create(
        workspace=ws,
        run=contacts,
        outcome="failed",
        system="qbo",
        record_id="99999",
        record_name="Bartholomew-Maximilian Featherstonehaugh-Wolfeschlegelsteinhausen",
        record_email="bartholomew.maximilian.featherstonehaugh@averyveryverylongdomainname.example",
        reason="QuickBooks rejected it: " + "a very long reason without breaks " * 4,
    )
    SyncRun.objects.filter(pk=contacts.pk).update(failed=contacts.failed + 1)
    contacts.refresh_from_db()
    assert contacts.failed == 2
    assert ContactLink.objects.filter(workspace=ws, state="needs_review").exists()
    pair = ContactLink.objects.filter(workspace=ws, state="linked").first()
    base = live_server.url
    pages = {
        "dashboard": reverse("dashboard"),
        "logs": reverse("sync:run_detail", kwargs={"run_id": contacts.id}),
        "logs-long-search": reverse("sync:run_detail", kwargs={"run_id": contacts.id})
        + "?q="
        + "x" * 300,
        "summaries-logs": reverse("sync:run_detail", kwargs={"run_id": throttled.id}),
        "review": reverse("sync:review"),
        "ledger": reverse("sync:ledger"),
        "unmatched": reverse("sync:ledger") + "?filter=unmatched_qbo",
        "pair": reverse("sync:ledger_detail", kwargs={"link_id": pair.id}),
        "settings": reverse("sync:settings"),
        "connections": reverse("integrations:index"),
        "lacrm-connect": reverse("integrations:lacrm_connect"),
        "field-preview": reverse("sync:field_preview"),
        "workspace": reverse("workspace_settings", kwargs={"workspace_id": ws.id}),
        "not-found": "/no-such-page/",
    }
    browser.set_window_size(DESKTOP, 900)
    sign_in(browser, base, connected.user)
    overflowing = {}
    for name, path in pages.items():
        for width in (DESKTOP, PHONE):
            emulate(browser, width)
            open_page(browser, base + path)
            scroll, client = widths(browser)
            if width == PHONE and scroll > client:
                overflowing[name] = (scroll, client, wider_elements(browser))
            save(browser, shots, name, width)
    assert set(pages) >= REQUIRED
    emulate(browser, PHONE)
    open_page(browser, base + reverse("dashboard"))
    notice = browser.find_element(By.CSS_SELECTOR, "#run-panel .run-notice").text
    assert "had a summary note less than 24 hours old" in notice and "after" in notice
    assert not overflowing, f"pages wider than the phone: {overflowing}"

    # The menu at phone width: closed, opened by its button, closed again with Escape.
    emulate(browser, PHONE)
    open_page(browser, base + reverse("dashboard"))
    nav = browser.find_element(By.ID, "site-nav")
    toggle = browser.find_element(By.ID, "menu-toggle")
    assert toggle.is_displayed() and not nav.is_displayed()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.send_keys(Keys.ENTER)  # a real <button>: the keyboard opens it
    waiter(browser).until(lambda b: nav.is_displayed(), "the menu did not open")
    assert toggle.get_attribute("aria-expanded") == "true"
    links = [a.text for a in nav.find_elements(By.TAG_NAME, "a")]
    assert "Matched records" in links and "Settings" in links
    save(browser, shots, "menu-open", PHONE)
    toggle.send_keys(Keys.ESCAPE)
    waiter(browser).until(lambda b: not nav.is_displayed(), "Escape did not close the menu")
    # At desktop width there is no menu button and the links are in the bar.
    emulate(browser, DESKTOP)
    assert not toggle.is_displayed() and nav.is_displayed()

    # Retry failed items, on a phone: it asks first, then queues a run of just those records.
    emulate(browser, PHONE)
    open_page(browser, base + reverse("sync:run_detail", kwargs={"run_id": contacts.id}))
    old = current_document(browser)
    browser.find_element(By.ID, "retry-failed").click()
    dialog = waiter(browser).until(EC.alert_is_present(), "no confirmation was asked")
    assert "Retry the 2 failed items of this run?" in dialog.text
    dialog.accept()
    wait_new_page(browser, old, "Dashboard")
    assert "Retrying the 2 failed items." in text(browser, ".messages")
    retry = SyncRun.objects.get(retry_of=contacts)
    assert retry.kind == SyncRun.Kind.CONTACTS and retry.is_active
    purge_broker()  # No worker runs here; the queued task is not for anyone.


def test_signed_out_pages_fit_a_phone_and_sign_up_is_a_visible_button(
    live_server, browser, shots, db
):
    base = live_server.url
    User.objects.create_superuser(email="root@example.com", password="x-long-password-1")
    pages = {"home": "/", "login": "/accounts/login/", "signup": "/accounts/signup/"}
    overflowing = {}
    for name, path in pages.items():
        for width in (DESKTOP, PHONE):
            emulate(browser, width)
            open_page(browser, base + path)
            scroll, client = widths(browser)
            if width == PHONE and scroll > client:
                overflowing[name] = (scroll, client, wider_elements(browser))
            save(browser, shots, name, width)
    assert not overflowing, f"pages wider than the phone: {overflowing}"

    emulate(browser, DESKTOP)
    open_page(browser, base + "/")
    colours = browser.execute_script(
        """const a = document.querySelector('header nav a.button'); const s = getComputedStyle(a);
        return [s.color, s.backgroundColor];"""
    )
    assert colours == ["rgb(255, 255, 255)", "rgb(31, 111, 92)"], colours  # white on brand green

    # The superuser from the README lands on a page that says what to do, at both widths.
    sign_in(browser, base, User.objects.get(email="root@example.com"))
    for width in (DESKTOP, PHONE):
        emulate(browser, width)
        open_page(browser, base + reverse("dashboard"))
        assert browser.find_element(By.TAG_NAME, "h1").text == "This account has no workspace"
        scroll, client = widths(browser)
        assert width == DESKTOP or scroll <= client
        save(browser, shots, "no-workspace", width)
