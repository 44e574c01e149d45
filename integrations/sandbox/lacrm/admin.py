"""Admin pages of the sandbox LACRM: accounts and their records (no key hashes shown)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from integrations.sandbox.lacrm import webhooks, writes
from integrations.sandbox.lacrm.models import SandboxLacrmAccount, SandboxLacrmContact


@admin.register(SandboxLacrmAccount)
class SandboxLacrmAccountAdmin(admin.ModelAdmin):
    list_display = ("uid", "workspace", "user_id", "created_at")
    exclude = ("api_key_hash",)
    readonly_fields = ("uid", "api_key_created_at")


class SandboxLacrmContactForm(forms.ModelForm):
    """Contact-info lists may be empty, and a new record's dates default to now."""

    class Meta:
        model = SandboxLacrmContact
        fields = (
            "account",
            "uid",
            "is_company",
            "assigned_to",
            "company",
            "salutation",
            "first_name",
            "middle_name",
            "last_name",
            "suffix",
            "company_name",
            "job_title",
            "background_info",
            "birthday",
            "emails",
            "phones",
            "websites",
            "addresses",
            "created_at",
            "updated_at",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("emails", "phones", "websites", "addresses", "created_at", "updated_at"):
            self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in ("emails", "phones", "websites", "addresses"):
            if cleaned.get(name) in (None, ""):
                cleaned[name] = []
        return cleaned


@admin.register(SandboxLacrmContact)
class SandboxLacrmContactAdmin(admin.ModelAdmin):
    form = SandboxLacrmContactForm
    list_display = ("uid", "account", "is_company", "first_name", "last_name", "company_name")
    list_filter = ("is_company",)
    search_fields = ("uid", "search_text")
    raw_id_fields = ("account", "company")

    def save_model(self, request, obj, form, change) -> None:
        """A contact added here fires the account's Contact.Create webhooks, as in LACRM."""
        with transaction.atomic():
            now = timezone.now()
            obj.created_at = obj.created_at or now
            obj.updated_at = now if change else (obj.updated_at or now)
            obj.company_name_lower = obj.company_name.lower()
            writes.refresh_search_text(obj)
            super().save_model(request, obj, form, change)
            if not change:
                webhooks.contact_created(obj)
