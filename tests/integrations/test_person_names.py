"""Reading a person's name out of a lone DisplayName, and leaving business names alone."""

from __future__ import annotations

import pytest

from integrations.person_names import PersonName, parse_person_name
from integrations.quickbooks.mapping import customer_to_record


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maria Lopez", PersonName(first="Maria", last="Lopez")),
        ("Lopez, Maria", PersonName(first="Maria", last="Lopez")),
        ("Lopez, Maria Elena", PersonName(first="Maria", middle="Elena", last="Lopez")),
        ("Dr. Ann Lee Jr.", PersonName(title="Dr.", first="Ann", last="Lee", suffix="Jr.")),
        ("Ann Lee, PhD", PersonName(first="Ann", last="Lee", suffix="PhD")),
        ("Mary-Jo O'Neil", PersonName(first="Mary-Jo", last="O'Neil")),
        ("J. R. Smith", PersonName(first="J.", middle="R.", last="Smith")),
        ("Ludwig van Beethoven", PersonName(first="Ludwig", last="van Beethoven")),
        ("  maria   lopez ", PersonName(first="maria", last="lopez")),
    ],
)
def test_person_names_are_read_with_their_parts(text, expected):
    assert parse_person_name(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Acme",  # one word: a business (or a nickname) — not enough to say
        "Acme Inc",
        "Blue Ridge Plumbing",
        "Harbor Freight Logistics",
        "Smith & Sons",
        "Smith and Sons",
        "The Coffee House",
        "Studio 54",
        "info@example.com",
        "Lee, Ann, Bo, Cy",
        "One Two Three Four Five",
    ],
)
def test_business_and_odd_names_are_not_people(text):
    assert parse_person_name(text) is None


def test_a_customer_with_only_a_person_like_display_name_is_that_person():
    record = customer_to_record({"Id": "7", "DisplayName": "Lopez, Maria", "SyncToken": "0"})
    assert (record.is_company, record.first_name, record.last_name) == (False, "Maria", "Lopez")
    assert record.company_name == "" and record.display_name == "Lopez, Maria"


def test_a_customer_with_a_company_name_or_a_business_display_name_stays_a_company():
    named = customer_to_record({"Id": "8", "DisplayName": "Maria Lopez", "CompanyName": "ML Co"})
    business = customer_to_record({"Id": "9", "DisplayName": "Blue Ridge Plumbing"})
    assert named.is_company and named.company_name == "ML Co"
    assert business.is_company and business.company_name == "Blue Ridge Plumbing"
