"""The sandbox Intuit OAuth 2 provider, driven by the real intuit-oauth library over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import AuthorizationException
from quickbooks.objects.customer import Customer

from integrations.sandbox.models import SandboxCall, SandboxKnobs
from integrations.sandbox.qbo.models import (
    SandboxQboAccessToken,
    SandboxQboCompany,
    SandboxQboGrant,
)
from integrations.sandbox.qbo.store import company_for_workspace, create_company
from integrations.sandbox.qbo.tokens import digest
from tests.fixtures_sandbox import (
    auth_client,
    authorize_qbo,
    consent,
    consent_form,
    make_quickbooks,
)


def test_discovery_document_has_the_keys_intuitlib_needs(sandbox):
    doc = requests.get(sandbox.discovery_url, timeout=10).json()
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "issuer",
        "jwks_uri",
        "userinfo_endpoint",
    ):
        assert doc[key].startswith(sandbox.site_url), key
    assert doc["authorization_endpoint"] == f"{sandbox.site_url}/sandbox/intuit/connect/oauth2"


def test_authorization_url_points_at_the_consent_screen(sandbox):
    client = auth_client(sandbox)
    url = client.get_authorization_url([Scopes.ACCOUNTING])
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{sandbox.site_url}/sandbox/intuit/connect/oauth2?")
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["com.intuit.quickbooks.accounting"]


def test_consent_page_names_the_company_and_offers_connect_and_cancel(sandbox, qbo_company):
    client = auth_client(sandbox)
    page = requests.get(client.get_authorization_url([Scopes.ACCOUNTING]), timeout=10)
    assert page.status_code == 200
    assert f"Connect LedgerLink to {qbo_company.name}" in page.text
    assert 'value="connect"' in page.text and ">Connect</button>" in page.text
    assert 'value="cancel"' in page.text and ">Cancel</button>" in page.text
    assert 'class="consent"' in page.text
    assert "csrfmiddlewaretoken" in page.text


def test_code_flow_returns_tokens_for_the_realm_and_they_work(sandbox, qbo_company):
    tokens = authorize_qbo(sandbox, realm_id=qbo_company.realm_id)
    client = tokens.auth_client
    assert tokens.realm_id == qbo_company.realm_id
    assert client.access_token and client.refresh_token
    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in == 100 * 24 * 3600
    assert client.id_token is None
    # Only hashes are stored.
    grant = SandboxQboGrant.objects.get(company=qbo_company)
    assert grant.refresh_token_hash == digest(client.refresh_token)
    assert SandboxQboAccessToken.objects.filter(token_hash=digest(client.access_token)).exists()
    qb = make_quickbooks(tokens, sandbox)
    assert Customer.count("", qb=qb) == 0
    calls = SandboxCall.objects.filter(system=SandboxCall.System.INTUIT_OAUTH)
    assert calls.filter(operation="token authorization_code", status=200).count() == 1


def test_refresh_rotates_and_the_old_refresh_token_is_dead_at_once(sandbox, qbo_company):
    client = authorize_qbo(sandbox, realm_id=qbo_company.realm_id).auth_client
    first_refresh, first_access = client.refresh_token, client.access_token
    client.refresh()
    assert client.refresh_token != first_refresh
    assert client.access_token != first_access
    with pytest.raises(AuthClientError) as excinfo:
        client.refresh(refresh_token=first_refresh)
    assert excinfo.value.status_code == 400
    assert json.loads(excinfo.value.content) == {"error": "invalid_grant"}
    # The newest refresh token still works.
    client.refresh()
    assert client.access_token


def test_authorization_code_is_single_use(sandbox, qbo_company):
    client = auth_client(sandbox)
    params = consent(
        client.get_authorization_url([Scopes.ACCOUNTING]), realm_id=qbo_company.realm_id
    )
    client.get_bearer_token(params["code"], realm_id=params["realmId"])
    with pytest.raises(AuthClientError) as excinfo:
        client.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert json.loads(excinfo.value.content) == {"error": "invalid_grant"}


def test_authorization_code_expires_after_ten_minutes(sandbox, qbo_company):
    client = auth_client(sandbox)
    params = consent(
        client.get_authorization_url([Scopes.ACCOUNTING]), realm_id=qbo_company.realm_id
    )
    with time_machine.travel(timedelta(minutes=11)), pytest.raises(AuthClientError) as excinfo:
        client.get_bearer_token(params["code"])
    assert json.loads(excinfo.value.content) == {"error": "invalid_grant"}


def test_code_is_bound_to_its_redirect_uri(sandbox, qbo_company):
    client = auth_client(sandbox)
    params = consent(
        client.get_authorization_url([Scopes.ACCOUNTING]), realm_id=qbo_company.realm_id
    )
    other = auth_client(sandbox, redirect_uri="http://localhost:9/other/callback")
    with pytest.raises(AuthClientError) as excinfo:
        other.get_bearer_token(params["code"])
    assert json.loads(excinfo.value.content) == {"error": "invalid_grant"}


def test_wrong_client_secret_is_invalid_client(sandbox, qbo_company, settings):
    client = auth_client(sandbox)
    params = consent(
        client.get_authorization_url([Scopes.ACCOUNTING]), realm_id=qbo_company.realm_id
    )
    client.client_secret = "not-the-secret"
    with pytest.raises(AuthClientError) as excinfo:
        client.get_bearer_token(params["code"])
    assert excinfo.value.status_code == 401
    assert json.loads(excinfo.value.content) == {"error": "invalid_client"}


def test_cancel_redirects_with_access_denied_and_the_state(sandbox, qbo_company):
    client = auth_client(sandbox)
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="state-123")
    params = consent(url, action="cancel")
    assert params == {"error": "access_denied", "state": "state-123"}


def test_unknown_client_id_gets_an_error_page_not_a_redirect(sandbox):
    client = auth_client(sandbox)
    client.client_id = "someone-else"
    response = requests.get(
        client.get_authorization_url([Scopes.ACCOUNTING]), allow_redirects=False, timeout=10
    )
    assert response.status_code == 400
    assert "invalid client_id" in response.text


def test_missing_accounting_scope_redirects_with_invalid_scope(sandbox):
    client = auth_client(sandbox)
    url = client.get_authorization_url([Scopes.OPENID], state_token="s1")
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert "error=invalid_scope" in response.headers["Location"]


def test_revoke_ends_the_connection(sandbox, qbo_company):
    tokens = authorize_qbo(sandbox, realm_id=qbo_company.realm_id)
    qb = make_quickbooks(tokens, sandbox)
    assert tokens.auth_client.revoke() is True
    with pytest.raises(AuthorizationException) as excinfo:
        Customer.all(qb=qb)
    assert excinfo.value.error_code == 401
    with pytest.raises(AuthClientError) as excinfo:
        tokens.auth_client.refresh()
    assert json.loads(excinfo.value.content) == {"error": "invalid_grant"}


def test_refresh_token_expires_per_the_knob(sandbox, qbo_company):
    SandboxKnobs.objects.filter(pk=1).update(qbo_refresh_token_lifetime=60)
    client = authorize_qbo(sandbox, realm_id=qbo_company.realm_id).auth_client
    assert client.x_refresh_token_expires_in == 60
    with time_machine.travel(timedelta(seconds=120)), pytest.raises(AuthClientError):
        client.refresh()


def test_userinfo_answers_for_a_valid_access_token(sandbox, qbo_company):
    client = authorize_qbo(sandbox, realm_id=qbo_company.realm_id).auth_client
    response = client.get_user_info()
    assert response.json()["email"] == "sandbox.user@example.com"


def test_signed_in_user_connects_their_workspace_company(sandbox, alice, client, settings):
    """A signed-in user's consent uses (or creates) the sandbox company of their workspace."""
    workspace = alice.memberships.get().workspace
    company = create_company(workspace=workspace, seed_demo=False)
    client.force_login(alice)
    intuit = auth_client(sandbox)
    url = intuit.get_authorization_url([Scopes.ACCOUNTING])
    path = url[len(sandbox.site_url) :]
    page = client.get(path)
    assert f"Connect LedgerLink to {company.name}".encode() in page.content
    answer = client.post(
        path,
        {
            "client_id": settings.QBO_CLIENT_ID,
            "redirect_uri": sandbox.redirect_uri,
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting",
            "state": intuit.state_token,
            "action": "connect",
            # Ignored for signed-in users: they can only connect their own company.
            "realm_id": "123",
        },
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(answer["Location"]).query).items()}
    assert params["realmId"] == company.realm_id
    intuit.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert intuit.access_token
    assert SandboxQboCompany.objects.filter(workspace=workspace).count() == 1


def test_first_consent_creates_the_workspace_company_with_demo_data(sandbox, bob, client, settings):
    pytest.importorskip(
        "integrations.sandbox.demo_data", reason="demo_data.py is written by another helper"
    )
    workspace = bob.memberships.get().workspace
    client.force_login(bob)
    intuit = auth_client(sandbox)
    path = intuit.get_authorization_url([Scopes.ACCOUNTING])[len(sandbox.site_url) :]
    form = {
        "client_id": settings.QBO_CLIENT_ID,
        "redirect_uri": sandbox.redirect_uri,
        "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting",
        "state": intuit.state_token,
        "action": "connect",
    }
    answer = client.post(path, form)
    company = company_for_workspace(workspace)
    assert company is not None
    assert f"realmId={company.realm_id}" in answer["Location"]
    assert company.names.count() > 10
    assert company.invoices.filter(balance__gt=0).exists()


def test_visitor_without_workspace_gets_the_company_the_page_named(sandbox):
    pytest.importorskip(
        "integrations.sandbox.demo_data", reason="demo_data.py is written by another helper"
    )
    client = auth_client(sandbox)
    url = client.get_authorization_url([Scopes.ACCOUNTING])
    session = requests.Session()
    page = session.get(url, timeout=10).text
    shown = page.split("<h1>Connect LedgerLink to ", 1)[1].split("</h1>", 1)[0]
    form = {**consent_form(page), "action": "connect"}
    answer = session.post(url, data=form, allow_redirects=False, timeout=10)
    params = parse_qs(urlsplit(answer.headers["Location"]).query)
    params = {k: v[0] for k, v in params.items()}
    company = SandboxQboCompany.objects.get(realm_id=params["realmId"])
    assert company.workspace is None
    assert company.name == shown
    # The next visitor is offered the same unowned company rather than a new one each time.
    again = consent(client.get_authorization_url([Scopes.ACCOUNTING]))
    assert again["realmId"] == company.realm_id
