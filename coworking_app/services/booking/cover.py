"""A booking paid by a plan (docs/plans.md): whether the person's purchase covers it, what
it takes (days of a day-pass pack, meeting-room minutes, nothing for a hot-desk membership),
and giving it back when the booking ends unused.

The rule is `cover_refusal` (pure): the quote, the booking and the booking panel's choice of
plans all ask it. A booking the plan cannot cover is priced as usual, and its breakdown says
why (`PriceBreakdown.plan_note`). A purchase is locked (FOR UPDATE) while a booking takes from
it, so two bookings cannot both take its last day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.formatting import plural
from coworking_app.services.booking.availability import Interval
from coworking_app.services.common.errors import InvalidInput
from models import Booking, BookingStatus, PlanKind, PlanPurchase, PlanUsage, PurchaseStatus, ResourceKind
from coworking_app.i18n import format_number, tr

S = BookingStatus
LIVE = (S.pending_payment.value, S.paid.value, S.confirmed.value)
ROOM_KINDS = (ResourceKind.meeting_room.value,)  # what a membership's meeting-room hours pay for


class CoveredResource(Protocol):
    """What the rule reads of a resource (bookings.BookableResource or a Resource row)."""

    id: int
    space_id: int
    kind: str
    name: str


@dataclass(frozen=True)
class Cover:
    purchase_id: int
    name: str
    days: int  # taken from the purchase
    minutes: int
    label: str  # the breakdown's line: "Абонемент «10 дней»: 1 день"


# A membership's desk or office held for its month (plans/settle.do_hold_resource): the
# member's own booking, which is neither a use of the plan, nor changed, cancelled or marked a
# no-show like a booking. As SQL and for a row:
PLAN_HOLD_SQL = Booking.price["plan_hold"].as_boolean().is_(True)


def is_plan_hold(booking) -> bool:
    return bool((getattr(booking, "price", None) or {}).get("plan_hold"))


def days_word(n: int) -> str:
    return plural(n, "день", "дня", "дней")


def hours_text(minutes: int) -> str:
    hours = minutes / 60
    return format_number(hours, "0.##") + tr(" ч")


def need(purchase: PlanPurchase, resource: CoveredResource, interval: Interval, seats: int) -> tuple[int, int] | None:
    """(days, minutes) the booking would take from the purchase; None when the purchase does
    not pay for this resource at all (pure)."""
    if resource.id in (purchase.resource_ids or []) and purchase.resource_id is None:
        if purchase.kind == PlanKind.credits.value:
            return 0, interval.minutes
        if purchase.unlimited:
            return 0, 0
        return interval.days * seats, 0
    if purchase.minutes_total > 0 and (resource.id in (purchase.resource_ids or []) or
                                       (purchase.kind == PlanKind.membership.value and resource.kind in ROOM_KINDS)):
        return 0, interval.minutes
    return None


def cover_refusal(purchase: PlanPurchase, resource: CoveredResource, interval: Interval, seats: int, *,
                  active_bookings: int, now: datetime) -> str | None:
    """Why the purchase does not pay for this booking, in words for its buyer; None when it
    does (pure)."""
    if purchase.status != PurchaseStatus.active.value or purchase.ends_at <= now:
        return tr("абонемент «{name}» не действует", name=purchase.name)
    if interval.start < purchase.starts_at or interval.end > purchase.ends_at:
        zone = interval.zone
        return (tr("абонемент «{name}» действует с {astimezone:%d.%m.%Y} по {astimezone2:%d.%m.%Y}", name=purchase.name, astimezone=purchase.starts_at.astimezone(zone), astimezone2=purchase.ends_at.astimezone(zone)))
    taken = need(purchase, resource, interval, seats)
    if taken is None:
        return tr("абонемент «{name}» не распространяется на «{name2}»", name=purchase.name, name2=resource.name)
    days, minutes = taken
    if purchase.unlimited and not minutes and seats > 1:
        return tr("абонемент «{name}» — на одно место", name=purchase.name)
    if days > purchase.days_left:
        return tr("на абонементе осталось {days_word}, а нужно {days}", days_word=days_word(purchase.days_left), days=days)
    if minutes > purchase.minutes_left:
        return tr("на абонементе осталось {hours_text}, а нужно {hours_text2}", hours_text=hours_text(purchase.minutes_left), hours_text2=hours_text(minutes))
    if active_bookings >= purchase.max_active_bookings:
        return tr("по абонементу можно держать не больше {plural} сразу", plural=plural(purchase.max_active_bookings, 'брони', 'броней', 'броней'))
    return None


def _label(purchase: PlanPurchase, days: int, minutes: int) -> str:
    if minutes:
        taken = hours_text(minutes)
    elif days:
        taken = days_word(days)
    else:
        taken = tr("без ограничений")
    return tr("Абонемент «{name}»: {taken}", name=purchase.name, taken=taken)


def active_bookings(session: Session, purchase_id: int, *, now: datetime) -> int:
    """Bookings the purchase pays for that are still ahead or under way (not the desk it holds)."""
    return session.scalar(select(func.count()).select_from(Booking).where(
        Booking.plan_purchase_id == purchase_id, Booking.status.in_(LIVE), Booking.end_at > now,
        ~PLAN_HOLD_SQL)) or 0


def access_cover(session: Session, user_id: int, purchase_id: int, resource: CoveredResource, interval: Interval,
                 seats: int, *, now: datetime, lock: bool) -> tuple[Cover | None, str | None]:
    """The cover the person's purchase gives this booking, or None and why not (the booking
    is then priced as usual). Someone else's purchase, or one of another space: 422."""
    query = select(PlanPurchase).where(PlanPurchase.id == purchase_id)
    if lock:
        query = query.with_for_update()
    purchase = session.scalars(query).first() if 0 < purchase_id < 2**31 else None
    if purchase is None or purchase.user_id != user_id:
        raise InvalidInput("plan_id", tr("такого абонемента у вас нет"))
    if resource.space_id != purchase.space_id:
        raise InvalidInput("plan_id", tr("этот абонемент — другого пространства"))
    reason = cover_refusal(purchase, resource, interval, seats,
                           active_bookings=active_bookings(session, purchase.id, now=now), now=now)
    if reason is not None:
        return None, reason
    days, minutes = need(purchase, resource, interval, seats)
    return Cover(purchase.id, purchase.name, days, minutes, _label(purchase, days, minutes)), None


def do_use_cover(session: Session, booking_id: int, cover: Cover) -> None:
    """The new booking takes its days or minutes from the (locked) purchase."""
    purchase = session.get(PlanPurchase, cover.purchase_id)
    purchase.days_left -= cover.days
    purchase.minutes_left -= cover.minutes
    session.add(PlanUsage(purchase_id=purchase.id, booking_id=booking_id, kind="use",
                          days=-cover.days, minutes=-cover.minutes))


def do_return_cover(session: Session, booking: Booking) -> None:
    """A booking on a plan that ended unused (cancelled before its start, rejected, expired):
    what it took goes back to the purchase, once."""
    rows = session.execute(select(func.coalesce(func.sum(PlanUsage.days), 0),
                                  func.coalesce(func.sum(PlanUsage.minutes), 0))
                           .where(PlanUsage.booking_id == booking.id,
                                  PlanUsage.purchase_id == booking.plan_purchase_id)).one()
    days, minutes = -int(rows[0]), -int(rows[1])
    if days <= 0 and minutes <= 0:
        return
    purchase = session.get(PlanPurchase, booking.plan_purchase_id, with_for_update=True)
    purchase.days_left += days
    purchase.minutes_left += minutes
    session.add(PlanUsage(purchase_id=purchase.id, booking_id=booking.id, kind="return", days=days, minutes=minutes))


def usable_purchases(session: Session, user_id: int, space_id: int, *, now: datetime) -> list[PlanPurchase]:
    """The person's paid purchases in this space whose period is not over (the panel's choice)."""
    return list(session.scalars(select(PlanPurchase).where(
        PlanPurchase.user_id == user_id, PlanPurchase.space_id == space_id,
        PlanPurchase.status == PurchaseStatus.active.value, PlanPurchase.ends_at > now)
        .order_by(PlanPurchase.ends_at)))
