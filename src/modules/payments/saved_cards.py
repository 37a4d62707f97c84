"""A client's card on file (issue 17 item 1), on top of ``card_on_file``'s payment sources.

Saving: the user accepted Wompi's two documents (``card_acceptance``), the browser
tokenized the card (``tok_…``); Wompi turns the token into a payment source (a provider
call, made before any transaction opens), then the card is stored — one per user,
``payment_source_id`` encrypted at rest — with the acceptance it was created with.
Replacing or deleting voids the previous source at Wompi after commit
(``PUT /payment_sources/{id}/void``), never under a lock; a void Wompi refuses is logged
and audited (the card is gone from our side either way). Erasure deletes the card the same
way. A purpose charges it later through ``card_on_file``'s ``open_source_charge`` /
``send_source_charge`` with ``source_for_user``.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from modules.payments import errors
from modules.payments.card_on_file import create_payment_source
from modules.payments.dtos import SavedCardDTO
from modules.payments.models import SavedCard
from modules.payments.wompi.gateway import WompiError, get_gateway
from platform_core import audit
from platform_core.accounts import UserRef
from platform_core.errors import NotFound

logger = logging.getLogger(__name__)


def _dto(card: SavedCard) -> SavedCardDTO:
    return SavedCardDTO(
        id=card.public_id,
        brand=card.brand,
        last_four=card.last_four,
        status=card.source_status,
        accepted_at=card.accepted_at,
        acceptance_permalink=card.acceptance_permalink,
        personal_data_permalink=card.personal_data_permalink,
        created_at=card.created_at,
        updated_at=card.updated_at,
    )


def saved_card(user: UserRef) -> SavedCardDTO:
    """The user's card, masked. Raises ``NotFound`` when there is none."""
    card = SavedCard.objects.filter(user_id=user.id).first()
    if card is None:
        raise NotFound()
    return _dto(card)


def card_of(user_id: int) -> SavedCardDTO | None:
    """The user's card, masked, or None (for a purpose that needs one on file)."""
    card = SavedCard.objects.filter(user_id=user_id).first()
    return _dto(card) if card else None


def source_for_user(user_id: int) -> str | None:
    """The Wompi payment-source id of the user's card (for a purpose's charge), or None."""
    card = SavedCard.objects.filter(user_id=user_id).first()
    return card.payment_source_id if card else None


def _void_after_commit(source_id: str, user: UserRef, why: str) -> None:
    def void() -> None:
        try:
            get_gateway().void_payment_source(source_id)
        except WompiError as exc:
            logger.warning("Wompi did not void a payment source (%s): %s", why, exc)
            audit.record(
                "payments.card_void_failed",
                actor=user,
                target=f"user:{user.public_id}",
                details={"why": why, "error": str(exc)[:200]},
            )

    transaction.on_commit(void)


def save_card(
    *,
    user: UserRef,
    customer_email: str,
    card_token: str,
    acceptance_token: str,
    personal_data_token: str,
    acceptance_permalink: str = "",
    personal_data_permalink: str = "",
) -> SavedCardDTO:
    """Store (or replace) the user's card with the acceptance it was given. Raises
    ``CardRejected`` when a token is missing or Wompi refuses the card or the tokens,
    ``GatewayUnavailable`` when Wompi cannot be reached (nothing is stored then)."""
    if not acceptance_token or not personal_data_token:
        raise errors.CardRejected()
    source = create_payment_source(  # Wompi first: no lock is held while it answers
        card_token=card_token,
        customer_email=customer_email,
        acceptance_token=acceptance_token,
        personal_data_token=personal_data_token,
    )
    with transaction.atomic():
        card = SavedCard.objects.select_for_update().filter(user_id=user.id).first()
        replaced = card.payment_source_id if card else ""
        card = card or SavedCard(user_id=user.id)
        card.payment_source_id = source.id
        card.source_status = source.status
        card.brand, card.last_four = source.brand, source.last_four
        card.customer_email = customer_email
        card.acceptance_token, card.acceptance_permalink = acceptance_token, acceptance_permalink
        card.personal_data_token = personal_data_token
        card.personal_data_permalink = personal_data_permalink
        card.accepted_at = timezone.now()
        card.save()
        audit.record(
            "payments.card_replaced" if replaced else "payments.card_saved",
            actor=user,
            target=f"user:{user.public_id}",
            details={"brand": source.brand, "last_four": source.last_four, "acceptance": True},
        )
        if replaced and replaced != source.id:
            _void_after_commit(replaced, user, "replaced")
    return _dto(card)


def delete_card(user: UserRef, *, why: str = "deleted") -> bool:
    """Delete the user's card and void its source at Wompi after commit. False when there
    was none."""
    with transaction.atomic():
        card = SavedCard.objects.select_for_update().filter(user_id=user.id).first()
        if card is None:
            return False
        source_id = card.payment_source_id
        card.delete()
        audit.record("payments.card_deleted", actor=user, target=f"user:{user.public_id}")
        _void_after_commit(source_id, user, why)
    return True
