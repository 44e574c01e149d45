"""The sandbox LACRM's partner OAuth (consent, code, tokens, single-use refresh) and keys page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from django.urls import reverse

from integrations.sandbox.lacrm.models import SandboxLacrmAccount, SandboxLacrmGrant
from integrations.sandbox.lacrm.store import account_for_workspace, hash_secret
from integrations.sandbox.models import SandboxKnobs

AUTHORIZE = "/sandbox/lacrm/oauth/authorize"
CALLBACK = "https://ledgerlink.example/integrations/lacrm/oauth/callback/"


def _consent(client, decision: str, client_id: str, state: str = "st4te") -> dict[str, list[str]]:
    page = client.get(
        AUTHORIZE,
        {"response_type": "code", "client_id": client_id, "state": state,
         "redirect_url": CALLBACK},
    )  # fmt: skip
    assert page.status_code == 200
    assert "Allow LedgerLink to access your Less Annoying CRM account" in page.content.decode()
    response = client.post(
        AUTHORIZE,
        {"client_id": client_id, "state": state, "redirect_url": CALLBACK, "decision": decision},
    )
    assert response.status_code == 302 and response["Location"].startswith(CALLBACK)
    return parse_qs(urlsplit(response["Location"]).query)


def _token(sandbox, credentials, **body) -> requests.Response:
    return requests.post(
        f"{sandbox.site_url}/sandbox/lacrm/oauth/token", json=body, auth=credentials, timeout=10
    )


def _api(sandbox, token: str, function: str = "GetUser") -> requests.Response:
    return requests.post(
        sandbox.lacrm_api_url,
        json={"Function": function, "Parameters": {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_code_token_refresh_flow_with_single_use_refresh_tokens(
    sandbox, alice, alice_client, lacrm_oauth_settings
):
    client_id, _ = lacrm_oauth_settings
    query = _consent(alice_client, "allow", client_id)
    assert query["state"] == ["st4te"]
    account = account_for_workspace(alice.memberships.get().workspace)
    assert account is not None and account.contacts.count() > 40  # created with the demo data

    tokens = _token(
        sandbox, lacrm_oauth_settings, grant_type="authorization_code", code=query["code"][0]
    )
    assert tokens.status_code == 200, tokens.text
    data = tokens.json()
    assert data["token_type"] == "Bearer" and data["expires_in"] == 3600
    user = _api(sandbox, data["access_token"])
    assert user.status_code == 200 and user.json()["UserId"] == account.user_id
    # The code is single-use.
    again = _token(
        sandbox, lacrm_oauth_settings, grant_type="authorization_code", code=query["code"][0]
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    refreshed = _token(
        sandbox,
        lacrm_oauth_settings,
        grant_type="refresh_token",
        refresh_token=data["refresh_token"],
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != data["refresh_token"]
    assert _api(sandbox, refreshed.json()["access_token"]).status_code == 200
    reused = _token(
        sandbox,
        lacrm_oauth_settings,
        grant_type="refresh_token",
        refresh_token=data["refresh_token"],
    )
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    # Only hashes are stored.
    stored = set(SandboxLacrmGrant.objects.values_list("token_hash", flat=True))
    assert data["access_token"] not in stored and hash_secret(data["access_token"]) in stored


def test_expired_access_token_is_invalid_credentials(
    sandbox, alice, alice_client, lacrm_oauth_settings
):
    SandboxKnobs.objects.filter(pk=1).update(lacrm_access_token_lifetime=0)
    query = _consent(alice_client, "allow", lacrm_oauth_settings[0])
    data = _token(
        sandbox, lacrm_oauth_settings, grant_type="authorization_code", code=query["code"][0]
    ).json()
    response = _api(sandbox, data["access_token"])
    assert response.status_code == 400
    assert "Invalid credentials" in response.json()["ErrorDescription"]


def test_deny_sends_access_denied_and_creates_nothing(alice, alice_client, lacrm_oauth_settings):
    query = _consent(alice_client, "deny", lacrm_oauth_settings[0], state="xyz")
    assert query == {"error": ["access_denied"], "state": ["xyz"]}
    assert not SandboxLacrmGrant.objects.exists()


def test_token_endpoint_checks_client_credentials(sandbox, lacrm_oauth_settings):
    response = _token(sandbox, ("someone", "else"), grant_type="authorization_code", code="x")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    response = _token(sandbox, lacrm_oauth_settings, grant_type="password")
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_authorize_refuses_an_unknown_client(alice_client, lacrm_oauth_settings):
    response = alice_client.get(
        AUTHORIZE,
        {"response_type": "code", "client_id": "intruder", "redirect_url": CALLBACK},
    )
    assert response.status_code == 400
    assert "not registered" in response.content.decode()


def test_authorize_requires_sign_in(client, db, lacrm_oauth_settings):
    response = client.get(AUTHORIZE, {"response_type": "code", "client_id": "x"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_keys_page_creates_the_workspace_account_and_shows_the_key_once(alice, alice_client):
    url = reverse("sandbox_lacrm:keys")
    page = alice_client.get(url)
    assert page.status_code == 200 and b"create-account" in page.content

    created = alice_client.post(url, {"action": "create"})
    assert created.status_code == 200
    key = created.context["new_key"]
    assert key and key in created.content.decode()
    account = SandboxLacrmAccount.objects.get(workspace=alice.memberships.get().workspace)
    assert account.api_key_hash == hash_secret(key)
    assert account.contacts.count() > 40

    again = alice_client.get(url)
    assert key not in again.content.decode() and b"regenerate-key" in again.content
    regenerated = alice_client.post(url, {"action": "regenerate"})
    new_key = regenerated.context["new_key"]
    assert new_key != key
    account.refresh_from_db()
    assert account.api_key_hash == hash_secret(new_key)


def test_keys_page_is_per_workspace(alice, bob, client):
    url = reverse("sandbox_lacrm:keys")
    client.force_login(alice)
    alice_key = client.post(url, {"action": "create"}).context["new_key"]
    client.force_login(bob)
    page = client.get(url)
    assert b"create-account" in page.content and alice_key.encode() not in page.content
    # Bob cannot regenerate a key he does not have; his own account is a separate one.
    assert client.post(url, {"action": "regenerate"}).status_code == 404
    bob_key = client.post(url, {"action": "create"}).context["new_key"]
    assert bob_key != alice_key
    assert SandboxLacrmAccount.objects.count() == 2
    # Creating twice is refused rather than making a second account.
    assert client.post(url, {"action": "create"}).status_code == 404


def test_keys_page_requires_sign_in(client, db):
    response = client.get(reverse("sandbox_lacrm:keys"))
    assert response.status_code == 302
