"""Sandbox QuickBooks Online state: companies (realms), OAuth grants, name lists and invoices.

Wire JSON lives in ``data``; everything the query language filters or sorts on often (Id,
DisplayName, Active, Balance, CustomerRef, DueDate, MetaData times) is also a real, indexed column
so paging through tens of thousands of rows stays a cheap index scan.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class SandboxQboCompany(models.Model):
    """One sandbox QBO company (a realm), optionally owned by a LedgerLink workspace."""

    realm_id = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    # One sandbox company per workspace: the consent screen connects the workspace to it.
    workspace = models.OneToOneField(
        "accounts.Workspace",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sandbox_qbo_company",
    )
    country = models.CharField(max_length=2, default="US")
    home_currency = models.CharField(max_length=3, default="USD")
    tz_name = models.CharField(max_length=64, default="America/Los_Angeles")
    # Next entity Id to hand out; one counter for all entity types of the realm.
    next_id = models.BigIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    # The webhooks it sends when its data changes (``webhooks``): Intuit's two formats, or none.
    webhook_format = models.CharField(
        max_length=12,
        choices=[("cloudevents", "CloudEvents"), ("legacy", "Legacy"), ("off", "Off")],
        default="cloudevents",
    )

    class Meta:
        verbose_name = "sandbox QBO company"
        verbose_name_plural = "sandbox QBO companies"

    def __str__(self) -> str:
        return f"{self.name} ({self.realm_id})"

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    def local_now(self) -> datetime:
        """The current time in the company's timezone."""
        return timezone.now().astimezone(self.tzinfo)

    def today(self) -> date:
        """The company's local date: what "overdue" is measured against."""
        return self.local_now().date()


class SandboxQboGrant(models.Model):
    """One consent: the current refresh token of an app's connection to a company."""

    company = models.ForeignKey(SandboxQboCompany, on_delete=models.CASCADE, related_name="grants")
    client_id = models.CharField(max_length=200)
    scope = models.CharField(max_length=500)
    # sha256 hex of the current refresh token; rotating replaces it, so the old one dies at once.
    refresh_token_hash = models.CharField(max_length=64, unique=True)
    refresh_expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"grant {self.pk} for {self.company.realm_id}"


class SandboxQboAccessToken(models.Model):
    """An access token (sha256 only); old ones stay valid until they expire, as at Intuit."""

    grant = models.ForeignKey(SandboxQboGrant, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"access token of grant {self.grant_id}"


class SandboxQboAuthCode(models.Model):
    """A single-use authorization code handed to the redirect URI after consent."""

    company = models.ForeignKey(SandboxQboCompany, on_delete=models.CASCADE)
    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=200)
    redirect_uri = models.CharField(max_length=1000)
    scope = models.CharField(max_length=500)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"auth code for {self.company_id}"


class SandboxQboName(models.Model):
    """A name-list entity: Customer, Vendor or Employee.

    They share one table because QBO's DisplayName is unique across all three (inactive rows
    included, case-insensitively here), which a single functional unique index enforces.
    """

    class Entity(models.TextChoices):
        CUSTOMER = "Customer"
        VENDOR = "Vendor"
        EMPLOYEE = "Employee"

    company = models.ForeignKey(SandboxQboCompany, on_delete=models.CASCADE, related_name="names")
    entity = models.CharField(max_length=10, choices=Entity.choices)
    qbo_id = models.BigIntegerField()
    sync_token = models.PositiveIntegerField(default=0)
    display_name = models.CharField(max_length=500)
    active = models.BooleanField(default=True)
    parent_qbo_id = models.BigIntegerField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(default=0)
    fully_qualified_name = models.TextField()
    balance = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    balance_with_jobs = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    # Client-supplied wire fields (GivenName, PrimaryEmailAddr, BillAddr...); computed ones are
    # overlaid from the columns when the entity is rendered.
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "qbo_id"], name="sandbox_qbo_name_id"),
            models.UniqueConstraint(
                "company", Lower("display_name"), name="sandbox_qbo_name_display_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["company", "entity", "active", "qbo_id"], name="sbqbo_name_active"
            ),
            models.Index(fields=["company", "entity", "display_name"], name="sbqbo_name_dn"),
            models.Index(fields=["company", "entity", "balance"], name="sbqbo_name_balance"),
            models.Index(fields=["company", "entity", "updated_at"], name="sbqbo_name_updated"),
            models.Index(fields=["company", "entity", "created_at"], name="sbqbo_name_created"),
            models.Index(fields=["company", "parent_qbo_id"], name="sbqbo_name_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.qbo_id} {self.display_name}"


class SandboxQboInvoice(models.Model):
    """An invoice; Balance 0 means paid."""

    company = models.ForeignKey(
        SandboxQboCompany, on_delete=models.CASCADE, related_name="invoices"
    )
    qbo_id = models.BigIntegerField()
    sync_token = models.PositiveIntegerField(default=0)
    customer_qbo_id = models.BigIntegerField()
    doc_number = models.CharField(max_length=21, blank=True)
    txn_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    total_amt = models.DecimalField(max_digits=16, decimal_places=2)
    balance = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "qbo_id"], name="sandbox_qbo_invoice_id"),
        ]
        indexes = [
            models.Index(fields=["company", "customer_qbo_id"], name="sbqbo_inv_customer"),
            models.Index(fields=["company", "balance"], name="sbqbo_inv_balance"),
            models.Index(fields=["company", "due_date"], name="sbqbo_inv_due"),
            models.Index(fields=["company", "doc_number"], name="sbqbo_inv_doc"),
            models.Index(fields=["company", "updated_at"], name="sbqbo_inv_updated"),
            models.Index(fields=["company", "created_at"], name="sbqbo_inv_created"),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.qbo_id} ({self.doc_number})"


class SandboxQboRequest(models.Model):
    """The stored response of a POST sent with ``?requestid=``, replayed on a retry."""

    company = models.ForeignKey(SandboxQboCompany, on_delete=models.CASCADE)
    request_id = models.CharField(max_length=100)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "request_id"], name="sandbox_qbo_request_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"requestid {self.request_id}"


class SandboxQboTombstone(models.Model):
    """An entity that was deleted (a customer merged away): CDC reports it as ``Deleted``."""

    company = models.ForeignKey(SandboxQboCompany, on_delete=models.CASCADE)
    entity = models.CharField(max_length=10)
    qbo_id = models.BigIntegerField()
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["company", "entity", "deleted_at"], name="sbqbo_tomb_deleted"),
        ]

    def __str__(self) -> str:
        return f"deleted {self.entity} {self.qbo_id}"


class SandboxQboWebhook(models.Model):
    """A webhook delivery the sandbox owes the app, retried on Intuit's schedule until the app
    answers 200."""

    company = models.ForeignKey(SandboxQboCompany, on_delete=models.CASCADE)
    body = models.TextField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; null once delivered.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], name="sbqbo_webhook_due")]

    def __str__(self) -> str:
        return f"webhook {self.pk} ({self.attempts} attempts)"
