"""A new user signs up in a real browser, verifies their email and lands on the dashboard."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from selenium.webdriver.common.by import By

from accounts.models import User
from tests.e2e.browsing import submit_and_wait, text, wait_heading

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_signup_verify_email_and_reach_dashboard(live_server, browser):
    browser.get(live_server.url + "/")
    submit_and_wait(browser, By.LINK_TEXT, "Create your workspace", "Sign Up")
    browser.find_element(By.NAME, "email").send_keys("erin@example.com")
    browser.find_element(By.NAME, "password1").send_keys("plum-orchard-4417-lantern")
    browser.find_element(By.NAME, "password2").send_keys("plum-orchard-4417-lantern")
    submit_and_wait(
        browser, By.CSS_SELECTOR, "form button[type=submit]", "Verify Your Email Address"
    )

    # The live server runs in this process, so the confirmation mail sits in the locmem outbox.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    browser.get(link)
    wait_heading(browser, "Confirm Email Address")
    submit_and_wait(browser, By.CSS_SELECTOR, "form button[type=submit]", "Dashboard")

    assert text(browser, "h1") == "Dashboard"
    assert "erin's workspace" in text(browser, "header nav")
    user = User.objects.get(email="erin@example.com")
    assert user.emailaddress_set.get().verified
