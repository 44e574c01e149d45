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

# About where the two ways cost the same at a million entries (30-40 ms each): collecting a
# match visits it in the table (~14 µs each when scattered); walking tests every entry on the
# way (~1.4 µs each, and 51 / share-of-matches of them).
SEARCH_COUNT_CAP = 2000
# pg_trgm finds ``%q%`` through its index only when q holds a run of three letters or digits
# (a trigram); shorter searches match the start of a name, of a word in it, or of an email.
_TRIGRAM = re.compile(r"[^\W_]{3}")
_WORD_CHAR = re.compile(r"[^\W_]")
# Planner switches turned off for the two kinds of query (``SET LOCAL``, reset afterwards).
# JIT too: a switched-off plan is priced at 10^10 if it is the only one left, and compiling
# for that price would take longer than any of these queries.
BITMAP_SCANS_ONLY = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan", "jit")
NO_BITMAP_SCANS = ("enable_bitmapscan", "enable_seqscan", "jit")


def search_condition(text: str) -> Q:
    """Entries whose name or email holds ``text``, or whose (counterpart's) id is ``text``.

    Every branch is one an index answers: the ids through ``(run, record_id)`` and
    ``(run, target_id)``, names and emails through the trigram indexes (``icontains`` is
    ``UPPER(column) LIKE UPPER('%text%')``, the indexes' own expression).
    """
    ids = Q(record_id=text) | Q(target_id=text)
    if _TRIGRAM.search(text):
        return Q(record_name__icontains=text) | Q(record_email__icontains=text) | ids
    if _WORD_CHAR.search(text):
        return (
            Q(record_name__istartswith=text)
            | Q(record_name__icontains=" " + text)
            | Q(record_email__istartswith=text)
            | ids
        )
    # Only punctuation: no index can find it inside a name, but an id may be exactly that.
    return ids


def planned_without(query: QuerySet, switches: tuple[str, ...]) -> list:
    """Evaluate ``query`` with the planner's ``switches`` off, for this query only."""
    connection = connections[query.db]
    with transaction.atomic(using=query.db), connection.cursor() as cursor:
        for name in switches:
            cursor.execute(f"SET LOCAL {name} = off")
        rows = list(query)
        # Inside an outer transaction (a test, ATOMIC_REQUESTS) SET LOCAL would outlive this
        # block; after an error the rollback undoes it.
        for name in switches:
            cursor.execute(f"RESET {name}")
    return rows


def matching_keys(matches: QuerySet) -> list[tuple]:
    """Up to ``SEARCH_COUNT_CAP + 1`` (at, id) keys of ``matches``, in no particular order."""
    query = matches.order_by().values_list("at", "id")[: SEARCH_COUNT_CAP + 1]
    return planned_without(query, BITMAP_SCANS_ONLY)
