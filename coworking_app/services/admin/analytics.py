"""Dashboard numbers for operators (the whole network) and owners (their own spaces).

Every figure is one SQL aggregate; Python only shapes the result. Definitions (docs/admin.md):
- a day is a calendar day in settings.report_timezone, except occupancy and the heat map,
  which count in each space's own zone (a 9:00 booking in Novosibirsk is at 9:00);
- *placed* bookings are those that left the hold: every status but pending_payment/expired;
- money received is what payments brought in minus what refunds gave back, on the day the
  payment succeeded or the refund was made (the owner's "how much came in today");
- revenue by stay date is what bookings paid minus their refunds, on the day the booking
  starts (charts and top spaces count this way, as the KPI cards "… с заездом …" say);
- occupancy = booked seat-hours within opening hours / seats x opening hours.
The admin tables filter with the same conditions (services/admin/admin_tables.py), so a KPI and
the table it summarises cannot disagree.

Occupancy, the heat map and bookings by status (so the cancellation rate) are read from the
daily rollups (services/admin/rollups.py) plus the changes not yet rolled up: a few rows a
day for the network or a city, one per space and day for an owner or a space, whatever the
period. The money figures (revenue by stay date, money received) still read bookings,
payments and refunds (index ranges): they move onto the ledger's own daily rollup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from time import monotonic
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, model_validator
from sqlalchemy import text
from sqlmodel import Session

from coworking_app.db import get_cache_redis
from coworking_app.services.common.query import QueryModel

from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import InvalidInput, NotFound
from coworking_app.services.common.fields import Day, Id
from coworking_app.services.admin import rollups
from coworking_app.services.catalog.spaces import public_space_sql
from coworking_app.settings import get_settings
from models import ROLLUP_HOURS, ROLLUP_STATUSES, SEAT_STATUSES, Role, Space, User
from coworking_app.i18n import tr

PLACED_STATUSES = tuple(s for s in ROLLUP_STATUSES if s not in ("pending_payment", "expired"))
PLACED_SQL = "b.status NOT IN ('pending_payment', 'expired')"
PUBLIC_SPACE_SQL = public_space_sql("s")  # spaces.is_public, on the space row `s`
SEAT_SQL = f"b.status IN ({', '.join(repr(s.value) for s in SEAT_STATUSES)})"  # seats really taken
US_PER_HOUR = 3_600_000_000  # the rollups count seat-microseconds
MAX_PERIOD_DAYS = 731
REPORT_CURRENCY = "RUB"  # the dashboards' money (Kpis.currency); other currencies are not added in


def report_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().report_timezone)


def today(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(report_zone()).date()


def day_start(day: date) -> datetime:
    """00:00 of `day` in the report zone, as an aware UTC moment."""
    return datetime.combine(day, time.min, tzinfo=report_zone()).astimezone(timezone.utc)


class DashboardFilter(QueryModel):
    date_from: Day | None = None
    date_to: Day | None = None
    city_id: Id | None = None
    space_id: Id | None = None
    granularity: Literal["day", "week", "month"] = "day"

    @model_validator(mode="after")
    def _period(self) -> "DashboardFilter":
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError(tr("Конец периода раньше начала"))
        return self

    def period(self, now: datetime | None = None) -> tuple[date, date]:
        end = self.date_to or today(now)
        start = self.date_from or end - timedelta(days=29)
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise InvalidInput("from", tr("Период не длиннее {MAX_PERIOD_DAYS} дней", MAX_PERIOD_DAYS=MAX_PERIOD_DAYS))
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
            raise NotFound(tr("Пространство не найдено"))
    return Scope(owner_id=user.id, city_id=flt.city_id, space_id=flt.space_id)


# --- API response time (for the KPI card) ---------------------------------------------

_API_KEY = "apitime:{minute}"


# Per-process sums not yet written to Redis: minute -> [milliseconds, count]. Writing every
# response would cost a Redis round trip on the event loop per request; a process writes
# its sums at most once a second instead (and when the minute changes).
_api_pending: dict[int, list[float]] = {}
_api_flushed_at = 0.0
_API_FLUSH_SECONDS = 1.0


def record_api_time(milliseconds: float, *, now: datetime | None = None) -> None:
    """Adds one API response to its minute's bucket (kept two hours). Never raises."""
    global _api_flushed_at

    minute = int((now or datetime.now(timezone.utc)).timestamp() // 60)
    bucket = _api_pending.setdefault(minute, [0.0, 0])
    bucket[0] += milliseconds
    bucket[1] += 1
    clock = monotonic()
    if clock - _api_flushed_at >= _API_FLUSH_SECONDS or len(_api_pending) > 1:
        _api_flushed_at = clock
        flush_api_times()


def flush_api_times() -> None:
    """Writes this process's pending sums to Redis. Never raises (metrics must never break
    a request); sums that could not be written are dropped."""
    pending = dict(_api_pending)
    _api_pending.clear()
    if not pending:
        return
    try:
        pipe = get_cache_redis().pipeline(transaction=False)
        for minute, (ms, n) in pending.items():
            key = _API_KEY.format(minute=minute)
            pipe.hincrbyfloat(key, "ms", ms)
            pipe.hincrby(key, "n", int(n))
            pipe.expire(key, 7200)
        pipe.execute()
    except Exception:  # noqa: BLE001  (metrics must never break a request)
        pass


def api_average_ms(*, now: datetime | None = None) -> float | None:
    """Mean API response time over the last 60 minutes, or None without traffic."""
    flush_api_times()  # this process's own latest responses count too

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
    # From the ledger (ledger_day_space / ledger_day_city, services/finance/ledger.py):
    received_today_minor: int = 0  # money taken from renters and companies less refunds, today
    received_month_minor: int = 0  # the same, this calendar month so far
    revenue_today_minor: int  # revenue recognized today: completed stays and fees, less later refunds
    revenue_month_minor: int  # the same, this calendar month so far
    occupancy_today_pct: float
    new_users_week: int | None  # network only
    cancellation_rate_pct: float  # placed bookings starting in the period
    api_avg_ms: float | None  # network only
    currency: str = REPORT_CURRENCY


def _one(session: Session, sql: str, params: dict) -> tuple:
    return session.execute(text(sql), params).one()


def kpis(session: Session, scope: Scope, period: tuple[date, date], *, now: datetime | None = None) -> Kpis:
    now = now or datetime.now(timezone.utc)
    day = today(now)
    month_start = day.replace(day=1)
    p = {**scope.params(), "now": now, "today": day_start(day), "tomorrow": day_start(day + timedelta(days=1)),
         "month": day_start(month_start), "since": now - longest_booking(session) - timedelta(days=1)}
    where = scope.where()
    # Index ranges only: bookings under way now (_active_sql), placed today (created_at);
    # the money from the ledger's day figures of this month.
    active, created_today = _one(session, f"""
        SELECT ({_active_sql(where)}),
          (SELECT count(*) FROM booking b JOIN space s ON s.id = b.space_id
           WHERE {where} AND {PLACED_SQL} AND b.created_at >= :today AND b.created_at < :tomorrow)
    """, p)
    revenue_today, revenue_month, received_today, received_month = _one(session, f"""
        SELECT coalesce(sum(r.earned_minor) FILTER (WHERE r.day = CAST(:d_to AS date)), 0),
               coalesce(sum(r.earned_minor), 0),
               coalesce(sum(r.received_minor) FILTER (WHERE r.day = CAST(:d_to AS date)), 0),
               coalesce(sum(r.received_minor), 0)
        FROM ({_money_sql(scope, "r.earned_minor, r.received_minor")}) AS r
    """, {**scope.params(), "d_from": month_start, "d_to": day})
    statuses = bookings_by_status(session, scope, period)
    placed = sum(n for status, n in statuses.items() if status in PLACED_STATUSES)
    cancelled = statuses.get("cancelled", 0)
    occupancy = occupancy_by_day(session, scope, (day, day))
    new_users = api_ms = None
    if scope.owner_id is None:
        new_users = session.execute(text(
            "SELECT count(*) FROM app_user WHERE created_at >= :since"),
            {"since": day_start(day - timedelta(days=6))}).scalar_one()
        api_ms = api_average_ms(now=now)
    return Kpis(active_now=active, bookings_today=created_today, received_today_minor=received_today,
                received_month_minor=received_month, revenue_today_minor=int(revenue_today),
                revenue_month_minor=int(revenue_month),
                occupancy_today_pct=occupancy[0].pct if occupancy else 0.0,
                new_users_week=new_users,
                cancellation_rate_pct=round(100 * cancelled / placed, 1) if placed else 0.0,
                api_avg_ms=api_ms)


def _money_sql(scope: Scope, columns: str) -> str:
    """Rows (day, <columns> of `r`) of the ledger's day figures for the scope with days in
    [:d_from, :d_to] (services/finance/ledger.py keeps them with every posting): the network
    and a city read ledger_day_city (a few rows a day), an owner's spaces or one space
    ledger_day_space."""
    days = f"r.day BETWEEN CAST(:d_from AS date) AND CAST(:d_to AS date) AND r.currency = '{REPORT_CURRENCY}'"
    if scope.owner_id is None and scope.space_id is None:
        city = "AND r.city_id = :city_id" if scope.city_id is not None else ""
        return f"SELECT r.day, {columns} FROM ledger_day_city r WHERE {days} {city}"
    return (f"SELECT r.day, r.space_id, {columns} FROM ledger_day_space r JOIN space s ON s.id = r.space_id "
            f"WHERE {scope.where()} AND {days}")


@dataclass
class DayOccupancy:
    day: date
    booked_hours: float
    open_hours: float

    @property
    def pct(self) -> float:
        return round(min(100.0, 100 * self.booked_hours / self.open_hours), 1) if self.open_hours else 0.0


def longest_booking(session: Session) -> timedelta:
    """The longest booking any resource allows (owners set it, up to a year; 31 days by
    default): how far back a booking that still runs today may have started."""
    minutes = session.execute(text("SELECT coalesce(max(max_minutes), 0) FROM resource")).scalar_one()
    return timedelta(minutes=int(minutes))


def _active_sql(where: str) -> str:
    """SQL: the count of bookings under way at :now (seats really taken, :now inside the
    booking) in spaces `s` matching `where`. Two index ranges: bookings of a day or less
    that started within the last day (ix_booking_start_cover), and longer ones that started
    since :since, the longest booking a resource allows before :now (the partial index
    ix_booking_long_start): not a year of every booking's starts."""
    return f"""
        SELECT (SELECT count(*) FROM booking b JOIN space s ON s.id = b.space_id
                WHERE {where} AND {SEAT_SQL} AND b.start_at > CAST(:now AS timestamptz) - interval '1 day'
                  AND b.start_at <= :now AND b.end_at > :now AND NOT (b.end_at - b.start_at > interval '1 day'))
             + (SELECT count(*) FROM booking b JOIN space s ON s.id = b.space_id
                WHERE {where} AND {SEAT_SQL} AND b.end_at - b.start_at > interval '1 day'
                  AND b.start_at >= :since AND b.start_at <= :now AND b.end_at > :now)"""


def active_bookings_now(session: Session, *, now: datetime | None = None) -> int:
    """Bookings under way right now, network-wide (the dashboard's "active now", for the
    metrics scrape): seats really taken and the moment inside the booking (_active_sql)."""
    now = now or datetime.now(timezone.utc)
    return int(session.execute(text(_active_sql("TRUE")),
                               {"now": now, "since": now - longest_booking(session) - timedelta(days=1)}
                               ).scalar_one())


def _rollup_sql(scope: Scope, columns: str) -> str:
    """Rows (day, <columns> of `r`) of the scope's cells with days in [:d_from, :d_to]: the
    rollups' rows plus what the changes not yet refreshed add (rollups.pending_sql), to be
    summed by day. The network and a city read booking_day_city (a few rows a day); an
    owner's spaces or one space read booking_day_space."""
    pending = rollups.pending_sql()
    if scope.owner_id is None and scope.space_id is None:
        city = "AND r.city_id = :city_id" if scope.city_id is not None else ""
        return f"""
            SELECT r.day, {columns} FROM booking_day_city r
            WHERE r.day BETWEEN CAST(:d_from AS date) AND CAST(:d_to AS date) {city}
            UNION ALL
            SELECT r.day, {columns} FROM ({pending}) AS r WHERE TRUE {city}"""
    where = scope.where()
    return f"""
        SELECT r.day, {columns} FROM booking_day_space r JOIN space s ON s.id = r.space_id
        WHERE {where} AND r.day BETWEEN CAST(:d_from AS date) AND CAST(:d_to AS date)
        UNION ALL
        SELECT r.day, {columns} FROM ({pending}) AS r JOIN space s ON s.id = r.space_id WHERE {where}"""


def _rollup_params(scope: Scope, period: tuple[date, date]) -> dict:
    # A booking starting after the period's last day + 2 (report zone) touches none of its
    # days in any zone (zones are at most 26 hours apart).
    return {**scope.params(), **rollups.pending_params(period[0], period[1],
                                                       day_start(period[1] + timedelta(days=2)))}


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # to_char(d, 'dy'), ISO order


def _by_weekday(template: str) -> str:
    """An SQL array of `template` for each weekday key of opening_hours, Monday first."""
    return "ARRAY[" + ", ".join(template.format(dy=dy) for dy in _WEEKDAYS) + "]"


def occupancy_by_day(session: Session, scope: Scope, period: tuple[date, date]) -> list[DayOccupancy]:
    """Booked seat-hours inside opening hours / seat-hours open, per local day.

    Booked: the rollups' `booked_open_us` (each booking split into the local days of its own
    zone, seats x the time inside that day's opening hours; services/admin/rollups.py).
    Open: each space's opening hours read from its JSON once (arrays by ISO weekday), the
    seat-hours open summed once per weekday, of the published spaces in scope."""
    p = _rollup_params(scope, period)
    where = scope.where()
    rows = session.execute(text(f"""
        WITH days AS (SELECT d::timestamp AS d, extract(isodow FROM d)::int AS k
                      FROM generate_series(CAST(:d_from AS date), CAST(:d_to AS date), interval '1 day') AS d),
        week AS MATERIALIZED (
          -- Per space, by ISO weekday (1 = Monday): open that day (the day's JSON is not null)
          -- and the opening and closing times (read once per space, not once per weekday).
          SELECT s.id AS space_id, {_by_weekday("s.opening_hours -> '{dy}' <> 'null'")} AS is_open,
                 {_by_weekday("(s.opening_hours -> '{dy}' ->> 'open')::time")} AS opens,
                 {_by_weekday("(s.opening_hours -> '{dy}' ->> 'close')::time")} AS closes
          FROM space s WHERE {where} AND {PUBLIC_SPACE_SQL}),
        capacity AS (
          SELECT s.id, sum(r.capacity) AS seats
          FROM space s JOIN resource r ON r.space_id = s.id
          WHERE {where} AND {PUBLIC_SPACE_SQL} GROUP BY s.id),
        open_week AS (
          -- Seat-microseconds open on each weekday: the same for every date of that weekday.
          SELECT k, sum(c.seats * (extract(epoch FROM ((d + w.closes[k]) - (d + w.opens[k]))) * 1000000)::bigint)
                   AS us
          FROM capacity c JOIN week w ON w.space_id = c.id
          CROSS JOIN (SELECT k, min(d) AS d FROM days GROUP BY k) AS dk
          WHERE w.is_open[k]
          GROUP BY k),
        booked AS (SELECT r.day, sum(r.booked_open_us) AS us FROM ({_rollup_sql(scope, "r.booked_open_us")}) AS r
                   GROUP BY r.day)
        SELECT days.d::date, coalesce(booked.us, 0), coalesce(open_week.us, 0)
        FROM days LEFT JOIN open_week ON open_week.k = days.k LEFT JOIN booked ON booked.day = days.d::date
        ORDER BY 1
    """), p).all()
    return [DayOccupancy(day=r[0], booked_hours=int(r[1]) / US_PER_HOUR, open_hours=int(r[2]) / US_PER_HOUR)
            for r in rows]


@dataclass
class RevenuePoint:
    period: date
    revenue_minor: int
    bookings: int


def revenue_series(session: Session, scope: Scope, period: tuple[date, date],
                   granularity: str = "day") -> list[RevenuePoint]:
    """Revenue recognized (the ledger: completed stays and fees, less refunds after them) by
    report-zone day/week/month, with the bookings placed that start in each (the rollups)."""
    if granularity not in ("day", "week", "month"):
        raise InvalidInput("granularity", tr("Шаг: день, неделя или месяц (day, week, month)"))
    revenue = dict(session.execute(text(f"""
        SELECT date_trunc(:unit, r.day)::date, sum(r.earned_minor)
        FROM ({_money_sql(scope, "r.earned_minor")}) AS r GROUP BY 1
    """), {**scope.params(), "d_from": period[0], "d_to": period[1], "unit": granularity}).all())
    placed_sum = " + ".join(f"coalesce(r.n_{status}, 0)" for status in PLACED_STATUSES)
    placed = dict(session.execute(text(f"""
        SELECT date_trunc(:unit, r.day)::date, sum(r.placed)
        FROM ({_rollup_sql(scope, f"{placed_sum} AS placed")}) AS r GROUP BY 1
    """), {**_rollup_params(scope, period), "unit": granularity}).all())
    return [RevenuePoint(bucket, int(revenue.get(bucket) or 0), int(placed.get(bucket) or 0))
            for bucket in sorted(set(revenue) | set(placed))
            if revenue.get(bucket) or placed.get(bucket)]


def bookings_by_status(session: Session, scope: Scope, period: tuple[date, date]) -> dict[str, int]:
    """Every booking starting in the period (report-zone days), by its status now: the
    rollups' n_<status> counts. Largest first."""
    sums = ", ".join(f"coalesce(sum(r.n_{status}), 0)" for status in ROLLUP_STATUSES)
    columns = ", ".join(f"r.n_{status}" for status in ROLLUP_STATUSES)
    row = session.execute(text(f"SELECT {sums} FROM ({_rollup_sql(scope, columns)}) AS r"),
                          _rollup_params(scope, period)).one()
    counts = [(status, int(n)) for status, n in zip(ROLLUP_STATUSES, row) if n]
    return dict(sorted(counts, key=lambda item: (-item[1], item[0])))


@dataclass
class TopSpace:
    space_id: int
    name: str
    revenue_minor: int
    bookings: int


def top_spaces(session: Session, scope: Scope, period: tuple[date, date], limit: int = 10) -> list[TopSpace]:
    """The spaces with the most revenue recognized in the period (the ledger's day figures),
    with the bookings placed that start in it."""
    # Whole months inside the period from the month figures, the edge days from the day ones.
    months_from = period[0] if period[0].day == 1 else (period[0].replace(day=28) + timedelta(days=4)).replace(day=1)
    months_to = (period[1] + timedelta(days=1)).replace(day=1)  # exclusive
    if months_from >= months_to:
        months_from = months_to = period[1] + timedelta(days=1)  # no whole month: days only
    money = f"r.currency = '{REPORT_CURRENCY}'"
    rows = session.execute(text(f"""
        SELECT s.id, s.name, t.revenue FROM (
          SELECT x.space_id, sum(x.earned) AS revenue FROM (
            SELECT r.space_id, r.earned_minor AS earned
            FROM ledger_month_space r JOIN space s ON s.id = r.space_id
            WHERE {scope.where()} AND {money} AND r.month >= :m_from AND r.month < :m_to
            UNION ALL
            SELECT r.space_id, r.earned_minor
            FROM ledger_day_space r JOIN space s ON s.id = r.space_id
            WHERE {scope.where()} AND {money}
              AND (r.day BETWEEN :d_from AND :before_months OR r.day BETWEEN :m_to AND :d_to)) AS x
          GROUP BY x.space_id) t JOIN space s ON s.id = t.space_id
        WHERE t.revenue > 0 ORDER BY t.revenue DESC, s.id LIMIT :limit
    """), {**scope.params(), "d_from": period[0], "d_to": period[1], "m_from": months_from, "m_to": months_to,
           "before_months": months_from - timedelta(days=1), "limit": limit}).all()
    placed = dict(session.execute(text(f"""
        SELECT b.space_id, count(*) FROM booking b
        WHERE b.space_id = ANY(:ids) AND {PLACED_SQL} AND b.start_at >= :p_from AND b.start_at < :p_to
        GROUP BY b.space_id
    """), {"ids": [r[0] for r in rows], "p_from": day_start(period[0]),
           "p_to": day_start(period[1] + timedelta(days=1))}).all()) if rows else {}
    return [TopSpace(r[0], r[1], int(r[2]), int(placed.get(r[0], 0))) for r in rows]


def occupancy_heatmap(session: Session, scope: Scope, period: tuple[date, date]) -> list[list[float]]:
    """7 x 24 (Monday first, local hours): average % of the scope's seats taken.

    A cell sums, over the period's local days of its weekday, the rollups' seat-microseconds
    booked in that local hour (h00..h23: each booking cut to its local hours, seats x the
    part of the hour booked), divided by the seats of the published spaces in scope times
    the number of such days."""
    p = _rollup_params(scope, period)
    where = scope.where()
    seats = session.execute(text(f"""
        SELECT coalesce(sum(r.capacity), 0) FROM space s JOIN resource r ON r.space_id = s.id
        WHERE {where} AND {PUBLIC_SPACE_SQL}"""), p).scalar_one()
    hours = ", ".join(f"r.{h}" for h in ROLLUP_HOURS)
    sums = ", ".join(f"sum(r.{h})" for h in ROLLUP_HOURS)
    rows = session.execute(text(f"""
        SELECT extract(isodow FROM r.day)::int, {sums} FROM ({_rollup_sql(scope, hours)}) AS r GROUP BY 1
    """), p).all()
    weekdays = [0] * 7
    day = period[0]
    while day <= period[1]:
        weekdays[day.weekday()] += 1
        day += timedelta(days=1)
    grid = [[0.0] * 24 for _ in range(7)]
    for dow, *by_hour in rows:
        slots = weekdays[dow - 1] * int(seats)
        if slots:
            for hour, us in enumerate(by_hour):
                if us:
                    grid[dow - 1][hour] = round(min(100.0, 100 * (int(us) / US_PER_HOUR) / slots), 1)
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
