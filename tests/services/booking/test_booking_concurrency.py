"""No overbooking under real concurrency: many transactions race for the last seats of one
resource on the real PostgreSQL; the resource row lock, booked_seats() and the exclusion
constraint must let exactly as many through as there are seats."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from coworking_app.db import get_engine
from coworking_app.services.booking import bookings as svc
from coworking_app.services.common.errors import Conflict
from coworking_app.uow import run_use_case
from models import BookingEvent, User
from tests.booking_auth import signed_in
from tests.booking_helpers import in_days, local, make_bookable
from tests.uow_helpers import transaction

ATTEMPTS = 50
# The app engine pools 5 + 10 overflow connections; the TestClient and other fixtures may
# hold some. Waves of WORKERS threads are released together by a cyclic barrier, so every
# attempt races with WORKERS - 1 others on the same resource row.
WORKERS = 10
assert ATTEMPTS % WORKERS == 0


def _book(user_id: int, resource_id: int, start, end, seats: int = 1):
    request = svc.BookingRequest(resource_id=resource_id, start=start, end=end, seats=seats)

    def work(session, effects):
        user = session.get(User, user_id)
        booking = svc.do_create_booking(session, effects, user, request)
        return booking.id

    return run_use_case(work)


def _race(resource_id: int, start, end, user_ids: list[int]) -> tuple[list[int], list[Exception]]:
    barrier = threading.Barrier(WORKERS, timeout=30)

    def attempt(user_id: int):
        barrier.wait()
        try:
            return _book(user_id, resource_id, start, end)
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(attempt, user_ids))
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if not isinstance(r, int)]
    return won, lost


def _peak(resource_id: int, start, end) -> int:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT booked_seats(:r, :s, :e)"),
                            {"r": resource_id, "s": start, "e": end}).scalar_one()


def _holding(resource_id: int) -> int:
    with get_engine().connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM booking WHERE resource_id = :r "
            "AND status IN ('pending_payment', 'paid', 'confirmed')"), {"r": resource_id}).scalar_one()


@pytest.fixture(scope="module")
def renters(world) -> list[int]:
    """ATTEMPTS distinct renter accounts. They never sign in, so they are inserted directly
    (registering hashes a password: ~0.3 s each)."""
    import uuid

    with transaction() as s:
        users = [User(email=f"race-{uuid.uuid4().hex[:12]}@example.com", full_name="Гонщик",
                      password_hash="!unusable", roles=["renter"]) for _ in range(ATTEMPTS)]
        s.add_all(users)
        s.flush()
        return [u.id for u in users]


def test_fifty_renters_race_for_the_last_five_desk_seats(world, renters):
    b = make_bookable(desk_capacity=10)
    day = in_days(2)
    start, end = local(day, 10), local(day, 12)
    first_id = signed_in()[0]
    _book(first_id, b.desk_id, start, end, seats=5)
    assert _peak(b.desk_id, start, end) == 5

    won, lost = _race(b.desk_id, start, end, renters)

    assert len(won) == 5 and len(set(won)) == 5
    assert len(lost) == ATTEMPTS - 5
    for exc in lost:
        assert isinstance(exc, Conflict), repr(exc)
        assert exc.field == "seats"
        assert exc.message == svc.seats_conflict(0).message  # "no seats left"
    assert _peak(b.desk_id, start, end) == 10
    assert _holding(b.desk_id) == 6  # the first 5-seat booking + 5 single seats
    # Any sub-interval: never above capacity.
    assert _peak(b.desk_id, start + timedelta(minutes=30), end) == 10


def test_fifty_renters_race_for_one_meeting_room_hour(world, renters):
    b = make_bookable()
    day = in_days(2)
    start, end = local(day, 14), local(day, 15)

    won, lost = _race(b.room_id, start, end, renters)

    assert len(won) == 1
    assert len(lost) == ATTEMPTS - 1
    assert all(isinstance(e, Conflict) and e.field == "seats" for e in lost)
    assert _peak(b.room_id, start, end) == 6  # the room is booked whole
    assert _holding(b.room_id) == 1


_INSERT = text("""
    INSERT INTO booking (user_id, space_id, resource_id, start_at, end_at, seats, whole, status,
                         timezone, price, addons, total_minor, currency, policy)
    VALUES (:u, :sp, :r, :s, :e, 6, true, 'confirmed', 'Europe/Moscow', '{}', '[]', 150000,
            'RUB', 'flexible')
    RETURNING id
""")


def test_exclusion_constraint_refuses_overlap_written_around_the_service(world):
    b = make_bookable()
    user_id = signed_in()[0]
    day = in_days(3)
    start, end = local(day, 10), local(day, 11)
    params = {"u": user_id, "sp": b.space_id, "r": b.room_id}
    with get_engine().connect() as conn:
        with conn.begin():
            conn.execute(_INSERT, params | {"s": start, "e": end})
            # Overlapping by half an hour: PostgreSQL itself refuses it.
            with pytest.raises(IntegrityError) as info:
                with conn.begin_nested():
                    conn.execute(_INSERT, params | {"s": start + timedelta(minutes=30),
                                                    "e": end + timedelta(minutes=30)})
            assert info.value.orig.sqlstate == "23P01"  # exclusion_violation
            assert "ex_booking_whole_resource" in str(info.value.orig)
            # Same interval exactly: refused too.
            with pytest.raises(IntegrityError):
                with conn.begin_nested():
                    conn.execute(_INSERT, params | {"s": start, "e": end})
            # Adjacent [end, end + 1 h): ranges are half-open, so this is fine.
            adjacent = conn.execute(_INSERT, params | {"s": end, "e": end + timedelta(hours=1)}
                                    ).scalar_one()
            assert adjacent
            # A cancelled booking holds nothing: the constraint ignores it.
            conn.execute(text("UPDATE booking SET status = 'cancelled' WHERE id = :id"),
                         {"id": adjacent})
            conn.execute(_INSERT, params | {"s": end, "e": end + timedelta(hours=1)})
            count = conn.execute(text("SELECT count(*) FROM booking WHERE resource_id = :r"),
                                 {"r": b.room_id}).scalar_one()
            assert count == 3
            conn.rollback()


def test_driver_level_insert_reports_the_overlap_as_the_lost_race(world):
    """The booking insert runs on the driver (db.DriverStatement): PostgreSQL's refusal
    still arrives as SQLAlchemy's IntegrityError, and the service turns it into the 409."""
    from coworking_app.effects import Effects
    from coworking_app.services.booking.booking_states import do_insert_booking
    from coworking_app.services.accounts.permissions import Caller

    b = make_bookable()
    user_id = signed_in()[0]
    day = in_days(4)
    start, end = local(day, 10), local(day, 11)
    with get_engine().begin() as conn:
        conn.execute(_INSERT, {"u": user_id, "sp": b.space_id, "r": b.room_id, "s": start, "e": end})
    values = dict(user_id=user_id, space_id=b.space_id, resource_id=b.room_id,
                  start_at=start + timedelta(minutes=30), end_at=end + timedelta(minutes=30),
                  seats=6, whole=True, status="pending_payment", expires_at=None,
                  timezone="Europe/Moscow", price={"total": 1}, addons=[], total_minor=1,
                  currency="RUB", promo_id=None, policy="flexible")
    caller = Caller(id=user_id, email_verified_at=None)
    with transaction() as s:
        with pytest.raises(IntegrityError) as info:
            do_insert_booking(s, Effects(), values, actor=caller, actor_role="renter", data={})
        assert info.value.orig.sqlstate == "23P01"
        s.rollback()
        with pytest.raises(Conflict) as lost:
            with svc._overlap_refused_as_conflict():
                do_insert_booking(s, Effects(), values, actor=caller, actor_role="renter", data={})
        assert lost.value.field == "seats"
        s.rollback()
        # The session is usable again, and nothing of the refused inserts was written.
        assert _holding(b.room_id) == 1
        booking_id = do_insert_booking(s, Effects(), values | {"start_at": end, "end_at": end + timedelta(hours=1)},
                                       actor=caller, actor_role="renter", data={"total": 1})
        assert s.get(BookingEvent, s.scalar(select(BookingEvent.id).where(
            BookingEvent.booking_id == booking_id))).action == "create"
