"""Regression tests for the booking review: money that must not be kept or lost, changes
that must be paid before they apply, owner edits that would overbook, hostile input."""

from __future__ import annotations

from sqlalchemy import select

from coworking_app.services.booking import bookings as svc
from coworking_app.services.payments.payments import do_payment_succeeded
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import Payment, Refund, SpaceClosure
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction


def _book(client, auth, payload) -> dict:
    r = client.post(f"{API}/bookings", headers=auth, json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def _view(client, auth, booking_id) -> dict:
    r = client.get(f"{API}/bookings/{booking_id}", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def _refunds(booking_id: int) -> list[int]:
    with transaction() as s:
        return list(s.scalars(select(Refund.amount_minor).where(Refund.booking_id == booking_id)))


def _succeed(payment_id: int) -> None:
    """What a (late) provider notice does: the same call as the Stripe webhook path."""
    run_use_case(lambda s, fx: do_payment_succeeded(s, fx, s.get(Payment, payment_id, with_for_update=True),
                                                    provider_payment_id=f"pi_{payment_id}"))


def test_a_dearer_change_applies_only_once_paid_and_never_without_seats(client, world):
    b = make_bookable(desk_capacity=2)
    _a, auth = signed_in()
    _o, other = signed_in()
    day = in_days(5)
    booking = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 11), 1))
    pay_test(client, auth, booking["id"])

    r = client.patch(f"{API}/bookings/{booking['id']}", headers=auth,
                     json={"end": local(day, 21).isoformat(), "seats": 2})
    assert r.status_code == 200, r.text
    view = r.json()["booking"]
    # Nothing changed yet: still 1 seat 10-11, and the other seat stays bookable.
    assert (view["seats"], view["end"], view["total"]) == (1, local(day, 11).isoformat(), 30000)
    assert view["balance_due"] == r.json()["difference"]["amount"] > 0
    _book(client, other, body(b.desk_id, local(day, 12), local(day, 13), 1))

    # Paying now cannot take a seat that is gone: the money goes straight back.
    payment = client.post(f"{API}/bookings/{booking['id']}/pay", headers=auth).json()
    client.post(f"{API}/payments/test/{payment['payment_id']}/complete", headers=auth,
                json={"outcome": "succeeded"})
    view = _view(client, auth, booking["id"])
    assert (view["seats"], view["end"], view["pending_change"], view["balance_due"]) == (
        1, local(day, 11).isoformat(), None, 0)
    assert _refunds(booking["id"]) == [payment["amount"]]
    assert view["paid"] - view["refunded"] == view["total"] == 30000


def test_a_change_paid_after_the_owner_closed_its_day_is_refunded(client, world):
    """The guest asks to move to another day, the owner closes that day, the guest pays: the
    change does not land on the closed day, the money goes back."""
    b = make_bookable()
    _a, auth = signed_in()
    day, other_day = in_days(5), in_days(6)
    booking = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 11), 1))
    pay_test(client, auth, booking["id"])
    r = client.patch(f"{API}/bookings/{booking['id']}", headers=auth,
                     json={"start": local(other_day, 10).isoformat(), "end": local(other_day, 13).isoformat()})
    assert r.status_code == 200 and r.json()["booking"]["balance_due"] > 0, r.text
    with transaction() as s:
        s.add(SpaceClosure(space_id=b.space_id, first_day=other_day, last_day=other_day, reason="Ремонт"))
    payment = client.post(f"{API}/bookings/{booking['id']}/pay", headers=auth).json()
    client.post(f"{API}/payments/test/{payment['payment_id']}/complete", headers=auth,
                json={"outcome": "succeeded"})
    view = _view(client, auth, booking["id"])
    assert (view["start"], view["end"], view["pending_change"], view["balance_due"]) == (
        local(day, 10).isoformat(), local(day, 11).isoformat(), None, 0)
    assert _refunds(booking["id"]) == [payment["amount"]]


def test_an_old_payment_for_a_changed_booking_is_refunded(client, world):
    b = make_bookable()
    _a, auth = signed_in()
    day = in_days(5)
    booking = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 11), 1))
    first = client.post(f"{API}/bookings/{booking['id']}/pay", headers=auth).json()
    r = client.patch(f"{API}/bookings/{booking['id']}", headers=auth, json={"end": local(day, 15).isoformat()})
    assert r.status_code == 200, r.text
    # The out-of-date checkout is paid anyway (a provider notice arriving late).
    _succeed(first["payment_id"])
    view = _view(client, auth, booking["id"])
    assert view["status"] == "pending_payment" and view["total"] == 150000  # 5 h x 300
    assert _refunds(booking["id"]) == [first["amount"]]
    # The right amount still pays it.
    pay_test(client, auth, booking["id"])
    assert _view(client, auth, booking["id"])["status"] == "confirmed"


def test_a_change_paid_after_cancelling_is_refunded(client, world):
    b = make_bookable()
    _a, auth = signed_in()
    day = in_days(5)
    booking = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 11), 1))
    pay_test(client, auth, booking["id"])
    client.patch(f"{API}/bookings/{booking['id']}", headers=auth, json={"end": local(day, 12).isoformat()})
    change = client.post(f"{API}/bookings/{booking['id']}/pay", headers=auth).json()
    r = client.post(f"{API}/bookings/{booking['id']}/cancel", headers=auth)
    assert r.status_code == 200 and r.json()["refund"]["amount"] == 30000
    _succeed(change["payment_id"])
    view = _view(client, auth, booking["id"])
    assert view["status"] == "cancelled" and view["paid"] == view["refunded"] == 60000


def test_shrinking_follows_the_cancellation_policy(client, world):
    b = make_bookable(policy="strict")
    _a, auth = signed_in()
    day = in_days(1)  # under 48 h: strict refunds nothing
    booking = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 20), 1))
    pay_test(client, auth, booking["id"])
    r = client.patch(f"{API}/bookings/{booking['id']}", headers=auth, json={"end": local(day, 11).isoformat()})
    assert r.status_code == 200 and r.json()["difference"]["amount"] < 0
    assert r.json()["booking"]["refunded"] == 0 and _refunds(booking["id"]) == []


def test_a_changed_booking_on_an_approval_space_goes_back_to_the_owner(client, world):
    b = make_bookable(instant_book=False)
    _a, auth = signed_in()
    owner = headers_for(b.owner_id)
    day = in_days(5)
    booking = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 12), 1))
    pay_test(client, auth, booking["id"])
    assert client.post(f"{API}/bookings/{booking['id']}/accept", headers=owner).status_code == 200
    r = client.patch(f"{API}/bookings/{booking['id']}", headers=auth, json={"end": local(day, 11).isoformat()})
    assert r.status_code == 200 and r.json()["booking"]["status"] == "paid"
    assert "accept" in _view(client, owner, booking["id"])["actions"]


def test_unconfirmed_bookings_refund_in_full(client, world):
    b = make_bookable(instant_book=False, policy="strict")
    _a, auth = signed_in()
    day = in_days(1)
    cancelled = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 11), 1))
    pay_test(client, auth, cancelled["id"])
    r = client.post(f"{API}/bookings/{cancelled['id']}/cancel", headers=auth)
    assert r.json()["refund"]["amount"] == 30000  # never confirmed: the policy does not apply
    ignored = _book(client, auth, body(b.desk_id, local(day, 12), local(day, 13), 1))
    pay_test(client, auth, ignored["id"])
    # The owner never answered and the start has passed.
    assert run_use_case(lambda s, fx: svc.do_complete_past(s, fx, now=local(day, 12, 30))) >= 1
    view = _view(client, auth, ignored["id"])
    assert view["status"] == "cancelled" and view["refunded"] == 30000


def test_owner_edits_that_would_overbook_are_refused(client, world):
    b = make_bookable()
    _a, auth = signed_in()
    owner = headers_for(b.owner_id)
    day = in_days(5)
    _book(client, auth, body(b.desk_id, local(day, 10), local(day, 11), 8))
    r = client.patch(f"{API}/spaces/{b.space_id}/resources/{b.desk_id}", headers=owner, json={"capacity": 2})
    assert r.status_code == 409 and "capacity" in r.text
    r = client.patch(f"{API}/spaces/{b.space_id}/resources/{b.desk_id}", headers=owner,
                     json={"kind": "meeting_room"})
    assert r.status_code == 409 and "kind" in r.text
    assert client.patch(f"{API}/spaces/{b.space_id}/resources/{b.desk_id}", headers=owner,
                        json={"capacity": 8}).status_code == 200
    r = client.delete(f"{API}/spaces/{b.space_id}/resources/{b.desk_id}", headers=owner)
    assert r.status_code == 409


def test_admins_cannot_pay_or_change_for_renters_but_may_cancel(client, world):
    b = make_bookable()
    _a, auth = signed_in()
    admin_id, admin = signed_in("admin")
    day = in_days(5)
    booking = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 11), 1))
    assert client.post(f"{API}/bookings/{booking['id']}/pay", headers=admin).status_code == 404
    assert client.patch(f"{API}/bookings/{booking['id']}", headers=admin,
                        json={"end": local(day, 12).isoformat()}).status_code == 404
    # Cancelling for the network needs a reason: the renter is told why.
    refused = client.post(f"{API}/bookings/{booking['id']}/cancel", headers=admin)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "reason"
    assert client.post(f"{API}/bookings/{booking['id']}/cancel", headers=admin,
                       json={"reason": "Пространство закрыто на ремонт"}).status_code == 200


def test_hostile_input_gets_4xx(client, world):
    b = make_bookable()
    _a, auth = signed_in()
    owner = headers_for(b.owner_id)
    assert client.get(f"{API}/calendar/%C2%B2-x.ics").status_code == 404
    assert client.get(f"{API}/calendar/99999999999-x.ics").status_code == 404
    assert client.get(f"{API}/bookings", headers=auth, params={"date_to": "9999-12-31"}).status_code == 422
    for start, end in (("9999-12-31T22:00:00+00:00", "9999-12-31T23:30:00+00:00"),
                       ("0001-01-01T00:00:00+05:00", "0001-01-01T02:00:00+05:00")):
        r = client.post(f"{API}/bookings/quote", headers=auth,
                        json={"resource_id": b.desk_id, "start": start, "end": end, "seats": 1})
        assert r.status_code == 422, r.text
    r = client.post(f"{API}/spaces/{b.space_id}/promo-codes", headers=owner,
                    json={"code": "HUGE1", "kind": "fixed", "value": 100, "min_amount_minor": 10**11})
    assert r.status_code == 422
    r = client.post(f"{API}/spaces/{b.space_id}/promo-codes", headers=owner,
                    json={"code": "NAIVE1", "kind": "fixed", "value": 100,
                          "valid_from": "2027-01-01T00:00:00", "valid_until": "2027-02-01T00:00:00+03:00"})
    assert r.status_code == 422 and "valid_from" in r.text


def test_addons_of_unpublished_spaces_are_not_public(client, world):
    b = make_bookable()
    with transaction() as s:
        from models import Space
        s.get(Space, b.space_id).status = "hidden"
    assert client.get(f"{API}/spaces/{b.space_id}/addons").status_code == 404


def test_production_without_stripe_refuses_the_test_provider(client, world, monkeypatch):
    b = make_bookable()
    _a, auth = signed_in()
    day = in_days(5)
    booking = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 11), 1))
    monkeypatch.setenv("APP_ENV", "production")  # the test SECRET_KEY is long enough for it
    monkeypatch.setenv("METRICS_TOKEN", "metrics-token-for-the-test")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "")
    get_settings.cache_clear()
    try:
        r = client.post(f"{API}/bookings/{booking['id']}/pay", headers=auth)
        assert r.status_code == 502 and "STRIPE_SECRET_KEY" in r.json()["detail"], r.text
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

