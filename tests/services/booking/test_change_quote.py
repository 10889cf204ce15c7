"""The preview of a change (the modify dialog, POST /bookings/{id}/change-quote) says what
the change itself then does: the new price, the difference, what is paid or refunded under
the cancellation policy. Both come from one computation (bookings._price_change)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coworking_app.services.booking import bookings as svc
from coworking_app.services.common.errors import Conflict, InvalidInput
from coworking_app.uow import run_use_case
from models import Booking, User
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, make_promo, pay_test
from tests.uow_helpers import transaction


def _create(client, auth, payload: dict) -> dict:
    r = client.post(f"{API}/bookings", headers=auth, json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def _preview(client, auth, booking_id: int, change: dict):
    return client.post(f"{API}/bookings/{booking_id}/change-quote", headers=auth, json=change)


def _booking(booking_id: int) -> Booking:
    with transaction() as s:
        return s.get(Booking, booking_id)


def _same_as_the_write(client, auth, booking_id: int, change: dict) -> dict:
    """The preview, then the change: the difference and the money are the preview's."""
    before = _booking(booking_id)
    r = _preview(client, auth, booking_id, change)
    assert r.status_code == 200, r.text
    preview = r.json()
    after_preview = _booking(booking_id)
    for key in ("start_at", "end_at", "seats", "total_minor", "refunded_minor", "balance_due_minor", "status"):
        assert getattr(after_preview, key) == getattr(before, key), key  # the preview wrote nothing
    r = client.patch(f"{API}/bookings/{booking_id}", headers=auth, json=change)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["difference"]["amount"] == preview["difference"]
    after = _booking(booking_id)
    assert after.refunded_minor - before.refunded_minor == preview["refund"]
    assert after.balance_due_minor == preview["to_pay"]
    if preview["applies_now"]:
        assert after.total_minor == preview["price"]["total"]
    else:
        assert after.pending_change["total"] == preview["price"]["total"]
    return preview


def test_a_dearer_change_of_a_paid_booking_shows_what_to_pay(client):
    b = make_bookable()
    _uid, auth = signed_in()
    day = in_days(5)
    booking = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 12), seats=2,
                                         addons=[{"code": "coffee", "quantity": 1}]))
    pay_test(client, auth, booking["id"])
    preview = _same_as_the_write(client, auth, booking["id"],
                                 {"end": local(day, 13).isoformat(), "seats": 3})
    # 3 h x 300 x 3 seats + coffee 200 x 3 seats, against 2 h x 300 x 2 + 200 x 2
    assert preview["price"]["total"] == 270000 + 60000
    assert preview["old_total"] == 120000 + 40000
    assert preview["difference"] == preview["to_pay"] == 170000
    assert (preview["refund"], preview["applies_now"], preview["seats"]) == (0, False, 3)
    labels = [line["label"] for line in preview["price"]["breakdown"]["lines"]]
    assert labels == ["Открытое пространство: 3 ч × 300 × 3 места", "Кофе-пакет: 200 × 3 места"]
    assert preview["end"] == local(day, 13).isoformat()


def test_a_cheaper_change_shows_the_refund_at_the_policys_rate(client):
    b = make_bookable(policy="strict")  # 50 % up to 48 h before
    _uid, auth = signed_in()
    day = in_days(5)
    booking = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 14)))
    pay_test(client, auth, booking["id"])  # instant book: confirmed
    preview = _same_as_the_write(client, auth, booking["id"], {"end": local(day, 12).isoformat()})
    assert (preview["difference"], preview["refund_percent"], preview["refund"]) == (-60000, 50, 30000)
    assert preview["to_pay"] == 0 and preview["applies_now"] is True


def test_an_unpaid_booking_just_changes(client):
    b = make_bookable(instant_book=False)
    _uid, auth = signed_in()
    day = in_days(5)
    booking = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 12)))
    preview = _same_as_the_write(client, auth, booking["id"], {"end": local(day, 15).isoformat()})
    assert (preview["difference"], preview["to_pay"], preview["refund"]) == (90000, 0, 0)
    assert preview["applies_now"] is True and preview["needs_approval"] is False


def test_a_confirmed_booking_of_an_approval_space_goes_back_to_the_owner(client):
    b = make_bookable(instant_book=False)
    _uid, auth = signed_in()
    day = in_days(5)
    booking = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 12)))
    pay_test(client, auth, booking["id"])
    with transaction() as s:
        owner = s.get(User, b.owner_id)
    run_use_case(lambda s, fx: svc.do_accept_booking(s, fx, owner, booking["id"]))
    r = _preview(client, auth, booking["id"], {"start": local(day, 11).isoformat(),
                                               "end": local(day, 13).isoformat()})
    assert r.status_code == 200 and r.json()["needs_approval"] is True and r.json()["difference"] == 0


def test_a_promo_code_stays_on_the_new_price(client):
    b = make_bookable()
    _uid, auth = signed_in()
    code = f"CHG{b.space_id}"
    make_promo(code, value=10)
    day = in_days(5)
    booking = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 12), promo_code=code))
    pay_test(client, auth, booking["id"])
    preview = _same_as_the_write(client, auth, booking["id"], {"end": local(day, 14).isoformat()})
    assert preview["price"]["discount"] == 12000 and preview["difference"] == 54000


def test_the_preview_refuses_what_the_change_would_refuse(client):
    b = make_bookable()
    uid, auth = signed_in()
    _other, other_auth = signed_in()
    day = in_days(5)
    mine = _create(client, auth, body(b.room_id, local(day, 10), local(day, 11)))
    theirs = _create(client, other_auth, body(b.room_id, local(day, 12), local(day, 13)))
    cases = [
        ({}, 422, "start"),
        ({"end": local(day, 23).isoformat()}, 422, "end"),  # after closing
        ({"start": local(in_days(-1), 10).isoformat(), "end": local(in_days(-1), 11).isoformat()}, 422, "start"),
        ({"start": local(day, 12).isoformat(), "end": local(day, 13).isoformat()}, 409, "seats"),  # taken
        ({"seats": "2"}, 422, "seats"),
    ]
    for change, status, field in cases:
        r = _preview(client, auth, mine["id"], change)
        assert r.status_code == status and r.json()["detail"][0]["loc"][-1] == field, (change, r.text)
    assert _preview(client, other_auth, mine["id"], {"seats": 1}).status_code == 404  # not theirs
    assert _preview(client, {}, mine["id"], {"seats": 1}).status_code == 401
    assert _preview(client, auth, theirs["id"], {"seats": 1}).status_code == 404
    # The service itself: a shortage is reported beside the price, not raised.
    with transaction() as s:
        user = s.get(User, uid)
        q = svc.quote_change(s, user, mine["id"], svc.BookingChange(
            start=local(day, 12), end=local(day, 13)))
        assert isinstance(q.shortage(), Conflict) and q.price.total == 150000
        with pytest.raises(InvalidInput):
            svc.quote_change(s, user, mine["id"], svc.BookingChange())


def test_a_lapsed_hold_cannot_be_changed(client):
    b = make_bookable()
    _uid, auth = signed_in()
    day = in_days(5)
    hold = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 12)))
    with transaction() as s:
        row = s.get(Booking, hold["id"])
        row.expires_at = row.created_at - timedelta(seconds=1)
    r = _preview(client, auth, hold["id"], {"end": local(day, 13).isoformat()})
    assert r.status_code == 409 and "истекло" in r.json()["detail"][0]["msg"]
