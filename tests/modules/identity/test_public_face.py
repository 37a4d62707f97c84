"""identity.public hands out frozen DTOs, never model instances, and takes users as UserRef."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from modules.identity import public
from tests.factories import UserFactory


@pytest.mark.django_db
def test_every_lookup_returns_a_frozen_dto() -> None:
    user = UserFactory(roles=["reception"], is_staff=True)
    found = [
        public.get_user(pk=user.pk),
        public.get_user(public_id=user.public_id),
        public.get_user_by_phone(user.phone_number),
        *public.users_with_role(public.RECEPTION),
        public.get_or_create_client_by_phone(user.phone_number),
        public.invite_desk_client(user.phone_number)[0],
        public.to_dto(user),
    ]
    for dto in found:
        assert type(dto) is public.UserDTO and not isinstance(dto, get_user_model())
        assert dto.id == user.pk and dto.public_id == user.public_id and dto.is_staff
        with pytest.raises(dataclasses.FrozenInstanceError):
            dto.first_name = "otra"  # type: ignore[misc]
    assert public.to_dto(found[0]) is found[0]


@pytest.mark.django_db
def test_a_user_ref_is_any_object_with_the_account_id() -> None:
    """Functions that take a user accept the model instance, the DTO or just a reference."""

    @dataclasses.dataclass(frozen=True)
    class Ref:
        id: int
        public_id: object

    user = UserFactory(roles=["reception"])
    for ref in (user, public.to_dto(user), Ref(user.pk, user.public_id)):
        assert public.has_role(ref, public.RECEPTION)
        assert not public.has_role(ref, public.ADMIN)
        assert not public.is_vip(ref)
        assert public.to_dto(ref) == public.to_dto(user)
    assert not public.has_role(None, public.RECEPTION)


# Every module's public face (discovered: a new module is checked without an edit here).
TYPED_FACES = sorted(
    path.parent.name
    for path in (Path(__file__).resolve().parents[3] / "src" / "modules").glob("*/public.py")
)


@pytest.mark.parametrize("name", TYPED_FACES)
def test_public_faces_type_their_users_and_results(name: str) -> None:
    """No parameter or result of a public face is ``Any``: users are UserRef (or a DTO)."""
    assert {"identity", "booking", "shop", "assistant"} <= set(TYPED_FACES)
    face = importlib.import_module(f"modules.{name}.public")
    untyped = []
    names = getattr(face, "__all__", None) or [n for n in vars(face) if not n.startswith("_")]
    for attr in names:
        fn = getattr(face, attr)
        if not inspect.isfunction(fn):
            continue
        for param, annotation in inspect.get_annotations(fn).items():
            if "Any" in str(annotation):
                untyped.append(f"{name}.public.{attr}: {param}: {annotation}")
    assert untyped == []
