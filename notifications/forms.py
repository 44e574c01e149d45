"""The user's notification choices for the current workspace."""

from __future__ import annotations

from django import forms

from notifications.models import NotificationSettings


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["run_completed", "run_failed", "connection_problem", "expiry_warning"]
