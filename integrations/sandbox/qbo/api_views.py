"""Sandbox QBO Accounting API v3 endpoints: query, entities, batch, companyinfo.

Served at ``/sandbox/qbo/v3/company/<realmId>/…`` (set ``QBO_API_BASE_URL`` to
``SITE_URL + "/sandbox/qbo/v3"``). ``minorversion`` is accepted and ignored.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.sandbox.qbo import webhooks
from integrations.sandbox.qbo.faults import QboFault, fault_payload, iso, json_response, qbo_time
from integrations.sandbox.qbo.gateway import Call, Reply, parse_json_body, serve
from integrations.sandbox.qbo.invoices import create_invoice
from integrations.sandbox.qbo.models import SandboxQboInvoice, SandboxQboName
from integrations.sandbox.qbo.names import create_name, object_not_found, update_name
from integrations.sandbox.qbo.query_exec import run_query
from integrations.sandbox.qbo.query_parser import QueryParseError, parse_query
from integrations.sandbox.qbo.wire import invoices_to_wire, name_to_wire

ENTITIES = {
    "customer": "Customer",
    "vendor": "Vendor",
    "employee": "Employee",
    "invoice": "Invoice",
}
MAX_BATCH_ITEMS = 30


def _entity(name: str) -> str:
    try:
        return ENTITIES[name.lower()]
    except KeyError:
        raise QboFault(
            "500",
            "Unsupported Operation",
            f"Operation {name} is not supported by the sandbox.",
            fault_type="ValidationFault",
        ) from None


def _query_operation(text: str) -> str:
    try:
        parsed = parse_query(text)
    except QueryParseError:
        return "query"
    return f"query {'COUNT ' if parsed.count else ''}{parsed.entity}"


def _render(call: Call, entity: str, row) -> dict:
    if entity == "Invoice":
        return invoices_to_wire(call.company, [row])[0]
    return name_to_wire(row, call.company.tzinfo)


def _write(call: Call, entity: str, body: dict, operation: str) -> dict:
    """Create or update one entity from wire JSON; returns it rendered."""
    if operation not in ("create", "update"):
        raise QboFault(
            "500", "Unsupported Operation", f"Operation {operation.title()} is not supported."
        )
    if entity == "Invoice":
        if operation == "update" or body.get("Id"):
            raise QboFault("500", "Unsupported Operation", "The sandbox does not update invoices.")
        row, verb = create_invoice(call.company, body), "created"
    elif operation == "update" or (body.get("Id") and str(body.get("Id")) not in ("0", "")):
        row, verb = update_name(call.company, entity, body), "updated"
    else:
        row, verb = create_name(call.company, entity, body), "created"
    webhooks.announce(call.company, entity, row.qbo_id, verb, at=row.updated_at)
    return _render(call, entity, row)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def query(request: HttpRequest, realm_id: str) -> HttpResponse:
    """``GET ?query=`` or ``POST`` with the query as an application/text body."""
    if request.method == "POST" and not request.GET.get("query"):
        text = request.body.decode("utf-8", errors="replace")
    else:
        text = request.GET.get("query", "")

    def handle(call: Call) -> Reply:
        call.operation = _query_operation(text)
        result = run_query(call.company, text)
        call.items = len(result.rows)
        return Reply(
            200, {"QueryResponse": result.payload(), "time": qbo_time(call.company.tzinfo)}
        )

    return serve(request, realm_id, "query", handle)


@csrf_exempt
@require_POST
def entity_write(request: HttpRequest, realm_id: str, entity_name: str) -> HttpResponse:
    """``POST /<entity>``: create, full update or sparse update."""

    def handle(call: Call) -> Reply:
        entity = _entity(entity_name)
        body = parse_json_body(request)
        operation = request.GET.get("operation", "")
        if operation and operation != "update":
            raise QboFault(
                "500", "Unsupported Operation", f"Operation {operation} is not supported."
            )
        wire = _write(call, entity, body, "update" if operation else "create")
        call.items = 1
        return Reply(200, {entity: wire, "time": qbo_time(call.company.tzinfo)})

    return serve(request, realm_id, f"POST {entity_name.lower()}", handle)


@csrf_exempt
@require_GET
def entity_read(request: HttpRequest, realm_id: str, entity_name: str, qbo_id: str) -> HttpResponse:
    """``GET /<entity>/<id>``: one entity, inactive ones included."""

    def handle(call: Call) -> Reply:
        entity = _entity(entity_name)
        model = SandboxQboInvoice if entity == "Invoice" else SandboxQboName
        filters = {"company": call.company, "qbo_id": int(qbo_id)}
        if entity != "Invoice":
            filters["entity"] = entity
        row = model.objects.filter(**filters).first() if qbo_id.isdigit() else None
        if row is None:
            raise object_not_found(entity, qbo_id)
        call.items = 1
        return Reply(
            200, {entity: _render(call, entity, row), "time": qbo_time(call.company.tzinfo)}
        )

    return serve(request, realm_id, f"GET {entity_name.lower()}", handle)


def _batch_item(call: Call, item: dict) -> dict:
    """One BatchItemRequest → one BatchItemResponse; faults stay inside the item."""
    bid = item.get("bId")
    try:
        if "Query" in item:
            result = run_query(call.company, str(item["Query"]))
            return {"bId": bid, "QueryResponse": result.payload()}
        entities = [key for key in item if key in ENTITIES.values()]
        if len(entities) != 1 or not isinstance(item[entities[0]], dict):
            raise QboFault(
                "2010",
                "Request has invalid or unsupported property",
                "A batch item needs exactly one entity object or a Query",
            )
        entity = entities[0]
        operation = str(item.get("operation") or "create").lower()
        return {"bId": bid, entity: _write(call, entity, item[entity], operation)}
    except QboFault as fault:
        return {"bId": bid, "Fault": fault.fault()}


@csrf_exempt
@require_POST
def batch(request: HttpRequest, realm_id: str) -> HttpResponse:
    """``POST /batch``: up to 30 items, each create/update or a query, faults per item."""

    def handle(call: Call) -> Reply:
        body = parse_json_body(request)
        items = body.get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise QboFault(
                "2010",
                "Request has invalid or unsupported property",
                "BatchItemRequest must be a non-empty list",
            )
        call.items = len(items)
        if len(items) > MAX_BATCH_ITEMS:
            raise QboFault(
                "2010",
                "Request has invalid or unsupported property",
                f"Property Name:Batch size {len(items)} exceeds the maximum of "
                f"{MAX_BATCH_ITEMS} items specified is unsupported or invalid",
            )
        responses = [_batch_item(call, item if isinstance(item, dict) else {}) for item in items]
        return Reply(200, {"BatchItemResponse": responses, "time": qbo_time(call.company.tzinfo)})

    return serve(request, realm_id, "batch", handle, batch=True)


@csrf_exempt
@require_GET
def companyinfo(request: HttpRequest, realm_id: str, info_id: str) -> HttpResponse:
    """``GET /companyinfo/<realmId>``: name, country, currency and the company's timezone."""

    def handle(call: Call) -> Reply:
        company = call.company
        if info_id != company.realm_id:
            raise object_not_found("CompanyInfo", info_id)
        tz = company.tzinfo
        info = {
            "Id": "1",
            "SyncToken": "1",
            "CompanyName": company.name,
            "LegalName": company.name,
            "Country": company.country,
            "CompanyStartDate": company.created_at.astimezone(tz).date().isoformat(),
            "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en",
            "DefaultTimeZone": company.tz_name,
            "Email": {"Address": "noreply@quickbooks.com"},
            "CompanyAddr": {
                "Line1": "2600 Marine Way",
                "City": "Mountain View",
                "CountrySubDivisionCode": "CA",
                "PostalCode": "94043",
                "Country": company.country,
            },
            "NameValue": [
                {"Name": "NeoEnabled", "Value": "true"},
                {"Name": "HomeCurrency", "Value": company.home_currency},
                {"Name": "MultiCurrencyEnabled", "Value": "true"},
                {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
                {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
            ],
            "domain": "QBO",
            "sparse": False,
            "MetaData": {
                "CreateTime": iso(company.created_at, tz),
                "LastUpdatedTime": iso(company.created_at, tz),
            },
        }
        call.items = 1
        return Reply(200, {"CompanyInfo": info, "time": qbo_time(tz)})

    return serve(request, realm_id, "GET companyinfo", handle)


def not_supported(request: HttpRequest, realm_id: str, rest: str) -> HttpResponse:
    """Any other path under the company: a JSON fault rather than an HTML 404."""
    fault = QboFault("500", "Unsupported Operation", f"Operation {rest} is not supported.")
    return json_response(fault_payload(fault), status=400)
