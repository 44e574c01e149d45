"""The sandbox's read-only record pages: only the user's own sandbox data, search, paging, notes,
and the record links of the runtime log and the pair page (sandbox pages in demo mode, the
providers' own pages otherwise)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.sandbox.lacrm.models import SandboxLacrmContact, SandboxLacrmNote
from integrations.sandbox.lacrm.store import create_account
from integrations.sandbox.qbo.models import SandboxQboName
from integrations.sandbox.qbo.store import create_company, load_customers
from sync.models import ContactLink, SyncLogEntry, SyncRun

pytestmark = pytest.mark.django_db


def workspace_of(user):
    return user.memberships.order_by("created_at").first().workspace


@pytest.fixture
def alice_sandbox(alice):
    workspace = workspace_of(alice)
    company = create_company(workspace=workspace, seed_demo=True)
    account, _ = create_account(workspace=workspace, seed_demo=True)
    return company, account


@pytest.fixture
def bob_sandbox(bob):
    workspace = workspace_of(bob)
    company = create_company(workspace=workspace, seed_demo=False)
    account, _ = create_account(workspace=workspace, seed_demo=False)
    load_customers(
        company, [{"DisplayName": "Bob Only Customer", "GivenName": "Bob"}], invoices_per_customer=0
    )
    return company, account


def a_customer(company, name="Olivia Bennett") -> SandboxQboName:
    return SandboxQboName.objects.get(company=company, entity="Customer", display_name=name)


def a_contact(account, last_name="Bennett") -> SandboxLacrmContact:
    return SandboxLacrmContact.objects.filter(account=account, last_name=last_name).first()


def qbo_page(qbo_id) -> str:
    return reverse("sandbox_browse:qbo_customer", kwargs={"qbo_id": str(qbo_id)})


def lacrm_page(uid) -> str:
    return reverse("sandbox_browse:lacrm_contact", kwargs={"contact_id": uid})


def test_customers_list_is_marked_searchable_and_shows_only_own_company(
    alice_client, alice_sandbox, bob_sandbox
):
    company, _ = alice_sandbox
    page = alice_client.get(reverse("sandbox_browse:qbo_customers"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="sandbox-mark"' in html
    assert "Olivia Bennett" in html and "Bob Only Customer" not in html
    found = alice_client.get(reverse("sandbox_browse:qbo_customers"), {"q": "bennettdesign"})
    assert "Olivia Bennett" in found.content.decode()
    assert "Marcus Reyes" not in found.content.decode()
    none = alice_client.get(reverse("sandbox_browse:qbo_customers"), {"q": "x" * 5000})
    assert none.status_code == 200 and "No customer matches" in none.content.decode()


def test_customers_page_through(alice_client, alice):
    workspace = workspace_of(alice)
    company = create_company(workspace=workspace, seed_demo=False)
    load_customers(
        company,
        [{"DisplayName": f"Customer {n:03d}"} for n in range(120)],
        invoices_per_customer=0,
    )
    url = reverse("sandbox_browse:qbo_customers")
    first = alice_client.get(url).content.decode()
    third = alice_client.get(url, {"page": 3}).content.decode()
    assert "Customer 000" in first and "Customer 050" not in first
    assert "Page 1 of 3" in first and "120 records" in first
    assert "Customer 119" in third and "Customer 000" not in third
    # A page past the end shows the last page, not an error.
    assert "Customer 119" in alice_client.get(url, {"page": 99}).content.decode()


def test_customer_page_shows_fields_and_invoices(alice_client, alice_sandbox):
    company, _ = alice_sandbox
    olivia = a_customer(company)
    html = alice_client.get(qbo_page(olivia.qbo_id)).content.decode()
    assert "olivia@bennettdesign.example" in html
    assert "Bennett Design Studio" in html
    assert 'id="record-fields"' in html and 'id="sandbox-mark"' in html


def test_contact_page_shows_fields_and_notes(alice_client, alice_sandbox):
    _, account = alice_sandbox
    contact = a_contact(account)
    now = timezone.now()
    SandboxLacrmNote.objects.create(
        account=account,
        contact=contact,
        user_id=account.user_id,
        text="Open invoices: 2\nBalance: $1,250.00",
        displayed_at=now,
        created_at=now,
        updated_at=now,
    )
    listing = alice_client.get(reverse("sandbox_browse:lacrm_contacts"), {"q": "bennett"})
    assert lacrm_page(contact.uid) in listing.content.decode()
    html = alice_client.get(lacrm_page(contact.uid)).content.decode()
    assert "Open invoices: 2" in html and "Balance: $1,250.00" in html
    assert "olivia@bennettdesign.example" in html


def test_another_users_sandbox_records_are_404(bob_client, alice_sandbox, bob_sandbox):
    company, account = alice_sandbox
    contact = a_contact(account)
    olivia = a_customer(company)
    # Ids are per company: the same number in bob's URL is bob's own customer, never alice's.
    own = bob_client.get(qbo_page(olivia.qbo_id)).content.decode()
    assert "Bob Only Customer" in own and "Olivia Bennett" not in own
    bob_ids = SandboxQboName.objects.filter(company=bob_sandbox[0]).values_list("qbo_id")
    alice_only = SandboxQboName.objects.filter(company=company).exclude(qbo_id__in=bob_ids)[0]
    assert bob_client.get(qbo_page(alice_only.qbo_id)).status_code == 404
    assert bob_client.get(lacrm_page(contact.uid)).status_code == 404
    listing = bob_client.get(reverse("sandbox_browse:lacrm_contacts"), {"q": "bennett"})
    assert "Bennett" not in listing.content.decode()
    for bad in ("abc", "1" * 30):
        assert bob_client.get(qbo_page(bad)).status_code == 404


def test_without_a_sandbox_company_the_pages_say_how_to_get_one(bob_client):
    for name in ("index", "qbo_customers", "lacrm_contacts"):
        page = bob_client.get(reverse(f"sandbox_browse:{name}"))
        assert page.status_code == 200
        assert "Connections" in page.content.decode()
    assert bob_client.get(qbo_page(1)).status_code == 404


def test_sandbox_pages_need_sign_in(client, alice_sandbox):
    for url in (reverse("sandbox_browse:qbo_customers"), qbo_page(1)):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def _logged_run(workspace, qbo_id: str, lacrm_uid: str) -> SyncRun:
    run = SyncRun.objects.create(
        workspace=workspace, kind=SyncRun.Kind.CONTACTS, status=SyncRun.Status.COMPLETED
    )
    SyncLogEntry.objects.create(
        workspace=workspace,
        run=run,
        outcome="created",
        system="qbo",
        record_id=qbo_id,
        record_name="Olivia Bennett",
        target_id=lacrm_uid,
        reason="Created in Less Annoying CRM",
    )
    return run


def test_log_rows_and_pair_page_link_to_the_sandbox_record_pages(
    alice_client, alice, alice_sandbox
):
    company, account = alice_sandbox
    olivia, contact = a_customer(company), a_contact(account)
    run = _logged_run(workspace_of(alice), str(olivia.qbo_id), contact.uid)
    html = alice_client.get(reverse("sync:run_detail", kwargs={"run_id": run.id})).content.decode()
    assert f'href="{qbo_page(olivia.qbo_id)}"' in html
    assert f'href="{lacrm_page(contact.uid)}"' in html
    link = ContactLink.objects.create(
        workspace=workspace_of(alice),
        state=ContactLink.State.LINKED,
        qbo_id=str(olivia.qbo_id),
        lacrm_id=contact.uid,
        qbo_name="Olivia Bennett",
    )
    detail = alice_client.get(reverse("sync:ledger_detail", kwargs={"link_id": link.id}))
    assert f'href="{qbo_page(olivia.qbo_id)}"' in detail.content.decode()
    assert f'href="{lacrm_page(contact.uid)}"' in detail.content.decode()
    # The links work for alice.
    assert "Olivia Bennett" in alice_client.get(qbo_page(olivia.qbo_id)).content.decode()


def test_in_real_mode_records_link_to_quickbooks_and_lacrm(alice_client, alice, settings):
    settings.QBO_API_BASE_URL = "https://quickbooks.api.intuit.com/v3"
    settings.QBO_ENVIRONMENT = "production"
    settings.LACRM_API_URL = "https://api.lessannoyingcrm.com/v2/"
    uid = "1234567890123456789012345678901"
    run = _logged_run(workspace_of(alice), "58", uid)
    html = alice_client.get(reverse("sync:run_detail", kwargs={"run_id": run.id})).content.decode()
    assert 'href="https://app.qbo.intuit.com/app/customerdetail?nameId=58"' in html
    assert f'href="https://account.lessannoyingcrm.com/app/View_Contact?ContactId={uid}"' in html
    assert "/sandbox/browse/" not in html
