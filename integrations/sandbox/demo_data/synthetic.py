"""Large synthetic datasets for benchmarks: ``build_dataset(customers, contacts, overlap)``.

Names come from a scrambled index over first names x surnames (built from English surname
parts, e.g. "Ashford", "Thornley"), so every identity's name, email and phone is unique without
keeping a set of used names; 100,000 records per side take about a second.
"""

from __future__ import annotations

import math
import random
from typing import Any

from integrations.sandbox.demo_data.builders import ADDRESSES, Dataset, cco, crm, qbo, qco

_FIRST = (
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony "
    "Betty Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle "
    "Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca "
    "Jason Laura Edward Helen Jeffrey Sharon Ryan Cynthia Jacob Kathleen Gary Amy Nicholas "
    "Shirley Eric Angela Jonathan Anna Stephen Ruth Larry Brenda Justin Pamela Scott Nicole "
    "Brandon Katherine Benjamin Samantha Samuel Christine Gregory Emma Alexander Catherine "
    "Frank Debra Patrick Rachel Raymond Carolyn Jack Janet Dennis Maria Jerry Olivia Tyler "
    "Heather Aaron Diane Jose Julie Adam Joyce Nathan Victoria Henry Kelly Zachary Christina "
    "Douglas Lauren Peter Joan Kyle Evelyn Noah Judith Ethan Megan Jeremy Andrea Walter Cheryl "
    "Christian Hannah Keith Jacqueline Roger Martha Terry Gloria"
).split()
_PREFIX = (
    "Ash Black Brook Cald Carr Dun Fair Glen Hart Kings Lang Mor North Oak Pem Ridge Stan Thorn "
    "West Whit Wood Ald Bar Bell Brad Cran Dal El Fen Gold Green Hal Hol Lin Marl Mill New Pres "
    "Red Rock Sand Shel Silver Stone Sut Tal Wal War Wen Win Bram Chester Cres Hay Ing Kent "
    "Lock Mead Pen Rad"
).split()
_SUFFIX = (
    "ford ley ton wood well by field more worth ham dale wick shaw hurst bridge stead mont gate "
    "brook combe cott den don holm land low mere port ridge wright ville burn sley ington stone "
    "thorpe"
).split()
_INDUSTRY = (
    "Plumbing Roofing Dental Bakery Consulting Logistics Landscaping Electric Design Catering "
    "Accounting Printing Marketing Fitness Auto Builders Flooring Florals Veterinary Analytics "
    "Pools Media Law Realty Travel Coffee Cleaning Tile Solar Studio"
).split()
_PLACES = ["", "North", "South", "East", "West", "Metro", "Valley", "Coastal", "Summit", "Prairie"]
_LEGAL = ["", "", "LLC", "Inc.", "Co.", "Ltd."]
_DOMAINS = ["example.com", "example.org", "example.net", "mail.example"]
_CITIES = [a[1:] for a in ADDRESSES]
_STREETS = [
    "Main St",
    "Oak Ave",
    "Pine Rd",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Park Blvd",
    "Lake Rd",
]


class _Names:
    """Unique person and company names drawn from a scrambled index (bijective, so no repeats)."""

    def __init__(self, rng: random.Random, people: int, companies: int) -> None:
        self.surnames = [p + s for p in _PREFIX for s in _SUFFIX]
        surnames = len(self.surnames)
        # Double-barrelled surnames only when the plain ones cannot give everyone a unique name.
        self.double = people * 1.25 > len(_FIRST) * surnames
        self.person_space = len(_FIRST) * surnames * (surnames if self.double else 1)
        self.company_space = len(_PLACES) * surnames * len(_INDUSTRY)
        if companies > self.company_space:
            raise ValueError("Too many companies for the synthetic name space.")
        self.person_step = self._step(rng, self.person_space)
        self.company_step = self._step(rng, self.company_space)
        self.offset = rng.randrange(1_000_000)

    @staticmethod
    def _step(rng: random.Random, space: int) -> int:
        step = int(space * 0.6180339887) + rng.randrange(1000)
        while math.gcd(step, space) != 1:
            step += 1
        return step

    def person(self, k: int) -> tuple[str, str]:
        j = (k * self.person_step + self.offset) % self.person_space
        first, rest = _FIRST[j % len(_FIRST)], j // len(_FIRST)
        last = self.surnames[rest % len(self.surnames)]
        if self.double:
            last = f"{last}-{self.surnames[rest // len(self.surnames)]}"
        return first, last

    def company(self, k: int) -> str:
        j = (k * self.company_step + self.offset) % self.company_space
        place, rest = _PLACES[j % len(_PLACES)], j // len(_PLACES)
        surname, industry = self.surnames[rest % len(self.surnames)], rest // len(self.surnames)
        return " ".join(p for p in (place, surname, _INDUSTRY[industry]) if p)


def _identity(names: _Names, rng: random.Random, k: int, company_k: int | None) -> dict[str, Any]:
    """A person or company with unique name, email and phone (both systems derive from it)."""
    phone = f"({200 + (k // 10000) % 800}) 555-{k % 10000:04d}"
    # One random draw decides the address (half the records have one), to keep 100k fast.
    roll = rng.random()
    where = None
    if roll < 0.5:
        n = int(roll * 2_000_000)
        street = f"{1 + n % 9999} {_STREETS[n % len(_STREETS)]}"
        where = (street, *_CITIES[(n // 7) % len(_CITIES)])
    if company_k is not None:
        name = names.company(company_k)
        slug = name.lower().replace(" ", "")
        legal = _LEGAL[int(rng.random() * len(_LEGAL))]
        return {
            "company": name,
            "legal": legal,
            "email": f"billing@{slug}.example",
            "phone": phone,
            "where": where,
        }
    first, last = names.person(k)
    email = f"{first}.{last}@{_DOMAINS[k % len(_DOMAINS)]}".lower()
    return {"first": first, "last": last, "email": email, "phone": phone, "where": where}


def _to_qbo(ident: dict[str, Any], *, last_first: bool = False) -> dict[str, Any]:
    if "company" in ident:
        name = " ".join(p for p in (ident["company"], ident["legal"]) if p)
        return qco(name, ident["email"], ident["phone"], where=ident["where"])
    display = f"{ident['last']}, {ident['first']}" if last_first else ""
    first, last = ident["first"], ident["last"]
    return qbo(first, last, ident["email"], ident["phone"], display=display, where=ident["where"])


def _to_lacrm(ident: dict[str, Any], *, email: str | None = None, name: str = "") -> dict:
    email = ident["email"] if email is None else email
    if "company" in ident:
        return cco(name or ident["company"], email, ident["phone"], where=ident["where"])
    name = name or f"{ident['first']} {ident['last']}"
    return crm(name, email, ident["phone"], where=ident["where"])


def build_dataset(customers: int, contacts: int, overlap: float, seed: int = 42) -> Dataset:
    """Large synthetic sets: ``overlap`` of the LACRM contacts are QBO customers, varied.

    About 20% of records are companies; 2% of the QBO customers are sub-customers (jobs, listed
    last, pointing at earlier company customers) and 2% are inactive; overlap is drawn from the
    active top-level customers only. An overlapping pair is the same person or company with a
    variation the matcher must still catch: half identical, then LACRM email case changed
    (20%), QBO DisplayName "Last, First" (15%), no email in LACRM (10%), LACRM email padded with
    spaces (5%); companies may lose or change the legal suffix ("LLC") on the LACRM side. Names,
    emails and phones of different identities never coincide. Deterministic for a given seed.
    """
    if customers < 0 or contacts < 0 or not 0.0 <= overlap <= 1.0:
        raise ValueError("customers and contacts must be >= 0 and overlap within 0..1.")
    rng = random.Random(seed)
    jobs = customers // 50
    top_level = customers - jobs
    names = _Names(rng, customers + contacts, customers + contacts)
    next_company = 0

    def make(k: int) -> dict[str, Any]:
        nonlocal next_company
        company_k = None
        if rng.random() < 0.2:
            company_k, next_company = next_company, next_company + 1
        return _identity(names, rng, k, company_k)

    idents = [make(k) for k in range(top_level)]
    inactive = set(rng.sample(range(top_level), top_level // 50))
    eligible = [i for i in range(top_level) if i not in inactive]
    shared = min(round(contacts * overlap), len(eligible))
    chosen = set(rng.sample(eligible, shared))

    out_qbo: list[dict[str, Any]] = []
    out_crm: list[dict[str, Any]] = []
    for i, ident in enumerate(idents):
        last_first = False
        if i in chosen:
            roll = rng.random()
            if "company" in ident:
                legal = ident["legal"]
                other = rng.choice([s for s in _LEGAL if s != legal]) if roll < 0.4 else legal
                out_crm.append(
                    _to_lacrm(ident, name=" ".join(p for p in (ident["company"], other) if p))
                )
            elif roll < 0.5:
                out_crm.append(_to_lacrm(ident))
            elif roll < 0.7:
                local, domain = ident["email"].split("@")
                out_crm.append(_to_lacrm(ident, email=f"{local.title()}@{domain.upper()}"))
            elif roll < 0.85:
                last_first = True
                out_crm.append(_to_lacrm(ident))
            elif roll < 0.95:
                out_crm.append(_to_lacrm(ident, email=""))
            else:
                out_crm.append(_to_lacrm(ident, email=f"  {ident['email']} "))
        customer = _to_qbo(ident, last_first=last_first)
        if i in inactive:
            customer["Active"] = False
        out_qbo.append(customer)
    out_crm += [_to_lacrm(make(top_level + n)) for n in range(contacts - shared)]

    order = list(range(top_level))
    rng.shuffle(order)
    out_qbo = [out_qbo[i] for i in order]
    parents = [pos for pos, c in enumerate(out_qbo) if "CompanyName" in c] or list(
        range(len(out_qbo))
    )
    for n in range(jobs if out_qbo else 0):
        parent = rng.choice(parents)
        job = qbo(display=f"{out_qbo[parent]['DisplayName']} - Project {n + 1}", parent=parent)
        out_qbo.append(job)
    rng.shuffle(out_crm)
    return Dataset(qbo_customers=out_qbo, lacrm_contacts=out_crm, overlapping=shared)
