"""The dashboard's daily rollups of bookings (docs/admin.md, "Rollups").

`booking_day_space` holds, per space and day, what the dashboard counts of bookings:
seat-microseconds booked inside opening hours (occupancy) and in each local hour (the heat
map) on the bookings' own local days, and bookings by status on the report-zone day they
start; `booking_day_city` holds their sums per city and day (models/admin.py). One database
function, `booking_rollup_cells` (migration 0bdafa54968c), says which cells a booking adds.

How they stay exact without slowing bookings down:
- a booking's insert, delete, or update of a column the figures read makes a row trigger
  note its old version (-1) and new version (+1) in `booking_rollup_change`: one small
  insert in the booking's own transaction, no rollup row locked by it (two bookings of the
  same space and day never wait on each other for the dashboard's sake);
- a space whose opening hours or city change is noted in `booking_rollup_space`: its cells
  are counted again whole;
- `do_refresh_rollups` (the job `refresh-dashboard-rollups`, every minute) takes every noted
  row at once and adds their cells to both tables: cost by changes, not by bookings;
- readers add what is still noted to what the rollups hold (`pending_sql`), in the same
  statement, so a figure equals a recount from the bookings at any moment, not only after
  the next refresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from coworking_app.settings import get_settings
from models import ROLLUP_FIGURES

# pg_advisory_xact_lock key: one refresh at a time (two would add the same cells twice
# only if they took the same rows, which DELETE ... RETURNING prevents; the lock keeps a
# rebuild and a refresh from interleaving their writes).
_LOCK = 0x726F6C6C  # "roll"

_NAMES = ", ".join(ROLLUP_FIGURES)


def _cells(alias: str, sign: str) -> str:
    """`booking_rollup_cells` of the booking row `alias` of the space row `s`."""
    return (f"booking_rollup_cells({sign}, {alias}.space_id, {alias}.start_at, {alias}.end_at, "
            f"{alias}.timezone, {alias}.seats, {alias}.status, s.opening_hours, :report_zone, "
            f"CAST(:d_from AS date), CAST(:d_to AS date)) AS c")


def delta_select() -> str:
    """Rows (space_id, city_id, day, <figures>) to add to the rollups for the CTEs `changes`
    (booking versions) and `spaces` (spaces counted again whole), days in [:d_from, :d_to]:
    the cells of each version with its sign; for a space counted again, minus the cells the
    rollup holds (under the city they were summed into) plus the cells of its every booking
    starting before :start_before. `city_id` is the city whose booking_day_city row a row
    changes."""
    figures = ", ".join(f"c.{f}" for f in ROLLUP_FIGURES)
    negated = ", ".join(f"-r.{f}" for f in ROLLUP_FIGURES)
    return f"""
        SELECT c.space_id, s.city_id, c.day, {figures}
        FROM changes ch JOIN space s ON s.id = ch.space_id
        CROSS JOIN LATERAL {_cells("ch", "ch.sign")}
        WHERE ch.space_id NOT IN (SELECT space_id FROM spaces)
        UNION ALL
        SELECT r.space_id, r.city_id, r.day, {negated}
        FROM booking_day_space r
        WHERE r.space_id IN (SELECT space_id FROM spaces)
          AND r.day BETWEEN CAST(:d_from AS date) AND CAST(:d_to AS date)
        UNION ALL
        SELECT c.space_id, s.city_id, c.day, {figures}
        FROM space s JOIN booking b ON b.space_id = s.id
        CROSS JOIN LATERAL {_cells("b", "1")}
        WHERE s.id IN (SELECT space_id FROM spaces) AND b.start_at < CAST(:start_before AS timestamptz)"""


def pending_sql() -> str:
    """A subquery of what the changes noted since the last refresh add (delta_select over the
    noted rows, read, not taken). Parameters: :report_zone, :d_from, :d_to, :start_before."""
    return f"""
        WITH changes AS (SELECT * FROM booking_rollup_change),
             spaces AS (SELECT space_id FROM booking_rollup_space)
        {delta_select()}"""


def pending_params(d_from, d_to, start_before) -> dict:
    return {"report_zone": get_settings().report_timezone, "d_from": d_from, "d_to": d_to,
            "start_before": start_before}


_EVERY_DAY = {"d_from": "-infinity", "d_to": "infinity", "start_before": "infinity"}


@dataclass
class RefreshResult:
    changes: int  # booking versions applied
    spaces: int  # spaces counted again whole
    cells: int  # rows of cells added to the rollups (before summing)
    rebuilt: bool = False


def _add(table: str, key: str, source: str, conflict: str, extra: str = "") -> str:
    """Adds the grouped rows of `source` to `table` (NULL is zero; a sum of zero is NULL)."""
    sets = ", ".join(f"{f} = nullif(coalesce({table}.{f}, 0) + coalesce(EXCLUDED.{f}, 0), 0)"
                     for f in ROLLUP_FIGURES)
    return f"""INSERT INTO {table} ({key}, {_NAMES}) {source}
               ON CONFLICT ({conflict}) DO UPDATE SET {extra}{sets}"""


_EMPTY = f"num_nonnulls({_NAMES}) = 0"


def do_refresh_rollups(session: Session) -> RefreshResult:
    """Adds every noted change to the rollups, in one transaction (the job
    `refresh-dashboard-rollups`, every minute). Idempotent: a change is taken (deleted) in
    the same statement that computes its cells, so a second run finds nothing to add; a
    change committed meanwhile is taken by the next run. Under another report zone than the
    rollups' it rebuilds them (do_rebuild_rollups)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    zone = session.execute(text("SELECT report_timezone FROM booking_rollup_state")).scalar_one_or_none()
    if zone != get_settings().report_timezone:
        return do_rebuild_rollups(session)
    params = {**pending_params(None, None, None), **_EVERY_DAY}
    session.execute(text("CREATE TEMP TABLE rollup_delta (LIKE booking_day_space) ON COMMIT DROP"))
    changes, spaces, cells = session.execute(text(f"""
        WITH spaces AS (DELETE FROM booking_rollup_space RETURNING space_id),
             changes AS (DELETE FROM booking_rollup_change RETURNING *),
             added AS (INSERT INTO rollup_delta (space_id, city_id, day, {_NAMES}) {delta_select()} RETURNING 1)
        SELECT (SELECT count(*) FROM changes), (SELECT count(*) FROM spaces), (SELECT count(*) FROM added)
    """), params).one()
    if cells:
        sums = ", ".join(f"nullif(sum(d.{f}), 0)" for f in ROLLUP_FIGURES)
        # A space's cells carry its city now (a space counted again after a move is taken
        # out of the old city's rows by delta_select's city, and added to the new one).
        session.execute(text(_add(
            "booking_day_space", "space_id, day, city_id",
            f"SELECT d.space_id, d.day, s.city_id, {sums} FROM rollup_delta d JOIN space s ON s.id = d.space_id "
            f"GROUP BY d.space_id, d.day, s.city_id",
            "space_id, day", extra="city_id = EXCLUDED.city_id, ")))
        session.execute(text(_add(
            "booking_day_city", "day, city_id",
            f"SELECT d.day, d.city_id, {sums} FROM rollup_delta d GROUP BY d.day, d.city_id", "day, city_id")))
        session.execute(text(f"""
            DELETE FROM booking_day_space r USING (SELECT DISTINCT space_id, day FROM rollup_delta) d
            WHERE r.space_id = d.space_id AND r.day = d.day AND {_EMPTY}"""))
        session.execute(text(f"""
            DELETE FROM booking_day_city r USING (SELECT DISTINCT city_id, day FROM rollup_delta) d
            WHERE r.city_id = d.city_id AND r.day = d.day AND {_EMPTY}"""))
    session.execute(text("UPDATE booking_rollup_state SET refreshed_at = now(), applied = applied + :n"),
                    {"n": changes})
    return RefreshResult(changes=int(changes), spaces=int(spaces), cells=int(cells))


def do_rebuild_rollups(session: Session) -> RefreshResult:
    """Counts both rollups again from every booking (after a bulk load that bypassed the
    triggers, or under a new report zone). The notes are taken in the statement that reads
    the bookings, so a booking changed meanwhile is counted once: by this or by the next
    refresh."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    zone = get_settings().report_timezone
    session.execute(text("CREATE TEMP TABLE rollup_full (LIKE booking_day_space) ON COMMIT DROP"))
    sums = ", ".join(f"nullif(sum(c.{f}), 0)" for f in ROLLUP_FIGURES)
    changes, cells = session.execute(text(f"""
        WITH spaces AS (DELETE FROM booking_rollup_space RETURNING space_id),
             changes AS (DELETE FROM booking_rollup_change RETURNING 1),
             added AS (
               INSERT INTO rollup_full (space_id, day, city_id, {_NAMES})
               SELECT c.space_id, c.day, s.city_id, {sums}
               FROM booking b JOIN space s ON s.id = b.space_id
               CROSS JOIN LATERAL {_cells("b", "1")}
               GROUP BY c.space_id, c.day, s.city_id
               RETURNING 1)
        SELECT (SELECT count(*) FROM changes), (SELECT count(*) FROM added)
    """), {**pending_params(None, None, None), **_EVERY_DAY, "report_zone": zone}).one()
    session.execute(text("DELETE FROM booking_day_space"))
    session.execute(text("INSERT INTO booking_day_space SELECT * FROM rollup_full"))
    session.execute(text("DELETE FROM booking_day_city"))
    session.execute(text(f"""
        INSERT INTO booking_day_city (day, city_id, {_NAMES})
        SELECT day, city_id, {", ".join(f"sum({f})" for f in ROLLUP_FIGURES)}
        FROM rollup_full GROUP BY day, city_id"""))
    session.execute(text("""
        INSERT INTO booking_rollup_state (report_timezone, refreshed_at) VALUES (:zone, now())
        ON CONFLICT (id) DO UPDATE SET report_timezone = EXCLUDED.report_timezone,
                                       refreshed_at = EXCLUDED.refreshed_at"""), {"zone": zone})
    return RefreshResult(changes=int(changes), spaces=0, cells=int(cells), rebuilt=True)
