"""Connecting Less Annoying CRM: API keys checked with GetUser, partner OAuth, disconnect."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.db import connection
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.errors import NotConnected, ReconnectNeeded
from integrations.lacrm import connection as lacrm_connection
from integrations.models import ConnectionStatus, LacrmConnection
from integrations.sandbox.lacrm.store import create_account, regenerate_key
from integrations.sandbox.models import SandboxCall
from tests.fixtures_connections import workspace_of
from tests.threads import test_thread

pytestmark = pytest.mark.usefixtures("sandbox")


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_key_form_explains_where_to_get_a_key(alice_client):
    page = alice_client.get(reverse("integrations:lacrm_connect"))
    assert page.status_code == 200
    assert b"Settings \xe2\x86\x92 Programmer API" in page.content
    assert b"read/create/edit" in page.content or b"read, create and edit" in page.content
    assert reverse("sandbox_lacrm:keys").encode() in page.content


def test_bad_key_is_rejected_and_nothing_is_stored(alice_client, alice):
    response = alice_client.post(
        reverse("integrations:lacrm_connect"), {"api_key": "1234-5678-not-a-real-key"}
    )
    assert response.status_code == 200
    assert b"LACRM did not accept this key: Invalid credentials" in response.content
    assert b"1234-5678-not-a-real-key" not in response.content  # the field is not echoed
    assert not LacrmConnection.objects.filter(workspace=workspace_of(alice)).exists()


@pytest.mark.parametrize(
    "key", ["1234-ключ-5678", "1234-café-5678", "1234\u00a05678", "“1234-5678”", "12 34"]
)
def test_a_key_with_characters_no_key_has_is_a_form_error(alice_client, alice, key):
    calls = SandboxCall.objects.count()
    response = alice_client.post(reverse("integrations:lacrm_connect"), {"api_key": key})
    assert response.status_code == 200
    assert b"This is not an LACRM API key" in response.content
    assert not LacrmConnection.objects.filter(workspace=workspace_of(alice)).exists()
    assert SandboxCall.objects.count() == calls  # refused before anything was sent


def test_the_client_refuses_a_credential_http_cannot_carry_without_sending_it():
    from integrations.errors import AuthExpired
    from integrations.lacrm.oauth import check_api_key

    calls = SandboxCall.objects.count()
    with pytest.raises(AuthExpired):
        check_api_key("1234-ключ-5678")
    assert SandboxCall.objects.count() == calls


def test_good_key_is_stored_encrypted_with_the_user(alice_client, alice):
    account, key = create_account(workspace=workspace_of(alice), seed_demo=False)
    response = alice_client.post(reverse("integrations:lacrm_connect"), {"api_key": f"  {key} "})
    assert response.status_code == 302
    conn = LacrmConnection.objects.get(workspace=workspace_of(alice))
    assert conn.status == ConnectionStatus.CONNECTED
    assert conn.auth_kind == LacrmConnection.AuthKind.API_KEY
    assert conn.api_key == key
    assert conn.lacrm_user_id == account.user_id
    assert conn.user_email == account.email
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM integrations_lacrmconnection WHERE id = %s", [conn.pk])
        raw = cursor.fetchone()[0]
    assert key not in raw and key[-20:] not in raw
    client = registry.crm(workspace_of(alice))
    assert client.user_id == account.user_id
    page = alice_client.get(reverse("integrations:index"))
    assert key.encode() not in page.content and account.email.encode() in page.content


def test_a_key_revoked_in_lacrm_marks_reconnect_needed(alice_client, alice):
    account, key = create_account(workspace=workspace_of(alice), seed_demo=False)
    lacrm_connection.connect_lacrm_api_key(workspace_of(alice), alice, key)
    regenerate_key(account)
    with pytest.raises(ReconnectNeeded):
        list(registry.crm(workspace_of(alice)).iter_contacts())
    conn = LacrmConnection.objects.get(workspace=workspace_of(alice))
    assert conn.status == ConnectionStatus.RECONNECT_NEEDED
    assert registry.connection_status(workspace_of(alice))["lacrm"]["needs_reconnect"]
    assert b"Reconnect Less Annoying CRM" in alice_client.get(reverse("integrations:index")).content


def test_disconnect_asks_first_then_deletes_the_key(alice_client, alice):
    _, key = create_account(workspace=workspace_of(alice), seed_demo=False)
    lacrm_connection.connect_lacrm_api_key(workspace_of(alice), alice, key)
    page = alice_client.get(reverse("integrations:lacrm_disconnect"))
    assert page.status_code == 200 and b"Disconnect Less Annoying CRM" in page.content
    assert LacrmConnection.objects.get(workspace=workspace_of(alice)).is_connected
    alice_client.post(reverse("integrations:lacrm_disconnect"))
    conn = LacrmConnection.objects.get(workspace=workspace_of(alice))
    assert conn.status == ConnectionStatus.DISCONNECTED and conn.api_key == ""
    with pytest.raises(NotConnected):
        registry.crm(workspace_of(alice))


# --- partner OAuth ------------------------------------------------------------------------------

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@pytest.fixture
def lacrm_oauth(settings, sandbox):
    settings.LACRM_OAUTH_CLIENT_ID = "ledgerlink-test-client"
    settings.LACRM_OAUTH_CLIENT_SECRET = "ledgerlink-test-secret"
    settings.LACRM_OAUTH_AUTHORIZE_URL = f"{sandbox.site_url}/sandbox/lacrm/oauth/authorize"
    settings.LACRM_OAUTH_TOKEN_URL = f"{sandbox.site_url}/sandbox/lacrm/oauth/token"
    return settings


def _oauth_round_trip(client, decision: str = "allow"):
    start = client.post(reverse("integrations:lacrm_oauth_start"))
    assert start.status_code == 302 and "/sandbox/lacrm/oauth/authorize" in start["Location"]
    page = client.get(_local(start["Location"]))
    assert page.status_code == 200
    form = {k: unescape(v) for k, v in _HIDDEN.findall(page.content.decode())}
    form["decision"] = decision
    answer = client.post(_local(start["Location"]), form)
    assert answer.status_code == 302
    return answer["Location"], client.get(_local(answer["Location"]))


def test_oauth_connect_refresh_and_single_use_refresh_tokens(alice_client, alice, lacrm_oauth):
    index = alice_client.get(reverse("integrations:index"))
    assert b"Connect with Less Annoying CRM" in index.content
    _, response = _oauth_round_trip(alice_client)
    assert response.status_code == 302
    conn = LacrmConnection.objects.get(workspace=workspace_of(alice))
    assert conn.auth_kind == LacrmConnection.AuthKind.OAUTH and conn.is_connected
    assert conn.lacrm_user_id and conn.access_token and conn.refresh_token
    client = registry.crm(workspace_of(alice))
    assert client.user_id == conn.lacrm_user_id
    assert len(list(client.iter_contacts())) > 0  # the sandbox seeds demo data for OAuth

    conn.access_expires_at = timezone.now() - timedelta(seconds=5)
    conn.save()
    old_refresh = str(conn.refresh_token)
    list(registry.crm(workspace_of(alice)).iter_contacts())
    conn.refresh_from_db()
    assert conn.refresh_token != old_refresh
    refreshes = SandboxCall.objects.filter(
        system=SandboxCall.System.LACRM_OAUTH, operation="token refresh_token", status=200
    )
    assert refreshes.count() == 1

    # Someone spends our (single-use) refresh token: the next refresh must ask to reconnect.
    requests.post(
        lacrm_oauth.LACRM_OAUTH_TOKEN_URL,
        json={"grant_type": "refresh_token", "refresh_token": str(conn.refresh_token)},
        auth=(lacrm_oauth.LACRM_OAUTH_CLIENT_ID, lacrm_oauth.LACRM_OAUTH_CLIENT_SECRET),
        timeout=10,
    ).raise_for_status()
    conn.access_expires_at = timezone.now() - timedelta(seconds=5)
    conn.save()
    with pytest.raises(ReconnectNeeded):
        list(registry.crm(workspace_of(alice)).iter_contacts())
    conn.refresh_from_db()
    assert conn.status == ConnectionStatus.RECONNECT_NEEDED and conn.refresh_token == ""


def test_oauth_denial_and_replayed_state(alice_client, alice, lacrm_oauth):
    _, response = _oauth_round_trip(alice_client, decision="deny")
    assert any("cancelled" in m for m in _messages(response))
    assert not LacrmConnection.objects.filter(workspace=workspace_of(alice)).exists()

    callback_url, _ = _oauth_round_trip(alice_client)
    replay = alice_client.get(_local(callback_url))
    assert any("could not be verified" in m for m in _messages(replay))


def test_oauth_button_hidden_without_partner_credentials(alice_client, settings):
    settings.LACRM_OAUTH_CLIENT_ID = ""
    page = alice_client.get(reverse("integrations:index"))
    assert b"Connect with Less Annoying CRM" not in page.content
    response = alice_client.post(reverse("integrations:lacrm_oauth_start"))
    assert response.status_code == 302 and "/sandbox/" not in response["Location"]


def test_two_threads_on_an_expired_oauth_token_refresh_exactly_once(
    alice_client, alice, lacrm_oauth
):
    _oauth_round_trip(alice_client)
    workspace = workspace_of(alice)
    conn = LacrmConnection.objects.get(workspace=workspace)
    conn.access_expires_at = timezone.now() - timedelta(seconds=5)
    conn.save()
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def work():
        try:
            client = registry.crm(workspace)
            barrier.wait(timeout=10)
            results.append(int(client.get_user()["UserId"]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [test_thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert results == [conn.lacrm_user_id] * 2
    refreshes = SandboxCall.objects.filter(
        system=SandboxCall.System.LACRM_OAUTH, operation="token refresh_token"
    )
    assert refreshes.count() == 1
    conn.refresh_from_db()
    assert conn.is_connected
