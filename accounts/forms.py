"""Forms of the accounts app."""

from __future__ import annotations

from allauth.account.forms import ResetPasswordForm
from django import forms

from accounts.models import Membership, Workspace


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name"]


class QuietResetPasswordForm(ResetPasswordForm):
    """Password reset that answers the same whether or not the email has an account.

    ``ACCOUNT_PREVENT_ENUMERATION`` is off so that sign-up can say an email is taken; with it
    off allauth's reset form would say "not assigned to any user account". This form never
    does: a known address gets the reset link, an unknown one allauth's "no account" mail.
    """

    def clean_email(self) -> str:
        try:
            return super().clean_email()
        except forms.ValidationError as exc:
            if exc.code != "unknown_email":
                raise
            # No account: ``save`` then sends allauth's "no account" mail to that address.
            self.users = []
            return self.cleaned_data["email"]


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        initial=Membership.Role.MEMBER,
        help_text="Members run syncs and see everything; owners also manage connections, "
        "settings and the team.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
