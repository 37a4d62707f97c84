"""has_role / roles_of read a user's memberships once per process until a membership or a
group changes (modules.identity.memberships): the answer never outlives the change."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from modules.identity import memberships, public
from modules.identity.selectors import roles_of
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh() -> None:
    memberships.forget()


def _fresh_instance(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.django_db(transaction=True)
def test_memberships_are_read_once_per_process(django_assert_num_queries) -> None:
    user = UserFactory(roles=["reception"])
    with django_assert_num_queries(1):
        assert public.has_role(user, public.RECEPTION, public.ADMIN)
    again = _fresh_instance(user)  # the next request's request.auth
    with django_assert_num_queries(0):
        assert public.has_role(again, public.RECEPTION)
        assert not public.has_role(again, public.THERAPIST)
        assert roles_of(again) == ["reception"]


@pytest.mark.django_db(transaction=True)
def test_every_change_is_seen_at_once() -> None:
    user = UserFactory(roles=["reception"])
    assert public.has_role(user, public.RECEPTION)
    user.groups.remove(Group.objects.get(name="reception"))
    assert not public.has_role(_fresh_instance(user), public.RECEPTION)
    admin, _ = Group.objects.get_or_create(name="admin")
    admin.user_set.add(user)  # from the group's side
    assert public.has_role(_fresh_instance(user), public.ADMIN)
    assert roles_of(_fresh_instance(user)) == ["admin"]
    admin.delete()
    assert not public.has_role(_fresh_instance(user), public.ADMIN)
    assert roles_of(_fresh_instance(user)) == []


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_changes_memberships_reads_its_own_and_keeps_nothing() -> None:
    user = UserFactory(roles=["client"])
    assert not public.has_role(user, public.ADMIN)
    admin, _ = Group.objects.get_or_create(name="admin")
    with pytest.raises(RuntimeError), transaction.atomic():
        user.groups.add(admin)
        assert public.has_role(_fresh_instance(user), public.ADMIN)  # its own change
        raise RuntimeError("rolled back")
    assert not public.has_role(_fresh_instance(user), public.ADMIN)  # nothing kept
    assert roles_of(_fresh_instance(user)) == ["client"]


@pytest.mark.django_db(transaction=True)
def test_superusers_and_references_keep_their_answers(django_assert_num_queries) -> None:
    root = UserFactory(is_superuser=True)
    with django_assert_num_queries(0):
        assert public.has_role(root, public.ADMIN)
    user = UserFactory(roles=["therapist"])
    dto = public.to_dto(user)
    assert public.has_role(dto, public.THERAPIST)  # a DTO: the database answers, as before
    get_user_model().objects.filter(pk=user.pk).update(is_superuser=True)
    assert public.has_role(dto, public.ADMIN)
