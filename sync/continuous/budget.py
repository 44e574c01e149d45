"""The QuickBooks read budget: Intuit's monthly allowance of reads for the whole app.

``QBO_MONTHLY_READ_BUDGET`` (default 500,000, Intuit's Builder tier) is shared by every
workspace of the install. Counting happens in the QuickBooks transport (``integrations.metering``);
this module says what the counts mean:

- at 70 % the dashboard shows a warning banner;
- at 80 % *scheduled* full pulls (hourly/daily Sync New Contacts) stop;
- at 95 % the continuous catch-up (CDC) stops too; webhooks still arrive and are applied with
  one query per changes run;
- a user's own click always works; the dashboard says what it will cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from integrations import metering
from integrations.records import QBO

WARN_AT = 0.70
FULL_PULLS_STOP_AT = 0.80
CATCH_UP_STOPS_AT = 0.95
FULL, CATCH_UP = "full", "catch_up"
LIMITS = {FULL: FULL_PULLS_STOP_AT, CATCH_UP: CATCH_UP_STOPS_AT}


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


def full_pull_reads(customers: int) -> int:
    """About how many reads a full pull of ``customers`` costs (1,000 per query page, plus the
    adopt searches): what the dashboard tells before a click."""
    return max(1, -(-customers // 1000))
