"""LACRM's Contact.Create webhook over real HTTP: CreateWebhook and its handshake, signed
deliveries from the sandbox LACRM, forged and replayed deliveries, retries with back-off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import timedelta

import requests
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from integrations.lacrm import webhooks
from integrations.lacrm.models import LacrmWebhook, LacrmWebhookDelivery
from integrations.sandbox.lacrm import webhooks as sandbox_webhooks
from integrations.sandbox.lacrm.models import SandboxLacrmDelivery, SandboxLacrmWebhook
from sync.continuous.models import ChangeEvent
from tests.fixtures_worker import purge_broker


def continuous(ws) -> None:
    """Keep in step: continuous (webhook deliveries are taken only then)."""
    from sync.models import SyncSettings

    SyncSettings.objects.filter(pk=SyncSettings.for_workspace(ws).pk).update(
        schedule=SyncSettings.Schedule.CONTINUOUS
    )


def _registered(cw) -> LacrmWebhook:
    continuous(cw.workspace)
    hook = webhooks.register_webhook(cw.workspace)
    assert hook.state == LacrmWebhook.State.ACTIVE, hook.problem
    return hook


def _create_in_lacrm(cw, name: str, **params) -> str:
    """CreateContact through the sandbox LACRM's API, as a user's other tool would."""
    from django.conf import settings

    response = requests.post(
        settings.LACRM_API_URL,
        json={
            "Function": "CreateContact",
            "Parameters": {
                "IsCompany": False,
                "AssignedTo": cw.lacrm_account.user_id,
                "Name": name,
                **params,
            },
        },
        headers={"Authorization": cw.lacrm_api_key},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["ContactId"]


def _lacrm_events(ws):
    return ChangeEvent.objects.filter(workspace=ws, system="lacrm")


def test_registering_performs_the_handshake_and_keeps_the_secret_encrypted(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    hook = _registered(cw)
    remote = SandboxLacrmWebhook.objects.get(account=cw.lacrm_account)
    assert remote.uid == hook.webhook_id
    assert remote.events == ["Contact.Create"]
    assert remote.scope == "Account"
    assert remote.endpoint_url == hook.endpoint_url
    assert hook.token in hook.endpoint_url and len(hook.token) >= 40
    assert hook.handshake_at is not None and hook.registered_at is not None
    # The secret LACRM sent is what we keep, and the column holds only ciphertext.
    assert hook.secret == remote.secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM lacrm_lacrmwebhook WHERE id = %s", [hook.pk])
        stored = cursor.fetchone()[0]
    assert remote.secret not in stored
    purge_broker()


def test_a_handshake_nobody_asked_for_is_refused(connected_workspace_empty):
    cw = connected_workspace_empty
    hook = _registered(cw)
    response = requests.post(hook.endpoint_url, headers={"X-Hook-Secret": "attacker"}, timeout=10)
    assert response.status_code == 403
    assert "X-Hook-Secret" not in response.headers
    hook.refresh_from_db()
    assert hook.secret != "attacker"
    purge_broker()


def test_registration_fails_clearly_when_lacrm_cannot_reach_us(connected_workspace_empty):
    cw = connected_workspace_empty
    # An address nothing listens on: the sandbox's handshake cannot get through.
    hook = webhooks.register_webhook(cw.workspace, base_url="http://127.0.0.1:9")
    assert hook.state == LacrmWebhook.State.FAILED
    assert "handshake" in hook.problem
    assert not hook.secret
    assert not SandboxLacrmWebhook.objects.filter(account=cw.lacrm_account).exists()


def test_re_registering_replaces_the_webhook_at_lacrm(connected_workspace_empty):
    cw = connected_workspace_empty
    first = _registered(cw)
    old_token, old_id = first.token, first.webhook_id
    second = _registered(cw)
    assert second.webhook_id != old_id and second.token != old_token
    assert list(
        SandboxLacrmWebhook.objects.filter(account=cw.lacrm_account).values_list("uid", flat=True)
    ) == [second.webhook_id]
    # The old URL no longer routes anywhere.
    assert (
        requests.post(first.endpoint_url.replace(second.token, old_token), timeout=10).status_code
        == 404
    )


def test_a_contact_created_in_lacrm_is_delivered_signed_and_recorded_once(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    ws = cw.workspace
    hook = _registered(cw)
    contact_id = _create_in_lacrm(cw, "Wanda Webhook", Email=[{"Text": "wanda@example.com"}])
    delivery = SandboxLacrmDelivery.objects.get(webhook__account=cw.lacrm_account)
    assert json.loads(delivery.body)["Contacts"][0]["ContactId"] == contact_id
    assert sandbox_webhooks.deliver_due() == {"delivered": 1, "failed": 0, "gave_up": 0}
    event = _lacrm_events(ws).get()
    assert (event.record_id, event.kind, event.source) == (contact_id, "created", "lacrm_webhook")
    assert event.event_id == f"lacrm:Contact.Create:{contact_id}"
    hook.refresh_from_db()
    assert hook.deliveries == 1 and hook.last_delivery_at is not None
    assert LacrmWebhookDelivery.objects.filter(workspace=ws).count() == 1
    purge_broker()


def test_forged_unsigned_and_replayed_deliveries_change_nothing(connected_workspace_empty):
    cw = connected_workspace_empty
    ws = cw.workspace
    hook = _registered(cw)
    contact_id = _create_in_lacrm(cw, "Rita Replay")
    delivery = SandboxLacrmDelivery.objects.get(webhook__account=cw.lacrm_account)
    body = delivery.body.encode()
    sandbox_webhooks.deliver_due()
    assert _lacrm_events(ws).count() == 1

    forged_body = body.replace(contact_id.encode(), b"1000000000000000000000000000042")
    attempts = [
        ({}, forged_body),  # unsigned
        ({"X-Hook-Signature": "0" * 64}, forged_body),  # a made-up signature
        ({"X-Hook-Signature": webhooks.sign("guessed-secret", forged_body)}, forged_body),
        ({"X-Hook-Signature": webhooks.sign(hook.secret, body)}, forged_body),  # body swapped
    ]
    for headers, payload in attempts:
        response = requests.post(
            hook.endpoint_url,
            data=payload,
            headers={"Content-Type": "application/json", **headers},
            timeout=10,
        )
        assert response.status_code == 401, headers
    # A replay of the genuine, signed delivery is accepted but takes nothing new.
    replay = requests.post(
        hook.endpoint_url,
        data=body,
        headers={"X-Hook-Signature": webhooks.sign(hook.secret, body)},
        timeout=10,
    )
    assert replay.status_code == 200 and replay.json() == {"received": 0}
    assert _lacrm_events(ws).count() == 1
    assert LacrmWebhookDelivery.objects.filter(workspace=ws).count() == 1
    hook.refresh_from_db()
    assert hook.rejected_deliveries == 4
    purge_broker()


def test_the_sandbox_retries_with_back_off_until_the_app_answers(connected_workspace_empty):
    cw = connected_workspace_empty
    ws = cw.workspace
    hook = _registered(cw)
    remote = SandboxLacrmWebhook.objects.get(account=cw.lacrm_account)
    good_url = remote.endpoint_url
    # The app "is down": its URL answers 404 for a while.
    remote.endpoint_url = good_url.replace(hook.token, "not-" + hook.token)
    remote.save()
    _create_in_lacrm(cw, "Bert Backoff")
    now = timezone.now()
    assert sandbox_webhooks.deliver_due(now) == {"delivered": 0, "failed": 1, "gave_up": 0}
    delivery = SandboxLacrmDelivery.objects.get(webhook=remote)
    assert delivery.attempts == 1 and delivery.last_status == 404
    assert delivery.next_attempt_at == now + timedelta(seconds=sandbox_webhooks.BACKOFF[0])
    # Not due yet: nothing is sent.
    assert sandbox_webhooks.deliver_due(now + timedelta(seconds=5))["failed"] == 0
    second = now + timedelta(seconds=sandbox_webhooks.BACKOFF[0])
    assert sandbox_webhooks.deliver_due(second)["failed"] == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == second + timedelta(seconds=sandbox_webhooks.BACKOFF[1])
    assert not _lacrm_events(ws).exists()
    # The app is back: the next retry gets through.
    remote.endpoint_url = good_url
    remote.save()
    third = second + timedelta(seconds=sandbox_webhooks.BACKOFF[1])
    assert sandbox_webhooks.deliver_due(third)["delivered"] == 1
    delivery.refresh_from_db()
    assert delivery.state == SandboxLacrmDelivery.State.DELIVERED and delivery.attempts == 3
    assert _lacrm_events(ws).count() == 1
    purge_broker()


def test_the_sandbox_gives_up_after_its_last_retry(connected_workspace_empty):
    cw = connected_workspace_empty
    hook = _registered(cw)
    SandboxLacrmWebhook.objects.filter(account=cw.lacrm_account).update(
        endpoint_url=hook.endpoint_url.replace(hook.token, "gone")
    )
    _create_in_lacrm(cw, "Gina Gaveup")
    moment = timezone.now()
    for wait in (0, *sandbox_webhooks.BACKOFF):
        moment += timedelta(seconds=wait)
        sandbox_webhooks.deliver_due(moment)
    delivery = SandboxLacrmDelivery.objects.get(webhook__account=cw.lacrm_account)
    assert delivery.state == SandboxLacrmDelivery.State.GAVE_UP
    assert delivery.attempts == len(sandbox_webhooks.BACKOFF) + 1
    purge_broker()


def test_signature_is_checked_as_hex_or_base64_in_constant_time_helpers():
    secret, body = "s3cret", b'{"Contacts": []}'
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    assert webhooks.signature_ok(secret, body, digest.hex())
    assert webhooks.signature_ok(secret, body, digest.hex().upper())
    assert webhooks.signature_ok(secret, body, base64.b64encode(digest).decode())
    assert not webhooks.signature_ok(secret, body + b" ", digest.hex())
    assert not webhooks.signature_ok("", body, digest.hex())
    assert not webhooks.signature_ok(secret, body, "")


def test_an_unknown_token_is_404_and_get_is_not_allowed(client, db):
    url = reverse("integrations:lacrm_webhook", args=["no-such-token"])
    assert client.post(url, data=b"{}", content_type="application/json").status_code == 404
    assert client.get(url).status_code == 405


def test_create_webhook_validates_like_lacrm(lacrm_sandbox):
    bad = [
        (
            {
                "EndpointUrl": "ftp://example.com/x",
                "WebhookScope": "User",
                "Events": ["Contact.Create"],
            },
            "HTTPS",
        ),
        (
            {
                "EndpointUrl": "http://example.com/x",
                "WebhookScope": "User",
                "Events": ["Contact.Create"],
            },
            "HTTPS",
        ),
        (
            {
                "EndpointUrl": "https://example.com/x",
                "WebhookScope": "Team",
                "Events": ["Contact.Create"],
            },
            "WebhookScope",
        ),
        (
            {
                "EndpointUrl": "https://example.com/x",
                "WebhookScope": "User",
                "Events": ["Contact.Update"],
            },
            "Unknown event",
        ),
        ({"EndpointUrl": "https://example.com/x", "WebhookScope": "User", "Events": []}, "Events"),
    ]
    for params, words in bad:
        response = lacrm_sandbox.call("CreateWebhook", params)
        assert response.status_code == 400, params
        assert words in response.json()["ErrorDescription"], params
    missing = lacrm_sandbox.call("DeleteWebhook", {"WebhookId": "123"})
    assert missing.status_code == 400
    assert lacrm_sandbox.ok("GetWebhooks") == []


def test_deliveries_are_ignored_while_keep_in_step_is_not_continuous(connected_workspace_empty):
    from sync.models import SyncSettings

    cw = connected_workspace_empty
    ws = cw.workspace
    hook = _registered(cw)
    SyncSettings.objects.filter(workspace=ws).update(schedule=SyncSettings.Schedule.HOURLY)
    _create_in_lacrm(cw, "Ida Ignored")
    assert sandbox_webhooks.deliver_due()["delivered"] == 1  # Answered 200: no retries.
    assert not _lacrm_events(ws).exists()
    assert not LacrmWebhookDelivery.objects.filter(workspace=ws).exists()
    hook.refresh_from_db()
    assert hook.deliveries == 0
    purge_broker()


def test_continuous_mode_registers_a_missing_webhook_but_not_one_the_user_removed(
    connected_workspace_empty,
):
    from integrations.lacrm import polling

    cw = connected_workspace_empty
    ws = cw.workspace
    assert webhooks.ensure_webhook(ws) is None  # Not continuous: nothing happens.
    assert not LacrmWebhook.objects.filter(workspace=ws).exists()
    continuous(ws)
    polling.poll_edits(ws)  # The continuous tick's poll registers it first.
    hook = LacrmWebhook.objects.get(workspace=ws)
    assert hook.state == LacrmWebhook.State.ACTIVE
    assert webhooks.ensure_webhook(ws) is None  # Registered: left alone.
    webhooks.remove_webhook(ws, by_user=True)
    polling.poll_edits(ws)
    hook.refresh_from_db()
    assert hook.state == LacrmWebhook.State.REMOVED
    assert not SandboxLacrmWebhook.objects.filter(account=cw.lacrm_account).exists()
    # Removed by a disconnect instead: the next continuous poll puts it back.
    webhooks.register_webhook(ws)
    webhooks.remove_webhook(ws)
    polling.poll_edits(ws)
    hook.refresh_from_db()
    assert hook.state == LacrmWebhook.State.ACTIVE
    purge_broker()


def test_registering_deletes_orphaned_webhooks_of_ours_but_not_others(connected_workspace_empty):
    cw = connected_workspace_empty
    base = webhooks.endpoint_url("x").rsplit("/x/", 1)[0]
    # Left by a registration interrupted after CreateWebhook, and one of another integration.
    SandboxLacrmWebhook.objects.create(
        account=cw.lacrm_account,
        endpoint_url=f"{base}/lost-token/",
        scope="Account",
        events=["Contact.Create"],
        secret="old",
    )
    SandboxLacrmWebhook.objects.create(
        account=cw.lacrm_account,
        endpoint_url="https://other.example.com/hook",
        scope="User",
        events=["Contact.Create"],
        secret="theirs",
    )
    hook = _registered(cw)
    urls = set(
        SandboxLacrmWebhook.objects.filter(account=cw.lacrm_account).values_list(
            "endpoint_url", flat=True
        )
    )
    assert urls == {hook.endpoint_url, "https://other.example.com/hook"}


def test_the_dashboard_line_says_how_the_webhook_stands(connected_workspace_empty):
    from django.urls import reverse as url

    cw = connected_workspace_empty
    ws = cw.workspace
    assert webhooks.dashboard_line(ws).startswith("not registered")
    _registered(cw)  # Also switches Keep in step to continuous (the card shows then).
    assert "handshake done" in webhooks.dashboard_line(ws)
    assert "no delivery yet" in webhooks.dashboard_line(ws)
    _create_in_lacrm(cw, "Dash Board")
    sandbox_webhooks.deliver_due()
    assert "(1 in all)" in webhooks.dashboard_line(ws)
    page = cw.client.get(url("dashboard")).content.decode()
    assert "LACRM webhook" in page and "(1 in all)" in page
    purge_broker()


def test_a_contact_added_in_the_sandbox_admin_fires_the_webhook(connected_workspace_empty):
    from accounts.models import User

    cw = connected_workspace_empty
    ws = cw.workspace
    _registered(cw)
    staff = User.objects.create_superuser(email="ops@example.com", password="x-Long-enough-1")
    admin = type(cw.client)()
    admin.force_login(staff)
    add = reverse("admin:sandbox_lacrm_sandboxlacrmcontact_add")
    now = timezone.now()
    response = admin.post(
        add,
        {
            "account": cw.lacrm_account.pk,
            "uid": "1000000000000000000000000000777",
            "assigned_to": cw.lacrm_account.user_id,
            "first_name": "Ada",
            "last_name": "Admin",
            "emails": '[{"Text": "ada@example.com", "Type": "Work"}]',
            "phones": "[]",
            "websites": "[]",
            "addresses": "[]",
            "created_at_0": now.strftime("%Y-%m-%d"),
            "created_at_1": now.strftime("%H:%M:%S"),
            "updated_at_0": now.strftime("%Y-%m-%d"),
            "updated_at_1": now.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, re.findall(r"errorlist.{0,300}", response.content.decode())
    assert sandbox_webhooks.deliver_due()["delivered"] == 1
    event = _lacrm_events(ws).get()
    assert event.record_id == "1000000000000000000000000000777"
    purge_broker()
