from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users (email login), workspaces (the tenant) and memberships."""

    name = "accounts"
