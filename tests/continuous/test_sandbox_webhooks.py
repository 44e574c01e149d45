"""The sandbox QuickBooks sends signed webhooks on Intuit's retry schedule, and, with a real
worker, a customer edited in QuickBooks reaches LACRM from one event, in both formats."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from integrations import registry
from integrations.changes import Change, deliver
from integrations.sandbox.qbo import webhooks
from integrations.sandbox.qbo.models import SandboxQboName, SandboxQboWebhook
from sync.continuous.models import ChangeEvent
from sync.models import ContactLink, SyncRun, SyncSettings
from tests.continuous.conftest import set_format
from tests.fixtures_worker import purge_broker, wait_for
from tests.sync.test_field_updates import add_contact, add_customer


def test_a_delivery_is_signed_in_the_company_format_and_recorded_by_the_app(
    connected_workspace_empty,
):
    cw = connected_workspace_empty
    for fmt, expected in (("legacy", "eventNotifications"), ("cloudevents", "specversion")):
        set_format(cw, fmt)
        qbo_id = add_customer(cw, "Lea", f"Ng{fmt}")
        webhooks.announce(cw.qbo_company, "Customer", qbo_id, "created")
        row = SandboxQboWebhook.objects.latest("id")
        assert expected in row.body
        assert webhooks.deliver_due() == [(row.pk, 200)]
        assert ChangeEvent.objects.filter(workspace=cw.workspace, record_id=qbo_id).count() == 1
    purge_broker()


def test_the_company_can_turn_webhooks_off(connected_workspace_empty):
    cw = connected_workspace_empty
    set_format(cw, "off")
    webhooks.announce(cw.qbo_company, "Customer", 5, "updated")
    assert not SandboxQboWebhook.objects.exists()


def test_an_unanswered_delivery_is_retried_on_intuits_schedule(connected_workspace_empty, settings):
    cw = connected_workspace_empty
    qbo_id = add_customer(cw, "Mo", "Ray")
    # The app is "down": its webhook URL answers 404.
    settings.SANDBOX_QBO_WEBHOOK_URL = settings.SITE_URL + "/no-such-endpoint/"
    webhooks.announce(cw.qbo_company, "Customer", qbo_id, "updated")
    row = SandboxQboWebhook.objects.get()
    t0 = timezone.now()
    assert webhooks.deliver_due(t0) == [(row.pk, 404)]
    expected = [10, 20, 30, 300, 1200]
    at = t0
    for seconds in expected:
        row.refresh_from_db()
        assert row.next_attempt_at == at + timedelta(seconds=seconds)
        # Not due a second early.
        assert webhooks.deliver_due(row.next_attempt_at - timedelta(seconds=1)) == []
        at = row.next_attempt_at
        assert webhooks.deliver_due(at) == [(row.pk, 404)]
    assert not ChangeEvent.objects.exists()
    # The app is back: the next attempt (2 h later) is delivered and recorded once.
    settings.SANDBOX_QBO_WEBHOOK_URL = ""
    row.refresh_from_db()
    assert row.next_attempt_at == at + timedelta(hours=2)
    assert webhooks.deliver_due(row.next_attempt_at) == [(row.pk, 200)]
    row.refresh_from_db()
    assert row.delivered_at is not None and row.next_attempt_at is None and row.attempts == 7
    assert ChangeEvent.objects.filter(workspace=cw.workspace).count() == 1
    assert webhooks.deliver_due(row.delivered_at + timedelta(days=1)) == []
    purge_broker()


def test_retry_delays_follow_intuit_and_give_up_eventually():
    delays = [webhooks.retry_delay(n) for n in range(1, webhooks.MAX_ATTEMPTS + 1)]
    assert [d.total_seconds() for d in delays[:9]] == [
        10,
        20,
        30,
        300,
        1200,
        7200,
        14400,
        21600,
        21600,
    ]
    assert delays[-1] is None


def test_a_forged_delivery_is_refused(connected_workspace_empty, settings):
    cw = connected_workspace_empty
    webhooks.announce(cw.qbo_company, "Customer", 9, "updated")
    settings.SANDBOX_QBO_WEBHOOK_TOKEN = "a-token-the-app-does-not-have"
    row = SandboxQboWebhook.objects.get()
    # Signed with a token the app does not have: 401, kept for a retry.
    assert webhooks.deliver_due() == [(row.pk, 401)]
    assert not ChangeEvent.objects.exists()
    row.refresh_from_db()
    assert row.next_attempt_at is not None and row.delivered_at is None
    purge_broker()


def _edit_through_the_api(cw, qbo_id: str, phone: str) -> None:
    """A change made in QuickBooks: a sparse update through the sandbox API over HTTP."""
    from integrations.quickbooks.connection import qbo_connection
    from integrations.quickbooks.oauth import ConnectionTokens

    token = ConnectionTokens(qbo_connection(cw.workspace)).access_token()
    row = SandboxQboName.objects.get(company=cw.qbo_company, qbo_id=int(qbo_id))
    answer = requests.post(
        f"{settings.QBO_API_BASE_URL}/company/{cw.realm_id}/customer",
        data=json.dumps(
            {
                "Id": qbo_id,
                "SyncToken": str(row.sync_token),
                "sparse": True,
                "PrimaryPhone": {"FreeFormNumber": phone},
            }
        ),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.worker
@pytest.mark.parametrize("fmt", ["cloudevents", "legacy"])
def test_a_customer_edited_in_quickbooks_reaches_lacrm_from_one_event(
    fmt, connected_workspace_empty, celery_worker_process
):
    cw = connected_workspace_empty
    ws = cw.workspace
    SyncSettings.objects.filter(workspace=ws).update(update_fields=True)
    set_format(cw, fmt)
    qbo_id = add_customer(cw, "Nell", "Ortiz", PrimaryEmailAddr={"Address": "nell@example.com"})
    lacrm_id = add_contact(cw, "Nell Ortiz", Email=[{"Text": "nell@example.com"}])
    ContactLink.objects.create(
        workspace=ws, qbo_id=qbo_id, lacrm_id=lacrm_id, state="linked", method="email"
    )
    # A first change records what both sides agree on for the pair.
    deliver(ws, "qbo", [Change(qbo_id, "updated", event_id="baseline")], "test")
    wait_for(
        lambda: SyncRun.objects.filter(workspace=ws, kind="changes", status="completed").count()
        == 1,
        timeout=90,
        message="the baseline changes run did not finish",
    )
    _edit_through_the_api(cw, qbo_id, "555-0199")

    def arrived():
        phones = [p.number for p in registry.crm(ws).get_contact(lacrm_id).phones]
        return any("0199" in p for p in phones)

    wait_for(arrived, timeout=120, message="the edit did not reach LACRM")
    delivered = SandboxQboWebhook.objects.filter(company=cw.qbo_company)
    assert delivered.count() == 1 and delivered.get().last_status == 200
    events = ChangeEvent.objects.filter(workspace=ws, source="qbo_webhook")
    assert events.count() == 1
    # Intuit retries for hours: the same delivery again changes nothing.
    row = delivered.get()
    answer = requests.post(
        webhooks.webhook_url(),
        data=row.body.encode(),
        headers={"intuit-signature": webhooks.sign(row.body.encode())},
        timeout=30,
    )
    assert answer.status_code == 200
    assert events.count() == 1
    assert SyncRun.objects.filter(workspace=ws, kind="changes").count() == 2


def test_editing_a_customer_in_the_sandbox_admin_sends_a_webhook(connected_workspace_empty):
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    cw = connected_workspace_empty
    qbo_id = add_customer(cw, "Pia", "Quinn", PrimaryEmailAddr={"Address": "pia@example.com"})
    row = SandboxQboName.objects.get(company=cw.qbo_company, qbo_id=int(qbo_id))
    admin_user = User.objects.create_superuser("ops@example.com", "pw-ops-1234567")
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:sandbox_qbo_sandboxqboname_change", args=[row.pk])
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "display_name": "Pia Quinn",
            "given_name": "Pia",
            "family_name": "Quinn",
            "company_name": "",
            "email": "pia@example.com",
            "phone": "555-0142",
            "active": "on",
            "merge_into": "",
        },
    )
    assert answer.status_code == 302, answer.content[:2000]
    row.refresh_from_db()
    assert row.data["PrimaryPhone"] == {"FreeFormNumber": "555-0142"}
    hook = SandboxQboWebhook.objects.get(company=cw.qbo_company)
    assert qbo_id in hook.body and "qbo.customer.updated.v1" in hook.body
    purge_broker()
