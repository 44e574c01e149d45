"""Rule 4 of contact matching: pairs that are plausible but uncertain go to review.

Candidates are a close name (same last name and first initial, or a small edit distance) with
the same phone or company; company records with the same phone and close names; and a person
named like a company record on the other side. Records joined by such pairs form one review,
never an automatic link and never an automatic create: a held create beats a duplicate. Two
people who only share a phone or an employer, with different first names and different emails
(a household, one office line), are not such a pair: each is created on the other side.

Pairs are only compared inside blocks of records sharing a phone or a company, so the work stays
linear: a block with too many pairs is cut down by hashing on (last name, first initial) first.
A pair already ruled out (rejected by a user, or two people of one name with different emails)
never joins a review.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from itertools import islice

from sync.matching.index import UnionFind, add_to_index
from sync.matching.normalize import (
    close_names,
    different_first_names,
    normalize_person_name,
    overlaps,
)
from sync.matching.state import MatchState

logger = logging.getLogger(__name__)

# Blocks up to this many pairs are compared pair by pair (edit distance included); larger ones
# only within their (last name, first initial) sub-blocks.
SMALL_BLOCK_PAIRS = 64
# A sub-block larger than this is reviewed as a whole rather than compared pair by pair.
MAX_SUB_BLOCK_PAIRS = 2500
# In such a sub-block, how many records are tried to find one a record is not ruled out with.
PARTNER_TRIES = 16

Edge = Callable[[int, int, str], None]


def review_uncertain(planner: MatchState) -> None:
    """Send the open records joined by plausible but uncertain pairs to review, one per group."""
    n = planner.n
    edges = UnionFind()
    reasons: dict[int, list[str]] = defaultdict(list)

    def edge(i: int, j: int, reason: str) -> None:
        if not planner.ruled_out(i, j) and not _two_people(planner, i, j):
            edges.union(i, n + j)
            reasons[i].append(reason)

    # Blocks are keyed by phone and by (a person's) company; only blocks that have records on
    # both sides are kept, and only those are compared.
    q_blocks = _block_index(planner.qbo_keys, planner.qbo_taken)
    l_blocks = _block_index(planner.lacrm_keys, planner.lacrm_taken, among=q_blocks)
    for kind, q_index, l_index in zip(("phone", "company"), q_blocks, l_blocks, strict=True):
        for value, ls in l_index.items():
            _block(planner, kind, value, q_index[value], ls, edge)
    _person_company(planner, edge)
    for members in edges.groups():
        qs = sorted(x for x in members if x < n)
        ls = sorted(x - n for x in members if x >= n)
        said = dict.fromkeys(r for i in qs for r in reasons.get(i, ()))
        # Every member came in through a pair not ruled out, so no review is all rejected pairs.
        planner.review(qs, ls, "; ".join(list(said)[:3]))


def _two_people(planner: MatchState, i: int, j: int) -> bool:
    """Two people who share a phone or an employer (a household, an office line), not one person
    to review: both have emails, none in common, and first names that are not the same name
    written two ways (an initial, a shortening, a common nickname)."""
    a, b = planner.qbo_keys[i], planner.lacrm_keys[j]
    if a.is_company or b.is_company or not (a.emails and b.emails) or overlaps(a.emails, b.emails):
        return False
    first_a, first_b = a.person_name.split(" ", 1)[0], b.person_name.split(" ", 1)[0]
    return different_first_names(first_a, first_b)


def _close(planner: MatchState, i: int, j: int) -> bool:
    a, b = planner.qbo_keys[i], planner.lacrm_keys[j]
    if a.is_company != b.is_company:
        return False
    if a.is_company:
        return close_names(a.company_name, b.company_name, person=False)
    return close_names(a.person_name, b.person_name)


def _block_index(keys_list, taken, among=None) -> tuple[dict, dict]:
    """Open records by phone and by (a person's) company, optionally only keys in ``among``."""
    phones: dict[str, list[int]] = {}
    companies: dict[str, list[int]] = {}
    for x, keys in enumerate(keys_list):
        if taken[x]:
            continue
        for phone in keys.phones:
            if among is None or phone in among[0]:
                add_to_index(phones, phone, x)
        company = keys.company_name
        if company and not keys.is_company and (among is None or company in among[1]):
            add_to_index(companies, company, x)
    return phones, companies


def _block(
    planner: MatchState, kind: str, value: str, qs: list[int], ls: list[int], edge: Edge
) -> None:
    shared = f'Same {kind} "{value}"'
    if len(qs) * len(ls) <= SMALL_BLOCK_PAIRS:
        for i in qs:
            for j in ls:
                if _close(planner, i, j):
                    edge(i, j, f"{shared} and a close name ({planner.names(i, j)})")
        return
    # A switchboard number or a big employer: hash on (last name, first initial) instead of
    # comparing every pair.
    subs: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for side, keys_list, members in ((0, planner.qbo_keys, qs), (1, planner.lacrm_keys, ls)):
        for x in members:
            person = keys_list[x].person_name
            if person and not keys_list[x].is_company:
                sub = (person[0], person.rpartition(" ")[2])
                subs.setdefault(sub, ([], []))[side].append(x)
    for sq, sl in subs.values():
        if not (sq and sl):
            continue
        if len(sq) * len(sl) > MAX_SUB_BLOCK_PAIRS:
            _join_all(planner, sq, sl, f"{shared} and many close names", edge)
            continue
        for i in sq:
            for j in sl:
                edge(i, j, f"{shared} and a close name ({planner.names(i, j)})")


def _join_all(planner: MatchState, sq: list[int], sl: list[int], reason: str, edge: Edge) -> None:
    """Join a huge sub-block into one review without comparing every pair.

    Each record is joined to the first few on the other side until one is not ruled out with
    it: joining only to the first would leave out a record rejected with that one alone.
    """
    for i in sq:
        j = next((j for j in islice(sl, PARTNER_TRIES) if not planner.ruled_out(i, j)), None)
        if j is not None:
            edge(i, j, reason)
    for j in sl:
        i = next((i for i in islice(sq, PARTNER_TRIES) if not planner.ruled_out(i, j)), None)
        if i is not None:
            edge(i, j, reason)


def _person_company(planner: MatchState, edge: Edge) -> None:
    """A person on one side named like a company record on the other: never auto-linked."""
    p = planner
    for flip, (records, keys_list, taken) in enumerate(
        ((p.qbo, p.qbo_keys, p.qbo_taken), (p.lacrm, p.lacrm_keys, p.lacrm_taken))
    ):
        companies: dict[str, list[int]] = {}
        for x, keys in enumerate(keys_list):
            text = records[x].company_name or records[x].display_name
            if keys.is_company and text and not taken[x]:
                add_to_index(companies, normalize_person_name(text), x)
        others, other_taken = (p.qbo_keys, p.qbo_taken) if flip else (p.lacrm_keys, p.lacrm_taken)
        for y, keys in enumerate(others):
            if companies and not keys.is_company and not other_taken[y]:
                for x in companies.get(keys.person_name, ()):
                    i, j = (y, x) if flip else (x, y)
                    what = "a person in one system, a company in the other"
                    edge(i, j, f"{p.names(i, j)}: {what}")
