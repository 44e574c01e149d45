"""Sign-up, workspaces and workspace scoping."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Membership, User, Workspace

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
STRONG = "plum-orchard-4417-lantern"


def test_signup_creates_exactly_one_workspace_and_owner_membership(client):
    response = client.post(
        SIGNUP, {"email": "Carol@Example.com", "password1": STRONG, "password2": STRONG}
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="carol@example.com")
    memberships = list(Membership.objects.filter(user=user))
    assert len(memberships) == 1
    assert memberships[0].role == Membership.Role.OWNER
    assert Workspace.objects.count() == 1
    assert memberships[0].workspace.name == "carol's workspace"
    # Email verification is mandatory: a confirmation mail went out.
    assert len(mail.outbox) == 1
    assert "confirm" in mail.outbox[0].body.lower()


def test_signup_with_taken_email_shows_error_and_creates_nothing(client, alice):
    response = client.post(
        SIGNUP, {"email": "ALICE@example.com", "password1": STRONG, "password2": STRONG}
    )
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert User.objects.count() == 1
    assert Workspace.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "dave@example.com", "password1": "123", "password2": "123"}, "too short"),
        (
            {"email": "dave@example.com", "password1": "password123", "password2": "password123"},
            "too common",
        ),
        ({"email": "not-an-email", "password1": STRONG, "password2": STRONG}, "valid email"),
        (
            {"email": "dave@example.com", "password1": STRONG, "password2": STRONG + "x"},
            "same password",
        ),
    ],
)
def test_signup_bad_form_shows_error_and_creates_nothing(client, data, message):
    response = client.post(SIGNUP, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 0
    assert Workspace.objects.count() == 0


def test_dashboard_requires_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_dashboard_shows_workspace(alice_client, alice):
    response = alice_client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "Alice &amp; Co" in response.content.decode()


def test_workspace_page_is_404_for_an_outsider(alice, bob, client):
    alice_ws = alice.workspaces.get()
    client.force_login(bob)
    url = reverse("workspace_settings", kwargs={"workspace_id": alice_ws.id})
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Hijacked"}).status_code == 404
    alice_ws.refresh_from_db()
    assert alice_ws.name == "Alice & Co"


def test_owner_renames_own_workspace(alice_client, alice):
    ws = alice.workspaces.get()
    url = reverse("workspace_settings", kwargs={"workspace_id": ws.id})
    response = alice_client.post(url, {"name": "Alice Bookkeeping"})
    assert response.status_code == 302
    ws.refresh_from_db()
    assert ws.name == "Alice Bookkeeping"


def test_home_redirects_signed_in_users_to_dashboard(alice_client):
    response = alice_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


# --- Nothing tells an outsider whether an email has an account ---------------------------------

RESET = "/accounts/password/reset/"
LOGIN = "/accounts/login/"


def _page_text(response) -> str:
    """The page without its per-request CSRF token, so two answers can be compared."""
    import re

    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", page)


def test_password_reset_answers_alike_for_known_and_unknown_emails(client, alice):
    known = client.post(RESET, {"email": "alice@example.com"})
    unknown = client.post(RESET, {"email": "nobody-here@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    done = client.get(unknown["Location"]).content.decode()
    assert "not assigned" not in done
    # Only the owner of each mailbox learns the answer: alice gets a link, the other a notice.
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["nobody-here@example.com"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


def test_login_answers_alike_for_unknown_email_and_wrong_password(client, alice):
    wrong_password = client.post(LOGIN, {"login": "alice@example.com", "password": "x" * 12})
    unknown_email = client.post(LOGIN, {"login": "nobody-here@example.com", "password": "x" * 12})

    assert wrong_password.status_code == unknown_email.status_code == 200
    assert "not correct" in wrong_password.content.decode()
    assert _page_text(wrong_password).replace("alice@example.com", "E") == _page_text(
        unknown_email
    ).replace("nobody-here@example.com", "E")


# --- Login rate limits key on the client, not on our proxy --------------------------------------

ATTACKER, VICTIM = "203.0.113.7", "198.51.100.20"


def _verified(user):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _guess_passwords(client, times: int, **headers) -> list[int]:
    """Failed logins for different addresses (so only the per-IP limits can trip)."""
    statuses = []
    for n in range(times):
        response = client.post(
            LOGIN, {"login": f"guess{n}@example.com", "password": "wrong-guess-123"}, **headers
        )
        statuses.append(response.status_code)
        if "Too many failed login attempts" in response.content.decode():
            statuses[-1] = 429
    return statuses


def _signs_in(user, **headers) -> bool:
    from django.test import Client

    response = Client().post(
        LOGIN, {"login": user.email, "password": "correct-horse-battery-staple"}, **headers
    )
    return response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_one_clients_failed_logins_do_not_lock_out_another_behind_the_same_proxy(
    client, alice, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    _verified(alice)
    # Both reach us through the same proxy (REMOTE_ADDR 127.0.0.1), which appends the client.
    statuses = _guess_passwords(client, 30, HTTP_X_FORWARDED_FOR=f"10.9.9.9, {ATTACKER}")
    assert statuses[-1] == 429  # the attacker is limited...
    assert not _signs_in(alice, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert _signs_in(alice, HTTP_X_FORWARDED_FOR=VICTIM)  # ...and only the attacker


def test_a_spoofed_forwarded_for_is_ignored_without_trusted_proxies(client, alice, settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    _verified(alice)
    statuses = []
    for n in range(12):
        # A new made-up address each time would be a new bucket each time if it were believed.
        statuses += _guess_passwords(client, 1, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert statuses[-1] == 429
    assert not _signs_in(alice, HTTP_X_FORWARDED_FOR=VICTIM)


def test_trusted_proxy_count_counts_from_the_right(rf, settings):
    from accounts.client_ip import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4, 10.0.0.2", REMOTE_ADDR="10.0.0.3")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.3"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "1.2.3.4"
    settings.TRUSTED_PROXY_COUNT = 5  # fewer hops than proxies: the first hop, never a crash
    assert client_ip(request) == "6.6.6.6"
