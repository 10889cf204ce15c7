"""Dashboard rollups: booking figures per space and day and per city and day, kept by a
per-minute job from the changes triggers note

- `booking_day_space` / `booking_day_city`: seat-microseconds booked inside opening hours
  (occupancy), per local hour (the heat map), and bookings by status (by the report-zone day
  they start); models/admin.py describes the columns.
- `booking_rollup_cells(...)`: the cells one booking version adds, the one definition the
  refresh, the readers and this migration's backfill use (services/admin/rollups.py).
- `booking_rollup_change`: the booking versions not yet in the rollups, written by row
  triggers on booking (insert, delete, and an update of a column the figures read);
  `booking_rollup_space`: spaces to count again whole (opening hours or city changed).
  A TRUNCATE of booking empties the rollups.
- `booking_rollup_state`: the report zone of the status days, the last refresh.
- `ix_booking_long_start`: bookings longer than a day, by start (what "active now" reads
  besides the last day's starts, instead of a year of starts).

Backfills both tables from every booking (docs/admin.md, "Rollups").

Revision ID: 0bdafa54968c
Revises: fc854c22184b
Create Date: 2026-12-07 10:00:00
"""
import os
from typing import Sequence, Union

from alembic import op

from models.admin import ROLLUP_FIGURES, ROLLUP_HOURS, ROLLUP_STATUSES
from models.booking import SEAT_STATUSES

revision: str = '0bdafa54968c'
down_revision: Union[str, None] = 'fc854c22184b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_WEEKDAYS = "ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']"  # opening_hours keys, ISO order
_SEATS = ", ".join(f"'{s.value}'" for s in SEAT_STATUSES)


def _us(interval: str) -> str:
    """Microseconds of an interval (exact: extract(epoch) is numeric)."""
    return f"(extract(epoch FROM {interval}) * 1000000)::bigint"


def _hour(h: int) -> str:
    """Seat-microseconds of the booking [t.a, t.e) inside local hour h of day d.d."""
    cut = f"least(t.e, d.d + interval '{h + 1} hours') - greatest(t.a, d.d + interval '{h} hours')"
    return f"p_sign * p_seats * greatest(0, {_us(cut)})"


def cells_function() -> str:
    """The cells one booking version (sign +1 or -1) adds to its space's rows, days limited to
    [p_from, p_to]: its report-zone start day (n_<status> = sign), and, when its seats are
    taken, each local day it touches (wall-clock time in the booking's zone, as the dashboard
    always counted): seats x the microseconds inside that day's opening hours, and in each
    local hour. An SQL function, inlined into the queries that call it."""
    columns = ", ".join(f"{c} {'integer' if c.startswith('n_') else 'bigint'}" for c in ROLLUP_FIGURES)
    no_hours = ", ".join(f"NULL::bigint AS {h}" for h in ROLLUP_HOURS)
    statuses = ", ".join(f"CASE WHEN p_status = '{s}' THEN p_sign END AS n_{s}" for s in ROLLUP_STATUSES)
    no_statuses = ", ".join("NULL::integer" for _ in ROLLUP_STATUSES)
    hours = ", ".join(_hour(h) for h in range(24))
    inside = ("least(t.e, d.d + (o.hours ->> 'close')::time) "
              "- greatest(t.a, d.d + (o.hours ->> 'open')::time)")
    open_us = f"CASE WHEN o.hours <> 'null' THEN p_sign * p_seats * greatest(0, {_us(inside)}) END"
    return f"""
CREATE OR REPLACE FUNCTION booking_rollup_cells(
    p_sign integer, p_space_id integer, p_start timestamptz, p_end timestamptz, p_zone text,
    p_seats integer, p_status text, p_opening_hours jsonb, p_report_zone text, p_from date, p_to date)
RETURNS TABLE (space_id integer, day date, {columns})
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT p_space_id, r.day, NULL::bigint, {no_hours}, {statuses}
  FROM (SELECT (p_start AT TIME ZONE p_report_zone)::date AS day) AS r
  WHERE r.day BETWEEN p_from AND p_to
  UNION ALL
  SELECT p_space_id, d.d::date, {open_us}, {hours}, {no_statuses}
  FROM (SELECT p_start AT TIME ZONE p_zone AS a, p_end AT TIME ZONE p_zone AS e) AS t
  CROSS JOIN LATERAL generate_series(greatest(date_trunc('day', t.a), p_from::timestamp),
                                     least(t.e, p_to::timestamp + interval '1 day') - interval '1 microsecond',
                                     interval '1 day') AS d (d)
  CROSS JOIN LATERAL (SELECT p_opening_hours -> ({_WEEKDAYS})[extract(isodow FROM d.d)::int] AS hours) AS o
  WHERE p_status IN ({_SEATS})
$$"""


def _figure_columns() -> str:
    return ", ".join(f"{c} {'integer' if c.startswith('n_') else 'bigint'}" for c in ROLLUP_FIGURES)


def upgrade() -> None:
    figures = _figure_columns()
    op.execute(f"""
        CREATE TABLE booking_day_space (
            space_id integer NOT NULL,
            day date NOT NULL,
            city_id integer NOT NULL,
            {figures},
            PRIMARY KEY (space_id, day))""")
    op.execute("CREATE INDEX ix_booking_day_space_day ON booking_day_space (day)")
    op.execute(f"""
        CREATE TABLE booking_day_city (
            day date NOT NULL,
            city_id integer NOT NULL,
            {figures},
            PRIMARY KEY (day, city_id))""")
    op.execute("""
        CREATE TABLE booking_rollup_change (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            sign integer NOT NULL,
            space_id integer NOT NULL,
            start_at timestamptz NOT NULL,
            end_at timestamptz NOT NULL,
            timezone varchar(64) NOT NULL,
            seats integer NOT NULL,
            status varchar(16) NOT NULL)""")
    op.execute("CREATE TABLE booking_rollup_space (space_id integer PRIMARY KEY)")
    op.execute("""
        CREATE TABLE booking_rollup_state (
            id boolean PRIMARY KEY DEFAULT true CONSTRAINT ck_booking_rollup_state_one CHECK (id),
            report_timezone varchar(64) NOT NULL,
            refreshed_at timestamptz,
            applied bigint NOT NULL DEFAULT 0)""")
    op.execute(cells_function())

    # The changes: a booking's old and new versions, in the transaction that changes it.
    op.execute("""
        CREATE FUNCTION booking_rollup_note() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                INSERT INTO booking_rollup_change (sign, space_id, start_at, end_at, timezone, seats, status)
                VALUES (-1, OLD.space_id, OLD.start_at, OLD.end_at, OLD.timezone, OLD.seats, OLD.status);
            END IF;
            IF TG_OP <> 'DELETE' THEN
                INSERT INTO booking_rollup_change (sign, space_id, start_at, end_at, timezone, seats, status)
                VALUES (1, NEW.space_id, NEW.start_at, NEW.end_at, NEW.timezone, NEW.seats, NEW.status);
            END IF;
            RETURN NULL;
        END
        $$""")
    op.execute("""
        CREATE TRIGGER booking_rollup_note AFTER INSERT OR DELETE ON booking
        FOR EACH ROW EXECUTE FUNCTION booking_rollup_note()""")
    # An update of anything else (payments, expiry, notes) costs only this WHEN test.
    op.execute("""
        CREATE TRIGGER booking_rollup_note_update AFTER UPDATE ON booking
        FOR EACH ROW WHEN ((OLD.status, OLD.start_at, OLD.end_at, OLD.seats, OLD.space_id, OLD.timezone)
                           IS DISTINCT FROM
                           (NEW.status, NEW.start_at, NEW.end_at, NEW.seats, NEW.space_id, NEW.timezone))
        EXECUTE FUNCTION booking_rollup_note()""")
    op.execute("""
        CREATE FUNCTION booking_rollup_space_note() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO booking_rollup_space (space_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$""")
    op.execute("""
        CREATE TRIGGER booking_rollup_space_note AFTER UPDATE ON space
        FOR EACH ROW WHEN (OLD.opening_hours IS DISTINCT FROM NEW.opening_hours
                           OR OLD.city_id IS DISTINCT FROM NEW.city_id)
        EXECUTE FUNCTION booking_rollup_space_note()""")
    # TRUNCATE fires no row trigger (a cascade from `space` included): the figures go with it.
    op.execute("""
        CREATE FUNCTION booking_rollup_clear() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM booking_rollup_change;
            DELETE FROM booking_day_space;
            DELETE FROM booking_day_city;
            RETURN NULL;
        END
        $$""")
    op.execute("""
        CREATE TRIGGER booking_rollup_clear AFTER TRUNCATE ON booking
        FOR EACH STATEMENT EXECUTE FUNCTION booking_rollup_clear()""")

    op.execute("""CREATE INDEX ix_booking_long_start ON booking (start_at)
                  INCLUDE (end_at, space_id, status) WHERE end_at - start_at > interval '1 day'""")

    # Backfill. The status days are in REPORT_TIMEZONE (the app's setting, read the same way);
    # a refresh under another zone rebuilds everything (services/admin/rollups.py).
    zone = os.environ.get("REPORT_TIMEZONE") or "Europe/Moscow"
    op.get_bind().exec_driver_sql(
        "INSERT INTO booking_rollup_state (report_timezone, refreshed_at) VALUES (%(zone)s, now())",
        {"zone": zone})
    sums = ", ".join(f"nullif(sum(c.{f}), 0)" for f in ROLLUP_FIGURES)
    names = ", ".join(ROLLUP_FIGURES)
    op.get_bind().exec_driver_sql(f"""
        INSERT INTO booking_day_space (space_id, day, city_id, {names})
        SELECT c.space_id, c.day, s.city_id, {sums}
        FROM booking b JOIN space s ON s.id = b.space_id
        CROSS JOIN LATERAL booking_rollup_cells(1, b.space_id, b.start_at, b.end_at, b.timezone, b.seats,
                                                b.status, s.opening_hours, %(zone)s,
                                                '-infinity', 'infinity') AS c
        GROUP BY c.space_id, c.day, s.city_id""", {"zone": zone})
    sums = ", ".join(f"sum({f})" for f in ROLLUP_FIGURES)
    op.execute(f"""
        INSERT INTO booking_day_city (day, city_id, {names})
        SELECT day, city_id, {sums} FROM booking_day_space GROUP BY day, city_id""")
    op.execute("ANALYZE booking_day_space")
    op.execute("ANALYZE booking_day_city")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_booking_long_start")
    op.execute("DROP TRIGGER IF EXISTS booking_rollup_clear ON booking")
    op.execute("DROP FUNCTION IF EXISTS booking_rollup_clear()")
    op.execute("DROP TRIGGER IF EXISTS booking_rollup_space_note ON space")
    op.execute("DROP FUNCTION IF EXISTS booking_rollup_space_note()")
    op.execute("DROP TRIGGER IF EXISTS booking_rollup_note_update ON booking")
    op.execute("DROP TRIGGER IF EXISTS booking_rollup_note ON booking")
    op.execute("DROP FUNCTION IF EXISTS booking_rollup_note()")
    op.execute("DROP FUNCTION IF EXISTS booking_rollup_cells(integer, integer, timestamptz, timestamptz, text, "
               "integer, text, jsonb, text, date, date)")
    for table in ("booking_rollup_state", "booking_rollup_space", "booking_rollup_change",
                  "booking_day_city", "booking_day_space"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
