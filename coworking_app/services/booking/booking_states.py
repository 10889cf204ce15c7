"""The booking state machine: the one place that says which status may follow which.

Every change goes through `do_transition`, which refuses a move the table does not allow
and appends a BookingEvent with the actor and the time. docs/booking.md draws the diagram.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, literal, null, select
from sqlmodel import Session

from coworking_app.services.messaging.notifications import queue_booking_notice
from coworking_app.services.messaging.reminders import schedule_reminders
from coworking_app.db import DriverStatement
from coworking_app.effects import Effects
from coworking_app.formatting import BOOKING_STATUS_LABELS
from coworking_app.services.booking.availability import utcnow as av_now
from coworking_app.services.booking.cover import do_return_cover, is_plan_hold
from coworking_app.services.common.errors import Conflict
from models import Booking, BookingEvent, BookingStatus, User
from coworking_app.i18n import Labels, N_, tr

if TYPE_CHECKING:
    from coworking_app.services.accounts.permissions import Caller

S = BookingStatus

# (from, action) -> to. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.pending_payment, "pay"): S.paid,
    (S.pending_payment, "expire"): S.expired,
    (S.pending_payment, "cancel"): S.cancelled,
    (S.paid, "confirm"): S.confirmed,  # instant book, right after payment
    (S.paid, "accept"): S.confirmed,  # owner approval
    (S.paid, "reject"): S.cancelled,  # owner refuses: full refund
    (S.paid, "cancel"): S.cancelled,
    (S.confirmed, "cancel"): S.cancelled,
    (S.confirmed, "complete"): S.completed,
    (S.confirmed, "no_show"): S.no_show,
    (S.confirmed, "modify"): S.paid,  # changed on an approval space: the owner decides again
}

TERMINAL = frozenset({S.cancelled, S.expired, S.completed, S.no_show})
# Changes after which the booking may hold fewer seats of its resource than before (a change
# of time or seats frees the old ones): the resource's waitlist is looked at.
FREES_SEATS = frozenset({"cancel", "reject", "expire", "no_show", "modify"})
# Ends after which a booking on a plan gives back what it took (a cancellation: before its start).
RETURNS_COVER = frozenset({"cancel", "reject", "expire"})


def allowed_actions(status: str) -> set[str]:
    return {action for (source, action) in TRANSITIONS if source == status}


# --- what a person may do to a booking now ---------------------------------------------------

# Everything a screen may offer on a booking, in the order buttons are shown.
ACTIONS = ("pay", "modify", "cancel", "accept", "reject", "no_show", "check_in", "receipt", "review", "message")
REVIEW_WINDOW = timedelta(days=30)  # a review may be written this long after the booking's end
REVIEWED = N_("отзыв на эту бронь уже оставлен")
_LIVE = (S.pending_payment, S.paid, S.confirmed)


def booking_refusal(booking: Booking, role: str, action: str, *, now: datetime,
                    host_id: int | None = None, reviewed: bool = False) -> str | None:
    """Why `role` may not do `action` to `booking` at `now`, in words for that person; None
    when they may: the table of the booking policy, by side, status and time. People reach
    it through `bookings.can` / `bookings.refusal` (which work out the person's side), and
    both the buttons a screen offers and every write ask it, so the two cannot disagree.

    role: "renter" (the booking is theirs), "owner" (of its space), "admin" (an operator or
    admin acting for the network); anything else may do nothing. host_id: the space's owner
    (only "message" needs it: a booking of a space nobody owns has nobody to write to).
    reviewed: the booking already has its review (one per booking)."""
    status = booking.status
    lapsed = status == S.pending_payment and booking.expires_at is not None and booking.expires_at <= now
    staff_side = role in ("owner", "admin")
    if role not in ("renter", "owner", "admin"):
        return tr("Бронь не найдена")
    if action == "pay":
        if role != "renter":
            return tr("оплатить бронь может только гость")
        if lapsed:
            return tr("время на оплату истекло, забронируйте заново")
        if status == S.pending_payment:
            return None
        if status in (S.paid, S.confirmed) and booking.pending_change and booking.balance_due_minor > 0:
            return None
        return tr("по этой брони нечего оплачивать")
    plan_hold = is_plan_hold(booking)
    if action == "modify":
        if role != "renter":
            return tr("изменить бронь может только гость")
        if plan_hold:
            return tr("место закреплено абонементом на весь месяц")
        if getattr(booking, "plan_purchase_id", None) is not None:
            return tr("бронь по абонементу не меняется: отмените её (списанное вернётся) и забронируйте заново")
        if lapsed:
            return tr("время на оплату истекло, бронь снята")
        if status not in _LIVE:
            return tr("эту бронь уже нельзя изменить")
        if booking.start_at <= now:
            return tr("бронь уже началась, изменить её нельзя")
        return None
    if action == "cancel":
        if plan_hold:
            return tr("место закреплено абонементом: отключите продление абонемента в разделе «Абонементы»")
        if status not in _LIVE:
            return tr("бронь в статусе «{value}» отменить нельзя", value=STATUS_LABELS[status])
        if lapsed:
            return tr("время на оплату истекло, бронь уже снята")
        if booking.end_at <= now:  # the stay is over: it completes (or is marked a no-show)
            return tr("бронь уже закончилась, отменить её нельзя")
        return None
    if action in ("accept", "reject"):
        if not staff_side:
            return tr("решение по брони принимает владелец пространства")
        if status != S.paid:
            return tr("бронь в статусе «{value}» не ждёт решения владельца", value=STATUS_LABELS[status])
        if booking.start_at <= now:  # do_complete_past rejects it with a full refund
            return tr("бронь уже началась без подтверждения: она отклоняется автоматически с полным возвратом")
        return None
    if action == "no_show":
        if not staff_side:
            return tr("неявку отмечает владелец пространства")
        if plan_hold:
            return tr("место закреплено абонементом на весь месяц — неявку не отмечают")
        if status != S.confirmed:
            return tr("неявку можно отметить только у подтверждённой брони")
        if booking.start_at > now:
            return tr("неявку можно отметить только после начала")
        if getattr(booking, "checked_in_at", None) is not None:
            return tr("гость отметился о приходе — неявку отметить нельзя")
        return None
    if action == "check_in":  # the guest's QR code for the door (services/booking/checkin.py)
        if role != "renter":
            return tr("QR-код для входа показывает гость")
        if status != S.confirmed:
            return tr("QR-код для входа есть у подтверждённой брони")
        if booking.end_at <= now:
            return tr("бронь уже закончилась")
        return None
    if action == "receipt":
        return None if booking.paid_minor > 0 else tr("по этой брони не было оплаты")
    if action == "review":
        if role != "renter":
            return tr("отзыв может оставить только гость этой брони")
        if status != S.completed:
            return tr("отзыв можно оставить после завершённого визита")
        if now > booking.end_at + REVIEW_WINDOW:
            return tr("отзыв можно оставить в течение 30 дней после визита")
        if reviewed:
            return REVIEWED
        return None
    if action == "message":
        if role == "admin":
            return tr("переписка по брони — между гостем и владельцем")
        if host_id is None or host_id == booking.user_id:
            return tr("у этой брони нет второй стороны для переписки")
        return None
    return tr("такого действия с бронью нет")


def check_transition(booking: Booking, action: str) -> str:
    target = TRANSITIONS.get((BookingStatus(booking.status), action))
    if target is None:
        raise Conflict("status", tr("нельзя выполнить «{get}» для брони в статусе «{value}»", get=ACTION_LABELS.get(action, action), value=STATUS_LABELS[booking.status]))
    return target.value


def do_transition(session: Session, effects: Effects, booking: Booking, action: str, *,
                  actor: User | None, actor_role: str, reason: str | None = None,
                  data: dict | None = None) -> None:
    target = check_transition(booking, action)
    from_status, booking.status = booking.status, target
    if getattr(booking, "plan_purchase_id", None) is not None and action in RETURNS_COVER and (
            action != "cancel" or booking.start_at > av_now()):
        do_return_cover(session, booking)
    do_log_event(session, effects, booking, action, target, actor=actor, actor_role=actor_role,
                 reason=reason, data=data, from_status=from_status)


def do_log_event(session: Session, effects: Effects, booking: Booking, action: str, to_status: str, *,
                 actor: User | None, actor_role: str, reason: str | None = None,
                 data: dict | None = None, from_status: str | None = None) -> None:
    """Appends to the booking's history (also used for changes that keep the status) and
    adds what it means for people: notices (written at commit) and reminders."""
    # One cached INSERT rather than an ORM object: history rows are never changed later,
    # and the unit of work cost more than the statement (a booking writes one per change).
    session.connection().execute(_INSERT_EVENT, {
        "booking_id": booking.id,
        "from_status": None if action == "create" else (from_status or booking.status),
        "to_status": to_status, "action": action, "actor_id": actor.id if actor else None,
        "actor_role": actor_role, "reason": reason, "data": data or {},
    })
    schedule_reminders(effects, booking, action)
    queue_booking_notice(session, effects, booking, action, actor_role=actor_role)
    if action in FREES_SEATS:  # the resource's waitlist may move (services/booking/waitlist.py)
        effects.queue_batched("freed", booking.resource_id)
    effects.count("booking_events", action)


_INSERT_EVENT = insert(BookingEvent.__table__)


def do_insert_booking(session: Session, effects: Effects, values: dict, *, actor: User | Caller,
                      actor_role: str, data: dict) -> int:
    """A new booking row (`values`: its columns) and its "create" history row, in one
    statement run by the driver (db.DriverStatement; one round trip fewer on the busiest
    write); returns the booking's id. The hold's notice is written by a job after commit
    (notifications.NOTICE_BY_JOB)."""
    effects.count("booking_events", "create")  # counted if the transaction commits
    return _INSERT_BOOKING_LOGGED.execute(session, {
        "plan_purchase_id": None, "series_id": None, **values, "ev_actor_id": actor.id, "ev_actor_role": actor_role, "ev_data": data,
    }).fetchone()[0]


def _insert_booking_logged():
    booking, event = Booking.__table__, BookingEvent.__table__
    new = (insert(booking)
           .values({c.name: bindparam(c.name, type_=c.type) for c in booking.c
                    if c.name in _NEW_BOOKING_COLUMNS})
           .returning(booking.c.id, booking.c.status).cte("new_booking"))
    return insert(event).from_select(
        ["booking_id", "from_status", "to_status", "action", "actor_id", "actor_role", "data"],
        select(new.c.id, null(), new.c.status, literal("create"),
               bindparam("ev_actor_id", type_=event.c.actor_id.type),
               bindparam("ev_actor_role", type_=event.c.actor_role.type),
               bindparam("ev_data", type_=event.c.data.type)),
    ).returning(event.c.booking_id)


_NEW_BOOKING_COLUMNS = frozenset({
    "user_id", "space_id", "resource_id", "start_at", "end_at", "seats", "whole", "status",
    "expires_at", "timezone", "price", "addons", "total_minor", "currency", "promo_id", "policy",
    "plan_purchase_id", "series_id",
})
_INSERT_BOOKING_LOGGED = DriverStatement(_insert_booking_logged())


STATUS_LABELS = BOOKING_STATUS_LABELS  # coworking_app/formatting.py: every label in one place

ACTION_LABELS = Labels({
    "pay": N_("оплатить"), "expire": N_("истечь"), "cancel": N_("отменить"), "confirm": N_("подтвердить"),
    "accept": N_("принять"), "reject": N_("отклонить"), "complete": N_("завершить"), "no_show": N_("отметить неявку"),
    "modify": N_("изменить"),
})
