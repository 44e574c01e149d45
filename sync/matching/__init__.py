"""Contact matching: pair QuickBooks customers with Less Annoying CRM contacts.

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
   3b. Company: a person whose company name picks out exactly one open company record on the
   other side (and no person of its name there) is that company record ("company").
4. Review: a close name with the same phone or company, and the like (``sync.matching.review``).
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

from integrations.records import ContactRecord
from sync.matching import review, rules
from sync.matching.state import (
    COMPANY,
    EMAIL,
    EMAIL_NAME,
    HOLD_FOR_REVIEW,
    MATCH_BY_NAME,
    NAME,
    Match,
    MatchPlan,
    MatchState,
    Review,
)

logger = logging.getLogger(__name__)

__all__ = [
    "COMPANY",
    "EMAIL",
    "EMAIL_NAME",
    "HOLD_FOR_REVIEW",
    "MATCH_BY_NAME",
    "NAME",
    "Match",
    "MatchPlan",
    "Review",
    "plan_matches",
]


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
        planner = MatchState(
            _open(qbo, linked_qbo), _open(lacrm, linked_lacrm), rejected_pairs, no_email
        )
        rules.by_email(planner)
        rules.by_name(planner)
        rules.by_company(planner)
        review.review_uncertain(planner)
    finally:
        if collecting:
            gc.enable()
    plan = planner.plan
    plan.qbo_only = [r.id for r, t in zip(planner.qbo, planner.qbo_taken, strict=True) if not t]
    plan.lacrm_only = [
        r.id for r, t in zip(planner.lacrm, planner.lacrm_taken, strict=True) if not t
    ]
    counts = (plan.links, plan.reviews, plan.qbo_only, plan.lacrm_only, plan.not_matches)
    logger.info(
        "Match plan: %d links, %d reviews, %d/%d QBO/LACRM-only, %d not-matches", *map(len, counts)
    )
    return plan


def _open(records: Sequence[ContactRecord], linked: Set[str]) -> list[ContactRecord]:
    """The records not in the ledger, a repeated id counted once. The dict that drops repeats is
    gone before planning starts (at a million records it is 40 MB the keys can reuse)."""
    return [*{r.id: r for r in records if r.id not in linked}.values()]
