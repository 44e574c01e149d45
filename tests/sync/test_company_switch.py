"""The ledger belongs to one QuickBooks company: same company kept, a confirmed switch resets it."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from integrations.sandbox.qbo.store import create_company
from summaries.models import ContactSummaryState
from sync.models import ContactLink, RejectedPair
from tests.fixtures_connections import connect_qbo_in_browser, start_qbo_connect, workspace_of
from tests.fixtures_sandbox import consent

pytestmark = pytest.mark.django_db(transaction=True)


def _ledger(workspace):
    ContactLink.objects.create(
        workspace=workspace, qbo_id="1", lacrm_id="900", state="linked", method="email"
    )
    RejectedPair.objects.create(workspace=workspace, qbo_id="2", lacrm_id="901")
    ContactSummaryState.objects.create(workspace=workspace, lacrm_id="900", qbo_id="1")


def test_reconnecting_the_same_company_keeps_the_ledger(alice_client, alice, sandbox):
    workspace = workspace_of(alice)
    create_company(workspace=workspace, seed_demo=False)
    connect_qbo_in_browser(alice_client)
    _ledger(workspace)
    connect_qbo_in_browser(alice_client)
    assert ContactLink.objects.filter(workspace=workspace).count() == 1
    assert RejectedPair.objects.filter(workspace=workspace).count() == 1


def test_confirmed_switch_to_another_company_resets_the_ledger(alice_client, alice, sandbox):
    workspace = workspace_of(alice)
    create_company(workspace=workspace, seed_demo=False)
    connect_qbo_in_browser(alice_client)
    _ledger(workspace)
    other = create_company(seed_demo=False, name="Other Books Inc")
    params = consent(
        start_qbo_connect(alice_client), realm_id=other.realm_id, session=requests.Session()
    )
    query = "&".join(f"{k}={v}" for k, v in params.items())
    alice_client.get(reverse("integrations:qbo_callback") + "?" + query)
    # Held for confirmation: nothing reset yet.
    assert ContactLink.objects.filter(workspace=workspace).count() == 1
    alice_client.post(reverse("integrations:qbo_confirm_company"), {"action": "confirm"})
    assert not ContactLink.objects.filter(workspace=workspace).exists()
    assert not RejectedPair.objects.filter(workspace=workspace).exists()
    assert not ContactSummaryState.objects.filter(workspace=workspace).exists()
