"""Check-in with the booking's QR code (valid, a second scan, expired, forged, another space's,
too early), the guest's own check-in near the space (and refused from afar), and the no-show
release: a booking nobody checked in for is released after the space's grace period and its
seats go to the waitlist."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from coworking_app.services.booking import bookings as svc
from coworking_app.services.booking import checkin, waitlist
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.payments.checkout import do_complete_test_payment
from coworking_app.services.payments.payments import do_start_payment
from coworking_app.uow import run_use_case
from jobs.booking import render_receipt
from models import Booking, BookingEvent, Space, User, WaitlistEntry
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, in_days, local, make_bookable
from tests.uow_helpers import transaction

NEAR = {"lat": 55.7570, "lon": 37.6173}  # about 130 m north of make_bookable's pin
FAR = {"lat": 55.7800, "lon": 37.6173}  # about 2.7 km


def confirmed(resource_id: int, user_id: int, start, end, *, now) -> int:
    """A paid, confirmed booking made at `now` (the services' clock, not the wall's)."""
    request = svc.BookingRequest(resource_id=resource_id, start=start, end=end, seats=1)
    booking_id = run_use_case(lambda s, fx: svc.do_create_booking(s, fx, s.get(User, user_id), request, now=now).id)
    payment_id = run_use_case(lambda s, _fx: do_start_payment(s, s.get(User, user_id), booking_id, now=now).id)
    run_use_case(lambda s, fx: do_complete_test_payment(s, fx, s.get(User, user_id), payment_id, "succeeded", now=now))
    with transaction() as s:
        assert s.get(Booking, booking_id).status == "confirmed"
    return booking_id


def token_of(booking_id: int) -> str:
    with transaction() as s:
        return checkin.checkin_token(s.get(Booking, booking_id))


@pytest.fixture()
def stay():
    space = make_bookable(desk_capacity=1)
    start = local(in_days(2), 10)
    renter_id, renter = signed_in()
    booking_id = confirmed(space.desk_id, renter_id, start, start + timedelta(hours=2), now=start - timedelta(hours=3))
    return space, booking_id, renter_id, renter, start


def test_the_spaces_staff_check_the_guest_in_with_the_qr_code(client, stay):
    space, booking_id, renter_id, renter, start = stay
    passed = client.get(f"{API}/bookings/{booking_id}/checkin-pass", headers=renter).json()
    token = passed["url"].split("/checkin?t=")[1]
    assert passed["url"].startswith("http") and token == token_of(booking_id)
    _other, stranger = signed_in()
    assert client.get(f"{API}/bookings/{booking_id}/checkin-pass", headers=stranger).status_code == 404

    owner = headers_for(space.owner_id)
    seen = client.post(f"{API}/checkin/preview", headers=owner, json={"token": token}).json()
    assert (seen["booking_id"], seen["resource"], seen["already"]) == (booking_id, "Открытое пространство", False)
    # Too early through the API (the stay is two days ahead): refused, nothing marked.
    r = client.post(f"{API}/checkin", headers=owner, json={"token": token})
    assert r.status_code == 409 and "за час до начала" in r.text

    owner_id = space.owner_id
    at = start - timedelta(minutes=20)
    first = run_use_case(lambda s, fx: checkin.do_check_in_by_token(s, fx, s.get(User, owner_id), token, now=at))
    again = run_use_case(lambda s, fx: checkin.do_check_in_by_token(s, fx, s.get(User, owner_id), token,
                                                                    now=at + timedelta(minutes=5)))
    assert (first.already, first.method, first.checked_in_at) == (False, "qr", at)
    assert (again.already, again.checked_in_at) == (True, at)
    with transaction() as s:
        booking = s.get(Booking, booking_id)
        assert (booking.checked_in_at, booking.checkin_method, booking.checked_in_by) == (at, "qr", owner_id)
        events = list(s.scalars(select(BookingEvent.action).where(BookingEvent.booking_id == booking_id)))
    assert events.count("check_in") == 1
    # Checked in: the owner cannot mark a no-show any more.
    with transaction() as s:
        refusal = svc.refusal(s.get(User, owner_id), s.get(Booking, booking_id), "no_show",
                              now=start + timedelta(hours=1), host_id=owner_id)
    assert refusal and "отметился" in refusal


def test_the_receipt_carries_the_qr_code(client, stay):
    _space, booking_id, _renter_id, renter, _start = stay
    render_receipt(booking_id)
    r = client.get(f"{API}/bookings/{booking_id}/receipt.pdf", headers=renter)
    assert r.status_code == 200
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    assert "QR-код для входа" in text and "Покажите его на ресепшене" in text


def test_forged_expired_and_other_spaces_codes_are_refused(client, stay):
    space, booking_id, _renter_id, renter, start = stay
    owner = headers_for(space.owner_id)
    token = token_of(booking_id)
    version, number, expires, signature = token.split(".")
    forged = [f"{version}.{int(number) + 1}.{expires}.{signature}",  # another booking, same signature
              f"{version}.{number}.{int(expires) + 86400}.{signature}",  # stretched
              f"{version}.{number}.{expires}.{'A' * 22}", "привет", "", "c1." + "9" * 200]
    for bad in forged:
        r = client.post(f"{API}/checkin", headers=owner, json={"token": bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["detail"][0]["loc"][-1] == "token"
    with pytest.raises(InvalidInput) as expired:
        checkin.check_token(token, now=start + timedelta(hours=2, seconds=1))
    assert "просрочен" in expired.value.message
    other_space = make_bookable()
    r = client.post(f"{API}/checkin", headers=headers_for(other_space.owner_id), json={"token": token})
    assert r.status_code == 403 and "другого пространства" in r.text
    assert client.post(f"{API}/checkin", headers=renter, json={"token": token}).status_code == 403
    assert client.post(f"{API}/checkin", json={"token": token}).status_code == 401
    with transaction() as s:
        assert s.get(Booking, booking_id).checked_in_at is None


def test_the_guest_checks_in_near_the_space_and_not_from_afar(client, stay):
    _space, booking_id, renter_id, renter, start = stay
    at = start + timedelta(minutes=5)
    where_far, where_near = checkin.NearbyIn(**FAR), checkin.NearbyIn(**NEAR)
    with pytest.raises(Exception) as refused:
        run_use_case(lambda s, fx: checkin.do_check_in_nearby(s, fx, s.get(User, renter_id), booking_id, where_far,
                                                              now=at))
    assert refused.value.field == "lat" and "км от пространства" in refused.value.message
    done = run_use_case(lambda s, fx: checkin.do_check_in_nearby(s, fx, s.get(User, renter_id), booking_id,
                                                                 where_near, now=at))
    assert (done.method, done.checked_in_at, done.already) == ("geo", at, False)
    r = client.post(f"{API}/bookings/{booking_id}/check-in", headers=renter, json={"lat": 91, "lon": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "lat"
    _other, stranger = signed_in()
    assert client.post(f"{API}/bookings/{booking_id}/check-in", headers=stranger, json=NEAR).status_code == 404


def test_a_no_show_is_released_after_the_grace_period_and_the_waitlist_gets_the_seat(client):
    space = make_bookable(desk_capacity=1)
    with transaction() as s:
        s.execute(update(Space).where(Space.id == space.space_id).values(no_show_release=True,
                                                                          checkin_grace_minutes=30))
    start = local(in_days(3), 10)
    booked_at = start - timedelta(hours=5)
    renter_id, _renter = signed_in()
    late_id, _late = signed_in()
    booking_id = confirmed(space.desk_id, renter_id, start, start + timedelta(hours=3), now=booked_at)
    checked_id = confirmed(make_bookable(desk_capacity=1).desk_id, late_id, start, start + timedelta(hours=3),
                           now=booked_at)  # another space, release off: never touched
    waiting_id, _w = signed_in()
    line = waitlist.WaitlistRequest(resource_id=space.desk_id, start=start + timedelta(hours=1),
                                    end=start + timedelta(hours=3), seats=1)
    entry = run_use_case(lambda s, fx: waitlist.do_join_waitlist(s, fx, s.get(User, waiting_id), line, now=booked_at).id)

    assert run_use_case(lambda s, fx: checkin.do_release_no_shows(s, fx, now=start + timedelta(minutes=29))) == 0
    released_at = start + timedelta(minutes=31)
    assert run_use_case(lambda s, fx: checkin.do_release_no_shows(s, fx, now=released_at)) == 1
    with transaction() as s:
        booking = s.get(Booking, booking_id)
        assert (booking.status, booking.refunded_minor) == ("no_show", 0)  # the default fee keeps it all
        event = s.scalars(select(BookingEvent).where(BookingEvent.booking_id == booking_id,
                                                     BookingEvent.action == "no_show")).one()
        assert (event.actor_role, event.reason) == ("system", "гость не отметился вовремя: места освобождены")
        assert s.get(Booking, checked_id).status == "confirmed"
    run_use_case(lambda s, fx: waitlist.do_offer_freed_seats(s, fx, space.desk_id, now=released_at))
    with transaction() as s:
        offered = s.get(WaitlistEntry, entry)
        assert offered.status == "offered"
        assert s.get(Booking, offered.booking_id).user_id == waiting_id
