"""The waitlist (docs/booking.md, "Waitlist"): a place in line for a resource's interval that
has no free seats; when seats free up, the first entry in line whose request now fits gets a
hold.

- Joining: the request is checked as a booking would be (the space's hours and closures, the
  resource's length limits, seats) and refused while enough seats are free (then the person
  books). One waiting entry per person, resource and interval; WAITLIST_MAX_ENTRIES at once.
  Its position is the number of waiting entries of the resource whose interval overlaps it
  and that came earlier, plus one.
- Offering (`do_offer_freed_seats`): every change that frees seats (a cancellation, a
  rejection, an expired hold, a no-show, a change of time or seats:
  booking_states.do_log_event) pushes the resource's id onto the batched list "freed"
  (jobs.booking.offer_waitlist). For each resource, under its row lock (the lock every
  booking of it takes), the line is walked in order of arrival: an entry whose interval now
  has its seats gets a hold (`bookings.do_create_booking`, held WAITLIST_HOLD_SECONDS, the
  normal price) and a `waitlist_offer` notice on every channel the person has on. Seats are
  counted after each hold, so two seats freed at once go to the first two, never twice to
  one entry, never beyond capacity. An offer that lapses frees its seats again: the next in
  line gets them. Entries whose time has come are closed.
- An entry is "waiting", "offered" (with its hold's booking), "left" or "closed".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import func, select, update
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import format_money, format_moment, format_stay
from coworking_app.services.accounts.permissions import check_can_book, check_role
from coworking_app.services.booking import availability as av
from coworking_app.services.booking.bookings import BookingRequest, do_create_booking, quote_booking
from coworking_app.services.common.errors import Conflict, NotFound, ServiceError
from coworking_app.services.common.fields import Moment, StrictId
from coworking_app.services.messaging.notifications import do_notify
from coworking_app.settings import get_settings
from models import Booking, BookingStatus, Resource, Role, Space, User, WaitlistEntry, WaitlistStatus
from coworking_app.i18n import tr

log = logging.getLogger(__name__)
W = WaitlistStatus


class WaitlistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_id: StrictId
    start: Moment
    end: Moment
    seats: StrictInt | None = Field(1, ge=1, le=10_000)


@dataclass(frozen=True)
class WaitlistEntryOut:
    id: int
    position: int  # in line; 0 once offered, left or closed
    status: str  # waiting | offered | left | closed
    resource_id: int
    space_id: int
    space_name: str
    resource_name: str
    start: datetime  # in the space's zone
    end: datetime
    seats: int
    whole: bool  # a room or office booked whole: its seats are not chosen
    booking_id: int | None  # the offer's hold
    offer_expires_at: datetime | None  # while the hold waits for its payment
    booking_status: str | None


# --- joining and leaving -------------------------------------------------------------------


def do_join_waitlist(session: Session, effects: Effects, user: User | None, request: WaitlistRequest, *,
                     now: datetime | None = None) -> WaitlistEntry:
    """A place in line for an interval that has no seats for the request now."""
    user = check_can_book(user)
    now = now or av.utcnow()
    quote = quote_booking(session, user, BookingRequest(resource_id=request.resource_id, start=request.start,
                                                        end=request.end, seats=request.seats), now=now)
    if quote.free_seats >= quote.seats:
        raise Conflict("seats", tr("На это время места есть — их можно забронировать сейчас"))
    waiting = select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.user_id == user.id, WaitlistEntry.status == W.waiting.value)
    if (session.scalar(waiting) or 0) >= get_settings().waitlist_max_entries:
        raise Conflict("resource_id", tr("Вы уже ждёте места в слишком многих листах ожидания: выйдите из ненужных в «Моих бронях»"))
    same = session.scalar(select(WaitlistEntry.id).where(
        WaitlistEntry.user_id == user.id, WaitlistEntry.resource_id == quote.resource.id,
        WaitlistEntry.start_at == quote.interval.start, WaitlistEntry.end_at == quote.interval.end,
        WaitlistEntry.status == W.waiting.value))
    if same is not None:
        raise Conflict("start", tr("Вы уже в листе ожидания на это время"))
    entry = WaitlistEntry(user_id=user.id, space_id=quote.space.id, resource_id=quote.resource.id,
                          start_at=quote.interval.start, end_at=quote.interval.end, seats=quote.seats)
    session.add(entry)
    session.flush()
    return entry


def access_own_entry(session: Session, user: User | None, entry_id: int, *, lock: bool = False) -> WaitlistEntry:
    user = check_role(user, Role.renter, Role.owner, Role.operator, Role.admin)
    entry = session.get(WaitlistEntry, entry_id, with_for_update=lock) if 0 < entry_id < 2**31 else None
    if entry is None or entry.user_id != user.id:
        raise NotFound(tr("Запись в листе ожидания не найдена"))
    return entry


def do_leave_waitlist(session: Session, user: User | None, entry_id: int) -> None:
    entry = access_own_entry(session, user, entry_id, lock=True)
    if entry.status == W.offered:
        raise Conflict("status", tr("место уже предложено: если бронь № {booking_id} не нужна, отмените её в «Моих бронях»", booking_id=entry.booking_id))
    if entry.status == W.waiting:
        entry.status = W.left.value
        session.flush()


# --- reading -------------------------------------------------------------------------------


def positions(session: Session, entry_ids: list[int]) -> dict[int, int]:
    """Place in line of each waiting entry (1 = next): earlier waiting entries of the same
    resource whose interval overlaps it, plus one."""
    if not entry_ids:
        return {}
    ahead = session.execute(select(WaitlistEntry.id, _ahead_count()).where(
        WaitlistEntry.id.in_(entry_ids), WaitlistEntry.status == W.waiting.value))
    return {entry_id: int(count) + 1 for entry_id, count in ahead}


def _ahead_count():
    other = WaitlistEntry.__table__.alias("other")
    me = WaitlistEntry.__table__
    return (select(func.count()).select_from(other)
            .where(other.c.resource_id == me.c.resource_id, other.c.status == W.waiting.value,
                   other.c.id < me.c.id, other.c.start_at < me.c.end_at, other.c.end_at > me.c.start_at)
            .correlate(me).scalar_subquery())


def entry_views(session: Session, entries: list[WaitlistEntry]) -> list[WaitlistEntryOut]:
    places = positions(session, [e.id for e in entries if e.status == W.waiting])
    ids = {e.resource_id for e in entries}
    names = {rid: (space, resource, zone, kind) for rid, space, resource, zone, kind in session.execute(
        select(Resource.id, Space.name, Resource.name, Space.timezone, Resource.kind)
        .join(Space, Space.id == Resource.space_id).where(Resource.id.in_(ids)))} if ids else {}
    holds = {b.id: b for b in session.scalars(select(Booking).where(
        Booking.id.in_([e.booking_id for e in entries if e.booking_id])))} if any(e.booking_id for e in entries) else {}
    out = []
    for e in entries:
        space, resource, zone, kind = names.get(e.resource_id, ("", "", "Europe/Moscow", ""))
        tz = ZoneInfo(zone)
        hold = holds.get(e.booking_id) if e.booking_id else None
        waiting_payment = hold is not None and hold.status == BookingStatus.pending_payment
        out.append(WaitlistEntryOut(
            e.id, places.get(e.id, 0), e.status, e.resource_id, e.space_id, space, resource,
            e.start_at.astimezone(tz), e.end_at.astimezone(tz), e.seats, kind in av.WHOLE_KINDS, e.booking_id,
            hold.expires_at.astimezone(tz) if waiting_payment and hold.expires_at else None,
            hold.status if hold is not None else None))
    return out


def my_waitlist(session: Session, user: User | None, *, now: datetime | None = None) -> list[WaitlistEntryOut]:
    """The person's entries still ahead (waiting, or offered and not yet over), newest first."""
    user = check_role(user, Role.renter, Role.owner, Role.operator, Role.admin)
    now = now or av.utcnow()
    entries = list(session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.user_id == user.id, WaitlistEntry.status.in_([W.waiting.value, W.offered.value]),
        WaitlistEntry.end_at > now).order_by(WaitlistEntry.id.desc()).limit(200)))
    return entry_views(session, entries)


def owner_waitlist(session: Session, user: User | None, space_id: int, day: date, *,
                   resource_id: int | None = None) -> list[WaitlistEntryOut]:
    """The line of one of the owner's spaces (or one resource of it) for a local day (its
    owner, operators and admins), in order of arrival."""
    user = check_role(user, Role.owner, Role.operator, Role.admin)
    space = session.get(Space, space_id) if 0 < space_id < 2**31 else None
    if space is None or (space.owner_id != user.id and not user.has_role(Role.operator, Role.admin)):
        raise NotFound(tr("Пространство не найдено"))
    zone = ZoneInfo(space.timezone)
    day_start = datetime.combine(day, time.min, tzinfo=zone)
    day_end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    query = select(WaitlistEntry).where(
        WaitlistEntry.space_id == space.id, WaitlistEntry.status.in_([W.waiting.value, W.offered.value]),
        WaitlistEntry.start_at < day_end, WaitlistEntry.end_at > day_start).order_by(WaitlistEntry.id)
    if resource_id is not None:
        query = query.where(WaitlistEntry.resource_id == resource_id)
    entries = list(session.scalars(query.limit(500)))
    return entry_views(session, entries)


# --- offering freed seats ----------------------------------------------------------------------


def lines_waiting(session: Session, *, limit: int = 1000) -> list[int]:
    """Resources with someone waiting (the minute sweep offers them again: a push of the
    "freed" list that Redis lost is caught up within a minute)."""
    return list(session.scalars(select(WaitlistEntry.resource_id).where(WaitlistEntry.status == W.waiting.value)
                                .group_by(WaitlistEntry.resource_id).order_by(WaitlistEntry.resource_id).limit(limit)))


def do_offer_freed_seats(session: Session, effects: Effects, resource_id: int, *,
                         now: datetime | None = None) -> list[int]:
    """Seats of the resource may have freed up: the line is walked in order of arrival and
    each entry that fits now gets a hold. Returns the ids of the entries offered."""
    now = now or av.utcnow()
    if session.get(Resource, resource_id, with_for_update=True) is None:
        return []
    # Entries whose time has come leave the line.
    session.execute(update(WaitlistEntry).where(
        WaitlistEntry.resource_id == resource_id, WaitlistEntry.status == W.waiting.value,
        WaitlistEntry.start_at <= now).values(status=W.closed.value))
    line = list(session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.resource_id == resource_id, WaitlistEntry.status == W.waiting.value)
        .order_by(WaitlistEntry.id).with_for_update()))
    capacity = session.scalar(select(Resource.capacity).where(Resource.id == resource_id))
    offered = []
    for entry in line:
        if capacity - av.booked_seats(session, resource_id, entry.start_at, entry.end_at) < entry.seats:
            continue
        if _offer(session, effects, entry, now):
            offered.append(entry.id)
    session.flush()
    return offered


def _offer(session: Session, effects: Effects, entry: WaitlistEntry, now: datetime) -> bool:
    user = session.get(User, entry.user_id)
    request = BookingRequest(resource_id=entry.resource_id, start=entry.start_at, end=entry.end_at,
                             seats=entry.seats)
    try:
        with session.begin_nested():  # a refusal (the space closed that day, ...) undoes only this hold
            hold = do_create_booking(session, effects, user, request, now=now,
                                     hold_seconds=get_settings().waitlist_hold_seconds)
    except ServiceError as exc:
        log.info("waitlist entry %s cannot be offered: %s", entry.id, exc)
        entry.status = W.closed.value
        return False
    entry.status, entry.booking_id, entry.offered_at = W.offered.value, hold.id, now
    zone = ZoneInfo(hold.timezone)
    space, resource = session.execute(select(Space.name, Resource.name).join(Resource, Resource.space_id == Space.id)
                                      .where(Resource.id == entry.resource_id)).one()
    do_notify(session, effects, user, "waitlist_offer", {
        "booking_id": hold.id, "space": space, "resource": resource,
        "when": format_stay(hold.start_at.astimezone(zone), hold.end_at.astimezone(zone)),
        "until": format_moment(hold.expires_at, zone, named=True), "amount": format_money(hold.total_minor, hold.currency),
        "link": "/cabinet/bookings"}, dedupe=f"waitlist_offer:{entry.id}", booking_id=hold.id)
    return True
