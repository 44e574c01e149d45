"""The invoice summaries' card on the workspace's settings page."""

from __future__ import annotations

from django import forms

from summaries.models import SummarySettings


class SummarySettingsForm(forms.ModelForm):
    class Meta:
        model = SummarySettings
        fields = ["skip_unchanged_summaries"]
        labels = {"skip_unchanged_summaries": "Skip unchanged invoice summaries"}
        help_texts = {
            "skip_unchanged_summaries": (
                "Don't add a new invoice-summary note when nothing changed since the last one."
            )
        }
