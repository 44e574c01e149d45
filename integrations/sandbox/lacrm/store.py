"""Public API of the sandbox LACRM's data: accounts, API keys, bulk loading, type options.

Other parts of LedgerLink (fixtures, ``manage.py sandbox_seed``, the keys page) call these; the
HTTP API in ``api.py`` is the only other way in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from integrations.sandbox.lacrm import bulk
from integrations.sandbox.lacrm.models import (
    SandboxLacrmAccount,
    SandboxLacrmContact,
    SandboxLacrmNote,
    new_uid,
    random_token,
)

logger = logging.getLogger(__name__)


def hash_secret(secret: str) -> str:
    """sha256 hex of an API key or token: what is stored and looked up."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_key() -> str:
    """A key shaped like LACRM's: short number, ~31-digit number, 40 alphanumerics."""
    return f"{1000 + secrets.randbelow(9000)}-{new_uid()}-{random_token(40)}"


def create_account(
    *, workspace: Any = None, seed_demo: bool = True
) -> tuple[SandboxLacrmAccount, str]:
    """Create an account (optionally a workspace's, with demo contacts); return it and its key.

    The plaintext key is returned only here and by ``regenerate_key``; only its hash is stored.
    """
    key = _new_key()
    with transaction.atomic():
        account = SandboxLacrmAccount.objects.create(
            workspace=workspace,
            api_key_hash=hash_secret(key),
            api_key_created_at=timezone.now(),
        )
        if seed_demo:
            from integrations.sandbox.demo_data import demo_dataset

            load_contacts(account, demo_dataset().lacrm_contacts)
    logger.info("Created sandbox LACRM account %s", account.uid)
    return account, key


def account_for_workspace(workspace: Any) -> SandboxLacrmAccount | None:
    """The workspace's sandbox account, or ``None`` when it has not created one."""
    if workspace is None:
        return None
    return SandboxLacrmAccount.objects.filter(workspace=workspace).first()


def regenerate_key(account: SandboxLacrmAccount) -> str:
    """Replace the account's API key (the old one stops working) and return the new one once."""
    key = _new_key()
    account.api_key_hash = hash_secret(key)
    account.api_key_created_at = timezone.now()
    account.save(update_fields=["api_key_hash", "api_key_created_at"])
    logger.info("Regenerated the API key of sandbox LACRM account %s", account.uid)
    return key


def account_for_key(key: str) -> SandboxLacrmAccount | None:
    """The account an API key belongs to, or ``None``."""
    if not key:
        return None
    return SandboxLacrmAccount.objects.filter(api_key_hash=hash_secret(key)).first()


def set_allowed_types(
    account: SandboxLacrmAccount,
    email: list[str] | None = None,
    phone: list[str] | None = None,
) -> None:
    """Set the account's Email and/or Phone Type options (the first is the default)."""
    if email is not None:
        if not email:
            raise ValueError("An account needs at least one email type.")
        account.email_types = list(email)
    if phone is not None:
        if not phone:
            raise ValueError("An account needs at least one phone type.")
        account.phone_types = list(phone)
    account.save(update_fields=["email_types", "phone_types"])


def clear_account(account: SandboxLacrmAccount) -> None:
    """Delete every contact and note of the account (the seed command replaces the data).

    Plain SQL DELETEs: the ORM's delete would fetch every row to null the company links first.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (SandboxLacrmNote, SandboxLacrmContact):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE account_id = %s",  # noqa: S608
                [account.pk],
            )


def load_contacts(account: SandboxLacrmAccount, contacts: list[dict[str, Any]]) -> int:
    """Bulk-create records from CreateContact-shaped dicts; return how many records were made.

    The same rules as CreateContact apply (types, names, unique company names), but with a few
    queries instead of one call per contact. ``IsCompany`` defaults to false and ``AssignedTo`` to
    the account's user. A person's "Company Name" links it to that company record, which is
    created when neither the account nor the list has it, so the count can exceed ``len(contacts)``.
    Company records get the earliest DateCreated, then people in list order. Raises
    ``ValueError`` for a record LACRM would refuse (nothing is loaded then).
    """
    return bulk.load(account, contacts)
