"""A newcomer walks the whole product in a real browser, from sign-up to the review queue.

Sign up → connect QuickBooks (sandbox consent page) and Less Annoying CRM (sandbox API key) →
Sync New Contacts → Stop → Sync again → runtime logs → Update Invoice Summaries → link a review
case by hand. Everything is done by clicking; the ORM is only read to check outcomes, and the
sandbox latency knob is test setup (it makes the first batch slow enough to stop).
"""

from __future__ import annotations

import logging
import re
import time

import pytest
from django.core import mail
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from accounts.models import User, Workspace
from integrations.models import LacrmConnection, QuickBooksConnection
from integrations.sandbox import runtime
from integrations.sandbox.demo_data.demo import FRANK_EMAIL
from integrations.sandbox.lacrm.models import SandboxLacrmAccount
from integrations.sandbox.models import SandboxKnobs, SandboxScript
from summaries.kind import KIND as SUMMARIES_KIND
from sync.models import ContactLink, SyncLogEntry, SyncRun
from sync.runs import BATCH_SIZE
from tests.e2e.browsing import (
    attribute,
    click,
    current_document,
    filter_logs,
    loaded,
    progress,
    read,
    screenshot,
    submit_and_wait,
    text,
    texts,
    wait_heading,
    wait_new_page,
    wait_text,
    waiter,
)

logger = logging.getLogger(__name__)

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EMAIL = "dana@example.com"
PASSWORD = "quiet-harbour-2291-lantern"
# Per sandbox call while the first run should be stoppable; long enough that the first batch
# outlasts a poll of the progress panel (every 2 s) and the click on Stop.
SLOW_MS = 300
RUN_TIMEOUT = 180


def test_newcomer_walks_signup_connect_sync_stop_resume_logs_summaries_review(
    live_server,
    sandbox,
    calls_one_at_a_time,
    celery_worker_process,
    browser,
    tmp_path,
    release_holds,
):
    started = time.monotonic()
    base = live_server.url

    sign_up_and_verify(browser, base)
    connect_quickbooks(browser)
    connect_lacrm(browser)
    first, second = sync_stop_and_sync_again(browser, tmp_path)
    read_the_logs(browser, first, second, tmp_path)
    update_invoice_summaries(browser)
    link_a_review_case_by_hand(browser, tmp_path)
    logger.info("walkthrough took %.1f s", time.monotonic() - started)


def _workspace() -> Workspace:
    return Workspace.objects.get(memberships__user__email=EMAIL)


def sign_up_and_verify(browser, base: str) -> None:
    """Sign up, open the emailed link, confirm: the dashboard says nothing can run yet."""
    browser.get(base + "/")
    submit_and_wait(browser, By.LINK_TEXT, "Create your workspace", "Sign Up")
    browser.find_element(By.NAME, "email").send_keys(EMAIL)
    browser.find_element(By.NAME, "password1").send_keys(PASSWORD)
    browser.find_element(By.NAME, "password2").send_keys(PASSWORD)
    submit_and_wait(
        browser, By.CSS_SELECTOR, "form button[type=submit]", "Verify Your Email Address"
    )

    # The live server runs in this process, so the confirmation mail is in the locmem outbox.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    browser.get(link)
    wait_heading(browser, "Confirm Email Address")
    submit_and_wait(browser, By.CSS_SELECTOR, "form button[type=submit]", "Dashboard")
    assert User.objects.get(email=EMAIL).emailaddress_set.get().verified

    for button in ("sync-contacts", "update-summaries"):
        enabled = read(browser, lambda b, button=button: b.find_element(By.ID, button).is_enabled())
        assert not enabled, f"#{button} is enabled before anything is connected"
        assert "not connected" in attribute(browser, By.ID, button, "title")
    help_text = text(browser, ".card .help")
    assert "QuickBooks is not connected" in help_text
    assert "Less Annoying CRM is not connected" in help_text


def connect_quickbooks(browser) -> None:
    """Connections → Connect to QuickBooks → the sandbox's Intuit consent page → Connect."""
    submit_and_wait(browser, By.ID, "nav-integrations", "Connections")
    assert "Not connected" in text(browser, "#qbo-card")
    submit_and_wait(
        browser,
        By.XPATH,
        "//button[normalize-space()='Connect to QuickBooks']",
        "Connect LedgerLink to Sandbox Company",
    )
    company = text(browser, "h1").removeprefix("Connect LedgerLink to ")
    assert "quickbooks" in text(browser, ".logo")
    submit_and_wait(browser, By.CSS_SELECTOR, "button.connect", "Connections")
    card = wait_text(browser, "#qbo-card", "Connected")
    assert company in card
    connection = QuickBooksConnection.objects.get(workspace=_workspace())
    assert connection.company_name == company and connection.realm_id in card


def connect_lacrm(browser) -> None:
    """Get a sandbox API key from the connect form's link, then paste it into the form."""
    submit_and_wait(browser, By.LINK_TEXT, "Connect with an API key", "Connect Less Annoying CRM")
    submit_and_wait(browser, By.LINK_TEXT, "Get a sandbox API key", "Sandbox Less Annoying CRM")
    submit_and_wait(browser, By.ID, "create-account", "Sandbox Less Annoying CRM")
    key = attribute(browser, By.ID, "api-key", "value")
    assert key, "no API key shown"
    account = SandboxLacrmAccount.objects.get(workspace=_workspace())
    assert text(browser, "#contact-count").startswith(str(account.contacts.count()))

    # The key card links straight back to the API-key form.
    submit_and_wait(browser, By.CSS_SELECTOR, "#new-key a", "Connect Less Annoying CRM")
    browser.find_element(By.NAME, "api_key").send_keys(key)
    submit_and_wait(
        browser, By.XPATH, "//button[normalize-space()='Check and connect']", "Connections"
    )
    card = wait_text(browser, "#lacrm-card", "Connected")
    user_label = f"{account.first_name} {account.last_name}"
    assert user_label in card and "API key" in card
    assert key not in read(browser, lambda b: b.page_source)  # the key is never shown back
    assert LacrmConnection.objects.filter(workspace=_workspace()).exists()


def _set_latency(ms: int) -> None:
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=ms)


def _wait_for_run(browser, kind_label: str, status: str, timeout: float = RUN_TIMEOUT) -> None:
    """Wait until the dashboard's run panel shows a run of ``kind_label`` in ``status``.

    The panel polls itself with htmx while the run is active and reloads the page once at the
    end, so this also proves the live progress works. An ended run is only ever shown by that
    reloaded page; the wait lasts until it has loaded, so what is read next is all there.
    """

    def shown(b) -> bool:
        heading = text(b, "#run-panel h2")
        current = text(b, "#run-status")
        if heading == kind_label and current == "Failed":
            raise AssertionError(f"{kind_label} failed: {text(b, '#run-failure')}")
        return heading == kind_label and current == status and loaded(b)

    waiter(browser, timeout).until(
        shown,
        lambda: f"{kind_label} never reached {status!r} (panel: {text(browser, '#run-panel')!r})",
    )


def _latest_run(kind: str) -> SyncRun:
    return SyncRun.objects.filter(kind=kind).order_by("-created_at").first()


def sync_stop_and_sync_again(browser, tmp_path) -> tuple[SyncRun, SyncRun]:
    """Sync New Contacts, Stop while the first batches run, then Sync again to the end."""
    submit_and_wait(browser, By.LINK_TEXT, "Dashboard", "Dashboard")
    assert "First time?" in text(browser, ".tip")
    _set_latency(SLOW_MS)
    # A batch takes up to 20 creates of each system: hold the 21st LACRM create (the first of
    # the second batch) so the run is certainly still running, with the first batch shown, when
    # Stop is pressed; it is let go once Stop was asked for.
    held = runtime.script(
        "lacrm", "CreateContact", SandboxScript.Action.HOLD, [BATCH_SIZE + 1], hold_seconds=120
    )
    submit_and_wait(browser, By.ID, "sync-contacts", "Dashboard")
    wait_text(browser, ".messages", "Sync New Contacts started.")

    def moving(b) -> tuple[int, int] | bool:
        status = text(b, "#run-status")
        if status in ("Stopped", "Completed", "Failed"):
            raise AssertionError(f"the run ended ({status}) before Stop could be pressed")
        figures = progress(b)
        return figures if status == "Running" and figures and figures[0] > 0 else False

    done, total = waiter(browser, 90).until(moving, "the progress bar never moved")
    assert 0 < done < total
    # A viewport-only shot: resizing the window now would only delay the click on Stop.
    assert browser.save_screenshot(str(tmp_path / "dashboard-running.png"))
    submit_and_wait(browser, By.ID, "stop-run", "Dashboard")
    assert runtime.wait_until_held(held, timeout=60), "the second batch's first create never came"
    runtime.release(held)
    _wait_for_run(browser, "Sync New Contacts", "Stopped", timeout=90)
    assert "Click the button again to continue" in text(browser, "#run-panel")
    first = _latest_run(SyncRun.Kind.CONTACTS)
    assert first.status == SyncRun.Status.STOPPED
    assert 0 < first.processed < first.total, (first.processed, first.total)
    stopped_at = progress(browser)
    assert stopped_at == (first.processed, first.total)

    _set_latency(0)
    submit_and_wait(browser, By.ID, "sync-contacts", "Dashboard")
    _wait_for_run(browser, "Sync New Contacts", "Completed")
    second = _latest_run(SyncRun.Kind.CONTACTS)
    assert second.pk != first.pk and second.status == SyncRun.Status.COMPLETED
    # The second run finished the work: everything processed, nothing created twice. A create
    # that failed in the first run is tried again (its outbox row was dropped).
    assert second.processed == second.total == first.total - first.processed + first.failed
    assert second.already_matched > 0 and second.failed == 1
    assert text(browser, "#count-failed") == "1"
    created_on_page = int(text(browser, "#count-created-lacrm")) + int(
        text(browser, "#count-created-qbo")
    )
    assert created_on_page == second.created_in_lacrm + second.created_in_qbo > 0
    # The panel tells the whole sync across both runs: what the first one planned, all done.
    assert text(browser, "#sync-total").startswith(
        f"{first.total} of {first.total} contacts to create done over 2 runs"
    )
    created = ContactLink.objects.filter(method=ContactLink.Method.CREATED)
    assert created.count() == (first.created_in_lacrm + first.created_in_qbo + created_on_page), (
        "a contact was created twice or not linked"
    )
    history = read(
        browser, lambda b: b.find_element(By.XPATH, "//div[h2='Run history']//table").text
    )
    assert "Stopped" in history and "Completed" in history
    screenshot(browser, tmp_path / "dashboard-after-sync.png")
    return first, second


def read_the_logs(browser, first: SyncRun, second: SyncRun, tmp_path) -> None:
    """The finished run's logs: created, already matched, failed (with why); matched in run 1."""
    submit_and_wait(browser, By.LINK_TEXT, "Runtime logs →", "Sync New Contacts ·")
    assert str(second.pk) in browser.current_url
    total = SyncLogEntry.objects.filter(run=second).count()
    count = read(
        browser,
        lambda b: b.find_element(By.XPATH, "//div[h2='Runtime logs']/p[contains(., 'entr')]").text,
    )
    # One page holds 50 entries; beyond that the page says where it is and about how many.
    assert count == (
        f"{total} entries" if total <= 50 else f"Showing 1–50 of about {total:,} entries"
    )
    screenshot(browser, tmp_path / "run-logs.png")

    failed = filter_logs(browser, "Failed")
    assert len(failed) == 1, failed
    assert "Frank Delaney" in failed[0] and FRANK_EMAIL in failed[0]
    assert "Failed" in failed[0] and "email" in failed[0].lower() and "2040" in failed[0]
    entry = SyncLogEntry.objects.get(run=second, outcome=SyncLogEntry.Outcome.FAILED)
    assert entry.reason in failed[0]
    screenshot(browser, tmp_path / "run-logs-failed.png")

    created = filter_logs(browser, "Succeeded")
    assert created and all("Created" in row for row in created), created[:3]
    already = filter_logs(browser, "Already matched")
    assert already and all("Already matched" in row for row in already), already[:3]

    # The stopped run did the matching: its "Logs" link in the run history shows it.
    submit_and_wait(browser, By.LINK_TEXT, "← Dashboard", "Dashboard")
    submit_and_wait(
        browser,
        By.XPATH,
        "//table//tr[td//*[normalize-space()='Stopped']]//a",
        "Sync New Contacts ·",
    )
    assert str(first.pk) in browser.current_url
    matched = filter_logs(browser, "Succeeded")
    assert any("Matched" in r for r in matched), matched[:3]
    assert "Stopped" in text(browser, "#run-status")


def update_invoice_summaries(browser) -> None:
    """Update Invoice Summaries from the dashboard; its log shows the notes added."""
    submit_and_wait(browser, By.LINK_TEXT, "← Dashboard", "Dashboard")
    submit_and_wait(browser, By.ID, "update-summaries", "Dashboard")
    _wait_for_run(browser, "Update Invoice Summaries", "Completed")
    run = _latest_run(SUMMARIES_KIND)
    assert run.status == SyncRun.Status.COMPLETED and run.notes_added > 0
    assert text(browser, "#count-notes") == str(run.notes_added)

    submit_and_wait(browser, By.LINK_TEXT, "Runtime logs →", "Update Invoice Summaries ·")
    notes = filter_logs(browser, "Succeeded")
    assert len(notes) == min(run.notes_added, 50)
    assert all("Note added" in row for row in notes), notes[:3]


def link_a_review_case_by_hand(browser, tmp_path) -> None:
    """Review → link Lakeside Dental's shared mailbox to Priya Shah → Matched records."""
    submit_and_wait(browser, By.ID, "nav-review", "Review")
    screenshot(browser, tmp_path / "review.png")
    case_id = attribute(
        browser,
        By.XPATH,
        "//div[contains(@class,'review-case')][.//*[contains(text(),'Priya Shah')]]",
        "id",
    )
    button = f"//*[@id='{case_id}']//button[contains(., '⇄ Priya Shah')]"
    label = read(browser, lambda b: b.find_element(By.XPATH, button).text)
    qbo_name = label.removeprefix("Link ").split(" ⇄ ")[0]
    assert qbo_name.startswith("Lakeside")
    old = current_document(browser)
    # The form asks for confirmation first, so this click does not load a page yet.
    click(browser, By.XPATH, button)
    alert = waiter(browser, 10).until(EC.alert_is_present(), "no confirmation dialog")
    assert "Priya Shah" in alert.text and qbo_name in alert.text
    alert.accept()
    wait_new_page(browser, old, "Review")
    assert f"Linked {qbo_name} and Priya Shah." in text(browser, ".messages")

    link = ContactLink.objects.get(lacrm_name="Priya Shah", state=ContactLink.State.LINKED)
    assert link.method == ContactLink.Method.MANUAL and link.qbo_name == qbo_name

    submit_and_wait(browser, By.ID, "nav-ledger", "Matched records")
    browser.find_element(By.ID, "q").send_keys("Priya")
    submit_and_wait(
        browser, By.XPATH, "//form[@class='filters']//button[@type='submit']", "Matched records"
    )
    rows = [r for r in texts(browser, "#ledger-table tbody tr") if "Priya Shah" in r]
    assert len(rows) == 1, rows
    screenshot(browser, tmp_path / "matched-records.png")
    assert qbo_name in rows[0] and "Linked by hand" in rows[0] and "Linked" in rows[0]
