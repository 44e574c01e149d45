"""The parts of the labelled generator (``tests.bench.labelled``): name pools, a maker of
unique names, emails and phones, and both systems' wire JSON.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from integrations.sandbox.demo_data.builders import qbo as qbo_wire

FIRST = (
    "Aaron Abigail Adam Adrian Aisha Alan Albert Alice Alison Amanda Amber Amy Andrea Angela "
    "Arthur Audrey Austin Beatrice Brenda Brian Bruce Caleb Carl Carmen Carol Caroline Chloe "
    "Claire Clara Colin Connor Craig Cynthia Dana Darren Dean Denise Derek Diana Diane Dolores "
    "Donna Dylan Eileen Elaine Eleanor Ellen Emily Emma Eric Erin Ethan Eva Evelyn Fiona Gavin "
    "Gemma Georgia Gloria Grace Hannah Harriet Hazel Heather Helen Holly Hugo Ian Irene Isaac "
    "Ivan Jade Janet Jasmine Jason Jenna Joanna Joel Jordan Joyce Judith Julia Julian Karen "
    "Keith Kelly Kevin Kyle Laura Leah Leon Lillian Linda Lorna Lucy Luke Lydia Marcus Maria "
    "Marion Martha Martin Megan Melissa Miriam Monica Nathan Neil Nina Noah Nora Oliver Olivia "
    "Oscar Owen Paula Pauline Philip Rachel Ralph Rosa Ruth Ryan Sandra Sean Sharon Sheila "
    "Simon Sophie Stuart Sylvia Tara Teresa Tessa Theo Tracy Ursula Valerie Vera Wanda Wayne "
    "Yvonne Zoe"
).split()
# Nicknames as people use them (not the matcher's table): (formal name, nickname).
NICKNAMES = [
    ("Robert", "Bob"),
    ("Robert", "Rob"),
    ("William", "Bill"),
    ("William", "Will"),
    ("James", "Jim"),
    ("Michael", "Mike"),
    ("Thomas", "Tom"),
    ("Joseph", "Joe"),
    ("Richard", "Dick"),
    ("Richard", "Rick"),
    ("Edward", "Ted"),
    ("Elizabeth", "Liz"),
    ("Elizabeth", "Betty"),
    ("Katherine", "Kate"),
    ("Margaret", "Peggy"),
    ("Anthony", "Tony"),
    ("John", "Jack"),
    ("Charles", "Chuck"),
    ("Gerald", "Jerry"),
    ("Henry", "Hank"),
    ("Lawrence", "Larry"),
    ("Sarah", "Sally"),
    ("Ann", "Nancy"),
    ("Daniel", "Dan"),
    ("Patricia", "Trish"),
    ("Rebecca", "Becky"),
]
PREFIX = (
    "Ash Bel Black Bram Brook Cald Carr Chad Clay Cole Cran Dal Dun Elm Fair Farn Fen Glen "
    "Gold Hal Hart Hay Heath Hol Kings Lang Lind Lock Marl Mead Mor New North Oak Pem Pen "
    "Rad Red Ridge Rock Rose Sand Shel Silver Stan Stone Sut Tal Thorn Wal War Wen West Whit "
    "Win Wood Yar"
).split()
SUFFIX = (
    "ford ley ton wood well by field more worth ham dale wick shaw hurst bridge stead mont "
    "gate brook combe cott den don holm land low mere port ridge wright ville burn sley "
    "ington stone thorpe"
).split()
APOSTROPHE_LAST = ["O'Brien", "O'Neill", "D'Angelo", "O'Connor", "D'Souza", "O'Hara"]
INDUSTRY = (
    "Plumbing Roofing Dental Bakery Consulting Logistics Landscaping Electric Design Catering "
    "Accounting Printing Marketing Fitness Auto Builders Flooring Florals Veterinary Analytics "
    "Pools Media Realty Travel Coffee Cleaning Tile Solar Studio Joinery"
).split()
PLACES = "North South East West Metro Valley Coastal Summit Prairie Harbor Pine Cedar".split()
LEGAL = ["Inc", "Inc.", "LLC", ", LLC", "Ltd", "Co.", "Corp", "Corporation", "Company"]
DOMAINS = ["example.com", "example.org", "mail.example", "inbox.example", "post.example"]
ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "n": "ñ", "c": "ç"}


@dataclass
class Person:
    first: str
    last: str
    email: str
    phone: str
    employer: str = ""


@dataclass
class Maker:
    """Draws unique names, emails and phones and collects both sides' wire JSON."""

    rng: random.Random
    names: set[tuple[str, str]] = field(default_factory=set)
    companies: set[str] = field(default_factory=set)
    # (wire JSON, variant, entity) per side.
    qbo: list[tuple[dict[str, Any], str, int]] = field(default_factory=list)
    lacrm: list[tuple[dict[str, Any], str, int]] = field(default_factory=list)
    counter: int = 0

    def entity(self) -> int:
        """A fresh serial number: an entity's id, and what keeps emails and phones unique."""
        self.counter += 1
        return self.counter

    # -- unique parts --------------------------------------------------------------------------

    def surname(self) -> str:
        return self.rng.choice(PREFIX) + self.rng.choice(SUFFIX)

    def name(self, first: str = "", last: str = "") -> tuple[str, str]:
        """A (first, last) no other entity has; ``first``/``last`` fixed when given."""
        for _ in range(1000):
            pick = (first or self.rng.choice(FIRST), last or self.surname())
            if self.claim(*pick):
                return pick
        raise RuntimeError("The synthetic name space is exhausted.")

    def claim(self, first: str, last: str) -> bool:
        key = (first.casefold(), last.casefold())
        if key in self.names:
            return False
        self.names.add(key)
        return True

    def company(self) -> str:
        while True:
            rng = self.rng
            name = f"{rng.choice(PLACES)} {self.surname()} {rng.choice(INDUSTRY)}"
            if rng.random() < 0.15:
                name = f"{self.surname()} & {self.surname()} {rng.choice(INDUSTRY)}"
            if name.casefold() not in self.companies:
                self.companies.add(name.casefold())
                return name

    def phone(self) -> str:
        k = self.entity()
        return f"{200 + (k // 10000) % 800}555{k % 10000:04d}"

    def email(self, local: str) -> str:
        return f"{local}.{self.entity()}@{self.rng.choice(DOMAINS)}".lower().replace("'", "")

    def person(self, first: str = "", last: str = "", employed: float = 0.25) -> Person:
        """A new person; ``employed`` is the chance of having an employer."""
        first, last = self.name(first, last)
        company = self.employer() if self.rng.random() < employed else ""
        return Person(first, last, self.email(f"{first}.{last}"), self.phone(), company)

    def employer(self) -> str:
        # Employers are never also company records, so a person at one is nobody's pair.
        return self.company()

    # -- wire JSON -------------------------------------------------------------------------------

    def to_qbo(self, variant: str, entity: int, wire: dict[str, Any]) -> None:
        self.qbo.append((wire, variant, entity))

    def to_lacrm(self, variant: str, entity: int, wire: dict[str, Any]) -> None:
        self.lacrm.append((wire, variant, entity))

    def q_person(self, variant: str, entity: int, p: Person, **changes: Any) -> None:
        values = {"first": p.first, "last": p.last, "email": p.email, "phone": p.phone}
        values |= {"company": p.employer} | changes
        self.to_qbo(variant, entity, qbo_wire(**values))

    def l_person(self, variant: str, entity: int, p: Person, **changes: Any) -> None:
        values = {"first": p.first, "last": p.last, "email": p.email, "phone": p.phone}
        values |= {"company": p.employer} | changes
        self.to_lacrm(variant, entity, lacrm_wire(**values))

    def phone_text(self, digits: str) -> str:
        """The same number written one of the ways people write it."""
        a, b, c = digits[:3], digits[3:6], digits[6:]
        return self.rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"+1 {a} {b} {c}", digits])


def lacrm_wire(
    first: str = "",
    last: str = "",
    email: str = "",
    phone: str = "",
    company: str = "",
    *,
    is_company: bool = False,
    middle: str = "",
) -> dict[str, Any]:
    """A contact as LACRM's GetContacts returns it (the fields the mapping reads)."""
    return {
        "IsCompany": is_company,
        "Name": {"FirstName": first, "MiddleName": middle, "LastName": last},
        "Company Name": company,
        "Email": [{"Text": email, "Type": "Work"}] if email else [],
        "Phone": [{"Text": phone, "Type": "Work"}] if phone else [],
    }


def one_edit(rng: random.Random, word: str) -> str:
    """``word`` with one typing slip: a letter dropped, doubled, swapped or replaced."""
    i = rng.randrange(1, len(word)) if len(word) > 1 else 0
    kind = rng.randrange(4)
    if kind == 0 and len(word) > 3:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2 and i + 1 < len(word) and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    letter = rng.choice([c for c in "aeioulnrst" if c != word[i].lower()])
    return word[:i] + letter + word[i + 1 :]


def emails_apart(rng: random.Random, email: str, other: str) -> tuple[str, str]:
    """(QBO email, LACRM email): the address on one side only, or a different one on each."""
    return rng.choice([(email, ""), ("", email), (email, other)])


def _one_edit_apart(a: str, b: str) -> bool:
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = sorted((a, b), key=len)
    return len(long) - len(short) == 1 and any(
        long[:i] + long[i + 1 :] == short for i in range(len(long))
    )


_NICKNAME_PAIRS = {frozenset((a.casefold(), b.casefold())) for a, b in NICKNAMES}


def plainly_different(a: str, b: str) -> bool:
    """Two first names nobody would take for one written two ways (a household's members):
    not a shortening, a one-letter slip or a nickname of each other."""
    a, b = a.casefold(), b.casefold()
    if a.startswith(b) or b.startswith(a) or _one_edit_apart(a, b):
        return False
    return frozenset((a, b)) not in _NICKNAME_PAIRS
