from django.contrib import admin

from accounts.models import Invitation, Membership, User, Workspace


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "is_staff", "date_joined")
    search_fields = ("email", "name")
    exclude = ("password",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "created_at")
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "workspace", "role", "created_at", "expires_at", "accepted_at")
    search_fields = ("email",)
    # The token's digest is of no use to an operator.
    exclude = ("token_hash",)
    readonly_fields = ("accepted_at", "accepted_by", "invited_by")
