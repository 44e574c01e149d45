"""Bulk loading of contacts with Postgres COPY: tens of thousands of records in a second or two.

The records go through the same validation as CreateContact (``writes.new_contact`` and
``writes.apply_fields``) but into light rows instead of model instances, and reach the table in
one COPY instead of ORM inserts: building 20,000 model instances and compiling their INSERTs
costs more than everything else together.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from integrations.sandbox.lacrm.fields import ApiError
from integrations.sandbox.lacrm.models import SandboxLacrmAccount, SandboxLacrmContact, new_uid
from integrations.sandbox.lacrm.writes import (
    CONTACT_FIELDS,
    UNCHANGED,
    apply_fields,
    check_known,
    new_contact,
    refresh_search_text,
)

logger = logging.getLogger(__name__)

TEXT = (
    "salutation first_name middle_name last_name suffix company_name company_name_lower "
    "job_title background_info birthday"
).split()
JSON = ("emails", "phones", "websites", "addresses")
COLUMNS = ["id", "account_id", "uid", "is_company", "assigned_to", "company_id", *TEXT, *JSON] + [
    "search_text",
    "created_at",
    "updated_at",
]


class Row:
    """A contact on its way into the table: the attributes ``apply_fields`` reads and sets."""

    __slots__ = ("id", "account", "uid", "is_company", "assigned_to", "company", "company_id",
                 *TEXT, *JSON, "search_text", "created_at", "updated_at")  # fmt: skip

    def __init__(self, **values: Any) -> None:
        for name in TEXT:
            setattr(self, name, "")
        for name in JSON:
            setattr(self, name, [])
        self.id = self.company = self.company_id = None
        self.uid = new_uid()
        self.search_text = ""
        for name, value in values.items():
            setattr(self, name, value)


def _escape(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        value = json.dumps(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        text = text.replace("\r", "\\r")
    return text


def _copy(rows: list[Row], account_id: int) -> None:
    table = SandboxLacrmContact._meta.db_table
    buffer = io.StringIO()
    for row in rows:
        values = [row.id, account_id, row.uid, row.is_company, row.assigned_to, row.company_id]
        values += [getattr(row, name) for name in TEXT]
        values += [getattr(row, name) for name in JSON]
        values += [row.search_text, row.created_at, row.updated_at]
        buffer.write("\t".join(_escape(v) for v in values))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN", buffer)


def _reserve_ids(count: int) -> list[int]:
    table = SandboxLacrmContact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def load(account: SandboxLacrmAccount, contacts: list[dict[str, Any]]) -> int:
    """Validate and insert ``contacts``; see ``store.load_contacts``."""
    base = timezone.now()
    companies: dict[str, Any] = {
        c.company_name_lower: c
        for c in SandboxLacrmContact.objects.filter(account=account, is_company=True).only(
            "id", "company_name", "company_name_lower"
        )
    }
    rows: list[Row] = []
    links: list[tuple[Row, str]] = []
    for index, raw in enumerate(contacts):
        params = {"IsCompany": False, "AssignedTo": account.user_id, **raw}
        try:
            check_known(params, CONTACT_FIELDS)
            row = new_contact(account, params, factory=Row)
            link = apply_fields(account, row, params)
        except ApiError as error:
            raise ValueError(f"Contact {index}: {error.description}") from None
        if row.is_company:
            if row.company_name_lower in companies:
                raise ValueError(f'Contact {index}: company "{row.company_name}" exists.')
            companies[row.company_name_lower] = row
        elif link is not UNCHANGED and link:
            links.append((row, link))
        rows.append(row)

    for row, link in links:
        company = companies.get(link.lower())
        if company is None:
            # LACRM creates the company a person names when the account has none.
            company = Row(
                account=account,
                is_company=True,
                assigned_to=account.user_id,
                company_name=link,
                company_name_lower=link.lower(),
            )
            companies[company.company_name_lower] = company
            rows.append(company)
        row.company = company
    # Companies first, then people in list order: "DateCreated ascending" is the list order.
    rows.sort(key=lambda r: not r.is_company)

    with transaction.atomic():
        for row, identifier in zip(rows, _reserve_ids(len(rows)), strict=True):
            row.id = identifier
        for position, row in enumerate(rows):
            row.created_at = row.updated_at = base + timedelta(microseconds=position)
            company = row.company
            if company is not None:
                row.company_id = company.id
                row.company_name = company.company_name
                row.company_name_lower = company.company_name_lower
            refresh_search_text(row)
        _copy(rows, account.pk)
    logger.info("Loaded %s records into sandbox LACRM account %s", len(rows), account.uid)
    return len(rows)
