"""Neutral records: what ``sync`` and ``summaries`` see of QuickBooks and Less Annoying CRM.

The clients turn wire JSON into these plain, immutable values (``mapping.py`` of each provider)
and back; nothing above ``integrations`` ever touches raw JSON. Adding a provider means writing a
mapping to and from these records, not changing the engine.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field
from datetime import date, datetime
from decimal import Decimal

QBO = "qbo"
LACRM = "lacrm"
SYSTEM_NAMES = {QBO: "QuickBooks", LACRM: "Less Annoying CRM"}


# Records are slotted (and ``ContactRecord`` compact, see there): a pull of a million contacts a
# side holds two million of them (and their phones) at once, and an instance ``__dict__`` costs
# about 300 bytes each.
@dataclass(frozen=True, slots=True)
class Phone:
    """One phone number; ``kind`` is one of work, mobile, home, fax, other."""

    number: str
    kind: str = "work"


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address; ``kind`` is billing, shipping, work, home or other."""

    lines: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    kind: str = "billing"

    @property
    def is_empty(self) -> bool:
        return not any((any(self.lines), self.city, self.state, self.postal_code, self.country))


@dataclass(frozen=True)
class _ContactFields:
    """The fields of ``ContactRecord``, in order, with their defaults: what ``dataclasses.fields``
    and ``dataclasses.replace`` see of it (``ContactRecord`` borrows these)."""

    system: str
    id: str = ""
    is_company: bool = False
    display_name: str = ""
    salutation: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    company_name: str = ""
    job_title: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[Phone, ...] = ()
    websites: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    notes: str = ""
    active: bool = True
    parent_id: str = ""
    sync_token: str = ""
    updated_at: datetime | None = None
    created_at: datetime | None = None


_FIELD_NAMES = tuple(_ContactFields.__dataclass_fields__)
# Fields most pulled records leave at their default: held together in one ``_rare`` tuple, or not
# at all (``None``) when every one of them is the default.
_RARE_FIELDS = (
    "salutation",
    "middle_name",
    "suffix",
    "job_title",
    "websites",
    "addresses",
    "notes",
    "active",
    "parent_id",
    "sync_token",
    "updated_at",
    "created_at",
)
_RARE_DEFAULTS = tuple(_ContactFields.__dataclass_fields__[f].default for f in _RARE_FIELDS)


class ContactRecord:
    """A customer (QBO) or contact/company (LACRM), in neutral form.

    ``emails``, ``phones``, ``websites`` and ``addresses`` are ordered, primary first. A record with
    no person name is a company (``is_company``). ``id`` is the provider's id as a string (LACRM
    uids are ~31 digits and must never become numbers). ``parent_id``: a QBO sub-customer's
    (job's) parent customer id, empty for top-level records; ``sync_token``: QBO's optimistic-lock
    token, empty for LACRM; ``created_at`` / ``updated_at``: the system's own clock (undo compares
    them to tell a record nobody has edited since LedgerLink created it).

    It behaves as a frozen dataclass of the fields of ``_ContactFields`` (``dataclasses.fields``,
    ``replace``, value equality and hashing, pickling), but is stored compactly, because a pull
    of a million contacts a side holds two million of them at once while matching (issue 13):
    10 slots instead of 21 (112 bytes instead of 208); the rarely set fields share one tuple,
    absent when all are defaults; a display name equal to "first last" is not stored but derived;
    a single "work" phone is held as its number and its ``Phone`` made when read, and a single
    email as the bare string (``emails`` makes the tuple).
    """

    __slots__ = (
        "system",
        "id",
        "is_company",
        "first_name",
        "last_name",
        "company_name",
        "_emails",
        "_display",
        "_phones",
        "_rare",
    )
    __dataclass_fields__ = _ContactFields.__dataclass_fields__
    __dataclass_params__ = _ContactFields.__dataclass_params__  # type: ignore[attr-defined]
    __match_args__ = _FIELD_NAMES

    def __init__(
        self,
        system: str,
        id: str = "",  # noqa: A002 - the provider's field name
        is_company: bool = False,
        display_name: str = "",
        salutation: str = "",
        first_name: str = "",
        middle_name: str = "",
        last_name: str = "",
        suffix: str = "",
        company_name: str = "",
        job_title: str = "",
        emails: tuple[str, ...] = (),
        phones: tuple[Phone, ...] = (),
        websites: tuple[str, ...] = (),
        addresses: tuple[Address, ...] = (),
        notes: str = "",
        active: bool = True,
        parent_id: str = "",
        sync_token: str = "",
        updated_at: datetime | None = None,
        created_at: datetime | None = None,
    ) -> None:
        put = object.__setattr__
        put(self, "system", system)
        put(self, "id", id)
        put(self, "is_company", is_company)
        put(self, "first_name", first_name)
        put(self, "last_name", last_name)
        put(self, "company_name", company_name)
        one_email = type(emails) is tuple and len(emails) == 1 and type(emails[0]) is str
        put(self, "_emails", emails[0] if one_email else emails)
        derived = display_name == _derived_display(first_name, last_name)
        put(self, "_display", None if derived else display_name)
        one_work_phone = (
            type(phones) is tuple
            and len(phones) == 1
            and type(phones[0]) is Phone
            and phones[0].kind == "work"
        )
        put(self, "_phones", phones[0].number if one_work_phone else phones)
        rare = (salutation, middle_name, suffix, job_title, websites, addresses, notes, active)
        rare += (parent_id, sync_token, updated_at, created_at)
        put(self, "_rare", None if rare == _RARE_DEFAULTS else rare)

    @property
    def display_name(self) -> str:
        shown = self._display
        return _derived_display(self.first_name, self.last_name) if shown is None else shown

    @property
    def emails(self) -> tuple[str, ...]:
        held = self._emails
        return (held,) if type(held) is str else held

    @property
    def phones(self) -> tuple[Phone, ...]:
        held = self._phones
        return (Phone(held),) if type(held) is str else held

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in _FIELD_NAMES)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(_FIELD_NAMES, self._values(), strict=True))
        return f"ContactRecord({shown})"

    def __setattr__(self, name: str, value) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self):
        return (ContactRecord, self._values())

    @property
    def person_name(self) -> str:
        """First, middle and last name joined, or ``""`` for a company."""
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    @property
    def name(self) -> str:
        """The name a person reads in logs: the person's name, else company, else display name."""
        return self.person_name or self.company_name or self.display_name

    @property
    def primary_email(self) -> str:
        return self.emails[0] if self.emails else ""


def _derived_display(first: str, last: str) -> str:
    return f"{first} {last}".strip() if first or last else ""


def _rare_field(position: int, default) -> property:
    def get(self: ContactRecord):
        rare = self._rare
        return default if rare is None else rare[position]

    return property(get)


for _position, _name in enumerate(_RARE_FIELDS):
    setattr(ContactRecord, _name, _rare_field(_position, _RARE_DEFAULTS[_position]))


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    """An invoice of a QBO customer; amounts are Decimal in the invoice's own currency."""

    id: str
    customer_id: str
    doc_number: str = ""
    txn_date: date | None = None
    due_date: date | None = None
    total: Decimal = Decimal("0")
    balance: Decimal = Decimal("0")
    currency: str = "USD"
    # CustomerRef.name as QBO sends it (the job's own name for a sub-customer's invoice).
    customer_name: str = ""


@dataclass
class CreateResult:
    """The outcome of creating one record in a provider.

    Exactly one of ``record`` (created, or adopted from an earlier attempt) and ``error`` is set.
    ``notes`` are human remarks for the runtime log: values cut to fit, a DisplayName changed to
    avoid a duplicate, an email Type dropped because the account rejected it.
    """

    key: str
    record: ContactRecord | None = None
    error: Exception | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.record is not None


def record_to_dict(record: ContactRecord) -> dict:
    """Serialise a record to JSON-safe data (for work items and ledger snapshots)."""
    return {
        "system": record.system,
        "id": record.id,
        "is_company": record.is_company,
        "display_name": record.display_name,
        "salutation": record.salutation,
        "first_name": record.first_name,
        "middle_name": record.middle_name,
        "last_name": record.last_name,
        "suffix": record.suffix,
        "company_name": record.company_name,
        "job_title": record.job_title,
        "emails": list(record.emails),
        "phones": [{"number": p.number, "kind": p.kind} for p in record.phones],
        "websites": list(record.websites),
        "addresses": [
            {
                "lines": list(a.lines),
                "city": a.city,
                "state": a.state,
                "postal_code": a.postal_code,
                "country": a.country,
                "kind": a.kind,
            }
            for a in record.addresses
        ],
        "notes": record.notes,
        "active": record.active,
        "parent_id": record.parent_id,
        "sync_token": record.sync_token,
        "updated_at": record.updated_at.isoformat() if record.updated_at else None,
        "created_at": record.created_at.isoformat() if record.created_at else None,
    }


def record_from_dict(data: dict) -> ContactRecord:
    """Rebuild a record serialised by ``record_to_dict``."""
    updated = data.get("updated_at")
    made = data.get("created_at")
    return ContactRecord(
        system=data["system"],
        id=data.get("id", ""),
        is_company=bool(data.get("is_company")),
        display_name=data.get("display_name", ""),
        salutation=data.get("salutation", ""),
        first_name=data.get("first_name", ""),
        middle_name=data.get("middle_name", ""),
        last_name=data.get("last_name", ""),
        suffix=data.get("suffix", ""),
        company_name=data.get("company_name", ""),
        job_title=data.get("job_title", ""),
        emails=tuple(data.get("emails", ())),
        phones=tuple(Phone(p["number"], p.get("kind", "work")) for p in data.get("phones", ())),
        websites=tuple(data.get("websites", ())),
        addresses=tuple(
            Address(
                lines=tuple(a.get("lines", ())),
                city=a.get("city", ""),
                state=a.get("state", ""),
                postal_code=a.get("postal_code", ""),
                country=a.get("country", ""),
                kind=a.get("kind", "billing"),
            )
            for a in data.get("addresses", ())
        ),
        notes=data.get("notes", ""),
        active=data.get("active", True),
        parent_id=data.get("parent_id", ""),
        sync_token=data.get("sync_token", ""),
        updated_at=datetime.fromisoformat(updated) if updated else None,
        created_at=datetime.fromisoformat(made) if made else None,
    )


@dataclass(frozen=True)
class CreatePreview:
    """What a create would send for one record, as a person reads it (nothing is sent).

    ``fields`` maps the system's own field names to the values the new record gets, e.g.
    ``{"DisplayName": "Ann Lee (Acme)", "PrimaryEmailAddr": "ann@acme.test"}``; ``notes`` say
    what was changed on the way (a DisplayName taken, a value cut to fit); ``error`` is set when
    the create would be refused before sending (no name to use).
    """

    fields: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    error: str = ""


def flatten_fields(payload: dict) -> dict[str, str]:
    """A create payload's values as one line of text each (nested parts joined)."""

    def text(value) -> str:
        if isinstance(value, dict):
            return ", ".join(t for t in (text(v) for k, v in value.items() if k != "Type") if t)
        if isinstance(value, list):
            return "; ".join(t for t in (text(v) for v in value) if t)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return " ".join(str(value).split())

    return {key: t for key, t in ((k, text(v)) for k, v in payload.items()) if t}
