"""VIP membership: subscribe with a stored card, monthly renewal, dunning, lapse, cancel.

Membership is a payment purpose like a booking deposit: it asks ``payments.public`` for
money (a stored card, card-on-file charges, a one-month checkout) and reacts to payment
outcomes (``handlers``, declared in the plugin). No period is charged twice: each period
is one ``VipCharge`` row (unique per subscription and period start), it is only charged
with the subscription row locked, and never while one of its attempts is pending or after
one was approved.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from modules.identity.public import extend_vip, get_user
from modules.membership import errors
from modules.membership.models import (
    VipCharge,
    VipChargeAttempt,
    VipMonthPurchase,
    VipPlan,
    VipSubscription,
)
from modules.membership.public import PURPOSE_VIP
from modules.payments import public as payments
from platform_core import audit
from platform_core.accounts import UserRef
from platform_core.errors import NotFound
from platform_core.notifications import Recipient, notify

logger = logging.getLogger(__name__)
Status = VipSubscription.Status


def add_months(value: datetime, months: int = 1) -> datetime:
    """``months`` calendar months after ``value`` in the spa's wall time (TIME_ZONE,
    America/Bogota), the day clamped to the month's last day (31 Jan -> 28/29 Feb);
    returned in UTC. Computing in UTC would move a Bogotá evening to the next day."""
    local = value.astimezone(timezone.get_default_timezone())
    return (local + relativedelta(months=months)).astimezone(UTC)


def add_month(value: datetime) -> datetime:
    return add_months(value, 1)


def period_end(anchor: datetime, period_start: datetime) -> datetime:
    """End of the period that starts at ``period_start`` for a membership that started
    at ``anchor``: always counted from the anchor (31 Jan -> 28 Feb -> 31 Mar), never
    from the previous end, so a short month does not pull later days back."""
    tz = timezone.get_default_timezone()
    first, start = anchor.astimezone(tz), period_start.astimezone(tz)
    elapsed = (start.year - first.year) * 12 + (start.month - first.month)
    return add_months(anchor, max(0, elapsed) + 1)


def _anchor(sub: VipSubscription, period_start: datetime) -> datetime:
    """The membership's start: the first period's start (the first charge's own)."""
    first = (
        VipCharge.objects.filter(subscription=sub)
        .order_by("period_start")
        .values_list("period_start", flat=True)
        .first()
    )
    return first or period_start


def ensure_default_plan() -> VipPlan:
    plan, _ = VipPlan.objects.get_or_create(
        code="vip-mensual",
        defaults={
            "name": "VIP mensual",
            "description": "Beneficios VIP del spa, renovación mensual automática.",
            "price_cents": settings.VIP_DEFAULT_PRICE_CENTS,
        },
    )
    return plan


def _notify(sub: VipSubscription, template: str, key: str, **context: Any) -> None:
    user = sub.user
    notify(
        to=Recipient.from_user(user),
        template=f"membership/{template}",
        context={"name": user.first_name, "plan": sub.plan.name, **context},
        channels=None,  # the member's preferred channel
        # The key's prefix is the one payments used before the move (issue 16): a message
        # sent before the deploy is not sent again by a redelivered outcome after it.
        idempotency_key=f"payments:{template}:{sub.public_id}:{key}",
    )


def subscribe(
    *,
    user: UserRef,
    plan_code: str,
    card_token: str,
    acceptance_token: str,
    personal_data_token: str,
    acceptance_permalink: str = "",
    personal_data_permalink: str = "",
) -> VipSubscription:
    """Store the card at Wompi (payments' card on file) and charge the first month."""
    if not acceptance_token or not personal_data_token:
        raise errors.AcceptanceRequired()
    plan = VipPlan.objects.filter(code=plan_code, is_active=True).first()
    if plan is None:
        raise NotFound()
    email = payments.payer_email(public_id=user.public_id, email=get_user(pk=user.id).email)
    try:
        with transaction.atomic():
            sub = VipSubscription.objects.create(
                user_id=user.id,
                plan=plan,
                customer_email=email,
                acceptance_token=acceptance_token,
                acceptance_permalink=acceptance_permalink,
                personal_data_token=personal_data_token,
                personal_data_permalink=personal_data_permalink,
                accepted_at=timezone.now(),
            )
    except IntegrityError:
        raise errors.SubscriptionExists() from None
    try:
        source = payments.create_payment_source(
            card_token=card_token,
            customer_email=email,
            acceptance_token=acceptance_token,
            personal_data_token=personal_data_token,
        )
    except (payments.CardRejected, payments.GatewayUnavailable):
        VipSubscription.objects.filter(pk=sub.pk).update(status=Status.FAILED)
        raise
    sub.vip_payment_token = source.id
    sub.payment_source_status = source.status
    sub.card_brand = source.brand
    sub.card_last_four = source.last_four
    sub.save()
    audit.record(
        "membership.vip_subscribed",
        actor=user,
        target=f"vip:{sub.public_id}",
        details={"plan": plan.code, "acceptance_recorded": True},
    )
    now = timezone.now()
    with transaction.atomic():
        locked = VipSubscription.objects.select_for_update().get(pk=sub.pk)
        reference = _open_charge(locked, period_start=now)
    if reference is not None:
        send_charge(reference)  # after commit: no row lock held while Wompi answers
    sub.refresh_from_db()
    return sub


def _attempt_statuses(charge: VipCharge) -> dict[str, str]:
    references = list(charge.attempt_links.values_list("payment_reference", flat=True))
    return payments.attempt_statuses(references=references) if references else {}


def _open_charge(sub: VipSubscription, *, period_start: datetime) -> str | None:
    """Decide, under the subscription's row lock (the caller's), whether the period starting
    at ``period_start`` is charged: not when it is paid or an attempt is in flight. Opens
    the attempt (a PENDING payment, in this transaction) and returns its reference; Wompi
    is asked only after commit (``send_charge``), so no lock is held during the call."""
    charge, _ = VipCharge.objects.get_or_create(
        subscription=sub,
        period_start=period_start,
        defaults={
            "period_end": period_end(_anchor(sub, period_start), period_start),
            "amount_cents": sub.plan.price_cents,
        },
    )
    statuses = set(_attempt_statuses(charge).values())
    if charge.paid or statuses & {"PENDING", "APPROVED"}:
        return None
    attempt = payments.open_source_charge(
        purpose=PURPOSE_VIP,
        ref=str(sub.public_id),
        amount_cents=charge.amount_cents,
        currency=sub.plan.currency,
        user_id=sub.user_id,
        customer_email=sub.customer_email,
        description=f"{sub.plan.name} {period_start:%Y-%m}",
        reference_prefix="SZV",
    )
    VipChargeAttempt.objects.create(charge=charge, payment_reference=attempt.reference)
    charge.attempts += 1
    charge.save(update_fields=["attempts"])
    return attempt.reference


def send_charge(reference: str) -> None:
    """Ask Wompi (through payments) to charge an opened attempt to the stored card. Runs
    outside any transaction.

    Unknown outcome (timeout or 5xx after sending): the attempt stays PENDING;
    reconciliation finds the transaction by reference, or expires it (payment_failed).
    A definite rejection, or a request that never left (open circuit, connection
    refused), ends the attempt now: nothing can have been charged."""
    link = VipChargeAttempt.objects.select_related("charge__subscription").get(
        payment_reference=reference
    )
    sub = link.charge.subscription
    result = payments.send_source_charge(
        reference=reference, payment_source_id=sub.vip_payment_token
    )
    if result.sent or (result.retryable and result.maybe_sent):
        return
    abandoned = False
    if result.retryable:
        with transaction.atomic():
            sub = VipSubscription.objects.select_for_update().get(pk=sub.pk)
            if sub.status != Status.PENDING:
                # Our side of the line is down (open circuit, connection refused): not
                # the member's failure. No dunning step, no "payment failed" message; the
                # hourly renewal run tries this period again.
                abandoned = _abandon(link)
    payments.fail_attempt(
        payment_reference=reference,
        message=f"no enviado a Wompi: {result.message}" if abandoned else result.message,
    )


def _abandon(link: VipChargeAttempt) -> bool:
    """Withdraw an attempt that never reached Wompi (under the subscription's lock): its
    failure will not count for dunning, and the period's attempt count goes back."""
    link = VipChargeAttempt.objects.select_for_update().get(pk=link.pk)
    if link.outcome:
        return False  # its outcome arrived meanwhile
    link.outcome = VipChargeAttempt.Outcome.ABANDONED
    link.save(update_fields=["outcome"])
    VipCharge.objects.filter(pk=link.charge_id).update(attempts=F("attempts") - 1)
    return True


def _refund_approval(ref: str, payment_reference: str, sub: VipSubscription, reason: str) -> None:
    """An approval the membership cannot use (period already paid, membership ended):
    the money goes back, never silently kept."""
    payments.request_refund(
        purpose=PURPOSE_VIP, ref=ref, reason=reason, payment_reference=payment_reference
    )
    audit.record(
        "membership.vip_approval_refunded",
        target=f"vip:{sub.public_id}",
        details={"payment": payment_reference, "reason": reason, "status": sub.status},
    )


def on_payment_settled(*, ref: str, payment_reference: str, user_id: int | None) -> None:
    """A VIP payment was approved: a stored-card attempt pays its period; a month bought
    through checkout extends the member's VIP. Idempotent (outcomes may be redelivered)."""
    if VipChargeAttempt.objects.filter(payment_reference=payment_reference).exists():
        on_charge_approved(ref=ref, payment_reference=payment_reference)
    elif user_id is not None:
        # A month bought through checkout takes nothing from anyone: honoured even when
        # paid after its link expired (staff still see the late flag).
        on_one_off_paid(payment_reference=payment_reference, user_id=user_id)


def on_payment_failed(*, payment_reference: str) -> None:
    """A VIP attempt ended without money: a stored-card attempt counts for dunning (a
    failed one-month checkout changes nothing)."""
    if VipChargeAttempt.objects.filter(payment_reference=payment_reference).exists():
        on_charge_failed(payment_reference=payment_reference)


def on_charge_approved(*, ref: str, payment_reference: str) -> None:
    """A stored-card attempt was approved, also after a decline (a later approval wins).
    A period already paid by another attempt, or a membership that ended meanwhile,
    refunds this payment; a first charge that had failed activates the membership unless
    the member already has another live one. Applied once per attempt."""
    Outcome = VipChargeAttempt.Outcome
    with transaction.atomic():
        link = VipChargeAttempt.objects.select_related("charge").get(
            payment_reference=payment_reference
        )
        sub = VipSubscription.objects.select_for_update().get(pk=link.charge.subscription_id)
        link = VipChargeAttempt.objects.select_for_update().get(pk=link.pk)
        if link.outcome in (Outcome.PAID, Outcome.REFUNDED):
            return  # a redelivered outcome: already applied
        charge = VipCharge.objects.get(pk=link.charge_id)  # read under the subscription lock
        others = [
            r
            for r in charge.attempt_links.values_list("payment_reference", flat=True)
            if r != payment_reference
        ]
        paid_by_other = bool(others) and "APPROVED" in set(
            payments.attempt_statuses(references=others).values()
        )
        reason = ""
        if charge.paid or paid_by_other:
            reason = "Periodo VIP ya pagado"
        elif sub.status in (Status.CANCELED, Status.LAPSED):
            reason = "Membresía VIP terminada"
        elif sub.status == Status.FAILED:
            # The first charge was declined, then paid: the membership starts after all,
            # unless the one-live-subscription constraint says another one took its place.
            try:
                with transaction.atomic():
                    VipSubscription.objects.filter(pk=sub.pk).update(status=Status.PENDING)
                sub.status = Status.PENDING
            except IntegrityError:
                reason = "Ya existe otra membresía VIP"
        if reason:
            link.outcome = Outcome.REFUNDED
            link.save(update_fields=["outcome"])
            _refund_approval(ref, payment_reference, sub, reason)
            return
        link.outcome = Outcome.PAID
        link.save(update_fields=["outcome"])
        charge.paid = True
        charge.save(update_fields=["paid"])
        sub.current_period_start = charge.period_start
        sub.current_period_end = charge.period_end
        sub.failed_attempts = 0
        sub.past_due_since = None
        sub.next_retry_at = None
        if sub.status in (Status.PENDING, Status.PAST_DUE):
            sub.status = Status.ACTIVE
        sub.save()
        extend_vip(sub.user_id, charge.period_end)
        _notify(
            sub,
            "vip_payment_approved",
            f"{charge.period_start:%Y%m%d}",
            until=timezone.localtime(charge.period_end).strftime("%d/%m/%Y"),
        )


def on_charge_failed(*, payment_reference: str) -> None:
    """Dunning: retry after VIP_DUNNING_RETRY_DAYS (1, 3, 5) from the due date, each
    failure notified; after the last retry fails the membership lapses. Applied once per
    attempt; an attempt withdrawn before it reached Wompi is no failure of the member."""
    Outcome = VipChargeAttempt.Outcome
    with transaction.atomic():
        link = VipChargeAttempt.objects.select_related("charge").get(
            payment_reference=payment_reference
        )
        sub = VipSubscription.objects.select_for_update().get(pk=link.charge.subscription_id)
        link = VipChargeAttempt.objects.select_for_update().get(pk=link.pk)
        if link.outcome:
            return  # applied before, paid meanwhile, or withdrawn unsent
        link.outcome = Outcome.FAILED
        link.save(update_fields=["outcome"])
        _dunning_step(sub, link.charge, payment_reference)


def _dunning_step(sub: VipSubscription, charge: VipCharge, payment_reference: str) -> None:
    if sub.status == Status.PENDING:
        sub.status = Status.FAILED
        sub.save()
        _notify(sub, "vip_first_payment_failed", payment_reference)
        return
    if sub.status not in (Status.ACTIVE, Status.PAST_DUE):
        return
    sub.failed_attempts += 1
    schedule = settings.VIP_DUNNING_RETRY_DAYS
    if sub.failed_attempts <= len(schedule):
        sub.status = Status.PAST_DUE
        sub.past_due_since = sub.past_due_since or charge.period_start
        sub.next_retry_at = charge.period_start + timedelta(days=schedule[sub.failed_attempts - 1])
        sub.save()
        _notify(
            sub,
            "vip_payment_failed",
            f"{charge.period_start:%Y%m%d}:{sub.failed_attempts}",
            retry_on=timezone.localtime(sub.next_retry_at).strftime("%d/%m/%Y"),
        )
        return
    sub.status = Status.LAPSED
    sub.lapsed_at = timezone.now()
    sub.next_retry_at = None
    sub.save()
    audit.record("membership.vip_lapsed", target=f"vip:{sub.public_id}")
    _notify(sub, "vip_lapsed", f"{charge.period_start:%Y%m%d}")


def run_renewals(*, limit: int = 500) -> dict[str, int]:
    """Beat task body: charge due periods, run due dunning retries, end canceled ones."""
    now = timezone.now()
    counts = {"charged": 0, "skipped": 0, "ended": 0}
    due = VipSubscription.objects.filter(
        status__in=(Status.ACTIVE, Status.PAST_DUE), current_period_end__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due[:limit]):
        reference = None
        with transaction.atomic():
            sub = (
                VipSubscription.objects.select_for_update()
                .select_related("plan", "user")
                .get(pk=pk)
            )
            if sub.status not in (Status.ACTIVE, Status.PAST_DUE) or sub.current_period_end > now:
                counts["skipped"] += 1
                continue
            if sub.cancel_at_period_end:
                sub.status = Status.CANCELED
                sub.save()
                counts["ended"] += 1
                continue
            if sub.status == Status.PAST_DUE and (sub.next_retry_at or now) > now:
                counts["skipped"] += 1
                continue
            reference = _open_charge(sub, period_start=sub.current_period_end)
            counts["charged" if reference else "skipped"] += 1
        if reference is not None:
            send_charge(reference)  # the subscription lock is released: Wompi may be slow
    return counts


def cancel(*, user: UserRef) -> VipSubscription:
    """Stop renewing. An active membership stays VIP until its period ends."""
    with transaction.atomic():
        sub = (
            VipSubscription.objects.select_for_update()
            .filter(user_id=user.id, status__in=VipSubscription.LIVE_STATUSES)
            .first()
        )
        if sub is None:
            raise NotFound()
        sub.cancel_at_period_end = True
        sub.canceled_at = timezone.now()
        if sub.status != Status.ACTIVE:
            sub.status = Status.CANCELED
            sub.next_retry_at = None
        sub.save()
        audit.record("membership.vip_canceled", actor=user, target=f"vip:{sub.public_id}")
    return sub


def one_month_checkout(*, user: UserRef) -> payments.CheckoutDTO:
    """A Web Checkout link for one VIP month without a stored card (assistant, web)."""
    plan = VipPlan.objects.filter(is_active=True).order_by("price_cents").first()
    if plan is None:
        raise NotFound()
    return payments.create_checkout(
        purpose=PURPOSE_VIP,
        ref=f"{plan.code}:{user.public_id}:{timezone.now():%Y%m%d%H%M%S}",
        amount_cents=plan.price_cents,
        customer=get_user(pk=user.id),
        description=f"{plan.name} (1 mes)",
    )


def on_one_off_paid(*, payment_reference: str, user_id: int) -> None:
    """One VIP month bought through checkout: extend from today or from vip_until, once
    per payment (the unique ``VipMonthPurchase`` row)."""
    with transaction.atomic():
        purchase, created = VipMonthPurchase.objects.get_or_create(
            payment_reference=payment_reference, defaults={"user_id": user_id}
        )
        if not created:
            return
        user = get_user(pk=user_id)
        start = max(timezone.now(), user.vip_until or timezone.now())
        purchase.until = extend_vip(user_id, add_month(start))
        purchase.save(update_fields=["until"])
