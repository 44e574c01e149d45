"""The preview page's list: one category at a time, searchable, in keyset pages over ``seq``.

Like the runtime log (``sync.logpage``) a page is "the 50 items after (or before) this one",
never an OFFSET, so the last page of a 40,000-item plan costs what the first does. The counts
per category come from the preview's stored counts; a search counts its matches.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q, QuerySet

from sync.preview.models import ACTIONABLE, Category, ContactPreview, PreviewItem

PER_PAGE = 50


@dataclass(frozen=True)
class ItemFilter:
    category: str = ""
    text: str = ""

    @classmethod
    def from_params(cls, params) -> ItemFilter:
        category = params.get("category", "")
        return cls(
            category=category if category in Category.values else "",
            text=params.get("q", "").strip()[:200],
        )

    def apply(self, items: QuerySet) -> QuerySet:
        if self.category:
            items = items.filter(category=self.category)
        if self.text:
            text = self.text
            items = items.filter(
                Q(record_name__icontains=text)
                | Q(record_email__icontains=text)
                | Q(target_name__icontains=text)
                | Q(record_id=text)
                | Q(target_id=text)
            )
        return items

    def params(self) -> dict[str, str]:
        return {k: v for k, v in (("category", self.category), ("q", self.text)) if v}


@dataclass
class ItemPage:
    items: list[PreviewItem]
    count: int
    next_url: str = ""
    previous_url: str = ""
    first_url: str = ""
    shown_ids: list[int] = field(default_factory=list)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_url or self.previous_url)


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 10**9 else None


def item_page(preview: ContactPreview, item_filter: ItemFilter, params) -> ItemPage:
    """The page ``params`` asks for (``after``/``before`` a seq), with links to its neighbours."""
    items = item_filter.apply(PreviewItem.objects.filter(preview=preview))
    after, before = _int(params.get("after")), _int(params.get("before"))
    if before is not None:
        rows = list(items.filter(seq__lt=before).order_by("-seq")[: PER_PAGE + 1])
        more_before = len(rows) > PER_PAGE
        rows = list(reversed(rows[:PER_PAGE]))
        more_after = True
    else:
        start = items.filter(seq__gt=after) if after is not None else items
        rows = list(start.order_by("seq")[: PER_PAGE + 1])
        more_after = len(rows) > PER_PAGE
        rows = rows[:PER_PAGE]
        more_before = after is not None and items.filter(seq__lte=after).exists()
    if item_filter.text:
        count = items.count()
    elif item_filter.category:
        count = preview.count(item_filter.category)
    else:
        count = sum(preview.counts.values())
    base = item_filter.params()
    page = ItemPage(items=rows, count=count, shown_ids=[row.pk for row in rows])
    if rows and more_after:
        page.next_url = "?" + urlencode({**base, "after": rows[-1].seq})
    if rows and more_before:
        page.previous_url = "?" + urlencode({**base, "before": rows[0].seq})
        page.first_url = "?" + urlencode(base) if base else "?"
    return page


class _Echo:
    def write(self, value):
        return value


CSV_HEADER = [
    "category",
    "included",
    "system",
    "record id",
    "name",
    "email",
    "counterpart id",
    "counterpart name",
    "reason",
    "new record's fields",
    "notes",
]


def csv_lines(preview: ContactPreview, item_filter: ItemFilter) -> Iterator[str]:
    """The filtered plan as CSV lines: UTF-8 with a byte-order mark (Excel reads it as such)."""
    writer = csv.writer(_Echo())
    labels = dict(Category.choices)
    rows = (
        item_filter.apply(PreviewItem.objects.filter(preview=preview))
        .order_by("seq")
        .values_list(
            "category",
            "excluded",
            "system",
            "record_id",
            "record_name",
            "record_email",
            "target_id",
            "target_name",
            "reason",
            "fields",
            "notes",
        )
        .iterator(chunk_size=2000)
    )
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    for row in rows:
        category, excluded, system, rid, name, email, tid, tname, reason, fields, notes = row
        included = "excluded" if excluded else ("yes" if category in ACTIONABLE else "")
        yield writer.writerow(
            [
                labels.get(category, category),
                included,
                system,
                rid,
                _csv_safe(name),
                _csv_safe(email),
                tid,
                _csv_safe(tname),
                _csv_safe(reason),
                _csv_safe("; ".join(f"{k}: {v}" for k, v in fields or [])),
                _csv_safe(" ".join(notes or [])),
            ]
        )


def in_blocks(lines: Iterator[str], lines_per_block: int = 500) -> Iterator[str]:
    """Join lines into blocks (one write per line would cost more than the line)."""
    while True:
        block = list(itertools.islice(lines, lines_per_block))
        if not block:
            return
        yield "".join(block)


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in values that came from the other systems."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
