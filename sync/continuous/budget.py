"""The QuickBooks read budget: Intuit's monthly allowance of reads for the whole app.

``QBO_MONTHLY_READ_BUDGET`` (default 500,000, Intuit's Builder tier) is shared by every
workspace of the install. Counting happens in the QuickBooks transport (``integrations.metering``);
this module says what the counts mean:

- at 70 % the dashboard shows a warning banner;
- at 80 % *scheduled* full pulls (hourly/daily Sync New Contacts) stop;
- at 95 % the continuous catch-up (CDC) stops too; webhooks still arrive and are applied with
  one query per changes run;
- a user's own click always works; the dashboard says what it will cost.

The changes window (``changes_window``) is what keeps continuous sync affordable: a changes run
costs about one read however many changes it carries (one ``Id IN (…)`` query), so announced
changes wait up to ``SYNC_CHANGES_WINDOW_SECONDS`` (default 5 minutes) to share a run: at most
``86,400 / window`` runs a day per tenant, however busy it is. When the install's reads are on
course to pass ``WARN_AT`` of the month's budget, the window widens in proportion (up to
``MAX_WINDOW``), so a month of many tenants slows down instead of going offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations import metering
from integrations.records import QBO

WARN_AT = 0.70
FULL_PULLS_STOP_AT = 0.80
CATCH_UP_STOPS_AT = 0.95
FULL, CATCH_UP = "full", "catch_up"
LIMITS = {FULL: FULL_PULLS_STOP_AT, CATCH_UP: CATCH_UP_STOPS_AT}
# The widest the changes window gets: the CDC catch-up's own interval.
MAX_WINDOW = timedelta(hours=6).total_seconds()
# Before a day of the month has passed, the month's course is judged as if one had.
MIN_ELAPSED = timedelta(days=1).total_seconds()


@dataclass(frozen=True)
class Usage:
    workspace_reads: int
    total_reads: int
    budget: int
    month: str

    @property
    def share(self) -> float:
        return self.total_reads / self.budget if self.budget else 1.0

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    @property
    def warning(self) -> bool:
        return self.share >= WARN_AT

    @property
    def full_pulls_paused(self) -> bool:
        return self.share >= FULL_PULLS_STOP_AT

    @property
    def catch_up_paused(self) -> bool:
        return self.share >= CATCH_UP_STOPS_AT


def usage(workspace=None) -> Usage:
    month = metering.month_of()
    return Usage(
        workspace_reads=metering.reads(QBO, str(workspace.pk), month) if workspace else 0,
        total_reads=metering.reads(QBO, metering.ALL, month),
        budget=settings.QBO_MONTHLY_READ_BUDGET,
        month=month,
    )


def scheduled_allowed(work: str) -> str:
    """Why scheduled ``work`` (``FULL`` or ``CATCH_UP``) must wait ("" when it may run)."""
    current = usage()
    if current.share >= LIMITS[work]:
        return (
            f"QuickBooks reads this month are at {current.percent}% of the budget "
            f"({current.total_reads:,} of {current.budget:,}); scheduled "
            f"{'full pulls' if work == FULL else 'catch-ups'} wait for next month"
        )
    return ""


def month_elapsed(now: datetime) -> tuple[float, float]:
    """Seconds of the current (UTC) month gone, and its length."""
    now = now.astimezone(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return (now - start).total_seconds(), (end - start).total_seconds()


def projected_share(current: Usage, now: datetime | None = None) -> float:
    """The share of the budget the month ends at if reads go on as they have so far."""
    elapsed, length = month_elapsed(now or timezone.now())
    return current.share * length / max(elapsed, MIN_ELAPSED)


def changes_window(now: datetime | None = None) -> float:
    """Seconds announced changes wait to share one changes run (see the module's docstring)."""
    base = float(settings.SYNC_CHANGES_WINDOW_SECONDS)
    if base <= 0:
        return 0.0
    course = projected_share(usage(), now) / WARN_AT
    return min(MAX_WINDOW, base * max(1.0, course))


def full_pull_reads(customers: int) -> int:
    """About how many reads a full pull of ``customers`` costs (1,000 per query page, plus the
    adopt searches): what the dashboard tells before a click."""
    return max(1, -(-customers // 1000))
