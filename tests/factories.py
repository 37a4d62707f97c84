"""Factories shared by every module's tests."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("phone_number",)
        skip_postgeneration_save = True

    phone_number = factory.Sequence(lambda n: f"+57300{n:07d}")
    first_name = factory.Faker("first_name", locale="es_CO")
    last_name = factory.Faker("last_name", locale="es_CO")
    email = factory.LazyAttribute(lambda u: f"cliente{u.phone_number[-7:]}@example.com")
    is_active = True
    password = factory.PostGenerationMethodCall("set_password", "ClaveSegura123!")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if not create:
            return
        self.save()
        if extracted:
            from django.contrib.auth.models import Group

            for name in extracted:
                group, _ = Group.objects.get_or_create(name=name)
                self.groups.add(group)
