"""``manage.py sandbox_seed``: fill a sandbox QBO company and LACRM account with synthetic data.

Used for benchmarks and big demos: ``build_dataset`` makes the records and both providers bulk-load
them, so 20,000 customers and 20,000 contacts take seconds. With ``--workspace`` the data of that
workspace's sandbox company and account is replaced (they are created when missing), keeping the
realm id and the API key so an existing LedgerLink connection keeps working.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.middleware import workspace_for_user
from accounts.models import User, Workspace
from accounts.scoping import scopes_disabled
from integrations.sandbox.demo_data import build_dataset
from integrations.sandbox.lacrm import store as lacrm_store

logger = logging.getLogger(__name__)


def find_workspace(value: str) -> Workspace:
    """A workspace by its UUID, or the workspace of the user with that email."""
    try:
        return Workspace.objects.get(pk=uuid.UUID(value))
    except (ValueError, Workspace.DoesNotExist):
        pass
    user = User.objects.filter(email__iexact=value.strip()).first()
    workspace = workspace_for_user(user) if user else None
    if workspace is None:
        raise CommandError(f"No workspace with id {value!r} and no user with that email.")
    return workspace


def _clear_qbo(company: Any) -> None:
    """Remove a sandbox company's customers (and other names), invoices and replay log."""
    from integrations.sandbox.qbo.models import SandboxQboRequest

    company.invoices.all().delete()
    company.names.all().delete()
    SandboxQboRequest.objects.filter(company=company).delete()


class Command(BaseCommand):
    help = "Load synthetic customers (sandbox QBO) and contacts (sandbox LACRM) in bulk."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=1000, help="QBO customers.")
        parser.add_argument("--contacts", type=int, default=1000, help="LACRM contacts.")
        parser.add_argument(
            "--overlap", type=float, default=0.3, help="Share of contacts that are customers."
        )
        parser.add_argument(
            "--invoices-per-customer",
            type=int,
            default=None,
            help="Invoices per customer (default: the demo mix of 0-4).",
        )
        parser.add_argument("--workspace", help="Workspace UUID or a member's email.")
        parser.add_argument("--seed", type=int, default=42, help="Random seed of the data.")
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="With --workspace: also replace the LACRM API key (printed once).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Seeding may connect a workspace: an operator's command, outside any request's scope.
        with scopes_disabled():
            self._seed(options)

    def _seed(self, options: dict) -> None:
        from integrations.sandbox.qbo import store as qbo_store

        if not 0.0 <= options["overlap"] <= 1.0:
            raise CommandError("--overlap must be between 0 and 1.")
        if options["customers"] < 0 or options["contacts"] < 0:
            raise CommandError("--customers and --contacts must not be negative.")
        workspace = find_workspace(options["workspace"]) if options["workspace"] else None
        started = time.perf_counter()
        data = build_dataset(
            options["customers"], options["contacts"], options["overlap"], seed=options["seed"]
        )
        generated = time.perf_counter()

        with transaction.atomic():
            company = qbo_store.company_for_workspace(workspace) if workspace else None
            if company is None:
                company = qbo_store.create_company(workspace=workspace, seed_demo=False)
            else:
                _clear_qbo(company)
            customers = qbo_store.load_customers(
                company,
                data.qbo_customers,
                invoices_per_customer=options["invoices_per_customer"],
                seed=options["seed"],
            )
        invoices = company.invoices.count()
        qbo_done = time.perf_counter()

        key = ""
        with transaction.atomic():
            account = lacrm_store.account_for_workspace(workspace) if workspace else None
            if account is None:
                account, key = lacrm_store.create_account(workspace=workspace, seed_demo=False)
            else:
                lacrm_store.clear_account(account)
                if options["new_key"]:
                    key = lacrm_store.regenerate_key(account)
            contacts = lacrm_store.load_contacts(account, data.lacrm_contacts)
        finished = time.perf_counter()

        out = self.stdout.write
        out(f"Workspace:          {workspace.name if workspace else '(none)'}")
        out(f"QBO realm id:       {company.realm_id} ({company.name})")
        out(f"QBO customers:      {customers} ({invoices} invoices)")
        out(f"LACRM account:      {account.uid} (UserId {account.user_id})")
        # The key is shown once, like LACRM's own settings page; it is never logged.
        out(f"LACRM API key:      {key or '(unchanged; use --new-key to replace it)'}")
        out(f"LACRM records:      {contacts} (from {len(data.lacrm_contacts)} contacts)")
        out(f"Overlapping:        {data.overlapping}")
        out(
            f"Seconds:            {finished - started:.2f} total (generate "
            f"{generated - started:.2f}, QBO {qbo_done - generated:.2f}, "
            f"LACRM {finished - qbo_done:.2f})"
        )
        logger.info(
            "sandbox_seed: realm %s %d customers, LACRM %s %d records in %.2fs",
            company.realm_id,
            customers,
            account.uid,
            contacts,
            finished - started,
        )
