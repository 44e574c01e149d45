"""Admin pages of the sandbox LACRM: accounts and their records (no key hashes shown)."""

from __future__ import annotations

from django.contrib import admin

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
