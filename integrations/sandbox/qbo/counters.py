"""Handing out entity Ids: one counter per realm, bumped atomically in Postgres."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from integrations.sandbox.qbo.models import SandboxQboCompany


def allocate_ids(company: SandboxQboCompany, count: int = 1) -> int:
    """Reserve ``count`` consecutive Ids and return the first.

    The UPDATE row-locks the company until the surrounding transaction ends, which also
    serialises name-uniqueness checks of concurrent creates in one realm.
    """
    if count < 1:
        raise ValueError("count must be positive")
    with transaction.atomic():
        updated = SandboxQboCompany.objects.filter(pk=company.pk).update(
            next_id=F("next_id") + count
        )
        if not updated:
            raise SandboxQboCompany.DoesNotExist(company.pk)
        next_id = SandboxQboCompany.objects.values_list("next_id", flat=True).get(pk=company.pk)
    return next_id - count
