"""The run page's runtime log at any size: filter, search, keyset pages and an honest count.

Pages run newest first over ``(at, id)``. A link names the entry it continues from ("older
than this one", "newer than this one") instead of a page number, so a page a million entries
deep costs what the first one does (one range scan of the ``(run, [outcome,] at, id)``
indexes), and a link keeps showing the same entries while a run adds new ones. The newest and
the oldest page are always one click away.

Nothing here counts the log table. "About Z" comes from the run's counters (each outcome
registers the counters its entries move, ``sync.outcomes``); a search collects its matches up
to a cap (``sync.logsearch``: "734", or "more than 2,000"). The position ("showing 51–100")
travels in the link, since knowing it exactly would mean counting everything newer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import TupleGreaterThan, TupleLessThan

from sync import logsearch, outcomes, searchterms

# The runtime-log filter: one choice per outcome group (each kind registers its outcomes).
LOG_FILTERS = {
    outcomes.SUCCEEDED: "Succeeded",
    outcomes.ALREADY_MATCHED: "Already matched",
    outcomes.SKIPPED: "Skipped",
    outcomes.NEEDS_REVIEW: "Needs review",
    outcomes.FAILED: "Failed",
}
PER_PAGE = 50
_CURSOR = re.compile(r"^(\d{1,18})\.(\d{1,18})$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MAX_START = 10**9


@dataclass(frozen=True)
class Cursor:
    """An entry's place in the order: its time and id, as a link carries them."""

    at: dt.datetime
    pk: int

    @classmethod
    def of(cls, entry) -> Cursor:
        return cls(entry.at, entry.pk)

    @classmethod
    def parse(cls, token: str) -> Cursor | None:
        match = _CURSOR.match(token or "")
        if not match:
            return None
        try:
            at = _EPOCH + dt.timedelta(microseconds=int(match[1]))
        except OverflowError:
            return None
        return cls(at, int(match[2]))

    def token(self) -> str:
        micros = (self.at - _EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}.{self.pk}"

    def key(self) -> tuple[dt.datetime, int]:
        return (self.at, self.pk)


@dataclass(frozen=True)
class LogFilter:
    """What the filter form asked for: an outcome group ("" for all) and a search text."""

    outcome: str = ""
    text: str = ""

    @classmethod
    def from_params(cls, params) -> LogFilter:
        outcome = params.get("outcome", "")
        return cls(
            outcome=outcome if outcome in LOG_FILTERS else "",
            text=searchterms.search_text(params),
        )

    @property
    def outcome_values(self) -> tuple[str, ...] | None:
        """The outcomes the group covers, or None for every outcome."""
        return outcomes.in_group(self.outcome) if self.outcome else None

    def apply(self, logs: QuerySet) -> QuerySet:
        """``logs`` narrowed to the outcome group and the search (in no particular order)."""
        values = self.outcome_values
        if values is not None:
            logs = logs.filter(outcome__in=values)
        if self.text:
            logs = logs.filter(logsearch.search_condition(self.text))
        return logs

    def params(self) -> dict[str, str]:
        return {k: v for k, v in (("outcome", self.outcome), ("q", self.text)) if v}


@dataclass(frozen=True)
class Total:
    """How many entries the filter holds, as honestly as can be told cheaply."""

    value: int
    # "exact", "about" (from the run's counters) or "more_than" (a capped count).
    kind: str


@dataclass
class LogPage:
    """One page of entries, newest first, with where it sits and the links around it."""

    entries: list
    start: int | None  # 1-based position of the first entry, when known
    total: Total
    newest_url: str | None
    newer_url: str | None
    older_url: str | None
    oldest_url: str | None

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + len(self.entries) - 1

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer_url or self.older_url)


def _ordered(logs: QuerySet, descending: bool) -> QuerySet:
    return logs.order_by("-at", "-id") if descending else logs.order_by("at", "id")


def _beyond(logs: QuerySet, after: Cursor | None, descending: bool) -> QuerySet:
    if after is None:
        return logs
    lookup = TupleLessThan if descending else TupleGreaterThan
    return logs.filter(lookup((F("at"), F("id")), after.key()))


def fetch(
    logs: QuerySet, log_filter: LogFilter, *, after: Cursor | None, descending: bool, limit: int
) -> list:
    """Up to ``limit`` entries of ``logs`` beyond ``after``, in the order asked for.

    An outcome group of several outcomes is read as one ordered range scan per outcome of the
    ``(run, outcome, at, id)`` index, merged (``UNION ALL``, then the first ``limit``): a single
    ``outcome IN (...)`` scan could not use that index for the order, and walking ``(run, at,
    id)`` past entries of the other outcomes is slow wherever those crowd together (a run logs
    its matches at planning time and its creates later). A search with this many matches is
    common enough to walk the run in time order (``sync.logsearch``).
    """
    logs = _beyond(logs, after, descending)
    values = log_filter.outcome_values
    if log_filter.text:
        query = _ordered(log_filter.apply(logs), descending)[:limit]
        return logsearch.planned_with(query, logsearch.NO_BITMAP_SCANS)
    if values is None:
        return list(_ordered(logs, descending)[:limit])
    if not values:
        return []
    branches = [_ordered(logs.filter(outcome=value), descending)[:limit] for value in values]
    if len(branches) == 1:
        return list(branches[0])
    merged = branches[0].union(*branches[1:], all=True)
    return list(_ordered(merged, descending)[:limit])


class _Entries:
    """Where a page's entries come from, and how many there are.

    A search with at most ``SEARCH_COUNT_CAP`` matches has them all in hand as (at, id) keys:
    its pages are cut from those and read by primary key. Everything else reads the log in
    order through its indexes (``fetch``).
    """

    def __init__(self, run, logs: QuerySet, log_filter: LogFilter) -> None:
        self.run, self.logs, self.filter = run, logs, log_filter
        self.keys: list[tuple] | None = None
        self.many_matches = False
        if log_filter.text:
            keys = logsearch.matching_keys(log_filter.apply(logs))
            if len(keys) <= logsearch.SEARCH_COUNT_CAP:
                self.keys = keys
            else:
                self.many_matches = True

    def fetch(self, after: Cursor | None, descending: bool, limit: int) -> list:
        if self.keys is None:
            return fetch(self.logs, self.filter, after=after, descending=descending, limit=limit)
        keys = sorted(self.keys, reverse=descending)
        if after is not None:
            edge = after.key()
            keys = [k for k in keys if (k < edge if descending else k > edge)]
        ids = [pk for _, pk in keys[:limit]]
        by_id = self.logs.in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def total(self) -> Total:
        """About how many entries the filter holds, without counting the log."""
        if self.keys is not None:
            return Total(len(self.keys), "exact")
        if self.many_matches:
            return Total(logsearch.SEARCH_COUNT_CAP, "more_than")
        outcome = self.filter.outcome
        groups = [outcome] if outcome else list(LOG_FILTERS)
        counters = outcomes.counters_of(groups)
        return Total(sum(getattr(self.run, name) for name in counters), "about")


@dataclass(frozen=True)
class _Request:
    """Which page a link asked for."""

    after: Cursor | None = None
    descending: bool = True  # newest first from the top, or oldest first from ``after``/the end
    start: int | None = 1

    @classmethod
    def from_params(cls, params) -> _Request:
        start = _int_or_none(params.get("start", ""))
        if start is not None:
            start = min(max(start, 1), _MAX_START)
        older = Cursor.parse(params.get("older", ""))
        if older is not None:
            return cls(older, True, start)
        newer = Cursor.parse(params.get("newer", ""))
        if newer is not None:
            return cls(newer, False, start)
        if params.get("oldest") == "1":
            return cls(None, False, None)
        return cls()


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 10 else None


def log_page(run, logs: QuerySet, log_filter: LogFilter, params) -> LogPage:
    """The page of ``logs`` (a run's entries, unfiltered) that ``params`` ask for."""
    asked = _Request.from_params(params)
    source = _Entries(run, logs, log_filter)
    rows = source.fetch(asked.after, asked.descending, PER_PAGE + 1)
    if not rows and asked.after is not None:
        # The entry the link continued from is gone (or the link was made up): show the end
        # it was heading for.
        asked = _Request(None, True, 1) if not asked.descending else _Request(None, False, None)
        rows = source.fetch(None, asked.descending, PER_PAGE + 1)
    more = len(rows) > PER_PAGE
    entries = rows[:PER_PAGE]
    if asked.descending:
        has_newer, has_older = asked.after is not None, more
    else:
        entries.reverse()
        has_newer, has_older = more, asked.after is not None
    total, start = _total_and_start(source, asked, entries, has_newer, has_older)
    return _with_links(
        LogPage(entries, start, total, None, None, None, None),
        log_filter.params(),
        has_newer,
        has_older,
    )


def _total_and_start(source: _Entries, asked: _Request, entries, has_newer, has_older):
    if not has_newer and not has_older:
        return Total(len(entries), "exact"), 1
    start = 1 if not has_newer else asked.start
    total = source.total()
    if start is None and total.kind != "more_than":
        # The oldest page: as far from the top as the total says.
        start = max(total.value - len(entries) + 1, 1)
    if start is not None and total.kind == "about":
        seen = start + len(entries) - 1
        # The counters can lag behind the log by a line or two (a run-level note moves none).
        total = Total(seen if not has_older else max(total.value, seen), total.kind)
    return total, start


def _with_links(page: LogPage, base: dict[str, str], has_newer: bool, has_older: bool):
    def url(**extra) -> str:
        query = urlencode({**base, **{k: v for k, v in extra.items() if v is not None}})
        return f"?{query}" if query else "?"

    if has_newer and page.entries:
        start = page.start - PER_PAGE if page.start is not None else None
        page.newest_url = url()
        page.newer_url = url(
            newer=Cursor.of(page.entries[0]).token(),
            start=max(start, 1) if start is not None else None,
        )
    if has_older and page.entries:
        page.older_url = url(
            older=Cursor.of(page.entries[-1]).token(),
            start=page.end + 1 if page.end is not None else None,
        )
        page.oldest_url = url(oldest="1")
    return page
