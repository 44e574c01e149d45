"""Searching a run's runtime log by name, email or id, fast at a million entries.

The planner cannot know how many entries a ``LIKE '%text%'`` matches: it guesses from a sample
of names, and a wrong guess is expensive either way. Guessing "common" for a rare name, it walks
the run in time order looking for 51 matches that are not there (150 ms and more at a million
entries); guessing "rare" for a common one, it fetches every match to sort them. So a search
first collects up to ``SEARCH_COUNT_CAP + 1`` matches through the search's own indexes only
(bitmap scans of the trigram and id indexes, whose cost follows the number of matches):

- at most the cap: those are all the matches; the page is cut from their (at, id) keys and
  its entries are read by primary key, and the count is exact;
- more: matches are at least that common, so the page walks the run in time order (index
  scans only) until it has its entries, and the count says "more than 2,000".
"""

from __future__ import annotations

import re

from django.db import connections, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper
from django.db.models.lookups import IRegex

# About where the two ways cost the same at a million entries (30-40 ms each): collecting a
# match visits it in the table (~14 µs each when scattered); walking tests every entry on the
# way (~1.4 µs each, and 51 / share-of-matches of them).
SEARCH_COUNT_CAP = 2000
# pg_trgm finds ``%q%`` through its index only when q holds a run of three letters or digits
# (a trigram); shorter searches match the start of a name, of a word in it, or of an email.
_TRIGRAM = re.compile(r"[^\W_]{3}")
_WORD_CHAR = re.compile(r"[^\W_]")
# Characters a PostgreSQL regular expression would read as more than themselves.
_ARE_SPECIAL = re.compile(r"[^\w\s]|_")
# Planner settings for the two kinds of query (``SET LOCAL``, reset afterwards). Both run
# without parallel workers, which cost more than they save on queries this short (a walk in
# time order read five times the entries with two workers), and without JIT: a switched-off
# plan is priced at 10^10 if it is the only one left, and compiling for that price takes
# longer than any of these queries.
_SERIAL = {"max_parallel_workers_per_gather": "0", "jit": "off"}
BITMAP_SCANS_ONLY = {
    "enable_seqscan": "off",
    "enable_indexscan": "off",
    "enable_indexonlyscan": "off",
    **_SERIAL,
}
NO_BITMAP_SCANS = {"enable_bitmapscan": "off", "enable_seqscan": "off", **_SERIAL}


def search_condition(text: str) -> Q:
    """Entries whose name or email holds ``text``, or whose (counterpart's) id is ``text``.

    Every branch is one an index answers: the ids through ``(run, record_id)`` and
    ``(run, target_id)``, names and emails through the trigram indexes (``icontains`` is
    ``UPPER(column) LIKE UPPER('%text%')``, the indexes' own expression). One or two letters
    match the start of a word of the name ("Li" finds "Wei Li" and "Lisa", "Co" "O'Connor"):
    a trigram index finds word starts, but not two letters anywhere. Emails are left out of
    those: every address has a word starting "co" or "ex" in its domain, and wading through
    them costs more than the rest of the page.
    """
    ids = Q(record_id=text) | Q(target_id=text)
    if _TRIGRAM.search(text):
        return Q(record_name__icontains=text) | Q(record_email__icontains=text) | ids
    if _WORD_CHAR.search(text):
        # Separators spelled out, ASCII only: on a class like [^[:alnum:]] or one holding "’"
        # pg_trgm gives up and reads its whole index (0.6 s at a million entries).
        word_start = "(^|[ '-])" + _ARE_SPECIAL.sub(r"\\\g<0>", text)
        return IRegex(Upper("record_name"), word_start) | ids
    # Only punctuation: no index can find it inside a name, but an id may be exactly that.
    return ids


def planned_with(query: QuerySet, settings: dict[str, str]) -> list:
    """Evaluate ``query`` with the planner ``settings``, for this query only."""
    connection = connections[query.db]
    with transaction.atomic(using=query.db), connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute(f"SET LOCAL {name} = {value}")
        rows = list(query)
        # Inside an outer transaction (a test, ATOMIC_REQUESTS) SET LOCAL would outlive this
        # block; after an error the rollback undoes it.
        for name in settings:
            cursor.execute(f"RESET {name}")
    return rows


def matching_keys(matches: QuerySet) -> list[tuple]:
    """Up to ``SEARCH_COUNT_CAP + 1`` (at, id) keys of ``matches``, in no particular order."""
    query = matches.order_by().values_list("at", "id")[: SEARCH_COUNT_CAP + 1]
    return planned_with(query, BITMAP_SCANS_ONLY)
