"""Teammates in a real browser: an owner invites, a second user signs up from the emailed link
and works in the owner's workspace as a member; a notification email and banner follow."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from selenium.webdriver.common.by import By

from accounts.models import Membership, User
from notifications import notices
from sync.models import SyncRun
from sync.runs import lifecycle
from tests.e2e.browsing import read, submit_and_wait, text, wait_heading, wait_text
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
NEW_PASSWORD = "plum-orchard-4417-lantern"


def sign_in(browser, base: str, email: str, password: str) -> None:
    browser.get(base + "/accounts/login/")
    wait_heading(browser, "Sign In")
    browser.find_element(By.NAME, "login").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    submit_and_wait(browser, By.CSS_SELECTOR, "form button[type=submit]", "Dashboard")


def test_invitation_is_accepted_by_a_second_user_who_then_works_as_a_member(
    live_server, browser, settings
):
    settings.SITE_URL = live_server.url  # where the emailed links point
    owner = UserFactory(email="olga@example.com", workspace="Olga's Books")
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    workspace = owner.memberships.get().workspace

    # The owner invites from Settings → Team.
    sign_in(browser, live_server.url, owner.email, PASSWORD)
    submit_and_wait(browser, By.ID, "nav-settings", "Sync settings")
    submit_and_wait(browser, By.ID, "tab-team", "Team")
    browser.find_element(By.NAME, "email").send_keys("pete@example.com")
    submit_and_wait(browser, By.CSS_SELECTOR, "#invite-form button[type=submit]", "Team")
    assert "Invitation sent to pete@example.com" in text(browser, ".messages")
    assert "pete@example.com" in text(browser, "#invitations")

    # The live server runs in this process: the invitation sits in the locmem outbox.
    (invitation_mail,) = mail.outbox
    assert invitation_mail.to == ["pete@example.com"]
    link = re.search(r"https?://\S+/invitations/\S+/", invitation_mail.body).group(0)
    submit_and_wait(browser, By.CSS_SELECTOR, "header form button.link", "Sign In")

    # A new user opens the link, signs up with the invited address and lands in the workspace.
    browser.get(link)
    wait_heading(browser, "Join Olga's Books")
    submit_and_wait(browser, By.ID, "invitation-sign-up", "Sign Up")
    email_box = browser.find_element(By.NAME, "email")
    assert email_box.get_attribute("value") == "pete@example.com"
    browser.find_element(By.NAME, "password1").send_keys(NEW_PASSWORD)
    browser.find_element(By.NAME, "password2").send_keys(NEW_PASSWORD)
    submit_and_wait(browser, By.CSS_SELECTOR, "form button[type=submit]", "Dashboard")
    assert "Olga's Books" in text(browser, "header nav")
    pete = User.objects.get(email="pete@example.com")
    assert [(m.workspace_id, m.role) for m in pete.memberships.all()] == [
        (workspace.id, Membership.Role.MEMBER)
    ]
    assert len(mail.outbox) == 1, "no confirmation mail: the invitation proved the address"

    # As a member, the connections are read-only and Team shows no invite form.
    submit_and_wait(browser, By.ID, "nav-integrations", "Connections")
    assert "Only an owner" in text(browser, "#connections-read-only")
    submit_and_wait(browser, By.ID, "nav-settings", "Sync settings")
    assert "Only an owner" in text(browser, "#settings-read-only")
    submit_and_wait(browser, By.ID, "tab-team", "Team")
    assert "olga@example.com" in text(browser, "#members")
    assert not browser.find_elements(By.ID, "invite-form")

    # A run fails: the notification goes to both teammates and the dashboard shows a banner.
    run = SyncRun.objects.create(workspace=workspace, kind=SyncRun.Kind.CONTACTS, planned=True)
    lifecycle.finish(run, SyncRun.Status.FAILED, "QuickBooks was unreachable")
    assert notices.run_finished(run.id) == 2  # what the queued Celery task runs
    failed_mails = [m for m in mail.outbox if "failed" in m.subject]
    assert sorted(m.to[0] for m in failed_mails) == ["olga@example.com", "pete@example.com"]
    assert "QuickBooks was unreachable" in failed_mails[0].body
    submit_and_wait(browser, By.ID, "nav-settings", "Sync settings")
    browser.get(live_server.url + "/dashboard/")
    wait_heading(browser, "Dashboard")
    banner = wait_text(browser, "#banner-last-run-failed", "QuickBooks was unreachable")
    assert "failed" in banner

    # Pete opts out of failure emails on his Notifications settings.
    submit_and_wait(browser, By.ID, "nav-settings", "Sync settings")
    submit_and_wait(browser, By.ID, "tab-notifications", "Notifications")
    box = browser.find_element(By.NAME, "run_failed")
    assert read(browser, lambda b: box.is_selected())
    box.click()
    submit_and_wait(
        browser, By.CSS_SELECTOR, "#notifications-form button[type=submit]", "Notifications"
    )
    second = SyncRun.objects.create(workspace=workspace, kind=SyncRun.Kind.CONTACTS, planned=True)
    lifecycle.finish(second, SyncRun.Status.FAILED, "Again")
    assert notices.run_finished(second.id) == 1
    assert mail.outbox[-1].to == ["olga@example.com"]
