"""The state of one matching pass: both sides' open records, their keys, and the decisions.

Rules (``sync.matching.rules``, ``sync.matching.review``) read and decide through a
``MatchState``; it keeps the invariant that every open record ends in exactly one of a link, a
review, or "only on its side".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from integrations.records import ContactRecord
from sync.matching.normalize import RecordKeys, record_keys

logger = logging.getLogger(__name__)

EMAIL, NAME, EMAIL_NAME, COMPANY = "email", "name", "email+name", "company"
MATCH_BY_NAME, HOLD_FOR_REVIEW = "match_by_name", "hold_for_review"
REJECTED_REASON = 'Marked "not a match" by a user'


# Slotted: a million-record plan holds hundreds of thousands of links.
@dataclass(frozen=True, slots=True)
class Match:
    """A QuickBooks customer and an LACRM contact that are the same, and why."""

    qbo_id: str
    lacrm_id: str
    method: str
    reason: str


@dataclass(frozen=True, slots=True)
class Review:
    """Candidates a person has to decide about; none of them is linked or created meanwhile."""

    qbo_ids: tuple[str, ...]
    lacrm_ids: tuple[str, ...]
    reason: str


@dataclass
class MatchPlan:
    """What to do with every open record: link, review, or create on the other side."""

    links: list[Match] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    qbo_only: list[str] = field(default_factory=list)
    lacrm_only: list[str] = field(default_factory=list)
    not_matches: list[tuple[str, str, str]] = field(default_factory=list)


def plural(count: int, side: str) -> str:
    noun = {"q": "QuickBooks customer", "l": "Less Annoying CRM contact"}[side]
    return f"{count} {noun}{'' if count == 1 else 's'}"


class MatchState:
    """The state of one planning pass: both sides' open records, keys and decisions so far."""

    def __init__(self, qbo, lacrm, rejected_pairs, no_email: str) -> None:
        if no_email not in (MATCH_BY_NAME, HOLD_FOR_REVIEW):
            raise ValueError(f"Unknown no_email policy: {no_email!r}")
        self.hold_name_only = no_email == HOLD_FOR_REVIEW
        self.qbo: list[ContactRecord] = qbo
        self.lacrm: list[ContactRecord] = lacrm
        self.qbo_keys: list[RecordKeys] = [record_keys(r) for r in qbo]
        self.lacrm_keys: list[RecordKeys] = [record_keys(r) for r in lacrm]
        self.n = len(qbo)
        self.qbo_taken = bytearray(len(qbo))
        self.lacrm_taken = bytearray(len(lacrm))
        self.plan = MatchPlan()
        self.noted: set[tuple[int, int]] = set()
        q_pos = {r.id: i for i, r in enumerate(qbo)} if rejected_pairs else {}
        l_pos = {r.id: j for j, r in enumerate(lacrm)} if rejected_pairs else {}
        self.rejected = {
            (q_pos[a], l_pos[b]) for a, b in rejected_pairs if a in q_pos and b in l_pos
        }
        self.rejected_by_q: dict[int, set[int]] = {}
        self.rejected_by_l: dict[int, set[int]] = {}
        for i, j in self.rejected:
            self.rejected_by_q.setdefault(i, set()).add(j)
            self.rejected_by_l.setdefault(j, set()).add(i)

    # -- outcomes -------------------------------------------------------------------------

    def link(self, i: int, j: int, method: str, reason: str) -> None:
        self.qbo_taken[i] = self.lacrm_taken[j] = 1
        self.plan.links.append(Match(self.qbo[i].id, self.lacrm[j].id, method, reason))

    def review(self, qs: list[int], ls: list[int], reason: str) -> bool:
        """Hold ``qs`` and ``ls`` for review, less those every candidate was rejected with.

        Returns whether a review was made: when one side is left empty, nobody is taken and the
        records carry on to the next rules.
        """
        qs, ls = self.viable(qs, ls)
        if not (qs and ls):
            return False
        for i in qs:
            self.qbo_taken[i] = 1
        for j in ls:
            self.lacrm_taken[j] = 1
        self.plan.reviews.append(
            Review(tuple(self.qbo[i].id for i in qs), tuple(self.lacrm[j].id for j in ls), reason)
        )
        return True

    def viable(self, qs: list[int], ls: list[int]) -> tuple[list[int], list[int]]:
        """Drop, until none is left, each record rejected with every record on the other side.

        Dropping one record can leave one on the other side with only rejected candidates, hence
        the repetition. Only records with a rejection are looked at again, and only compared
        when they have as many rejections as the other side has records: beyond one pass over
        the candidates, the work is bounded by the number of rejected pairs.
        """
        if not self.rejected:
            return qs, ls
        q_set, l_set = set(qs), set(ls)
        q_barred = [i for i in qs if i in self.rejected_by_q]
        sides = [
            (q_barred, q_set, l_set, self.rejected_by_q),
            ([j for j in ls if j in self.rejected_by_l], l_set, q_set, self.rejected_by_l),
        ]
        dropped = False
        while _drop_rejected_everywhere(sides):
            dropped = True
        if not dropped:
            return qs, ls
        # The rejections that kept them out, listed like any other "not a match".
        l_all = set(ls)
        for i in q_barred:
            for j in self.rejected_by_q[i]:
                if j in l_all and (i not in q_set or j not in l_set):
                    self.not_match(i, j, REJECTED_REASON)
        return [i for i in qs if i in q_set], [j for j in ls if j in l_set]

    def not_match(self, i: int, j: int, reason: str) -> None:
        # A rejected pair can come up under two rules; it is listed once.
        if (i, j) not in self.noted:
            self.noted.add((i, j))
            self.plan.not_matches.append((self.qbo[i].id, self.lacrm[j].id, reason))

    # -- helpers --------------------------------------------------------------------------

    def same_name(self, i: int, j: int) -> bool:
        a, b = self.qbo_keys[i], self.lacrm_keys[j]
        return a.is_company == b.is_company and bool(a.name_key) and a.name_key == b.name_key

    def ruled_out(self, i: int, j: int) -> bool:
        """A pair already decided against: rejected, or two people of one name, two emails."""
        if (i, j) in self.rejected:
            return True
        a, b = self.qbo_keys[i], self.lacrm_keys[j]
        return not a.is_company and self.same_name(i, j) and bool(a.emails and b.emails)

    def names(self, i: int, j: int) -> str:
        a, b = self.qbo[i].name, self.lacrm[j].name
        return f'"{a}"' if a == b else f'"{a}" / "{b}"'


def _drop_rejected_everywhere(sides) -> bool:
    """One pass of ``MatchState.viable``: drop each record rejected with all those left on the
    other side; True when one was dropped."""
    changed = False
    for barred_ones, mine, theirs, barred_by in sides:
        for x in barred_ones:
            barred = barred_by[x]
            if x in mine and len(barred) >= len(theirs) > 0 and theirs <= barred:
                mine.discard(x)
                changed = True
    return changed
