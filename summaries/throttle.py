"""When throttled contacts can next get a summary note: the overall line of a run's panel.

Each throttled log entry already says its own contact's time; this tells the run's reader the
span over all of them, from the throttle rows (``ContactSummaryState``) of the run's throttled
contacts, in one aggregate query however many there are.
"""

from __future__ import annotations

from django.db.models import Max, Min
from django.utils import timezone

from summaries.kind import Outcome
from summaries.models import ContactSummaryState
from summaries.plan import WINDOW
from sync.models import SyncLogEntry


def next_update_window(run):
    """``(first, last)``: when the earliest and the latest of the run's throttled contacts may
    get their next note (None, None when the run throttled none)."""
    if not run.throttled:
        return None, None
    throttled = SyncLogEntry.objects.filter(
        workspace=run.workspace_id, run=run, outcome=Outcome.THROTTLED
    ).values("record_id")
    span = ContactSummaryState.objects.filter(
        workspace=run.workspace_id, lacrm_id__in=throttled, last_posted_at__isnull=False
    ).aggregate(first=Min("last_posted_at"), last=Max("last_posted_at"))
    if span["first"] is None:
        return None, None
    return span["first"] + WINDOW, span["last"] + WINDOW


def throttle_notice(run, now=None) -> str:
    """One sentence on when the run's throttled contacts can be updated again ("" if none)."""
    first, last = next_update_window(run)
    if first is None:
        return ""
    now = now or timezone.now()
    count = run.throttled
    lead = (
        f"{count} contact{'s' if count != 1 else ''} had a summary note less than 24 hours old "
        "(at most one a day)"
    )
    when = "%Y-%m-%d %H:%M UTC"
    if last <= now:
        return f"{lead}; all of them can be updated now."
    if first <= now:
        return f"{lead}; some can be updated now, all of them after {last:{when}}."
    if f"{first:{when}}" == f"{last:{when}}":  # the same minute, as the page shows times
        return f"{lead}; next update possible after {last:{when}}."
    return (
        f"{lead}; the first can be updated again after {first:{when}}, all of them after "
        f"{last:{when}}."
    )
