from django.contrib import admin

from integrations.sandbox.models import SandboxCall, SandboxKnobs, SandboxScript


@admin.register(SandboxKnobs)
class SandboxKnobsAdmin(admin.ModelAdmin):
    """The sandbox's small admin page: latency, limits, fault rates and seed, token lifetimes."""


@admin.register(SandboxScript)
class SandboxScriptAdmin(admin.ModelAdmin):
    """Scripted faults, holds and lost answers on chosen calls of an operation."""

    list_display = ("system", "operation", "action", "calls", "seen", "created_at")
    list_filter = ("system", "action")


@admin.register(SandboxCall)
class SandboxCallAdmin(admin.ModelAdmin):
    list_display = ("at", "system", "account", "operation", "status", "items")
    list_filter = ("system", "status")
