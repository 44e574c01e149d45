"""The Team page (members, roles, invitations), accepting an invitation, switching workspaces."""

from __future__ import annotations

import logging
import uuid

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts import teams
from accounts.forms import InviteForm, RoleForm
from accounts.middleware import SESSION_WORKSPACE
from accounts.models import Invitation, Membership
from accounts.roles import owner_required
from accounts.scoping import get_own_workspace, workspace_required

logger = logging.getLogger(__name__)


def _team_url(workspace) -> str:
    return reverse("team", kwargs={"workspace_id": workspace.id})


@workspace_required
def team(request: HttpRequest, workspace_id) -> HttpResponse:
    """Everyone in the workspace sees the team; owners also invite and change it."""
    workspace = get_own_workspace(request, workspace_id)
    memberships = workspace.memberships.select_related("user").order_by("created_at")
    invitations = (
        Invitation.objects.for_workspace(workspace)
        .filter(accepted_at__isnull=True, revoked_at=None)
        .select_related("invited_by")
    )
    return render(
        request,
        "accounts/team.html",
        {
            "workspace": workspace,
            "memberships": memberships,
            "invitations": invitations,
            "form": InviteForm(),
            "roles": Membership.Role.choices,
            "owner_count": sum(1 for m in memberships if m.role == Membership.Role.OWNER),
        },
    )


@owner_required
@require_POST
def invite(request: HttpRequest, workspace_id) -> HttpResponse:
    workspace = get_own_workspace(request, workspace_id)
    form = InviteForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"No invitation sent: {errors}")
        return redirect(_team_url(workspace))
    try:
        invitation, token = teams.invite(
            workspace, request.user, form.cleaned_data["email"], form.cleaned_data["role"]
        )
    except teams.TeamError as exc:
        messages.error(request, str(exc))
        return redirect(_team_url(workspace))
    try:
        teams.send_invitation(request, invitation, token)
    except Exception:  # noqa: BLE001 - any mail failure: say so, keep the invitation
        logger.exception("workspace %s: invitation %s not mailed", workspace.pk, invitation.pk)
        teams.revoke_invitation(workspace, invitation.pk)
        messages.error(
            request,
            f"The invitation email to {invitation.email} could not be sent, so it was withdrawn. "
            "Please try again in a moment.",
        )
        return redirect(_team_url(workspace))
    messages.success(
        request,
        f"Invitation sent to {invitation.email} as {invitation.get_role_display().lower()}. "
        f"The link works for {teams.INVITATION_DAYS_TEXT}.",
    )
    return redirect(_team_url(workspace))


@owner_required
@require_POST
def revoke_invitation(request: HttpRequest, workspace_id, invitation_id) -> HttpResponse:
    workspace = get_own_workspace(request, workspace_id)
    if not teams.revoke_invitation(workspace, invitation_id):
        raise Http404("No such open invitation.")
    messages.success(request, "Invitation withdrawn; its link no longer works.")
    return redirect(_team_url(workspace))


def _membership(workspace, user_id) -> Membership:
    membership = workspace.memberships.select_related("user").filter(user_id=user_id).first()
    if membership is None:
        raise Http404("No such member.")
    return membership


@owner_required
@require_http_methods(["GET", "POST"])
def remove_member(request: HttpRequest, workspace_id, user_id) -> HttpResponse:
    """GET: confirm removing a member; POST: remove them (never the last owner)."""
    workspace = get_own_workspace(request, workspace_id)
    membership = _membership(workspace, user_id)
    if request.method == "GET":
        return render(
            request,
            "accounts/remove_member.html",
            {"workspace": workspace, "membership": membership},
        )
    try:
        teams.remove_member(workspace, membership.pk)
    except teams.TeamError as exc:
        messages.error(request, str(exc))
        return redirect(_team_url(workspace))
    messages.success(request, f"{membership.user.email} was removed from {workspace.name}.")
    if membership.user_id == request.user.pk:
        request.session.pop(SESSION_WORKSPACE, None)
        return redirect("dashboard")
    return redirect(_team_url(workspace))


@owner_required
@require_POST
def change_role(request: HttpRequest, workspace_id, user_id) -> HttpResponse:
    workspace = get_own_workspace(request, workspace_id)
    membership = _membership(workspace, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner or member.")
        return redirect(_team_url(workspace))
    try:
        changed = teams.change_role(workspace, membership.pk, form.cleaned_data["role"])
    except teams.TeamError as exc:
        messages.error(request, str(exc))
        return redirect(_team_url(workspace))
    messages.success(request, f"{changed.user.email} is now {changed.get_role_display().lower()}.")
    return redirect(_team_url(workspace))


@workspace_required
@require_POST
def switch_workspace(request: HttpRequest) -> HttpResponse:
    """Work in another of the user's workspaces from now on (kept in the session)."""
    workspace_id = request.POST.get("workspace_id", "")
    chosen = None
    if _is_uuid(workspace_id):
        chosen = (
            request.user.memberships.filter(workspace_id=workspace_id)
            .select_related("workspace")
            .first()
        )
    if chosen is None:
        raise Http404("No such workspace.")
    request.session[SESSION_WORKSPACE] = str(chosen.workspace_id)
    messages.success(request, f"Now working in {chosen.workspace.name}.")
    return redirect("dashboard")


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: sign up or sign in as the invited address, then join."""
    invitation = teams.find_invitation(token)
    user = request.user
    if invitation is not None and user.is_authenticated and invitation.accepted_by_id == user.pk:
        request.session[SESSION_WORKSPACE] = str(invitation.workspace_id)
        messages.success(request, f"You are a member of {invitation.workspace.name}.")
        return redirect("dashboard")
    if invitation is None or not invitation.is_open:
        return render(request, "accounts/invitation_invalid.html", status=404)
    context = {"invitation": invitation, "token": token}
    if not user.is_authenticated:
        # Opening the link proves the address: sign-up with it needs no second confirmation.
        request.session[teams.SESSION_INVITATION] = token
        get_adapter(request).stash_verified_email(request, invitation.email)
        here = request.get_full_path()
        context["signup_url"] = (
            reverse("account_signup") + "?" + urlencode({"email": invitation.email, "next": here})
        )
        context["login_url"] = reverse("account_login") + "?" + urlencode({"next": here})
        context["has_account"] = _has_account(invitation.email)
        return render(request, "accounts/invitation.html", context)
    if request.method == "POST" and request.POST.get("action") == "sign_out":
        logout(request)
        return redirect(request.path)
    if not teams.email_matches(invitation, user):
        context["wrong_user"] = True
        return render(request, "accounts/invitation.html", context, status=403)
    if request.method == "POST":
        try:
            teams.accept(invitation, user)
        except teams.TeamError as exc:
            messages.error(request, str(exc))
            return redirect("dashboard")
        request.session[SESSION_WORKSPACE] = str(invitation.workspace_id)
        request.session.pop(teams.SESSION_INVITATION, None)
        messages.success(request, f"You joined {invitation.workspace.name}.")
        return redirect("dashboard")
    return render(request, "accounts/invitation.html", context)


def _has_account(email: str) -> bool:
    from accounts.models import User

    return User.objects.filter(email__iexact=email).exists()
