"""booked_seats built from the one definition of "seats held", with a booking to leave out

- The function's condition for a booking that holds seats is no longer typed here: it is
  `models.holds_seats_sql`, the fragment every seat-counting query uses, read when this
  migration runs (tests/test_seats_held.py checks the installed function still says the
  same; a change of the holding statuses needs a new migration that recreates it, with
  the partial index and the exclusion constraint).
- `p_exclude`: a booking not to count (a modification must not count the booking being
  changed against itself). services/booking/availability.py kept a copy of the whole function in
  Python for that; it now calls this one. Without the argument it counts as before.

Revision ID: 7f3a2c9e5d10
Revises: 64b989f15b53
Create Date: 2026-12-04 10:00:00
"""
from typing import Sequence, Union

from alembic import op

from models.booking import holds_seats_sql

revision: str = '7f3a2c9e5d10'
down_revision: Union[str, None] = '64b989f15b53'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def booked_seats_function() -> str:
    """Peak seats held on one resource at any moment of [p_start, p_end): occupancy only
    rises where a booking starts, so it is enough to sum the overlapping bookings at p_start
    and at every booking start inside the interval. PL/pgSQL (migration 8d41c7e2f0b3: it
    keeps its plan for the connection's life); uses the partial GiST index
    ix_booking_resource_period."""
    return f"""
CREATE OR REPLACE FUNCTION booked_seats(p_resource integer, p_start timestamptz, p_end timestamptz,
                                        p_exclude integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  RETURN (
    WITH held AS (
      SELECT b.start_at, b.end_at, b.seats FROM booking b
      WHERE b.resource_id = p_resource
        AND {holds_seats_sql("b")}
        AND (p_exclude IS NULL OR b.id <> p_exclude)
        AND tstzrange(b.start_at, b.end_at, '[)') && tstzrange(p_start, p_end, '[)')
    ), points AS (
      SELECT p_start AS t UNION SELECT start_at FROM held WHERE start_at > p_start
    )
    SELECT coalesce(max(occ), 0)::integer FROM (
      SELECT (SELECT coalesce(sum(h.seats), 0) FROM held h
              WHERE h.start_at <= points.t AND h.end_at > points.t) AS occ
      FROM points
    ) x);
END
$$
"""


def upgrade() -> None:
    # A new argument is a new function: the three-argument one goes, its callers now reach
    # this one through the default.
    op.execute("DROP FUNCTION booked_seats(integer, timestamptz, timestamptz)")
    op.execute(booked_seats_function())


def _previous(filename: str):
    """An earlier migration of this folder, for its function text."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(filename, Path(__file__).with_name(filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    op.execute("DROP FUNCTION booked_seats(integer, timestamptz, timestamptz, integer)")
    op.execute(_previous("20261202_8d41c7e2f0b3_booking_hot_path_functions.py").BOOKED_SEATS_PLPGSQL)
