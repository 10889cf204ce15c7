"""Operator dashboard benchmark: the dashboard and the bookings table on 1,000,000 bookings.

Measures, BENCH_RUNS times each after one warm-up, in ms (p50 / p95 / max):
  * the full operator dashboard (services.admin.analytics.dashboard, one session per call as a
    request has) for the default 30-day period, a 365-day period, both filtered to one city
    (Moscow), and the owner's analytics (owner_view=True) of the owner with most spaces for
    30 and 365 days;
  * each of its widgets on its own (kpis, occupancy_by_day, revenue_series,
    bookings_by_status, top_spaces, occupancy_heatmap, search_density), for each of them;
  * the rollups (services/admin/rollups.py): the 30- and 365-day dashboards while
    BENCH_CHANGES booking changes are noted but not rolled up yet (readers add them), and
    the refresh job applying them (do_refresh_rollups: N bookings cancelled, then restored;
    each N of BENCH_CHANGES), and a refresh with nothing to do;
  * one page of the admin bookings table (services.admin.admin_tables.list_table "bookings"):
    default sort (-id), and filtered by status;
  * GET /api/v1/admin/dashboard (and /api/v1/admin/bookings) through FastAPI's TestClient
    with a real bearer token, to include the HTTP layer.
Requirement: the dashboard loads in 300 ms (p95) for any period (issue 22). When a full
dashboard misses it, the statements of its slowest widget are run again under EXPLAIN
(ANALYZE, BUFFERS) and their total execution times printed.

Data (seeded once; skipped when the database already holds >= BENCH_BOOKINGS bookings):
the demo seed (3 cities, 160 spaces with hot desks, fixed desks, meeting rooms, offices),
BENCH_SPACES synthetic spaces (demo.scale.seed_scale: one hot desk each), BENCH_RENTERS
renters, then BENCH_BOOKINGS bookings and BENCH_SEARCHES search_log rows, each inserted by
ONE set-based INSERT ... SELECT FROM generate_series (without triggers, so the rollups are
then rebuilt: rollups.do_rebuild_rollups), then VACUUM ANALYZE.

Run with `make bench-dashboard` (database coworking_bench_dashboard, Redis dbs 14/15) or
directly with DATABASE_URL set.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL",
                      "postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench_dashboard")
os.environ.setdefault("CACHE_REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("RQ_REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("APP_ENV", "development")

from sqlalchemy import event, func, select, text  # noqa: E402

from coworking_app.db import get_engine  # noqa: E402
from coworking_app.uow import UnitOfWork  # noqa: E402
from coworking_app.services.admin import analytics, rollups  # noqa: E402
from coworking_app.services.admin.admin_tables import TableFilter, list_table  # noqa: E402
from models import Booking, City, Resource, SearchLog, Space, User  # noqa: E402

TARGET_BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "1000000"))
SYNTHETIC_SPACES = int(os.environ.get("BENCH_SPACES", "2000"))
RENTERS = int(os.environ.get("BENCH_RENTERS", "20000"))
SEARCHES = int(os.environ.get("BENCH_SEARCHES", "200000"))
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
CHANGES = [int(n) for n in os.environ.get("BENCH_CHANGES", "100,1000,10000").split(",")]
TARGET_MS = 300.0  # the full dashboard, p95
ADMIN_EMAIL = "bench-dashboard-admin@example.com"
RENTER_EMAIL = "bench-renter-{n}@example.com"

# Bookings start on one of the last PAST_DAYS days or the next FUTURE_DAYS (report zone).
PAST_DAYS, FUTURE_DAYS = 730, 60
WINDOW_DAYS = PAST_DAYS + FUTURE_DAYS
# Whole-resource bookings (meeting rooms, private offices) take their k-th day from
# (k * DAY_STEP + resource offset) mod WINDOW_DAYS: one booking per resource and day at most,
# so they never overlap (ex_booking_whole_resource), whatever their status.
DAY_STEP = 337
WHOLE_SHARE = 0.08  # of all bookings
assert math.gcd(DAY_STEP, WINDOW_DAYS) == 1


# --- seeding -------------------------------------------------------------------------------

RENTERS_SQL = """
INSERT INTO app_user (email, full_name, password_hash, roles, language, notification_prefs,
                      is_active, created_at, updated_at)
SELECT replace(:email, '{n}', i::text), 'Арендатор ' || i, '!bench-no-login', ARRAY['renter'],
       'ru', '{}'::jsonb, true, c, c
FROM generate_series(1, :renters) AS i,
     LATERAL (SELECT now() - random() * interval '800 days' AS c) AS t
ON CONFLICT DO NOTHING
"""

# One statement: desk bookings (hot/fixed desks, picked at random) and whole-resource
# bookings (meeting rooms by the hour, private offices by the day; one per resource and day).
BOOKINGS_SQL = """
WITH params AS (
  SELECT (now() AT TIME ZONE :report_tz)::date - :past_days AS first_day,
         now() AS t_now
),
renters AS (
  SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n
  FROM app_user WHERE email LIKE 'bench-renter-%@example.com'
),
res AS (
  SELECT r.id, r.space_id, r.kind, r.capacity, s.timezone,
         r.kind IN ('meeting_room', 'private_office') AS whole,
         coalesce(max(t.price_minor) FILTER (WHERE t.unit = 'hour'), 30000) AS p_hour,
         coalesce(max(t.price_minor) FILTER (WHERE t.unit = 'day'), 150000) AS p_day,
         coalesce(max(t.price_minor) FILTER (WHERE t.unit = 'month'), 1500000) AS p_month
  FROM resource r JOIN space s ON s.id = r.space_id
  LEFT JOIN tariff t ON t.resource_id = r.id
  WHERE s.status = 'published' AND s.deleted_at IS NULL
  GROUP BY r.id, s.timezone
),
desk AS (SELECT row_number() OVER (ORDER BY id) AS n, * FROM res WHERE NOT whole),
room AS (SELECT row_number() OVER (ORDER BY id) AS n, * FROM res WHERE whole),
counts AS (
  SELECT d.desks, r.rooms,
         least(r.rooms * :window_days, round(:total * :whole_share)::bigint) AS n_room
  FROM (SELECT count(*) AS desks FROM desk) d, (SELECT count(*) AS rooms FROM room) r
),
-- Random draws first (materialized), so every random() is evaluated once per booking.
desk_draw AS MATERIALIZED (
  SELECT 1 + floor(random() * c.desks)::int AS pick, random() AS r_kind, random() AS r_day,
         random() AS r_hour, random() AS r_dur, random() AS r_seats, random() AS r_status,
         random() AS r_created, random() AS r_refund, random() AS r_user
  FROM counts c, generate_series(1, :total - c.n_room) AS i
),
room_draw AS MATERIALIZED (
  SELECT 1 + (i % c.rooms)::int AS pick, i / c.rooms AS k, random() AS r_hour, random() AS r_dur,
         random() AS r_status, random() AS r_created, random() AS r_refund, random() AS r_user
  FROM counts c, generate_series(0, c.n_room - 1) AS i
),
planned AS (
  -- Desks: hot desks 85 % hourly (1-4 h between 08:00 and 21:00 local), 13 % a day,
  -- 2 % a month (30 days); fixed desks 90 % a day, 10 % a month. 1..3 seats (mostly 1).
  -- Days: more bookings lately (density growing linearly to 2x over the window).
  SELECT d.id AS resource_id, d.space_id, d.timezone, d.capacity, false AS whole,
         1 + floor(g.r_seats * g.r_seats * least(3, d.capacity))::int AS seats,
         CASE WHEN d.kind = 'hot_desk' AND g.r_kind < 0.85 THEN 'hour'
              WHEN (d.kind = 'hot_desk' AND g.r_kind < 0.98) OR (d.kind <> 'hot_desk' AND g.r_kind < 0.9)
                THEN 'day' ELSE 'month' END AS unit,
         p.first_day + floor(:window_days * (sqrt(1 + 3 * g.r_day) - 1))::int AS day,
         1 + floor(g.r_dur * 4)::int AS hours, g.r_hour, g.r_status, g.r_created, g.r_refund, g.r_user,
         d.p_hour, d.p_day, d.p_month
  FROM desk_draw g JOIN desk d ON d.n = g.pick CROSS JOIN params p
  UNION ALL
  -- Whole resources: seats = capacity; meeting rooms 1-4 h, private offices a day.
  SELECT r.id, r.space_id, r.timezone, r.capacity, true, r.capacity,
         CASE WHEN r.kind = 'meeting_room' THEN 'hour' ELSE 'day' END,
         p.first_day + ((w.k * :day_step + w.pick * 13) % :window_days)::int,
         1 + floor(w.r_dur * 4)::int, w.r_hour, w.r_status, w.r_created, w.r_refund, w.r_user,
         r.p_hour, r.p_day, r.p_month
  FROM room_draw w JOIN room r ON r.n = w.pick CROSS JOIN params p
),
timed AS (
  SELECT pl.*,
         CASE pl.unit
           WHEN 'hour' THEN (pl.day + make_interval(hours => 8 + floor(pl.r_hour * (14 - pl.hours))::int))
                            AT TIME ZONE pl.timezone
           ELSE pl.day::timestamp AT TIME ZONE pl.timezone END AS start_at,
         CASE pl.unit
           WHEN 'hour' THEN (pl.day + make_interval(hours => 8 + floor(pl.r_hour * (14 - pl.hours))::int
                                                          + pl.hours)) AT TIME ZONE pl.timezone
           WHEN 'day' THEN (pl.day + 1)::timestamp AT TIME ZONE pl.timezone
           ELSE (pl.day + 30)::timestamp AT TIME ZONE pl.timezone END AS end_at,
         CASE pl.unit
           WHEN 'hour' THEN pl.p_hour * pl.hours * CASE WHEN pl.whole THEN 1 ELSE pl.seats END
           WHEN 'day' THEN pl.p_day * CASE WHEN pl.whole THEN 1 ELSE pl.seats END
           ELSE pl.p_month * pl.seats END AS total
  FROM planned pl
),
statused AS (
  -- Past: completed, ~8 % cancelled, ~5 % expired, 1.5 % no-show. Ongoing and future:
  -- confirmed / paid, ~8 % cancelled, ~5 % expired, a few (future) pending_payment.
  SELECT t.*,
         CASE WHEN t.end_at <= p.t_now THEN
                CASE WHEN t.r_status < 0.08 THEN 'cancelled' WHEN t.r_status < 0.13 THEN 'expired'
                     WHEN t.r_status < 0.145 THEN 'no_show' ELSE 'completed' END
              ELSE
                CASE WHEN t.r_status < 0.08 THEN 'cancelled' WHEN t.r_status < 0.13 THEN 'expired'
                     WHEN t.r_status < 0.135 AND t.start_at > p.t_now THEN 'pending_payment'
                     WHEN t.r_status < 0.30 THEN 'paid' ELSE 'confirmed' END
         END AS status,
         p.t_now
  FROM timed t CROSS JOIN params p
),
final AS (
  SELECT s.*,
         CASE WHEN s.status = 'pending_payment' THEN s.t_now - s.r_created * interval '10 minutes'
              WHEN s.start_at > s.t_now THEN s.t_now - s.r_created * interval '30 days'
              ELSE s.start_at - (interval '30 minutes' + s.r_created * s.r_created * interval '14 days')
         END AS created_at,
         CASE WHEN s.status IN ('pending_payment', 'expired') THEN 0 ELSE s.total END AS paid,
         CASE WHEN s.status <> 'cancelled' OR s.r_refund >= 0.8 THEN 0
              WHEN s.r_refund < 0.5 THEN s.total ELSE s.total / 2 END AS refunded
  FROM statused s
)
INSERT INTO booking (user_id, space_id, resource_id, start_at, end_at, seats, whole, status,
                     expires_at, timezone, price, addons, total_minor, currency, policy,
                     paid_minor, refunded_minor, balance_due_minor, created_at, updated_at)
SELECT u.ids[1 + floor(f.r_user * u.n)::int], f.space_id, f.resource_id, f.start_at, f.end_at,
       f.seats, f.whole, f.status,
       CASE WHEN f.status IN ('pending_payment', 'expired') THEN f.created_at + interval '15 minutes' END,
       f.timezone, '{}'::jsonb, '[]'::jsonb, f.total, 'RUB', 'flexible', f.paid, f.refunded, 0,
       f.created_at, least(f.t_now, greatest(f.created_at, f.end_at))
FROM final f CROSS JOIN renters u
ORDER BY f.created_at  -- ids grow with creation time, as in a live database
"""

# Searches of the last 60 days around the three city centres (50/30/20 %), 10 % without a point.
SEARCHES_SQL = """
WITH centre AS (
  SELECT id, slug, ST_Y(center::geometry) AS lat, ST_X(center::geometry) AS lon FROM city
),
draw AS MATERIALIZED (
  SELECT CASE WHEN random() < 0.5 THEN 'moscow' WHEN random() < 0.6 THEN 'saint-petersburg'
              ELSE 'novosibirsk' END AS slug,
         now() - random() * interval '60 days' AS at,
         sqrt(-2 * ln(1 - random())) AS rad, 2 * pi() * random() AS angle,
         random() AS r_point, random() AS r_kind, random() AS r_results
  FROM generate_series(1, :searches) AS i
)
INSERT INTO search_log (at, city_id, point, kind, results)
SELECT d.at, c.id,
       CASE WHEN d.r_point < 0.9 THEN ST_SetSRID(ST_MakePoint(c.lon + 0.08 * d.rad * sin(d.angle),
                                                              c.lat + 0.05 * d.rad * cos(d.angle)),
                                                 4326)::geography END,
       (ARRAY['city', 'radius', 'metro', 'text'])[1 + floor(d.r_kind * 4)::int],
       floor(d.r_results * 200)::int
FROM draw d JOIN centre c ON c.slug = d.slug
ORDER BY d.at
"""


LEDGER_DAYS_SQL = """
TRUNCATE ledger_day_space;
INSERT INTO ledger_day_space (day, space_id, currency, received_minor, earned_minor, commission_minor)
SELECT day, space_id, 'RUB', sum(received), sum(earned), sum(earned) * 15 / 100 FROM (
  SELECT (created_at AT TIME ZONE :tz)::date AS day, space_id, paid_minor - refunded_minor AS received, 0 AS earned
    FROM booking WHERE paid_minor > 0
  UNION ALL
  SELECT (end_at AT TIME ZONE :tz)::date, space_id, 0, paid_minor - refunded_minor
    FROM booking WHERE status = 'completed' AND paid_minor > refunded_minor) AS x
GROUP BY 1, 2;
INSERT INTO ledger_day_city (day, city_id, currency, received_minor, earned_minor, commission_minor)
SELECT r.day, coalesce(s.city_id, 0), r.currency, sum(r.received_minor), sum(r.earned_minor), sum(r.commission_minor)
  FROM ledger_day_space r JOIN space s ON s.id = r.space_id GROUP BY 1, 2, 3;
"""


def seed_ledger_days() -> None:
    """The ledger's day figures these bookings would have left (the journal itself is not
    seeded: the dashboards read only these): money received on the day a booking was made,
    revenue on the day a completed stay ended, the commission 15 % of it."""
    step = time.perf_counter()
    with UnitOfWork() as uow:
        for statement in LEDGER_DAYS_SQL.split(";"):
            if statement.strip():
                uow.session.execute(text(statement), {"tz": analytics.get_settings().report_timezone}
                                    if ":tz" in statement else {})
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE ledger_day_space"))
        conn.execute(text("VACUUM ANALYZE ledger_day_city"))
    print(f"  ledger day figures {time.perf_counter() - step:6.1f} s", flush=True)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def ensure_data() -> None:
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        have = count(session, Booking)
    if have >= TARGET_BOOKINGS:
        print(f"seeding skipped: {have} bookings already", flush=True)
        with UnitOfWork() as uow:
            seeded = uow.session.scalar(text("SELECT count(*) FROM ledger_day_space"))
        if not seeded:
            seed_ledger_days()
        return
    from coworking_app.demo.scale import seed_scale
    from coworking_app.demo.seed import seed_demo

    started = time.perf_counter()
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        seed_demo(session, effects)
    print(f"  demo seed {time.perf_counter() - started:6.1f} s", flush=True)
    step = time.perf_counter()
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        # seed_scale names its spaces "<brand> <n>" with the synthetic description.
        synthetic = session.scalar(select(func.count()).select_from(Space).where(
            Space.description.like("Синтетическое пространство:%"))) or 0
        if synthetic < SYNTHETIC_SPACES:
            seed_scale(session, SYNTHETIC_SPACES - synthetic)
    print(f"  {SYNTHETIC_SPACES} synthetic spaces {time.perf_counter() - step:6.1f} s", flush=True)

    step = time.perf_counter()
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        # A synthetic load, not user activity: session_replication_role = replica keeps the
        # audit triggers (audit_row: one audit_log row per inserted booking and user) from
        # firing for it. It also skips the foreign-key triggers; every id below is taken
        # from the referenced tables themselves. CHECK and EXCLUDE constraints still apply.
        session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(text("SET LOCAL work_mem = '256MB'"))
        session.execute(text("SELECT setseed(0.2026)"))
        session.execute(text(RENTERS_SQL), {"email": RENTER_EMAIL, "renters": RENTERS})
        print(f"  {RENTERS} renters {time.perf_counter() - step:6.1f} s", flush=True)
        step = time.perf_counter()
        inserted = session.execute(text(BOOKINGS_SQL), {
            "report_tz": analytics.get_settings().report_timezone, "past_days": PAST_DAYS,
            "window_days": WINDOW_DAYS, "total": TARGET_BOOKINGS - have,
            "whole_share": WHOLE_SHARE, "day_step": DAY_STEP}).rowcount
        print(f"  {inserted} bookings {time.perf_counter() - step:6.1f} s", flush=True)
        step = time.perf_counter()
        searches = count(session, SearchLog)
        if searches < SEARCHES:
            added = session.execute(text(SEARCHES_SQL), {"searches": SEARCHES - searches}).rowcount
            print(f"  {added} search_log rows {time.perf_counter() - step:6.1f} s", flush=True)
    seed_ledger_days()
    step = time.perf_counter()
    with UnitOfWork() as uow:
        result = rollups.do_rebuild_rollups(uow.session)
    print(f"  rollups rebuilt ({result.cells} space cells) {time.perf_counter() - step:6.1f} s", flush=True)
    step = time.perf_counter()
    # After a bulk load: statistics for the planner, and the visibility map / hint bits a
    # live database has (autovacuum), so the first measured reads do not rewrite pages.
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("booking", "search_log", "app_user", "space", "resource", "tariff",
                      "booking_day_space", "booking_day_city", "ledger_day_space", "ledger_day_city"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    print(f"  VACUUM ANALYZE {time.perf_counter() - step:6.1f} s", flush=True)
    print(f"seeding took {time.perf_counter() - started:.1f} s", flush=True)


def ensure_admin() -> int:
    """An admin account (roles ["admin"]): check_role only looks at roles."""
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        user = session.scalar(select(User).where(User.email == ADMIN_EMAIL))
        if user is None:
            user = User(email=ADMIN_EMAIL, full_name="Администратор бенчмарка",
                        password_hash="!bench-no-login", roles=["admin"])
            session.add(user)
            session.flush()
        return user.id


# --- measuring -----------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed(fn: Callable[[], object], runs: int = RUNS) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def in_session(work: Callable) -> Callable[[], object]:
    """One session (one pooled connection, one transaction) per call, as a request has."""
    def run():
        with UnitOfWork() as uow:
            session, effects = uow.session, uow.effects
            return work(session)
    return run


RESULTS: list[tuple[str, list[float]]] = []


def record(label: str, values: list[float]) -> list[float]:
    RESULTS.append((label, values))
    print(f"  {label:<50} p50 {pct(values, 50):8.1f}   p95 {pct(values, 95):8.1f}   "
          f"max {max(values):8.1f}", flush=True)
    return values


def print_table() -> None:
    print(f"\n{'item':<52} {'runs':>4} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    print("-" * 87)
    for label, values in RESULTS:
        print(f"{label:<52} {len(values):>4} {pct(values, 50):9.1f} {pct(values, 95):9.1f} "
              f"{max(values):9.1f}")


def widgets(user: User, flt: analytics.DashboardFilter, owner_view: bool = False) -> dict[str, Callable]:
    def scope_period(session):
        return (analytics.access_analytics_scope(session, user, flt, owner_view=owner_view),
                flt.period())

    def call(fn, **kw):
        def work(session):
            scope, period = scope_period(session)
            return fn(session, scope, period, **kw)
        return work

    return {
        "kpis": call(analytics.kpis),
        "occupancy_by_day": call(analytics.occupancy_by_day),
        "revenue_series": call(analytics.revenue_series, granularity=flt.granularity),
        "bookings_by_status": call(analytics.bookings_by_status),
        "top_spaces": call(analytics.top_spaces),
        "occupancy_heatmap": call(analytics.occupancy_heatmap),
        "search_density": call(analytics.search_density),
    }


def captured_statements(work: Callable) -> list[tuple[str, object]]:
    engine = get_engine()
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        in_session(work)()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return captured


def explain(label: str, work: Callable) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement `work` issues: the summary lines."""
    statements = captured_statements(work)
    raw = get_engine().raw_connection()  # same connect options as the app's sessions
    try:
        cur = raw.driver_connection.cursor()
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of {label}: {len(statements)} statements")
        for n, (sql, params) in enumerate(statements, 1):
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            lines = [r[0] for r in cur.fetchall()]
            first = " ".join(sql.split())[:70]
            top_buffers = next((ln.strip() for ln in lines if ln.strip().startswith("Buffers:")), "")
            summary = [ln.strip() for ln in lines if ln.startswith(("Planning Time", "Execution Time"))]
            print(f"  [{n}] {first} ...")
            print(f"      {'; '.join(summary)}; {top_buffers}")
        raw.driver_connection.rollback()
    finally:
        raw.close()


def biggest_owner() -> int:
    """The owner of the most spaces (the demo's owners have 27 each)."""
    with UnitOfWork() as uow:
        return uow.session.execute(text(
            "SELECT owner_id FROM space WHERE owner_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
        ).scalar_one()


def refresh_costs(admin: User) -> None:
    """The rollups with N booking changes noted: the dashboard meanwhile (readers add the
    noted changes), then the refresh job applying them. N confirmed bookings of the last
    and next 30 days are cancelled (occupancy, heat map and statuses all move), then
    restored, so the data stays as seeded."""
    print("\n== rollups: N booking changes (cancel, then restore) ==", flush=True)
    today = analytics.today()
    boards = {"30 days": analytics.DashboardFilter(),
              "365 days": analytics.DashboardFilter(date_from=today - timedelta(days=364))}
    for n in CHANGES:
        with UnitOfWork() as uow:
            ids = list(uow.session.execute(text(
                "SELECT id FROM booking WHERE status = 'confirmed' AND start_at >= now() - interval '30 days' "
                "AND start_at < now() + interval '30 days' ORDER BY id LIMIT :n"), {"n": n}).scalars())
        for status in ("cancelled", "confirmed"):
            with UnitOfWork() as uow:
                uow.session.execute(text("UPDATE booking SET status = :status WHERE id = ANY(:ids)"),
                                    {"status": status, "ids": ids})
            if status == "cancelled":
                for name, flt in boards.items():
                    record(f"dashboard {name}, {len(ids)} changes pending", timed(in_session(
                        lambda s, flt=flt: analytics.dashboard(s, admin, flt, owner_view=False)), runs=5))
            started = time.perf_counter()
            with UnitOfWork() as uow:
                done = rollups.do_refresh_rollups(uow.session)
            record(f"refresh: {len(ids)} bookings {status} ({done.changes} rows)",
                   [(time.perf_counter() - started) * 1000])
    record("refresh: nothing noted", timed(in_session(rollups.do_refresh_rollups), runs=5))


def main() -> None:
    print(f"database {get_engine().url.render_as_string(hide_password=True)}")
    ensure_data()
    admin_id = ensure_admin()
    owner_id = biggest_owner()
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        counts = {name: count(session, model) for name, model in
                  (("bookings", Booking), ("spaces", Space), ("resources", Resource),
                   ("search_log", SearchLog), ("users", User))}
        admin = session.get(User, admin_id)
        owner = session.get(User, owner_id)
        owner_spaces = session.scalar(select(func.count()).select_from(Space).where(Space.owner_id == owner_id))
        moscow = session.scalar(select(City).where(City.slug == "moscow"))
        rollup_rows = session.execute(text(
            "SELECT (SELECT count(*) FROM booking_day_space), (SELECT count(*) FROM booking_day_city)")).one()
    print("rows: " + ", ".join(f"{k} {v}" for k, v in counts.items())
          + f"; rollups: {rollup_rows[0]} space cells, {rollup_rows[1]} city cells")

    today = analytics.today()
    year = today - timedelta(days=364)
    # name: (filter, query string, user, owner view)
    scenarios = {
        "30 days (default)": (analytics.DashboardFilter(), {}, admin, False),
        "365 days": (analytics.DashboardFilter(date_from=year), {"from": year.isoformat()}, admin, False),
        f"30 days, city {moscow.slug}": (analytics.DashboardFilter(city_id=moscow.id),
                                        {"city": str(moscow.id)}, admin, False),
        f"365 days, city {moscow.slug}": (analytics.DashboardFilter(city_id=moscow.id, date_from=year),
                                         {"city": str(moscow.id), "from": year.isoformat()}, admin, False),
        f"owner ({owner_spaces} spaces) 30 days": (analytics.DashboardFilter(), {}, owner, True),
        f"owner ({owner_spaces} spaces) 365 days": (analytics.DashboardFilter(date_from=year),
                                                  {"from": year.isoformat()}, owner, True),
    }
    print(f"runs per item: {RUNS} (after one warm-up); report day {today}; "
          f"target: full dashboard p95 <= {TARGET_MS:.0f} ms")

    misses = []
    for name, (flt, _query, user, owner_view) in scenarios.items():
        print(f"\n== dashboard, {name} ==", flush=True)
        full = record(f"dashboard {name}", timed(in_session(
            lambda s, flt=flt, user=user, owner_view=owner_view: analytics.dashboard(
                s, user, flt, owner_view=owner_view))))
        widget_p95 = {}
        for widget, work in widgets(user, flt, owner_view).items():
            widget_p95[widget] = pct(record(f"  {widget}", timed(in_session(work))), 95)
        money = sum(widget_p95[w] for w in MONEY_WIDGETS)
        print(f"  (widgets' p95 summed: {sum(widget_p95.values()):.1f} ms, of which the money widgets "
              f"{', '.join(MONEY_WIDGETS)} {money:.1f} ms)")
        if pct(full, 95) > TARGET_MS:
            slowest = max(widget_p95, key=widget_p95.get)
            misses.append((name, slowest, widgets(user, flt, owner_view)[slowest]))

    refresh_costs(admin)

    print("\n== admin table: bookings, page 1 of 25 ==", flush=True)
    for label, flt in (("bookings table, default sort (-id)", TableFilter()),
                       ("bookings table, status=cancelled", TableFilter(status="cancelled")),
                       ("bookings table, status=placed", TableFilter(status="placed"))):
        record(label, timed(in_session(lambda s, flt=flt: list_table(s, admin, "bookings", flt))))

    print("\n== HTTP: FastAPI TestClient, bearer token ==", flush=True)
    warnings.filterwarnings("ignore", message=".*httpx.*")  # starlette's TestClient notice
    from fastapi.testclient import TestClient

    from coworking_app.api import create_api
    from coworking_app.services.accounts.sessions import do_sign_in_api

    tokens = {}
    for user_id in (admin_id, owner_id):
        with UnitOfWork() as uow:
            session, effects = uow.session, uow.effects
            tokens[user_id] = do_sign_in_api(session, effects, session.get(User, user_id)).access_token
    with TestClient(create_api()) as client:
        def get(path: str, params: dict, user_id: int = admin_id) -> Callable[[], object]:
            headers = {"Authorization": f"Bearer {tokens[user_id]}"}

            def run():
                r = client.get(path, params=params, headers=headers)
                if r.status_code != 200:
                    raise SystemExit(f"GET {path} {params} answered {r.status_code}: {r.text[:300]}")
                return r
            return run
        for name, (_flt, query, user, owner_view) in scenarios.items():
            path = "/api/v1/owner/analytics" if owner_view else "/api/v1/admin/dashboard"
            record(f"GET {path} {name}", timed(get(path, query, user.id)))
        record("GET /api/v1/admin/bookings (page 1)", timed(get("/api/v1/admin/bookings", {})))
        record("GET /api/v1/admin/bookings?status=cancelled",
               timed(get("/api/v1/admin/bookings", {"status": "cancelled"})))

    print_table()
    print("\nrows: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for name, values in RESULTS:
        if name.startswith("dashboard ") and "pending" not in name:
            p95 = pct(values, 95)
            print(f"target: {name} p95 {p95:.1f} ms <= {TARGET_MS:.0f} ms "
                  f"[{'met' if p95 <= TARGET_MS else 'NOT met'}]")
    for name, widget, work in misses:
        explain(f"{widget} ({name}, the slowest widget)", work)


# Revenue by stay date, still read from the bookings: they move onto the ledger's rollup.
MONEY_WIDGETS = ("revenue_series", "top_spaces")


if __name__ == "__main__":
    main()
