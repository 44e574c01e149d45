"""End to end with a real worker: a contact created in LACRM (the sandbox's API) is delivered by
its signed Contact.Create webhook and created in QuickBooks by the changes run it starts."""

from __future__ import annotations

import pytest
import requests
from django.conf import settings

from integrations import registry
from integrations.lacrm import webhooks
from integrations.lacrm.models import LacrmWebhook
from integrations.sandbox.lacrm.models import SandboxLacrmDelivery
from sync.continuous.intake import KIND
from sync.models import ContactLink, SyncRun
from tests.fixtures_worker import wait_for


@pytest.mark.worker
def test_a_contact_created_in_lacrm_reaches_quickbooks_by_webhook(
    connected_workspace_empty, celery_worker_process
):
    cw = connected_workspace_empty
    ws = cw.workspace
    from tests.integrations.test_lacrm_webhooks import continuous

    continuous(ws)
    hook = webhooks.register_webhook(ws)
    assert hook.state == LacrmWebhook.State.ACTIVE, hook.problem
    response = requests.post(
        settings.LACRM_API_URL,
        json={
            "Function": "CreateContact",
            "Parameters": {
                "IsCompany": False,
                "AssignedTo": cw.lacrm_account.user_id,
                "Name": "Hana Hook",
                "Email": [{"Text": "hana@example.com", "Type": "Work"}],
            },
        },
        headers={"Authorization": cw.lacrm_api_key},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    contact_id = response.json()["ContactId"]

    # The worker sends the delivery; the endpoint starts a changes run; the worker runs it.
    wait_for(
        lambda: SandboxLacrmDelivery.objects.filter(state="delivered").exists(),
        timeout=60,
        message="the sandbox LACRM never delivered the webhook",
    )
    run = wait_for(
        lambda: SyncRun.objects.filter(workspace=ws, kind=KIND, status="completed").first(),
        timeout=120,
        message="no changes run completed",
    )
    assert run.created_in_qbo == 1
    row = ContactLink.objects.get(workspace=ws, lacrm_id=contact_id)
    assert row.state == "linked" and row.qbo_id
    customers = list(registry.accounting(ws).iter_customers())
    assert [(c.name, c.primary_email) for c in customers] == [("Hana Hook", "hana@example.com")]
    hook.refresh_from_db()
    assert hook.deliveries == 1


@pytest.mark.worker
def test_leaving_continuous_mode_deletes_the_webhook_at_lacrm_and_coming_back_registers_it(
    connected_workspace_empty, celery_worker_process
):
    from django.urls import reverse

    from integrations.sandbox.lacrm.models import SandboxLacrmWebhook
    from tests.sync.test_settings_views import settings_data

    cw = connected_workspace_empty
    ws = cw.workspace
    hook = webhooks.register_webhook(ws)
    assert hook.state == LacrmWebhook.State.ACTIVE, hook.problem
    at_lacrm = SandboxLacrmWebhook.objects.filter(account=cw.lacrm_account)
    assert at_lacrm.count() == 1

    response = cw.client.post(reverse("sync:settings"), settings_data(schedule="hourly"))
    assert response.status_code == 302
    wait_for(lambda: not at_lacrm.exists(), message="the webhook was left registered at LACRM")
    wait_for(lambda: LacrmWebhook.objects.get(workspace=ws).state == LacrmWebhook.State.REMOVED)
    assert not LacrmWebhook.objects.get(workspace=ws).removed_by_user

    response = cw.client.post(reverse("sync:settings"), settings_data(schedule="continuous"))
    assert response.status_code == 302
    wait_for(lambda: LacrmWebhook.objects.get(workspace=ws).state == LacrmWebhook.State.ACTIVE)
    assert at_lacrm.count() == 1
