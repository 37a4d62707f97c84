"""HTTP for /api/booking/desk/fees/: staff list fees (by default the unpaid ones waiting
for a decision), waive one not charged yet or refund a charged one. Views parse and shape;
booking.fees decides (docs/booking.md "Fees").

No ``from __future__ import annotations`` here: ninja's ``paginate`` re-evaluates the
view's annotations in its own module, where a string ``Literal[...]`` cannot resolve."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.security import django_auth

from modules.booking import desk, fees
from modules.booking.schemas import DeskFeeOut, FeeActionIn
from platform_core.authentication import JWTAuth
from platform_core.pagination import Mapped, Pagination

router = Router(auth=[JWTAuth(), django_auth])
FeeStatus = Literal["", "DUE", "CHARGING", "CHARGED", "UNPAID", "WAIVED", "REFUNDED"]


@router.get(
    "/",
    response=list[DeskFeeOut],
    summary="No-show and late-cancellation fees (default: unpaid, for staff to decide)",
    operation_id="listDeskFees",
)
@paginate(Pagination)
def fee_list(request: HttpRequest, status: FeeStatus = "") -> Any:
    """Reception/admin: fees by status, newest first; without ``status`` the UNPAID ones
    (declined after every retry, or no card on file) that wait for a decision. Each fee
    carries ``actions``, the same as the calendar's appointment panel."""
    desk.require_desk(request.auth)
    return Mapped(fees.for_staff(status=status), fees.staff_fee_out)


@router.post(
    "/{fee_id}/waive/",
    response=DeskFeeOut,
    summary="Waive a fee not charged yet",
    operation_id="waiveDeskFee",
)
def fee_waive(request: HttpRequest, fee_id: str, payload: FeeActionIn) -> Any:
    """Forgive a DUE or UNPAID fee (audited: who, when, reason). 409 while an attempt is
    at Wompi (``fee_being_charged``) or once charged (refund it instead)."""
    desk.require_desk(request.auth)
    return fees.staff_fee_out(
        fees.waive(actor=request.auth, fee_public_id=fee_id, reason=payload.reason)
    )


@router.post(
    "/{fee_id}/refund/",
    response=DeskFeeOut,
    summary="Refund a charged fee",
    operation_id="refundDeskFee",
)
def fee_refund(request: HttpRequest, fee_id: str, payload: FeeActionIn) -> Any:
    """Give a CHARGED fee back through payments' refund (voided at Wompi after commit, or a
    manual refund for staff); audited, the client is told. 409 unless CHARGED."""
    desk.require_desk(request.auth)
    return fees.staff_fee_out(
        fees.refund(actor=request.auth, fee_public_id=fee_id, reason=payload.reason)
    )
