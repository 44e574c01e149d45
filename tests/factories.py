"""factory_boy factories for the test suite."""

from __future__ import annotations

import factory

from accounts.adapter import create_workspace_for
from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    """A user with an owned workspace, as sign-up would make them."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.django.Password("correct-horse-battery-staple")

    @factory.post_generation
    def workspace(self, create, extracted, **kwargs):
        if create:
            create_workspace_for(self, name=extracted)


def review_case(
    workspace,
    qbo_ids,
    lacrm_ids,
    reason: str = "Shared email",
    *,
    qbo_name: str = "Q {}",
    qbo_email: str = "q{}@example.com",
    lacrm_name: str = "L {}",
    lacrm_email: str = "l{}@example.com",
):
    """Ledger rows of one review case, as Sync New Contacts writes them (names from templates)."""
    from sync.models import ContactLink

    rows = []
    for system, ids, others in (("qbo", qbo_ids, lacrm_ids), ("lacrm", lacrm_ids, qbo_ids)):
        name, email = (qbo_name, qbo_email) if system == "qbo" else (lacrm_name, lacrm_email)
        for rid in ids:
            rows.append(
                ContactLink.objects.create(
                    workspace=workspace,
                    state=ContactLink.State.NEEDS_REVIEW,
                    reason=reason,
                    candidates=list(others),
                    **{
                        f"{system}_id": rid,
                        f"{system}_name": name.format(rid),
                        f"{system}_email": email.format(rid),
                    },
                )
            )
    return rows
