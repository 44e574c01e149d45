"""Shared pytest fixtures: the built-in sandbox providers served by ``live_server``.

- ``sandbox``: points settings (SITE_URL, QBO_DISCOVERY_URL, QBO_API_BASE_URL, QBO_REDIRECT_URI,
  LACRM_API_URL) at the live server and resets the sandbox knobs.
- ``qbo_company``: an empty sandbox QBO company (no demo data, no workspace).
- ``qbo_tokens``: the real intuit-oauth authorization-code flow run against the sandbox for
  ``qbo_company`` (consent form posted over HTTP, no browser) → :class:`QboTokens`.
- ``qbo``: a python-quickbooks ``QuickBooks`` client for those tokens, aimed at the sandbox.

- ``release_holds``: releases every held sandbox answer (``runtime.hold_next``) when the test
  ends, passed or failed, so no live-server thread waits on.

Helpers ``authorize_qbo(sandbox, realm_id=None, session=None)`` and
``make_quickbooks(tokens, sandbox)`` do the same for other companies or signed-in users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests


@dataclass(frozen=True)
class SandboxUrls:
    """Where the sandbox providers answer in this test."""

    site_url: str
    discovery_url: str
    qbo_api_base_url: str
    lacrm_api_url: str
    redirect_uri: str


@dataclass
class QboTokens:
    """The result of a completed Intuit authorization: an authorized AuthClient and its realm."""

    auth_client: object  # intuitlib.client.AuthClient
    realm_id: str

    @property
    def access_token(self) -> str:
        return self.auth_client.access_token

    @property
    def refresh_token(self) -> str:
        return self.auth_client.refresh_token


@pytest.fixture
def sandbox(live_server, settings) -> SandboxUrls:
    """Aim every sandbox-related setting at the live server; knobs back to defaults."""
    from integrations.quickbooks.discovery import forget_discovery_documents
    from integrations.sandbox.models import SandboxKnobs

    # A discovery document cached by an earlier test may name another SITE_URL.
    forget_discovery_documents()
    base = live_server.url
    settings.SITE_URL = base
    settings.QBO_DISCOVERY_URL = f"{base}/sandbox/intuit/.well-known/openid_configuration"
    settings.QBO_API_BASE_URL = f"{base}/sandbox/qbo/v3"
    settings.QBO_REDIRECT_URI = f"{base}/integrations/quickbooks/callback/"
    settings.LACRM_API_URL = f"{base}/sandbox/lacrm/v2/"
    SandboxKnobs.objects.filter(pk=1).delete()
    SandboxKnobs.objects.create(pk=1)
    return SandboxUrls(
        site_url=base,
        discovery_url=settings.QBO_DISCOVERY_URL,
        qbo_api_base_url=settings.QBO_API_BASE_URL,
        lacrm_api_url=settings.LACRM_API_URL,
        redirect_uri=settings.QBO_REDIRECT_URI,
    )


@pytest.fixture
def release_holds(sandbox):
    """Release every held sandbox answer at the end of the test."""
    from integrations.sandbox import runtime

    yield
    runtime.release_all()


@pytest.fixture
def qbo_company(transactional_db):
    """An empty sandbox QBO company not tied to any workspace."""
    from integrations.sandbox.qbo.store import create_company

    return create_company(seed_demo=False)


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def consent_form(page_html: str) -> dict[str, str]:
    """The hidden fields of the consent page's form (CSRF token included)."""
    return {name: unescape(value) for name, value in _HIDDEN.findall(page_html)}


def auth_client(sandbox: SandboxUrls, redirect_uri: str | None = None):
    """A real intuitlib AuthClient configured for the sandbox (fetches discovery over HTTP)."""
    from django.conf import settings
    from intuitlib.client import AuthClient

    return AuthClient(
        settings.QBO_CLIENT_ID,
        settings.QBO_CLIENT_SECRET,
        redirect_uri or sandbox.redirect_uri,
        environment=sandbox.discovery_url,
    )


def consent(
    authorize_url: str, *, action: str = "connect", realm_id: str | None = None, session=None
) -> dict[str, str]:
    """Open the consent page and press Connect or Cancel; return the callback's query params."""
    session = session or requests.Session()
    page = session.get(authorize_url, timeout=30)
    page.raise_for_status()
    form = consent_form(page.text)
    form["action"] = action
    if realm_id is not None:
        form["realm_id"] = realm_id
    answer = session.post(authorize_url, data=form, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    location = urljoin(authorize_url, answer.headers["Location"])
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize_qbo(sandbox: SandboxUrls, realm_id: str | None = None, session=None) -> QboTokens:
    """Run the authorization-code flow with intuitlib against the sandbox, without a browser."""
    from intuitlib.enums import Scopes

    client = auth_client(sandbox)
    url = client.get_authorization_url([Scopes.ACCOUNTING])
    params = consent(url, realm_id=realm_id, session=session)
    assert params.get("state") == client.state_token
    client.get_bearer_token(params["code"], realm_id=params["realmId"])
    return QboTokens(auth_client=client, realm_id=params["realmId"])


def make_quickbooks(tokens: QboTokens, sandbox: SandboxUrls):
    """A python-quickbooks client for the tokens, with its base URLs aimed at the sandbox."""
    from quickbooks import QuickBooks

    qb = QuickBooks(
        auth_client=tokens.auth_client,
        refresh_token=tokens.refresh_token,
        company_id=tokens.realm_id,
        minorversion=75,
    )
    qb.api_url_v3 = qb.sandbox_api_url_v3 = sandbox.qbo_api_base_url
    return qb


@pytest.fixture
def qbo_tokens(sandbox, qbo_company) -> QboTokens:
    """Tokens for ``qbo_company`` obtained through the real OAuth flow."""
    return authorize_qbo(sandbox, realm_id=qbo_company.realm_id)


@pytest.fixture
def qbo(sandbox, qbo_tokens):
    """A python-quickbooks ``QuickBooks`` client connected to ``qbo_company``."""
    return make_quickbooks(qbo_tokens, sandbox)
