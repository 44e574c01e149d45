"""Split a full-name string into LACRM's name parts, the way CreateContact's ``Name`` is read.

LACRM takes a person's name as one string and stores Salutation/First/Middle/Last/Suffix. Its exact
parser is not published; this one handles what real data holds: titles ("Dr. Jane Q. Smith Jr."),
suffixes after a comma ("Smith, Jr."), "Last, First" ("Brown, Nick" → Nick / Brown) and surname
particles ("José María de la Cruz" → last name "de la Cruz").
"""

from __future__ import annotations

SALUTATIONS = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "hon", "sir", "dame", "fr", "capt",
}  # fmt: skip
SUFFIXES = {
    "jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "dds", "dvm", "esq", "cpa", "mba", "rn",
}  # fmt: skip
PARTICLES = {"van", "von", "de", "del", "della", "der", "den", "da", "di", "du", "la", "le", "st"}

NAME_KEYS = ("Salutation", "FirstName", "MiddleName", "LastName", "Suffix")


def _bare(token: str) -> str:
    return token.lower().replace(".", "").replace(",", "")


def empty_name() -> dict[str, str]:
    return dict.fromkeys(NAME_KEYS, "")


def parse_full_name(text: str) -> dict[str, str]:
    """Return ``{Salutation, FirstName, MiddleName, LastName, Suffix}`` for a full-name string."""
    name = empty_name()
    text = " ".join(str(text).split())
    if not text:
        return name

    # Comma-separated tail parts are suffixes ("Smith, Jr., CPA") unless they name the person
    # ("Brown, Nick"): then the part before the comma is the surname.
    parts = [p.strip() for p in text.split(",") if p.strip()]
    suffixes: list[str] = []
    while len(parts) > 1 and all(_bare(t) in SUFFIXES for t in parts[-1].split()):
        suffixes.insert(0, parts.pop())
    surname_first = ""
    if len(parts) == 2:
        surname_first, rest = parts
        tokens = rest.split()
    else:
        tokens = " ".join(parts).split()

    salutations: list[str] = []
    while len(tokens) > 1 and _bare(tokens[0]) in SALUTATIONS:
        salutations.append(tokens.pop(0))
    while len(tokens) > 1 and _bare(tokens[-1]) in SUFFIXES:
        suffixes.insert(0, tokens.pop())

    name["Salutation"] = " ".join(salutations)
    name["Suffix"] = ", ".join(suffixes) if len(suffixes) > 1 else "".join(suffixes)
    if surname_first:
        name["LastName"] = surname_first
        if tokens:
            name["FirstName"] = tokens[0]
            name["MiddleName"] = " ".join(tokens[1:])
        return name

    if len(tokens) == 1:
        name["FirstName"] = tokens[0]
        return name
    # The surname takes any lower-case particles before it ("de la Cruz", "van der Berg").
    last_start = len(tokens) - 1
    while last_start > 1 and tokens[last_start - 1].lower() in PARTICLES:
        last_start -= 1
    name["FirstName"] = tokens[0]
    name["MiddleName"] = " ".join(tokens[1:last_start])
    name["LastName"] = " ".join(tokens[last_start:])
    return name


def full_name(name: dict[str, str]) -> str:
    """Join name parts back into one readable string (for search and logs)."""
    return " ".join(name.get(k, "") for k in NAME_KEYS if name.get(k))
