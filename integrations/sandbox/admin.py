from django.contrib import admin

from integrations.sandbox.models import SandboxCall, SandboxKnobs


@admin.register(SandboxKnobs)
class SandboxKnobsAdmin(admin.ModelAdmin):
    """The sandbox's small admin page: latency, limits, fault rates, token lifetimes."""


@admin.register(SandboxCall)
class SandboxCallAdmin(admin.ModelAdmin):
    list_display = ("at", "system", "account", "operation", "status", "items")
    list_filter = ("system", "status")
