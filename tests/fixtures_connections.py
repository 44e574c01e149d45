"""Shared pytest fixtures: workspaces connected to both sandbox providers, for real.

- ``connected_workspace``: alice's workspace connected to QuickBooks through the browser-facing
  OAuth views (connect POST → sandbox consent → Connect → our callback) and to Less Annoying CRM
  with a sandbox account's API key (checked with GetUser over HTTP). Both sandbox accounts carry
  the demo data.
- ``connected_workspace_empty``: the same with empty sandbox company/account (``seed_demo=False``)
  so a test can load its own customers and contacts.
- ``connect_workspace``: a factory, ``connect_workspace(user, seed_demo=True)``, for other users.

Each returns a :class:`ConnectedWorkspace` (workspace, user, realm_id, lacrm_api_key,
qbo_company and lacrm_account — the sandbox rows — and the signed-in test ``client``).
All of these need the ``sandbox`` fixture (a live server), so they are transactional.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.fixtures_sandbox import consent_form


@dataclass
class ConnectedWorkspace:
    """A workspace connected to both sandbox providers."""

    workspace: Any
    user: Any
    realm_id: str
    lacrm_api_key: str
    qbo_company: Any  # integrations.sandbox.qbo.models.SandboxQboCompany
    lacrm_account: Any  # integrations.sandbox.lacrm.models.SandboxLacrmAccount
    client: Client

    def __repr__(self) -> str:
        return f"ConnectedWorkspace(workspace={self.workspace.pk}, realm_id={self.realm_id!r})"


def workspace_of(user):
    return user.memberships.select_related("workspace").order_by("created_at").first().workspace


def _local(url: str) -> str:
    """Path and query of an absolute URL (the test client serves it in-process)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def start_qbo_connect(client: Client) -> str:
    """POST "Connect to QuickBooks"; return the authorize URL the app redirected to."""
    response = client.post(reverse("integrations:qbo_connect"))
    assert response.status_code == 302, response
    return response["Location"]


def press_consent(client: Client, authorize_url: str, action: str = "connect", **extra) -> str:
    """Open the sandbox consent page, press Connect/Cancel; return the callback URL it sends."""
    page = client.get(_local(authorize_url))
    assert page.status_code == 200, page.content[:500]
    form = consent_form(page.content.decode())
    form.update(extra)
    form["action"] = action
    answer = client.post(_local(authorize_url), form)
    assert answer.status_code == 302, answer.content[:500]
    return answer["Location"]


def connect_qbo_in_browser(client: Client, action: str = "connect"):
    """The whole browser round trip; returns our callback's response (a redirect)."""
    authorize_url = start_qbo_connect(client)
    callback_url = press_consent(client, authorize_url, action)
    return client.get(_local(callback_url))


def make_connected_workspace(user, *, seed_demo: bool = True, client: Client | None = None):
    """Connect ``user``'s workspace to a new sandbox company and LACRM account."""
    from integrations.lacrm import connection as lacrm_connection
    from integrations.models import QuickBooksConnection
    from integrations.sandbox.lacrm.store import create_account
    from integrations.sandbox.qbo.store import create_company

    workspace = workspace_of(user)
    client = client or Client()
    client.force_login(user)
    # The consent screen connects the workspace's own sandbox company; made first so the test
    # decides whether it carries demo data.
    company = create_company(workspace=workspace, seed_demo=seed_demo)
    response = connect_qbo_in_browser(client)
    assert response.status_code == 302 and response["Location"] == reverse("integrations:index")
    connection = QuickBooksConnection.objects.get(workspace=workspace)
    assert connection.is_connected and connection.realm_id == company.realm_id, connection.status

    account, api_key = create_account(workspace=workspace, seed_demo=seed_demo)
    lacrm_connection.connect_lacrm_api_key(workspace, user, api_key)
    return ConnectedWorkspace(
        workspace=workspace,
        user=user,
        realm_id=company.realm_id,
        lacrm_api_key=api_key,
        qbo_company=company,
        lacrm_account=account,
        client=client,
    )


@pytest.fixture
def connect_workspace(sandbox):
    """Factory: ``connect_workspace(user, seed_demo=True)`` → :class:`ConnectedWorkspace`."""

    def connect(user, *, seed_demo: bool = True) -> ConnectedWorkspace:
        return make_connected_workspace(user, seed_demo=seed_demo)

    return connect


@pytest.fixture
def connected_workspace(sandbox, alice, client) -> ConnectedWorkspace:
    """alice's workspace connected to both sandbox providers, with their demo data."""
    return make_connected_workspace(alice, seed_demo=True, client=client)


@pytest.fixture
def connected_workspace_empty(sandbox, alice, client) -> ConnectedWorkspace:
    """alice's workspace connected to an empty sandbox QBO company and LACRM account."""
    return make_connected_workspace(alice, seed_demo=False, client=client)
