"""When a resource can be booked: the time rules and the free-seat arithmetic.

Times come in as aware datetimes (any UTC offset) and are judged in the space's time zone:
hourly bookings sit on a 30-minute grid inside one day's opening hours; day and month
bookings run from local midnight to local midnight. Free seats are counted in PostgreSQL
(the `booked_seats` function of the booking migration), never by loading bookings.

Closures (models.SpaceClosure: days the owner closed, local dates inclusive) are the one
rule "no time on a closed day", in three forms side by side: `check_interval` refuses an
interval touching one (bookings load the space's closures with the resource), the
calendars drop closed days (`closed_days`), and SQL conditions read `closed_sql` (search's
free-time filter).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ScalarSelect, bindparam, func, literal_column, select, text
from sqlmodel import Session

from coworking_app.db import DriverStatement
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.catalog.spaces import access_public_space, list_resources
from coworking_app.settings import get_settings
from models import Resource, ResourceKind, Space, SpaceClosure, holds_seats_sql
from coworking_app.i18n import tr

GRID_MINUTES = 30
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Booked whole (seats = capacity): the exclusion constraint protects these.
WHOLE_KINDS = frozenset({ResourceKind.meeting_room.value, ResourceKind.private_office.value})
# Day and month bookings are for desks and offices, not meeting rooms.
DAY_BOOKABLE_KINDS = frozenset({ResourceKind.hot_desk.value, ResourceKind.fixed_desk.value,
                                ResourceKind.private_office.value})


@dataclass(frozen=True, slots=True)
class Closure:
    """Days the owner closed: local dates `first_day`..`last_day` inclusive, and why."""

    first_day: date
    last_day: date
    reason: str

    def overlaps(self, first: date, last: date) -> bool:
        return self.first_day <= last and first <= self.last_day

    @property
    def period(self) -> str:
        """"31.12.2026" or "с 31.12.2026 по 08.01.2027"."""
        if self.first_day == self.last_day:
            return f"{self.first_day:%d.%m.%Y}"
        return tr("с {first_day:%d.%m.%Y} по {last_day:%d.%m.%Y}", first_day=self.first_day, last_day=self.last_day)


class SpaceHours(Protocol):
    """What the checks read of a space: the plain copy that bookings load
    (services.booking.bookings.BookableSpace), with its current and future closures."""

    timezone: str
    opening_hours: dict
    closures: tuple[Closure, ...]


class ResourceLimits(Protocol):
    """What the checks and pricing read of a resource (a Resource row or
    bookings.BookableResource)."""

    kind: str
    name: str
    capacity: int
    min_minutes: int
    max_minutes: int


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Interval:
    """A checked booking interval."""

    start: datetime  # UTC
    end: datetime  # UTC
    zone: ZoneInfo
    day_based: bool  # local midnight to local midnight
    days: int  # local calendar days covered (1 for an hourly booking)

    @property
    def minutes(self) -> int:
        """Real elapsed minutes (a DST night is an hour shorter or longer)."""
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.zone)


def is_whole(resource: ResourceLimits) -> bool:
    return resource.kind in WHOLE_KINDS


def _clock(value: str) -> time | None:
    """"09:00" -> time(9); "24:00" -> None (end of day)."""
    if value == "24:00":
        return None
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def opening_window(space: SpaceHours, day: date) -> tuple[datetime, datetime] | None:
    """The space's opening hours on a local date as aware datetimes, or None when closed."""
    hours = (space.opening_hours or {}).get(WEEKDAYS[day.weekday()])
    if not hours:
        return None
    zone = ZoneInfo(space.timezone)
    opens = datetime.combine(day, _clock(hours["open"]) or time(0), tzinfo=zone)
    close_clock = _clock(hours["close"])
    closes = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
              if close_clock is None else datetime.combine(day, close_clock, tzinfo=zone))
    if closes <= opens:  # equal open and close: round the clock (the demo's 24/7 spaces)
        closes = datetime.combine(day + timedelta(days=1), opens.timetz().replace(tzinfo=None),
                                  tzinfo=zone)
    # Normalise through UTC so that a wall time inside a DST gap lands on a real instant.
    return opens.astimezone(timezone.utc), closes.astimezone(timezone.utc)


def _local_midnight(moment: datetime) -> bool:
    return moment.hour == 0 and moment.minute == 0 and moment.second == 0 and moment.microsecond == 0


def check_interval(space: SpaceHours, resource: ResourceLimits, start: datetime, end: datetime,
                   *, now: datetime | None = None) -> Interval:
    """Validates [start, end) for this resource; InvalidInput names the field at fault."""
    for field, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(field, tr("укажите смещение от UTC, например 2027-01-06T10:00:00+03:00"))
        if not 2000 <= value.year <= 2100:
            raise InvalidInput(field, tr("дата вне допустимого диапазона"))
    now = now or utcnow()
    zone = ZoneInfo(space.timezone)
    start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    if end <= start:
        raise InvalidInput("end", tr("окончание должно быть позже начала"))
    if start < now:
        raise InvalidInput("start", tr("это время уже прошло"))
    if start > now + timedelta(days=get_settings().booking_horizon_days):
        raise InvalidInput("start", tr("так далеко вперёд бронировать нельзя"))
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    check_not_closed(space.closures, *local_days(zone, start, end))

    if _local_midnight(local_start) and _local_midnight(local_end):
        if resource.kind not in DAY_BOOKABLE_KINDS:
            raise InvalidInput("start", tr("переговорные бронируются по часам, не на целые дни"))
        days = (local_end.date() - local_start.date()).days
        interval = Interval(start, end, zone, True, days)
        minutes_for_limits = days * 24 * 60
    else:
        for field, moment in (("start", local_start), ("end", local_end)):
            if moment.minute % GRID_MINUTES or moment.second or moment.microsecond:
                raise InvalidInput(field, tr("время выбирается с шагом 30 минут"))
        window = opening_window(space, local_start.date())
        if window is None:
            raise InvalidInput("start", tr("в этот день пространство закрыто"))
        opens, closes = window
        if start < opens or end > closes:
            raise InvalidInput(
                "end" if start >= opens else "start",
                tr("вне часов работы ({astimezone:%H:%M}–{astimezone2:%H:%M})", astimezone=opens.astimezone(zone), astimezone2=closes.astimezone(zone)),
            )
        interval = Interval(start, end, zone, False, 1)
        minutes_for_limits = interval.minutes
    if minutes_for_limits < resource.min_minutes:
        raise InvalidInput("end", tr("минимальная длительность — {duration}", duration=_duration(resource.min_minutes)))
    if minutes_for_limits > resource.max_minutes:
        raise InvalidInput("end", tr("максимальная длительность — {duration}", duration=_duration(resource.max_minutes)))
    return interval


def local_days(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[date, date]:
    """The first and the last local day that [start, end) touches."""
    return start.astimezone(zone).date(), (end.astimezone(zone) - timedelta(microseconds=1)).date()


def is_closed_during(session: Session, space_id: int, zone: str, start: datetime, end: datetime) -> bool:
    """Whether [start, end) touches a day the owner closed (a change paid after the days
    were closed: payments._change_fits)."""
    return bool(closed_days(session, space_id, *local_days(ZoneInfo(zone), start, end)))


def check_not_closed(closures: Iterable[Closure], first: date, last: date) -> None:
    """Refuses local days first..last when the owner closed any of them."""
    hit = min((c for c in closures if c.overlaps(first, last)), key=lambda c: c.first_day, default=None)
    if hit is not None:
        raise InvalidInput("start", tr("пространство закрыто {period}: {reason}", period=hit.period, reason=hit.reason))


def closures_of_space() -> ScalarSelect:
    """A correlated column for a query over `space`: the space's closures that have not
    ended (a day of slack for zones ahead of the database's), as JSON [[first, last,
    reason], ...]; `closures_from_json` reads it. The booking path loads them with the
    resource (bookings._BOOKABLE), in the same statement."""
    return (select(func.coalesce(func.json_agg(func.json_build_array(
                SpaceClosure.first_day, SpaceClosure.last_day, SpaceClosure.reason)),
                literal_column("'[]'::json")))
            .where(SpaceClosure.space_id == Space.id,
                   SpaceClosure.last_day >= func.current_date() - 1)
            .correlate(Space).scalar_subquery())


def closures_from_json(rows: list | None) -> tuple[Closure, ...]:
    return tuple(sorted((Closure(date.fromisoformat(first), date.fromisoformat(last), reason)
                         for first, last, reason in rows or ()), key=lambda c: c.first_day))


def closed_days(session: Session, space_id: int, first: date, last: date) -> dict[date, str]:
    """The local days in [first, last] the owner closed, with the reason of each: the
    calendars leave them out."""
    out: dict[date, str] = {}
    for closure in session.scalars(select(SpaceClosure).where(
            SpaceClosure.space_id == space_id, SpaceClosure.first_day <= last,
            SpaceClosure.last_day >= first)):
        day = max(first, closure.first_day)
        while day <= min(last, closure.last_day):
            out[day] = closure.reason
            day += timedelta(days=1)
    return out


def closed_sql(space: str, start: str, end: str) -> str:
    """SQL: the space row named `space` has a closure on a local day of [start, end) (SQL
    expressions of aware timestamps), judged in the space's own time zone."""
    local_start = f"(CAST({start} AS timestamptz) AT TIME ZONE {space}.timezone)"
    local_end = f"(CAST({end} AS timestamptz) AT TIME ZONE {space}.timezone)"
    return (f"EXISTS (SELECT 1 FROM space_closure sc WHERE sc.space_id = {space}.id "
            f"AND sc.first_day <= ({local_end} - interval '1 microsecond')::date "
            f"AND sc.last_day >= {local_start}::date)")


def _duration(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        return tr("{value} дн.", value=minutes // (24 * 60))
    if minutes % 60 == 0:
        return tr("{value} ч", value=minutes // 60)
    return tr("{minutes} мин", minutes=minutes)


def check_seats(resource: ResourceLimits, seats: int | None) -> int:
    """Whole resources take every seat; seat resources 1..capacity."""
    if is_whole(resource):
        return resource.capacity
    if seats is None or seats < 1:
        raise InvalidInput("seats", tr("укажите число мест от 1"))
    if seats > resource.capacity:
        raise InvalidInput("seats", tr("в «{name}» всего {capacity} мест", name=resource.name, capacity=resource.capacity))
    return seats


# The database function `booked_seats(resource, start, end, exclude)` (migration
# 7f3a2c9e5d10, built from models.holds_seats_sql): every booking counts with it.
_BOOKED_SEATS = DriverStatement(select(func.booked_seats(bindparam("r"), bindparam("s"), bindparam("e"))))
_BOOKED_SEATS_EXCLUDING = DriverStatement(select(func.booked_seats(
    bindparam("r"), bindparam("s"), bindparam("e"), bindparam("x"))))


def booked_seats(session: Session, resource_id: int, start: datetime, end: datetime,
                 *, exclude_booking_id: int | None = None) -> int:
    """Peak seats held on the resource during [start, end) (0 when free). A modification
    passes `exclude_booking_id`: the booking being changed does not count against itself."""
    if exclude_booking_id is None:
        return _BOOKED_SEATS.execute(session, {"r": resource_id, "s": start, "e": end}).fetchone()[0]
    return _BOOKED_SEATS_EXCLUDING.execute(
        session, {"r": resource_id, "s": start, "e": end, "x": exclude_booking_id}).fetchone()[0]


# --- the day's grid, for the calendar and GET /spaces/{id}/availability ---------------


class Slot(BaseModel):
    start: datetime  # aware, in the space's zone
    end: datetime
    free_seats: int


class ResourceSlots(BaseModel):
    resource_id: int
    name: str
    type: str
    capacity: int
    slots: list[Slot]


_HELD = holds_seats_sql("b")  # models.holds_seats_sql: the one definition of seats held

_SLOTS_SQL = text(f"""
    SELECT r.id, gs AS slot_start,
           r.capacity - coalesce(sum(b.seats), 0) AS free
    FROM resource r
    CROSS JOIN generate_series(CAST(:opens AS timestamptz),
                               CAST(:closes AS timestamptz) - interval '30 minutes',
                               interval '30 minutes') gs
    LEFT JOIN booking b
      ON b.resource_id = r.id
     AND {_HELD}
     AND tstzrange(b.start_at, b.end_at, '[)') && tstzrange(gs, gs + interval '30 minutes', '[)')
    WHERE r.id = ANY(:ids)
    GROUP BY r.id, gs
    ORDER BY r.id, gs
""")


def day_slots(session: Session, space: Space, resources: list[Resource], day: date) -> list[ResourceSlots]:
    """30-minute slots of one local day with free seats per resource. Slots step through
    real time, so a DST night has 2 or 4 slots fewer or more, each with its own offset."""
    window = opening_window(space, day)
    zone = ZoneInfo(space.timezone)
    out = [ResourceSlots(resource_id=r.id, name=r.name, type=r.kind, capacity=r.capacity, slots=[])
           for r in resources]
    if window is None or not resources or closed_days(session, space.id, day, day):
        return out
    by_id = {row.resource_id: row for row in out}
    rows = session.connection().execute(
        _SLOTS_SQL, {"opens": window[0], "closes": window[1], "ids": [r.id for r in resources]}
    )
    step = timedelta(minutes=GRID_MINUTES)
    for resource_id, slot_start, free in rows:
        by_id[resource_id].slots.append(Slot(
            start=slot_start.astimezone(zone), end=(slot_start + step).astimezone(zone),
            free_seats=max(0, int(free)),
        ))
    return out


def open_windows(session: Session, space: Space, first: date, last: date) -> list[tuple[date, datetime, datetime]]:
    """(day, opens, closes) of the local dates in [first, last] from today on when the space
    is open: its weekly hours, less the days its owner closed."""
    zone = ZoneInfo(space.timezone)
    today = utcnow().astimezone(zone).date()
    closed = closed_days(session, space.id, first, last)
    windows: list[tuple[date, datetime, datetime]] = []
    day = first
    while day <= last:
        window = opening_window(space, day)
        if window is not None and day >= today and day not in closed:
            windows.append((day, *window))
        day += timedelta(days=1)
    return windows


def month_free_days(session: Session, space: Space, resource: Resource, first: date, last: date,
                    seats: int = 1) -> list[date]:
    """Local dates in [first, last] on which at least one slot has `seats` free: the
    calendar greys out the others (closed days among them)."""
    days: list[date] = []
    windows = open_windows(session, space, first, last)
    if not windows:
        return days
    # One statement for the whole month: per day, is there a 30-minute slot with room?
    rows = session.connection().execute(text(f"""
        SELECT w.day FROM unnest(CAST(:days AS date[]), CAST(:opens AS timestamptz[]),
                                 CAST(:closes AS timestamptz[])) AS w(day, opens, closes)
        WHERE EXISTS (
          SELECT 1 FROM generate_series(greatest(w.opens, date_bin('30 minutes', now(), w.opens)),
                                        w.closes - interval '30 minutes', interval '30 minutes') gs
          WHERE :cap - (SELECT coalesce(sum(b.seats), 0) FROM booking b
                        WHERE b.resource_id = :r
                          AND {_HELD}
                          AND tstzrange(b.start_at, b.end_at, '[)')
                              && tstzrange(gs, gs + interval '30 minutes', '[)')) >= :seats)
        ORDER BY w.day
    """), {"days": [w[0] for w in windows], "opens": [w[1] for w in windows],
           "closes": [w[2] for w in windows], "r": resource.id, "cap": resource.capacity,
           "seats": seats})
    return [row[0] for row in rows]


def public_day_slots(session: Session, space_id: int, day: date,
                     resource_id: int | None = None) -> tuple[Space, list[ResourceSlots]]:
    """A publicly visible space's 30-minute slots of one local day, per resource (all of
    them, or the one asked for): GET /spaces/{id}/availability."""
    space = access_public_space(session, space_id)
    today = utcnow().date()
    if not today - timedelta(days=1) <= day <= today + timedelta(days=366):
        raise InvalidInput("date", tr("Выберите дату от сегодняшней и не дальше чем через год"))
    resources = [r for r in list_resources(session, space.id) if resource_id is None or r.id == resource_id]
    if resource_id is not None and not resources:
        raise InvalidInput("resource_id", tr("В этом пространстве нет такого места"))
    return space, day_slots(session, space, resources, day)


def resource_of_space(session: Session, space_id: int, resource_id: int) -> tuple[Space, Resource] | None:
    """The resource and its space when the resource belongs to that space, else None."""
    resource = session.get(Resource, resource_id) if 0 < resource_id < 2**31 else None
    if resource is None or resource.space_id != space_id:
        return None
    return session.get(Space, space_id), resource


def start_choices(slots: list[Slot], seats: int, *, now: datetime | None = None) -> list[Slot]:
    """Slots a booking of `seats` may start at: ahead of now and with that many free."""
    now = now or utcnow()
    return [s for s in slots if s.free_seats >= seats and s.start > now]


def end_choices(slots: list[Slot], resource: Resource, start: datetime, seats: int) -> list[datetime]:
    """Ends for a booking from `start`: contiguous slots with `seats` free, within the
    resource's minimum and maximum duration."""
    ends: list[datetime] = []
    running = False
    for slot in slots:
        running = running or slot.start == start
        if not running:
            continue
        minutes = (slot.end - start).total_seconds() / 60
        if slot.free_seats < seats or minutes > resource.max_minutes:
            break
        if minutes >= resource.min_minutes:
            ends.append(slot.end)
    return ends
