"""Labelled synthetic contact lists: hard matching cases, each record pair with its ground truth.

``build_labelled(n_qbo, n_lacrm, seed)`` returns QuickBooks customers and LACRM contacts, read
from wire JSON through the providers' own mappings (``customer_to_record``,
``contact_to_record``: a DisplayName-only customer goes through the DisplayName parsing), and
the truth: which (QBO id, LACRM id) pairs are one real person or business, and the *variant*
(scenario) each record was made for. Every entity is on each side at most once, so a true pair
is an entity present on both sides.

Scenarios are drawn by weight (``MIX``) until a side is full, then both sides are topped up
with plain unmatched records. Names, emails and phones are unique per entity except where a
scenario shares them on purpose (a household's phone and surname, a couple's or an office's
email, namesakes' name), so no truth is an accident of the random draw. Deterministic for a
seed. What issue 12 expects of each variant's true pairs is in ``VARIANTS``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from integrations.lacrm.mapping import contact_to_record
from integrations.quickbooks.reading import customer_to_record
from integrations.records import ContactRecord
from integrations.sandbox.demo_data.builders import qbo as qbo_wire
from integrations.sandbox.demo_data.builders import qco
from tests.bench.labelled_parts import (
    ACCENTS,
    APOSTROPHE_LAST,
    FIRST,
    LEGAL,
    NICKNAMES,
    Maker,
    Person,
    emails_apart,
    lacrm_wire,
    one_edit,
    plainly_different,
)

SEED = 20240612

# Variant -> what should become of its true pairs: "link"; "review" (held with a reason, or
# linked); "link or review"; "none" (no true pairs: none of its records may be linked);
# "label" (a true pair whose handling is decided elsewhere: inactive customers).
VARIANTS: dict[str, str] = {
    "plain": "link",
    "plain company": "link",
    "unmatched": "none",
    "company record": "link",
    "DisplayName only": "link",
    "household": "link",  # A member on both sides links; the others are nobody's pair.
    "shared email, pairs": "link",
    "shared email, not pairs": "none",
    "typo, same email": "link",
    "typo, same phone": "review",
    "nickname, same email": "link",
    "nickname, same phone": "review",
    "Last, First": "link",
    "case/accents/punctuation": "link",
    "legal suffix": "link or review",
    "inactive": "label",
    "same name+phone, two emails": "review",
    "surname changed, same email": "link or review",
    "namesakes": "none",
}
# The variants the issue says must be linked or reviewed, never created on both sides.
MUST_LINK_OR_REVIEW = (
    "company record",
    "DisplayName only",
    "typo, same email",
    "nickname, same phone",
)


@dataclass
class LabelledSet:
    """Both sides' records and the ground truth."""

    qbo: list[ContactRecord]
    lacrm: list[ContactRecord]
    # (QBO id, LACRM id) of every pair that is one entity.
    truth: set[tuple[str, str]]
    # Each record's variant, by id (QBO ids are short, LACRM ids 31 digits: they never collide).
    variant: dict[str, str]
    seed: int = SEED


# -- scenarios: each adds one to three records per side ------------------------------------------


def plain(m: Maker) -> None:
    e, p = m.entity(), m.person()
    m.q_person("plain", e, p, phone=m.phone_text(p.phone))
    email = p.email.upper() if m.rng.random() < 0.1 else p.email
    m.l_person("plain", e, p, email=email, phone=m.phone_text(p.phone))


def plain_company(m: Maker) -> None:
    e, name, email, phone = m.entity(), m.company(), m.email("billing"), m.phone()
    q_email, l_email = (email, email) if m.rng.random() < 0.8 else emails_apart(m.rng, email, "")
    m.to_qbo("plain company", e, qco(name, q_email, m.phone_text(phone)))
    record = lacrm_wire(company=name, email=l_email, phone=m.phone_text(phone), is_company=True)
    m.to_lacrm("plain company", e, record)


def unmatched(m: Maker, side: str = "") -> None:
    """A person (or a company) in one system only."""
    side = side or m.rng.choice(("qbo", "lacrm"))
    e = m.entity()
    if m.rng.random() < 0.15:
        name, email, phone = m.company(), m.email("office"), m.phone()
        if side == "qbo":
            m.to_qbo("unmatched", e, qco(name, email, phone))
        else:
            m.to_lacrm("unmatched", e, lacrm_wire(company=name, email=email, is_company=True))
    elif side == "qbo":
        m.q_person("unmatched", e, m.person())
    else:
        m.l_person("unmatched", e, m.person())


def _with_legal(name: str, legal: str) -> str:
    return f"{name}{legal}" if legal.startswith(",") else f"{name} {legal}"


def company_record(m: Maker) -> None:
    """A person at a company on one side, that company's record (and nobody else) on the other:
    QBO "Ann Lee" with CompanyName "Acme Inc" is the LACRM company record "ACME"."""
    v, rng = "company record", m.rng
    e, p, name = m.entity(), m.person(employed=0), m.company()
    written = _with_legal(name, rng.choice(LEGAL))
    email = rng.choice([m.email("info"), "", p.email])
    phone = rng.choice([p.phone, m.phone()])
    if rng.random() < 0.7:
        m.q_person(v, e, p, company=written)
        record = lacrm_wire(company=name.upper(), email=email, phone=phone, is_company=True)
        m.to_lacrm(v, e, record)
    else:
        m.l_person(v, e, p, company=written)
        m.to_qbo(v, e, qco(name.upper(), email, phone))


def display_only(m: Maker) -> None:
    """A QBO customer with nothing but a DisplayName ("Maria Lopez", "Lopez, Maria")."""
    v, rng = "DisplayName only", m.rng
    e, p = m.entity(), m.person(employed=0)
    first, last = p.first, p.last
    display = rng.choice(
        [f"{first} {last}", f"{first} {last}", f"{last}, {first}", f"Dr. {first} {last}"]
    )
    q_email, l_email = rng.choice([(p.email, p.email), (p.email, ""), ("", p.email)])
    m.to_qbo(v, e, qbo_wire(display=display, email=q_email, phone=m.phone_text(p.phone)))
    m.l_person(v, e, p, email=l_email)


def _family(m: Maker, size: int) -> list[str]:
    """``size`` plainly different first names, each unique with one fresh surname (last)."""
    while True:
        last, firsts = m.surname(), []
        for _ in range(50):
            first = m.rng.choice(FIRST)
            if all(plainly_different(first, f) for f in firsts) and m.claim(first, last):
                firsts.append(first)
                if len(firsts) == size:
                    return [*firsts, last]


def household(m: Maker) -> None:
    """People sharing a phone and a surname, different first names and emails: a member in
    QBO only and one in LACRM only are not a pair; a third, on both sides, is one."""
    v = "household"
    *firsts, last = _family(m, 3)
    phone = m.phone()
    members = [Person(f, last, m.email(f"{f}.{last}"), phone) for f in firsts]
    m.q_person(v, m.entity(), members[0], phone=m.phone_text(phone))
    m.l_person(v, m.entity(), members[1], phone=m.phone_text(phone))
    if m.rng.random() < 0.5:
        e = m.entity()
        m.q_person(v, e, members[2], phone=m.phone_text(phone))
        m.l_person(v, e, members[2], phone=m.phone_text(phone))


def _sharers(m: Maker, count: int) -> list[Person]:
    """People sharing one email: a couple (one surname, one phone) or an office's colleagues."""
    if m.rng.random() < 0.5:
        *firsts, last = _family(m, count)
        email, phone = m.email(f"{last}.family"), m.phone()
        return [Person(f, last, email, phone) for f in firsts]
    email = m.email("office")
    colleagues = [m.person(employed=0) for _ in range(count)]
    return [Person(p.first, p.last, email, p.phone) for p in colleagues]


def shared_email_pairs(m: Maker) -> None:
    """Two people with one email in QBO; both, or one of them, in LACRM with that email."""
    v = "shared email, pairs"
    a, b = _sharers(m, 2)
    ea, eb = m.entity(), m.entity()
    m.q_person(v, ea, a)
    m.q_person(v, eb, b)
    m.l_person(v, ea, a)
    if m.rng.random() < 0.6:
        m.l_person(v, eb, b)


def shared_email_not_pairs(m: Maker) -> None:
    """One email, different people on the two sides: one in QBO and another in LACRM, or two
    in QBO and a third in LACRM. Nobody here is anybody's pair."""
    v = "shared email, not pairs"
    people = _sharers(m, 3)
    m.q_person(v, m.entity(), people[0])
    if m.rng.random() < 0.5:
        m.q_person(v, m.entity(), people[2])
    m.l_person(v, m.entity(), people[1])


def _slipped(m: Maker, p: Person) -> tuple[str, str]:
    """``p``'s name with one typing slip in the first or last name, claimed as unique."""
    while True:
        if m.rng.random() < 0.5:
            first, last = one_edit(m.rng, p.first), p.last
        else:
            first, last = p.first, one_edit(m.rng, p.last)
        if m.claim(first, last):
            return first, last


def _on_one_side(m: Maker, v: str, e: int, p: Person, emails: tuple[str, str], **changed) -> None:
    """``p`` on both sides, ``changed`` (a name written differently) on a random one."""
    q_changes, l_changes = ({}, changed) if m.rng.random() < 0.5 else (changed, {})
    m.q_person(v, e, p, email=emails[0], **q_changes)
    m.l_person(v, e, p, email=emails[1], **l_changes)


def typo_same_email(m: Maker) -> None:
    e, p = m.entity(), m.person()
    first, last = _slipped(m, p)
    _on_one_side(m, "typo, same email", e, p, (p.email, p.email), first=first, last=last)


def typo_same_phone(m: Maker) -> None:
    e, p = m.entity(), m.person()
    first, last = _slipped(m, p)
    emails = emails_apart(m.rng, p.email, m.email("home"))
    _on_one_side(m, "typo, same phone", e, p, emails, first=first, last=last)


def _nicknamed(m: Maker) -> tuple[Person, str]:
    formal, nickname = m.rng.choice(NICKNAMES)
    while True:
        p = m.person(first=formal)
        if m.claim(nickname, p.last):
            return p, nickname


def nickname_same_email(m: Maker) -> None:
    e, (p, nickname) = m.entity(), _nicknamed(m)
    _on_one_side(m, "nickname, same email", e, p, (p.email, p.email), first=nickname)


def nickname_same_phone(m: Maker) -> None:
    e, (p, nickname) = m.entity(), _nicknamed(m)
    emails = emails_apart(m.rng, p.email, m.email("home"))
    _on_one_side(m, "nickname, same phone", e, p, emails, first=nickname)


def last_first(m: Maker) -> None:
    """The LACRM name typed as "Lopez, Maria" into one field; the QBO DisplayName reads so too."""
    v, rng = "Last, First", m.rng
    e, p = m.entity(), m.person()
    q_email, l_email = rng.choice([(p.email, ""), ("", p.email), (p.email, p.email)])
    m.q_person(v, e, p, email=q_email, display=f"{p.last}, {p.first}")
    field = rng.choice(("first", "last"))
    typed = {"first": "", "last": "", field: f"{p.last}, {p.first}"}
    m.l_person(v, e, p, email=l_email, **typed)


def _accented(m: Maker, word: str) -> str:
    spots = [i for i, c in enumerate(word) if c in ACCENTS]
    if not spots:
        return word.upper()
    i = m.rng.choice(spots)
    return word[:i] + ACCENTS[word[i]] + word[i + 1 :]


def case_accents_punctuation(m: Maker) -> None:
    """The same name in capitals, with an accent, an apostrophe, a middle initial or "Jr."."""
    v, rng = "case/accents/punctuation", m.rng
    kind = rng.choice(("capitals", "accent", "apostrophe", "initial", "suffix"))
    e = m.entity()
    p = m.person(last=rng.choice(APOSTROPHE_LAST)) if kind == "apostrophe" else m.person()
    changed = {
        "capitals": {"first": p.first.upper(), "last": p.last.upper()},
        "accent": {"first": _accented(m, p.first)},
        "apostrophe": {"last": rng.choice((p.last.replace("'", ""), p.last.replace("'", "’")))},
        "initial": {"first": f"{p.first} {rng.choice('ABCDEJKLMRST')}."},
        "suffix": {"last": f"{p.last} Jr."},
    }[kind]
    emails = rng.choice([(p.email, ""), ("", p.email), (p.email, p.email)])
    _on_one_side(m, v, e, p, emails, **changed)


def legal_suffix(m: Maker) -> None:
    """One business written with different legal forms, "The", "&" / "and"."""
    v, rng = "legal suffix", m.rng
    e, name, email, phone = m.entity(), m.company(), m.email("accounts"), m.phone()
    q_name = _with_legal(name, rng.choice(LEGAL))
    l_name = _with_legal(name.replace("&", "and"), rng.choice(LEGAL))
    if rng.random() < 0.3:
        l_name = f"The {l_name}"
    q_email, l_email = rng.choice(
        [(email, ""), ("", email), (email, m.email("info")), (email, email)]
    )
    m.to_qbo(v, e, qco(q_name, q_email, phone))
    m.to_lacrm(v, e, lacrm_wire(company=l_name, email=l_email, phone=phone, is_company=True))


def inactive(m: Maker) -> None:
    e, p = m.entity(), m.person()
    q_email, l_email = (p.email, p.email) if m.rng.random() < 0.7 else (p.email, "")
    m.q_person("inactive", e, p, email=q_email, active=False)
    m.l_person("inactive", e, p, email=l_email)


def two_emails(m: Maker) -> None:
    """One person, same name and phone, a work email on one side and a home one on the other."""
    e, p = m.entity(), m.person()
    _on_one_side(m, "same name+phone, two emails", e, p, (p.email, m.email("home")))


def surname_changed(m: Maker) -> None:
    """One person whose surname changed (a marriage) in one system only; the email stayed."""
    e, p = m.entity(), m.person()
    _, last = m.name(p.first)
    _on_one_side(m, "surname changed, same email", e, p, (p.email, p.email), last=last)


def namesakes(m: Maker) -> None:
    """Two different people of one name, each with an email and a phone of their own."""
    a = m.person()
    b = Person(a.first, a.last, m.email(f"{a.first}.{a.last}"), m.phone())
    m.q_person("namesakes", m.entity(), a)
    m.l_person("namesakes", m.entity(), b)


# Relative weights of the scenarios: about half of each side's records have a pair, most of
# them plain; every hard variant is a few percent, as in real books.
MIX: list[tuple[Callable[[Maker], None], float]] = [
    (plain, 30),
    (plain_company, 5),
    (unmatched, 80),
    (company_record, 3),
    (display_only, 4),
    (household, 2),
    (shared_email_pairs, 1.5),
    (shared_email_not_pairs, 1),
    (typo_same_email, 1),
    (typo_same_phone, 1),
    (nickname_same_email, 1),
    (nickname_same_phone, 1),
    (last_first, 1.5),
    (case_accents_punctuation, 2.5),
    (legal_suffix, 1.5),
    (inactive, 1.5),
    (two_emails, 0.5),
    (surname_changed, 0.5),
    (namesakes, 0.5),
]


def build_labelled(n_qbo: int, n_lacrm: int, seed: int = SEED) -> LabelledSet:
    """``n_qbo`` QBO customers and ``n_lacrm`` LACRM contacts of the ``MIX``, with the truth."""
    rng = random.Random(seed)
    maker = Maker(rng)
    scenarios, weights = [s for s, _ in MIX], [w for _, w in MIX]
    # A scenario adds at most three records per side: stop before either side could overflow.
    while len(maker.qbo) < n_qbo - 3 and len(maker.lacrm) < n_lacrm - 3:
        rng.choices(scenarios, weights)[0](maker)
    while len(maker.qbo) < n_qbo:
        unmatched(maker, side="qbo")
    while len(maker.lacrm) < n_lacrm:
        unmatched(maker, side="lacrm")
    return _records(maker, seed)


def _records(maker: Maker, seed: int) -> LabelledSet:
    """Shuffle both sides, give out ids and read the wire JSON through the mappings."""
    maker.rng.shuffle(maker.qbo)
    maker.rng.shuffle(maker.lacrm)
    variant: dict[str, str] = {}
    qbo_id_of: dict[int, str] = {}
    qbo: list[ContactRecord] = []
    for k, (wire, kind, entity) in enumerate(maker.qbo):
        record = customer_to_record({**wire, "Id": str(k + 1)})
        qbo.append(record)
        variant[record.id] = kind
        qbo_id_of[entity] = record.id
    truth: set[tuple[str, str]] = set()
    lacrm: list[ContactRecord] = []
    for k, (wire, kind, entity) in enumerate(maker.lacrm):
        record = contact_to_record({**wire, "ContactId": f"31{k:029d}"})
        lacrm.append(record)
        variant[record.id] = kind
        if entity in qbo_id_of:
            truth.add((qbo_id_of[entity], record.id))
    return LabelledSet(qbo, lacrm, truth, variant, seed)
