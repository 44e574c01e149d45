"""Admin pages of the sandbox LACRM: accounts and their records (no key hashes shown)."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from integrations.sandbox.lacrm import webhooks
from integrations.sandbox.lacrm.models import SandboxLacrmAccount, SandboxLacrmContact


@admin.register(SandboxLacrmAccount)
class SandboxLacrmAccountAdmin(admin.ModelAdmin):
    list_display = ("uid", "workspace", "user_id", "created_at")
    exclude = ("api_key_hash",)
    readonly_fields = ("uid", "api_key_created_at")


@admin.register(SandboxLacrmContact)
class SandboxLacrmContactAdmin(admin.ModelAdmin):
    list_display = ("uid", "account", "is_company", "first_name", "last_name", "company_name")
    list_filter = ("is_company",)
    search_fields = ("uid", "search_text")
    raw_id_fields = ("account", "company")

    def save_model(self, request, obj, form, change) -> None:
        """A contact added here fires the account's Contact.Create webhooks, as in LACRM."""
        with transaction.atomic():
            if not change:
                now = timezone.now()
                obj.created_at = obj.created_at or now
                obj.updated_at = obj.updated_at or now
            super().save_model(request, obj, form, change)
            if not change:
                webhooks.contact_created(obj)
