"""``manage.py rotate_encryption_keys``: re-encrypt stored secrets with the newest key."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from integrations.crypto import encrypted_fields, rotate_model


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, run this, then remove the old key."
    )

    def handle(self, *args, **options) -> None:
        # Every tenant's tokens: an operator's job across workspaces.
        with scopes_disabled():
            self._rotate()

    def _rotate(self) -> None:
        total = 0
        for model in apps.get_models():
            if encrypted_fields(model):
                changed = rotate_model(model)
                total += changed
                self.stdout.write(f"{model._meta.label}: {changed} row(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} row(s) re-encrypted."))
