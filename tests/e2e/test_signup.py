"""A new user signs up in a real browser, verifies their email and lands on the dashboard."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from selenium.webdriver.common.by import By

from accounts.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_signup_verify_email_and_reach_dashboard(live_server, browser):
    browser.get(live_server.url + "/")
    browser.find_element(By.LINK_TEXT, "Create your workspace").click()
    browser.find_element(By.NAME, "email").send_keys("erin@example.com")
    browser.find_element(By.NAME, "password1").send_keys("plum-orchard-4417-lantern")
    browser.find_element(By.NAME, "password2").send_keys("plum-orchard-4417-lantern")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    assert "Verify Your Email Address" in browser.page_source

    # The live server runs in this process, so the confirmation mail sits in the locmem outbox.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    browser.get(link)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()

    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading == "Dashboard"
    assert "erin's workspace" in browser.page_source
    user = User.objects.get(email="erin@example.com")
    assert user.emailaddress_set.get().verified
