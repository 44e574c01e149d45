"""Normalisation of emails, names, companies and phones into the keys matching compares.

Everything here is pure and cheap: precompiled regexes, ``str.translate`` tables and an ASCII
fast path, with ``lru_cache`` on the name parts that repeat a lot (first names, last names,
companies). Emails and phones are mostly unique, so they are not cached.

Choices worth knowing:

* Names are NFKC-normalised, case-folded and stripped of accents; apostrophes and full stops are
  deleted ("O'Brien" -> "obrien", "A.J." -> "aj"); any other punctuation separates words.
* "Last, First" is read as "First Last". A comma part that is only a generational or
  professional suffix ("Smith, Jr.") is dropped instead of swapped.
* Leading honorifics (Mr, Dr, ...) and trailing suffixes (Jr, PhD, ...) are dropped, but never
  the last remaining word.
* ``normalize_name`` keeps every word. The *matching key* (``normalize_person_name``) leaves out
  the middle-name field and single-letter middle initials, because one system often has them and
  the other does not; a multi-letter middle word inside free text is kept, since "Mary Ann" may
  be a first name. Near misses that this causes are caught as review items by the matcher.
* Companies drop a leading "The" and trailing legal forms (Inc, LLC, Ltd, Co, Corp, GmbH, ...),
  read "&" as "and", and never swap around a comma: "Acme Inc" and "ACME, LLC" are the same
  company, on purpose, because the legal form is the part people write inconsistently.
* ``close_names`` says when two normalised names are near misses (for review, never a link).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from integrations.records import ContactRecord
from sync.matching.nicknames import ROOTS as _ROOTS

logger = logging.getLogger(__name__)

# Deleted outright so that "O'Brien" and "OBrien", "A.J." and "AJ" agree.
_DELETE = dict.fromkeys(map(ord, "'’‘`´ʼʹ′."), None)
# Letters that NFKD does not decompose but people commonly type without the mark.
_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ı": "i", "ħ": "h"})
_LETTERS.update({ord("æ"): "ae", ord("œ"): "oe", ord("þ"): "th"})
_NON_WORD = re.compile(r"[\W_]+")

_HONORIFICS = frozenset(
    "mr mrs ms miss mx dr prof sir dame madam mme mlle herr frau rev hon".split()
)
_NAME_SUFFIXES = frozenset("jr sr ii iii iv phd md dds dmd esq cpa cfa jd mba rn ret".split())
_LEGAL_SUFFIXES = frozenset(
    (
        "inc incorporated llc llp lllp lp pllc ltd limited co corp corporation company "
        "gmbh ag plc pty pc sa sarl srl bv nv kg ltda"
    ).split()
)

_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\.]+(?:\.[^@\s<>()\[\],;:\"\\.]+)+")
_EMAIL_SPLIT = re.compile(r"[,;\s]+")
_EXTENSION = re.compile(r"(?:ext\.?|extension|x|#)\s*\d+\s*$", re.IGNORECASE)
# Most numbers hold nothing but digits and separators; only others can carry an extension.
_NOT_PLAIN_PHONE = re.compile(r"[^0-9()+\-. /]")
_NOT_DIGIT = re.compile(r"[^0-9]+")
MIN_PHONE_DIGITS = 7


@dataclass(frozen=True, slots=True)
class RecordKeys:
    """The normalised keys of one record, as the matcher uses them.

    ``person_name`` is ``""`` for a company record; ``company_name`` is the company record's own
    name, or a person's employer. ``phones`` are digits only, the last ten, at least seven long;
    fax numbers are left out (they are shared office lines, not a person's).

    Four slots: a pass over a million records a side holds two million of these. ``is_company``
    and ``name_key`` are derived, and a single phone (the common case) is held as its digits
    rather than in a one-element tuple (48 bytes each); ``phones`` gives the tuple.
    """

    # Sorted, without repeats: tuples, not frozensets. Nearly every record has zero or one of
    # each, and at a million records a side a one-element frozenset (216 bytes) against a tuple
    # (48 bytes; the empty tuple is shared) is most of the keys' memory. ``index.overlaps``
    # and ``index.shared_keys`` do what ``&`` did.
    # One email or phone (the common case) as the bare string, else a sorted tuple: read them
    # through ``emails`` and ``phones``. A normal email is the record's own string, not a copy.
    email_keys: str | tuple[str, ...]
    person_name: str
    company_name: str
    phone_keys: str | tuple[str, ...]

    @property
    def emails(self) -> tuple[str, ...]:
        held = self.email_keys
        return (held,) if type(held) is str else held

    @property
    def phones(self) -> tuple[str, ...]:
        held = self.phone_keys
        return (held,) if type(held) is str else held

    @property
    def is_company(self) -> bool:
        return not self.person_name

    @property
    def name_key(self) -> str:
        """What the name rule compares: the company name for a company, else the person name."""
        return self.person_name or self.company_name


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.translate(_LETTERS)


@lru_cache(maxsize=65536)
def _fold_unicode(text: str) -> str:
    # NFKC, case folding and NFKD do not commute for a few characters; repeat to a fixed point
    # so that normalising a normalised value never changes it again.
    for _ in range(4):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


def fold(text: str) -> str:
    """Case-fold ``text``, remove accents and delete apostrophes and full stops."""
    text = text.lower() if text.isascii() else _fold_unicode(text)
    return text.translate(_DELETE)


def _words(text: str) -> list[str]:
    return _NON_WORD.sub(" ", text).split()


def _trim(words: list[str], leading: frozenset[str], trailing: frozenset[str]) -> list[str]:
    """Drop leading and trailing filler words, always keeping at least one word."""
    start = 0
    while len(words) - start > 1 and words[start] in leading:
        start += 1
    end = len(words)
    while end - start > 1 and words[end - 1] in trailing:
        end -= 1
    return words[start:end]


def _name_words(text: str) -> list[str]:
    """The words of a free-text person name, "Last, First" read as "First Last"."""
    folded = fold(text)
    if "," in folded:
        parts = [_words(p) for p in folded.split(",")]
        # "Smith, Jr." and "John Smith, PhD" carry a suffix after the comma, not a first name.
        head, rest = parts[0], [p for p in parts[1:] if p and not _NAME_SUFFIXES.issuperset(p)]
        if len(rest) == 1 and head:
            words = rest[0] + head
        else:
            words = [w for p in [head, *rest] for w in p]
    else:
        words = _words(folded)
    return _trim(words, _HONORIFICS, _NAME_SUFFIXES)


@lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """Normalise a free-text person name: "Brown, Nick" and "nick  BROWN" give "nick brown"."""
    return " ".join(_name_words(text))


def _without_initials(words: list[str]) -> str:
    if len(words) > 2:
        words = [words[0], *(w for w in words[1:-1] if len(w) > 1), words[-1]]
    return " ".join(words)


@lru_cache(maxsize=131072)
def _name_part(text: str) -> tuple[str, ...]:
    return tuple(_name_words(text))


def normalize_person_name(first: str = "", middle: str = "", last: str = "") -> str:
    """The matching key of a person's name: first and last name, middle name left out.

    With both ``first`` and ``last`` given each is normalised on its own; with only one, it is
    read as a whole name (it may be "Brown, Nick"). ``middle`` is accepted for symmetry with the
    records and deliberately ignored (see the module docstring).
    """
    if first.isalpha() and last.isalpha() and first.isascii() and last.isascii():
        # The common case, two plain ASCII words, without the general machinery.
        first, last = first.lower(), last.lower()
        if first not in _HONORIFICS and last not in _NAME_SUFFIXES:
            return f"{first} {last}"
    first, last = first.strip(), last.strip()
    if first and last:
        words = _trim([*_name_part(first), *_name_part(last)], _HONORIFICS, _NAME_SUFFIXES)
    else:
        words = list(_name_part(first or last))
    return _without_initials(words)


@lru_cache(maxsize=131072)
def normalize_company(text: str) -> str:
    """Normalise a company name: "The Acme Co., Inc." and "ACME & Co" both give "acme"."""
    words = _words(fold(text).replace("&", " and "))
    start = 0
    while len(words) - start > 1 and words[start] == "the":
        start += 1
    words = words[start:]
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
        # "Smith & Co" -> "smith and" -> "smith": the "and" belonged to the legal form.
        if len(words) > 1 and words[-1] == "and":
            words.pop()
    return " ".join(words)


def _within(a: str, b: str, limit: int) -> bool:
    """Whether the Levenshtein distance of ``a`` and ``b`` is at most ``limit`` (small limits)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def close_names(a: str, b: str, *, person: bool = True) -> bool:
    """Whether two normalised names are near misses worth a human look.

    People: same last word and first initial ("nick brown" / "nicholas brown") or a common
    nickname ("bob brown" / "robert brown"), or a small edit distance. Companies: a small edit
    distance. Small is one edit up to seven characters, else two; names under four characters
    are never close to anything but themselves.
    """
    if not (a and b):
        return False
    if person and a.rpartition(" ")[2] == b.rpartition(" ")[2]:
        first_a, first_b = a.split(" ", 1)[0], b.split(" ", 1)[0]
        if a[0] == b[0] or _ROOTS.get(first_a, {first_a}) & _ROOTS.get(first_b, {first_b}):
            return True
    if len(a) < 4 or len(b) < 4:
        return a == b
    return _within(a, b, 1 if max(len(a), len(b)) <= 7 else 2)


def different_first_names(a: str, b: str) -> bool:
    """Whether two normalised first names are surely two names, not one written two ways.

    "ann"/"anne" (a small edit), "nick"/"nicholas" (a shortening), "j"/"john" (an initial) and
    "bob"/"robert" (a nickname) may be one person; "john"/"mary" are two.
    """
    if not (a and b) or a == b or a.startswith(b) or b.startswith(a):
        return False
    if _ROOTS.get(a, {a}) & _ROOTS.get(b, {b}):
        return False
    return not (_within(a, b, 1) or _one_swap(a, b))


def _one_swap(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with two neighbouring letters swapped ("sophie" / "spohie")."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and (a[diff[1]] == b[diff[0]])
    )


def normalize_email(value: str) -> str:
    """Trim and lower-case an email address; ``""`` if it is not a plausible address."""
    value = value.strip()
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    value = value.lower()
    if value.startswith("mailto:"):
        value = value[7:]
    return value if _EMAIL.fullmatch(value) else ""


def normalize_phone(value: str) -> str:
    """Digits only, extension dropped, the last ten; ``""`` when fewer than seven digits."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    if _NOT_PLAIN_PHONE.search(value):
        value = _EXTENSION.sub("", value)
    digits = _NOT_DIGIT.sub("", value)
    return digits[-10:] if len(digits) >= MIN_PHONE_DIGITS else ""


_NONE: tuple[str, ...] = ()


def _emails(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(values) == 1 and "," not in values[0] and ";" not in values[0]:
        email = normalize_email(values[0])
        if email and email == values[0]:
            # Already normal (most are): share the record's own tuple and string rather than
            # hold a copy of each for every record while planning.
            return values
        return (email,) if email else _NONE
    found = set()
    for value in values:
        # QuickBooks lets several addresses share one field, separated by commas.
        for part in _EMAIL_SPLIT.split(value) if ("," in value or ";" in value) else (value,):
            email = normalize_email(part)
            if email:
                found.add(email)
    return tuple(sorted(found))


def record_keys(record: ContactRecord) -> RecordKeys:
    """Compute the normalised keys of a record (see ``RecordKeys``)."""
    person = ""
    if not record.is_company and (record.first_name or record.last_name):
        person = normalize_person_name(record.first_name, "", record.last_name)
    is_company = not person
    company_text = record.company_name or (record.display_name if is_company else "")
    phones: str | tuple[str, ...] = _NONE
    held = record.phones  # Read once: a compact record makes the tuple when read.
    if len(held) == 1:
        phone = held[0]
        phones = normalize_phone(phone.number) if phone.kind != "fax" else ""
        phones = phones or _NONE
    elif held:
        found = {normalize_phone(p.number) for p in held if p.kind != "fax"}
        found.discard("")
        phones = found.pop() if len(found) == 1 else tuple(sorted(found))
    company = normalize_company(company_text) if company_text else ""
    found_emails = record.emails
    emails = _emails(found_emails) if found_emails else _NONE
    emails = emails[0] if len(emails) == 1 else emails
    # Positional: measurably cheaper than keywords at a hundred thousand records.
    return RecordKeys(emails, person, company, phones)
