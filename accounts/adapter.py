"""django-allauth hooks: sign-up creates the user's workspace; rate limits see the real client."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from accounts.client_ip import client_ip
from accounts.models import Membership, Workspace


def create_workspace_for(user, name: str | None = None) -> Workspace:
    """Create a workspace owned by ``user``."""
    local = user.email.split("@", 1)[0]
    workspace = Workspace.objects.create(name=name or f"{local}'s workspace")
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.OWNER)
    return workspace


class WorkspaceAccountAdapter(DefaultAccountAdapter):
    """Give every new user exactly one workspace, owned by them; rate-limit by the real client."""

    def get_client_ip(self, request) -> str:
        # allauth's rate limits (login, failed logins, sign-up, reset) key on this.
        return client_ip(request)

    def save_user(self, request, user, form, commit=True):
        """A new user gets their own workspace, unless they sign up from an invitation.

        Signing up from an invitation link (its token waits in the session) with the invited
        address joins the inviting workspace instead.
        """
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit and not self._join_invited_workspace(request, user):
                create_workspace_for(user)
        return user

    def _join_invited_workspace(self, request, user) -> bool:
        from accounts import teams
        from accounts.middleware import SESSION_WORKSPACE

        token = request.session.get(teams.SESSION_INVITATION) if request else None
        invitation = teams.find_invitation(token) if token else None
        if (
            invitation is None
            or not invitation.is_open
            or not teams.email_matches(invitation, user)
        ):
            return False
        teams.accept(invitation, user)
        request.session.pop(teams.SESSION_INVITATION, None)
        request.session[SESSION_WORKSPACE] = str(invitation.workspace_id)
        return True
