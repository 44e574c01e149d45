"""QuickBooks tokens: refresh before expiry and on 401, one refresh at a time, dead grants."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.errors import ReconnectNeeded
from integrations.models import ConnectionStatus, QuickBooksConnection
from integrations.quickbooks.transport import PacedQuickBooks
from integrations.sandbox.models import SandboxCall
from tests.fixtures_sandbox import auth_client
from tests.threads import test_thread


def _refresh_calls() -> int:
    return SandboxCall.objects.filter(
        system=SandboxCall.System.INTUIT_OAUTH, operation="token refresh_token"
    ).count()


def _expire(workspace) -> QuickBooksConnection:
    conn = QuickBooksConnection.objects.get(workspace=workspace)
    conn.access_expires_at = timezone.now() - timedelta(seconds=1)
    conn.save()
    return conn


def test_expired_access_token_is_refreshed_and_the_rotated_token_stored(connected_workspace_empty):
    ws = connected_workspace_empty
    old = _expire(ws.workspace)
    old_refresh, old_access = str(old.refresh_token), str(old.access_token)

    assert registry.accounting(ws.workspace).company_name() == ws.qbo_company.name

    conn = QuickBooksConnection.objects.get(pk=old.pk)
    assert _refresh_calls() == 1
    assert conn.refresh_token != old_refresh and conn.access_token != old_access
    assert conn.access_expires_at > timezone.now() + timedelta(minutes=50)
    assert conn.last_refreshed_at > old.last_refreshed_at


def test_token_close_to_expiry_is_refreshed_before_the_call(connected_workspace_empty):
    ws = connected_workspace_empty
    conn = QuickBooksConnection.objects.get(workspace=ws.workspace)
    conn.access_expires_at = timezone.now() + timedelta(minutes=2)
    conn.save()
    registry.accounting(ws.workspace).company_today()
    assert _refresh_calls() == 1


def test_a_401_refreshes_once_and_retries(connected_workspace_empty):
    ws = connected_workspace_empty
    conn = QuickBooksConnection.objects.get(workspace=ws.workspace)
    conn.access_token = "not-a-token-intuit-knows"  # looks fresh to us, QBO answers 401
    conn.save()
    client = registry.accounting(ws.workspace)
    assert client.company_name() == ws.qbo_company.name
    assert _refresh_calls() == 1
    assert SandboxCall.objects.filter(system="qbo", status=401).count() == 1


def test_two_threads_on_an_expired_token_refresh_exactly_once(connected_workspace_empty):
    ws = connected_workspace_empty
    _expire(ws.workspace)
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def work():
        try:
            client = registry.accounting(ws.workspace)
            barrier.wait(timeout=10)
            results.append(client.company_name())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [test_thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    assert errors == []
    assert results == [ws.qbo_company.name] * 2
    assert _refresh_calls() == 1
    conn = QuickBooksConnection.objects.get(workspace=ws.workspace)
    assert conn.status == ConnectionStatus.CONNECTED
    # The stored refresh token is the live one: a later refresh still works.
    _expire(ws.workspace)
    registry.accounting(ws.workspace).company_name()
    assert _refresh_calls() == 2


def test_invalid_grant_marks_reconnect_needed(connected_workspace_empty, sandbox):
    ws = connected_workspace_empty
    conn = _expire(ws.workspace)
    # Someone else spends our refresh token (the sandbox rotates on every refresh, so ours dies).
    auth_client(sandbox).refresh(refresh_token=str(conn.refresh_token))

    with pytest.raises(ReconnectNeeded) as excinfo:
        registry.accounting(ws.workspace).company_name()
    assert "Reconnect QuickBooks" in str(excinfo.value)
    conn.refresh_from_db()
    assert conn.status == ConnectionStatus.RECONNECT_NEEDED
    assert conn.refresh_token == "" and conn.status_reason
    status = registry.connection_status(ws.workspace)["qbo"]
    assert status["needs_reconnect"] and not status["connected"]
    with pytest.raises(ReconnectNeeded):
        registry.accounting(ws.workspace)
    page = ws.client.get(reverse("integrations:index"))
    assert b"Reconnect to QuickBooks" in page.content

    # One click reconnects the same company; the ledger's realm is kept.
    from tests.fixtures_connections import connect_qbo_in_browser

    connect_qbo_in_browser(ws.client)
    conn.refresh_from_db()
    assert conn.status == ConnectionStatus.CONNECTED and conn.realm_id == ws.realm_id
    assert registry.accounting(ws.workspace).company_name() == ws.qbo_company.name


def test_library_client_is_never_built_without_an_access_token(sandbox):
    with pytest.raises(ReconnectNeeded):
        PacedQuickBooks(realm_id="1", access_token="", api_base=sandbox.qbo_api_base_url)
    assert _refresh_calls() == 0
