"""Admin for the sandbox QBO companies: look, don't touch (tokens are never shown)."""

from __future__ import annotations

from django.contrib import admin

from integrations.sandbox.qbo.models import SandboxQboCompany


@admin.register(SandboxQboCompany)
class SandboxQboCompanyAdmin(admin.ModelAdmin):
    """Realm ids, names and owners of the sandbox QBO companies."""

    list_display = ("name", "realm_id", "workspace", "created_at")
    search_fields = ("name", "realm_id")
    readonly_fields = ("realm_id", "next_id", "created_at")
