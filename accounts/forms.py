"""Forms of the accounts app."""

from __future__ import annotations

from django import forms

from accounts.models import Workspace


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name"]
