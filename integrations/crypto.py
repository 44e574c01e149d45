"""Secrets at rest: Fernet encryption of tokens and API keys, with key rotation.

``settings.FIELD_ENCRYPTION_KEYS`` lists Fernet keys newest first. Values are encrypted with the
first key and decrypted with any of them, so a new key can be put in front, the stored values
re-encrypted (``manage.py rotate_encryption_keys``), and the old key removed afterwards.

Decrypted values are :class:`Secret` strings whose ``repr`` hides the value, so a secret that ends
up in a debug page, a log line formatted with ``%r`` or a test failure shows as ``Secret('…')``.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

logger = logging.getLogger(__name__)


class Secret(str):
    """A decrypted secret: behaves as ``str`` but never shows its value in ``repr``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('…')" if self else "Secret('')"


class DecryptionError(ImproperlyConfigured):
    """A stored value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS."""


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must list at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        # Never echo the key itself.
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def fernet() -> MultiFernet:
    """The MultiFernet for the current settings (cached per key list, so overrides apply)."""
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    """Encrypt ``plaintext`` with the newest key; ``""`` stays ``""`` (nothing to hide)."""
    if not plaintext:
        return ""
    return fernet().encrypt(str(plaintext).encode("utf-8")).decode("ascii")


def decrypt(token: str) -> Secret:
    """Decrypt a stored value with whichever configured key made it."""
    if not token:
        return Secret("")
    try:
        return Secret(fernet().decrypt(token.encode("ascii")).decode("utf-8"))
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError(
            "A stored secret could not be decrypted: the key that encrypted it is not in "
            "FIELD_ENCRYPTION_KEYS."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a stored value with the newest key (keeping its original timestamp)."""
    if not token:
        return ""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError(
            "A stored secret could not be re-encrypted: none of FIELD_ENCRYPTION_KEYS opens it."
        ) from exc


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python code sees the decrypted :class:`Secret`.

    The column can't be searched or ordered on (every encryption is different), so the field
    refuses to be indexed or unique.
    """

    description = "Text encrypted at rest with Fernet"

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        if kwargs.get("unique") or kwargs.get("db_index"):
            raise ImproperlyConfigured("An EncryptedTextField cannot be unique or indexed.")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, value in (("blank", True), ("default", ""), ("editable", False)):
            if kwargs.get(key) == value:
                kwargs.pop(key)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):  # noqa: ARG002 - Django's signature
        if value is None:
            return value
        return decrypt(value)

    def to_python(self, value):
        if value is None or isinstance(value, Secret):
            return value
        return Secret(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return encrypt(value)

    def value_to_string(self, obj) -> str:
        # Serialisation (dumpdata) writes the ciphertext, never the plaintext.
        return encrypt(self.value_from_object(obj) or "")


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    """The encrypted fields of ``model``."""
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def rotate_model(model: type[models.Model]) -> int:
    """Re-encrypt every encrypted column of ``model`` with the newest key; returns rows changed.

    Works on the raw ciphertext (no decrypt/encrypt round trip through the model) and locks each
    row while rewriting it, so a token refresh running at the same time can't be overwritten
    with a stale value.
    """
    fields = encrypted_fields(model)
    if not fields:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    columns = [quote(f.column) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk} FROM {table}")  # noqa: S608 - quoted identifiers only
        ids = [row[0] for row in cursor.fetchall()]
    changed = 0
    for row_id in ids:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE {pk} = %s FOR UPDATE",  # noqa: S608
                [row_id],
            )
            row = cursor.fetchone()
            if row is None:
                continue
            rotated = [rotate(value) if value else value for value in row]
            if list(row) != rotated:
                assignments = ", ".join(f"{col} = %s" for col in columns)
                cursor.execute(
                    f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                    [*rotated, row_id],
                )
                changed += 1
    logger.info("Re-encrypted %s row(s) of %s", changed, model._meta.label)
    return changed
