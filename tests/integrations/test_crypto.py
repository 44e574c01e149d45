"""Secrets at rest: Fernet encryption of the connection columns and key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from integrations.crypto import DecryptionError, Secret, decrypt, encrypt, rotate
from integrations.models import LacrmConnection, QuickBooksConnection

SECRET = "RT1-super-secret-refresh-token-value-0123456789"


def _raw(model, pk, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


def test_encrypt_round_trip_and_empty_stays_empty():
    token = encrypt("hello")
    assert token != "hello"
    assert decrypt(token) == "hello"
    assert encrypt("") == ""
    assert decrypt("") == ""


def test_secret_repr_hides_the_value():
    secret = Secret("abc123")
    assert secret == "abc123"
    assert "abc123" not in repr(secret)
    assert "abc123" not in repr({"token": secret})


@pytest.mark.django_db
def test_database_holds_no_plaintext_tokens_or_keys(alice):
    workspace = alice.memberships.get().workspace
    qbo = QuickBooksConnection.objects.create(
        workspace=workspace, realm_id="123", access_token="AT-" + SECRET, refresh_token=SECRET
    )
    lacrm = LacrmConnection.objects.create(workspace=workspace, api_key="KEY-" + SECRET)
    for model, pk, column in (
        (QuickBooksConnection, qbo.pk, "access_token"),
        (QuickBooksConnection, qbo.pk, "refresh_token"),
        (LacrmConnection, lacrm.pk, "api_key"),
    ):
        raw = _raw(model, pk, column)
        assert raw
        assert SECRET not in raw
    fresh = QuickBooksConnection.objects.get(pk=qbo.pk)
    assert fresh.refresh_token == SECRET
    assert isinstance(fresh.refresh_token, Secret)
    assert SECRET not in repr(fresh) and SECRET not in str(fresh)
    assert LacrmConnection.objects.get(pk=lacrm.pk).api_key == "KEY-" + SECRET


@pytest.mark.django_db
def test_rotation_reencrypts_with_the_new_key_and_old_key_can_go(alice, settings):
    workspace = alice.memberships.get().workspace
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    conn = QuickBooksConnection.objects.create(
        workspace=workspace, realm_id="1", refresh_token=SECRET, access_token="AT"
    )
    before = _raw(QuickBooksConnection, conn.pk, "refresh_token")

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    # Still readable with the old key in second place.
    assert QuickBooksConnection.objects.get(pk=conn.pk).refresh_token == SECRET
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = _raw(QuickBooksConnection, conn.pk, "refresh_token")
    assert after != before

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert QuickBooksConnection.objects.get(pk=conn.pk).refresh_token == SECRET
    # A value encrypted only with the old key can no longer be read once it is removed.
    with pytest.raises(DecryptionError) as excinfo:
        decrypt(before)
    assert SECRET not in str(excinfo.value)


def test_rotate_helper_keeps_the_plaintext(settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    token = encrypt("value")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    rotated = rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    assert decrypt(rotated) == "value"
