"""``manage.py sandbox_seed`` end to end, with small numbers."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.sandbox.lacrm.models import SandboxLacrmAccount, SandboxLacrmContact
from integrations.sandbox.lacrm.store import account_for_key, account_for_workspace
from integrations.sandbox.qbo.models import SandboxQboCompany
from integrations.sandbox.qbo.store import company_for_workspace


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("sandbox_seed", *args, stdout=out)
    return out.getvalue()


def _field(output: str, label: str) -> str:
    return re.search(rf"^{label}:\s+(.+)$", output, re.M).group(1)


def test_seed_creates_a_company_and_an_account_with_the_dataset(db):
    output = _seed("--customers", "50", "--contacts", "40", "--overlap", "0.5",
                   "--invoices-per-customer", "2")  # fmt: skip
    realm_id = _field(output, "QBO realm id").split()[0]
    company = SandboxQboCompany.objects.get(realm_id=realm_id)
    assert company.names.filter(entity="Customer").count() == 50
    assert company.invoices.count() == 100
    key = _field(output, "LACRM API key")
    account = account_for_key(key)
    assert account is not None and account.workspace is None
    assert account.contacts.count() == 40
    assert _field(output, "Overlapping") == "20"
    assert re.match(r"[\d.]+ total", _field(output, "Seconds"))


def test_seed_replaces_a_workspaces_data_and_keeps_its_key(alice):
    workspace = alice.memberships.get().workspace
    first = _seed("--customers", "10", "--contacts", "10", "--workspace", alice.email)
    key = _field(first, "LACRM API key")
    company = company_for_workspace(workspace)
    account = account_for_workspace(workspace)
    assert company is not None and account_for_key(key) == account

    second = _seed("--customers", "20", "--contacts", "15", "--overlap", "0",
                   "--workspace", str(workspace.pk))  # fmt: skip
    assert "unchanged" in _field(second, "LACRM API key")
    assert company_for_workspace(workspace).pk == company.pk
    assert company.names.filter(entity="Customer").count() == 20
    assert SandboxLacrmContact.objects.filter(account=account).count() == 15
    assert account_for_key(key) == account  # the existing connection keeps working
    assert SandboxLacrmAccount.objects.count() == 1

    third = _seed("--customers", "1", "--contacts", "1", "--workspace", alice.email, "--new-key")
    assert account_for_key(key) is None
    assert account_for_key(_field(third, "LACRM API key")) == account


def test_seed_refuses_an_unknown_workspace_and_bad_overlap(db):
    with pytest.raises(CommandError, match="No workspace"):
        _seed("--workspace", "nobody@example.com")
    with pytest.raises(CommandError, match="overlap"):
        _seed("--overlap", "1.5")
