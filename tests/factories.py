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
