"""The checkout page's service: what is paid for line by line, the hold's time left (its
length is BOOKING_HOLD_SECONDS, set short here), and the hold released when the page's
countdown reaches zero, by the server's clock."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from coworking_app.services.common.errors import NotFound
from coworking_app.services.payments import checkout
from coworking_app.services.payments.payments import do_start_payment
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import Notification, User
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, make_promo, pay_test
from tests.uow_helpers import transaction


@pytest.fixture()
def short_hold(monkeypatch):
    """Holds of 3 seconds (the setting every hold's expiry is made from)."""
    monkeypatch.setenv("BOOKING_HOLD_SECONDS", "3")
    get_settings.cache_clear()
    yield 3
    monkeypatch.undo()
    get_settings.cache_clear()


def _user(user_id: int) -> User:
    with transaction() as s:
        return s.get(User, user_id)


def _book(client, auth, payload: dict) -> tuple[int, int]:
    """(booking id, payment id) of a new hold and its payment."""
    r = client.post(f"{API}/bookings", headers=auth, json=payload)
    assert r.status_code == 201, r.text
    booking_id = r.json()["id"]
    r = client.post(f"{API}/bookings/{booking_id}/pay", headers=auth)
    assert r.status_code == 200, r.text
    return booking_id, r.json()["payment_id"]


def test_the_checkout_shows_every_line_and_the_hold(client):
    b = make_bookable(vat_rate_bp=2000, vat_included=False)
    uid, auth = signed_in()
    code = f"CO{b.space_id}"
    make_promo(code, value=10)
    day = in_days(3)
    _, payment_id = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 13), seats=2,
                                             addons=[{"code": "coffee", "quantity": 1},
                                                     {"code": "parking", "quantity": 1}],
                                             promo_code=code))
    view = run_use_case(lambda s, _fx: checkout.checkout_view(s, _user(uid), payment_id))
    assert [(line.label, line.amount) for line in view.price.lines] == [
        ("Открытое пространство: 3 ч × 300 × 2 места", 180000),
        ("Кофе-пакет: 200 × 2 места", 40000),
        ("Парковка: 100 × 3 ч", 30000),
        (f"Промокод {code}", -25000),
        ("НДС 20 %", 45000),
    ]
    assert view.price.total == view.amount == 270000
    hold = get_settings().booking_hold_seconds
    assert hold - 30 < view.seconds_left <= hold and view.payable and not view.lapsed
    assert view.expires_at.utcoffset().total_seconds() == 3 * 3600  # the space's time
    assert view.booking.space_name and view.booking.seats == 2 and not view.day_based


def test_a_short_hold_runs_out_and_the_page_releases_it(client, short_hold):
    b = make_bookable()
    uid, auth = signed_in()
    day = in_days(3)
    booking_id, payment_id = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 12)))
    user = _user(uid)
    view = run_use_case(lambda s, _fx: checkout.checkout_view(s, user, payment_id))
    assert 0 < view.seconds_left <= short_hold and view.payable
    # Too early (a fast client clock): nothing changes.
    early = run_use_case(lambda s, fx: checkout.do_release_lapsed_hold(s, fx, user, payment_id))
    assert early.booking.status == "pending_payment" and not early.lapsed
    time.sleep(short_hold + 0.5)
    view = run_use_case(lambda s, _fx: checkout.checkout_view(s, user, payment_id))
    assert view.lapsed and view.seconds_left == 0 and not view.payable
    done = run_use_case(lambda s, fx: checkout.do_release_lapsed_hold(s, fx, user, payment_id))
    assert done.booking.status == "expired" and done.lapsed and done.expires_at is None
    with transaction() as s:
        notices = s.scalars(select(Notification.type).where(
            Notification.booking_id == booking_id)).all()
    assert "booking_hold_expired" in notices
    # The seats are free again: the same choice books.
    r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 10), local(day, 12),
                                                                seats=10))
    assert r.status_code == 201, r.text


def test_the_checkout_of_a_change_shows_the_new_price_and_the_balance(client):
    b = make_bookable()
    uid, auth = signed_in()
    day = in_days(3)
    r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 10), local(day, 12)))
    booking_id = r.json()["id"]
    pay_test(client, auth, booking_id)
    r = client.patch(f"{API}/bookings/{booking_id}", headers=auth, json={"end": local(day, 14).isoformat()})
    assert r.status_code == 200, r.text
    user = _user(uid)
    payment = run_use_case(lambda s, _fx: do_start_payment(s, user, booking_id))
    view = run_use_case(lambda s, _fx: checkout.checkout_view(s, user, payment.id))
    assert view.purpose == "change" and view.amount == 60000
    assert view.price.total == 120000 and view.paid_before == 60000
    assert view.expires_at is None and not view.lapsed and view.payable


def test_someone_elses_checkout_is_not_found(client):
    b = make_bookable()
    _uid, auth = signed_in()
    other_id, _ = signed_in()
    day = in_days(3)
    _, payment_id = _book(client, auth, body(b.desk_id, local(day, 15), local(day, 16)))
    other = _user(other_id)
    with pytest.raises(NotFound):
        run_use_case(lambda s, _fx: checkout.checkout_view(s, other, payment_id))
    with pytest.raises(NotFound):
        run_use_case(lambda s, fx: checkout.do_release_lapsed_hold(s, fx, other, payment_id))
    with pytest.raises(NotFound):
        run_use_case(lambda s, _fx: checkout.checkout_view(s, other, 0))
