"""Running parsed QBO queries as Postgres queries (filters, ordering and paging in SQL).

Indexed columns serve Id, DisplayName, Active, Balance, CustomerRef, DueDate and the MetaData
times; other fields are read from the JSON ``data``. A page is one ``LIMIT/OFFSET`` query, so
paging through a large company never loads the whole table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.db.models import Q, QuerySet
from django.db.models.expressions import Expression, F
from django.db.models.fields.json import KT
from django.db.models.functions import Lower

from integrations.sandbox.qbo.faults import QboFault
from integrations.sandbox.qbo.models import SandboxQboCompany, SandboxQboInvoice, SandboxQboName
from integrations.sandbox.qbo.query_parser import (
    Condition,
    Literal,
    Query,
    QueryParseError,
    parse_query,
)
from integrations.sandbox.qbo.wire import invoices_to_wire, name_to_wire

DEFAULT_MAX_RESULTS = 100
MAX_MAX_RESULTS = 1000


@dataclass(frozen=True)
class FieldSpec:
    """How one queryable property maps to the database."""

    kind: str  # "id", "str", "bool", "decimal", "date", "datetime"
    column: str  # a model field, or a ``data__`` JSON path for kind "str"


def _json(path: str) -> FieldSpec:
    return FieldSpec("str", "data__" + path.replace(".", "__"))


_COMMON_NAME_FIELDS = {
    "Id": FieldSpec("id", "qbo_id"),
    "DisplayName": FieldSpec("str", "display_name"),
    "Active": FieldSpec("bool", "active"),
    "MetaData.CreateTime": FieldSpec("datetime", "created_at"),
    "MetaData.LastUpdatedTime": FieldSpec("datetime", "updated_at"),
    "GivenName": _json("GivenName"),
    "MiddleName": _json("MiddleName"),
    "FamilyName": _json("FamilyName"),
    "CompanyName": _json("CompanyName"),
    "PrintOnCheckName": _json("PrintOnCheckName"),
    "PrimaryEmailAddr": _json("PrimaryEmailAddr.Address"),
    "PrimaryEmailAddr.Address": _json("PrimaryEmailAddr.Address"),
}
ENTITY_FIELDS: dict[str, dict[str, FieldSpec]] = {
    "Customer": {
        **_COMMON_NAME_FIELDS,
        "FullyQualifiedName": FieldSpec("str", "fully_qualified_name"),
        "Balance": FieldSpec("decimal", "balance"),
        "BalanceWithJobs": FieldSpec("decimal", "balance_with_jobs"),
        "ParentRef": FieldSpec("id", "parent_qbo_id"),
        "Level": FieldSpec("id", "level"),
        "Job": FieldSpec("bool", "parent_qbo_id__isnull"),
    },
    "Vendor": {**_COMMON_NAME_FIELDS, "Balance": FieldSpec("decimal", "balance")},
    "Employee": dict(_COMMON_NAME_FIELDS),
    "Invoice": {
        "Id": FieldSpec("id", "qbo_id"),
        "DocNumber": FieldSpec("str", "doc_number"),
        "TxnDate": FieldSpec("date", "txn_date"),
        "DueDate": FieldSpec("date", "due_date"),
        "Balance": FieldSpec("decimal", "balance"),
        "TotalAmt": FieldSpec("decimal", "total_amt"),
        "CustomerRef": FieldSpec("id", "customer_qbo_id"),
        "MetaData.CreateTime": FieldSpec("datetime", "created_at"),
        "MetaData.LastUpdatedTime": FieldSpec("datetime", "updated_at"),
        "EmailStatus": _json("EmailStatus"),
    },
}
NAME_LISTS = {"Customer", "Vendor", "Employee"}


@dataclass
class QueryResult:
    """What a query returns: rows for SELECT *, or a total for COUNT(*)."""

    entity: str
    rows: list[dict]
    start_position: int
    total_count: int | None = None

    def payload(self) -> dict:
        """The ``QueryResponse`` object of the wire envelope."""
        if self.total_count is not None:
            return {"totalCount": self.total_count}
        if not self.rows:
            return {}
        return {
            self.entity: self.rows,
            "startPosition": self.start_position,
            "maxResults": len(self.rows),
        }


def _invalid(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def _coerce(spec: FieldSpec, literal: Literal, name: str, company: SandboxQboCompany):
    """Turn a literal into the column's Python type (numbers may be quoted, as at Intuit)."""
    raw = literal.value
    try:
        if spec.kind == "bool":
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in ("true", "false"):
                return str(raw).lower() == "true"
            raise ValueError
        if isinstance(raw, bool):
            raise ValueError
        if spec.kind == "id":
            return int(Decimal(str(raw)))
        if spec.kind == "decimal":
            return Decimal(str(raw))
        if spec.kind == "date":
            return date.fromisoformat(str(raw)[:10])
        if spec.kind == "datetime":
            text = str(raw)
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return datetime.combine(date.fromisoformat(text), time(), company.tzinfo)
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return value if value.tzinfo else value.replace(tzinfo=company.tzinfo)
        return str(raw)
    except (ValueError, InvalidOperation, TypeError):
        raise _invalid(f"Invalid value {raw!s} for property {name}") from None


def _like_regex(pattern: str) -> str:
    """QBO's LIKE knows only ``%``; everything else matches literally."""
    return "^" + ".*".join(re.escape(part) for part in pattern.split("%")) + "$"


class _Builder:
    """Builds the filtered, ordered queryset for one parsed query."""

    def __init__(self, company: SandboxQboCompany, query: Query) -> None:
        if query.entity not in ENTITY_FIELDS:
            raise QboFault(
                "4000",
                "Error parsing query",
                f"QueryParserError: Invalid entity name: {query.entity}",
            )
        self.company = company
        self.query = query
        self.fields = ENTITY_FIELDS[query.entity]
        self.aliases: dict[str, Expression] = {}

    def spec(self, name: str) -> FieldSpec:
        try:
            return self.fields[name]
        except KeyError:
            raise _invalid(f"Property {name} not found for Entity {self.query.entity}") from None

    def expression(self, spec: FieldSpec, *, lowered: bool) -> str:
        """The alias that a filter or ordering refers to (JSON and lower-case need one)."""
        if spec.column.startswith("data__"):
            source: Expression = KT(spec.column)
        elif lowered:
            source = F(spec.column)
        else:
            return spec.column
        key = f"_q_{spec.column}_{'lc' if lowered else 'raw'}"
        self.aliases[key] = Lower(source) if lowered else source
        return key

    def condition(self, cond: Condition) -> Q:
        spec = self.spec(cond.field)
        values = [_coerce(spec, v, cond.field, self.company) for v in cond.values]
        if spec.column == "parent_qbo_id__isnull":
            # "Job = true" means "has a parent", i.e. parent_qbo_id IS NOT NULL.
            if cond.op not in ("=", "IN"):
                raise _invalid(f"Operator {cond.op} not supported for property Job")
            return Q(parent_qbo_id__isnull=False) if values[0] else Q(parent_qbo_id__isnull=True)
        if cond.op == "LIKE":
            if spec.kind != "str":
                raise _invalid(f"LIKE is only supported for string properties, not {cond.field}")
            target = self.expression(spec, lowered=False)
            return Q(**{f"{target}__iregex": _like_regex(values[0])})
        if spec.kind == "str" and cond.op in ("=", "IN"):
            # String equality is case-insensitive; lower() matches the DisplayName index.
            target = self.expression(spec, lowered=True)
            lowered = [v.lower() for v in values]
            if cond.op == "IN":
                return Q(**{f"{target}__in": lowered})
            return Q(**{target: lowered[0]})
        if spec.kind == "bool" and cond.op not in ("=", "IN"):
            raise _invalid(f"Operator {cond.op} not supported for property {cond.field}")
        target = self.expression(spec, lowered=False)
        if cond.op == "IN":
            return Q(**{f"{target}__in": values})
        lookup = {"=": "", "<": "__lt", ">": "__gt", "<=": "__lte", ">=": "__gte"}[cond.op]
        return Q(**{f"{target}{lookup}": values[0]})

    def queryset(self) -> QuerySet:
        if self.query.entity == "Invoice":
            qs: QuerySet = SandboxQboInvoice.objects.filter(company=self.company)
        else:
            qs = SandboxQboName.objects.filter(company=self.company, entity=self.query.entity)
        filters = [self.condition(c) for c in self.query.conditions]
        constrains_active = any(c.field == "Active" for c in self.query.conditions)
        if self.query.entity in NAME_LISTS and not constrains_active:
            # Name lists answer with active rows only unless the query asks about Active.
            filters.append(Q(active=True))
        ordering: list = []
        for term in self.query.order_by:
            spec = self.spec(term.field)
            column = "parent_qbo_id" if spec.column == "parent_qbo_id__isnull" else spec.column
            target = self.expression(FieldSpec(spec.kind, column), lowered=False)
            ordering.append(F(target).desc(nulls_last=True) if term.descending else F(target).asc())
        # A stable tie-breaker keeps pages from overlapping.
        ordering.append(F("qbo_id").asc())
        if self.aliases:
            qs = qs.alias(**self.aliases)
        for q in filters:
            qs = qs.filter(q)
        return qs.order_by(*ordering)


def run_query(company: SandboxQboCompany, text: str) -> QueryResult:
    """Parse and run one query; raises :class:`QboFault` for syntax or validation errors."""
    try:
        query = parse_query(text)
    except QueryParseError as exc:
        raise QboFault("4000", "Error parsing query", str(exc)) from None
    return run_parsed(company, query)


def run_parsed(company: SandboxQboCompany, query: Query) -> QueryResult:
    """Run an already parsed query against one company."""
    qs = _Builder(company, query).queryset()
    if query.count:
        return QueryResult(query.entity, [], 1, total_count=qs.count())
    start = query.start_position if query.start_position is not None else 1
    if start < 0:
        raise _invalid(f"STARTPOSITION {start} must be a positive number")
    # Intuit treats STARTPOSITION 0 like 1; positions are 1-based.
    start = max(start, 1)
    limit = query.max_results if query.max_results is not None else DEFAULT_MAX_RESULTS
    if limit > MAX_MAX_RESULTS:
        raise _invalid(f"value {limit} is too large. Max allowed value is: {MAX_MAX_RESULTS}")
    if limit < 1:
        raise _invalid(f"MAXRESULTS {limit} must be a positive number")
    page = list(qs[start - 1 : start - 1 + limit])
    if query.entity == "Invoice":
        rows = invoices_to_wire(company, page)
    else:
        tz = company.tzinfo
        rows = [name_to_wire(row, tz) for row in page]
    return QueryResult(query.entity, rows, start)
