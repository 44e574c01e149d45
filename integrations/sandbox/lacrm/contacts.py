"""The contact functions of the API: GetContacts (search), GetContact(s)ById, Create/Edit/Delete.

Each handler takes the account and the ``Parameters`` object and returns ``(payload, items)``:
the JSON answer (``None`` for LACRM's empty body) and how many records it carried (call log).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from integrations.sandbox.lacrm import writes
from integrations.sandbox.lacrm.fields import ApiError
from integrations.sandbox.lacrm.models import SandboxLacrmAccount, SandboxLacrmContact

MAX_PAGE_SIZE = 10000
DEFAULT_PAGE_SIZE = 500

COLUMNS = (
    "uid",
    "is_company",
    "assigned_to",
    "company__uid",
    "salutation",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "company_name",
    "job_title",
    "background_info",
    "birthday",
    "emails",
    "phones",
    "websites",
    "addresses",
    "created_at",
    "updated_at",
)
SORTS = {
    "FirstName": ("first_name", "last_name"),
    "LastName": ("last_name", "first_name"),
    "CompanyName": ("company_name_lower",),
    "DateCreated": ("created_at",),
    "LastUpdate": ("updated_at",),
}
DATE_FILTERS = {
    "DateCreated": "created_at",
    "DateEntered": "created_at",
    "LastUpdate": "updated_at",
    "DateUpdated": "updated_at",
}


def iso(moment: datetime, tz: ZoneInfo) -> str:
    """LACRM's DateTime: ISO 8601 with the account's offset, to the second."""
    return moment.astimezone(tz).isoformat(timespec="seconds")


def parse_moment(value: Any, field: str, tz: ZoneInfo) -> datetime:
    """Read an ISO 8601 date or datetime; one without an offset is in the account's zone."""
    if not isinstance(value, str):
        raise ApiError(f'"{field}" must be an ISO 8601 date or date-time.')
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time())
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(f'"{field}" is not a valid ISO 8601 date-time: {value}') from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def paging(params: dict[str, Any]) -> tuple[int, int]:
    """``(Page, MaxNumberOfResults)``: 1-based, default 500, at most 10,000."""
    try:
        page = int(params["Page"]) if params.get("Page") is not None else 1
        size = params.get("MaxNumberOfResults")
        size = int(size) if size is not None else DEFAULT_PAGE_SIZE
    except (TypeError, ValueError):
        raise ApiError('"Page" and "MaxNumberOfResults" must be numbers.') from None
    if page < 1:
        raise ApiError('"Page" must be 1 or more.')
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(f'"MaxNumberOfResults" must be between 1 and {MAX_PAGE_SIZE}.')
    return page, size


def page_of(rows: QuerySet, params: dict[str, Any]) -> tuple[list, bool]:
    """One page of ``rows`` and whether more follow (one extra row is fetched to know)."""
    page, size = paging(params)
    start = (page - 1) * size
    chunk = list(rows[start : start + size + 1])
    return chunk[:size], len(chunk) > size


def user_meta(account: SandboxLacrmAccount) -> dict[str, Any]:
    return {
        "UserId": account.user_id,
        "FirstName": account.first_name,
        "LastName": account.last_name,
    }


def serialize(row: dict[str, Any], account: SandboxLacrmAccount, tz: ZoneInfo) -> dict[str, Any]:
    """A contact as LACRM returns it, from a ``values(*COLUMNS)`` row."""
    company_uid = row["company__uid"]
    return {
        "ContactId": row["uid"],
        "IsCompany": row["is_company"],
        "AssignedTo": row["assigned_to"],
        "CompanyId": company_uid,
        "Name": {
            "Salutation": row["salutation"],
            "FirstName": row["first_name"],
            "MiddleName": row["middle_name"],
            "LastName": row["last_name"],
            "Suffix": row["suffix"],
        },
        "Email": row["emails"],
        "Phone": row["phones"],
        "Website": row["websites"],
        "Address": row["addresses"],
        "Company Name": row["company_name"],
        "Job Title": row["job_title"],
        "Background Info": row["background_info"],
        "Birthday": row["birthday"] or None,
        "DateCreated": iso(row["created_at"], tz),
        "LastUpdate": iso(row["updated_at"], tz),
        "UserMetaData": user_meta(account),
        "CompanyMetaData": (
            {"ContactId": company_uid, "CompanyName": row["company_name"]} if company_uid else None
        ),
    }


def _serialize_all(rows: list[dict], account: SandboxLacrmAccount) -> list[dict[str, Any]]:
    tz = ZoneInfo(account.timezone)
    return [serialize(row, account, tz) for row in rows]


def _contacts(account: SandboxLacrmAccount) -> QuerySet:
    return SandboxLacrmContact.objects.filter(account=account)


def contact_by_id(account: SandboxLacrmAccount, params: dict[str, Any]) -> SandboxLacrmContact:
    """The contact named by ``ContactId``; a missing or foreign one is a 400."""
    contact_id = params.get("ContactId")
    if not contact_id:
        raise ApiError('Missing required parameter "ContactId".')
    contact = _contacts(account).filter(uid=str(contact_id)).first()
    if contact is None:
        raise ApiError(f"No contact with ContactId {contact_id} exists in this account.")
    return contact


def _date_filters(rows: QuerySet, filters: Any, tz: ZoneInfo) -> QuerySet:
    """AdvancedFilters on the record dates: IsAfter, IsBefore, IsBetween (``[start, end]``)."""
    if not isinstance(filters, list):
        raise ApiError('"AdvancedFilters" must be a list of {Name, Operation, Value}.')
    for item in filters:
        if not isinstance(item, dict) or item.get("Name") not in DATE_FILTERS:
            name = item.get("Name") if isinstance(item, dict) else item
            raise ApiError(f'Unknown filter "{name}".')
        column, operation, value = (
            DATE_FILTERS[item["Name"]],
            item.get("Operation"),
            item.get("Value"),
        )
        if operation == "IsAfter":
            rows = rows.filter(**{f"{column}__gt": parse_moment(value, "Value", tz)})
        elif operation == "IsBefore":
            rows = rows.filter(**{f"{column}__lt": parse_moment(value, "Value", tz)})
        elif operation == "IsBetween" and isinstance(value, list) and len(value) == 2:
            start, end = (parse_moment(v, "Value", tz) for v in value)
            rows = rows.filter(**{f"{column}__gte": start, f"{column}__lte": end})
        else:
            raise ApiError(f'Unsupported operation "{operation}" for filter "{item["Name"]}".')
    return rows


def get_contacts(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """GetContacts: search, filter, sort and page the account's contacts and companies."""
    rows = _contacts(account)
    record_type = params.get("RecordTypeFilter")
    if record_type == "Contacts":
        rows = rows.filter(is_company=False)
    elif record_type == "Companies":
        rows = rows.filter(is_company=True)
    elif record_type not in (None, ""):
        raise ApiError('"RecordTypeFilter" must be "Contacts" or "Companies".')
    owners = params.get("OwnerFilter")
    if owners:
        owner_ids = owners if isinstance(owners, list) else [owners]
        rows = rows.filter(assigned_to__in=[int(o) for o in owner_ids if str(o).isdigit()])
    if params.get("AdvancedFilters"):
        rows = _date_filters(rows, params["AdvancedFilters"], ZoneInfo(account.timezone))

    terms = " ".join(str(params.get("SearchTerms") or "").lower().split())
    for term in terms.split():
        rows = rows.filter(search_text__contains=term)

    sort_by = params.get("SortBy") or "Relevance"
    direction = params.get("SortDirection") or "Descending"
    if direction not in ("Ascending", "Descending"):
        raise ApiError('"SortDirection" must be "Ascending" or "Descending".')
    sign = "-" if direction == "Descending" else ""
    if sort_by == "Relevance":
        if terms:
            # An exact email or full-name match ranks above a partial one.
            rows = rows.annotate(
                rank=Case(
                    When(Q(search_text__contains=f"|{terms}|"), then=Value(2)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            order = [f"{sign}rank", "id" if sign else "-id"]
        else:
            order = ["id"]
    elif sort_by in SORTS:
        order = [f"{sign}{column}" for column in SORTS[sort_by]] + [f"{sign}id"]
    else:
        raise ApiError(f'Unknown SortBy "{sort_by}".')
    results, more = page_of(rows.order_by(*order).values(*COLUMNS), params)
    return {"HasMoreResults": more, "Results": _serialize_all(results, account)}, len(results)


def get_contact(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """GetContact: one record by ``ContactId``."""
    contact = contact_by_id(account, params)
    row = _contacts(account).filter(pk=contact.pk).values(*COLUMNS).get()
    return _serialize_all([row], account)[0], 1


def get_contacts_by_id(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """GetContactsById: the records among ``ContactIds``, in the paged shape."""
    ids = params.get("ContactIds")
    if not isinstance(ids, list):
        raise ApiError('Missing required parameter "ContactIds" (a list of ContactIds).')
    rows = _contacts(account).filter(uid__in=[str(i) for i in ids]).order_by("id")
    results, more = page_of(rows.values(*COLUMNS), params)
    return {"HasMoreResults": more, "Results": _serialize_all(results, account)}, len(results)


def create_contact(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """CreateContact: returns ``{"ContactId": uid}``."""
    contact = writes.create_contact(account, params)
    return {"ContactId": contact.uid}, 1


def edit_contact(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """EditContact: returns an empty body."""
    writes.edit_contact(account, contact_by_id(account, params), params)
    return None, 1


def delete_contact(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """DeleteContact: returns an empty body."""
    writes.delete_contact(contact_by_id(account, params))
    return None, 1
