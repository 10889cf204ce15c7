"""The dashboard's rollups (services/admin/rollups.py) against a recount from the bookings.

Random bookings (a seeded generator) in spaces of three time zones with different opening
hours, every status, stays of minutes to days crossing midnights and a DST change, then
changes, cancellations and deletions. At every step each rollup-fed figure of the dashboard
(occupancy per day, the heat map, bookings by status, the cancellation rate) equals the same
figure recounted here from the raw rows with plain SQL written for this test, for the
network, a city, an owner and a space: before the refresh job ran (the readers add the
noted changes), after it, after changes made since, and after a space's opening hours and
city change. The job is idempotent, and a rebuild from scratch writes the same rows."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from coworking_app.services.admin import analytics, rollups
from jobs.maintenance import refresh_dashboard_rollups
from models import Booking
from tests.booking_helpers import make_bookable, new_user
from tests.uow_helpers import transaction

US_PER_HOUR = 3_600_000_000
STATUSES = ("pending_payment", "paid", "confirmed", "cancelled", "expired", "completed", "no_show")
SEATS_TAKEN = ("paid", "confirmed", "completed", "no_show")
REPORT_ZONE = "Europe/Moscow"
# Berlin leaves summer time on 2026-10-25 and enters it on 2027-03-28.
DST_DAYS = (date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26), date(2027, 3, 28))
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --- the recount: plain SQL over the bookings, independent of the rollups -------------------

# Local wall-clock interval of each booking whose seats are taken, in the scope.
_TAKEN = f"""
    SELECT b.seats, b.start_at AT TIME ZONE b.timezone AS a, b.end_at AT TIME ZONE b.timezone AS e,
           s.opening_hours
    FROM booking b JOIN space s ON s.id = b.space_id
    WHERE {{scope}} AND b.status IN ({", ".join(f"'{x}'" for x in SEATS_TAKEN)})"""

# Seat-microseconds inside opening hours, per local day: the intersection of the booking's
# range with the day's opening range.
_RECOUNT_OPEN = f"""
    SELECT d::date AS day,
           sum(t.seats * (extract(epoch FROM upper(x.r) - lower(x.r)) * 1000000)::bigint) AS us
    FROM ({_TAKEN}) AS t
    CROSS JOIN LATERAL generate_series(date_trunc('day', t.a), t.e, interval '1 day') AS d
    CROSS JOIN LATERAL (SELECT t.opening_hours -> lower(to_char(d, 'Dy')) AS h) AS oh
    CROSS JOIN LATERAL (SELECT tsrange(t.a, t.e) * tsrange(d + (oh.h ->> 'open')::time,
                                                           d + (oh.h ->> 'close')::time) AS r) AS x
    WHERE oh.h IS NOT NULL AND jsonb_typeof(oh.h) = 'object' AND NOT isempty(x.r)
      AND d::date BETWEEN :d_from AND :d_to
    GROUP BY 1"""

# Seat-microseconds per local hour of the period's days.
_RECOUNT_HOURS = f"""
    SELECT extract(isodow FROM h)::int AS dow, extract(hour FROM h)::int AS hour,
           sum(t.seats * (extract(epoch FROM upper(x.r) - lower(x.r)) * 1000000)::bigint) AS us
    FROM ({_TAKEN}) AS t
    CROSS JOIN LATERAL generate_series(date_trunc('hour', t.a), t.e, interval '1 hour') AS h
    CROSS JOIN LATERAL (SELECT tsrange(t.a, t.e) * tsrange(h, h + interval '1 hour') AS r) AS x
    WHERE NOT isempty(x.r) AND h::date BETWEEN :d_from AND :d_to
    GROUP BY 1, 2"""

_RECOUNT_STATUS = """
    SELECT b.status, count(*) FROM booking b JOIN space s ON s.id = b.space_id
    WHERE {scope} AND (b.start_at AT TIME ZONE :report_zone)::date BETWEEN :d_from AND :d_to
    GROUP BY 1"""

_SEATS = """
    SELECT coalesce(sum(r.capacity), 0) FROM space s JOIN resource r ON r.space_id = s.id
    WHERE {scope} AND s.status = 'published' AND s.deleted_at IS NULL"""


def _scope_sql(scope: analytics.Scope) -> tuple[str, dict]:
    parts, params = ["TRUE"], {}
    for column, value in (("owner_id", scope.owner_id), ("city_id", scope.city_id), ("id", scope.space_id)):
        if value is not None:
            parts.append(f"s.{column} = :{column}")
            params[column] = value
    return " AND ".join(parts), params


def recount(session, scope: analytics.Scope, period: tuple[date, date]) -> dict:
    where, params = _scope_sql(scope)
    params |= {"d_from": period[0], "d_to": period[1], "report_zone": REPORT_ZONE}
    open_us = dict(session.execute(text(_RECOUNT_OPEN.format(scope=where)), params).all())
    hours = {(dow, hour): int(us) for dow, hour, us in
             session.execute(text(_RECOUNT_HOURS.format(scope=where)), params).all()}
    statuses = {status: int(n) for status, n in
                session.execute(text(_RECOUNT_STATUS.format(scope=where)), params).all()}
    seats = int(session.execute(text(_SEATS.format(scope=where)), params).scalar_one())
    days = [period[0] + timedelta(days=n) for n in range((period[1] - period[0]).days + 1)]
    weekdays = [sum(1 for d in days if d.weekday() == k) for k in range(7)]
    heat = [[0.0] * 24 for _ in range(7)]
    for (dow, hour), us in hours.items():
        slots = weekdays[dow - 1] * seats
        if slots:
            heat[dow - 1][hour] = round(min(100.0, 100 * (us / US_PER_HOUR) / slots), 1)
    placed = sum(n for s, n in statuses.items() if s not in ("pending_payment", "expired"))
    return {
        "booked_hours": [int(open_us.get(d, 0)) / US_PER_HOUR for d in days],
        "heatmap": heat,
        "statuses": {s: n for s, n in statuses.items() if n},
        "cancellation_rate_pct": round(100 * statuses.get("cancelled", 0) / placed, 1) if placed else 0.0,
    }


def dashboard_figures(session, scope: analytics.Scope, period: tuple[date, date]) -> dict:
    kpis = analytics.kpis(session, scope, period)
    return {
        "booked_hours": [d.booked_hours for d in analytics.occupancy_by_day(session, scope, period)],
        "heatmap": analytics.occupancy_heatmap(session, scope, period),
        "statuses": analytics.bookings_by_status(session, scope, period),
        "cancellation_rate_pct": kpis.cancellation_rate_pct,
    }


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spaces(world):
    """Three spaces: Moscow 08:00-22:00 daily; Novosibirsk 09:30-18:45 on weekdays (closed
    at the weekend); Berlin 07:00-23:00, Saturday short, Sunday closed. The first two have
    one owner."""
    moscow = make_bookable(name="Коворкинг «Свёртка М»")
    hours = {d: ({"open": "09:30", "close": "18:45"} if d not in ("sat", "sun") else None) for d in WEEK}
    novosibirsk = make_bookable(name="Коворкинг «Свёртка Н»", timezone="Asia/Novosibirsk", hours=hours)
    hours = {d: {"open": "07:00", "close": "23:00"} for d in WEEK} | {"sat": {"open": "10:00", "close": "14:00"},
                                                                      "sun": None}
    berlin = make_bookable(name="Коворкинг «Свёртка Б»", timezone="Europe/Berlin", hours=hours)
    with transaction() as s:
        s.execute(text("UPDATE space SET owner_id = :owner WHERE id = :id"),
                  {"owner": moscow.owner_id, "id": novosibirsk.space_id})
    return [moscow, novosibirsk, berlin]


def _random_booking(rng: random.Random, space, user_id: int, days: list[date]) -> Booking:
    zone = ZoneInfo(space.timezone)
    day = rng.choice(days)
    start = datetime.combine(day, time(rng.randrange(24), rng.choice((0, 15, 30, 45)), rng.choice((0, 0, 7))),
                             tzinfo=zone)
    minutes = rng.choice((30, 60, 90, 150, 240, 600, 24 * 60, 26 * 60 + 10, 3 * 24 * 60))
    end = start + timedelta(minutes=minutes)
    return Booking(user_id=user_id, space_id=space.space_id, resource_id=space.desk_id,
                   start_at=start.astimezone(timezone.utc), end_at=end.astimezone(timezone.utc),
                   seats=rng.randint(1, 4), whole=False, status=rng.choice(STATUSES),
                   timezone=space.timezone, price={}, total_minor=10000, currency="RUB", policy="flexible",
                   paid_minor=10000, refunded_minor=0)


def _period_days() -> tuple[tuple[date, date], list[date]]:
    today = analytics.today()
    days = [today + timedelta(days=n) for n in range(-12, 10)] + list(DST_DAYS)
    return (min(days) - timedelta(days=1), max(days) + timedelta(days=1)), days


def _scopes(spaces) -> list[analytics.Scope]:
    with transaction() as s:
        city = s.execute(text("SELECT city_id FROM space WHERE id = :id"), {"id": spaces[0].space_id}).scalar_one()
    return [analytics.Scope(), analytics.Scope(city_id=city), analytics.Scope(owner_id=spaces[0].owner_id),
            analytics.Scope(space_id=spaces[2].space_id),
            analytics.Scope(owner_id=spaces[0].owner_id, space_id=spaces[1].space_id)]


def assert_figures_equal_recount(spaces, when: str) -> None:
    (lo, hi), days = _period_days()
    periods = [(lo, hi), (days[0], days[0] + timedelta(days=20)), (DST_DAYS[0], DST_DAYS[2]),
               (DST_DAYS[3], DST_DAYS[3])]
    with transaction() as s:
        for scope in _scopes(spaces):
            for period in periods:
                assert dashboard_figures(s, scope, period) == recount(s, scope, period), (when, scope, period)


def _rollup_rows(space_ids: list[int]) -> list[tuple]:
    with transaction() as s:
        return [tuple(r) for r in s.execute(text(
            "SELECT * FROM booking_day_space WHERE space_id = ANY(:ids) ORDER BY space_id, day"),
            {"ids": space_ids}).all()]


def _pending() -> int:
    with transaction() as s:
        return s.execute(text("SELECT (SELECT count(*) FROM booking_rollup_change) "
                              "+ (SELECT count(*) FROM booking_rollup_space)")).scalar_one()


@pytest.mark.parametrize("seed", [2026, 7])
def test_rollup_figures_equal_a_recount_through_changes_and_refreshes(spaces, seed):
    rng = random.Random(seed)
    renter, _, _ = new_user()
    _period, days = _period_days()
    space_ids = [b.space_id for b in spaces]

    with transaction() as s:
        bookings = [_random_booking(rng, rng.choice(spaces), renter, days) for _ in range(120)]
        s.add_all(bookings)
        s.flush()
        ids = [b.id for b in bookings]
    assert_figures_equal_recount(spaces, "new bookings, not refreshed")

    first = refresh_dashboard_rollups()
    assert _pending() == 0 and first
    assert_figures_equal_recount(spaces, "after the first refresh")

    # Changes: statuses (cancellations, completions, expiries), moved and resized stays,
    # other seats, a deletion; and an update of money only, which notes nothing.
    with transaction() as s:
        before = s.execute(text("SELECT count(*) FROM booking_rollup_change")).scalar_one()
        s.execute(text("UPDATE booking SET paid_minor = paid_minor + 1 WHERE id = ANY(:ids)"), {"ids": ids})
        assert s.execute(text("SELECT count(*) FROM booking_rollup_change")).scalar_one() == before
        for booking_id in rng.sample(ids, 40):
            b = s.get(Booking, booking_id)
            move = rng.random()
            if move < 0.4:
                b.status = rng.choice(("cancelled", "completed", "expired", "no_show", "paid"))
            elif move < 0.7:
                shift = timedelta(minutes=rng.choice((-1500, -90, 45, 600, 2 * 24 * 60)))
                b.start_at, b.end_at = b.start_at + shift, b.end_at + shift + timedelta(minutes=rng.choice((0, 30)))
            elif move < 0.9:
                b.seats = rng.randint(1, 6)
            else:
                s.delete(b)
    assert _pending() > 0
    assert_figures_equal_recount(spaces, "changed after a refresh, not refreshed yet")
    refresh_dashboard_rollups()
    assert _pending() == 0
    assert_figures_equal_recount(spaces, "changes refreshed")

    # A space's opening hours change (its occupancy of every day is counted again) and
    # another moves to a different city (its cells leave one city's sums for the other's).
    with transaction() as s:
        s.execute(text("""UPDATE space SET opening_hours = jsonb_set(opening_hours, '{wed}', 'null')
                                                  || '{"mon": {"open": "06:15", "close": "20:00"}}'
                          WHERE id = :id"""), {"id": spaces[0].space_id})
        other = s.execute(text("SELECT id FROM city WHERE id <> (SELECT city_id FROM space WHERE id = :id) "
                               "ORDER BY id LIMIT 1"), {"id": spaces[2].space_id}).scalar_one()
        home = s.execute(text("SELECT city_id FROM space WHERE id = :id"), {"id": spaces[2].space_id}).scalar_one()
        s.execute(text("UPDATE space SET city_id = :city WHERE id = :id"), {"city": other, "id": spaces[2].space_id})
        s.add(_random_booking(rng, spaces[2], renter, days))  # a change of the moving space too
    assert_figures_equal_recount(spaces, "hours and city changed, not refreshed")
    with transaction() as s:
        assert analytics.bookings_by_status(s, analytics.Scope(city_id=other), _period) == \
            recount(s, analytics.Scope(city_id=other), _period)["statuses"]
    refresh_dashboard_rollups()
    assert_figures_equal_recount(spaces, "hours and city changed, refreshed")
    with transaction() as s:
        for city in (home, other):
            scope = analytics.Scope(city_id=city)
            assert dashboard_figures(s, scope, _period) == recount(s, scope, _period), city
        s.execute(text("UPDATE space SET city_id = :city WHERE id = :id"), {"city": home, "id": spaces[2].space_id})
    refresh_dashboard_rollups()

    # Idempotent: a second run finds nothing and changes no row; a rebuild from scratch
    # writes the very rows the refreshes left.
    rows = _rollup_rows(space_ids)
    assert rows and refresh_dashboard_rollups().startswith("0 change(s), 0 space(s)")
    assert _rollup_rows(space_ids) == rows
    with transaction() as s:
        assert rollups.do_rebuild_rollups(s).rebuilt
    assert _rollup_rows(space_ids) == rows
    assert_figures_equal_recount(spaces, "rebuilt")


def test_rollup_cells_of_one_booking_by_hand(spaces):
    """One booking across a Novosibirsk midnight, 2 seats, 17:30 Friday -> 10:00 Saturday
    local: Friday 17:30-18:45 is inside opening hours (1.25 h x 2 seats), Saturday is closed;
    the heat map has 30 minutes at 17:00 and whole hours up to 09:00 Saturday."""
    nsk = spaces[1]
    zone = ZoneInfo("Asia/Novosibirsk")
    today = analytics.today()
    friday = today + timedelta(days=(4 - today.weekday()) % 7 + 14)  # a Friday two weeks out and more
    renter, _, _ = new_user()
    with transaction() as s:
        s.add(Booking(user_id=renter, space_id=nsk.space_id, resource_id=nsk.desk_id,
                      start_at=datetime.combine(friday, time(17, 30), tzinfo=zone),
                      end_at=datetime.combine(friday + timedelta(days=1), time(10, 0), tzinfo=zone),
                      seats=2, status="paid", timezone=nsk.timezone, price={}, total_minor=1, currency="RUB",
                      policy="flexible", paid_minor=1))
    refresh_dashboard_rollups()
    scope = analytics.Scope(space_id=nsk.space_id)
    with transaction() as s:
        occupancy = analytics.occupancy_by_day(s, scope, (friday, friday + timedelta(days=1)))
        heat = analytics.occupancy_heatmap(s, scope, (friday, friday + timedelta(days=1)))
        statuses = analytics.bookings_by_status(s, scope, (friday, friday))
    assert [(d.day, d.booked_hours) for d in occupancy] == [(friday, 2.5), (friday + timedelta(days=1), 0.0)]
    seats = 16  # desk 10 + room 6: one Friday and one Saturday in the period
    assert heat[4][17] == round(100 * 1.0 / seats, 1) and heat[4][18] == round(100 * 2 / seats, 1)
    assert heat[5][9] == round(100 * 2 / seats, 1) and heat[5][10] == 0.0 and heat[4][16] == 0.0
    assert statuses.get("paid", 0) >= 1
