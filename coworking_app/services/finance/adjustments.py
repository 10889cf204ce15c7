"""What admins change in money by hand, each with a reason and in the audit log: waiving a
penalty, and a goodwill refund of a booking (also after it completed: the owner's share of
it comes off their next payout, services/finance/ledger.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import PENALTY_KIND_LABELS, PENALTY_STATUS_LABELS, format_money
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound
from coworking_app.services.common.text import check_chars
from coworking_app.services.finance.penalties import PenaltyOut
from coworking_app.services.messaging.notifications import do_notify
from coworking_app.services.payments.payments import do_refund_booking
from models import Booking, Penalty, PenaltyStatus, Role, Space, User
from coworking_app.i18n import tr


def _reason(value: str | None) -> str:
    reason = check_chars("reason", (value or "").strip()[:500], multiline=True)
    if not reason:
        raise InvalidInput("reason", tr("Укажите причину: она попадёт в журнал и в уведомление гостю"))
    return reason


def do_waive_penalty(session: Session, effects: Effects, user: User | None, penalty_id: int,
                     reason: str, *, now: datetime | None = None) -> Penalty:
    """An admin waives a penalty: the fee goes back to the renter the way they paid, the
    ledger reverses it (the owner's share too), the renter is told why."""
    admin = check_role(user, Role.admin)
    penalty = session.get(Penalty, penalty_id, with_for_update=True) if 0 < penalty_id < 2**31 else None
    if penalty is None:
        raise NotFound(tr("Штраф не найден"))
    reason = _reason(reason)
    if penalty.status != PenaltyStatus.charged:
        raise Conflict("status", tr("штраф уже {lower}", lower=PENALTY_STATUS_LABELS[penalty.status].lower()))
    booking = session.get(Booking, penalty.booking_id, with_for_update=True)
    back = min(penalty.amount_minor, booking.paid_minor - booking.refunded_minor)
    penalty.status, penalty.waived_by = PenaltyStatus.waived.value, admin.id
    penalty.waive_reason, penalty.waived_at = reason, now or datetime.now(timezone.utc)
    if back > 0:
        do_refund_booking(session, effects, booking, back, reason=tr("штраф отменён: {reason}", reason=reason)[:255],
                          ledger_kind="penalty_waived", actor_id=admin.id)
    renter = session.get(User, booking.user_id)
    do_notify(session, effects, renter, "penalty_waived", {
        "booking_id": booking.id, "kind": PENALTY_KIND_LABELS[penalty.kind],
        "amount": format_money(back, booking.currency), "reason": reason,
        "link": "/cabinet/bookings"}, dedupe=f"penalty_waived:{penalty.id}", booking_id=booking.id)
    session.flush()
    return penalty


def do_admin_refund(session: Session, effects: Effects, user: User | None, booking_id: int,
                    amount: int, reason: str) -> Booking:
    """A goodwill refund by an admin, of any booking that still holds money (a completed
    one too)."""
    admin = check_role(user, Role.admin)
    booking = session.get(Booking, booking_id, with_for_update=True) if 0 < booking_id < 2**31 else None
    if booking is None:
        raise NotFound(tr("Бронь не найдена"))
    reason = _reason(reason)
    held = booking.paid_minor - booking.refunded_minor
    if amount <= 0:
        raise InvalidInput("amount_minor", tr("Сумма возврата должна быть больше нуля"))
    if amount > held:
        raise InvalidInput("amount_minor", tr("Вернуть можно не больше {format_money}", format_money=format_money(held, booking.currency)))
    do_refund_booking(session, effects, booking, amount, reason=reason[:255], actor_id=admin.id)
    return booking


def list_penalties(session: Session, user: User | None, *, status: PenaltyStatus | None = None,
                   limit: int = 200) -> list[PenaltyOut]:
    check_role(user, Role.admin, Role.operator)
    query = (select(Penalty, Space.name).join(Booking, Booking.id == Penalty.booking_id)
             .join(Space, Space.id == Booking.space_id).order_by(Penalty.id.desc()).limit(min(limit, 1000)))
    if status is not None:
        query = query.where(Penalty.status == status.value)
    return [PenaltyOut(p.id, p.booking_id, name, p.kind, PENALTY_KIND_LABELS[p.kind], p.amount_minor,
                       p.currency, p.status, PENALTY_STATUS_LABELS[p.status], p.waive_reason, p.created_at)
            for p, name in session.execute(query)]
