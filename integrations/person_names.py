"""Reading a person's name out of one free-text field ("Maria Lopez", "Lopez, Maria", "Dr. Ann
Lee Jr.") when a system keeps nothing else, and telling it from a business name.

QuickBooks customers often carry only a DisplayName. Read as a company, "Maria Lopez" never
matches the LACRM person Maria Lopez and gets no invoice note; read as a person, "Blue Ridge
Plumbing" would. So a name counts as a person's only when it looks like one: two to four words
of letters (apostrophes, hyphens and initials allowed), at most one title and one suffix, no
digits or symbols, and no word that names a business. Anything else stays a company: a held
review is better than a wrong person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TITLES = frozenset("mr mrs ms miss mx dr prof rev hon sir dame".split())
SUFFIXES = frozenset("jr sr ii iii iv v phd md dds dmd esq cpa jd mba rn".split())
# Family-name particles that belong to the last name ("Ludwig van Beethoven").
PARTICLES = frozenset("van von de der den da das do dos del della di du la le st bin ibn".split())
# Words that make a name a business's, not a person's.
BUSINESS_WORDS = frozenset(
    (
        "inc incorporated llc llp lp pllc ltd limited co corp corporation company companies "
        "gmbh ag plc pty pc sa bv nv the and of for "
        "services service plumbing electric electrical construction contracting consulting "
        "consultants group shop store stores studio studios design designs solutions systems "
        "partners associates bakery cafe coffee restaurant grill bar salon spa clinic dental "
        "medical health law legal farm farms ranch motors auto automotive repair repairs supply "
        "supplies trading holdings enterprises industries international global media marketing "
        "logistics freight foods food realty properties property church school academy "
        "university college foundation trust club center centre agency bank hotel inn market "
        "works labs lab tech technologies software capital ventures insurance landscaping "
        "cleaning painting roofing homes builders transport trucking medical pharmacy books "
        "accounting bookkeeping office offices garage gallery productions press printing "
        "fitness gym wellness care home kitchen catering events rentals imports exports"
    ).split()
)
_WORD = re.compile(r"^[^\W\d_]+(?:['’\-.][^\W\d_]*)*\.?$")


@dataclass(frozen=True)
class PersonName:
    title: str = ""
    first: str = ""
    middle: str = ""
    last: str = ""
    suffix: str = ""


def _bare(word: str) -> str:
    return word.strip(".").casefold()


def parse_person_name(text: str) -> PersonName | None:
    """The parts of ``text`` if it reads as one person's name, else None."""
    text = " ".join((text or "").split())
    if not text or any(ch.isdigit() for ch in text) or re.search(r"[&@/()+#:;!?\"]", text):
        return None
    split = _comma_parts(text)
    if split is None:
        return None
    words, comma_last, suffix = split
    title = words.pop(0) if words and _bare(words[0]) in TITLES else ""
    if not suffix and len(words) > 2 and _bare(words[-1]) in SUFFIXES:
        suffix = words.pop()
    if not 2 <= len(words) <= 4 or not all(_WORD.match(w) for w in words):
        return None
    if any(_bare(w) in BUSINESS_WORDS for w in words):
        return None
    given, last_words = _given_and_last(words, comma_last)
    if not given or not last_words:
        return None
    return PersonName(
        title=title,
        first=given[0],
        middle=" ".join(given[1:]),
        last=" ".join(last_words),
        suffix=suffix,
    )


def _comma_parts(text: str) -> tuple[list[str], int, str] | None:
    """The words in reading order, how many of them came before a comma (the last name of
    "Lopez, Maria"), and a suffix after a final comma ("Ann Lee, PhD")."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 3 or not all(parts):
        return None
    suffix = ""
    if len(parts) > 1 and all(_bare(w) in SUFFIXES for w in parts[-1].split()):
        suffix = parts.pop()
    if len(parts) == 2:  # "Lopez, Maria" → Maria Lopez
        return parts[1].split() + parts[0].split(), len(parts[0].split()), suffix
    if len(parts) == 1:
        return parts[0].split(), 0, suffix
    return None


def _given_and_last(words: list[str], comma_last: int) -> tuple[list[str], list[str]]:
    if comma_last:
        return words[:-comma_last], words[-comma_last:]
    split = len(words) - 1
    while split > 1 and _bare(words[split - 1]) in PARTICLES:
        split -= 1
    return words[:split], words[split:]
