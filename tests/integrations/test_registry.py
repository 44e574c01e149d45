"""The provider registry and the role protocols the engine reaches providers through."""

from __future__ import annotations

import inspect

import pytest

from integrations import registry
from integrations.lacrm.client import LacrmClient
from integrations.protocols import CRM, AccountingSystem
from integrations.quickbooks.client import QuickBooksClient


def protocol_members(protocol) -> set[str]:
    return {
        name
        for klass in protocol.__mro__
        if klass.__module__ == "integrations.protocols"
        for name in vars(klass)
        if not name.startswith("_")
    }


def test_each_provider_app_registered_itself_in_its_role():
    assert [(p.key, p.role) for p in registry.providers()] == [
        ("qbo", registry.ACCOUNTING),
        ("lacrm", registry.CRM_ROLE),
    ]
    assert registry.for_role(registry.ACCOUNTING).name == "QuickBooks"
    assert registry.name("lacrm") == "Less Annoying CRM"


@pytest.mark.parametrize(
    ("client", "protocol"), [(QuickBooksClient, AccountingSystem), (LacrmClient, CRM)]
)
def test_clients_offer_every_method_of_their_role(client, protocol):
    for name in protocol_members(protocol):
        assert hasattr(client, name), f"{client.__name__} lacks {name}"
        wanted = getattr(protocol, name)
        if inspect.isfunction(wanted):
            params = list(inspect.signature(wanted).parameters)
            offered = list(inspect.signature(getattr(client, name)).parameters)
            assert offered[: len(params)] == params, f"{client.__name__}.{name}{offered}"


def test_a_second_provider_for_a_taken_role_is_refused():
    with pytest.raises(ValueError, match="already fills the crm role"):
        registry.register(
            registry.Provider(
                key="othercrm",
                name="Other CRM",
                role=registry.CRM_ROLE,
                client=lambda ws: None,
                status=lambda ws: {},
            )
        )
    with pytest.raises(registry.UnknownProvider):
        registry.get("othercrm")
