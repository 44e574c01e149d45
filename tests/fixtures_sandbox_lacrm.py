"""Shared pytest fixtures: the sandbox Less Annoying CRM served by ``live_server``.

- ``lacrm_sandbox``: an empty sandbox LACRM account (no workspace) and its API key, with
  ``call()``/``ok()`` helpers that POST to the API over real HTTP → :class:`LacrmSandbox`.
- ``lacrm_demo_sandbox``: the same with the demo contacts loaded.
- ``lacrm_oauth_settings``: partner OAuth client id/secret set and the authorize/token URLs aimed
  at the sandbox, so LedgerLink connects LACRM with OAuth.

Both use the ``sandbox`` fixture, which aims ``LACRM_API_URL`` at the live server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

LACRM_CLIENT_ID = "ledgerlink-sandbox-partner"
LACRM_CLIENT_SECRET = "sandbox-partner-secret"


@dataclass
class LacrmSandbox:
    """A sandbox LACRM account reachable over HTTP."""

    account: Any  # integrations.sandbox.lacrm.models.SandboxLacrmAccount
    api_key: str
    url: str

    @property
    def user_id(self) -> int:
        return self.account.user_id

    def call(
        self, function: str, params: dict[str, Any] | None = None, *, key: str | None = None
    ) -> requests.Response:
        """POST one function call; ``key`` overrides the Authorization header value."""
        return requests.post(
            self.url,
            json={"Function": function, "Parameters": params or {}},
            headers={"Authorization": self.api_key if key is None else key},
            timeout=30,
        )

    def ok(self, function: str, params: dict[str, Any] | None = None) -> Any:
        """Call and insist on HTTP 200; return the JSON (``None`` for an empty body)."""
        response = self.call(function, params)
        assert response.status_code == 200, response.text
        return response.json() if response.content else None

    def create_person(self, name: str, **params: Any) -> str:
        """CreateContact for a person assigned to the account's user; returns the ContactId."""
        body = {"IsCompany": False, "AssignedTo": self.user_id, "Name": name, **params}
        return self.ok("CreateContact", body)["ContactId"]


@pytest.fixture
def lacrm_sandbox(sandbox) -> LacrmSandbox:
    from integrations.sandbox.lacrm.store import create_account

    account, key = create_account(seed_demo=False)
    return LacrmSandbox(account=account, api_key=key, url=sandbox.lacrm_api_url)


@pytest.fixture
def lacrm_demo_sandbox(sandbox) -> LacrmSandbox:
    from integrations.sandbox.lacrm.store import create_account

    account, key = create_account(seed_demo=True)
    return LacrmSandbox(account=account, api_key=key, url=sandbox.lacrm_api_url)


@pytest.fixture
def lacrm_oauth_settings(sandbox, settings) -> tuple[str, str]:
    """Turn on LACRM partner OAuth against the sandbox; returns (client id, client secret)."""
    settings.LACRM_OAUTH_CLIENT_ID = LACRM_CLIENT_ID
    settings.LACRM_OAUTH_CLIENT_SECRET = LACRM_CLIENT_SECRET
    settings.LACRM_OAUTH_AUTHORIZE_URL = f"{sandbox.site_url}/sandbox/lacrm/oauth/authorize"
    settings.LACRM_OAUTH_TOKEN_URL = f"{sandbox.site_url}/sandbox/lacrm/oauth/token"
    return LACRM_CLIENT_ID, LACRM_CLIENT_SECRET
