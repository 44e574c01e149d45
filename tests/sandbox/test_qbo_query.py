"""The sandbox's QBO query language: the parser on its own, then queries run in Postgres."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.sandbox.qbo.faults import QboFault
from integrations.sandbox.qbo.query_exec import run_query
from integrations.sandbox.qbo.query_parser import (
    Literal,
    OrderTerm,
    QueryParseError,
    parse_query,
)
from integrations.sandbox.qbo.store import add_name, create_company, load_customers

# --- parser ------------------------------------------------------------------------------------


def test_parses_the_full_grammar():
    query = parse_query(
        "select * from Customer where Active = true and Balance > '0' and "
        "DisplayName like 'Bob%' and Id in ('1', '2', 3) "
        "orderby DisplayName desc, Id startposition 11 maxresults 10"
    )
    assert query.entity == "Customer"
    assert not query.count
    assert [(c.field, c.op) for c in query.conditions] == [
        ("Active", "="),
        ("Balance", ">"),
        ("DisplayName", "LIKE"),
        ("Id", "IN"),
    ]
    assert query.conditions[0].value == Literal(True)
    assert query.conditions[1].value == Literal("0", quoted=True)
    assert query.conditions[3].values[2] == Literal(Decimal("3"))
    assert query.order_by == [OrderTerm("DisplayName", True), OrderTerm("Id", False)]
    assert (query.start_position, query.max_results) == (11, 10)


def test_string_escapes():
    query = parse_query(r"SELECT * FROM Customer WHERE DisplayName = 'O\'Brien\'s \\ Co'")
    assert query.conditions[0].value.value == "O'Brien's \\ Co"


def test_order_by_with_a_space_and_count():
    assert parse_query("SELECT * FROM Customer ORDER BY Id").order_by == [OrderTerm("Id")]
    count = parse_query("SELECT COUNT(*) FROM Invoice WHERE Balance > '0' ")
    assert count.count and count.entity == "Invoice"


def test_what_the_library_sends_parses():
    # Customer.where with no clause leaves a double space; Customer.count a trailing one.
    assert parse_query("SELECT * FROM Customer  ORDERBY Id STARTPOSITION 0 MAXRESULTS 5")
    assert parse_query("SELECT COUNT(*) FROM Customer ")


def test_dotted_fields():
    query = parse_query(
        "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2025-01-01T00:00:00-08:00'"
    )
    assert query.conditions[0].field == "MetaData.LastUpdatedTime"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SELECT FROM Customer",
        "SELECT DisplayName FROM Customer",
        "SELECT * FROM Customer WHERE DisplayName = 'open",
        "SELECT * FROM Customer WHERE Active = true OR Active = false",
        "SELECT * FROM Customer WHERE DisplayName != 'x'",
        "SELECT * FROM Customer WHERE DisplayName LIKE 5",
        "SELECT * FROM Customer MAXRESULTS ten",
        "SELECT * FROM Customer MAXRESULTS 5 MAXRESULTS 6",
        "SELECT * FROM Customer WHERE Id IN ()",
        "SELECT * FROM Customer; DROP TABLE x",
    ],
)
def test_bad_syntax_is_a_parse_error(text):
    with pytest.raises(QueryParseError) as excinfo:
        parse_query(text)
    assert str(excinfo.value).startswith("QueryParserError")


# --- execution ---------------------------------------------------------------------------------


@pytest.fixture
def company(db):
    company = create_company(seed_demo=False)
    load_customers(
        company,
        [
            {
                "DisplayName": "Amy's Bird Sanctuary",
                "GivenName": "Amy",
                "PrimaryEmailAddr": {"Address": "birds@intuit.test"},
            },
            {"DisplayName": "Bill's Windsurf Shop", "CompanyName": "Bill's Windsurf Shop"},
            {"DisplayName": "O'Brien Plumbing"},
            {"DisplayName": "Cool Cars", "Active": False},
            {"DisplayName": "Diego Rodriguez", "GivenName": "Diego"},
            {"DisplayName": "Kitchen Remodel", "_parent_index": 1},
        ],
        invoices_per_customer=2,
    )
    return company


def _names(result) -> list[str]:
    return [row["DisplayName"] for row in result.rows]


def test_active_rows_only_unless_active_is_constrained(company):
    assert "Cool Cars" not in _names(run_query(company, "SELECT * FROM Customer"))
    everyone = run_query(company, "SELECT * FROM Customer WHERE Active IN (true, false)")
    assert "Cool Cars" in _names(everyone)
    inactive = run_query(company, "SELECT * FROM Customer WHERE Active = false")
    assert _names(inactive) == ["Cool Cars"]


def test_count_follows_the_same_rules(company):
    assert run_query(company, "SELECT COUNT(*) FROM Customer").payload() == {"totalCount": 5}
    assert (
        run_query(company, "SELECT COUNT(*) FROM Customer WHERE Active IN (true,false)").total_count
        == 6
    )
    assert run_query(company, "SELECT COUNT(*) FROM Invoice").total_count == 12


def test_escaped_quote_matches_case_insensitively(company):
    result = run_query(company, r"SELECT * FROM Customer WHERE DisplayName = 'o\'brien plumbing'")
    assert _names(result) == ["O'Brien Plumbing"]


def test_like_with_percent_only(company):
    assert _names(run_query(company, "SELECT * FROM Customer WHERE DisplayName LIKE 'bi%'")) == [
        "Bill's Windsurf Shop"
    ]
    contains = run_query(company, "SELECT * FROM Customer WHERE DisplayName LIKE '%s%'")
    assert set(_names(contains)) == {"Amy's Bird Sanctuary", "Bill's Windsurf Shop"}
    ends = run_query(company, "SELECT * FROM Customer WHERE DisplayName LIKE '%GUEZ'")
    assert _names(ends) == ["Diego Rodriguez"]
    # "_" is not a wildcard in QBO's LIKE.
    assert run_query(company, "SELECT * FROM Customer WHERE DisplayName LIKE 'A_y%'").rows == []


def test_in_on_ids_and_json_fields(company):
    ids = [row["Id"] for row in run_query(company, "SELECT * FROM Customer ORDERBY Id").rows]
    result = run_query(company, f"SELECT * FROM Customer WHERE Id IN ('{ids[0]}', {ids[2]})")
    assert [row["Id"] for row in result.rows] == [ids[0], ids[2]]
    by_email = run_query(
        company, "SELECT * FROM Customer WHERE PrimaryEmailAddr = 'BIRDS@intuit.test'"
    )
    assert _names(by_email) == ["Amy's Bird Sanctuary"]
    by_given = run_query(company, "SELECT * FROM Customer WHERE GivenName IN ('diego', 'x')")
    assert _names(by_given) == ["Diego Rodriguez"]


def test_orderby_desc_and_paging(company):
    ordered = _names(run_query(company, "SELECT * FROM Customer ORDERBY DisplayName DESC"))
    assert ordered == sorted(ordered, reverse=True)
    page = run_query(
        company, "SELECT * FROM Customer ORDER BY DisplayName STARTPOSITION 2 MAXRESULTS 2"
    )
    assert _names(page) == sorted(ordered)[1:3]
    assert page.payload()["startPosition"] == 2
    assert page.payload()["maxResults"] == 2


def test_no_hits_is_an_empty_query_response(company):
    result = run_query(company, "SELECT * FROM Customer WHERE DisplayName = 'nobody'")
    assert result.payload() == {}


def test_default_page_is_100_and_max_is_1000(company):
    load_customers(
        company, [{"DisplayName": f"Bulk {i:03d}"} for i in range(150)], invoices_per_customer=0
    )
    assert len(run_query(company, "SELECT * FROM Customer").rows) == 100
    with pytest.raises(QboFault) as excinfo:
        run_query(company, "SELECT * FROM Customer MAXRESULTS 1001")
    assert excinfo.value.code == "4001"


def test_sub_customer_fields(company):
    job = run_query(company, "SELECT * FROM Customer WHERE Job = true").rows
    assert [row["FullyQualifiedName"] for row in job] == ["Bill's Windsurf Shop:Kitchen Remodel"]
    parent_id = job[0]["ParentRef"]["value"]
    by_parent = run_query(company, f"SELECT * FROM Customer WHERE ParentRef = '{parent_id}'")
    assert _names(by_parent) == ["Kitchen Remodel"]


def test_invoice_filters_on_balance_due_date_and_customer(company):
    open_ = run_query(company, "SELECT * FROM Invoice WHERE Balance > '0' ORDERBY DueDate")
    assert open_.rows and all(row["Balance"] > 0 for row in open_.rows)
    due = [row["DueDate"] for row in open_.rows]
    assert due == sorted(due)
    cutoff = due[len(due) // 2]
    earlier = run_query(company, f"SELECT * FROM Invoice WHERE DueDate < '{cutoff}'")
    assert all(row["DueDate"] < cutoff for row in earlier.rows)
    customer = open_.rows[0]["CustomerRef"]["value"]
    mine = run_query(company, f"SELECT * FROM Invoice WHERE CustomerRef = '{customer}'")
    assert {row["CustomerRef"]["value"] for row in mine.rows} == {customer}


def test_metadata_time_filters(company):
    rows = run_query(company, "SELECT * FROM Customer ORDERBY MetaData.LastUpdatedTime").rows
    stamps = [row["MetaData"]["LastUpdatedTime"] for row in rows]
    middle = stamps[len(stamps) // 2]
    later = run_query(
        company, f"SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= '{middle}'"
    )
    assert len(later.rows) == len(stamps) - len(stamps) // 2


def test_vendor_and_employee_lists(company):
    add_name(company, "Vendor", "Paper Supplier")
    add_name(company, "Employee", "Emily Platt")
    assert _names(run_query(company, "SELECT * FROM Vendor")) == ["Paper Supplier"]
    assert _names(run_query(company, "SELECT * FROM Employee")) == ["Emily Platt"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT * FROM customer", "4000"),
        ("SELECT * FROM Widget", "4000"),
        ("SELECT * FROM Customer WHERE Colour = 'red'", "4001"),
        ("SELECT * FROM Customer WHERE Balance > 'lots'", "4001"),
        ("SELECT * FROM Customer WHERE Balance LIKE '1%'", "4001"),
        ("SELECT * FROM Customer WHERE", "4000"),
    ],
)
def test_query_faults(company, text, code):
    with pytest.raises(QboFault) as excinfo:
        run_query(company, text)
    assert excinfo.value.code == code
