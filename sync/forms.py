"""Forms of the sync app: the workspace's sync settings."""

from __future__ import annotations

from django import forms

from sync.models import SyncSettings

HELP = {
    "direction": (
        "Both ways: a contact missing on either side is created on the other. One way: only "
        "records of the first system are created in the second; records that exist only in the "
        "second are left alone and listed as skipped in the logs."
    ),
    "include_inactive": (
        "QuickBooks keeps customers you marked inactive. Off: they are skipped (the logs say "
        "so). On: they are matched and created in Less Annoying CRM like active ones."
    ),
    "sub_customers": (
        "Sub-customers (jobs) in QuickBooks usually belong to a parent customer. Skip them and "
        "their invoices count towards the parent's summary, or sync each one as a contact."
    ),
    "no_email": (
        "Match by name: a record without an email is linked to the only record with exactly the "
        "same name on the other side. Hold for review: such pairs wait in the review queue "
        "until you decide, so two different people with one name are never linked."
    ),
    "update_fields": (
        "On: changes to address, phone and website of linked records are copied to the other "
        "system when you run Update Linked Records. Off: LedgerLink never changes a linked "
        "record's details."
    ),
    "update_email": (
        "Also copy email address changes. Off by default: emails are how records are matched, "
        "so most people keep each system's own."
    ),
    "system_of_record": (
        "When the same field changed in both systems since the last update, this system's value "
        "wins."
    ),
    "schedule": (
        "Every hour or day runs Sync New Contacts automatically (it reads every QuickBooks "
        "customer each time). Continuous applies each change as QuickBooks and Less Annoying "
        "CRM announce it, with a catch-up every 6 hours and LACRM checked for edits every 15 "
        "minutes: far fewer QuickBooks reads. Automatic work waits while another job is "
        "running and does not start while a connection needs reconnecting."
    ),
}

LABELS = {
    "direction": "Sync direction",
    "include_inactive": "Include inactive QuickBooks customers",
    "sub_customers": "QuickBooks sub-customers",
    "no_email": "Contacts without an email",
    "update_fields": "Keep details of linked records in step",
    "update_email": "Include email addresses",
    "system_of_record": "When both changed, prefer",
    "schedule": "Keep in step",
}


class SyncSettingsForm(forms.ModelForm):
    """The workspace's sync settings, each with a plain-words explanation."""

    class Meta:
        model = SyncSettings
        fields = [
            "direction",
            "include_inactive",
            "sub_customers",
            "no_email",
            "update_fields",
            "update_email",
            "system_of_record",
            "schedule",
        ]
        widgets = {
            "direction": forms.RadioSelect,
            "sub_customers": forms.RadioSelect,
            "no_email": forms.RadioSelect,
            "system_of_record": forms.RadioSelect,
            "schedule": forms.RadioSelect,
        }
        labels = LABELS
        help_texts = HELP

    def clean(self) -> dict:
        data = super().clean()
        if data.get("update_email") and not data.get("update_fields"):
            self.add_error(
                "update_email",
                "Email addresses can only be kept in step when field updates are on.",
            )
        return data
