"""Contact matching: pair QuickBooks customers with Less Annoying CRM contacts (design.md §5).

``plan_matches`` is pure and O(N + M): every rule works through hash indexes (email, name, phone,
company, last name + first initial); pairs are only compared inside blocks sharing a phone or a
company, and large blocks are cut down by hashing first. The rules, over records not yet linked:

1. Email: records tied across the sides by shared emails form a group; a group of one record
   per side links ("email", or "email+name" when the names agree).
2. Shared email: in a larger group, a name held by one record per side links that pair
   ("email+name"); if both sides have leftovers they go to review, else the leftovers go on.
3. Name: a name key (person name; company name for a company record) held by one open record per
   side links them ("name"), unless both have emails, which then differ: for people that is "not
   a match" (each is created on the other side), for company records a review.
   ``no_email="hold_for_review"`` sends every name-only link (a side lacks an email) to review.
   A name held by several records on a side is reviewed, without the people that every
   candidate rules out by a different email.
4. Review: a close name with the same phone or company, and the like (``sync.matching_review``).
5. The rest is ``qbo_only`` / ``lacrm_only``: created on the other side.

A rejected pair ("not a match") never links, and every record in a review has a candidate in it
that it was not rejected with: a record rejected with all the others is left out and carries on
to the next rules, so a case whose every pair was rejected is never proposed again (a rejected
pair may still sit in a larger review beside pairs that are not). Every open record ends in
exactly one of: a link, a review, ``qbo_only`` / ``lacrm_only``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence, Set
from dataclasses import dataclass, field

from integrations.records import ContactRecord
from sync.matching_review import UnionFind, add_to_index, review_uncertain
from sync.normalize import RecordKeys, record_keys

logger = logging.getLogger(__name__)

EMAIL, NAME, EMAIL_NAME = "email", "name", "email+name"
MATCH_BY_NAME, HOLD_FOR_REVIEW = "match_by_name", "hold_for_review"
# At most this many "not a match" pairs are listed per name (the list is informational).
MAX_NOT_MATCHES_PER_NAME = 20
REJECTED_REASON = 'Marked "not a match" by a user'


@dataclass(frozen=True)
class Match:
    """A QuickBooks customer and an LACRM contact that are the same, and why."""

    qbo_id: str
    lacrm_id: str
    method: str
    reason: str


@dataclass(frozen=True)
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


def _plural(count: int, side: str) -> str:
    noun = {"q": "QuickBooks customer", "l": "Less Annoying CRM contact"}[side]
    return f"{count} {noun}{'' if count == 1 else 's'}"


class _Planner:
    """The state of one planning pass: both sides' open records, keys and decisions so far."""

    def __init__(self, qbo, lacrm, rejected_pairs, no_email: str) -> None:
        if no_email not in (MATCH_BY_NAME, HOLD_FOR_REVIEW):
            raise ValueError(f"Unknown no_email policy: {no_email!r}")
        self.hold_name_only = no_email == HOLD_FOR_REVIEW
        self.q: list[ContactRecord] = qbo
        self.l: list[ContactRecord] = lacrm
        self.qk: list[RecordKeys] = [record_keys(r) for r in qbo]
        self.lk: list[RecordKeys] = [record_keys(r) for r in lacrm]
        self.n = len(qbo)
        self.q_taken = bytearray(len(qbo))
        self.l_taken = bytearray(len(lacrm))
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
        self.q_taken[i] = self.l_taken[j] = 1
        self.plan.links.append(Match(self.q[i].id, self.l[j].id, method, reason))

    def review(self, qs: list[int], ls: list[int], reason: str) -> bool:
        """Hold ``qs`` and ``ls`` for review, less those every candidate was rejected with.

        Returns whether a review was made: when one side is left empty, nobody is taken and the
        records carry on to the next rules.
        """
        qs, ls = self.viable(qs, ls)
        if not (qs and ls):
            return False
        for i in qs:
            self.q_taken[i] = 1
        for j in ls:
            self.l_taken[j] = 1
        self.plan.reviews.append(
            Review(tuple(self.q[i].id for i in qs), tuple(self.l[j].id for j in ls), reason)
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
        sides = [
            ([i for i in qs if i in self.rejected_by_q], q_set, l_set, self.rejected_by_q),
            ([j for j in ls if j in self.rejected_by_l], l_set, q_set, self.rejected_by_l),
        ]
        dropped = False
        while True:
            changed = False
            for barred_ones, mine, theirs, barred_by in sides:
                for x in barred_ones:
                    barred = barred_by[x]
                    if x in mine and len(barred) >= len(theirs) > 0 and theirs <= barred:
                        mine.discard(x)
                        changed = True
            if not changed:
                break
            dropped = True
        if not dropped:
            return qs, ls
        # The rejections that kept them out, listed like any other "not a match".
        l_all = set(ls)
        for i in sides[0][0]:
            for j in self.rejected_by_q[i]:
                if j in l_all and (i not in q_set or j not in l_set):
                    self.not_match(i, j, REJECTED_REASON)
        return [i for i in qs if i in q_set], [j for j in ls if j in l_set]

    def not_match(self, i: int, j: int, reason: str) -> None:
        # A rejected pair can come up under two rules; it is listed once.
        if (i, j) not in self.noted:
            self.noted.add((i, j))
            self.plan.not_matches.append((self.q[i].id, self.l[j].id, reason))

    # -- helpers --------------------------------------------------------------------------

    def same_name(self, i: int, j: int) -> bool:
        a, b = self.qk[i], self.lk[j]
        return a.is_company == b.is_company and bool(a.name_key) and a.name_key == b.name_key

    def ruled_out(self, i: int, j: int) -> bool:
        """A pair already decided against: rejected, or two people of one name, two emails."""
        if (i, j) in self.rejected:
            return True
        a, b = self.qk[i], self.lk[j]
        return not a.is_company and self.same_name(i, j) and bool(a.emails and b.emails)

    def names(self, i: int, j: int) -> str:
        a, b = self.q[i].name, self.l[j].name
        return f'"{a}"' if a == b else f'"{a}" / "{b}"'

    # -- rules 1 and 2: email --------------------------------------------------------------

    def by_email(self) -> None:
        q_index: dict[str, list[int]] = {}
        for i, keys in enumerate(self.qk):
            for email in keys.emails:
                add_to_index(q_index, email, i)
        l_index: dict[str, list[int]] = {}
        for j, keys in enumerate(self.lk):
            for email in keys.emails if len(keys.emails) < 2 else sorted(keys.emails):
                if email in q_index:
                    add_to_index(l_index, email, j)
        groups = UnionFind()
        n, qk, lk = self.n, self.qk, self.lk
        tangled: list[str] = []
        for email, ls in l_index.items():
            qs = q_index[email]
            if len(qs) == 1 == len(ls) and len(qk[qs[0]].emails) == 1 == len(lk[ls[0]].emails):
                # By far the most common case: one record each, with no other email that could
                # tie them to more records. No grouping needed.
                self.email_group(qs, ls, email)
                continue
            tangled.append(email)
            for i in qs[1:]:
                groups.union(qs[0], i)
            for j in ls:
                groups.union(qs[0], n + j)
        # The most widely shared email names the group in review reasons.
        label: dict[int, str] = {}
        for email in tangled:
            root = groups.find(q_index[email][0])
            held = len(q_index[email]) + len(l_index[email])
            best = label.get(root)
            if best is None or held > len(q_index[best]) + len(l_index[best]):
                label[root] = email
        for members in groups.groups():
            qs = sorted(x for x in members if x < n)
            ls = sorted(x - n for x in members if x >= n)
            self.email_group(qs, ls, label[groups.find(members[0])])

    def email_group(self, qs: list[int], ls: list[int], email: str) -> None:
        if len(qs) == 1 and len(ls) == 1:
            i, j = qs[0], ls[0]
            if (i, j) in self.rejected:
                self.not_match(i, j, REJECTED_REASON)
                return
            common = (
                email if email in self.lk[j].emails else min(self.qk[i].emails & self.lk[j].emails)
            )
            if self.same_name(i, j):
                self.link(i, j, EMAIL_NAME, f'Same email "{common}" and name {self.names(i, j)}')
            else:
                self.link(i, j, EMAIL, f'Same email "{common}"')
            return
        q_names = self.name_index(self.qk, qs)
        l_names = self.name_index(self.lk, ls, among=q_names)
        for q_index, l_index in zip(q_names, l_names, strict=True):
            for name, l_same in l_index.items():
                q_same = q_index[name]
                if len(q_same) == 1 and len(l_same) == 1:
                    i, j = q_same[0], l_same[0]
                    if (i, j) not in self.rejected and self.qk[i].emails & self.lk[j].emails:
                        reason = f'Same name {self.names(i, j)} among the records sharing "{email}"'
                        self.link(i, j, EMAIL_NAME, reason)
        left_q = [i for i in qs if not self.q_taken[i]]
        left_l = [j for j in ls if not self.l_taken[j]]
        # With no leftovers on one side, those of the other are not that email's owner; nor is a
        # record rejected with every candidate left (``review`` leaves it out). They carry on.
        who = [_plural(len(xs), side) for xs, side in ((qs, "q"), (ls, "l")) if len(xs) > 1]
        picked = len(left_q) + len(left_l) < len(qs) + len(ls)
        why = "; those left have different names" if picked else " and no name picks one pair"
        self.review(left_q, left_l, f'{" and ".join(who)} share "{email}"{why}')

    # -- rule 3: name ---------------------------------------------------------------------

    @staticmethod
    def name_index(keys_list, members, among=None) -> tuple[dict, dict]:
        """Person and company name keys (apart: a person never links to a company record)."""
        index: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        for x in members:
            keys = keys_list[x]
            if keys.name_key and (among is None or keys.name_key in among[keys.is_company]):
                add_to_index(index[keys.is_company], keys.name_key, x)
        return index

    def by_name(self) -> None:
        q_open = [i for i, taken in enumerate(self.q_taken) if not taken]
        l_open = [j for j, taken in enumerate(self.l_taken) if not taken]
        q_names = self.name_index(self.qk, q_open)
        l_names = self.name_index(self.lk, l_open, among=q_names)
        for q_index, l_index in zip(q_names, l_names, strict=True):
            for name, ls in l_index.items():
                qs = q_index[name]
                if len(qs) == 1 and len(ls) == 1:
                    self.name_pair(qs[0], ls[0])
                else:
                    self.name_group(qs, ls)

    def name_pair(self, i: int, j: int) -> None:
        what = "company name" if self.qk[i].is_company else "name"
        if (i, j) in self.rejected:
            self.not_match(i, j, REJECTED_REASON)
        elif self.qk[i].emails and self.lk[j].emails:
            reason = f"Same {what} {self.names(i, j)} but different emails"
            # Two people can share a name; one business with a billing and an info address is
            # likelier than two businesses of one name (LACRM does not even allow that).
            if self.qk[i].is_company:
                self.review([i], [j], reason)
            else:
                self.not_match(i, j, reason)
        elif self.hold_name_only:
            reason = f"Same {what} {self.names(i, j)}, no email to confirm it (held for review)"
            self.review([i], [j], reason)
        else:
            if not (self.qk[i].emails or self.lk[j].emails):
                note = "no email on either side"
            else:
                note = "no email in " + ("LACRM" if self.qk[i].emails else "QuickBooks")
            self.link(i, j, NAME, f"Same {what} {self.names(i, j)} ({note})")

    def name_group(self, qs: list[int], ls: list[int]) -> None:
        """Several records on a side share a name: review those a pair could still join."""
        q_in: set[int] = set()
        l_in: set[int] = set()
        company = self.qk[qs[0]].is_company
        # Only a person without email can be the same as one of the others (rule 3's reading
        # of differing emails), and never one it was rejected with; any company record can.
        for xs, ys, keys_list, barred_by, mine, theirs in (
            (qs, ls, self.qk, self.rejected_by_q, q_in, l_in),
            (ls, qs, self.lk, self.rejected_by_l, l_in, q_in),
        ):
            everyone = False
            for x in xs:
                if company or not keys_list[x].emails:
                    barred = barred_by.get(x)
                    partners = [y for y in ys if y not in barred] if barred else ys
                    if partners:
                        mine.add(x)
                    if partners is ys:
                        everyone = True  # Added once below: keeps large groups linear.
                    else:
                        theirs.update(partners)
            if everyone:
                theirs.update(ys)
        label = self.q[qs[0]].name
        if not q_in:
            pairs = ((i, j) for i in qs for j in ls)
            for _, (i, j) in zip(range(MAX_NOT_MATCHES_PER_NAME), pairs, strict=False):
                if (i, j) in self.rejected:
                    self.not_match(i, j, REJECTED_REASON)
                else:
                    self.not_match(i, j, f'Same name "{label}" but different emails')
            return
        who = f"{_plural(len(qs), 'q')} and {_plural(len(ls), 'l')}"
        self.review(sorted(q_in), sorted(l_in), f'{who} are named "{label}"')


def plan_matches(
    qbo: Sequence[ContactRecord],
    lacrm: Sequence[ContactRecord],
    *,
    linked_qbo: Set[str] = frozenset(),
    linked_lacrm: Set[str] = frozenset(),
    rejected_pairs: Set[tuple[str, str]] = frozenset(),
    no_email: str = MATCH_BY_NAME,
) -> MatchPlan:
    """Decide, for every record not yet in the ledger, whether to link, review or create it.

    Records whose ids are in ``linked_qbo`` / ``linked_lacrm`` are left out entirely and appear in
    no list; a repeated id counts once. ``rejected_pairs`` are (qbo id, lacrm id) pairs a user
    marked "not a match". See the module docstring for the rules.
    """
    # Planning allocates a few objects per record and creates no reference cycles; with the
    # cyclic collector on, its full passes over every live record cost more than the plan.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # Keyed by id: a repeated id counts once.
        q_open = {r.id: r for r in qbo if r.id not in linked_qbo}
        l_open = {r.id: r for r in lacrm if r.id not in linked_lacrm}
        planner = _Planner([*q_open.values()], [*l_open.values()], rejected_pairs, no_email)
        planner.by_email()
        planner.by_name()
        review_uncertain(planner)
    finally:
        if collecting:
            gc.enable()
    plan = planner.plan
    plan.qbo_only = [r.id for r, t in zip(planner.q, planner.q_taken, strict=True) if not t]
    plan.lacrm_only = [r.id for r, t in zip(planner.l, planner.l_taken, strict=True) if not t]
    counts = (plan.links, plan.reviews, plan.qbo_only, plan.lacrm_only, plan.not_matches)
    logger.info(
        "Match plan: %d links, %d reviews, %d/%d QBO/LACRM-only, %d not-matches", *map(len, counts)
    )
    return plan
