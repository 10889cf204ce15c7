"""One definition of "seats held" (models.holds_seats_sql): every seat-counting query and
the `booked_seats` database function are built from it, and a modification counts with the
function itself (before, services/booking/availability.py kept a Python copy of the function to
leave the changed booking out)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

from coworking_app.services.booking import availability
from models import HOLDING_STATUSES, Booking, Resource, Space, holds_seats_sql
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable
from tests.uow_helpers import transaction

ROOT = Path(__file__).resolve().parents[3]  # the project (this file: tests/services/booking/)


def test_the_database_function_is_built_from_the_one_definition(session):
    source = session.execute(text(
        "SELECT prosrc FROM pg_proc WHERE proname = 'booked_seats'")).scalars().all()
    assert len(source) == 1, "one booked_seats function (no overloads left behind)"
    assert holds_seats_sql("b") in source[0]
    args = session.execute(text("SELECT pg_get_function_arguments(oid) FROM pg_proc "
                                "WHERE proname = 'booked_seats'")).scalar_one()
    assert args.endswith("p_exclude integer DEFAULT NULL::integer")


def test_no_copy_of_the_holding_statuses_in_the_code():
    """The status list and the expiry condition are written once (models/booking.py)."""
    listed = re.compile(r"'%s',\s*'%s'" % (HOLDING_STATUSES[0].value, HOLDING_STATUSES[1].value))
    expiry = re.compile(r"status\s*<>\s*'pending_payment'\s+OR")
    for folder in ("coworking_app", "state", "jobs", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            assert not listed.search(source), f"{path}: holding statuses typed again"
            assert not expiry.search(source), f"{path}: the hold's expiry rule typed again"


def test_a_modification_leaves_only_its_own_booking_out(client, world):
    b = make_bookable(desk_capacity=10)
    _renter, auth = signed_in()
    day = in_days(5)
    ids = []
    for seats, (start, end) in ((3, (10, 12)), (4, (11, 13))):
        r = client.post(f"{API}/bookings", headers=auth,
                        json=body(b.desk_id, local(day, start), local(day, end), seats))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    start, end = local(day, 9), local(day, 14)
    with transaction() as s:
        assert availability.booked_seats(s, b.desk_id, start, end) == 7
        assert availability.booked_seats(s, b.desk_id, start, end, exclude_booking_id=ids[0]) == 4
        assert availability.booked_seats(s, b.desk_id, start, end, exclude_booking_id=ids[1]) == 3
        # An unpaid hold past its expiry holds nothing, whichever way it is counted.
        s.get(Booking, ids[1]).expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        s.flush()
        assert availability.booked_seats(s, b.desk_id, start, end) == 3
        assert availability.booked_seats(s, b.desk_id, start, end, exclude_booking_id=ids[0]) == 0
        # The day's grid and the month's free days count the same seats.
        slots = availability.day_slots(s, s.get(Space, b.space_id), [s.get(Resource, b.desk_id)], day)[0].slots
        free = {slot.start.hour: slot.free_seats for slot in slots if slot.start.minute == 0}
        assert free[10] == 7 and free[11] == 7 and free[12] == 10
        s.rollback()
    # Through the API: shrinking the first booking to 1 seat counts the other one only.
    r = client.patch(f"{API}/bookings/{ids[0]}", headers=auth, json={"seats": 6})
    assert r.status_code == 200, r.text
    r = client.patch(f"{API}/bookings/{ids[0]}", headers=auth, json={"seats": 7})
    assert r.status_code == 409 and "осталось мест: 6" in r.json()["detail"][0]["msg"]

