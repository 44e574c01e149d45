"""Creating, editing and deleting contacts: the rules CreateContact/EditContact/DeleteContact keep.

``apply_fields`` is pure (no queries) so the bulk loader in ``store.py`` shares it with the API.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.sandbox.lacrm import fields
from integrations.sandbox.lacrm.fields import ApiError
from integrations.sandbox.lacrm.models import SandboxLacrmAccount, SandboxLacrmContact
from integrations.sandbox.lacrm.names import NAME_KEYS, empty_name, parse_full_name

logger = logging.getLogger(__name__)

CONTACT_FIELDS = {
    "IsCompany",
    "AssignedTo",
    "Name",
    "Company Name",
    "Email",
    "Phone",
    "Website",
    "Address",
    "Job Title",
    "Background Info",
    "Birthday",
}
# Sentinel: the parameters say nothing about the person's company link.
UNCHANGED = object()


def check_known(params: dict[str, Any], allowed: set[str]) -> None:
    """Reject parameters LACRM would not know (custom fields must exist in the account)."""
    for key in params:
        if key not in allowed:
            raise ApiError(f'Unknown parameter "{key}". Custom fields must exist in the account.')


def read_bool(params: dict[str, Any], key: str) -> bool:
    value = params.get(key)
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise ApiError(f'"{key}" must be true or false.')


def check_user(account: SandboxLacrmAccount, value: Any) -> int:
    """``AssignedTo`` must be a user of the account (a numeric UserId)."""
    try:
        user_id = int(value)
    except (TypeError, ValueError):
        raise ApiError('"AssignedTo" must be a UserId.') from None
    if user_id != account.user_id:
        raise ApiError(f"AssignedTo {value} is not a user in this account.")
    return user_id


def _name_parts(value: Any) -> dict[str, str]:
    if value is None:
        return empty_name()
    if isinstance(value, dict):
        unknown = set(value) - set(NAME_KEYS)
        if unknown:
            raise ApiError(f'Unknown key "{sorted(unknown)[0]}" in "Name".')
        return {k: fields.text(value.get(k), f"Name {k}") for k in NAME_KEYS}
    return parse_full_name(fields.text(value, "Name"))


def apply_fields(
    account: SandboxLacrmAccount, contact: SandboxLacrmContact, params: dict[str, Any]
) -> Any:
    """Copy the given parameters onto ``contact``; omitted keys keep, ``None`` clears.

    Returns the company name a person should be linked to (``""`` to unlink) or ``UNCHANGED``.
    """
    link: Any = UNCHANGED
    if contact.is_company:
        if "Company Name" in params or "Name" in params:
            raw = params["Company Name"] if "Company Name" in params else params["Name"]
            name = " ".join(fields.text(raw, "Company Name").split())
            if not name:
                raise ApiError('A company record needs a "Company Name".')
            contact.company_name = name
            contact.company_name_lower = name.lower()
    else:
        if "Name" in params:
            parts = _name_parts(params["Name"])
            contact.salutation = parts["Salutation"]
            contact.first_name = parts["FirstName"]
            contact.middle_name = parts["MiddleName"]
            contact.last_name = parts["LastName"]
            contact.suffix = parts["Suffix"]
        if "Company Name" in params:
            link = " ".join(fields.text(params["Company Name"], "Company Name").split())
    if "Email" in params:
        contact.emails = fields.contact_info(params["Email"], "Email", account.email_types)
    if "Phone" in params:
        contact.phones = fields.contact_info(params["Phone"], "Phone", account.phone_types)
    if "Website" in params:
        contact.websites = fields.contact_info(params["Website"], "Website", None)
    if "Address" in params:
        contact.addresses = fields.addresses(params["Address"])
    if "Job Title" in params:
        contact.job_title = fields.text(params["Job Title"], "Job Title")
    if "Background Info" in params:
        contact.background_info = fields.text(params["Background Info"], "Background Info")
    if "Birthday" in params:
        contact.birthday = fields.birthday(params["Birthday"])
    return link


def refresh_search_text(contact: SandboxLacrmContact) -> None:
    name = {
        "Salutation": contact.salutation,
        "FirstName": contact.first_name,
        "MiddleName": contact.middle_name,
        "LastName": contact.last_name,
        "Suffix": contact.suffix,
    }
    contact.search_text = fields.search_text(
        name, contact.company_name, contact.emails, contact.phones
    )


def new_contact(
    account: SandboxLacrmAccount, params: dict[str, Any], factory: Any = SandboxLacrmContact
) -> Any:
    """An unsaved contact from CreateContact parameters (``IsCompany``/``AssignedTo`` checked).

    ``factory`` builds the object (the bulk loader passes a light row instead of a model).
    """
    for key in ("IsCompany", "AssignedTo"):
        if key not in params:
            raise ApiError(f'Missing required parameter "{key}".')
    now = timezone.now()
    contact = factory(
        account=account,
        is_company=read_bool(params, "IsCompany"),
        assigned_to=check_user(account, params["AssignedTo"]),
        created_at=now,
        updated_at=now,
    )
    if contact.is_company and not ("Company Name" in params or "Name" in params):
        raise ApiError('Missing required parameter "Company Name" for a company record.')
    if not contact.is_company and not params.get("Name"):
        raise ApiError('Missing required parameter "Name".')
    return contact


def _company_named(
    account: SandboxLacrmAccount, name: str, assigned_to: int
) -> SandboxLacrmContact:
    """The account's company record with this name (any case), created when missing."""
    existing = SandboxLacrmContact.objects.filter(
        account=account, is_company=True, company_name_lower=name.lower()
    )
    company = existing.first()
    if company is None:
        now = timezone.now()
        company = SandboxLacrmContact(
            account=account,
            is_company=True,
            assigned_to=assigned_to,
            company_name=name,
            company_name_lower=name.lower(),
            created_at=now,
            updated_at=now,
        )
        refresh_search_text(company)
        try:
            with transaction.atomic():
                company.save()
        except IntegrityError:
            # A concurrent call created it first: link to that one, as LACRM would.
            company = existing.get()
    return company


def _link(contact: SandboxLacrmContact, link: Any) -> None:
    if link is UNCHANGED:
        return
    if link:
        company = _company_named(contact.account, link, contact.assigned_to)
        contact.company = company
        contact.company_name = company.company_name
    else:
        contact.company = None
        contact.company_name = ""
    contact.company_name_lower = contact.company_name.lower()


def _save(contact: SandboxLacrmContact) -> None:
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        raise ApiError(f'A company named "{contact.company_name}" already exists.') from None


@transaction.atomic
def create_contact(account: SandboxLacrmAccount, params: dict[str, Any]) -> SandboxLacrmContact:
    """CreateContact: a person (linked to its company, created if missing) or a company."""
    check_known(params, CONTACT_FIELDS)
    contact = new_contact(account, params)
    link = apply_fields(account, contact, params)
    if contact.is_company and _company_exists(account, contact.company_name):
        raise ApiError(f'A company named "{contact.company_name}" already exists.')
    _link(contact, link)
    refresh_search_text(contact)
    _save(contact)
    logger.debug("Sandbox LACRM %s created contact %s", account.uid, contact.uid)
    return contact


def _company_exists(account: SandboxLacrmAccount, name: str, exclude: int | None = None) -> bool:
    query = SandboxLacrmContact.objects.filter(
        account=account, is_company=True, company_name_lower=name.lower()
    )
    if exclude is not None:
        query = query.exclude(pk=exclude)
    return query.exists()


@transaction.atomic
def edit_contact(account: SandboxLacrmAccount, contact: SandboxLacrmContact, params: dict) -> None:
    """EditContact: omitted fields keep, ``null`` clears, contact-info lists are replaced."""
    check_known(params, CONTACT_FIELDS | {"ContactId"})
    params = {k: v for k, v in params.items() if k != "ContactId"}
    if "IsCompany" in params and read_bool(params, "IsCompany") != contact.is_company:
        raise ApiError("IsCompany cannot be changed; create a new record instead.")
    if "AssignedTo" in params:
        contact.assigned_to = check_user(account, params["AssignedTo"])
    if not contact.is_company and "Name" in params and not params["Name"]:
        raise ApiError("A contact needs a name.")
    old_company_name = contact.company_name
    link = apply_fields(account, contact, params)
    if contact.is_company and _company_exists(account, contact.company_name, exclude=contact.pk):
        raise ApiError(f'A company named "{contact.company_name}" already exists.')
    _link(contact, link)
    contact.updated_at = timezone.now()
    refresh_search_text(contact)
    _save(contact)
    if contact.is_company and contact.company_name != old_company_name:
        _relabel_people(contact, contact.company_name)


def _relabel_people(company: SandboxLacrmContact, name: str) -> None:
    """Copy a company's new name (or none, when deleted) onto the people linked to it."""
    for person in SandboxLacrmContact.objects.filter(company=company):
        person.company_name = name
        person.company_name_lower = name.lower()
        if not name:
            person.company = None
        refresh_search_text(person)
        person.save(update_fields=["company", "company_name", "company_name_lower", "search_text"])


@transaction.atomic
def delete_contact(contact: SandboxLacrmContact) -> None:
    """DeleteContact: removes the record and its notes; people of a company lose the link."""
    if contact.is_company:
        _relabel_people(contact, "")
    contact.delete()
