"""State of the sandbox Less Annoying CRM: accounts, their contacts and notes, OAuth grants.

Contact-info lists are kept as the JSON LACRM returns, but everything a search or a sort needs is
also stored in plain, lower-cased columns so ``GetContacts`` over tens of thousands of contacts is
one indexed SQL query rather than a scan of JSON in Python.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q

DEFAULT_EMAIL_TYPES = ["Work", "Personal", "Other"]
DEFAULT_PHONE_TYPES = ["Work", "Mobile", "Home", "Fax", "Other"]


def new_uid() -> str:
    """A LACRM-style Uid: a 31-digit string (clients must never turn it into a number)."""
    return str(10**30 + secrets.randbelow(9 * 10**30))


def _new_account_uid() -> str:
    return str(10**11 + secrets.randbelow(9 * 10**11))


def _new_user_id() -> int:
    return 100000 + secrets.randbelow(900000)


def _default_email_types() -> list[str]:
    return list(DEFAULT_EMAIL_TYPES)


def _default_phone_types() -> list[str]:
    return list(DEFAULT_PHONE_TYPES)


class SandboxLacrmAccount(models.Model):
    """One LACRM account with its single user, as a customer of LACRM would have.

    ``uid`` is the account id used in the call log and the rate-limit bucket; it is random so a
    reused test database never meets an old bucket.
    """

    uid = models.CharField(max_length=20, unique=True, default=_new_account_uid)
    # A workspace has at most one sandbox account (its demo CRM); benchmark accounts have none.
    workspace = models.OneToOneField(
        "accounts.Workspace",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sandbox_lacrm_account",
    )
    user_id = models.PositiveIntegerField(default=_new_user_id)
    first_name = models.CharField(max_length=60, default="Pat")
    last_name = models.CharField(max_length=60, default="Lee")
    email = models.CharField(max_length=200, default="pat.lee@example.com")
    timezone = models.CharField(max_length=60, default="America/Chicago")
    # The API key, hashed (sha256 hex); the plaintext is shown once and never stored.
    api_key_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    api_key_created_at = models.DateTimeField(null=True, blank=True)
    # The account's Email/Phone type options; a Type outside them is rejected like LACRM does.
    email_types = models.JSONField(default=_default_email_types)
    phone_types = models.JSONField(default=_default_phone_types)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "sandbox LACRM account"

    def __str__(self) -> str:
        return f"Sandbox LACRM account {self.uid}"


class SandboxLacrmContact(models.Model):
    """A contact or company record (``is_company``), as LACRM's API presents both."""

    account = models.ForeignKey(
        SandboxLacrmAccount, on_delete=models.CASCADE, related_name="contacts"
    )
    uid = models.CharField(max_length=40, unique=True, default=new_uid)
    is_company = models.BooleanField(default=False)
    assigned_to = models.PositiveIntegerField()
    # A person's company record; its name is copied into ``company_name`` for search and sort.
    company = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    salutation = models.CharField(max_length=40, blank=True)
    first_name = models.CharField(max_length=200, blank=True)
    middle_name = models.CharField(max_length=200, blank=True)
    last_name = models.CharField(max_length=200, blank=True)
    suffix = models.CharField(max_length=40, blank=True)
    company_name = models.CharField(max_length=300, blank=True)
    company_name_lower = models.CharField(max_length=300, blank=True)
    job_title = models.CharField(max_length=300, blank=True)
    background_info = models.TextField(blank=True)
    birthday = models.CharField(max_length=12, blank=True)
    emails = models.JSONField(default=list)
    phones = models.JSONField(default=list)
    websites = models.JSONField(default=list)
    addresses = models.JSONField(default=list)
    # "|"-separated lower-cased names, company, emails and phones: what SearchTerms match.
    search_text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "sandbox LACRM contact"
        constraints = [
            # LACRM: company names are unique within an account.
            models.UniqueConstraint(
                fields=["account", "company_name_lower"],
                condition=Q(is_company=True),
                name="sandbox_lacrm_unique_company_name",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["account", "updated_at"]),
            models.Index(fields=["account", "last_name", "first_name"]),
        ]

    def __str__(self) -> str:
        if self.is_company:
            return self.company_name
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class SandboxLacrmNote(models.Model):
    """A note in a contact's history; the text is kept exactly as sent (plain text)."""

    account = models.ForeignKey(SandboxLacrmAccount, on_delete=models.CASCADE, related_name="notes")
    uid = models.CharField(max_length=40, unique=True, default=new_uid)
    contact = models.ForeignKey(SandboxLacrmContact, on_delete=models.CASCADE, related_name="notes")
    user_id = models.PositiveIntegerField()
    text = models.TextField()
    displayed_at = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "sandbox LACRM note"
        indexes = [models.Index(fields=["contact", "displayed_at"])]

    def __str__(self) -> str:
        return f"Note {self.uid}"


class SandboxLacrmGrant(models.Model):
    """An OAuth authorization code, access token or refresh token (stored hashed)."""

    class Kind(models.TextChoices):
        CODE = "code", "Authorization code"
        ACCESS = "access", "Access token"
        REFRESH = "refresh", "Refresh token"

    account = models.ForeignKey(
        SandboxLacrmAccount, on_delete=models.CASCADE, related_name="grants"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    redirect_url = models.CharField(max_length=1000, blank=True)
    expires_at = models.DateTimeField()
    # Codes and refresh tokens are single-use: set when spent.
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "sandbox LACRM OAuth grant"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.account.uid}"


def random_token(length: int = 40) -> str:
    """An opaque alphanumeric secret."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


class SandboxLacrmWebhook(models.Model):
    """A webhook registered with CreateWebhook; ``secret`` is what it signs deliveries with.

    The sandbox plays LACRM here, which must know the secret to sign, so it is kept as is.
    """

    account = models.ForeignKey(
        SandboxLacrmAccount, on_delete=models.CASCADE, related_name="webhooks"
    )
    uid = models.CharField(max_length=40, unique=True, default=new_uid)
    endpoint_url = models.CharField(max_length=1000)
    scope = models.CharField(max_length=10)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "sandbox LACRM webhook"

    def __str__(self) -> str:
        return f"Webhook {self.uid} → {self.endpoint_url}"


class SandboxLacrmDelivery(models.Model):
    """One event to deliver to a webhook, retried with back-off until answered below 300."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        GAVE_UP = "gave_up", "Gave up"

    webhook = models.ForeignKey(
        SandboxLacrmWebhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status = models.IntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "sandbox LACRM webhook delivery"
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook.uid} ({self.state})"
