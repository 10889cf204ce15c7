"""One rule decides what a person may do to a booking now (booking_states.booking_refusal):
the buttons a screen offers (booking_views' `actions`) and what the writes accept agree for
every status, time and person. Before, an owner could cancel an ended, not yet completed
booking with a full refund while the screens offered no such button."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from coworking_app.services.booking import bookings, checkin
from coworking_app.services.messaging import messages
from coworking_app.services.payments import payments
from coworking_app.services.reviews import reviews
from coworking_app.services.catalog.cache import drop_space_pages
from coworking_app.services.common.errors import ServiceError
from coworking_app.uow import UnitOfWork
from models import Booking, Space, User
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction

WRITES = {
    "pay": lambda s, fx, u, b: payments.do_start_payment(s, u, b),
    "modify": lambda s, fx, u, b: bookings.do_modify_booking(s, fx, u, b, bookings.BookingChange(seats=1)),
    "cancel": lambda s, fx, u, b: bookings.do_cancel_booking(s, fx, u, b, reason="Протечка в зале"),
    "accept": lambda s, fx, u, b: bookings.do_accept_booking(s, fx, u, b),
    "reject": lambda s, fx, u, b: bookings.do_reject_booking(s, fx, u, b, "Зал закрыт на ремонт"),
    "no_show": lambda s, fx, u, b: bookings.do_mark_no_show(s, fx, u, b),
    "review": lambda s, fx, u, b: reviews.do_create_review(s, user=u, booking_id=b, rating=5, subratings={},
                                                           text_="Отличное место, всё понравилось"),
    "message": lambda s, fx, u, b: messages.do_open_conversation(s, user=u, space_id=None, booking_id=b),
    "check_in": lambda s, fx, u, b: checkin.checkin_pass(s, u, b),
}
# (start, end) relative to now, in hours; None: as booked (10:00-12:00 some days ahead)
TIMES = {"future": None, "running": (-1, 1), "ended": (-3, -1)}


class _Undo(Exception):
    """Rolls an attempt back: each one runs on the booking as it was."""


def _attempt(action: str, user_id: int, booking_id: int) -> bool:
    try:
        with UnitOfWork() as uow:
            s = uow.session
            WRITES[action](s, uow.effects, s.get(User, user_id), booking_id)
            raise _Undo
    except _Undo:
        return True
    except ServiceError:
        return False


def _offered(user_id: int, booking_id: int) -> set[str]:
    with transaction() as s:
        return set(bookings.booking_views(s, [s.get(Booking, booking_id)], s.get(User, user_id))[0].actions)


def _booking(client, space, auth, status: str, when: str, day: int) -> int:
    date = in_days(day)
    r = client.post(f"{API}/bookings", headers=auth, json=body(space.desk_id, local(date, 10), local(date, 12), 1))
    assert r.status_code == 201, r.text
    booking_id = r.json()["id"]
    if status != "pending_payment":
        pay_test(client, auth, booking_id)
    if status == "cancelled":
        assert client.post(f"{API}/bookings/{booking_id}/cancel", headers=auth).status_code == 200
    now = datetime.now(timezone.utc)
    start, end = TIMES[when] or (0, 0)
    with transaction() as s:
        if TIMES[when]:
            s.execute(text("UPDATE booking SET start_at = :a, end_at = :e WHERE id = :id"),
                      {"a": now + timedelta(hours=start), "e": now + timedelta(hours=end), "id": booking_id})
        if status == "completed":
            s.execute(text("UPDATE booking SET status = 'completed' WHERE id = :id"), {"id": booking_id})
        assert s.get(Booking, booking_id).status == status
    return booking_id


@pytest.fixture(scope="module")
def people(client, world):
    instant, approval = make_bookable(instant_book=True), make_bookable(instant_book=False)
    renter_id, auth = signed_in()
    admin_id, _ = signed_in("admin")
    stranger_id, _ = signed_in()
    return instant, approval, auth, {"renter": renter_id, "admin": admin_id, "stranger": stranger_id}


@pytest.mark.parametrize("status", ["pending_payment", "paid", "confirmed", "completed", "cancelled"])
def test_screens_offer_exactly_what_the_writes_accept(client, people, status):
    instant, approval, auth, ids = people
    space = approval if status == "paid" else instant
    disagreements = []
    for n, when in enumerate(TIMES):
        booking_id = _booking(client, space, auth, status, when, day=3 + n + 4 * len(status))
        for role, user_id in {**ids, "owner": space.owner_id}.items():
            offered = _offered(user_id, booking_id)
            for action in WRITES:
                accepted = _attempt(action, user_id, booking_id)
                if accepted != (action in offered):
                    disagreements.append(f"{status}/{when}/{role}/{action}: offered {action in offered}, "
                                         f"accepted {accepted}")
    assert disagreements == []


def test_owner_cannot_cancel_an_ended_booking_for_a_full_refund(client, people):
    instant, _approval, auth, _ids = people
    booking_id = _booking(client, instant, auth, "confirmed", "ended", day=40)
    owner = headers_for(instant.owner_id)
    card = client.get(f"{API}/bookings/{booking_id}", headers=owner).json()
    assert "cancel" not in card["actions"]
    r = client.post(f"{API}/bookings/{booking_id}/cancel", headers=owner, json={"reason": "Передумал"})
    assert r.status_code == 409, r.text
    assert r.json()["detail"][0]["msg"] == "бронь уже закончилась, отменить её нельзя"
    assert client.get(f"{API}/bookings/{booking_id}", headers=auth).json()["refunded"] == 0


def test_nobody_is_offered_a_conversation_about_a_booking_of_an_ownerless_space(client, people):
    instant, _approval, auth, ids = people
    booking_id = _booking(client, instant, auth, "confirmed", "future", day=41)
    with transaction() as s:
        s.execute(text("UPDATE space SET owner_id = NULL WHERE id = :id"), {"id": instant.space_id})
    try:
        assert "message" not in _offered(ids["renter"], booking_id)
        assert not _attempt("message", ids["renter"], booking_id)
    finally:
        with transaction() as s:
            s.execute(text("UPDATE space SET owner_id = :o WHERE id = :id"),
                      {"o": instant.owner_id, "id": instant.space_id})


def test_a_space_nobody_owns_takes_no_bookings_or_questions(client, people):
    """services.catalog.spaces.is_bookable: the booking path, the space page (its booking panel and
    "ask the host") and messages follow one rule."""
    _instant, _approval, auth, ids = people
    space = make_bookable()
    with transaction() as s:
        s.get(Space, space.space_id).owner_id = None
    day = in_days(12)
    payload = body(space.desk_id, local(day, 10), local(day, 12), 1)
    for path in ("/bookings/quote", "/bookings"):
        r = client.post(f"{API}{path}", headers=auth, json=payload)
        assert r.status_code == 409, r.text
        assert r.json()["detail"][0]["msg"] == "Это пространство сейчас не принимает брони"
    page = client.get(f"{API}/spaces/{space.space_id}")
    assert page.status_code == 200 and page.json()["bookable"] is False
    with pytest.raises(ServiceError), UnitOfWork() as uow:
        messages.do_start_conversation(uow.session, uow.effects, user=uow.session.get(User, ids["renter"]),
                                       space_id=space.space_id, text_="Есть ли парковка?")
    with UnitOfWork() as uow:  # a data fix: the page it changes is dropped by hand
        uow.session.get(Space, space.space_id).owner_id = space.owner_id
        drop_space_pages(uow.effects, space.space_id)
    assert client.get(f"{API}/spaces/{space.space_id}").json()["bookable"] is True
    assert client.post(f"{API}/bookings/quote", headers=auth, json=payload).status_code == 200
