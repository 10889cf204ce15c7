"""The booking policy (services.booking.bookings.can / refusal / actions_for): one answer to "may
this person do this to this booking now", asked by the lists of actions every screen shows
and by every write. The table behind it (booking_states.booking_refusal) is pure: most of
these checks need no database.

- An owner (or an admin, or the renter) may not cancel a booking whose stay has ended: it
  completes, or is marked a no-show (before 2f80447 the owner's cancel went through with a
  full refund while no screen offered it).
- "Оставить отзыв" is offered only while the booking has no review: before, the API's
  booking view kept offering "review" after one was written, and the write answered 409.
- The seats refusal has one home (bookings.seats_conflict, Quote.shortage)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from coworking_app.services.booking import bookings
from coworking_app.services.booking.booking_states import ACTIONS, booking_refusal
from coworking_app.services.common.errors import Conflict
from models import Role

NOW = datetime(2027, 3, 1, 12, tzinfo=timezone.utc)
RENTER, OWNER, ADMIN, STRANGER = 1, 2, 3, 4


def _person(user_id: int, *roles: Role) -> SimpleNamespace:
    return SimpleNamespace(id=user_id, roles=[r.value for r in roles], totp_enabled=True,
                           is_staff=any(r in (Role.operator, Role.admin) for r in roles),
                           has_role=lambda *wanted: any(r in roles for r in wanted))


PEOPLE = {"renter": _person(RENTER, Role.renter), "owner": _person(OWNER, Role.owner),
          "admin": _person(ADMIN, Role.admin), "other": _person(STRANGER, Role.renter)}


def _booking(status: str, *, start_in_h: float, hours: float = 2, **extra) -> SimpleNamespace:
    start = NOW + timedelta(hours=start_in_h)
    values = dict(id=7, user_id=RENTER, status=status, start_at=start, end_at=start + timedelta(hours=hours),
                  expires_at=NOW + timedelta(minutes=10) if status == "pending_payment" else None,
                  pending_change=None, balance_due_minor=0, paid_minor=1000, refunded_minor=0)
    return SimpleNamespace(**{**values, **extra})


TIMES = {"ahead": 24, "running": -1, "ended": -3}
STATUSES = ("pending_payment", "paid", "confirmed", "cancelled", "expired", "completed", "no_show")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("when", list(TIMES))
def test_the_policy_is_the_table_for_each_persons_side(status, when):
    booking = _booking(status, start_in_h=TIMES[when])
    for side, person in PEOPLE.items():
        offered = bookings.actions_for(person, booking, now=NOW, host_id=OWNER)
        for action in ACTIONS:
            expected = booking_refusal(booking, side, action, now=NOW, host_id=OWNER) is None
            assert bookings.can(person, booking, action, now=NOW, host_id=OWNER) is expected
            assert (action in offered) is expected
            if expected:
                bookings.check_can(person, booking, action, now=NOW, host_id=OWNER)
            else:
                with pytest.raises(Conflict):
                    bookings.check_can(person, booking, action, now=NOW, host_id=OWNER)


@pytest.mark.parametrize("status", ("paid", "confirmed"))
def test_nobody_cancels_a_stay_that_has_ended(status):
    ended = _booking(status, start_in_h=-3)
    running = _booking(status, start_in_h=-1)
    for side in ("renter", "owner", "admin"):
        person = PEOPLE[side]
        assert not bookings.can(person, ended, "cancel", now=NOW, host_id=OWNER), side
        assert "закончилась" in bookings.refusal(person, ended, "cancel", now=NOW, host_id=OWNER)
        assert bookings.can(person, running, "cancel", now=NOW, host_id=OWNER), side
    assert not bookings.can(PEOPLE["other"], running, "cancel", now=NOW, host_id=OWNER)
    assert not bookings.can(None, running, "cancel", now=NOW, host_id=OWNER)


def test_the_owner_side_needs_the_space_to_be_theirs():
    booking = _booking("paid", start_in_h=24)
    assert bookings.can(PEOPLE["owner"], booking, "accept", now=NOW, host_id=OWNER)
    assert not bookings.can(PEOPLE["owner"], booking, "accept", now=NOW, host_id=STRANGER)


def test_a_review_is_offered_once():
    done = _booking("completed", start_in_h=-30)
    assert bookings.can(PEOPLE["renter"], done, "review", now=NOW, host_id=OWNER)
    assert not bookings.can(PEOPLE["renter"], done, "review", now=NOW, host_id=OWNER, reviewed=True)
    assert "review" not in bookings.actions_for(PEOPLE["renter"], done, now=NOW, host_id=OWNER, reviewed=True)


def test_the_seats_refusal_has_one_home():
    assert bookings.seats_conflict(0).message == "На это время свободных мест нет"
    assert bookings.seats_conflict(-2).message == "На это время свободных мест нет"
    assert bookings.seats_conflict(3).message == "На это время осталось мест: 3"
    assert bookings.seats_conflict(3).field == "seats"
    quote = SimpleNamespace(free_seats=2, seats=3)
    assert bookings.Quote.shortage(quote).message == "На это время осталось мест: 2"
    assert bookings.Quote.shortage(SimpleNamespace(free_seats=3, seats=3)) is None


def test_the_view_stops_offering_a_review_once_written(client, world):
    from tests.booking_auth import signed_in
    from tests.booking_helpers import API, make_bookable
    from tests.review_helpers import create_review, insert_booking

    b = make_bookable()
    renter_id, auth = signed_in()
    booking_id = insert_booking(b, renter_id, status="completed", ended_days_ago=1)
    view = client.get(f"{API}/bookings/{booking_id}", headers=auth).json()
    assert "review" in view["actions"]
    create_review(client, auth, booking_id)
    view = client.get(f"{API}/bookings/{booking_id}", headers=auth).json()
    assert "review" not in view["actions"]
    r = client.post(f"{API}/bookings/{booking_id}/review", headers=auth,
                    json={"rating": 4, "text": "Второй отзыв на ту же бронь, так нельзя"})
    assert r.status_code == 409 and r.json()["detail"][0]["msg"] == "Отзыв на эту бронь уже оставлен"
