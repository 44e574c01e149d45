"""The sandbox's read-only record pages (see the package docstring)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.scoping import workspace_required
from integrations.sandbox.browse import display
from integrations.sandbox.lacrm import contacts as lacrm_contacts
from integrations.sandbox.lacrm import store as lacrm_store
from integrations.sandbox.lacrm.models import SandboxLacrmContact, SandboxLacrmNote
from integrations.sandbox.qbo import store as qbo_store
from integrations.sandbox.qbo import wire
from integrations.sandbox.qbo.models import SandboxQboInvoice, SandboxQboName

PER_PAGE = 50
# Longer searches are cut: nothing in a name, email or phone is longer.
MAX_QUERY = 100


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:MAX_QUERY]


def _page(request: HttpRequest, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


@workspace_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    company = qbo_store.company_for_workspace(request.workspace)
    account = lacrm_store.account_for_workspace(request.workspace)
    context = {
        "company": company,
        "account": account,
        "customer_count": (
            SandboxQboName.objects.filter(company=company, entity="Customer").count()
            if company
            else 0
        ),
        "contact_count": account.contacts.count() if account else 0,
    }
    return render(request, "sandbox_browse/index.html", context)


@workspace_required
@require_GET
def qbo_customers(request: HttpRequest) -> HttpResponse:
    company = qbo_store.company_for_workspace(request.workspace)
    query = _query(request)
    rows = SandboxQboName.objects.none()
    if company is not None:
        rows = SandboxQboName.objects.filter(company=company, entity="Customer")
        if query:
            rows = rows.filter(
                Q(display_name__icontains=query)
                | Q(data__PrimaryEmailAddr__Address__icontains=query)
                | Q(data__CompanyName__icontains=query)
            )
        rows = rows.order_by("display_name", "qbo_id")
    page = _page(request, rows)
    customers = [
        {
            "id": row.qbo_id,
            "name": row.display_name,
            "email": (row.data.get("PrimaryEmailAddr") or {}).get("Address", ""),
            "company": row.data.get("CompanyName", ""),
            "active": row.active,
            "balance": row.balance,
        }
        for row in page.object_list
    ]
    return render(
        request,
        "sandbox_browse/qbo_customers.html",
        {"company": company, "page": page, "customers": customers, "query": query},
    )


def _int_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise Http404("No such record.")
    return int(value)


@workspace_required
@require_GET
def qbo_customer(request: HttpRequest, qbo_id: str) -> HttpResponse:
    company = qbo_store.company_for_workspace(request.workspace)
    if company is None:
        raise Http404("No sandbox company.")
    row = (
        SandboxQboName.objects.filter(company=company, entity="Customer", qbo_id=_int_id(qbo_id))
        .select_related("company")
        .first()
    )
    if row is None:
        raise Http404("No such customer.")
    customer = wire.name_to_wire(row, company.tzinfo)
    invoices = SandboxQboInvoice.objects.filter(
        company=company, customer_qbo_id=row.qbo_id
    ).order_by("-txn_date", "-qbo_id")[:100]
    return render(
        request,
        "sandbox_browse/qbo_customer.html",
        {
            "company": company,
            "row": row,
            "fields": display.qbo_fields(customer),
            "invoices": invoices,
            "raw": display.as_json(customer),
        },
    )


@workspace_required
@require_GET
def lacrm_contacts_page(request: HttpRequest) -> HttpResponse:
    account = lacrm_store.account_for_workspace(request.workspace)
    query = _query(request)
    rows = SandboxLacrmContact.objects.none()
    if account is not None:
        rows = SandboxLacrmContact.objects.filter(account=account)
        if query:
            rows = rows.filter(search_text__contains=query.lower())
        # People by last name and companies by name, in one alphabetical list.
        sort_name = Lower(Coalesce(NullIf("last_name", Value("")), "company_name"))
        rows = rows.annotate(note_count=Count("notes"), sort_name=sort_name).order_by(
            "sort_name", "first_name", "uid"
        )
    page = _page(request, rows)
    return render(
        request,
        "sandbox_browse/lacrm_contacts.html",
        {"account": account, "page": page, "query": query},
    )


@workspace_required
@require_GET
def lacrm_contact(request: HttpRequest, contact_id: str) -> HttpResponse:
    account = lacrm_store.account_for_workspace(request.workspace)
    if account is None or not contact_id.isdigit() or len(contact_id) > 40:
        raise Http404("No such contact.")
    row = (
        SandboxLacrmContact.objects.filter(account=account, uid=contact_id)
        .values(*lacrm_contacts.COLUMNS)
        .first()
    )
    if row is None:
        raise Http404("No such contact.")
    contact = lacrm_contacts.serialize(row, account, ZoneInfo(account.timezone))
    notes = SandboxLacrmNote.objects.filter(account=account, contact__uid=contact_id).order_by(
        "-displayed_at", "-pk"
    )[:200]
    return render(
        request,
        "sandbox_browse/lacrm_contact.html",
        {
            "account": account,
            "contact": contact,
            "name": row["company_name"]
            if row["is_company"]
            else " ".join(p for p in (row["first_name"], row["last_name"]) if p),
            "fields": display.lacrm_fields(contact),
            "notes": notes,
            "raw": display.as_json(contact),
        },
    )
