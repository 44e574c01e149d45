"""Rules 1 to 3 of contact matching: email, shared email, name (see ``sync.matching``)."""

from __future__ import annotations

from sync.matching.index import (
    UnionFind,
    add_holder,
    add_to_index,
    holders,
    name_index,
    overlaps,
    shared_keys,
)
from sync.matching.normalize import different_first_names
from sync.matching.state import (
    COMPANY,
    EMAIL,
    EMAIL_NAME,
    NAME,
    REJECTED_REASON,
    MatchState,
    plural,
)

# At most this many "not a match" pairs are listed per name (the list is informational).
MAX_NOT_MATCHES_PER_NAME = 20


def by_email(state: MatchState) -> None:
    q_index: dict[str, int | list[int]] = {}
    for i, keys in enumerate(state.qbo_keys):
        for email in keys.emails:
            add_holder(q_index, email, i)
    l_index: dict[str, int | list[int]] = {}
    for j, keys in enumerate(state.lacrm_keys):
        for email in keys.emails:
            if email in q_index:
                add_holder(l_index, email, j)
    groups = UnionFind()
    n, qk, lk = state.n, state.qbo_keys, state.lacrm_keys
    tangled: list[str] = []
    for email in l_index:
        qs, ls = holders(q_index, email), holders(l_index, email)
        if len(qs) == 1 == len(ls) and len(qk[qs[0]].emails) == 1 == len(lk[ls[0]].emails):
            # By far the most common case: one record each, with no other email that could
            # tie them to more records. No grouping needed.
            email_group(state, qs, ls, email)
            continue
        tangled.append(email)
        for i in qs[1:]:
            groups.union(qs[0], i)
        for j in ls:
            groups.union(qs[0], n + j)
    # The most widely shared email names the group in review reasons.
    label: dict[int, str] = {}
    for email in tangled:
        root = groups.find(holders(q_index, email)[0])
        held = len(holders(q_index, email)) + len(holders(l_index, email))
        best = label.get(root)
        if best is None or held > len(holders(q_index, best)) + len(holders(l_index, best)):
            label[root] = email
    for members in groups.groups():
        qs = sorted(x for x in members if x < n)
        ls = sorted(x - n for x in members if x >= n)
        email_group(state, qs, ls, label[groups.find(members[0])])


def email_group(state: MatchState, qs: list[int], ls: list[int], email: str) -> None:
    if len(qs) == 1 and len(ls) == 1:
        email_pair(state, qs[0], ls[0], email)
        return
    q_names = name_index(state.qbo_keys, qs)
    l_names = name_index(state.lacrm_keys, ls, among=q_names)
    for q_index, l_index in zip(q_names, l_names, strict=True):
        for name, l_same in l_index.items():
            q_same = q_index[name]
            if len(q_same) == 1 and len(l_same) == 1:
                i, j = q_same[0], l_same[0]
                if (i, j) not in state.rejected and overlaps(
                    state.qbo_keys[i].emails, state.lacrm_keys[j].emails
                ):
                    reason = f'Same name {state.names(i, j)} among the records sharing "{email}"'
                    state.link(i, j, EMAIL_NAME, reason)
    left_q = [i for i in qs if not state.qbo_taken[i]]
    left_l = [j for j in ls if not state.lacrm_taken[j]]
    # With no leftovers on one side, those of the other are not that email's owner; nor is a
    # record rejected with every candidate left (``review`` leaves it out). They carry on.
    who = [plural(len(xs), side) for xs, side in ((qs, "q"), (ls, "l")) if len(xs) > 1]
    picked = len(left_q) + len(left_l) < len(qs) + len(ls)
    why = "; those left have different names" if picked else " and no name picks one pair"
    state.review(left_q, left_l, f'{" and ".join(who)} share "{email}"{why}')


def by_name(state: MatchState) -> None:
    q_open = [i for i, taken in enumerate(state.qbo_taken) if not taken]
    l_open = [j for j, taken in enumerate(state.lacrm_taken) if not taken]
    q_names = name_index(state.qbo_keys, q_open)
    l_names = name_index(state.lacrm_keys, l_open, among=q_names)
    for q_index, l_index in zip(q_names, l_names, strict=True):
        for name, ls in l_index.items():
            qs = q_index[name]
            if len(qs) == 1 and len(ls) == 1:
                name_pair(state, qs[0], ls[0])
            else:
                name_group(state, qs, ls)


def name_pair(state: MatchState, i: int, j: int) -> None:
    what = "company name" if state.qbo_keys[i].is_company else "name"
    if (i, j) in state.rejected:
        state.not_match(i, j, REJECTED_REASON)
    elif state.qbo_keys[i].emails and state.lacrm_keys[j].emails:
        reason = f"Same {what} {state.names(i, j)} but different emails"
        # Two people can share a name; one business with a billing and an info address is
        # likelier than two businesses of one name (LACRM does not even allow that), and so is
        # one person with a work and a home address on the same phone.
        if overlaps(state.qbo_keys[i].phones, state.lacrm_keys[j].phones):
            state.review([i], [j], reason + " (same phone)")
        elif state.qbo_keys[i].is_company:
            state.review([i], [j], reason)
        else:
            state.not_match(i, j, reason)
    elif state.hold_name_only:
        reason = f"Same {what} {state.names(i, j)}, no email to confirm it (held for review)"
        state.review([i], [j], reason)
    else:
        if not (state.qbo_keys[i].emails or state.lacrm_keys[j].emails):
            note = "no email on either side"
        else:
            note = "no email in " + ("LACRM" if state.qbo_keys[i].emails else "QuickBooks")
        state.link(i, j, NAME, f"Same {what} {state.names(i, j)} ({note})")


def name_group(state: MatchState, qs: list[int], ls: list[int]) -> None:
    """Several records on a side share a name: review those a pair could still join."""
    q_in: set[int] = set()
    l_in: set[int] = set()
    company = state.qbo_keys[qs[0]].is_company
    # Only a person without email can be the same as one of the others (rule 3's reading
    # of differing emails), and never one it was rejected with; any company record can.
    for xs, ys, keys_list, barred_by, mine, theirs in (
        (qs, ls, state.qbo_keys, state.rejected_by_q, q_in, l_in),
        (ls, qs, state.lacrm_keys, state.rejected_by_l, l_in, q_in),
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
    label = state.qbo[qs[0]].name
    if not q_in:
        pairs = ((i, j) for i in qs for j in ls)
        for _, (i, j) in zip(range(MAX_NOT_MATCHES_PER_NAME), pairs, strict=False):
            if (i, j) in state.rejected:
                state.not_match(i, j, REJECTED_REASON)
            else:
                state.not_match(i, j, f'Same name "{label}" but different emails')
        return
    who = f"{plural(len(qs), 'q')} and {plural(len(ls), 'l')}"
    state.review(sorted(q_in), sorted(l_in), f'{who} are named "{label}"')


# -- rule 3b: a person at a company that is the other side's company record ------------------


def by_company(state: MatchState) -> None:
    """A record with a company name is the other side's *company record* of that name when the
    name picks out exactly one open company record there and exactly one open record here, and
    no open person there carries this record's person name (that person would be the better
    counterpart; rule 4 then reviews the pair). LACRM keeps a business as a company record, so
    creating the customer's contact person under it would leave the company without its notes.
    Both directions are looked at, so the decision does not depend on which side is which.
    """
    for flip in (False, True):
        _company_pairs(state, flip)


def _company_pairs(state: MatchState, flip: bool) -> None:
    mine, mine_taken = (
        (state.lacrm_keys, state.lacrm_taken)
        if flip
        else (
            state.qbo_keys,
            state.qbo_taken,
        )
    )
    theirs, theirs_taken = (
        (state.qbo_keys, state.qbo_taken)
        if flip
        else (
            state.lacrm_keys,
            state.lacrm_taken,
        )
    )
    person_names = {k.person_name for y, k in enumerate(theirs) if not theirs_taken[y]}
    companies = _open_index(theirs, theirs_taken, company_records=True)
    holders = _open_index(mine, mine_taken, company_records=False, among=companies)
    for company, xs in holders.items():
        ys = companies[company]
        if len(xs) != 1 or len(ys) != 1 or mine[xs[0]].person_name in person_names:
            continue
        i, j = (ys[0], xs[0]) if flip else (xs[0], ys[0])
        _company_pair(state, i, j, "QuickBooks" if flip else "LACRM", flip)


def _open_index(keys_list, taken, *, company_records: bool, among=None) -> dict[str, list[int]]:
    """Open records by company name: company records, or people at a company (in ``among``)."""
    index: dict[str, list[int]] = {}
    for x, keys in enumerate(keys_list):
        if keys.is_company != company_records or not keys.company_name or taken[x]:
            continue
        if among is None or keys.company_name in among:
            add_to_index(index, keys.company_name, x)
    return index


def _company_pair(state: MatchState, i: int, j: int, side: str, flip: bool) -> None:
    if (i, j) in state.rejected:
        state.not_match(i, j, REJECTED_REASON)
        return
    record = state.qbo[i] if flip else state.lacrm[j]
    reason = f'Same company "{record.name}": the {side} company record of this contact'
    if state.hold_name_only and not (state.qbo_keys[i].emails and state.lacrm_keys[j].emails):
        state.review([i], [j], reason + " (no email to confirm it; held for review)")
    else:
        state.link(i, j, COMPANY, reason)


def email_pair(state: MatchState, i: int, j: int, email: str) -> None:
    """One record on each side holds the email: the same entity, unless rejected or the names
    are of two people (a couple or an office sharing one inbox)."""
    if (i, j) in state.rejected:
        state.not_match(i, j, REJECTED_REASON)
        return
    common = (
        email
        if email in state.lacrm_keys[j].emails
        else shared_keys(state.qbo_keys[i].emails, state.lacrm_keys[j].emails)[0]
    )
    if state.same_name(i, j):
        state.link(i, j, EMAIL_NAME, f'Same email "{common}" and name {state.names(i, j)}')
    elif _two_first_names(state, i, j):
        reason = f'Same email "{common}" but the names {state.names(i, j)} differ'
        if not state.review([i], [j], reason):
            state.not_match(i, j, reason)
    else:
        state.link(i, j, EMAIL, f'Same email "{common}"')


def _two_first_names(state: MatchState, i: int, j: int) -> bool:
    """Two people by their names: both persons, first names that are surely different."""
    a, b = state.qbo_keys[i], state.lacrm_keys[j]
    if a.is_company or b.is_company or not (a.person_name and b.person_name):
        return False
    return different_first_names(a.person_name.split(" ", 1)[0], b.person_name.split(" ", 1)[0])
