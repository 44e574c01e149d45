"""Admin pages of the connections: status and metadata only, never a token or key."""

from __future__ import annotations

from django.contrib import admin

from integrations.crypto import encrypted_fields
from integrations.models import LacrmConnection, QuickBooksConnection


class _ConnectionAdmin(admin.ModelAdmin):
    """Read-only views of a connection; encrypted fields are left out entirely."""

    list_filter = ("status",)
    search_fields = ("workspace__name",)

    def get_exclude(self, request, obj=None):
        return [f.name for f in encrypted_fields(self.model)]

    def get_readonly_fields(self, request, obj=None):
        hidden = {f.name for f in encrypted_fields(self.model)}
        return [f.name for f in self.model._meta.concrete_fields if f.name not in hidden]

    def has_add_permission(self, request) -> bool:
        # Connections are made through the OAuth flow or a checked key, never typed in here.
        return False


@admin.register(QuickBooksConnection)
class QuickBooksConnectionAdmin(_ConnectionAdmin):
    list_display = ("workspace", "company_name", "realm_id", "status", "connected_at")


@admin.register(LacrmConnection)
class LacrmConnectionAdmin(_ConnectionAdmin):
    list_display = (
        "workspace",
        "auth_kind",
        "user_name",
        "lacrm_user_id",
        "status",
        "connected_at",
    )
