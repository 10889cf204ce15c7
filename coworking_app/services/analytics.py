"""Dashboard numbers for operators (the whole network) and owners (their own spaces).

Every figure is one SQL aggregate; Python only shapes the result. Definitions (docs/admin.md):
- a day is a calendar day in settings.report_timezone, except occupancy and the heat map,
  which count in each space's own zone (a 9:00 booking in Novosibirsk is at 9:00);
- *placed* bookings are those that left the hold: every status but pending_payment/expired;
- revenue is what was paid minus what was refunded, on the day the booking starts;
- occupancy = booked seat-hours within opening hours / seats x opening hours.
The admin tables filter with the same conditions (services/admin_tables.py), so a KPI and
the table it summarises cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import text
from sqlmodel import Session

from coworking_app.services.query import QueryModel

from coworking_app.services.accounts import check_role
from coworking_app.services.errors import InvalidInput, NotFound
from coworking_app.settings import get_settings
from models import Role, Space, User

PLACED_SQL = "b.status NOT IN ('pending_payment', 'expired')"
SEAT_SQL = "b.status IN ('paid', 'confirmed', 'completed', 'no_show')"  # seats really taken
NET_SQL = "(b.paid_minor - b.refunded_minor)"
MAX_PERIOD_DAYS = 731


def report_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().report_timezone)


def today(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(report_zone()).date()


def day_start(day: date) -> datetime:
    """00:00 of `day` in the report zone, as an aware UTC moment."""
    return datetime.combine(day, time.min, tzinfo=report_zone()).astimezone(timezone.utc)


class DashboardFilter(QueryModel):
    date_from: date | None = None
    date_to: date | None = None
    city_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    space_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    granularity: Literal["day", "week", "month"] = "day"

    @model_validator(mode="after")
    def _period(self) -> "DashboardFilter":
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("'to' must not be before 'from'")
        return self

    def period(self, now: datetime | None = None) -> tuple[date, date]:
        end = self.date_to or today(now)
        start = self.date_from or end - timedelta(days=29)
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise InvalidInput("from", f"a period of at most {MAX_PERIOD_DAYS} days")
        return start, end


@dataclass(frozen=True)
class Scope:
    """Which spaces the numbers cover: the network, or one owner's; narrowed by city/space."""

    owner_id: int | None = None
    city_id: int | None = None
    space_id: int | None = None

    def where(self, alias: str = "s") -> str:
        parts = ["TRUE"]
        if self.owner_id is not None:
            parts.append(f"{alias}.owner_id = :owner_id")
        if self.city_id is not None:
            parts.append(f"{alias}.city_id = :city_id")
        if self.space_id is not None:
            parts.append(f"{alias}.id = :space_id")
        return " AND ".join(parts)

    def params(self) -> dict:
        return {"owner_id": self.owner_id, "city_id": self.city_id, "space_id": self.space_id}


def access_analytics_scope(session: Session, user: User | None, flt: DashboardFilter,
                           *, owner_view: bool) -> Scope:
    """Operators/admins see the network (owner_view=False); an owner (owner_view=True) sees
    their own spaces only, and another owner's space id is "not found"."""
    if not owner_view:
        check_role(user, Role.operator, Role.admin)
        return Scope(city_id=flt.city_id, space_id=flt.space_id)
    user = check_role(user, Role.owner, Role.admin)
    if flt.space_id is not None:
        space = session.get(Space, flt.space_id)
        if space is None or space.owner_id != user.id:
            raise NotFound("Space not found")
    return Scope(owner_id=user.id, city_id=flt.city_id, space_id=flt.space_id)


# --- API response time (for the KPI card) ---------------------------------------------

_API_KEY = "apitime:{minute}"


def record_api_time(milliseconds: float, *, now: datetime | None = None) -> None:
    """Adds one API response to its minute's bucket (kept two hours). Never raises."""
    from coworking_app.db import get_cache_redis

    minute = int((now or datetime.now(timezone.utc)).timestamp() // 60)
    key = _API_KEY.format(minute=minute)
    try:
        pipe = get_cache_redis().pipeline(transaction=False)
        pipe.hincrbyfloat(key, "ms", milliseconds)
        pipe.hincrby(key, "n", 1)
        pipe.expire(key, 7200)
        pipe.execute()
    except Exception:  # noqa: BLE001  (metrics must never break a request)
        pass


def api_average_ms(*, now: datetime | None = None) -> float | None:
    """Mean API response time over the last 60 minutes, or None without traffic."""
    from coworking_app.db import get_cache_redis

    minute = int((now or datetime.now(timezone.utc)).timestamp() // 60)
    try:
        pipe = get_cache_redis().pipeline(transaction=False)
        for m in range(minute - 59, minute + 1):
            pipe.hmget(_API_KEY.format(minute=m), "ms", "n")
        buckets = pipe.execute()
    except Exception:  # noqa: BLE001
        return None
    total = sum(float(ms) for ms, n in buckets if ms is not None)
    count = sum(int(n) for ms, n in buckets if n is not None)
    return round(total / count, 1) if count else None


# --- the figures ------------------------------------------------------------------------


class Kpis(BaseModel):
    active_now: int
    bookings_today: int
    revenue_today_minor: int
    revenue_month_minor: int
    occupancy_today_pct: float
    new_users_week: int | None  # network only
    cancellation_rate_pct: float  # placed bookings starting in the period
    api_avg_ms: float | None  # network only
    currency: str = "RUB"


def _one(session: Session, sql: str, params: dict) -> tuple:
    return session.execute(text(sql), params).one()


def kpis(session: Session, scope: Scope, period: tuple[date, date], *, now: datetime | None = None) -> Kpis:
    now = now or datetime.now(timezone.utc)
    day = today(now)
    month_start = day.replace(day=1)
    p = {**scope.params(), "now": now, "today": day_start(day), "tomorrow": day_start(day + timedelta(days=1)),
         "month": day_start(month_start), "p_from": day_start(period[0]),
         "p_to": day_start(period[1] + timedelta(days=1))}
    where = scope.where()
    # One pass over the bookings of this month, today and the period (all index ranges).
    row = _one(session, f"""
        SELECT
          count(*) FILTER (WHERE {SEAT_SQL} AND b.start_at <= :now AND b.end_at > :now),
          count(*) FILTER (WHERE {PLACED_SQL} AND b.created_at >= :today AND b.created_at < :tomorrow),
          coalesce(sum({NET_SQL}) FILTER (WHERE b.start_at >= :today AND b.start_at < :tomorrow), 0),
          coalesce(sum({NET_SQL}) FILTER (WHERE b.start_at >= :month AND b.start_at < :tomorrow), 0),
          count(*) FILTER (WHERE {PLACED_SQL} AND b.start_at >= :p_from AND b.start_at < :p_to),
          count(*) FILTER (WHERE b.status = 'cancelled' AND b.start_at >= :p_from AND b.start_at < :p_to)
        FROM booking b JOIN space s ON s.id = b.space_id
        WHERE {where} AND (
              (b.start_at >= least(:month, :p_from) - interval '32 days' AND b.start_at < greatest(:tomorrow, :p_to))
              OR b.created_at >= :today)
    """, p)
    active, created_today, revenue_today, revenue_month, placed, cancelled = row
    occupancy = occupancy_by_day(session, scope, (day, day))
    new_users = api_ms = None
    if scope.owner_id is None:
        new_users = session.execute(text(
            "SELECT count(*) FROM app_user WHERE created_at >= :since"),
            {"since": day_start(day - timedelta(days=6))}).scalar_one()
        api_ms = api_average_ms(now=now)
    return Kpis(active_now=active, bookings_today=created_today, revenue_today_minor=int(revenue_today),
                revenue_month_minor=int(revenue_month),
                occupancy_today_pct=occupancy[0].pct if occupancy else 0.0,
                new_users_week=new_users,
                cancellation_rate_pct=round(100 * cancelled / placed, 1) if placed else 0.0,
                api_avg_ms=api_ms)


@dataclass
class DayOccupancy:
    day: date
    booked_hours: float
    open_hours: float

    @property
    def pct(self) -> float:
        return round(min(100.0, 100 * self.booked_hours / self.open_hours), 1) if self.open_hours else 0.0


def _hours_sql(alias: str, edge: str) -> str:
    """Local day `d` at the opening or closing time in `alias`.opening_hours (null if closed)."""
    return f"(d + ({alias}.opening_hours -> to_char(d, 'dy') ->> '{edge}')::time)"


def occupancy_by_day(session: Session, scope: Scope, period: tuple[date, date]) -> list[DayOccupancy]:
    """Booked seat-hours inside opening hours / seat-hours open, per local day.

    A booking is split into its local days within the period only (a month booking that
    began before it adds no rows for the days before), and each space's opening and
    closing times are read from its JSON once per weekday, not once per booking and day."""
    p = {**scope.params(), "d_from": period[0], "d_to": period[1],
         "d_end": period[1] + timedelta(days=1),
         "lo": day_start(period[0]) - timedelta(days=33), "hi": day_start(period[1] + timedelta(days=2))}
    where = scope.where()
    rows = session.execute(text(f"""
        WITH days AS (SELECT d::timestamp AS d FROM generate_series(CAST(:d_from AS date), CAST(:d_to AS date),
                                                                   interval '1 day') AS d),
        capacity AS (
          SELECT s.id, s.opening_hours, sum(r.capacity) AS seats
          FROM space s JOIN resource r ON r.space_id = s.id
          WHERE {where} AND s.status = 'published' AND s.deleted_at IS NULL GROUP BY s.id),
        open AS (
          SELECT days.d::date AS day,
                 sum(c.seats * extract(epoch FROM ({_hours_sql('c', 'close')} - {_hours_sql('c', 'open')})) / 3600.0) AS hours
          FROM days CROSS JOIN capacity c
          WHERE c.opening_hours -> to_char(days.d, 'dy') IS NOT NULL
            AND c.opening_hours -> to_char(days.d, 'dy') <> 'null'
          GROUP BY 1),
        week AS (
          -- Each space's opening and closing time by weekday; closed days are left out.
          SELECT s.id AS space_id, w.dy, (s.opening_hours -> w.dy ->> 'open')::time AS opens,
                 (s.opening_hours -> w.dy ->> 'close')::time AS closes
          FROM space s CROSS JOIN unnest(ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) AS w (dy)
          WHERE {where} AND s.opening_hours -> w.dy <> 'null'),
        booked AS (
          SELECT d::date AS day,
                 sum(b.seats * greatest(0, extract(epoch FROM
                     least(b.end_at AT TIME ZONE b.timezone, d + w.closes) -
                     greatest(b.start_at AT TIME ZONE b.timezone, d + w.opens)) / 3600.0)) AS hours
          FROM booking b
          CROSS JOIN LATERAL generate_series(
              greatest(date_trunc('day', b.start_at AT TIME ZONE b.timezone), CAST(:d_from AS date)::timestamp),
              least(b.end_at AT TIME ZONE b.timezone, CAST(:d_end AS date)::timestamp) - interval '1 microsecond',
              interval '1 day') AS d
          JOIN week w ON w.space_id = b.space_id AND w.dy = to_char(d, 'dy')
          WHERE {SEAT_SQL} AND b.start_at >= :lo AND b.start_at < :hi
            AND d::date BETWEEN :d_from AND :d_to
          GROUP BY 1)
        SELECT days.d::date, coalesce(booked.hours, 0), coalesce(open.hours, 0)
        FROM days LEFT JOIN open ON open.day = days.d::date LEFT JOIN booked ON booked.day = days.d::date
        ORDER BY 1
    """), p).all()
    return [DayOccupancy(day=r[0], booked_hours=float(r[1]), open_hours=float(r[2])) for r in rows]


@dataclass
class RevenuePoint:
    period: date
    revenue_minor: int
    bookings: int


def revenue_series(session: Session, scope: Scope, period: tuple[date, date],
                   granularity: str = "day") -> list[RevenuePoint]:
    """Net revenue and placed bookings by the report-zone day/week/month the bookings start."""
    if granularity not in ("day", "week", "month"):
        raise InvalidInput("granularity", "day, week or month")
    p = {**scope.params(), "tz": get_settings().report_timezone, "p_from": day_start(period[0]),
         "p_to": day_start(period[1] + timedelta(days=1)), "unit": granularity}
    rows = session.execute(text(f"""
        SELECT date_trunc(:unit, b.start_at AT TIME ZONE :tz)::date AS bucket,
               coalesce(sum({NET_SQL}), 0), count(*) FILTER (WHERE {PLACED_SQL})
        FROM booking b JOIN space s ON s.id = b.space_id
        WHERE {scope.where()} AND b.start_at >= :p_from AND b.start_at < :p_to
        GROUP BY 1 ORDER BY 1
    """), p).all()
    return [RevenuePoint(r[0], int(r[1]), int(r[2])) for r in rows]


def bookings_by_status(session: Session, scope: Scope, period: tuple[date, date]) -> dict[str, int]:
    """Every booking starting in the period, by its status now."""
    p = {**scope.params(), "p_from": day_start(period[0]), "p_to": day_start(period[1] + timedelta(days=1))}
    rows = session.execute(text(f"""
        SELECT b.status, count(*) FROM booking b JOIN space s ON s.id = b.space_id
        WHERE {scope.where()} AND b.start_at >= :p_from AND b.start_at < :p_to
        GROUP BY 1 ORDER BY 2 DESC
    """), p).all()
    return {status: int(n) for status, n in rows}


@dataclass
class TopSpace:
    space_id: int
    name: str
    revenue_minor: int
    bookings: int


def top_spaces(session: Session, scope: Scope, period: tuple[date, date], limit: int = 10) -> list[TopSpace]:
    p = {**scope.params(), "p_from": day_start(period[0]), "p_to": day_start(period[1] + timedelta(days=1)),
         "limit": limit}
    rows = session.execute(text(f"""
        SELECT s.id, s.name, t.revenue, t.placed FROM (
          SELECT b.space_id, sum({NET_SQL}) AS revenue, count(*) FILTER (WHERE {PLACED_SQL}) AS placed
          FROM booking b JOIN space s ON s.id = b.space_id
          WHERE {scope.where()} AND b.start_at >= :p_from AND b.start_at < :p_to
          GROUP BY b.space_id) t JOIN space s ON s.id = t.space_id
        WHERE t.revenue > 0 ORDER BY t.revenue DESC, s.id LIMIT :limit
    """), p).all()
    return [TopSpace(r[0], r[1], int(r[2]), int(r[3])) for r in rows]


def occupancy_heatmap(session: Session, scope: Scope, period: tuple[date, date]) -> list[list[float]]:
    """7 x 24 (Monday first, local hours): average % of the scope's seats taken."""
    p = {**scope.params(), "d_from": period[0], "d_to": period[1],
         "lo": day_start(period[0]) - timedelta(days=33), "hi": day_start(period[1] + timedelta(days=2))}
    where = scope.where()
    seats = session.execute(text(f"""
        SELECT coalesce(sum(r.capacity), 0) FROM space s JOIN resource r ON r.space_id = s.id
        WHERE {where} AND s.status = 'published' AND s.deleted_at IS NULL"""), p).scalar_one()
    rows = session.execute(text(f"""
        SELECT extract(isodow FROM h)::int, extract(hour FROM h)::int,
               sum(b.seats * extract(epoch FROM least(b.end_at AT TIME ZONE b.timezone, h + interval '1 hour')
                                       - greatest(b.start_at AT TIME ZONE b.timezone, h)) / 3600.0)
        FROM booking b JOIN space s ON s.id = b.space_id
        CROSS JOIN LATERAL generate_series(date_trunc('hour', b.start_at AT TIME ZONE b.timezone),
                                           b.end_at AT TIME ZONE b.timezone - interval '1 microsecond',
                                           interval '1 hour') AS h
        WHERE {where} AND {SEAT_SQL} AND b.start_at >= :lo AND b.start_at < :hi
          AND h::date BETWEEN :d_from AND :d_to
        GROUP BY 1, 2
    """), p).all()
    weekdays = [0] * 7
    day = period[0]
    while day <= period[1]:
        weekdays[day.weekday()] += 1
        day += timedelta(days=1)
    grid = [[0.0] * 24 for _ in range(7)]
    for dow, hour, seat_hours in rows:
        slots = weekdays[dow - 1] * int(seats)
        if slots:
            grid[dow - 1][hour] = round(min(100.0, 100 * float(seat_hours) / slots), 1)
    return grid


@dataclass
class SearchCell:
    lat: float
    lon: float
    searches: int


def search_density(session: Session, scope: Scope, period: tuple[date, date]) -> list[SearchCell]:
    """Searches in the period on a ~1 km grid (network view; owners see none)."""
    if scope.owner_id is not None:
        return []
    p = {"city_id": scope.city_id, "p_from": day_start(period[0]),
         "p_to": day_start(period[1] + timedelta(days=1))}
    city = "AND l.city_id = :city_id" if scope.city_id else ""
    rows = session.execute(text(f"""
        SELECT ST_Y(cell), ST_X(cell), n FROM (
          SELECT ST_SnapToGrid(l.point::geometry, 0.01) AS cell, count(*) AS n
          FROM search_log l WHERE l.point IS NOT NULL AND l.at >= :p_from AND l.at < :p_to {city}
          GROUP BY 1) t ORDER BY n DESC LIMIT 500
    """), p).all()
    return [SearchCell(float(r[0]), float(r[1]), int(r[2])) for r in rows]


@dataclass
class Dashboard:
    period: tuple[date, date]
    kpis: Kpis
    occupancy: list[DayOccupancy]
    revenue: list[RevenuePoint]
    statuses: dict[str, int]
    top: list[TopSpace]
    heatmap: list[list[float]]
    searches: list[SearchCell] = field(default_factory=list)


def dashboard(session: Session, user: User | None, flt: DashboardFilter, *, owner_view: bool = False,
              now: datetime | None = None) -> Dashboard:
    scope = access_analytics_scope(session, user, flt, owner_view=owner_view)
    period = flt.period(now)
    return Dashboard(
        period=period, kpis=kpis(session, scope, period, now=now),
        occupancy=occupancy_by_day(session, scope, period),
        revenue=revenue_series(session, scope, period, flt.granularity),
        statuses=bookings_by_status(session, scope, period),
        top=top_spaces(session, scope, period),
        heatmap=occupancy_heatmap(session, scope, period),
        searches=search_density(session, scope, period),
    )
