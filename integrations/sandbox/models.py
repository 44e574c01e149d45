"""State shared by both sandbox providers: the knobs, the scripted faults and the call log.

Each provider keeps its own data in a sub-app (``sandbox/qbo`` and ``sandbox/lacrm``).
"""

from __future__ import annotations

import uuid

from django.db import models


class RateWindow(models.TextChoices):
    """How the sandbox QBO counts "per minute" (Intuit documents the rate, not the window)."""

    ROLLING = "rolling", "Any window of that length (rolling)"
    FIXED = "fixed", "Clock windows (fixed, e.g. 12:00:00-12:00:59)"


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
    # Intuit's limits say "per minute" without saying which minutes, so the sandbox takes the
    # strict reading by default: no 60 seconds may hold more. Fixed clock minutes are the
    # lenient reading, kept to check that a client holds under both.
    qbo_rate_window = models.CharField(
        max_length=10, choices=RateWindow.choices, default=RateWindow.ROLLING
    )
    qbo_rate_window_seconds = models.FloatField(
        default=60.0, help_text='Length of "a minute" in the QBO rate limits (tests shorten it).'
    )
    # LACRM publishes no limit; this is the sandbox's own per-key budget.
    lacrm_requests_per_minute = models.PositiveIntegerField(default=600)
    # Injected faults, as probabilities between 0 and 1 per call. The dice are seeded: call n
    # (counted in ``fault_calls``, atomically across processes) always rolls the same number
    # for the same seed, so a run with faults can be repeated exactly.
    fault_500_rate = models.FloatField(default=0.0)
    fault_429_rate = models.FloatField(default=0.0)
    fault_timeout_rate = models.FloatField(default=0.0)
    fault_seed = models.IntegerField(default=0, help_text="Seed of the fault dice.")
    fault_calls = models.PositiveBigIntegerField(
        default=0, help_text="Calls that rolled the dice so far (set to 0 to replay a seed)."
    )
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


class SandboxScript(models.Model):
    """Scripted behaviour for chosen calls of one operation: the sandbox's deterministic faults.

    ``calls`` lists the matching calls to act on, counted from 1 since the script was made
    (``[1]`` is "the next one", ``[3, 7, 9]`` the third, seventh and ninth). Every matching call
    counts itself with one conditional ``UPDATE … RETURNING`` on this row, so two web processes
    or threads never both take the same call number. See ``runtime.decide``.
    """

    class Action(models.TextChoices):
        THROTTLE = "throttle", "Answer 429 without processing"
        SERVER_ERROR = "server_error", "Answer 500 without processing"
        TIMEOUT = "timeout", "Stall, then answer 504 without processing"
        HOLD = "hold", "Process, then hold the answer until released"
        LOSE_RESPONSE = "lose_response", "Process, then answer 500 (the write happened)"

    system = models.CharField(max_length=20, choices=SandboxCall.System.choices)
    # The operation as the call log names it before the handler runs: "batch", "query",
    # "POST customer" (QBO); "CreateContact", "CreateNote", "GetContacts" (LACRM).
    operation = models.CharField(max_length=80)
    action = models.CharField(max_length=20, choices=Action.choices)
    calls = models.JSONField(default=list)
    seen = models.PositiveIntegerField(default=0, help_text="Matching calls counted so far.")
    hold_seconds = models.FloatField(
        default=30.0, help_text="The longest a held answer waits for its release."
    )
    # Names the Redis lists a held call and its release meet on.
    token = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["system", "operation"])]

    def __str__(self) -> str:
        return f"{self.system} {self.operation}: {self.action} on calls {self.calls}"
