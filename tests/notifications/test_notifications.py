"""Notification emails (runs, broken connections, QuickBooks' hard expiry), opt-outs, banners."""

from __future__ import annotations

import base64
import json
import socket
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from integrations.errors import ReconnectNeeded
from integrations.models import ConnectionStatus, QuickBooksConnection
from integrations.quickbooks import oauth as qbo_oauth
from integrations.sandbox.qbo.models import SandboxQboGrant
from notifications import notices
from notifications.models import NotificationSettings, SentNotice
from notifications.tasks import CONNECTION_BROKEN, RUN_FINISHED
from sync.models import SyncRun
from sync.runs import lifecycle
from tests.factories import UserFactory
from tests.fixtures_worker import purge_broker

FIVE_YEARS = timedelta(days=5 * 365)


def workspace_of(user):
    return user.memberships.order_by("created_at").first().workspace


def make_run(workspace, status=SyncRun.Status.RUNNING, **fields) -> SyncRun:
    return SyncRun.objects.create(
        workspace=workspace, kind=SyncRun.Kind.CONTACTS, status=status, planned=True, **fields
    )


def _queues() -> set[str]:
    """Every broker queue a task may be sent to here (the default and the routed ones)."""
    names = {"celery", getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")}
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return names


def empty_queues() -> None:
    purge_broker()
    redis.Redis.from_url(settings.REDIS_URL).delete(*_queues())


def queued_tasks() -> list[dict]:
    """The task messages waiting in this test run's broker queues (name and args)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    found = []
    for queue in sorted(_queues()):
        for raw in client.lrange(queue, 0, -1):
            message = json.loads(raw)
            body = json.loads(base64.b64decode(message["body"]))
            found.append({"task": message["headers"]["task"], "args": body[0], "kwargs": body[1]})
    return found


@pytest.fixture
def team(alice):
    """alice's workspace with a second member, carol."""
    workspace = workspace_of(alice)
    carol = UserFactory(email="carol@example.com")
    Membership.objects.create(user=carol, workspace=workspace, role=Membership.Role.MEMBER)
    return workspace, alice, carol


# --- Runs ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_finished_run_mails_every_member_one_message_each(team):
    workspace, alice, carol = team
    run = make_run(workspace, status=SyncRun.Status.COMPLETED, total=3, processed=3)
    assert notices.run_finished(run.id) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "carol@example.com"]
    message = mail.outbox[0]
    assert message.subject == "[LedgerLink] Sync New Contacts finished in Alice & Co"
    assert f"/sync/runs/{run.id}/" in message.body
    assert "/notifications/" in message.body


@pytest.mark.django_db
def test_a_failed_run_says_why_and_a_user_can_opt_out(team):
    workspace, alice, carol = team
    NotificationSettings.objects.create(user=carol, workspace=workspace, run_failed=False)
    run = make_run(workspace, status=SyncRun.Status.FAILED, failure_reason="QuickBooks is down")
    assert notices.run_finished(run.id) == 1
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "failed" in message.subject
    assert "QuickBooks is down" in message.body


@pytest.mark.django_db
def test_opting_out_in_one_workspace_leaves_the_other_alone(team):
    workspace, alice, carol = team
    own = workspace_of(carol)
    NotificationSettings.objects.create(user=carol, workspace=workspace, run_completed=False)
    notices.run_finished(make_run(workspace, status=SyncRun.Status.COMPLETED).id)
    notices.run_finished(make_run(own, status=SyncRun.Status.COMPLETED).id)
    assert sorted((m.to[0], "Alice" in m.subject) for m in mail.outbox) == [
        ("alice@example.com", True),
        ("carol@example.com", False),
    ]


@pytest.mark.django_db
def test_stopped_runs_send_nothing(team):
    workspace, *_ = team
    assert notices.run_finished(make_run(workspace, status=SyncRun.Status.STOPPED).id) == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_ending_a_run_queues_the_notification_after_commit(alice):
    empty_queues()
    workspace = workspace_of(alice)
    run = make_run(workspace)
    lifecycle.finish(run, SyncRun.Status.COMPLETED)
    lifecycle.finish(run, SyncRun.Status.FAILED, "late duplicate")  # already ended: no second
    tasks = [t for t in queued_tasks() if t["task"] == RUN_FINISHED]
    empty_queues()
    assert tasks == [
        {"task": RUN_FINISHED, "args": [str(run.id)], "kwargs": {"workspace_id": str(workspace.id)}}
    ]
    assert mail.outbox == []  # Nothing is mailed inside the run.


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_a_failing_mail_server_fails_no_one(team, settings, caplog):
    workspace, *_ = team
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        _closed_port(),
        2,
    )
    run = make_run(workspace, status=SyncRun.Status.COMPLETED)
    assert notices.run_finished(run.id) == 0
    assert SyncRun.objects.get(pk=run.pk).status == SyncRun.Status.COMPLETED
    assert "not sent" in caplog.text
    assert "alice@example.com" not in caplog.text  # ids only in the logs


# --- Connections --------------------------------------------------------------------------------


def _break_qbo(connected) -> QuickBooksConnection:
    """Revoke the grant at the sandbox and expire the access token: the next refresh fails."""
    SandboxQboGrant.objects.filter(company=connected.qbo_company).update(revoked_at=timezone.now())
    conn = QuickBooksConnection.objects.get(workspace=connected.workspace)
    QuickBooksConnection.objects.filter(pk=conn.pk).update(
        access_expires_at=timezone.now() - timedelta(minutes=1)
    )
    return conn


@pytest.mark.django_db(transaction=True)
def test_a_revoked_quickbooks_grant_queues_a_reconnect_mail(connected_workspace):
    conn = _break_qbo(connected_workspace)
    empty_queues()
    with pytest.raises(ReconnectNeeded):
        qbo_oauth.refresh_tokens(conn.pk)
    assert QuickBooksConnection.objects.get(pk=conn.pk).status == ConnectionStatus.RECONNECT_NEEDED
    tasks = [t for t in queued_tasks() if t["task"] == CONNECTION_BROKEN]
    empty_queues()
    workspace_id = str(connected_workspace.workspace.id)
    assert tasks == [
        {
            "task": CONNECTION_BROKEN,
            "args": [workspace_id, "qbo", qbo_oauth.RECONNECT_REASON],
            "kwargs": {"workspace_id": workspace_id},
        }
    ]
    # What the task then sends:
    assert notices.connection_broken(workspace_id, "qbo", qbo_oauth.RECONNECT_REASON) == 1
    (message,) = mail.outbox
    assert message.subject == "[LedgerLink] QuickBooks needs reconnecting in Alice & Co"
    assert "/integrations/" in message.body


# --- QuickBooks' hard expiry --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_connecting_asks_for_and_stores_the_hard_expiry(connected_workspace, sandbox):
    conn = QuickBooksConnection.objects.get(workspace=connected_workspace.workspace)
    assert conn.refresh_hard_expires_at is not None
    assert abs(conn.refresh_hard_expires_at - (timezone.now() + FIVE_YEARS)) < timedelta(minutes=5)


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_gives_the_hard_expiry_only_when_asked(qbo_tokens):
    # intuitlib's own AuthClient does not send the header: no field in the answer.
    assert not hasattr(qbo_tokens.auth_client, "x_refresh_token_hard_expires_in")
    ours = qbo_oauth.auth_client()
    ours.refresh(refresh_token=qbo_tokens.refresh_token)
    left = qbo_oauth.hard_expires_in(ours)
    assert left is not None and abs(left - FIVE_YEARS.total_seconds()) < 600


@pytest.mark.django_db(transaction=True)
def test_a_refresh_stores_the_hard_expiry_and_warnings_go_out_once_at_30_and_7_days(
    connected_workspace,
):
    workspace = connected_workspace.workspace
    # The consent was given five years less 20 days ago.
    SandboxQboGrant.objects.filter(company=connected_workspace.qbo_company).update(
        created_at=timezone.now() - FIVE_YEARS + timedelta(days=20)
    )
    conn = QuickBooksConnection.objects.get(workspace=workspace)
    QuickBooksConnection.objects.filter(pk=conn.pk).update(
        access_expires_at=timezone.now() - timedelta(minutes=1)
    )
    qbo_oauth.refresh_tokens(conn.pk)
    conn.refresh_from_db()
    assert abs(conn.refresh_hard_expires_at - (timezone.now() + timedelta(days=20))) < timedelta(
        minutes=5
    )

    assert notices.warn_hard_expiry() == 1
    (message,) = mail.outbox
    assert "ends in 19 days" in message.subject or "ends in 20 days" in message.subject
    assert notices.warn_hard_expiry() == 0  # sent once
    assert notices.warn_hard_expiry(now=timezone.now() + timedelta(days=5)) == 0
    later = timezone.now() + timedelta(days=14)
    assert notices.warn_hard_expiry(now=later) == 1
    assert notices.warn_hard_expiry(now=later + timedelta(days=1)) == 0
    assert len(mail.outbox) == 2
    assert "ends in 6 days" in mail.outbox[1].subject or "ends in 5 days" in mail.outbox[1].subject
    assert SentNotice.objects.filter(workspace=workspace).count() == 2

    # The dashboard says the same.
    page = connected_workspace.client.get(reverse("dashboard")).content.decode()
    assert 'id="banner-hard-expiry"' in page
    assert "Reconnect QuickBooks before then" in page


@pytest.mark.django_db
def test_no_warning_far_from_the_hard_expiry_or_for_a_disconnected_company(alice):
    workspace = workspace_of(alice)
    QuickBooksConnection.objects.create(
        workspace=workspace,
        status=ConnectionStatus.CONNECTED,
        realm_id="1",
        refresh_hard_expires_at=timezone.now() + timedelta(days=31),
    )
    assert notices.warn_hard_expiry() == 0
    QuickBooksConnection.objects.filter(workspace=workspace).update(
        status=ConnectionStatus.DISCONNECTED,
        refresh_hard_expires_at=timezone.now() + timedelta(days=3),
    )
    assert notices.warn_hard_expiry() == 0
    assert mail.outbox == []


# --- Banners and the settings page ---------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_banners_for_reconnect_and_a_failed_last_run(alice_client, alice):
    workspace = workspace_of(alice)
    QuickBooksConnection.objects.create(
        workspace=workspace,
        status=ConnectionStatus.RECONNECT_NEEDED,
        status_reason="QuickBooks no longer accepts this connection.",
        realm_id="1",
    )
    make_run(workspace, status=SyncRun.Status.FAILED, failure_reason="LACRM said no")
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="banner-reconnect-qbo"' in page
    assert 'id="banner-last-run-failed"' in page and "LACRM said no" in page
    make_run(workspace, status=SyncRun.Status.COMPLETED)
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="banner-last-run-failed"' not in page


@pytest.mark.django_db
def test_notification_settings_are_per_user_and_per_workspace(client, team):
    workspace, alice, carol = team
    client.force_login(carol)
    session = client.session
    session["accounts.workspace_id"] = str(workspace.id)
    session.save()
    page = client.get(reverse("notifications:settings"))
    assert page.status_code == 200 and "Alice &amp; Co" in page.content.decode()
    client.post(
        reverse("notifications:settings"),
        {"run_failed": "on", "connection_problem": "on", "expiry_warning": "on"},
    )
    row = NotificationSettings.objects.get(user=carol)
    assert row.workspace == workspace and not row.run_completed and row.run_failed
    assert not NotificationSettings.objects.filter(user=alice).exists()
    assert [u.email for u in notices.mailing.recipients(workspace, "run_completed")] == [
        "alice@example.com"
    ]


@pytest.mark.django_db
def test_notification_settings_need_a_signed_in_user(client):
    response = client.get(reverse("notifications:settings"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_an_expiry_warning_nobody_received_is_tried_again(alice, settings):
    workspace = workspace_of(alice)
    QuickBooksConnection.objects.create(
        workspace=workspace,
        status=ConnectionStatus.CONNECTED,
        realm_id="1",
        company_name="Alice Books",
        refresh_hard_expires_at=timezone.now() + timedelta(days=12),
    )
    locmem = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        _closed_port(),
        2,
    )
    assert notices.warn_hard_expiry() == 0
    assert not SentNotice.objects.exists()
    settings.EMAIL_BACKEND = locmem
    assert notices.warn_hard_expiry() == 1
    assert "Alice Books" in mail.outbox[0].body
    assert notices.warn_hard_expiry() == 0


@pytest.mark.django_db(transaction=True)
def test_a_rejected_lacrm_key_queues_one_reconnect_mail(connected_workspace):
    from integrations import registry
    from integrations.errors import IntegrationError
    from integrations.models import LacrmConnection
    from integrations.sandbox.lacrm.store import regenerate_key

    # The key is replaced in LACRM (the sandbox), so the stored one is refused over HTTP.
    regenerate_key(connected_workspace.lacrm_account)
    empty_queues()
    with pytest.raises(IntegrationError):
        registry.crm(connected_workspace.workspace).get_user()
    conn = LacrmConnection.objects.get(workspace=connected_workspace.workspace)
    assert conn.status == ConnectionStatus.RECONNECT_NEEDED
    with pytest.raises(IntegrationError):
        registry.crm(connected_workspace.workspace).get_user()
    tasks = [t for t in queued_tasks() if t["task"] == CONNECTION_BROKEN]
    empty_queues()
    assert [t["args"][1] for t in tasks] == ["lacrm"]
    assert notices.connection_broken(*tasks[0]["args"]) == 1
    assert "Less Annoying CRM needs reconnecting" in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_the_connections_page_shows_when_the_authorization_ends(connected_workspace):
    conn = QuickBooksConnection.objects.get(workspace=connected_workspace.workspace)
    page = connected_workspace.client.get(reverse("integrations:index")).content.decode()
    assert 'id="qbo-hard-expiry"' in page
    assert f"{conn.refresh_hard_expires_at:%b} {conn.refresh_hard_expires_at.day}," in page
