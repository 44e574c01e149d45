"""Every integrations view needs a signed-in member; workspaces never see each other's links."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.models import QuickBooksConnection
from tests.factories import UserFactory

NAMES = [
    ("get", "index"),
    ("post", "qbo_connect"),
    ("get", "qbo_callback"),
    ("get", "qbo_confirm_company"),
    ("get", "qbo_disconnect"),
    ("post", "qbo_disconnect"),
    ("get", "lacrm_connect"),
    ("post", "lacrm_connect"),
    ("post", "lacrm_oauth_start"),
    ("get", "lacrm_oauth_callback"),
    ("get", "lacrm_disconnect"),
    ("post", "lacrm_disconnect"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "name"), NAMES)
def test_every_view_requires_login(client, method, name):
    response = getattr(client, method)(reverse(f"integrations:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "name"), NAMES)
def test_a_user_without_a_workspace_gets_the_no_workspace_page(client, method, name):
    """Not a bare 404 (issue 16): the page says what to do, and nothing is connected."""
    from accounts.models import User
    from integrations.models import LacrmConnection, QuickBooksConnection

    loner = User.objects.create_user("loner@example.com", "correct-horse-battery-staple")
    client.force_login(loner)
    response = getattr(client, method)(reverse(f"integrations:{name}"))
    assert response.status_code == 200
    assert "This account has no workspace" in response.content.decode()
    assert not QuickBooksConnection.objects.exists() and not LacrmConnection.objects.exists()


@pytest.mark.django_db
def test_state_changing_views_refuse_get(alice_client):
    for name in ("qbo_connect", "lacrm_oauth_start"):
        assert alice_client.get(reverse(f"integrations:{name}")).status_code == 405


@pytest.mark.django_db
def test_posts_need_a_csrf_token(alice):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    for name in ("qbo_connect", "qbo_disconnect", "lacrm_disconnect", "lacrm_connect"):
        assert strict.post(reverse(f"integrations:{name}")).status_code == 403


def test_outsider_cannot_see_or_disconnect_alices_connections(connected_workspace, bob):
    alice_ws = connected_workspace.workspace
    bob_client = Client()
    bob_client.force_login(bob)

    page = bob_client.get(reverse("integrations:index"))
    assert page.status_code == 200
    assert connected_workspace.qbo_company.name.encode() not in page.content
    assert connected_workspace.realm_id.encode() not in page.content

    bob_client.post(reverse("integrations:qbo_disconnect"))
    bob_client.post(reverse("integrations:lacrm_disconnect"))
    assert registry.connection_status(alice_ws)["qbo"]["connected"]
    assert registry.connection_status(alice_ws)["lacrm"]["connected"]
    # bob's own workspace is untouched and unconnected.
    bob_status = registry.connection_status(bob.memberships.get().workspace)
    assert not bob_status["qbo"]["connected"] and not bob_status["lacrm"]["connected"]
    assert bob_client.get(reverse("integrations:qbo_confirm_company")).status_code == 302


def test_two_workspaces_keep_their_own_connections(connected_workspace, connect_workspace):
    carol = UserFactory(email="carol@example.com", workspace="Carol Ltd")
    carols = connect_workspace(carol, seed_demo=False)
    assert carols.realm_id != connected_workspace.realm_id
    assert registry.accounting(carols.workspace).realm_id == carols.realm_id
    assert registry.crm(carols.workspace).user_id == carols.lacrm_account.user_id
    assert (
        registry.accounting(connected_workspace.workspace).realm_id == connected_workspace.realm_id
    )


def test_no_secret_reaches_the_logs(connected_workspace, caplog):
    caplog.set_level(logging.DEBUG)
    conn = QuickBooksConnection.objects.get(workspace=connected_workspace.workspace)
    conn.access_expires_at = timezone.now() - timedelta(seconds=1)
    conn.save()
    registry.accounting(connected_workspace.workspace).company_name()
    list(registry.crm(connected_workspace.workspace).iter_contacts())
    conn.refresh_from_db()
    secrets = [str(conn.access_token), str(conn.refresh_token), connected_workspace.lacrm_api_key]
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert text  # something was logged (the refresh, at least)
    for secret in secrets:
        assert secret and secret not in text
        assert secret[:24] not in text


def test_admin_never_shows_secrets(connected_workspace, admin_client):
    conn = QuickBooksConnection.objects.get(workspace=connected_workspace.workspace)
    page = admin_client.get(
        reverse("admin:integrations_quickbooksconnection_change", args=[conn.pk])
    )
    assert page.status_code == 200
    assert conn.realm_id.encode() in page.content
    assert str(conn.refresh_token).encode() not in page.content
    assert str(conn.access_token)[:40].encode() not in page.content
