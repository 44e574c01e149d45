"""Connecting QuickBooks through the browser-facing views, against the sandbox over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from intuitlib.exceptions import AuthClientError

from integrations import registry
from integrations.connections import company_changed
from integrations.errors import NotConnected
from integrations.models import ConnectionStatus, QuickBooksConnection
from integrations.sandbox.models import SandboxCall
from integrations.sandbox.qbo.store import create_company
from tests.fixtures_connections import (
    _local,
    connect_qbo_in_browser,
    press_consent,
    start_qbo_connect,
    workspace_of,
)
from tests.fixtures_sandbox import auth_client, consent

pytestmark = pytest.mark.usefixtures("sandbox")


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_full_round_trip_stores_realm_company_and_encrypted_tokens(alice_client, alice):
    workspace = workspace_of(alice)
    company = create_company(workspace=workspace, seed_demo=False)

    authorize_url = start_qbo_connect(alice_client)
    assert "/sandbox/intuit/connect/oauth2" in authorize_url
    assert "state=" in authorize_url and "com.intuit.quickbooks.accounting" in authorize_url
    callback_url = press_consent(alice_client, authorize_url)
    assert "/integrations/quickbooks/callback/" in callback_url
    response = alice_client.get(_local(callback_url))

    assert response.status_code == 302 and response["Location"] == reverse("integrations:index")
    assert any(company.name in m for m in _messages(response))
    conn = QuickBooksConnection.objects.get(workspace=workspace)
    assert conn.status == ConnectionStatus.CONNECTED
    assert conn.realm_id == company.realm_id
    assert conn.company_name == company.name
    assert conn.connected_by == alice
    assert conn.access_token and conn.refresh_token
    assert conn.access_expires_at and conn.refresh_expires_at
    status = registry.connection_status(workspace)["qbo"]
    assert status["connected"] and status["label"] == company.name and status["since"]

    page = alice_client.get(reverse("integrations:index"))
    assert company.name.encode() in page.content
    assert conn.access_token.encode() not in page.content
    assert conn.refresh_token.encode() not in page.content


def test_replayed_callback_is_refused_and_stores_nothing_new(alice_client, alice):
    create_company(workspace=workspace_of(alice), seed_demo=False)
    callback_url = press_consent(alice_client, start_qbo_connect(alice_client))
    alice_client.get(_local(callback_url))
    conn = QuickBooksConnection.objects.get(workspace=workspace_of(alice))
    before = (conn.refresh_token, conn.last_refreshed_at)

    replay = alice_client.get(_local(callback_url))
    assert replay.status_code == 302
    assert any("could not be verified" in m for m in _messages(replay))
    conn.refresh_from_db()
    assert (conn.refresh_token, conn.last_refreshed_at) == before


def test_forged_or_missing_state_stores_nothing(alice_client, alice):
    create_company(workspace=workspace_of(alice), seed_demo=False)
    callback_url = press_consent(alice_client, start_qbo_connect(alice_client))
    forged = callback_url.replace("state=", "state=forged")
    response = alice_client.get(_local(forged))
    assert any("could not be verified" in m for m in _messages(response))
    assert not QuickBooksConnection.objects.filter(workspace=workspace_of(alice)).exists()

    # No state at all (and none in the session any more).
    response = alice_client.get(reverse("integrations:qbo_callback") + "?code=x&realmId=1")
    assert any("could not be verified" in m for m in _messages(response))
    assert not QuickBooksConnection.objects.exists()


def test_callback_state_belongs_to_the_session_that_started_it(alice_client, alice, bob, client):
    """A code+state lifted from alice's flow cannot connect bob's workspace."""
    create_company(workspace=workspace_of(alice), seed_demo=False)
    callback_url = press_consent(alice_client, start_qbo_connect(alice_client))
    bob_client = Client()
    bob_client.force_login(bob)
    response = bob_client.get(_local(callback_url))
    assert any("could not be verified" in m for m in _messages(response))
    assert not QuickBooksConnection.objects.filter(workspace=workspace_of(bob)).exists()


def test_denied_consent_shows_a_message_and_connects_nothing(alice_client, alice):
    response = connect_qbo_in_browser(alice_client, action="cancel")
    assert response.status_code == 302
    assert any("cancelled" in m for m in _messages(response))
    assert not QuickBooksConnection.objects.filter(workspace=workspace_of(alice)).exists()


def test_used_authorization_code_gives_a_clear_message(alice_client, alice, sandbox):
    """A code spent elsewhere (or expired) is refused by Intuit: nothing is stored."""
    create_company(workspace=workspace_of(alice), seed_demo=False)
    callback_url = press_consent(alice_client, start_qbo_connect(alice_client))
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback_url).query).items()}
    spender = auth_client(sandbox)
    spender.get_bearer_token(params["code"], realm_id=params["realmId"])
    response = alice_client.get(_local(callback_url))
    assert any("expired or was already used" in m for m in _messages(response))
    assert not QuickBooksConnection.objects.filter(workspace=workspace_of(alice)).exists()


def _with_realm(callback_url: str, realm_id: str) -> str:
    """The callback URL with its ``realmId`` replaced (as anyone can edit it in the address bar)."""
    parts = urlsplit(callback_url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    params["realmId"] = realm_id
    return parts.path + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_callback_with_a_swapped_realm_id_stores_nothing_and_revokes_the_grant(alice_client, alice):
    from integrations.sandbox.qbo.models import SandboxQboGrant

    workspace = workspace_of(alice)
    authorised = create_company(workspace=workspace, seed_demo=False)
    victim = create_company(seed_demo=False, name="Someone Else's Books")

    callback_url = press_consent(alice_client, start_qbo_connect(alice_client))
    assert f"realmId={authorised.realm_id}" in callback_url
    response = alice_client.get(_with_realm(callback_url, victim.realm_id))

    assert response["Location"] == reverse("integrations:index")
    assert any("nothing was connected" in m for m in _messages(response))
    assert not QuickBooksConnection.objects.filter(workspace=workspace).exists()
    # The token was tried on the named realm, refused there, and its grant revoked.
    assert SandboxCall.objects.filter(system="qbo", account=victim.realm_id, status=403).exists()
    grant = SandboxQboGrant.objects.get(company=authorised)
    assert grant.revoked_at is not None


def test_swapped_realm_id_on_reconnect_leaves_the_connection_as_it_was(alice_client, alice):
    workspace = workspace_of(alice)
    create_company(workspace=workspace, seed_demo=False)
    connect_qbo_in_browser(alice_client)
    before = QuickBooksConnection.objects.get(workspace=workspace)
    victim = create_company(seed_demo=False, name="Someone Else's Books")

    callback_url = press_consent(alice_client, start_qbo_connect(alice_client))
    alice_client.get(_with_realm(callback_url, victim.realm_id))

    after = QuickBooksConnection.objects.get(workspace=workspace)
    assert after.realm_id == before.realm_id and not after.has_pending_company
    assert after.refresh_token == before.refresh_token
    assert registry.accounting(workspace).company_name()  # the old connection still works


def test_when_the_company_cannot_be_confirmed_nothing_is_stored(alice_client, alice, settings):
    from integrations.sandbox.models import SandboxKnobs

    workspace = workspace_of(alice)
    create_company(workspace=workspace, seed_demo=False)
    callback_url = press_consent(alice_client, start_qbo_connect(alice_client))
    settings.INTEGRATION_RETRY_TRIES = 1
    SandboxKnobs.objects.filter(pk=1).update(fault_500_rate=1.0)  # every API call fails

    response = alice_client.get(_local(callback_url))

    assert response["Location"] == reverse("integrations:index")
    assert any("could not confirm the QuickBooks company" in m for m in _messages(response))
    assert not QuickBooksConnection.objects.filter(workspace=workspace).exists()


def test_reconnecting_the_same_company_keeps_it_without_confirmation(alice_client, alice):
    workspace = workspace_of(alice)
    create_company(workspace=workspace, seed_demo=False)
    connect_qbo_in_browser(alice_client)
    first = QuickBooksConnection.objects.get(workspace=workspace)
    connect_qbo_in_browser(alice_client)
    again = QuickBooksConnection.objects.get(workspace=workspace)
    assert again.pk == first.pk and again.realm_id == first.realm_id
    assert again.refresh_token != first.refresh_token
    assert not again.company_changed_at and not again.has_pending_company


def test_different_company_is_refused_until_confirmed(alice_client, alice, sandbox):
    workspace = workspace_of(alice)
    first_company = create_company(workspace=workspace, seed_demo=False)
    connect_qbo_in_browser(alice_client)
    other = create_company(seed_demo=False, name="Other Books Inc")
    changed = []

    def receiver(sender, workspace, old_realm_id, new_realm_id, **kwargs):
        changed.append((workspace.pk, old_realm_id, new_realm_id))

    company_changed.connect(receiver)
    try:
        # alice starts the flow; the consent is answered for the other (unowned) company.
        authorize_url = start_qbo_connect(alice_client)
        params = consent(authorize_url, realm_id=other.realm_id, session=requests.Session())
        assert params["realmId"] == other.realm_id
        query = "&".join(f"{k}={v}" for k, v in params.items())
        response = alice_client.get(reverse("integrations:qbo_callback") + "?" + query)
        assert response["Location"] == reverse("integrations:qbo_confirm_company")

        conn = QuickBooksConnection.objects.get(workspace=workspace)
        assert conn.realm_id == first_company.realm_id and conn.is_connected
        assert conn.pending_realm_id == other.realm_id
        page = alice_client.get(reverse("integrations:qbo_confirm_company"))
        assert (
            b"Other Books Inc" in page.content
            and conn.pending_refresh_token.encode() not in page.content
        )
        assert changed == []

        alice_client.post(reverse("integrations:qbo_confirm_company"), {"action": "confirm"})
        conn.refresh_from_db()
        assert conn.realm_id == other.realm_id and conn.company_name == "Other Books Inc"
        assert conn.previous_realm_id == first_company.realm_id and conn.company_changed_at
        assert not conn.has_pending_company
        assert changed == [(workspace.pk, first_company.realm_id, other.realm_id)]
        assert registry.accounting(workspace).company_name() == "Other Books Inc"
    finally:
        company_changed.disconnect(receiver)


def test_different_company_after_disconnect_still_needs_confirmation(alice_client, alice):
    workspace = workspace_of(alice)
    create_company(workspace=workspace, seed_demo=False)
    connect_qbo_in_browser(alice_client)
    alice_client.post(reverse("integrations:qbo_disconnect"))
    other = create_company(seed_demo=False)
    authorize_url = start_qbo_connect(alice_client)
    params = consent(authorize_url, realm_id=other.realm_id, session=requests.Session())
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = alice_client.get(reverse("integrations:qbo_callback") + "?" + query)
    assert response["Location"] == reverse("integrations:qbo_confirm_company")
    alice_client.post(reverse("integrations:qbo_confirm_company"), {"action": "cancel"})
    conn = QuickBooksConnection.objects.get(workspace=workspace)
    assert conn.status == ConnectionStatus.DISCONNECTED and not conn.has_pending_company


def test_disconnect_asks_first_then_revokes_and_deletes_tokens(alice_client, alice, sandbox):
    workspace = workspace_of(alice)
    create_company(workspace=workspace, seed_demo=False)
    connect_qbo_in_browser(alice_client)
    conn = QuickBooksConnection.objects.get(workspace=workspace)
    access, refresh = str(conn.access_token), str(conn.refresh_token)
    assert registry.accounting(workspace).company_name()

    confirm = alice_client.get(reverse("integrations:qbo_disconnect"))
    assert confirm.status_code == 200 and b"Disconnect QuickBooks" in confirm.content
    conn.refresh_from_db()
    assert conn.is_connected  # a GET changes nothing

    alice_client.post(reverse("integrations:qbo_disconnect"))
    conn.refresh_from_db()
    assert conn.status == ConnectionStatus.DISCONNECTED
    assert conn.access_token == "" and conn.refresh_token == ""
    assert conn.realm_id  # kept to recognise the company next time
    assert SandboxCall.objects.filter(operation="revoke", status=200).exists()
    # The grant is revoked at "Intuit": the old refresh and access tokens both fail now.
    with pytest.raises(AuthClientError):
        auth_client(sandbox).refresh(refresh_token=refresh)
    api = requests.get(
        f"{sandbox.qbo_api_base_url}/company/{conn.realm_id}/companyinfo/{conn.realm_id}",
        headers={"Authorization": f"Bearer {access}", "Accept": "application/json"},
        timeout=10,
    )
    assert api.status_code == 401
    with pytest.raises(NotConnected):
        registry.accounting(workspace)
