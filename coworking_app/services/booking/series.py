"""Recurring bookings (docs/booking.md, "Series"): one request and an RFC 5545 rule
("FREQ=WEEKLY;BYDAY=TU;COUNT=8", python-dateutil's rrule) make up to MAX_OCCURRENCES bookings
of the same resource, each at the same local time in the space's zone (10:00 stays 10:00
across a DST change). Each occurrence is booked as any booking is (the resource's lock, the
seat count, closures, the price), inside a savepoint: one that does not fit is reported with
its reason and the others are made. They are held together and paid together (one checkout
for all: payments.do_start_series_payment), and cancelled or moved together: every future
one, or those of a date range, each under the cancellation policy like a single booking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import format_money, plural
from coworking_app.services.accounts.permissions import check_can_book
from coworking_app.services.booking import availability as av
from coworking_app.services.booking.bookings import (
    BookingChange,
    BookingRequest,
    NewBooking,
    do_cancel_booking,
    do_create_booking,
    do_modify_booking,
)
from coworking_app.services.booking.pricing import AddonChoice
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound, ServiceError
from coworking_app.services.common.fields import Day, Line, Moment, StrictId
from coworking_app.services.messaging.notifications import do_notify
from models import Booking, BookingSeries, BookingStatus, Resource, Space
from coworking_app.i18n import tr

S = BookingStatus
MAX_OCCURRENCES = 52
MAX_UNPAID_SERIES = 2  # a person's series with dates held and not paid, at once (no hoarding a calendar)
LIVE = (S.pending_payment.value, S.paid.value, S.confirmed.value)
_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")


class SeriesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_id: StrictId
    start: Moment  # the first occurrence
    end: Moment
    seats: StrictInt | None = Field(1, ge=1, le=10_000)
    addons: list[AddonChoice] = Field(default_factory=list, max_length=20)
    rrule: Line(300, min_length=6)


@dataclass(frozen=True)
class SeriesConflict:
    start: datetime
    end: datetime
    reason: str


@dataclass
class NewSeries:
    series_id: int
    bookings: list[NewBooking]
    conflicts: list[SeriesConflict]
    total_minor: int
    currency: str


# --- the rule ------------------------------------------------------------------------------


def check_rule(rule: str, first: datetime) -> list[datetime]:
    """The occurrences' local starts (naive, the first included) of an RFC 5545 rule from
    `first` (naive local time): DAILY, WEEKLY or MONTHLY, ended by COUNT or UNTIL, at most
    MAX_OCCURRENCES. InvalidInput on `rrule` otherwise."""
    text = rule.strip().upper()
    if text.startswith("RRULE:"):
        text = text[6:]
    parts = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    if "DTSTART" in text or any(key in parts for key in ("BYHOUR", "BYMINUTE", "BYSECOND")):
        raise InvalidInput("rrule", tr("начало и время берутся из брони: уберите DTSTART, BYHOUR, BYMINUTE"))
    if parts.get("FREQ") not in _FREQUENCIES:
        raise InvalidInput("rrule", tr("повторять можно каждый день, неделю или месяц (FREQ=DAILY, WEEKLY, MONTHLY)"))
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise InvalidInput("rrule", tr("укажите, сколько раз повторять (COUNT) или до какой даты (UNTIL)"))
    try:
        recurrence = rrulestr(text, dtstart=first, ignoretz=True)
        starts = list(islice(iter(recurrence), MAX_OCCURRENCES + 1))
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput("rrule", tr("правило повторения не распознано: например, FREQ=WEEKLY;BYDAY=TU;COUNT=8")) from exc
    if len(starts) > MAX_OCCURRENCES:
        raise InvalidInput("rrule", tr("не больше {MAX_OCCURRENCES} повторений", MAX_OCCURRENCES=MAX_OCCURRENCES))
    if not starts:
        raise InvalidInput("rrule", tr("по этому правилу нет ни одной даты"))
    if starts[0] != first:
        starts.insert(0, first)  # the first booking itself, even when the rule skips its day
        starts = starts[:MAX_OCCURRENCES]
    return starts


def _localize(naive: datetime, zone: ZoneInfo) -> datetime | None:
    """The local wall time in `zone`, or None when the clock skips it (a DST night)."""
    moment = naive.replace(tzinfo=zone)
    back = moment.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)
    return moment if back == naive else None


def occurrences(rule: str, start: datetime, end: datetime, zone: ZoneInfo,
                ) -> list[tuple[datetime, datetime, str | None]]:
    """(start, end, problem) of each occurrence: the first request's local times repeated by
    the rule, so the local time stays across DST; problem: a local time the clock skips."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    first = local_start.replace(tzinfo=None)
    length = local_end.replace(tzinfo=None) - first  # local length: 10:00-12:00 stays two hours
    out = []
    for naive in check_rule(rule, first):
        begins, ends = _localize(naive, zone), _localize(naive + length, zone)
        if begins is None or ends is None:
            out.append((naive.replace(tzinfo=zone), (naive + length).replace(tzinfo=zone),
                        tr("в этот день такого времени нет: часы переводят")))
        else:
            out.append((begins, ends, None))
    return out


# --- making a series -----------------------------------------------------------------------


def do_create_series(session: Session, effects: Effects, user, request: SeriesRequest, *,
                     now: datetime | None = None) -> NewSeries:
    """The series and every occurrence that fits, held together until they are paid;
    the others as conflicts. 409 when none fits (nothing is written)."""
    user = check_can_book(user)
    now = now or av.utcnow()
    resource = session.get(Resource, request.resource_id) if 0 < request.resource_id < 2**31 else None
    space = session.get(Space, resource.space_id) if resource is not None else None
    if resource is None or space is None:
        raise NotFound(tr("Ресурс не найден"))
    zone = ZoneInfo(space.timezone)
    planned = occurrences(request.rrule, request.start, request.end, zone)
    if unpaid_series(session, user.id, now=now) >= MAX_UNPAID_SERIES:
        raise Conflict("rrule", tr("у вас уже {MAX_UNPAID_SERIES} неоплаченные серии: оплатите или отмените их, прежде чем бронировать новую", MAX_UNPAID_SERIES=MAX_UNPAID_SERIES))
    series = BookingSeries(user_id=user.id, space_id=space.id, resource_id=resource.id, rule=request.rrule.strip(),
                           seats=request.seats or 1, timezone=space.timezone,
                           addons=[a.model_dump() for a in request.addons])
    session.add(series)
    session.flush()
    made: list[NewBooking] = []
    conflicts: list[SeriesConflict] = []
    for begins, ends, problem in planned:
        if problem is not None:
            conflicts.append(SeriesConflict(begins, ends, problem))
            continue
        one = BookingRequest(resource_id=resource.id, start=begins, end=ends, seats=request.seats,
                             addons=request.addons)
        try:
            with session.begin_nested():
                made.append(do_create_booking(session, effects, user, one, now=now, series_id=series.id))
        except ServiceError as exc:
            conflicts.append(SeriesConflict(begins, ends, _reason(exc)))
    if not made:
        first = conflicts[0].reason if conflicts else tr("нет ни одной даты")
        raise Conflict("rrule", tr("ни одна дата серии не подходит: {first}", first=first))
    series.conflicts = [{"start": c.start.isoformat(), "end": c.end.isoformat(), "reason": c.reason}
                        for c in conflicts]
    total = sum(b.total_minor for b in made)
    do_notify(session, effects, user, "series_created", {
        "id": series.id, "space": space.name, "resource": resource.name, "count": len(made),
        "bookings": plural(len(made), "бронь", "брони", "броней"), "total": format_money(total, made[0].currency),
        "conflicts": len(conflicts), "link": f"/cabinet/bookings?series={series.id}"},
        dedupe=f"series_created:{series.id}")
    effects.count("booking_events", "series")
    return NewSeries(series.id, made, conflicts, total, made[0].currency)


def unpaid_series(session: Session, user_id: int, *, now: datetime) -> int:
    """The person's series with dates held and not paid yet (holds still running)."""
    return session.scalar(select(func.count(func.distinct(Booking.series_id))).where(
        Booking.user_id == user_id, Booking.series_id.is_not(None), Booking.status == S.pending_payment.value,
        Booking.expires_at > now)) or 0


def _reason(exc: ServiceError) -> str:
    message = getattr(exc, "message", str(exc))
    return message[:1].lower() + message[1:]


# --- reading -------------------------------------------------------------------------------


def access_series(session: Session, user, series_id: int, *, for_update: bool = False) -> BookingSeries:
    """The caller's own series; 404 for anyone else's."""
    user = check_can_book(user)
    series = session.get(BookingSeries, series_id, with_for_update=for_update) if 0 < series_id < 2**31 else None
    if series is None or series.user_id != user.id:
        raise NotFound(tr("Серия не найдена"))
    return series


def series_bookings(session: Session, series: BookingSeries, *, live_only: bool = False) -> list[Booking]:
    query = select(Booking).where(Booking.series_id == series.id)
    if live_only:
        query = query.where(Booking.status.in_(LIVE))
    return list(session.scalars(query.order_by(Booking.start_at)))


@dataclass
class SeriesView:
    id: int
    space_id: int
    space: str
    resource: str
    rule: str
    timezone: str
    bookings: list[Booking]
    to_pay_minor: int  # the unpaid holds still running
    currency: str
    payable: bool
    future: int  # live bookings still ahead (what "cancel all future" would cancel)
    conflicts: list[SeriesConflict] = field(default_factory=list)  # the dates that did not fit


def series_view(session: Session, user, series_id: int, *, now: datetime | None = None) -> SeriesView:
    now = now or av.utcnow()
    series = access_series(session, user, series_id)
    rows = series_bookings(session, series)
    space, resource = session.get(Space, series.space_id), session.get(Resource, series.resource_id)
    unpaid = [b for b in rows if b.status == S.pending_payment.value and b.expires_at and b.expires_at > now]
    to_pay = sum(b.total_minor - b.paid_minor for b in unpaid)
    future = [b for b in rows if b.status in LIVE and b.start_at > now]
    currency = rows[0].currency if rows else space.currency
    conflicts = [SeriesConflict(datetime.fromisoformat(c["start"]), datetime.fromisoformat(c["end"]), c["reason"])
                 for c in series.conflicts or []]
    return SeriesView(series.id, space.id, space.name, resource.name, series.rule, series.timezone, rows, to_pay,
                      currency, bool(unpaid) and to_pay > 0, len(future), conflicts)


# --- changing a series ---------------------------------------------------------------------


class SeriesCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_from: Day | None = None  # local days, inclusive; none: from now on
    date_to: Day | None = None


class SeriesReschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_time: Line(5, min_length=4)  # "11:00", local
    end_time: Line(5, min_length=4)


@dataclass
class SeriesOutcome:
    changed: list[int]
    conflicts: list[SeriesConflict]
    refunded_minor: int = 0


def _in_range(booking: Booking, zone: ZoneInfo, first: date | None, last: date | None, now: datetime) -> bool:
    day = booking.start_at.astimezone(zone).date()
    return (booking.start_at > now and booking.status in LIVE
            and (first is None or day >= first) and (last is None or day <= last))


def do_cancel_series(session: Session, effects: Effects, user, series_id: int, change: SeriesCancel, *,
                     now: datetime | None = None) -> SeriesOutcome:
    """Cancels the series' live bookings still ahead: every one, or those of a date range,
    each under the policy as if cancelled alone (its refund, its fee)."""
    now = now or av.utcnow()
    series = access_series(session, user, series_id, for_update=True)
    if change.date_from and change.date_to and change.date_to < change.date_from:
        raise InvalidInput("date_to", tr("конец периода раньше начала"))
    zone = ZoneInfo(series.timezone)
    chosen = [b for b in series_bookings(session, series) if _in_range(b, zone, change.date_from, change.date_to, now)]
    if not chosen:
        raise Conflict("date_from", tr("в этом периоде нет броней серии, которые можно отменить"))
    outcome = SeriesOutcome([], [])
    for booking in chosen:
        _row, refund = do_cancel_booking(session, effects, user, booking.id, reason=tr("отмена серии"), now=now)
        outcome.changed.append(booking.id)
        outcome.refunded_minor += refund
    return outcome


def _clock(value: str, field_name: str) -> time:
    try:
        hours, minutes = (int(part) for part in value.split(":"))
        return time(hours, minutes)
    except ValueError as exc:
        raise InvalidInput(field_name, tr("время в виде ЧЧ:ММ, например 10:00")) from exc


def do_reschedule_series(session: Session, effects: Effects, user, series_id: int, change: SeriesReschedule, *,
                         now: datetime | None = None) -> SeriesOutcome:
    """Moves every live booking of the series still ahead to the new local times of its own
    day (a change as `do_modify_booking` makes it: the price difference refunded, or to pay).
    One that cannot move (taken, closed, started) stays as it was and is reported."""
    now = now or av.utcnow()
    series = access_series(session, user, series_id, for_update=True)
    begins, ends = _clock(change.start_time, "start_time"), _clock(change.end_time, "end_time")
    if ends <= begins:
        raise InvalidInput("end_time", tr("конец позже начала"))
    zone = ZoneInfo(series.timezone)
    chosen = [b for b in series_bookings(session, series) if _in_range(b, zone, None, None, now)]
    if not chosen:
        raise Conflict("start_time", tr("у серии нет броней впереди"))
    outcome = SeriesOutcome([], [])
    for booking in chosen:
        day = booking.start_at.astimezone(zone).date()
        start = _localize(datetime.combine(day, begins), zone)
        end = _localize(datetime.combine(day, ends), zone)
        if start is None or end is None:
            outcome.conflicts.append(SeriesConflict(booking.start_at, booking.end_at,
                                                    tr("в этот день такого времени нет: часы переводят")))
            continue
        try:
            with session.begin_nested():
                do_modify_booking(session, effects, user, booking.id, BookingChange(start=start, end=end), now=now)
            outcome.changed.append(booking.id)
        except ServiceError as exc:
            outcome.conflicts.append(SeriesConflict(start, end, _reason(exc)))
    return outcome


