"""A benchmark workspace: a user, sandbox data like ``sandbox_seed``'s, both connections for real.

QuickBooks is connected the way a person does it: a ``requests`` session signs in through
allauth's login form, POSTs "Connect to QuickBooks", presses Connect on the sandbox consent page
and follows the redirect to our callback view, all over HTTP against the stage's web server.
LACRM is connected with the sandbox account's API key through ``connect_lacrm_api_key``
(which checks the key with GetUser over HTTP).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import urljoin

import requests

from tests.bench.harness import PASSWORD

logger = logging.getLogger(__name__)

EMAIL = "bench@example.com"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@dataclass
class BenchWorkspace:
    """What the benchmark needs to find its rows and sandbox calls again."""

    workspace: Any
    user: Any
    realm_id: str
    lacrm_uid: str
    company: Any  # integrations.sandbox.qbo.models.SandboxQboCompany
    account: Any  # integrations.sandbox.lacrm.models.SandboxLacrmAccount
    qbo_customers: int
    lacrm_records: int
    invoices: int
    overlapping: int
    seed_seconds: float


def create_user(email: str = EMAIL):
    """A verified user with their own workspace (allauth requires a verified email to log in)."""
    from allauth.account.models import EmailAddress

    from accounts.adapter import create_workspace_for
    from accounts.models import User

    user = User.objects.create_user(email, PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    workspace = create_workspace_for(user, name="Bench")
    return user, workspace


def seed(workspace, customers: int, contacts: int, overlap: float, seed_value: int = 42):
    """Load ``build_dataset`` data into a new sandbox company and account, as sandbox_seed does."""
    from integrations.sandbox.demo_data import build_dataset
    from integrations.sandbox.lacrm import store as lacrm_store
    from integrations.sandbox.qbo import store as qbo_store

    started = time.perf_counter()
    data = build_dataset(customers, contacts, overlap, seed=seed_value)
    company = qbo_store.create_company(workspace=workspace, seed_demo=False)
    # Invoices: the demo mix (0-4 per customer), as `manage.py sandbox_seed` loads by default.
    n_customers = qbo_store.load_customers(company, data.qbo_customers, seed=seed_value)
    account, api_key = lacrm_store.create_account(workspace=workspace, seed_demo=False)
    n_records = lacrm_store.load_contacts(account, data.lacrm_contacts)
    return {
        "company": company,
        "account": account,
        "api_key": api_key,
        "qbo_customers": n_customers,
        "lacrm_records": n_records,
        "invoices": company.invoices.count(),
        "overlapping": data.overlapping,
        "seconds": time.perf_counter() - started,
    }


def _hidden_fields(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in _HIDDEN.findall(html)}


def login(site_url: str, email: str = EMAIL) -> requests.Session:
    """Sign in through the real login form (CSRF token and all)."""
    session = requests.Session()
    page = session.get(f"{site_url}/accounts/login/", timeout=30)
    page.raise_for_status()
    answer = session.post(
        f"{site_url}/accounts/login/",
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "login": email,
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"Login failed ({answer.status_code}).")
    return session


def connect_qbo(session: requests.Session, site_url: str) -> None:
    """Connect → sandbox consent → Connect → our callback, like a browser would."""
    answer = session.post(
        f"{site_url}/integrations/quickbooks/connect/",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"QuickBooks connect did not redirect ({answer.status_code}).")
    authorize_url = urljoin(site_url, answer.headers["Location"])
    page = session.get(authorize_url, timeout=30)
    page.raise_for_status()
    form = _hidden_fields(page.text)
    form["action"] = "connect"
    consent = session.post(authorize_url, data=form, allow_redirects=False, timeout=30)
    if consent.status_code != 302:
        raise RuntimeError(f"The sandbox consent page did not redirect ({consent.status_code}).")
    callback = session.get(
        urljoin(authorize_url, consent.headers["Location"]), allow_redirects=False, timeout=60
    )
    if callback.status_code != 302:
        raise RuntimeError(f"Our QuickBooks callback answered {callback.status_code}.")


def prepare_workspace(
    site_url: str, customers: int, contacts: int, overlap: float, *, email: str = EMAIL
) -> BenchWorkspace:
    """User, seeded sandbox data, and both connections; raises if anything did not connect."""
    from integrations.lacrm import connection as lacrm_connection
    from integrations.models import QuickBooksConnection

    user, workspace = create_user(email)
    seeded = seed(workspace, customers, contacts, overlap)
    session = login(site_url, email)
    connect_qbo(session, site_url)
    connection = QuickBooksConnection.objects.get(workspace=workspace)
    if not connection.is_connected or connection.realm_id != seeded["company"].realm_id:
        raise RuntimeError(f"QuickBooks did not connect ({connection.status}).")
    lacrm_connection.connect_lacrm_api_key(workspace, user, seeded["api_key"])
    return BenchWorkspace(
        workspace=workspace,
        user=user,
        realm_id=seeded["company"].realm_id,
        lacrm_uid=seeded["account"].uid,
        company=seeded["company"],
        account=seeded["account"],
        qbo_customers=seeded["qbo_customers"],
        lacrm_records=seeded["lacrm_records"],
        invoices=seeded["invoices"],
        overlapping=seeded["overlapping"],
        seed_seconds=seeded["seconds"],
    )
