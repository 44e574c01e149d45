"""The LACRM card's webhook section and buttons: state shown, register/remove/interval over
real HTTP to the sandbox, CSRF, an outsider touching only their own workspace, and the webhook
deleted at LACRM on disconnect."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from integrations.lacrm.models import LacrmEditCursor, LacrmWebhook
from integrations.sandbox.lacrm.models import SandboxLacrmWebhook
from tests.fixtures_worker import purge_broker

ACTION = "integrations:lacrm_webhook_action"


def _post(client, **data):
    return client.post(reverse(ACTION), data, follow=True)


def test_the_card_shows_the_webhook_and_registering_it_from_there(connected_workspace_empty):
    cw = connected_workspace_empty
    page = cw.client.get(reverse("integrations:index"))
    assert b"Register webhook" in page.content and b"Not registered" in page.content
    assert b"Keep in step is not set to continuous" in page.content

    response = _post(cw.client, action="register")
    assert b"The Less Annoying CRM webhook is registered." in response.content
    hook = LacrmWebhook.objects.get(workspace=cw.workspace)
    assert hook.state == LacrmWebhook.State.ACTIVE
    assert SandboxLacrmWebhook.objects.filter(
        account=cw.lacrm_account, uid=hook.webhook_id
    ).exists()
    page = cw.client.get(reverse("integrations:index")).content.decode()
    assert "Registered" in page and "Re-register webhook" in page and "Remove webhook" in page
    # The secret and the route token never reach the page.
    assert hook.secret not in page and hook.token not in page

    response = _post(cw.client, action="remove")
    assert b"The webhook was removed" in response.content
    hook.refresh_from_db()
    assert hook.state == LacrmWebhook.State.REMOVED and not hook.secret
    assert not SandboxLacrmWebhook.objects.filter(account=cw.lacrm_account).exists()
    purge_broker()


def test_the_poll_interval_is_a_setting_with_fixed_choices(connected_workspace_empty):
    cw = connected_workspace_empty
    response = _post(cw.client, action="interval", minutes="30")
    assert b"checked every 30 minutes" in response.content
    assert LacrmEditCursor.objects.get(workspace=cw.workspace).interval_minutes == 30
    response = _post(cw.client, action="interval", minutes="5")
    assert b"Choose one of the offered intervals." in response.content
    assert LacrmEditCursor.objects.get(workspace=cw.workspace).interval_minutes == 30


def test_disconnecting_deletes_the_webhook_at_lacrm_first(connected_workspace_empty):
    cw = connected_workspace_empty
    _post(cw.client, action="register")
    page = cw.client.get(reverse("integrations:lacrm_disconnect"))
    assert b"webhook LedgerLink registered" in page.content
    cw.client.post(reverse("integrations:lacrm_disconnect"))
    assert not SandboxLacrmWebhook.objects.filter(account=cw.lacrm_account).exists()
    hook = LacrmWebhook.objects.get(workspace=cw.workspace)
    assert hook.state == LacrmWebhook.State.REMOVED and not hook.secret
    purge_broker()


def test_an_outsider_acts_only_on_their_own_workspace(connected_workspace_empty, bob):
    cw = connected_workspace_empty
    _post(cw.client, action="register")
    alice_hook = LacrmWebhook.objects.get(workspace=cw.workspace)
    outsider = Client()
    outsider.force_login(bob)
    for action in ("remove", "register"):
        response = _post(outsider, action=action)
        assert b"Connect Less Annoying CRM first." in response.content
    alice_hook.refresh_from_db()
    assert alice_hook.state == LacrmWebhook.State.ACTIVE
    assert SandboxLacrmWebhook.objects.filter(account=cw.lacrm_account).count() == 1
    purge_broker()


def test_the_buttons_need_a_signed_in_user_a_post_and_csrf(connected_workspace_empty):
    cw = connected_workspace_empty
    anonymous = Client()
    response = anonymous.post(reverse(ACTION), {"action": "register"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert cw.client.get(reverse(ACTION)).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cw.user)
    assert strict.post(reverse(ACTION), {"action": "register"}).status_code == 403
    assert not LacrmWebhook.objects.filter(workspace=cw.workspace).exists()
