"""VIP membership: subscribe with a stored card, monthly renewal, dunning, lapse, cancel.

No period is charged twice: each period is one ``VipCharge`` row (unique per
subscription and period start), it is only charged with the subscription row locked,
and never while one of its attempts is pending or after one was approved.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from modules.identity.public import extend_vip
from modules.payments import errors
from modules.payments.models import (
    Payment,
    PaymentKind,
    PaymentStatus,
    VipCharge,
    VipPlan,
    VipSubscription,
)
from modules.payments.public import (
    PURPOSE_VIP,
    PaymentFailed,
    PaymentOutcome,
    PaymentSettled,
    fail_attempt,
    request_refund,
)
from modules.payments.wompi.gateway import Acceptance, WompiError, get_gateway
from modules.payments.wompi.signatures import integrity_signature
from platform_core import audit
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


def get_acceptance() -> Acceptance:
    try:
        return get_gateway().get_acceptance()
    except WompiError as exc:
        raise errors.GatewayUnavailable() from exc


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
        template=f"payments/{template}",
        context={"name": user.first_name, "plan": sub.plan.name, **context},
        channels=None,  # the member's preferred channel
        idempotency_key=f"payments:{template}:{sub.public_id}:{key}",
    )


def subscribe(
    *,
    user: Any,
    plan_code: str,
    card_token: str,
    acceptance_token: str,
    personal_data_token: str,
    acceptance_permalink: str = "",
    personal_data_permalink: str = "",
) -> VipSubscription:
    """Create the Wompi payment source (private key) and charge the first month."""
    if not acceptance_token or not personal_data_token:
        raise errors.AcceptanceRequired()
    plan = VipPlan.objects.filter(code=plan_code, is_active=True).first()
    if plan is None:
        raise NotFound()
    email = user.email or f"{user.public_id}@clientes.studiozens.co"
    try:
        with transaction.atomic():
            sub = VipSubscription.objects.create(
                user=user,
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
        source = get_gateway().create_payment_source(
            token=card_token,
            customer_email=email,
            acceptance_token=acceptance_token,
            personal_auth_token=personal_data_token,
        )
    except WompiError as exc:
        VipSubscription.objects.filter(pk=sub.pk).update(status=Status.FAILED)
        if exc.retryable:
            raise errors.GatewayUnavailable() from exc
        raise errors.CardRejected() from exc
    public_data = source.get("public_data") or {}
    sub.vip_payment_token = str(source["id"])
    sub.payment_source_status = str(source.get("status", ""))[:20]
    sub.card_brand = str(public_data.get("brand", ""))[:20]
    sub.card_last_four = str(public_data.get("last_four", ""))[:4]
    sub.save()
    audit.record(
        "payments.vip_subscribed",
        actor=user,
        target=f"vip:{sub.public_id}",
        details={"plan": plan.code, "acceptance_recorded": True},
    )
    now = timezone.now()
    with transaction.atomic():
        locked = VipSubscription.objects.select_for_update().get(pk=sub.pk)
        payment = _open_charge(locked, period_start=now)
    if payment is not None:
        send_charge(payment.pk)  # after commit: no row lock held while Wompi answers
    sub.refresh_from_db()
    return sub


def _open_charge(sub: VipSubscription, *, period_start: datetime) -> Payment | None:
    """Decide, under the subscription's row lock (the caller's), whether the period starting
    at ``period_start`` is charged: not when it is paid or an attempt is in flight. Opens
    the attempt (a PENDING payment) and returns it; Wompi is asked only after commit
    (``send_charge``), so no lock is held during the call."""
    charge, _ = VipCharge.objects.get_or_create(
        subscription=sub,
        period_start=period_start,
        defaults={
            "period_end": period_end(_anchor(sub, period_start), period_start),
            "amount_cents": sub.plan.price_cents,
        },
    )
    if charge.paid or charge.payments.filter(status=PaymentStatus.PENDING).exists():
        return None
    if charge.payments.filter(status=PaymentStatus.APPROVED).exists():
        return None
    payment = Payment.objects.create(
        reference=_reference(),
        purpose=PURPOSE_VIP,
        purpose_ref=str(sub.public_id),
        user_id=sub.user_id,
        kind=PaymentKind.PAYMENT_SOURCE,
        amount_cents=charge.amount_cents,
        currency=sub.plan.currency,
        description=f"{sub.plan.name} {period_start:%Y-%m}",
        customer_email=sub.customer_email,
        vip_charge=charge,
        # An attempt whose outcome we never learn (timeout before Wompi answered, or the
        # process died before asking) must end: reconciliation looks it up by reference
        # after this and, if Wompi has no transaction for it, expires it, which counts as
        # a failed attempt (dunning).
        expires_at=timezone.now() + timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES),
    )
    charge.attempts += 1
    charge.save(update_fields=["attempts"])
    return payment


def send_charge(payment_pk: int) -> None:
    """Ask Wompi to charge an opened attempt with the stored payment source. Runs outside
    any transaction; what Wompi said is recorded in a second, short one."""
    payment = Payment.objects.select_related("vip_charge__subscription__plan").get(pk=payment_pk)
    if payment.status != PaymentStatus.PENDING or payment.wompi_transaction_id:
        return  # already sent (or settled by an event meanwhile)
    sub = payment.vip_charge.subscription
    try:
        tx = get_gateway().create_source_transaction(
            amount_in_cents=payment.amount_cents,
            currency=payment.currency,
            signature=integrity_signature(
                payment.reference,
                payment.amount_cents,
                payment.currency,
                settings.WOMPI_INTEGRITY_SECRET,
            ),
            customer_email=sub.customer_email,
            reference=payment.reference,
            payment_source_id=sub.vip_payment_token,
        )
    except WompiError as exc:
        logger.warning("VIP charge %s failed to start: %s", payment.reference, exc)
        _record_send_failure(payment_pk, exc)
        return
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment_pk)
        if not locked.wompi_transaction_id:  # an event may have recorded it first
            locked.wompi_transaction_id = str(tx.get("id", ""))[:64]
        if not locked.method:
            locked.method = str(tx.get("payment_method_type", "CARD"))[:32]
        locked.save(update_fields=["wompi_transaction_id", "method", "updated_at"])


def _record_send_failure(payment_pk: int, exc: WompiError) -> None:
    """Unknown outcome (timeout or 5xx after sending): the attempt stays PENDING;
    reconciliation finds the transaction by reference, or expires the attempt at
    expires_at if Wompi has none. A definite rejection, or a request that never left (open
    circuit, connection refused), ends the attempt now: nothing can have been charged."""
    if exc.retryable and exc.maybe_sent:
        return
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_pk)
        if payment.status != PaymentStatus.PENDING:
            return
        charge = VipCharge.objects.get(pk=payment.vip_charge_id)
        sub = VipSubscription.objects.select_for_update().get(pk=charge.subscription_id)
        if exc.retryable and sub.status != Status.PENDING:
            # Our side of the line is down (open circuit, connection refused): not the
            # member's failure. No dunning step, no "payment failed" message; the hourly
            # renewal run tries this period again.
            _abandon_unsent(payment, charge, exc)
            return
        fail_attempt(payment_reference=payment.reference, message=str(exc))


def _abandon_unsent(payment: Payment, charge: VipCharge, exc: Exception) -> None:
    payment.status = PaymentStatus.ERROR
    payment.status_message = f"no enviado a Wompi: {exc}"[:255]
    payment.finalized_at = timezone.now()
    payment.save(update_fields=["status", "status_message", "finalized_at", "updated_at"])
    charge.attempts -= 1
    charge.save(update_fields=["attempts"])


def _reference() -> str:
    from modules.payments.checkout import new_reference

    return new_reference("SZV")


def _refund_approval(payment: Payment, sub: VipSubscription, reason: str) -> None:
    """An approval the membership cannot use (period already paid, membership ended):
    the money goes back, never silently kept."""
    request_refund(
        purpose=PURPOSE_VIP,
        ref=payment.purpose_ref,
        reason=reason,
        payment_reference=payment.reference,
    )
    audit.record(
        "payments.vip_approval_refunded",
        target=f"vip:{sub.public_id}",
        details={"payment": payment.reference, "reason": reason, "status": sub.status},
    )


def handle_outcome(outcome: PaymentOutcome) -> None:
    """The handler of purpose payments.vip's outcomes (declared in the plugin), after the
    settling transaction committed. Idempotent: a re-delivered outcome changes nothing."""
    payment = Payment.objects.filter(reference=outcome.payment_reference).first()
    if payment is None:
        logger.warning("VIP outcome for unknown payment %s", outcome.payment_reference)
        return
    with transaction.atomic():
        if isinstance(outcome, PaymentSettled):
            if payment.vip_charge_id:
                on_charge_approved(payment)
            else:
                # A month bought through checkout takes nothing from anyone: honoured even
                # when paid after its link expired (staff still see the late flag).
                on_one_off_paid(payment)
        elif isinstance(outcome, PaymentFailed) and payment.vip_charge_id:
            on_charge_failed(payment)


def on_charge_approved(payment: Payment) -> None:
    """A VIP attempt was approved, also after a decline (a later approval wins). A
    period already paid by another attempt, or a membership that ended meanwhile,
    refunds this payment; a first charge that had failed activates the membership
    unless the member already has another live one."""
    charge = VipCharge.objects.select_related("subscription").get(pk=payment.vip_charge_id)
    sub = VipSubscription.objects.select_for_update().get(pk=charge.subscription_id)
    charge.refresh_from_db()  # under the subscription lock (renewals take it too)
    payment.refresh_from_db()
    approved = charge.payments.filter(status=PaymentStatus.APPROVED).exclude(pk=payment.pk)
    if payment.refund_requested or (
        charge.paid and not approved.filter(refund_requested=False).exists()
    ):
        return  # handled already: refunded, or this attempt is the one that paid the period
    paid_by_other = approved.exists()
    if charge.paid or paid_by_other:
        _refund_approval(payment, sub, "Periodo VIP ya pagado")
        return
    if sub.status in (Status.CANCELED, Status.LAPSED):
        _refund_approval(payment, sub, "Membresía VIP terminada")
        return
    if sub.status == Status.FAILED:
        # The first charge was declined, then paid: the membership starts after all,
        # unless the one-live-subscription constraint says another one took its place.
        try:
            with transaction.atomic():
                VipSubscription.objects.filter(pk=sub.pk).update(status=Status.PENDING)
        except IntegrityError:
            _refund_approval(payment, sub, "Ya existe otra membresía VIP")
            return
        sub.status = Status.PENDING
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


def on_charge_failed(payment: Payment) -> None:
    """Dunning: retry after VIP_DUNNING_RETRY_DAYS (1, 3, 5) from the due date, each
    failure notified; after the last retry fails the membership lapses."""
    charge = VipCharge.objects.get(pk=payment.vip_charge_id)
    sub = VipSubscription.objects.select_for_update().get(pk=charge.subscription_id)
    if sub.status == Status.PENDING:
        sub.status = Status.FAILED
        sub.save()
        _notify(sub, "vip_first_payment_failed", payment.reference)
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
    audit.record("payments.vip_lapsed", target=f"vip:{sub.public_id}")
    _notify(sub, "vip_lapsed", f"{charge.period_start:%Y%m%d}")


def run_renewals(*, limit: int = 500) -> dict[str, int]:
    """Beat task body: charge due periods, run due dunning retries, end canceled ones."""
    now = timezone.now()
    counts = {"charged": 0, "skipped": 0, "ended": 0}
    due = VipSubscription.objects.filter(
        status__in=(Status.ACTIVE, Status.PAST_DUE), current_period_end__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due[:limit]):
        payment = None
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
            payment = _open_charge(sub, period_start=sub.current_period_end)
            counts["charged" if payment else "skipped"] += 1
        if payment is not None:
            send_charge(payment.pk)  # the subscription lock is released: Wompi may be slow
    return counts


def cancel(*, user: Any) -> VipSubscription:
    """Stop renewing. An active membership stays VIP until its period ends."""
    with transaction.atomic():
        sub = (
            VipSubscription.objects.select_for_update()
            .filter(user_id=user.pk, status__in=VipSubscription.LIVE_STATUSES)
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
        audit.record("payments.vip_canceled", actor=user, target=f"vip:{sub.public_id}")
    return sub


def one_month_checkout(*, user: Any) -> Any:
    """A Web Checkout link for one VIP month without a stored card (assistant, web)."""
    from modules.payments.checkout import create_checkout

    plan = VipPlan.objects.filter(is_active=True).order_by("price_cents").first()
    if plan is None:
        raise NotFound()
    return create_checkout(
        purpose=PURPOSE_VIP,
        ref=f"{plan.code}:{user.public_id}:{timezone.now():%Y%m%d%H%M%S}",
        amount_cents=plan.price_cents,
        customer=user,
        description=f"{plan.name} (1 mes)",
    )


def on_one_off_paid(payment: Payment) -> None:
    """One VIP month bought through checkout: extend from today or from vip_until."""
    from modules.identity.public import get_user

    user = get_user(pk=payment.user_id)
    start = max(timezone.now(), user.vip_until or timezone.now())
    extend_vip(user.id, add_month(start))
