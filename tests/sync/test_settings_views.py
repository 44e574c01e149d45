"""The workspace's sync settings page, and the dashboard's line about automatic sync."""

from __future__ import annotations

import pytest
from django.urls import reverse

from summaries.models import SummarySettings
from sync.models import SyncSettings


def ws_of(user):
    return user.memberships.get().workspace


def html(response) -> str:
    return response.content.decode()


# --- Settings ------------------------------------------------------------------------------------


def settings_data(**overrides):
    data = {
        "direction": "both",
        "sub_customers": "skip",
        "no_email": "match_by_name",
        "system_of_record": "lacrm",
        "schedule": "off",
        "skip_unchanged_summaries": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_page_explains_each_choice(alice_client):
    text = html(alice_client.get(reverse("sync:settings")))
    for phrase in (
        "Both ways: a contact missing on either side is created on the other",
        "Hold for review",
        "Sub-customers (jobs)",
        "this system&#x27;s value wins",
        "Every hour",
        "Skip unchanged invoice summaries",
    ):
        assert phrase in text


def test_settings_save(alice_client, alice):
    response = alice_client.post(
        reverse("sync:settings"),
        settings_data(
            direction="qbo_to_lacrm",
            include_inactive="on",
            sub_customers="own",
            no_email="hold_for_review",
            update_fields="on",
            update_email="on",
            system_of_record="qbo",
            schedule="daily",
            skip_unchanged_summaries=None,
        ),
        follow=True,
    )
    assert "Settings saved" in html(response)
    saved = SyncSettings.objects.get(workspace=ws_of(alice))
    assert (saved.direction, saved.include_inactive, saved.sub_customers) == (
        "qbo_to_lacrm",
        True,
        "own",
    )
    assert (saved.no_email, saved.update_fields, saved.update_email) == (
        "hold_for_review",
        True,
        True,
    )
    assert (saved.system_of_record, saved.schedule) == ("qbo", "daily")
    assert SummarySettings.objects.get(workspace=ws_of(alice)).skip_unchanged_summaries is False
    assert 'id="next-sync"' in html(response)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"direction": "sideways"}, "direction"),
        ({"schedule": "weekly"}, "schedule"),
        ({"no_email": None}, "no_email"),
        ({"update_email": "on"}, "update_email"),
    ],
)
def test_settings_reject_bad_values(alice_client, alice, overrides, field):
    response = alice_client.post(reverse("sync:settings"), settings_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    saved = SyncSettings.objects.get(workspace=ws_of(alice))
    assert (saved.direction, saved.schedule, saved.update_email) == ("both", "off", False)


def test_outsider_settings_are_their_own(client, bob, alice):
    alice_settings = SyncSettings.for_workspace(ws_of(alice))
    client.force_login(bob)
    client.post(reverse("sync:settings"), settings_data(direction="lacrm_to_qbo"))
    alice_settings.refresh_from_db()
    assert alice_settings.direction == "both"
    assert SyncSettings.objects.get(workspace=ws_of(bob)).direction == "lacrm_to_qbo"


# --- Dashboard -----------------------------------------------------------------------------------


def test_dashboard_shows_the_next_scheduled_sync_only_when_a_schedule_is_on(alice_client, alice):
    assert 'id="next-scheduled-sync"' not in html(alice_client.get(reverse("dashboard")))
    SyncSettings.objects.create(workspace=ws_of(alice), schedule="hourly")
    text = html(alice_client.get(reverse("dashboard")))
    assert 'id="next-scheduled-sync"' in text and "Automatic sync on" in text
