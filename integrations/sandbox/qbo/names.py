"""Creating and updating name-list entities (Customer, Vendor, Employee) with QBO's rules.

Rules enforced: DisplayName or a name part is required (DisplayName is built from the parts if
omitted); the documented length limits; e-mail must contain "@" and "."; DisplayName unique
across all three lists, inactive included, case-insensitively (6240, Detail ending
": Id=<existing>"); updates need the current SyncToken (5010 otherwise); sub-customers up to 4
levels deep.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.sandbox.qbo.counters import allocate_ids
from integrations.sandbox.qbo.faults import QboFault
from integrations.sandbox.qbo.models import SandboxQboCompany, SandboxQboName

logger = logging.getLogger(__name__)

NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
MAX_LEVEL = 4
# Keys the server computes; a client's values for them are ignored (they are read-only).
COMPUTED_KEYS = {
    "Id",
    "SyncToken",
    "MetaData",
    "domain",
    "sparse",
    "DisplayName",
    "Active",
    "Balance",
    "BalanceWithJobs",
    "FullyQualifiedName",
    "Level",
    "Job",
    "ParentRef",
    "CurrencyRef",
    "time",
    "status",
}
ADDRESS_LIMITS = {
    **{f"Line{i}": 500 for i in range(1, 6)},
    "City": 255,
    "Country": 255,
    "CountrySubDivisionCode": 255,
    "PostalCode": 30,
}
LENGTH_LIMITS: dict[str, int] = {
    "DisplayName": 500,
    "Title": 16,
    "Suffix": 16,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "CompanyName": 100,
    "PrintOnCheckName": 110,
    "Notes": 2000,
    "PrimaryEmailAddr.Address": 100,
    "PrimaryPhone.FreeFormNumber": 30,
    "Mobile.FreeFormNumber": 30,
    "AlternatePhone.FreeFormNumber": 30,
    "Fax.FreeFormNumber": 30,
    "WebAddr.URI": 1000,
    **{f"BillAddr.{k}": v for k, v in ADDRESS_LIMITS.items()},
    **{f"ShipAddr.{k}": v for k, v in ADDRESS_LIMITS.items()},
}


def clean(value: Any) -> Any:
    """Drop empty strings, nulls and emptied objects: QBO omits empty fields."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = clean(item)
            if item is None or item == "" or item == {}:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def _get_path(data: dict, path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def build_display_name(data: dict) -> str:
    """QBO's rule: Title GivenName MiddleName FamilyName Suffix, space-separated."""
    return " ".join(str(data[p]).strip() for p in NAME_PARTS if data.get(p)).strip()


def _to_bool(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _limited_values(display_name: str, data: dict):
    """(path, value) for every present field that has a length limit."""
    yield "DisplayName", display_name
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, item in value.items():
                if f"{key}.{sub}" in LENGTH_LIMITS and item is not None:
                    yield f"{key}.{sub}", item
        elif key in LENGTH_LIMITS and value is not None:
            yield key, value


def validate(entity: str, display_name: str, data: dict) -> None:
    """Field rules shared by create and update; raises :class:`QboFault`."""
    if not display_name:
        raise QboFault(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter DisplayName or at least one of Title, GivenName, MiddleName, "
            "FamilyName, Suffix is missing in the request",
            element="DisplayName",
        )
    for path, value in _limited_values(display_name, data):
        limit = LENGTH_LIMITS[path]
        if len(str(value)) > limit:
            raise QboFault(
                "2050",
                "Invalid String Length",
                f"Invalid length for {entity}.{path}: String length specified does not match "
                f"the supported length. Min:0 Max:{limit} supplied:{len(str(value))}",
                element=path,
            )
    if any(ch in display_name for ch in ":\t\n\r"):
        raise QboFault(
            "2040",
            "Invalid Field Value",
            f"{entity}.DisplayName cannot contain a colon (:), tab or newline.",
            element="DisplayName",
        )
    email = _get_path(data, "PrimaryEmailAddr.Address")
    if email is not None and ("@" not in str(email) or "." not in str(email) or " " in email):
        raise QboFault(
            "2040",
            "Invalid Field Value",
            f"Invalid email address: {entity}.PrimaryEmailAddr.Address must contain @ and .",
            element="PrimaryEmailAddr.Address",
        )


def duplicate_fault(existing_id: int) -> QboFault:
    return QboFault(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Id={existing_id}",
    )


def _check_unique(company: SandboxQboCompany, name: str, exclude_pk: int | None = None) -> None:
    qs = (
        SandboxQboName.objects.filter(company=company)
        .alias(lower_name=Lower("display_name"))
        .filter(lower_name=name.lower())
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    existing = qs.values_list("qbo_id", flat=True).first()
    if existing is not None:
        raise duplicate_fault(existing)


def _parent(company: SandboxQboCompany, ref: Any, self_id: int | None) -> SandboxQboName:
    value = ref.get("value") if isinstance(ref, dict) else ref
    try:
        parent_id = int(str(value))
    except (TypeError, ValueError):
        raise QboFault("2500", "Invalid Reference Id", "Invalid Reference Id : ParentRef") from None
    parent = SandboxQboName.objects.filter(
        company=company, entity=SandboxQboName.Entity.CUSTOMER, qbo_id=parent_id
    ).first()
    if parent is None:
        raise QboFault(
            "2500", "Invalid Reference Id", f"Invalid Reference Id : ParentRef {parent_id}"
        )
    if not parent.active:
        raise QboFault(
            "610",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been made inactive. "
            "Check the fields with accounts, customers, items, vendors or employees.",
            element="ParentRef",
        )
    if parent.level + 1 > MAX_LEVEL:
        raise QboFault(
            "6000",
            "A business validation error has occurred while processing your request",
            f"Business Validation Error: Sub-customers can be nested {MAX_LEVEL} levels deep.",
        )
    node: SandboxQboName | None = parent
    while node is not None and self_id is not None:
        if node.qbo_id == self_id:
            raise QboFault(
                "6000",
                "A business validation error has occurred while processing your request",
                "Business Validation Error: A customer cannot be its own parent.",
            )
        node = (
            SandboxQboName.objects.filter(company=company, qbo_id=node.parent_qbo_id).first()
            if node.parent_qbo_id
            else None
        )
    return parent


def _place(company: SandboxQboCompany, row: SandboxQboName, parent_ref: Any) -> None:
    """Set parent, level and fully qualified name from ParentRef (None means top level)."""
    if parent_ref and row.entity == SandboxQboName.Entity.CUSTOMER:
        parent = _parent(company, parent_ref, row.qbo_id if row.pk else None)
        row.parent_qbo_id = parent.qbo_id
        row.level = parent.level + 1
        row.fully_qualified_name = f"{parent.fully_qualified_name}:{row.display_name}"
    else:
        row.parent_qbo_id = None
        row.level = 0
        row.fully_qualified_name = row.display_name


def _save_unique(row: SandboxQboName) -> None:
    """Save, turning a lost uniqueness race into the same 6240 fault."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        existing = (
            SandboxQboName.objects.filter(company_id=row.company_id)
            .alias(lower_name=Lower("display_name"))
            .filter(lower_name=row.display_name.lower())
            .values_list("qbo_id", flat=True)
            .first()
        )
        if existing is None:
            raise
        raise duplicate_fault(existing) from None


def create_name(company: SandboxQboCompany, entity: str, payload: dict) -> SandboxQboName:
    """Create a Customer, Vendor or Employee from wire JSON."""
    payload = clean(payload)
    data = {k: v for k, v in payload.items() if k not in COMPUTED_KEYS}
    display_name = str(payload.get("DisplayName") or build_display_name(data)).strip()
    validate(entity, display_name, data)
    currency = company.home_currency
    currency_ref = payload.get("CurrencyRef")
    if isinstance(currency_ref, dict) and currency_ref.get("value"):
        currency = str(currency_ref["value"]).upper()[:3]
    now = timezone.now()
    with transaction.atomic():
        qbo_id = allocate_ids(company)
        _check_unique(company, display_name)
        row = SandboxQboName(
            company=company,
            entity=entity,
            qbo_id=qbo_id,
            display_name=display_name,
            active=_to_bool(payload.get("Active"), True),
            currency=currency,
            data=data,
            created_at=now,
            updated_at=now,
        )
        _place(company, row, payload.get("ParentRef"))
        _save_unique(row)
    logger.info("sandbox qbo %s %s created in realm %s", entity, qbo_id, company.realm_id)
    return row


def _refresh_descendants(company: SandboxQboCompany, row: SandboxQboName) -> None:
    """Keep children's FullyQualifiedName and Level in step after a rename or move."""
    for child in SandboxQboName.objects.filter(company=company, parent_qbo_id=row.qbo_id):
        child.level = row.level + 1
        child.fully_qualified_name = f"{row.fully_qualified_name}:{child.display_name}"
        child.save(update_fields=["level", "fully_qualified_name"])
        _refresh_descendants(company, child)


def update_name(company: SandboxQboCompany, entity: str, payload: dict) -> SandboxQboName:
    """Full update (replaces the object) or sparse update (``"sparse": true`` merges)."""
    sparse = _to_bool(payload.get("sparse"), False)
    try:
        qbo_id = int(str(payload.get("Id")))
    except ValueError:
        raise QboFault("2500", "Invalid Reference Id", "Invalid Reference Id : Id") from None
    if payload.get("SyncToken") in (None, ""):
        raise QboFault(
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter SyncToken is missing in the request",
            element="SyncToken",
        )
    with transaction.atomic():
        row = (
            SandboxQboName.objects.select_for_update()
            .filter(company=company, entity=entity, qbo_id=qbo_id)
            .first()
        )
        if row is None:
            raise object_not_found(entity, qbo_id)
        if str(payload.get("SyncToken")).strip() != str(row.sync_token):
            raise QboFault(
                "5010",
                "Stale Object Error",
                "Stale Object Error : You and root were working on this at the same time. "
                "root finished before you did, so your work was not saved.",
            )
        if sparse:
            merged = dict(row.data)
            for key, value in payload.items():
                if key in COMPUTED_KEYS:
                    continue
                if value is None or value == "":
                    merged.pop(key, None)
                else:
                    merged[key] = clean(value)
            data = clean(merged)
        else:
            data = {k: v for k, v in clean(payload).items() if k not in COMPUTED_KEYS}
        given_name = str(payload.get("DisplayName") or "").strip()
        display_name = given_name or row.display_name
        validate(entity, display_name, data)
        if display_name.lower() != row.display_name.lower():
            _check_unique(company, display_name, exclude_pk=row.pk)
        old_fqn = row.fully_qualified_name
        row.display_name = display_name
        row.data = data
        if "Active" in payload:
            row.active = _to_bool(payload.get("Active"), row.active)
        if sparse and "ParentRef" not in payload:
            parent_ref = {"value": row.parent_qbo_id} if row.parent_qbo_id else None
        else:
            parent_ref = payload.get("ParentRef")
        _place(company, row, parent_ref)
        row.sync_token += 1
        row.updated_at = timezone.now()
        _save_unique(row)
        if row.fully_qualified_name != old_fqn:
            _refresh_descendants(company, row)
    return row


def object_not_found(entity: str, qbo_id: Any) -> QboFault:
    return QboFault(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. Check the "
        f"fields with accounts, customers, items, vendors or employees. ({entity} Id={qbo_id})",
    )
