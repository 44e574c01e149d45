"""Short-lived access tokens: refreshed once per lifetime, not once per call, over real HTTP.

The sandbox issues two-minute tokens (its token-lifetime knobs) and logs every call; time moves
with time-machine (the live server's thread sees the same clock), so nothing sleeps.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.errors import ReconnectNeeded
from integrations.models import LacrmConnection, QuickBooksConnection
from integrations.quickbooks import discovery
from integrations.quickbooks import oauth as qbo_oauth
from integrations.sandbox.models import SandboxCall, SandboxKnobs
from tests.fixtures_connections import _local, make_connected_workspace, workspace_of
from tests.fixtures_sandbox import consent_form

LIFETIME = 120  # seconds: two-minute access tokens
CALLS = 61
STEP = 2  # seconds between calls: 61 calls span exactly one lifetime


@pytest.mark.parametrize(
    ("lifetime", "margin"),
    [(3600, 300), (600, 60), (LIFETIME, 12), (0, 0), (None, 300)],
    ids=["an-hour", "ten-minutes", "two-minutes", "dead", "unknown"],
)
def test_refresh_margin_is_five_minutes_or_a_tenth_of_the_lifetime(lifetime, margin):
    conn = QuickBooksConnection(access_token="t", access_lifetime=lifetime)
    assert conn.refresh_margin() == timedelta(seconds=margin)
    conn.access_expires_at = timezone.now() + timedelta(seconds=margin + 1)
    assert conn.access_token_fresh()
    conn.access_expires_at = timezone.now() + timedelta(seconds=margin)
    assert not conn.access_token_fresh()


def test_stored_token_response_keeps_its_lifetime():
    conn = LacrmConnection()
    conn.store_tokens(
        access_token="a", refresh_token="r", expires_in=LIFETIME, refresh_expires_in=None
    )
    assert conn.access_lifetime == LIFETIME
    assert conn.refresh_due_at() == conn.access_expires_at - timedelta(seconds=12)
    conn.store_tokens(access_token="a", refresh_token="r", expires_in=None, refresh_expires_in=None)
    assert conn.access_lifetime == 3600


def _count(system: str, operation: str, **extra) -> int:
    return SandboxCall.objects.filter(system=system, operation=operation, **extra).count()


def _qbo_refreshes() -> int:
    return _count(SandboxCall.System.INTUIT_OAUTH, "token refresh_token")


def _discovery_fetches() -> int:
    return _count(SandboxCall.System.INTUIT_OAUTH, "discovery")


def _lacrm_refreshes() -> int:
    return _count(SandboxCall.System.LACRM_OAUTH, "token refresh_token")


@pytest.fixture
def frozen():
    """Time stands still until the test moves it (the live server shares the clock)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def two_minute_qbo(sandbox, alice, client, frozen):
    """alice connected to QuickBooks with tokens that live two minutes; empty call log."""
    SandboxKnobs.objects.filter(pk=1).update(qbo_access_token_lifetime=LIFETIME)
    connected = make_connected_workspace(alice, seed_demo=False, client=client)
    conn = QuickBooksConnection.objects.get(workspace=connected.workspace)
    assert (conn.access_expires_at - timezone.now()).total_seconds() == LIFETIME
    # A worker process has not fetched Intuit's discovery document yet (the web process did).
    discovery.forget_discovery_documents()
    SandboxCall.objects.all().delete()
    return connected


def test_two_minute_qbo_tokens_refresh_once_per_lifetime_not_per_call(two_minute_qbo, frozen):
    client = registry.accounting(two_minute_qbo.workspace)
    for _ in range(CALLS):
        assert client.company_name() == two_minute_qbo.qbo_company.name
        frozen.shift(STEP)
    elapsed = (CALLS - 1) * STEP
    assert _count("qbo", "GET companyinfo", status=200) == CALLS
    assert _qbo_refreshes() == math.ceil(elapsed / LIFETIME) == 1
    assert _discovery_fetches() == 1
    assert _count("qbo", "GET companyinfo", status=401) == 0


def test_two_minute_qbo_tokens_over_several_lifetimes(two_minute_qbo, frozen):
    # A new client per call, as each batch task builds its own; ten minutes of calls.
    for _ in range(CALLS):
        registry.accounting(two_minute_qbo.workspace).company_name()
        frozen.shift(10)
    elapsed = (CALLS - 1) * 10
    # Refreshed when a tenth of the lifetime is left: every 108 s, never after expiry.
    assert _qbo_refreshes() == elapsed // (LIFETIME - LIFETIME // 10) == 5
    assert _qbo_refreshes() <= math.ceil(elapsed / LIFETIME)
    assert _discovery_fetches() == 1
    assert SandboxCall.objects.filter(system="qbo", status=401).count() == 0


def test_connecting_fetches_the_discovery_document_once(sandbox, alice, client):
    discovery.forget_discovery_documents()
    make_connected_workspace(alice, seed_demo=False, client=client)
    # The connect button and the callback each build an AuthClient; one fetch serves both.
    assert _discovery_fetches() == 1


def test_discovery_document_is_fetched_again_after_its_ttl(two_minute_qbo, frozen):
    conn = QuickBooksConnection.objects.get(workspace=two_minute_qbo.workspace)
    qbo_oauth.revoke("not-a-token")
    qbo_oauth.revoke("still-not-a-token")
    assert _discovery_fetches() == 1
    frozen.shift(discovery.DISCOVERY_TTL + 1)
    qbo_oauth.revoke("not-a-token")
    assert _discovery_fetches() == 2
    assert conn.pk  # the connection itself was not touched


def test_a_401_refreshes_exactly_once_per_call(two_minute_qbo):
    ws = two_minute_qbo.workspace
    conn = QuickBooksConnection.objects.get(workspace=ws)
    conn.access_token = "not-a-token-intuit-knows"  # looks fresh to us, QBO answers 401
    conn.save()
    # Every token the sandbox issues from now on is dead on arrival: the retry's 401 must end
    # the call instead of refreshing again (and again).
    SandboxKnobs.objects.filter(pk=1).update(qbo_access_token_lifetime=0)
    with pytest.raises(ReconnectNeeded):
        registry.accounting(ws).company_name()
    assert _qbo_refreshes() == 1
    assert SandboxCall.objects.filter(system="qbo", status=401).count() == 2


# --- Less Annoying CRM partner OAuth -----------------------------------------------------------


def _connect_lacrm_oauth(client) -> None:
    start = client.post(reverse("integrations:lacrm_oauth_start"))
    authorize = _local(start["Location"])
    form = consent_form(client.get(authorize).content.decode())
    form["decision"] = "allow"
    answer = client.post(authorize, form)
    assert client.get(_local(answer["Location"])).status_code == 302


@pytest.fixture
def two_minute_lacrm(lacrm_oauth_settings, alice, alice_client, frozen):
    """alice connected to LACRM by partner OAuth with two-minute tokens; empty call log."""
    SandboxKnobs.objects.filter(pk=1).update(lacrm_access_token_lifetime=LIFETIME)
    _connect_lacrm_oauth(alice_client)
    workspace = workspace_of(alice)
    conn = LacrmConnection.objects.get(workspace=workspace)
    assert conn.auth_kind == LacrmConnection.AuthKind.OAUTH and conn.is_connected
    SandboxCall.objects.all().delete()
    return workspace


@pytest.mark.parametrize("client_per_call", [True, False], ids=["client-per-call", "one-client"])
def test_two_minute_lacrm_tokens_refresh_once_per_lifetime(
    two_minute_lacrm, frozen, client_per_call
):
    client = registry.crm(two_minute_lacrm)
    for _ in range(CALLS):
        if client_per_call:
            client = registry.crm(two_minute_lacrm)
        client.get_user()
        frozen.shift(STEP)
    elapsed = (CALLS - 1) * STEP
    assert _count(SandboxCall.System.LACRM, "GetUser", status=200) == CALLS
    assert _lacrm_refreshes() == math.ceil(elapsed / LIFETIME) == 1
    # Refreshed before expiry, so LACRM never had to refuse a token.
    assert (
        SandboxCall.objects.filter(system=SandboxCall.System.LACRM).exclude(status=200).count() == 0
    )
