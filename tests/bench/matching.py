"""Benchmark of ``plan_matches``: time and peak memory on large synthetic contact lists.

Run with ``.venv/bin/python -m tests.bench.matching [n_qbo n_lacrm overlap]``. It prints figures
and asserts nothing. The measurement runs in a fresh (spawned) process so that its peak resident
set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) belongs to this benchmark alone; the
figure includes the records themselves, and the delta is what planning added on top. Building
the records is not timed.

At 1,000,000 × 1,000,000 (40% overlap) on the 2-core development machine, 2026-12-02, shared
with three other sessions (load 1.5-5): peak 1,359 MB, records 895 MB, planning adds 464 MB,
about 40 s CPU: run back to back under the same load, the code before these changes took 39 s.
Before, peak 1,983 MB: records 1,420 MB (a 21-slot ``ContactRecord`` of 208 bytes, a display
name string per person, a ``Phone`` and a tuple per phone) and planning 563 MB. What changed:
``ContactRecord`` holds 10 slots (rare fields in one tuple, absent when all default; a display
name equal to "first last" derived; one work phone and one email held bare), ``RecordKeys`` 4 slots
(a single phone as its digits), ``Match`` / ``Review`` are slotted and the email index holds a
lone holder as a bare int. Before slotted records and tuple keys it was 3,021 MB. Every change
kept the plan the same to the record (links, reviews, creates, not-matches) and the quality
figures of ``matching_quality`` unchanged.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import random
import resource
import sys
import time
import unicodedata

from integrations.records import ContactRecord, Phone

logger = logging.getLogger(__name__)

SEED = 20240601
_ONSETS = "b c d f g h j k l m n p r s t v w z br ch cl dr fr gr kr pl sh st th tr".split()
_VOWELS = "a e i o u ai ea ee ie oo ou y".split()
_CODAS = ["", "", "n", "r", "s", "l", "m", "t", "nd", "rt", "ck", "ll", "ng", "x"]
_ACCENTED = {"e": "é", "a": "á", "o": "ö", "u": "ü", "i": "í", "n": "ñ"}
_DOMAINS = ["example.com", "mail.test", "inbox.test", "post.example", "corp.test"]
_LEGAL = ["Inc", "Inc.", "LLC", ", LLC", "Ltd", "Co.", "Corp", "GmbH", ""]


def _word(rng: random.Random, syllables: int) -> str:
    parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)]
    return ("".join(parts) + rng.choice(_CODAS)).capitalize()


def _pool(rng: random.Random, size: int, low: int, high: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < size:
        seen.add(_word(rng, rng.randint(low, high)))
    return sorted(seen)


def _accent(rng: random.Random, name: str) -> str:
    letters = [i for i, c in enumerate(name) if c in _ACCENTED]
    if not letters:
        return name
    i = rng.choice(letters)
    return name[:i] + _ACCENTED[name[i]] + name[i + 1 :]


class _Person:
    """One real-world entity of the synthetic data. Slotted: at a million records a side the
    generator's own dicts were 600 MB that the process kept (as freed but unreturned memory)
    into the planning it measures."""

    __slots__ = ("company", "first", "last", "email", "phone", "company_name")

    def __init__(self, company, email, phone, company_name="", first="", last=""):
        self.company, self.email, self.phone = company, email, phone
        self.company_name, self.first, self.last = company_name, first, last


def _people(rng: random.Random, count: int) -> list[_Person]:
    """Distinct real-world entities: people (most with an employer) and companies."""
    firsts, lasts = _pool(rng, 3000, 1, 2), _pool(rng, 20000, 2, 3)
    companies = _pool(rng, 25000, 2, 3)
    people = []
    for k in range(count):
        phone = f"{rng.randint(200, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if rng.random() < 0.12:
            # Two pool words: distinct businesses rarely share a name, as in real books.
            name = f"{rng.choice(companies)} {rng.choice(lasts)} {rng.choice(['Works', 'Labs'])}"
            email = f"office{k}@{name.split()[0].lower()}.test"
            people.append(_Person(True, email, phone, company_name=name))
            continue
        first, last = rng.choice(firsts), rng.choice(lasts)
        if rng.random() < 0.05:
            first = _accent(rng, first)
        email = f"{first.lower()}.{last.lower()}{k}@{rng.choice(_DOMAINS)}"
        company = rng.choice(companies) if rng.random() < 0.3 else ""
        people.append(_Person(False, email, phone, company_name=company, first=first, last=last))
    return people


def _record(
    system: str, rid: str, person: _Person, rng: random.Random, variant: bool
) -> ContactRecord:
    """One side's record of an entity; ``variant`` applies the realistic differences."""
    email, phone = person.email, person.phone
    roll = rng.random() if variant else 1.0
    if roll < 0.15:
        email = f"  {email.upper()} "
    elif roll < 0.25:
        email = ""  # No email on this side: the name has to do.
    phones = (Phone(f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"),) if rng.random() < 0.7 else ()
    if person.company:
        legal = rng.choice(_LEGAL) if variant else ""
        name = person.company_name + (legal if legal.startswith(",") else f" {legal}".rstrip())
        return ContactRecord(
            system=system,
            id=rid,
            is_company=True,
            company_name=name,
            display_name=name,
            emails=(email,) if email else (),
            phones=phones,
        )
    first, last = person.first, person.last
    if variant and 0.25 <= roll < 0.35:
        first, last = "", f"{last}, {first}"  # "Last, First" typed into one field.
    elif variant and 0.35 <= roll < 0.40:
        first, last = first.upper(), last.upper()
    elif variant and 0.40 <= roll < 0.42:
        first = first[:-1] if len(first) > 3 else first  # A typo: review when the phone agrees.
        email = ""
        phones = (Phone(phone),)
    elif variant and 0.42 <= roll < 0.45:
        first = "".join(c for c in unicodedata.normalize("NFKD", first) if c.isascii())
    company = person.company_name
    if company and variant and rng.random() < 0.5:
        company += " " + rng.choice(_LEGAL[:6])
    return ContactRecord(
        system=system,
        id=rid,
        first_name=first,
        last_name=last,
        company_name=company,
        display_name=f"{first} {last}".strip(),
        emails=(email,) if email else (),
        phones=phones,
    )


def build(n_qbo: int, n_lacrm: int, overlap: float, seed: int = SEED):
    """Synthetic QBO customers and LACRM contacts; ``overlap`` of the smaller side is on both."""
    rng = random.Random(seed)
    shared = int(overlap * min(n_qbo, n_lacrm))
    people = _people(rng, n_qbo + n_lacrm - shared)
    # A few households/offices share one email address on the QBO side.
    for k in range(0, n_qbo // 50):
        a, b = people[rng.randrange(n_qbo)], people[rng.randrange(n_qbo)]
        b.email = a.email = f"accounts{k}@family.test"
    qbo = [_record("qbo", str(k + 1), people[k], rng, False) for k in range(n_qbo)]
    lacrm_people = people[:shared] + people[n_qbo:]
    lacrm = [
        _record("lacrm", f"31{k:029d}", person, rng, k < shared)
        for k, person in enumerate(lacrm_people)
    ]
    rng.shuffle(lacrm)
    return qbo, lacrm


def _measure(n_qbo: int, n_lacrm: int, overlap: float) -> dict:
    from sync.matching import plan_matches

    qbo, lacrm = build(n_qbo, n_lacrm, overlap)
    gc.collect()
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.perf_counter(), time.process_time()
    plan = plan_matches(qbo, lacrm)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    methods: dict[str, int] = {}
    for link in plan.links:
        methods[link.method] = methods.get(link.method, 0) + 1
    return {
        "n_qbo": n_qbo,
        "n_lacrm": n_lacrm,
        "overlap": overlap,
        "seconds": round(seconds, 3),
        # CPU time of this process: the fairer figure when other work shares the machine.
        "cpu_seconds": round(cpu, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "records_rss_mb": round(before_kb / 1024, 1),
        "planning_rss_delta_mb": round((peak_kb - before_kb) / 1024, 1),
        "links": len(plan.links),
        "links_by_method": methods,
        "reviews": len(plan.reviews),
        "records_in_review": sum(len(r.qbo_ids) + len(r.lacrm_ids) for r in plan.reviews),
        "create_in_lacrm": len(plan.qbo_only),
        "create_in_qbo": len(plan.lacrm_only),
        "not_matches": len(plan.not_matches),
    }


def _child(queue, n_qbo: int, n_lacrm: int, overlap: float) -> None:
    queue.put(_measure(n_qbo, n_lacrm, overlap))


def run(n_qbo: int = 100_000, n_lacrm: int = 100_000, overlap: float = 0.4) -> dict:
    """Time ``plan_matches`` in a fresh process and return (and print) the figures."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, n_qbo, n_lacrm, overlap))
    process.start()
    figures = queue.get()
    process.join()
    print("plan_matches benchmark (peak memory: ru_maxrss of a spawned process)")
    for key, value in figures.items():
        print(f"  {key:>22}: {value}")
    return figures


if __name__ == "__main__":
    args = sys.argv[1:]
    run(
        int(args[0]) if args else 100_000,
        int(args[1]) if len(args) > 1 else 100_000,
        float(args[2]) if len(args) > 2 else 0.4,
    )
