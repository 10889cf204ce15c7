"""Penalties: what a late cancellation or a no-show keeps under the space's policy.

A penalty is the money a booking keeps when it ends without taking place: a renter's
cancellation inside the policy's window keeps what the policy does not give back, a no-show
keeps the space's `no_show_fee_percent` of what was paid. The booking services charge it
(`do_charge_penalty`, in the transaction of the cancellation or the no-show); the ledger
posts the kept money as penalty revenue (ledger.booking_targets). An admin can waive one
with a reason (services/finance/waivers.py): the fee goes back to the renter.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from coworking_app.services.booking.pricing import div_round
from models import Booking, Penalty, PenaltyKind, PenaltyStatus


def no_show_fee(booking: Booking, fee_percent: int) -> int:
    """What a no-show keeps of the money the booking still holds."""
    held = booking.paid_minor - booking.refunded_minor
    return div_round(max(held, 0) * fee_percent, 100)


def do_charge_penalty(session: Session, booking: Booking, kind: PenaltyKind) -> Penalty | None:
    """Records the money the booking keeps now (after its refund) as a penalty of `kind`;
    nothing when it keeps nothing. Once per booking and kind."""
    amount = booking.paid_minor - booking.refunded_minor
    if amount <= 0:
        return None
    session.execute(insert(Penalty).values(
        booking_id=booking.id, kind=kind.value, amount_minor=amount, currency=booking.currency,
        status=PenaltyStatus.charged.value).on_conflict_do_nothing(constraint="uq_penalty_booking_kind"))
    return session.scalars(select(Penalty).where(Penalty.booking_id == booking.id,
                                                 Penalty.kind == kind.value)).one()
