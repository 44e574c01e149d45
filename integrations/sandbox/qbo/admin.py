"""Admin for the sandbox QBO companies: look, don't touch (tokens are never shown)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone

from integrations.sandbox.qbo import webhooks
from integrations.sandbox.qbo.merge import merge_customers
from integrations.sandbox.qbo.models import SandboxQboCompany, SandboxQboName, SandboxQboWebhook
from integrations.sandbox.qbo.names import update_name


@admin.register(SandboxQboCompany)
class SandboxQboCompanyAdmin(admin.ModelAdmin):
    """Realm ids, names and owners of the sandbox QBO companies."""

    list_display = ("name", "realm_id", "workspace", "webhook_format", "created_at")
    search_fields = ("name", "realm_id")
    readonly_fields = ("realm_id", "next_id", "created_at")


class CustomerEditForm(forms.ModelForm):
    """What a QuickBooks user edits on a customer; saved through the sandbox's own update
    (SyncToken, DisplayName rules) and announced to the app by webhook."""

    given_name = forms.CharField(required=False, max_length=100)
    family_name = forms.CharField(required=False, max_length=100)
    company_name = forms.CharField(required=False, max_length=100)
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False, max_length=30)
    merge_into = forms.IntegerField(
        required=False, help_text="Merge this customer into the customer with this Id."
    )

    class Meta:
        model = SandboxQboName
        fields = ["display_name", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        data = self.instance.data or {}
        self.initial.update(
            given_name=data.get("GivenName", ""),
            family_name=data.get("FamilyName", ""),
            company_name=data.get("CompanyName", ""),
            email=(data.get("PrimaryEmailAddr") or {}).get("Address", ""),
            phone=(data.get("PrimaryPhone") or {}).get("FreeFormNumber", ""),
        )


@admin.register(SandboxQboName)
class SandboxQboCustomerAdmin(admin.ModelAdmin):
    """Edit a sandbox customer as a QuickBooks user would (demo: watch the change arrive)."""

    form = CustomerEditForm
    list_display = ("display_name", "qbo_id", "company", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("display_name", "company__realm_id")
    readonly_fields = ("company", "qbo_id", "sync_token", "updated_at")
    fields = (
        "company",
        "qbo_id",
        "display_name",
        "given_name",
        "family_name",
        "company_name",
        "email",
        "phone",
        "active",
        "merge_into",
        "sync_token",
        "updated_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(entity=SandboxQboName.Entity.CUSTOMER)

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        if data.get("merge_into"):
            merge_customers(obj.company, obj.qbo_id, data["merge_into"])
            return
        payload = {
            "Id": str(obj.qbo_id),
            "SyncToken": str(SandboxQboName.objects.get(pk=obj.pk).sync_token),
            "sparse": True,
            "DisplayName": data["display_name"],
            "GivenName": data["given_name"],
            "FamilyName": data["family_name"],
            "CompanyName": data["company_name"],
            "PrimaryEmailAddr": {"Address": data["email"]} if data["email"] else "",
            "PrimaryPhone": {"FreeFormNumber": data["phone"]} if data["phone"] else "",
            "Active": data["active"],
        }
        row = update_name(obj.company, "Customer", payload)
        webhooks.announce(obj.company, "Customer", row.qbo_id, "updated", at=row.updated_at)


@admin.register(SandboxQboWebhook)
class SandboxQboWebhookAdmin(admin.ModelAdmin):
    """The webhooks the sandbox QuickBooks owes or sent, with their attempts."""

    list_display = ("pk", "company", "attempts", "last_status", "next_attempt_at", "delivered_at")
    readonly_fields = [f.name for f in SandboxQboWebhook._meta.fields]
    actions = ["deliver_now"]

    @admin.action(description="Deliver now")
    def deliver_now(self, request, queryset) -> None:
        now = timezone.now()
        queryset.filter(delivered_at__isnull=True).update(next_attempt_at=now)
        webhooks.deliver_due(now)
