"""Penalties: what a late cancellation or a no-show keeps under the space's policy.

A penalty is the money a booking keeps when it ends without taking place: a renter's
cancellation inside the policy's window keeps what the policy does not give back, a no-show
keeps the space's `no_show_fee_percent` of what was paid. The booking services charge it
(`do_charge_penalty`, in the transaction of the cancellation or the no-show); the ledger
posts the kept money as penalty revenue (ledger.booking_targets). An admin can waive one
with a reason (services/finance/waivers.py): the fee goes back to the renter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from coworking_app.services.booking.pricing import div_round
from coworking_app.formatting import PENALTY_KIND_LABELS, PENALTY_STATUS_LABELS
from models import Booking, Penalty, PenaltyKind, PenaltyStatus


def no_show_fee(booking: Booking, fee_percent: int) -> int:
    """What a no-show keeps of the money the booking still holds."""
    held = booking.paid_minor - booking.refunded_minor
    return div_round(max(held, 0) * fee_percent, 100)


def do_charge_penalty(session: Session, booking: Booking, kind: PenaltyKind, amount: int) -> Penalty | None:
    """Records `amount` the booking keeps as a penalty of `kind` (before the refund of the
    rest, so that the ledger entry which books the fee names it); nothing for 0. Once per
    booking and kind."""
    if amount <= 0:
        return None
    session.execute(insert(Penalty).values(
        booking_id=booking.id, kind=kind.value, amount_minor=amount, currency=booking.currency,
        status=PenaltyStatus.charged.value).on_conflict_do_nothing(constraint="uq_penalty_booking_kind"))
    return session.scalars(select(Penalty).where(Penalty.booking_id == booking.id,
                                                 Penalty.kind == kind.value)).one()


@dataclass(frozen=True)
class PenaltyOut:
    id: int
    booking_id: int
    space: str
    kind: str
    kind_label: str
    amount_minor: int
    currency: str
    status: str
    status_label: str
    waive_reason: str | None
    created_at: datetime


def booking_penalties(session: Session, booking_ids: list[int]) -> dict[int, list[PenaltyOut]]:
    """Penalties of these bookings, for receipts and booking views."""
    out: dict[int, list[PenaltyOut]] = {}
    if not booking_ids:
        return out
    for p in session.scalars(select(Penalty).where(Penalty.booking_id.in_(booking_ids)).order_by(Penalty.id)):
        out.setdefault(p.booking_id, []).append(PenaltyOut(
            p.id, p.booking_id, "", p.kind, PENALTY_KIND_LABELS[p.kind], p.amount_minor, p.currency,
            p.status, PENALTY_STATUS_LABELS[p.status], p.waive_reason, p.created_at))
    return out

