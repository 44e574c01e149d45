from django.contrib import admin

from accounts.models import Membership, User, Workspace


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
