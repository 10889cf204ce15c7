"""Bookings: create, price, modify, cancel under the space's policy, owner decisions,
hold expiry and completion.

No overbooking, proved by PostgreSQL rather than Python memory:
- every write locks the resource row (SELECT ... FOR UPDATE) and then counts the seats
  held in SQL (`booked_seats`), so two transactions for one resource take turns;
- whole-resource bookings are additionally guarded by the exclusion constraint
  `ex_booking_whole_resource`; should anything slip past the lock, the insert fails and
  the renter gets the same 409 as a lost race.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import Integer, any_, bindparam, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coworking_app.services.catalog.owner_spaces import (
    access_closure_for_owner,
    access_resource_for_owner,
    bookings_on_closure,
    closure_of,
)
from coworking_app.services.messaging.notifications import Notice, do_notify_many, payload_of_booking
from coworking_app.formatting import POLICY_LABELS, local_moment
from coworking_app.db import DriverStatement
from coworking_app.effects import Effects
from coworking_app.services.booking import availability as av
from coworking_app.services.booking.cover import Cover, access_cover, do_use_cover
from coworking_app.services.accounts.permissions import Caller, check_can_book, check_role
from coworking_app.services.booking.booking_states import (
    ACTIONS,
    STATUS_LABELS,
    booking_refusal,
    do_insert_booking,
    do_log_event,
    do_transition,
)
from coworking_app.services.common.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from coworking_app.services.common.fields import Day, Id, Line, Moment, StrictId
from coworking_app.services.catalog.spaces import is_bookable, is_public
from coworking_app.services.common.text import check_chars
from coworking_app.services.finance import ledger
from coworking_app.services.finance.penalties import booking_penalties, do_charge_penalty, no_show_fee
from coworking_app.services.booking.pricing import TARIFF_PRICES, AddonChoice, PriceBreakdown, div_round, quote
from coworking_app.settings import get_settings
from models import (
    Booking,
    BookingEvent,
    BookingStatus,
    CancellationPolicy,
    Notification,
    PenaltyKind,
    PromoCode,
    Refund,
    Resource,
    Review,
    Role,
    Space,
    User,
    WaitlistEntry,
)
from coworking_app.i18n import tr

S = BookingStatus

# Cancellation presets: (hours before start at least, percent refunded), best tier first.
POLICIES: dict[str, list[tuple[int, int]]] = {
    CancellationPolicy.flexible: [(24, 100), (2, 50)],
    CancellationPolicy.moderate: [(72, 100), (24, 50)],
    CancellationPolicy.strict: [(48, 50)],
}
POLICY_NAMES = POLICY_LABELS  # coworking_app/formatting.py


def policy_terms(policy: str) -> list[str]:
    """The schedule in words, shown before the renter confirms."""
    lines = [tr("не позже чем за {hours} ч до начала — возврат {percent} %", hours=hours, percent=percent)
             for hours, percent in POLICIES[policy]]
    lines.append(tr("позже — без возврата"))
    return lines


def refund_percent(policy: str, start_at: datetime, now: datetime) -> int:
    hours_before = (start_at - now).total_seconds() / 3600
    for hours, percent in POLICIES[policy]:
        if hours_before >= hours:
            return percent
    return 0


# --- input -----------------------------------------------------------------------------


class BookingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Strict: "2" or true is not a number of seats (a client sending them has a bug).
    resource_id: StrictId
    start: Moment
    end: Moment
    seats: StrictInt | None = Field(1, ge=1, le=10_000)
    addons: list[AddonChoice] = Field(default_factory=list, max_length=20)
    promo_code: Line(32) | None = None
    # One of the renter's plans pays for it (services/booking/cover.py), when it can.
    plan_id: StrictId | None = None


class BookingChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Moment | None = None
    end: Moment | None = None
    seats: StrictInt | None = Field(None, ge=1, le=10_000)


@dataclass
class Quote:
    space: BookableSpace
    resource: BookableResource
    interval: av.Interval
    seats: int
    free_seats: int
    price: PriceBreakdown

    def shortage(self) -> Conflict | None:
        """The refusal a booking of this request would get now for want of seats, or None."""
        return seats_conflict(self.free_seats) if self.free_seats < self.seats else None


def seats_conflict(free: int) -> Conflict:
    """The one refusal for too few free seats (409 on field "seats"): a lost race, a quote
    asking for more than is free, a modification that no longer fits."""
    if free <= 0:
        return Conflict("seats", tr("На это время свободных мест нет"))
    return Conflict("seats", tr("На это время осталось мест: {free}", free=free))


# --- access ----------------------------------------------------------------------------


def _get(session: Session, booking_id: int, *, for_update: bool = False) -> Booking | None:
    if not 0 < booking_id < 2**31:
        return None
    return session.get(Booking, booking_id, with_for_update=for_update)


def booking_role(user: User, booking: Booking, host_id: int | None) -> str:
    """The person's side of a booking: "renter" (theirs), "owner" (of its space, `host_id`),
    "admin" (operators and admins act for the network; the 2FA rule applies) or "other"."""
    if booking.user_id == user.id:
        return "renter"
    if host_id is not None and host_id == user.id and user.has_role(Role.owner):
        return "owner"
    if user.is_staff:
        try:
            check_role(user, Role.operator, Role.admin)
        except PermissionDenied:
            return "other"
        return "admin"
    return "other"


def _host_id(session: Session, booking: Booking) -> int | None:
    space = session.get(Space, booking.space_id)
    return space.owner_id if space is not None else None


# --- the booking policy: what this person may do to this booking now ----------------------


def refusal(viewer: User | None, booking: Booking, action: str, *, now: datetime,
            host_id: int | None, reviewed: bool = False) -> str | None:
    """Why `viewer` may not do `action` to `booking` at `now`, in words for them; None when
    they may. Their side of the booking is `booking_role` (host_id: the owner of its space);
    what each side may do by status and time is booking_states.booking_refusal. reviewed:
    the booking already has its review."""
    role = "other" if viewer is None else booking_role(viewer, booking, host_id)
    return booking_refusal(booking, role, action, now=now, host_id=host_id, reviewed=reviewed)


def can(viewer: User | None, booking: Booking, action: str, *, now: datetime,
        host_id: int | None, reviewed: bool = False) -> bool:
    """The booking policy: may this person do `action` (booking_states.ACTIONS: pay, modify,
    cancel, accept, reject, no_show, receipt, review, message) to this booking now? The
    buttons every screen shows (`actions_for`: BookingView.actions, the cabinet's cards) and
    every write (`access_booking(..., action=...)`, `check_can`) ask this, so they cannot
    disagree."""
    return refusal(viewer, booking, action, now=now, host_id=host_id, reviewed=reviewed) is None


def check_can(viewer: User | None, booking: Booking, action: str, *, now: datetime,
              host_id: int | None, reviewed: bool = False) -> None:
    """Refuses (409, field "status", the policy's words) what `can` does not allow."""
    reason = refusal(viewer, booking, action, now=now, host_id=host_id, reviewed=reviewed)
    if reason is not None:
        raise Conflict("status", reason)


def actions_for(viewer: User | None, booking: Booking, *, now: datetime, host_id: int | None,
                reviewed: bool = False) -> list[str]:
    """Every action the policy lets `viewer` take on `booking` now, in the order screens show them."""
    return [a for a in ACTIONS if can(viewer, booking, a, now=now, host_id=host_id, reviewed=reviewed)]


def access_booking(session: Session, user: User | None, booking_id: int,
                   *, for_update: bool = False, action: str | None = None, now: datetime | None = None,
                   sides: tuple[str, ...] = ("renter", "owner", "admin")) -> tuple[Booking, str]:
    """The booking and the caller's side of it: renter, owner (of its space) or admin.
    Anyone else, or a side not in `sides`, gets "not found" so that ids do not leak. With
    `action`, the booking policy (`check_can`) must allow it now: else 409 with its words."""
    if user is None:
        raise NotAuthenticated()
    booking = _get(session, booking_id, for_update=for_update)
    if booking is None:
        raise NotFound(tr("Бронь не найдена"))
    host_id = _host_id(session, booking)
    role = booking_role(user, booking, host_id)
    if role == "other":
        if user.is_staff:  # the 2FA rule's own answer (403), not "not found"
            check_role(user, Role.operator, Role.admin)
        raise NotFound(tr("Бронь не найдена"))
    if role not in sides:
        raise NotFound(tr("Бронь не найдена"))
    if action is not None:
        check_can(user, booking, action, now=now or av.utcnow(), host_id=host_id)
    return booking, role


def access_booking_for_renter(session: Session, user: User | None, booking_id: int,
                              *, action: str | None = None, now: datetime | None = None) -> Booking:
    """The caller's own booking, locked (paying and changing are the renter's own: admins
    cancel instead); with `action`, one the policy allows now."""
    return access_booking(session, user, booking_id, for_update=True, action=action, now=now,
                          sides=("renter",))[0]


def access_booking_for_owner(session: Session, user: User | None, booking_id: int,
                             *, action: str | None = None, now: datetime | None = None) -> tuple[Booking, str]:
    """The booking, locked, and the caller's side ("owner" or "admin") for an owner's
    decision; with `action`, one the policy allows now."""
    return access_booking(session, user, booking_id, for_update=True, action=action, now=now,
                          sides=("owner", "admin"))


@dataclass(frozen=True, slots=True)
class BookableResource:
    """What booking reads of a resource (a plain copy: no ORM object on the hot path)."""

    id: int
    space_id: int
    kind: str
    name: str
    capacity: int
    min_minutes: int
    max_minutes: int


@dataclass(frozen=True, slots=True)
class BookableSpace:
    """What booking reads of the resource's space."""

    id: int
    owner_id: int | None
    name: str
    address: str
    timezone: str
    opening_hours: dict
    status: str
    deleted_at: datetime | None
    currency: str
    vat_rate_bp: int
    prices_include_vat: bool
    cancellation_policy: str
    instant_book: bool
    closures: tuple[av.Closure, ...] = ()  # current and future ones (availability.check_interval)


def _bookable(session: Session, resource_id: int, *, lock: bool,
              ) -> tuple[BookableSpace, BookableResource, dict[str, int]]:
    """The resource (locked for the rest of the transaction when `lock`) of a published space,
    and its tariff prices (pricing.TARIFF_PRICES)."""
    row = None
    if 0 < resource_id < 2**31:
        row = (_BOOKABLE_LOCKED if lock else _BOOKABLE).execute(session, {"rid": resource_id}).fetchone()
    if row is None:
        raise NotFound(tr("Ресурс не найден"))
    resource = BookableResource(*row[:_RESOURCE_WIDTH])
    space = BookableSpace(*row[_RESOURCE_WIDTH:-2], closures=av.closures_from_json(row[-2]))
    if not is_bookable(space):
        if not is_public(space):
            raise NotFound(tr("Ресурс не найден"))
        raise Conflict("resource_id", tr("Это пространство сейчас не принимает брони"))
    return space, resource, row[-1]


# One statement, built once, run by the driver (db.DriverStatement): the resource's and its
# space's columns in the dataclasses' order, the space's closures, then the tariff prices.
_RESOURCE_WIDTH = len(fields(BookableResource))
_BOOKABLE_SELECT = (
    select(*(getattr(Resource, f.name) for f in fields(BookableResource)),
           *(getattr(Space, f.name) for f in fields(BookableSpace) if f.name != "closures"),
           av.closures_of_space(), TARIFF_PRICES)
    .join(Space, Space.id == Resource.space_id).where(Resource.id == bindparam("rid")))
_BOOKABLE = DriverStatement(_BOOKABLE_SELECT)
_BOOKABLE_LOCKED = DriverStatement(_BOOKABLE_SELECT.with_for_update(of=Resource))


# --- holds -----------------------------------------------------------------------------


def do_expire_holds(session: Session, effects: Effects, *, now: datetime | None = None,
                    resource_id: int | None = None, booking_id: int | None = None) -> int:
    """Turns unpaid holds past their expiry into `expired` (with a history row each)."""
    now = now or av.utcnow()
    query = (select(Booking).where(Booking.status == S.pending_payment.value,
                                   Booking.expires_at <= now)
             .with_for_update(skip_locked=True))
    if resource_id is not None:
        query = query.where(Booking.resource_id == resource_id)
    if booking_id is not None:
        query = query.where(Booking.id == booking_id)
    count = 0
    for booking in session.scalars(query):
        do_transition(session, effects, booking, "expire", actor=None, actor_role="system",
                      reason=tr("не оплачено вовремя"))
        count += 1
    session.flush()
    return count


def do_complete_past(session: Session, effects: Effects, *, now: datetime | None = None) -> int:
    """Confirmed bookings whose end has passed become `completed`; paid bookings the owner
    never accepted before their start are rejected with a full refund."""
    # payments imports this module (access, changes) at its top: imported here
    from coworking_app.services.payments.payments import do_refund_booking

    now = now or av.utcnow()
    count = 0
    for booking in session.scalars(
        select(Booking).where(Booking.status == S.paid.value, Booking.start_at <= now)
        .with_for_update(skip_locked=True).limit(200)
    ):
        amount = booking.paid_minor - booking.refunded_minor
        do_transition(session, effects, booking, "reject", actor=None, actor_role="system",
                      reason=tr("владелец не подтвердил бронь до начала"), data={"refund": amount})
        booking.cancel_reason = tr("владелец не подтвердил бронь до начала")
        if amount > 0:
            do_refund_booking(session, effects, booking, amount, reason=tr("не подтверждено владельцем"),
                              ledger_kind="rejection")
        count += 1
    for booking in session.scalars(
        select(Booking).where(Booking.status == S.confirmed.value, Booking.end_at <= now)
        .with_for_update(skip_locked=True).limit(1000)
    ):
        do_transition(session, effects, booking, "complete", actor=None, actor_role="system")
        # The owner's share becomes payable: in the month the stay ended.
        ledger.do_post_booking(session, effects, booking, "completion", effective_at=booking.end_at)
        count += 1
    session.flush()
    return count


# --- quote and create -------------------------------------------------------------------


@contextmanager
def _overlap_refused_as_conflict() -> Iterator[None]:
    """Around the write of a booking: the exclusion constraint's refusal becomes the
    lost-race 409. (No savepoint: the caller's transaction is rolled back anyway.)"""
    try:
        yield
    except IntegrityError as exc:
        if "ex_booking_whole_resource" in str(exc.orig):
            raise seats_conflict(0) from exc
        raise


def quote_booking(session: Session, user: User | None, request: BookingRequest,
                  *, now: datetime | None = None) -> Quote:
    """The exact price and free seats for a request, without booking anything (anyone may
    ask; a promo code needs a signed-in user, its limits are per person)."""
    now = now or av.utcnow()
    space, resource, tariffs = _bookable(session, request.resource_id, lock=False)
    interval = av.check_interval(space, resource, request.start, request.end, now=now)
    seats = av.check_seats(resource, request.seats)
    free = resource.capacity - av.booked_seats(session, resource.id, interval.start, interval.end)
    cover, note = _cover(session, user, request, resource, interval, seats, now=now, lock=False)
    price, _rows, _promo = quote(session, space=space, resource=resource, tariffs=tariffs,
                                 user=user, interval=interval, seats=seats,
                                 addons=request.addons, promo_code=request.promo_code, now=now,
                                 cover=cover, plan_note=note)
    return Quote(space, resource, interval, seats, free, price)


def _cover(session: Session, user: User | Caller | None, request: BookingRequest, resource: BookableResource,
           interval: av.Interval, seats: int, *, now: datetime, lock: bool) -> tuple[Cover | None, str | None]:
    """The chosen plan's cover of the request, or why it gives none (cover.access_cover)."""
    if request.plan_id is None:
        return None, None
    if user is None:
        raise InvalidInput("plan_id", tr("войдите, чтобы бронировать по абонементу"))
    return access_cover(session, user.id, request.plan_id, resource, interval, seats, now=now, lock=lock)


@dataclass
class NewBooking:
    """A booking just made (the row's values; the ORM row is not loaded)."""

    id: int
    user_id: int
    space_id: int
    resource_id: int
    start_at: datetime
    end_at: datetime
    seats: int
    status: str
    expires_at: datetime | None  # none once paid
    timezone: str
    price: dict
    total_minor: int
    currency: str
    refunded_minor: int = 0
    cancel_reason: str | None = None


def do_create_booking(session: Session, effects: Effects, user: User | Caller | None, request: BookingRequest,
                      *, now: datetime | None = None, hold_seconds: int | None = None,
                      series_id: int | None = None) -> NewBooking:
    """A `pending_payment` hold that keeps the seats for BOOKING_HOLD_SECONDS (or
    `hold_seconds`: a waitlist offer's, services/booking/waitlist.py); `series_id`: an
    occurrence of a recurring series (services/booking/series.py)."""
    user = check_can_book(user)
    now = now or av.utcnow()
    space, resource, tariffs = _bookable(session, request.resource_id, lock=True)
    if av.is_whole(resource):
        # The exclusion constraint sees every pending_payment row, overdue or not: release
        # the overdue ones first. Seat counting (booked_seats) already ignores them.
        do_expire_holds(session, effects, now=now, resource_id=resource.id)
    interval = av.check_interval(space, resource, request.start, request.end, now=now)
    seats = av.check_seats(resource, request.seats)
    free = resource.capacity - av.booked_seats(session, resource.id, interval.start, interval.end)
    if free < seats:
        raise seats_conflict(free)
    cover, note = _cover(session, user, request, resource, interval, seats, now=now, lock=True)
    price, addon_rows, promo = quote(
        session, space=space, resource=resource, tariffs=tariffs, user=user, interval=interval,
        seats=seats,
        addons=request.addons, promo_code=request.promo_code, now=now, lock_promo=True,
        cover=cover, plan_note=note)
    hold = hold_seconds or get_settings().booking_hold_seconds
    price_json = price.model_dump(mode="json")
    values = dict(
        user_id=user.id, space_id=space.id, resource_id=resource.id,
        start_at=interval.start, end_at=interval.end, seats=seats, whole=av.is_whole(resource),
        status=S.pending_payment.value, expires_at=now + timedelta(seconds=hold),
        timezone=space.timezone, price=price_json, addons=addon_rows,
        total_minor=price.total, currency=price.currency,
        promo_id=promo.id if promo else None, policy=space.cancellation_policy,
        plan_purchase_id=cover.purchase_id if cover else None, series_id=series_id,
    )
    # One cached INSERT (with the history row), not an ORM unit of work (a quarter of a
    # booking's CPU, measured).
    with _overlap_refused_as_conflict():
        booking_id = do_insert_booking(session, effects, values, actor=user, actor_role="renter",
                                       data={"total": price.total})
    if cover is not None:
        do_use_cover(session, booking_id, cover)
    booking = NewBooking(
        id=booking_id, user_id=user.id, space_id=space.id, resource_id=resource.id,
        start_at=interval.start, end_at=interval.end, seats=seats, status=values["status"],
        expires_at=values["expires_at"], timezone=space.timezone, price=price_json,
        total_minor=price.total, currency=price.currency)
    # What follows a hold (its notice and email, its release at expiry) is done for many
    # holds at a time: the id goes onto the batched "holds" list (do_follow_up_holds), one
    # script in the commit's Redis round trip instead of an RQ job per booking.
    effects.queue_batched("holds", booking.id)
    if price.total == 0:  # fully discounted: nothing to pay
        # payments imports this module (access, changes) at its top: imported here
        from coworking_app.services.payments.payments import do_mark_paid_without_payment

        row = session.get(Booking, booking.id)
        do_mark_paid_without_payment(session, effects, row, actor=user)
        session.flush()
        booking.status, booking.expires_at = row.status, row.expires_at
    return booking


# Holds are released by one job per HOLD_RELEASE_STEP seconds of expiry times (scheduled by
# do_follow_up_holds), not one per hold; the cron sweep releases any it missed within a minute.
HOLD_RELEASE_STEP = 5


def hold_release_at(expires_at: datetime) -> datetime:
    """When the release job of a hold expiring at `expires_at` runs: the end of its
    HOLD_RELEASE_STEP-second step (so at most that long after the expiry)."""
    epoch = int(expires_at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % HOLD_RELEASE_STEP + HOLD_RELEASE_STEP, timezone.utc)


_FOLLOW_UP = DriverStatement(
    select(Booking.id, Booking.status, Booking.expires_at, Booking.user_id, Booking.timezone,
           Booking.start_at, Booking.end_at, Booking.seats, Booking.total_minor, Booking.currency,
           Booking.refunded_minor, Booking.cancel_reason, Space.name, Space.address, Resource.name,
           User.full_name, User.language, User.notification_prefs, User.telegram_chat_id,
           # A waitlist offer: its own notice ("waitlist_offer") says it all; so does a
           # series' ("series_created", one for all its occurrences).
           select(WaitlistEntry.id).where(WaitlistEntry.booking_id == Booking.id).exists(),
           Booking.series_id.is_not(None))
    .join(Space, Space.id == Booking.space_id).join(Resource, Resource.id == Booking.resource_id)
    .join(User, User.id == Booking.user_id)
    .where(Booking.id == any_(bindparam("ids", type_=ARRAY(Integer))))
    # A payment committing meanwhile is waited for, and its status is what we read.
    .with_for_update(of=Booking, key_share=True))


@dataclass(frozen=True, slots=True)
class _HoldRow:
    id: int
    status: str
    expires_at: datetime | None
    user_id: int
    timezone: str
    start_at: datetime
    end_at: datetime
    seats: int
    total_minor: int
    currency: str
    refunded_minor: int
    cancel_reason: str | None
    space: str
    address: str
    resource: str
    renter: str
    language: str
    notification_prefs: dict | None
    telegram_chat_id: int | None
    from_waitlist: bool
    in_series: bool


@dataclass(frozen=True, slots=True)
class _Renter:
    id: int
    language: str
    notification_prefs: dict | None
    telegram_chat_id: int | None


def do_follow_up_holds(session: Session, effects: Effects, booking_ids: list[int], *,
                       now: datetime | None = None) -> dict[int, str]:
    """What follows new holds (the batched "holds" list, jobs.booking.follow_up_holds): each
    renter's notice "pay by ..." (in-app and email, notifications.NOTICE_BY_JOB), and the
    job that releases the holds at expiry (one per HOLD_RELEASE_STEP seconds of expiry
    times). Three statements for the batch: the bookings with what the notice shows, the
    notices, and (after commit) their emails go to the "emails" list. Nothing for a booking
    that is no longer an unpaid hold (paid in the meantime, say); no notice for an overdue
    one (it is released at once). Safe to run twice: notices and jobs are de-duplicated.
    Returns the outcome per booking id."""
    now = now or av.utcnow()
    outcomes = {booking_id: "skipped: no such booking" for booking_id in booking_ids}
    if not booking_ids:
        return outcomes
    rows = [_HoldRow(*row) for row in _FOLLOW_UP.execute(session, {"ids": list(booking_ids)}).fetchall()]
    notices, releases = [], set()
    for b in rows:
        if b.status != S.pending_payment.value or b.expires_at is None:
            outcomes[b.id] = f"skipped: booking is {b.status}"
            continue
        releases.add(hold_release_at(b.expires_at))
        if b.expires_at <= now:
            outcomes[b.id] = "overdue: released"
            continue
        if b.from_waitlist:
            outcomes[b.id] = "waitlist offer: notified by the offer"
            continue
        if b.in_series:
            outcomes[b.id] = "series: notified by the series"
            continue
        payload = payload_of_booking(b, space=b.space, address=b.address, resource=b.resource,
                                     renter=b.renter)
        renter = _Renter(b.user_id, b.language, b.notification_prefs, b.telegram_chat_id)
        notices.append(Notice(renter, "booking_created", payload, f"booking_created:{b.id}", b.id))
        outcomes[b.id] = "notified"
    for at in sorted(releases):
        effects.queue_job("jobs.booking.release_expired_holds", at=max(at, now),
                          job_id=f"release-holds-{int(at.timestamp())}")
    do_notify_many(session, effects, notices)
    return outcomes


def holds_without_follow_up(session: Session, *, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Unpaid holds made over a minute ago, not expiring within a minute, that have no
    "pay by" notice: their follow-up was lost (Redis lost the "holds" list, a batch failed).
    A renter who muted both channels has none either: following up again writes nothing."""
    now = now or av.utcnow()
    created = select(Notification.id).where(Notification.booking_id == Booking.id,
                                            Notification.type.in_(("booking_created", "waitlist_offer")))
    return list(session.scalars(
        select(Booking.id).where(Booking.status == S.pending_payment.value,
                                 Booking.expires_at > now + timedelta(minutes=1),
                                 Booking.created_at < now - timedelta(minutes=1),
                                 Booking.series_id.is_(None),  # a series' one notice: series_created
                                 ~created.exists())
        .order_by(Booking.id).limit(limit)))


# --- changes by the renter ---------------------------------------------------------------


@dataclass
class ChangeQuote:
    """What a change of a booking would come to, before anything is written: the new
    interval, seats and price, the difference, and what happens to the money. The preview
    in "Мои брони" (`quote_change`) and the write (`do_modify_booking`) both come from
    `_price_change`, so they cannot disagree."""

    booking_id: int
    interval: av.Interval
    seats: int
    free_seats: int  # free for the new interval, this booking left out
    price: PriceBreakdown  # the new price (same add-ons and promo code)
    addon_rows: list[dict]
    old_total: int
    difference: int  # new total - old total
    to_pay: int  # charged: a dearer change of a paid booking, applied after its payment
    refund: int  # given back now: a cheaper change of a paid booking, under the policy
    refund_percent: int  # of the difference, the policy's rate at this moment
    applies_now: bool  # False: the change waits for its payment (`pending_change`)
    unpaid: bool  # the booking is not paid yet: its new total is simply what is due
    needs_approval: bool  # a confirmed booking of an approval space goes back to the owner
    currency: str

    def shortage(self) -> Conflict | None:
        """The refusal the change would get now for want of seats, or None."""
        return seats_conflict(self.free_seats) if self.free_seats < self.seats else None


def _price_change(session: Session, user: User, booking: Booking, space: BookableSpace,
                  resource: BookableResource, tariffs: dict[str, int], change: BookingChange,
                  *, now: datetime, lock_promo: bool) -> ChangeQuote:
    """The one computation of a change: the checks of the new time and seats, the new price
    with the booking's add-ons and promo code, and the money (see do_modify_booking)."""
    if change.start is None and change.end is None and change.seats is None:
        raise InvalidInput("start", tr("укажите новое время или число мест"))
    interval = av.check_interval(space, resource, change.start or booking.start_at,
                                 change.end or booking.end_at, now=now)
    seats = av.check_seats(resource, change.seats if change.seats is not None else booking.seats)
    free = resource.capacity - av.booked_seats(session, resource.id, interval.start, interval.end,
                                               exclude_booking_id=booking.id)
    promo = session.get(PromoCode, booking.promo_id) if booking.promo_id else None
    addons = [AddonChoice(code=a["code"], quantity=a["quantity"]) for a in booking.addons]
    price, addon_rows, _promo = quote(
        session, space=space, resource=resource, tariffs=tariffs, user=user, interval=interval,
        seats=seats, addons=addons, promo_code=promo.code if promo else None, now=now,
        lock_promo=lock_promo, exclude_booking_id=booking.id)
    difference = price.total - booking.total_minor
    unpaid = booking.status == S.pending_payment
    to_pay = refund = percent = 0
    if not unpaid and difference > 0:
        to_pay = difference
    elif not unpaid and difference < 0:
        # Shrinking is a partial cancellation: the policy's rate now (everything while the
        # owner has not confirmed yet), never more than what is left of the payments.
        percent = 100 if booking.status == S.paid else refund_percent(booking.policy, booking.start_at, now)
        refund = max(0, min(div_round(-difference * percent, 100), booking.paid_minor - booking.refunded_minor))
    return ChangeQuote(
        booking_id=booking.id, interval=interval, seats=seats, free_seats=free, price=price,
        addon_rows=addon_rows, old_total=booking.total_minor, difference=difference,
        to_pay=to_pay, refund=refund, refund_percent=percent, applies_now=to_pay == 0,
        unpaid=unpaid, needs_approval=booking.status == S.confirmed and not space.instant_book,
        currency=price.currency)


def quote_change(session: Session, user: User | None, booking_id: int, change: BookingChange,
                 *, now: datetime | None = None) -> ChangeQuote:
    """The preview of a change (the modify dialog, POST /bookings/{id}/change-quote):
    exactly what `do_modify_booking` would do now, without writing anything. Refuses what
    it would refuse (the booking policy, a bad time, a closed day), except for want of
    seats, which the preview reports (`ChangeQuote.shortage`) with the price beside it."""
    user = check_can_book(user)
    now = now or av.utcnow()
    booking = access_booking(session, user, booking_id, action="modify", now=now, sides=("renter",))[0]
    space, resource, tariffs = _bookable(session, booking.resource_id, lock=False)
    return _price_change(session, user, booking, space, resource, tariffs, change, now=now,
                         lock_promo=False)


def do_modify_booking(session: Session, effects: Effects, user: User | None, booking_id: int,
                      change: BookingChange,
                      *, now: datetime | None = None) -> tuple[Booking, int]:
    """New time and/or seats if free. Returns the booking and the price difference.

    - An unpaid booking simply changes (its unpaid payment is superseded).
    - A paid booking that gets cheaper changes at once; the difference is refunded at the
      rate the cancellation policy gives now (shrinking is a partial cancellation).
    - A paid booking that gets dearer does not change yet: the change waits in
      `pending_change` with `balance_due`, and applies only when that payment succeeds and
      the seats are still free (services.payments.payments); otherwise the money goes back.
    On a space where the owner approves bookings, a changed booking waits for approval again.
    The numbers are `_price_change`'s, the same the preview (`quote_change`) shows.
    """
    # payments imports this module (access, changes) at its top: imported here
    from coworking_app.services.payments.payments import do_cancel_pending_payments, do_refund_booking

    user = check_can_book(user)
    now = now or av.utcnow()
    booking = access_booking_for_renter(session, user, booking_id, action="modify", now=now)
    if change.start is None and change.end is None and change.seats is None:
        raise InvalidInput("start", tr("укажите новое время или число мест"))
    space, resource, tariffs = _bookable(session, booking.resource_id, lock=True)
    do_expire_holds(session, effects, now=now, resource_id=resource.id)
    session.refresh(booking)
    if booking.status == S.expired:
        raise Conflict("status", tr("время на оплату истекло, бронь снята"))
    q = _price_change(session, user, booking, space, resource, tariffs, change, now=now, lock_promo=True)
    short = q.shortage()
    if short is not None:
        raise short
    interval, price = q.interval, q.price
    snapshot = {"start": interval.start.isoformat(), "end": interval.end.isoformat(),
                "seats": q.seats, "price": price.model_dump(mode="json"), "addons": q.addon_rows,
                "total": price.total, "requested_at": now.isoformat()}
    do_cancel_pending_payments(session, booking)  # whatever was unpaid is superseded
    booking.pending_change, booking.balance_due_minor = None, 0
    if not q.applies_now:
        booking.pending_change, booking.balance_due_minor = snapshot, q.to_pay
        do_log_event(session, effects, booking, "request_change", booking.status, actor=user,
                     actor_role="renter", data={"change": snapshot, "difference": q.difference})
    else:
        do_apply_change(session, effects, booking, space, snapshot, actor=user, actor_role="renter")
        if q.refund > 0:
            do_refund_booking(session, effects, booking, q.refund,
                              reason=tr("изменение брони ({refund_percent} %)", refund_percent=q.refund_percent), ledger_kind="change",
                              actor_id=user.id)
    session.flush()
    return booking, q.difference


def do_apply_change(session: Session, effects: Effects, booking: Booking, space: Space | BookableSpace,
                    snapshot: dict, *,
                    actor: User | None, actor_role: str) -> None:
    """Writes a checked change (the caller holds the resource lock and counted the seats)."""
    old = {"start": booking.start_at.isoformat(), "end": booking.end_at.isoformat(),
           "seats": booking.seats, "total": booking.total_minor}
    booking.start_at = datetime.fromisoformat(snapshot["start"])
    booking.end_at = datetime.fromisoformat(snapshot["end"])
    booking.seats, booking.price = snapshot["seats"], snapshot["price"]
    booking.addons, booking.total_minor = snapshot["addons"], snapshot["total"]
    booking.pending_change, booking.balance_due_minor = None, 0
    with _overlap_refused_as_conflict():
        session.flush()
    if booking.status == S.confirmed and not space.instant_book:
        # The owner approved the old booking, not this one.
        do_transition(session, effects, booking, "modify", actor=actor, actor_role=actor_role,
                      reason=tr("изменение ждёт подтверждения владельца"), data={"old": old})
    else:
        do_log_event(session, effects, booking, "modify", booking.status, actor=actor,
                     actor_role=actor_role, data={"old": old})


def cancellation_refund(booking: Booking, role: str, now: datetime) -> tuple[int, int]:
    """(amount, percent) a cancellation now would give back. Owners and admins cancelling,
    and rejections, refund in full; a renter gets the policy's tier."""
    refundable = booking.paid_minor - booking.refunded_minor
    if refundable <= 0:
        return 0, 0
    # Owners and admins, and bookings the owner has not confirmed yet: everything back.
    full = role in ("owner", "admin") or booking.status == S.paid
    percent = 100 if full else refund_percent(booking.policy, booking.start_at, now)
    return div_round(refundable * percent, 100), percent


def do_cancel_booking(session: Session, effects: Effects, user: User | None, booking_id: int, *,
                      reason: str | None = None, now: datetime | None = None) -> tuple[Booking, int]:
    # payments imports this module (access, changes) at its top: imported here
    from coworking_app.services.payments.payments import do_cancel_pending_payments, do_refund_booking

    now = now or av.utcnow()
    booking, role = access_booking(session, user, booking_id, for_update=True, action="cancel", now=now)
    reason = check_chars("reason", (reason or "").strip()[:500], multiline=True) or None
    if role in ("owner", "admin") and not reason:
        raise InvalidInput("reason", tr("Укажите причину отмены: гость увидит её в уведомлении"))
    amount, percent = cancellation_refund(booking, role, now)
    do_transition(session, effects, booking, "cancel", actor=user, actor_role=role, reason=reason,
                  data={"refund": amount, "percent": percent})
    booking.cancel_reason = reason
    do_cancel_pending_payments(session, booking)
    # What the policy does not give back is the late-cancellation fee.
    penalty = do_charge_penalty(session, booking, PenaltyKind.late_cancellation,
                                booking.paid_minor - booking.refunded_minor - amount)
    penalty_id = penalty.id if penalty else None
    if amount:
        do_refund_booking(session, effects, booking, amount, reason=tr("отмена ({percent} %)", percent=percent),
                          ledger_kind="cancellation", actor_id=user.id, penalty_id=penalty_id)
    ledger.do_post_booking(session, effects, booking, "cancellation", actor_id=user.id, penalty_id=penalty_id)
    session.flush()
    return booking, amount


# --- owner decisions ----------------------------------------------------------------------


def do_accept_booking(session: Session, effects: Effects, user: User | None, booking_id: int,
                      *, now: datetime | None = None) -> Booking:
    booking, role = access_booking_for_owner(session, user, booking_id, action="accept", now=now)
    do_transition(session, effects, booking, "accept", actor=user, actor_role=role)
    session.flush()
    return booking


def do_reject_booking(session: Session, effects: Effects, user: User | None, booking_id: int,
                      reason: str | None = None, *, now: datetime | None = None) -> tuple[Booking, int]:
    """The owner refuses a paid booking: everything paid goes back, and the guest is told
    why (the reason is required: it goes into the notice and the booking's history)."""
    # payments imports this module (access, changes) at its top: imported here
    from coworking_app.services.payments.payments import do_refund_booking

    booking, role = access_booking_for_owner(session, user, booking_id, action="reject", now=now)
    reason = check_chars("reason", (reason or "").strip()[:500], multiline=True)
    if not reason:
        raise InvalidInput("reason", tr("Укажите причину отказа: гость увидит её в уведомлении"))
    amount = booking.paid_minor - booking.refunded_minor
    do_transition(session, effects, booking, "reject", actor=user, actor_role=role, reason=reason,
                  data={"refund": amount})
    booking.cancel_reason = reason
    if amount > 0:
        do_refund_booking(session, effects, booking, amount, reason=tr("отклонено владельцем"),
                          ledger_kind="rejection", actor_id=user.id)
    session.flush()
    return booking, amount


def do_cancel_for_closure(session: Session, effects: Effects, user: User | None, space_id: int,
                          closure_id: int, booking_id: int, *,
                          now: datetime | None = None) -> tuple[Booking, int]:
    """The owner cancels a booking that falls on days they closed: an owner's cancellation
    (`do_cancel_booking`: everything paid goes back), with the closure as the reason the
    guest reads. Only bookings still holding seats on those days (`bookings_on_closure`)."""
    space, closure = access_closure_for_owner(session, user, space_id, closure_id)
    if booking_id not in {b.id for b in bookings_on_closure(session, space, closure)}:
        raise NotFound(tr("Бронь не найдена среди броней на закрытые дни"))
    reason = tr("пространство закрыто {period}: {reason}", period=closure_of(closure).period, reason=closure.reason)
    return do_cancel_booking(session, effects, user, booking_id, reason=reason, now=now)


def do_mark_no_show(session: Session, effects: Effects, user: User | None, booking_id: int,
                    *, now: datetime | None = None) -> Booking:
    """The owner marks that the guest did not come (do_record_no_show)."""
    now = now or av.utcnow()
    booking, role = access_booking_for_owner(session, user, booking_id, action="no_show", now=now)
    return do_record_no_show(session, effects, booking, actor=user, role=role)


def do_record_no_show(session: Session, effects: Effects, booking: Booking, *, actor: User | None, role: str,
                      reason: str | None = None) -> Booking:
    """The (locked, confirmed) booking is a no-show: it keeps the space's no-show fee (its
    `no_show_fee_percent` of what was paid, all of it by default) and the rest goes back.
    By the owner, or by the system when nobody checked in (services/booking/checkin.py)."""
    # payments imports this module (access, changes) at its top: imported here
    from coworking_app.services.payments.payments import do_refund_booking

    space = session.get(Space, booking.space_id)
    fee = no_show_fee(booking, space.no_show_fee_percent)
    back = booking.paid_minor - booking.refunded_minor - fee
    actor_id = actor.id if actor is not None else None
    do_transition(session, effects, booking, "no_show", actor=actor, actor_role=role, reason=reason,
                  data={"fee": fee, "refund": back})
    penalty = do_charge_penalty(session, booking, PenaltyKind.no_show, fee)
    penalty_id = penalty.id if penalty else None
    if back > 0:
        do_refund_booking(session, effects, booking, back, reason=tr("неявка: возврат сверх штрафа"),
                          ledger_kind="no_show", actor_id=actor_id, penalty_id=penalty_id)
    ledger.do_post_booking(session, effects, booking, "no_show", actor_id=actor_id, penalty_id=penalty_id)
    session.flush()
    return booking


# --- lists -------------------------------------------------------------------------------


class BookingFilter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scope: str = Field("mine", pattern="^(mine|owner)$")
    status: list[BookingStatus] = Field(default_factory=list)
    space_id: Id | None = None
    resource_id: Id | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    tab: str | None = Field(None, pattern="^(upcoming|past|cancelled)$")
    limit: int = Field(100, ge=1, le=500)


def list_bookings(session: Session, user: User | None, flt: BookingFilter,
                  *, now: datetime | None = None) -> list[Booking]:
    """The renter's own bookings, or (scope=owner) the bookings of the owner's spaces."""
    if user is None:
        raise NotAuthenticated()
    now = now or av.utcnow()
    query = select(Booking)
    if flt.scope == "owner":
        if not user.has_role(Role.owner, Role.admin):
            raise NotFound(tr("Нет пространств"))
        if not user.has_role(Role.admin):
            query = query.join(Space, Space.id == Booking.space_id).where(Space.owner_id == user.id)
    else:
        query = query.where(Booking.user_id == user.id)
    if flt.status:
        query = query.where(Booking.status.in_([s.value for s in flt.status]))
    if flt.space_id:
        query = query.where(Booking.space_id == flt.space_id)
    if flt.resource_id:
        query = query.where(Booking.resource_id == flt.resource_id)
    if flt.date_from:
        query = query.where(Booking.end_at > datetime.combine(flt.date_from, datetime.min.time(),
                                                              tzinfo=timezone.utc) - timedelta(hours=14))
    if flt.date_to:
        query = query.where(Booking.start_at < datetime.combine(flt.date_to, datetime.min.time(),
                                                                tzinfo=timezone.utc) + timedelta(days=1, hours=14))
    closed = [S.cancelled.value, S.expired.value]
    if flt.tab == "upcoming":
        query = query.where(Booking.end_at > now, Booking.status.not_in(closed + [S.completed.value, S.no_show.value]))
        query = query.order_by(Booking.start_at.asc(), Booking.id)
    elif flt.tab == "past":
        query = query.where(or_(Booking.status.in_([S.completed.value, S.no_show.value]),
                                (Booking.end_at <= now) & Booking.status.not_in(closed)))
        query = query.order_by(Booking.start_at.desc(), Booking.id.desc())
    elif flt.tab == "cancelled":
        query = query.where(Booking.status.in_(closed)).order_by(Booking.start_at.desc(), Booking.id.desc())
    else:
        query = query.order_by(Booking.start_at.desc(), Booking.id.desc())
    return list(session.scalars(query.limit(flt.limit)))


def list_events(session: Session, booking: Booking) -> list[BookingEvent]:
    return list(session.scalars(select(BookingEvent).where(BookingEvent.booking_id == booking.id)
                                .order_by(BookingEvent.id)))


# --- what the API and the cabinet show -----------------------------------------------------


class BookingView(BaseModel):
    id: int
    status: str
    status_label: str
    space_id: int
    space_name: str
    space_address: str
    resource_id: int
    resource_name: str
    resource_type: str
    start: datetime  # in the space's zone, with its offset
    end: datetime
    timezone: str
    seats: int
    expires_at: datetime | None
    price: dict
    addons: list[dict]
    total: int
    currency: str
    paid: int
    refunded: int
    balance_due: int
    pending_change: dict | None = None  # a dearer change waiting for its payment
    policy: str
    policy_terms: list[str]
    cancel_reason: str | None
    renter_name: str | None = None  # owners see who booked
    renter_email: str | None = None
    refund_if_cancelled_now: int = 0
    actions: list[str] = []  # what the viewer may do now: pay, cancel, modify, accept, ...
    credit_notes: list[int] = []  # refund ids: each refund has a credit note
    company_id: int | None = None  # booked on this company's account
    penalties: list[dict] = []  # fees kept: {"kind", "label", "amount", "status", "status_label"}
    checked_in_at: datetime | None = None  # the guest's arrival (services/booking/checkin.py), space's zone
    series_id: int | None = None  # an occurrence of a recurring series (services/booking/series.py)
    created_at: datetime | None


def booking_views(session: Session, bookings: list[Booking], viewer: User,
                  *, now: datetime | None = None) -> list[BookingView]:
    """Bookings as the viewer sees them, with the actions open to them right now."""
    from zoneinfo import ZoneInfo

    now = now or av.utcnow()
    if not bookings:
        return []
    space_ids = {b.space_id for b in bookings}
    resource_ids = {b.resource_id for b in bookings}
    spaces = {s.id: s for s in session.scalars(select(Space).where(Space.id.in_(space_ids)))}
    resources = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(resource_ids)))}
    renters = {u.id: u for u in session.scalars(
        select(User).where(User.id.in_({b.user_id for b in bookings})))}
    notes: dict[int, list[int]] = {}
    for refund_id, booking_id in session.execute(
            select(Refund.id, Refund.booking_id).where(
                Refund.booking_id.in_([b.id for b in bookings])).order_by(Refund.id)):
        notes.setdefault(booking_id, []).append(refund_id)
    reviewed = set(session.scalars(select(Review.booking_id).where(
        Review.booking_id.in_([b.id for b in bookings]))))
    fees = booking_penalties(session, [b.id for b in bookings if b.status in (S.cancelled, S.no_show)])
    views = []
    for b in bookings:
        space, resource = spaces[b.space_id], resources[b.resource_id]
        role = booking_role(viewer, b, space.owner_id)
        actions = actions_for(viewer, b, now=now, host_id=space.owner_id, reviewed=b.id in reviewed)
        zone = ZoneInfo(b.timezone)
        renter = renters.get(b.user_id)
        views.append(BookingView(
            id=b.id, status=b.status, status_label=STATUS_LABELS[b.status], space_id=space.id,
            space_name=space.name, space_address=space.address, resource_id=resource.id,
            resource_name=resource.name, resource_type=resource.kind,
            start=local_moment(b.start_at, zone), end=local_moment(b.end_at, zone), timezone=b.timezone,
            seats=b.seats, expires_at=local_moment(b.expires_at, zone) if b.expires_at else None,
            price=b.price, addons=b.addons, total=b.total_minor, currency=b.currency,
            paid=b.paid_minor, refunded=b.refunded_minor, balance_due=b.balance_due_minor,
            pending_change=({"start": datetime.fromisoformat(b.pending_change["start"]).astimezone(zone),
                             "end": datetime.fromisoformat(b.pending_change["end"]).astimezone(zone),
                             "seats": b.pending_change["seats"], "total": b.pending_change["total"]}
                            if b.pending_change else None),
            policy=b.policy, policy_terms=policy_terms(b.policy), cancel_reason=b.cancel_reason,
            renter_name=renter.full_name if renter and role in ("owner", "admin") else None,
            renter_email=renter.email if renter and role in ("owner", "admin") else None,
            refund_if_cancelled_now=cancellation_refund(b, role, now)[0],
            actions=actions, credit_notes=notes.get(b.id, []), company_id=b.company_id,
            penalties=[{"kind": p.kind, "label": p.kind_label, "amount": p.amount_minor, "status": p.status,
                        "status_label": p.status_label} for p in fees.get(b.id, [])],
            checked_in_at=b.checked_in_at.astimezone(zone) if b.checked_in_at else None,
            series_id=b.series_id, created_at=b.created_at,
        ))
    return views


def owner_day_slots(session: Session, user: User | None, resource_id: int, day: date) -> tuple[Resource, list[av.Slot]]:
    """A day's 30-minute occupancy of one of the owner's resources (the owner's day view)."""
    space, resource = access_resource_for_owner(session, user, resource_id)
    return resource, av.day_slots(session, space, [resource], day)[0].slots
