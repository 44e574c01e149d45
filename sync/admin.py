from django.contrib import admin

from sync.models import ContactLink, SyncLogEntry, SyncRun, SyncSettings


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "workspace", "kind", "status", "processed", "total", "failed")
    list_filter = ("kind", "status")


@admin.register(ContactLink)
class ContactLinkAdmin(admin.ModelAdmin):
    list_display = ("workspace", "state", "qbo_id", "lacrm_id", "method", "qbo_name", "lacrm_name")
    list_filter = ("state", "method")
    search_fields = ("qbo_name", "lacrm_name", "qbo_email", "lacrm_email")


@admin.register(SyncLogEntry)
class SyncLogEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "run", "outcome", "system", "record_name", "reason")
    list_filter = ("outcome", "system")


admin.site.register(SyncSettings)
