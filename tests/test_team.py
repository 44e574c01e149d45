"""Teammates: invitations, accepting them, owner/member roles, removal, switching workspaces."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import teams
from accounts.middleware import SESSION_WORKSPACE
from accounts.models import Invitation, Membership, User, Workspace
from sync.models import SyncSettings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-4417-lantern"


def workspace_of(user) -> Workspace:
    return user.memberships.order_by("created_at").first().workspace


def team_url(workspace) -> str:
    return reverse("team", kwargs={"workspace_id": workspace.id})


def invite_url(workspace) -> str:
    return reverse("team_invite", kwargs={"workspace_id": workspace.id})


def link_from(message) -> str:
    return re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)


def local(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def carol(db):
    """A member (not owner) of alice's workspace; carol also owns her own workspace."""
    return UserFactory(email="carol@example.com", workspace="Carol's Corner")


@pytest.fixture
def alice_ws(alice):
    return workspace_of(alice)


@pytest.fixture
def carol_in_alice(carol, alice_ws):
    return Membership.objects.create(user=carol, workspace=alice_ws, role=Membership.Role.MEMBER)


def client_for(client, user, workspace=None):
    client.force_login(user)
    if workspace is not None:
        session = client.session
        session[SESSION_WORKSPACE] = str(workspace.id)
        session.save()
    return client


# --- Inviting -----------------------------------------------------------------------------------


def test_owner_invites_by_email_and_the_mail_carries_a_working_link(alice_client, alice_ws):
    response = alice_client.post(
        invite_url(alice_ws), {"email": "Dave@Example.com", "role": "member"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(workspace=alice_ws)
    assert invitation.email == "dave@example.com"
    assert invitation.role == "member" and invitation.is_open
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dave@example.com"]
    assert message.subject.startswith("[LedgerLink] ")
    assert "Alice & Co" in message.subject
    link = link_from(message)
    token = link.rstrip("/").rsplit("/", 1)[1]
    # Only the token's digest is stored: the link cannot be rebuilt from the database.
    assert token not in invitation.token_hash
    assert invitation.token_hash == teams.token_digest(token)
    assert len(token) >= 40


def test_inviting_a_member_again_is_refused(alice_client, alice_ws, carol_in_alice):
    alice_client.post(invite_url(alice_ws), {"email": "carol@example.com", "role": "member"})
    assert not Invitation.objects.filter(workspace=alice_ws).exists()
    assert mail.outbox == []


def test_a_new_invitation_replaces_the_open_one_for_that_address(alice_client, alice_ws):
    alice_client.post(invite_url(alice_ws), {"email": "dave@example.com", "role": "member"})
    alice_client.post(invite_url(alice_ws), {"email": "dave@example.com", "role": "owner"})
    open_ones = [i for i in Invitation.objects.filter(workspace=alice_ws) if i.is_open]
    assert [i.role for i in open_ones] == ["owner"]
    old_link = local(link_from(mail.outbox[0]))
    alice_client.logout()
    assert alice_client.get(old_link).status_code == 404


def test_bad_invite_form_sends_nothing(alice_client, alice_ws):
    alice_client.post(invite_url(alice_ws), {"email": "not-an-email", "role": "member"})
    alice_client.post(invite_url(alice_ws), {"email": "x@example.com", "role": "admin"})
    assert not Invitation.objects.exists()
    assert mail.outbox == []


# --- Accepting ----------------------------------------------------------------------------------


def test_new_user_signs_up_from_the_invitation_and_joins_without_a_workspace_of_their_own(
    client, alice_client, alice_ws
):
    alice_client.post(invite_url(alice_ws), {"email": "dave@example.com", "role": "member"})
    link = local(link_from(mail.outbox[0]))
    alice_client.logout()
    page = client.get(link)
    assert page.status_code == 200
    assert "Join Alice &amp; Co" in page.content.decode()
    signup = reverse("account_signup") + "?email=dave%40example.com&next=" + link
    response = client.post(
        signup, {"email": "dave@example.com", "password1": STRONG, "password2": STRONG}
    )
    assert response.status_code == 302
    dave = User.objects.get(email="dave@example.com")
    assert [(m.workspace, m.role) for m in dave.memberships.all()] == [(alice_ws, "member")]
    # The link proved the address: no second confirmation mail, and dave is signed in.
    assert dave.emailaddress_set.get().verified
    assert len(mail.outbox) == 1
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert "Alice &amp; Co" in dashboard.content.decode()
    assert Invitation.objects.get().accepted_by == dave
    # Used up: the link does not work a second time.
    client.logout()
    assert client.get(link).status_code == 404


def test_existing_user_accepts_after_signing_in(client, alice_client, alice_ws, carol):
    alice_client.post(invite_url(alice_ws), {"email": "carol@example.com", "role": "owner"})
    link = local(link_from(mail.outbox[0]))
    alice_client.logout()
    client.force_login(carol)
    page = client.get(link)
    assert page.status_code == 200 and "Accept and join" in page.content.decode()
    response = client.post(link, {"action": "accept"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert Membership.objects.get(user=carol, workspace=alice_ws).role == "owner"
    # Carol keeps her own workspace and now works in alice's (kept in the session).
    assert carol.memberships.count() == 2
    assert client.session[SESSION_WORKSPACE] == str(alice_ws.id)


def test_invitation_for_another_address_cannot_be_accepted(client, alice_client, alice_ws, bob):
    alice_client.post(invite_url(alice_ws), {"email": "dave@example.com", "role": "member"})
    link = local(link_from(mail.outbox[0]))
    alice_client.logout()
    client.force_login(bob)
    assert client.get(link).status_code == 403
    assert client.post(link, {"action": "accept"}).status_code == 403
    assert not Membership.objects.filter(user=bob, workspace=alice_ws).exists()


@pytest.mark.parametrize("state", ["expired", "revoked", "unknown"])
def test_dead_invitation_links_are_404(client, alice, alice_ws, bob, state):
    invitation, token = teams.invite(alice_ws, alice, "bob@example.com", "member")
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    elif state == "revoked":
        teams.revoke_invitation(alice_ws, invitation.pk)
    else:
        token = token[:-4] + "abcd"
    client.force_login(bob)
    url = reverse("accept_invitation", kwargs={"token": token})
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "accept"}).status_code == 404
    assert not Membership.objects.filter(user=bob, workspace=alice_ws).exists()


# --- Roles --------------------------------------------------------------------------------------


OWNER_POSTS = [
    ("integrations:qbo_connect", {}),
    ("integrations:qbo_disconnect", {}),
    ("integrations:lacrm_disconnect", {}),
    ("integrations:lacrm_connect", {"api_key": "x" * 40}),
    ("sync:settings", {"direction": "both"}),
]


@pytest.mark.parametrize(("name", "data"), OWNER_POSTS)
def test_member_cannot_change_connections_or_settings(
    client, carol, alice_ws, carol_in_alice, name, data
):
    client_for(client, carol, alice_ws)
    before = SyncSettings.for_workspace(alice_ws).direction
    response = client.post(reverse(name), data)
    assert response.status_code == 403
    assert "Only an owner can do this" in response.content.decode()
    assert "alice@example.com" in response.content.decode()
    assert SyncSettings.for_workspace(alice_ws).direction == before


def test_member_reads_settings_and_connections_but_sees_them_read_only(
    client, carol, alice_ws, carol_in_alice
):
    client_for(client, carol, alice_ws)
    settings_page = client.get(reverse("sync:settings"))
    assert settings_page.status_code == 200
    assert "settings-read-only" in settings_page.content.decode()
    assert "Save settings" not in settings_page.content.decode()
    connections = client.get(reverse("integrations:index"))
    assert (
        connections.status_code == 200 and "connections-read-only" in connections.content.decode()
    )


def test_member_cannot_invite_remove_change_roles_or_rename(
    client, alice, carol, alice_ws, carol_in_alice
):
    client_for(client, carol, alice_ws)
    alice_id = alice.pk
    assert (
        client.post(invite_url(alice_ws), {"email": "e@example.com", "role": "owner"}).status_code
        == 403
    )
    remove = reverse(
        "team_remove_member", kwargs={"workspace_id": alice_ws.id, "user_id": alice_id}
    )
    assert client.post(remove).status_code == 403
    role = reverse("team_change_role", kwargs={"workspace_id": alice_ws.id, "user_id": carol.pk})
    assert client.post(role, {"role": "owner"}).status_code == 403
    rename = reverse("workspace_settings", kwargs={"workspace_id": alice_ws.id})
    assert client.post(rename, {"name": "Carol took over"}).status_code == 403
    assert not Invitation.objects.exists() and mail.outbox == []
    assert Membership.objects.get(user=carol, workspace=alice_ws).role == "member"
    assert Workspace.objects.get(pk=alice_ws.pk).name == "Alice & Co"
    # A member still sees the team.
    page = client.get(team_url(alice_ws))
    assert page.status_code == 200 and "alice@example.com" in page.content.decode()
    assert "invite-form" not in page.content.decode()


def test_member_runs_a_sync_start_is_not_owner_only(client, carol, alice_ws, carol_in_alice):
    client_for(client, carol, alice_ws)
    # Not connected: the start is refused for that reason, not for the role.
    response = client.post(reverse("sync:start", kwargs={"kind": "contacts"}))
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_owner_changes_a_role_and_the_last_owner_stays(
    alice_client, alice, alice_ws, carol_in_alice, carol
):
    url = reverse("team_change_role", kwargs={"workspace_id": alice_ws.id, "user_id": carol.pk})
    alice_client.post(url, {"role": "owner"})
    assert Membership.objects.get(pk=carol_in_alice.pk).role == "owner"
    alice_client.post(url, {"role": "member"})
    own = reverse("team_change_role", kwargs={"workspace_id": alice_ws.id, "user_id": alice.pk})
    alice_client.post(own, {"role": "member"})
    assert Membership.objects.get(user=alice, workspace=alice_ws).role == "owner"


# --- Removing -----------------------------------------------------------------------------------


def test_owner_removes_a_member_after_confirming(
    client, alice_client, alice_ws, carol_in_alice, carol
):
    url = reverse("team_remove_member", kwargs={"workspace_id": alice_ws.id, "user_id": carol.pk})
    confirm = alice_client.get(url)
    assert confirm.status_code == 200 and "Remove carol@example.com?" in confirm.content.decode()
    assert Membership.objects.filter(pk=carol_in_alice.pk).exists()
    alice_client.post(url)
    assert not Membership.objects.filter(pk=carol_in_alice.pk).exists()
    # Carol's session still names alice's workspace; she now lands in her own.
    alice_client.logout()
    client_for(client, carol, alice_ws)
    page = client.get(reverse("dashboard"))
    assert (
        "Carol&#x27;s Corner" in page.content.decode() or "Carol's Corner" in page.content.decode()
    )
    assert client.get(team_url(alice_ws)).status_code == 404


def test_last_owner_cannot_be_removed(alice_client, alice, alice_ws):
    url = reverse("team_remove_member", kwargs={"workspace_id": alice_ws.id, "user_id": alice.pk})
    alice_client.post(url)
    assert Membership.objects.filter(user=alice, workspace=alice_ws).exists()


# --- Switching ----------------------------------------------------------------------------------


def test_switching_workspaces_changes_what_every_page_shows(
    client, carol, alice_ws, carol_in_alice
):
    client.force_login(carol)
    own = workspace_of(carol)
    assert own.name == "Carol's Corner"
    first = client.get(reverse("dashboard")).content.decode()
    assert "Switch to Alice &amp; Co" in first
    client.post(reverse("switch_workspace"), {"workspace_id": str(alice_ws.id)})
    assert client.session[SESSION_WORKSPACE] == str(alice_ws.id)
    page = client.get(reverse("sync:settings")).content.decode()
    assert "Switch to Carol" in page
    assert client.get(team_url(alice_ws)).status_code == 200
    # Pages of the other workspace are 404 while working in this one.
    assert client.get(team_url(own)).status_code == 404
    client.post(reverse("switch_workspace"), {"workspace_id": str(own.id)})
    assert client.get(team_url(own)).status_code == 200


def test_cannot_switch_into_a_workspace_one_is_not_a_member_of(client, carol, bob):
    client.force_login(carol)
    bob_ws = workspace_of(bob)
    for value in (str(bob_ws.id), "not-a-uuid", ""):
        assert client.post(reverse("switch_workspace"), {"workspace_id": value}).status_code == 404
    assert SESSION_WORKSPACE not in client.session


# --- Outsiders ----------------------------------------------------------------------------------


def test_outsiders_get_404_on_every_team_page_and_action(
    bob_client, alice, alice_ws, carol_in_alice, carol
):
    invitation, _ = teams.invite(alice_ws, alice, "dave@example.com", "member")
    ws = alice_ws.id
    urls = [
        ("get", reverse("team", kwargs={"workspace_id": ws})),
        ("post", reverse("team_invite", kwargs={"workspace_id": ws})),
        (
            "post",
            reverse(
                "team_revoke_invitation",
                kwargs={"workspace_id": ws, "invitation_id": invitation.pk},
            ),
        ),
        ("get", reverse("team_remove_member", kwargs={"workspace_id": ws, "user_id": carol.pk})),
        ("post", reverse("team_remove_member", kwargs={"workspace_id": ws, "user_id": carol.pk})),
        ("post", reverse("team_change_role", kwargs={"workspace_id": ws, "user_id": carol.pk})),
        ("get", reverse("workspace_settings", kwargs={"workspace_id": ws})),
    ]
    for method, url in urls:
        response = getattr(bob_client, method)(
            url, {"email": "x@example.com", "role": "owner"} if method == "post" else None
        )
        assert response.status_code in (403, 404), url
        # bob owns his own workspace, so the role check passes and the workspace check says 404.
        assert response.status_code == 404, url
    assert Invitation.objects.get(pk=invitation.pk).is_open
    assert Membership.objects.filter(pk=carol_in_alice.pk, role="member").exists()


def test_an_owner_cannot_act_on_a_member_of_another_workspace(alice_client, alice_ws, bob):
    url = reverse("team_remove_member", kwargs={"workspace_id": alice_ws.id, "user_id": bob.pk})
    assert alice_client.post(url).status_code == 404
    assert bob.memberships.count() == 1


def test_anonymous_is_sent_to_sign_in(client, alice_ws):
    response = client.get(team_url(alice_ws))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
