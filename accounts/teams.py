"""Teammates: invitations by email, accepting them, roles, removing members.

Owners invite an email address with a role; the email (allauth's mail setup) carries a link
with a random token whose sha256 alone is stored. Whoever opens the link while signed in as
that address (or signs up with it) joins the workspace. A workspace always keeps at least one
owner: the last owner can be neither removed nor made a member.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import INVITATION_DAYS, Invitation, Membership, User, Workspace
from accounts.scoping import scopes_disabled

logger = logging.getLogger(__name__)

# Where the token of an invitation opened before sign-up/sign-in waits, in the session.
SESSION_INVITATION = "accounts.invitation_token"
INVITATION_DAYS_TEXT = f"{INVITATION_DAYS} days"


class TeamError(Exception):
    """A team change that is not allowed, with a message for the user."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("accept_invitation", kwargs={"token": token})


def invite(workspace: Workspace, invited_by: User, email: str, role: str) -> tuple[Invitation, str]:
    """Create an invitation (replacing an open one for the same address); returns it and its token.

    Raises ``TeamError`` when the address already belongs to a member.
    """
    email = email.strip().lower()
    if workspace.memberships.filter(user__email__iexact=email).exists():
        raise TeamError(f"{email} is already a member of {workspace.name}.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(
            workspace=workspace, email__iexact=email, accepted_at__isnull=True, revoked_at=None
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            workspace=workspace,
            email=email,
            role=role,
            token_hash=token_digest(token),
            invited_by=invited_by,
        )
    logger.info("workspace %s: invitation %s created", workspace.pk, invitation.pk)
    return invitation, token


def send_invitation(request, invitation: Invitation, token: str) -> None:
    """Mail the invitation link through allauth's adapter (its templates, prefix and backend)."""
    get_adapter(request).send_mail(
        "accounts/email/invitation",
        invitation.email,
        {
            "workspace_name": invitation.workspace.name,
            "inviter": invitation.invited_by.email if invitation.invited_by else "A teammate",
            "role": invitation.get_role_display(),
            "url": invitation_url(token),
            "expires_at": invitation.expires_at,
        },
    )


def find_invitation(token: str) -> Invitation | None:
    """The invitation a link's token names (any workspace: the token is the authority)."""
    if not token or len(token) > 200:
        return None
    with scopes_disabled():
        return (
            Invitation.objects.select_related("workspace", "invited_by")
            .filter(token_hash=token_digest(token))
            .first()
        )


def email_matches(invitation: Invitation, user: User) -> bool:
    return user.email.strip().lower() == invitation.email.strip().lower()


def accept(invitation: Invitation, user: User) -> Membership:
    """Make ``user`` a member of the invitation's workspace; the invitation is used up."""
    if not email_matches(invitation, user):
        raise TeamError(
            f"This invitation was sent to {invitation.email}; you are signed in as {user.email}."
        )
    with transaction.atomic(), scopes_disabled():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_open:
            raise TeamError("This invitation has already been used, withdrawn or has expired.")
        membership, created = Membership.objects.get_or_create(
            user=user, workspace=locked.workspace, defaults={"role": locked.role}
        )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
    logger.info(
        "invitation %s accepted; user %s joined workspace %s (%s)",
        invitation.pk,
        user.pk,
        invitation.workspace_id,
        "new" if created else "already a member",
    )
    return membership


def revoke_invitation(workspace: Workspace, invitation_id) -> bool:
    updated = Invitation.objects.filter(
        workspace=workspace, pk=invitation_id, accepted_at__isnull=True, revoked_at=None
    ).update(revoked_at=timezone.now())
    return bool(updated)


def _owner_count(workspace: Workspace) -> int:
    return workspace.memberships.filter(role=Membership.Role.OWNER).count()


def remove_member(workspace: Workspace, membership_id) -> Membership:
    """Remove a member, never the last owner (``TeamError``); ``Membership.DoesNotExist`` if
    there is no such member."""
    with transaction.atomic():
        # Lock the workspace's memberships so two owners removing each other cannot both win.
        list(workspace.memberships.select_for_update())
        membership = workspace.memberships.select_related("user").get(pk=membership_id)
        if membership.role == Membership.Role.OWNER and _owner_count(workspace) <= 1:
            raise TeamError("The last owner cannot be removed; make someone else an owner first.")
        membership.delete()
    logger.info("workspace %s: membership %s removed", workspace.pk, membership_id)
    return membership


def change_role(workspace: Workspace, membership_id, role: str) -> Membership:
    """Set a member's role; the last owner stays an owner."""
    if role not in Membership.Role.values:
        raise TeamError("Unknown role.")
    with transaction.atomic():
        list(workspace.memberships.select_for_update())
        membership = workspace.memberships.select_related("user").get(pk=membership_id)
        if (
            membership.role == Membership.Role.OWNER
            and role != Membership.Role.OWNER
            and _owner_count(workspace) <= 1
        ):
            raise TeamError("The workspace needs at least one owner.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership
