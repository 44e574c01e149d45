"""State shared by both sandbox providers: the knobs and the call log.

Each provider keeps its own data in a sub-app (``sandbox/qbo`` and ``sandbox/lacrm``).
"""

from __future__ import annotations

from django.db import models


class SandboxKnobs(models.Model):
    """Behaviour of the sandbox providers; one row (pk=1), edited in the admin or by tests.

    Defaults are realistic limits with no latency and no injected faults; ``make run`` adds a little
    latency through ``SANDBOX_LATENCY`` so progress is visible in demo mode.
    """

    latency_ms = models.PositiveIntegerField(default=0, help_text="Added to every call.")
    # QuickBooks Online limits per realm (Intuit's documented values).
    qbo_requests_per_minute = models.PositiveIntegerField(default=500)
    qbo_max_concurrent = models.PositiveIntegerField(default=10)
    qbo_batches_per_minute = models.PositiveIntegerField(default=40)
    # LACRM publishes no limit; this is the sandbox's own per-key budget.
    lacrm_requests_per_minute = models.PositiveIntegerField(default=600)
    # Injected faults, as probabilities between 0 and 1 per call.
    fault_500_rate = models.FloatField(default=0.0)
    fault_429_rate = models.FloatField(default=0.0)
    fault_timeout_rate = models.FloatField(default=0.0)
    timeout_seconds = models.FloatField(default=3.0, help_text="How long a 'timeout' stalls.")
    # Token lifetimes in seconds.
    qbo_access_token_lifetime = models.PositiveIntegerField(default=3600)
    qbo_refresh_token_lifetime = models.PositiveIntegerField(default=100 * 24 * 3600)
    lacrm_access_token_lifetime = models.PositiveIntegerField(default=3600)
    lacrm_refresh_token_lifetime = models.PositiveIntegerField(default=30 * 24 * 3600)

    class Meta:
        verbose_name = "sandbox knobs"
        verbose_name_plural = "sandbox knobs"

    def __str__(self) -> str:
        return "Sandbox knobs"

    @classmethod
    def current(cls) -> SandboxKnobs:
        knobs, _ = cls.objects.get_or_create(pk=1)
        return knobs


class SandboxCall(models.Model):
    """One request a sandbox provider answered: the call log that benchmarks count."""

    class System(models.TextChoices):
        QBO = "qbo", "QuickBooks Online"
        INTUIT_OAUTH = "intuit_oauth", "Intuit OAuth"
        LACRM = "lacrm", "Less Annoying CRM"
        LACRM_OAUTH = "lacrm_oauth", "LACRM OAuth"

    system = models.CharField(max_length=20, choices=System.choices)
    # The realm id (QBO) or the sandbox account id (LACRM); empty when unknown (bad credentials).
    account = models.CharField(max_length=64, blank=True)
    # e.g. "query Customer", "batch", "POST customer", "GetContacts", "token refresh_token".
    operation = models.CharField(max_length=80)
    status = models.PositiveSmallIntegerField()
    items = models.PositiveIntegerField(default=0, help_text="Rows returned or items in a batch.")
    # Time the provider spent on the request (latency knob included): benchmarks subtract it
    # from a run's wall time to find LedgerLink's own share.
    duration_ms = models.FloatField(default=0)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["system", "account", "at"])]

    def __str__(self) -> str:
        return f"{self.system} {self.operation} {self.status}"
