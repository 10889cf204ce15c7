"""Stripe payments end to end: the real `stripe` library against a local fake Stripe
(tests/fake_stripe.py), and signed webhooks into POST /api/v1/payments/stripe/webhook.

Everything is checked through the API, as a client (or Stripe) sees it; the database is
touched only to make time pass (a lapsed hold) and to prove nothing was left behind.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta

import pytest
import stripe
from sqlalchemy import select

from coworking_app.services.booking.availability import utcnow
from coworking_app.services.booking.bookings import do_expire_holds
from coworking_app.settings import get_settings
from coworking_app.services.catalog.cache import drop_space_pages
from coworking_app.uow import UnitOfWork, run_use_case
from models import Booking, Payment, Refund, Space, SpaceStatus
from tests.booking_helpers import API, body, in_days, local, make_bookable, new_user, tomorrow
from tests.fake_stripe import FakeStripe
from tests.uow_helpers import transaction

WEBHOOK_SECRET = "whsec_test_" + "5" * 32
WEBHOOK = f"{API}/payments/stripe/webhook"
SESSIONS = "/v1/checkout/sessions"
REFUNDS = "/v1/refunds"


# --- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture()
def fake(monkeypatch):
    """A fresh fake Stripe, and the app configured to use it (settings are lru_cached)."""
    server = FakeStripe().start()
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setenv("STRIPE_API_BASE", server.base_url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("STRIPE_WEBHOOK_TOLERANCE_SECONDS", "300")
    get_settings.cache_clear()
    # The library's retries stay real (counted below), only its back-off sleeps are skipped.
    monkeypatch.setattr(stripe._http_client.HTTPClient, "_sleep_time_seconds",
                        lambda self, num_retries: 0.0)
    try:
        yield server
    finally:
        server.stop()
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def space(world):
    """Flexible policy, instant book; desk seats enough that tests never compete.
    Hidden again afterwards, so that later test files see only the fixture world."""
    bookable = make_bookable(policy="flexible", instant_book=True, desk_capacity=100)
    yield bookable
    with UnitOfWork() as uow:
        row = uow.session.get(Space, bookable.space_id)
        row.status, row.deleted_at = SpaceStatus.hidden.value, utcnow()
        drop_space_pages(uow.effects, bookable.space_id)


@pytest.fixture(scope="module")
def renter(client):
    _uid, email, password = new_user()
    r = client.post(f"{API}/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def book(client, auth, resource_id: int, *, day=None, start: int = 10, end: int = 12,
         seats: int | None = 1) -> dict:
    day = day or tomorrow()
    r = client.post(f"{API}/bookings", headers=auth,
                    json=body(resource_id, local(day, start), local(day, end), seats=seats))
    assert r.status_code == 201, r.text
    return r.json()


def get_booking(client, auth, booking_id: int) -> dict:
    r = client.get(f"{API}/bookings/{booking_id}", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def pay(client, auth, booking_id: int) -> dict:
    r = client.post(f"{API}/bookings/{booking_id}/pay", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's documented scheme: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(kind: str, session: dict, *, event_id: str | None = None) -> bytes:
    return json.dumps({
        "id": event_id or f"evt_{secrets.token_hex(12)}", "object": "event", "type": kind,
        "api_version": "2025-01-27.acacia", "created": int(time.time()), "livemode": False,
        "data": {"object": session},
    }).encode()


def completed(fake: FakeStripe, session_id: str, *, pi: str | None = None, **changes) -> dict:
    """The checkout session as Stripe reports it once the customer has paid."""
    obj = fake.session(session_id)
    obj.update({"status": "complete", "payment_status": "paid",
                "payment_intent": pi or f"pi_{secrets.token_hex(12)}", **changes})
    return obj


def expired(fake: FakeStripe, session_id: str) -> dict:
    obj = fake.session(session_id)
    obj.update(status="expired", payment_status="unpaid")
    return obj


def deliver(client, payload: bytes, signature: str | None = "sign"):
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = sign(payload)
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post(WEBHOOK, content=payload, headers=headers)


def session_id_of(fake: FakeStripe, booking_id: int) -> str:
    """The id of the checkout session the app created for this booking."""
    ids = {c.response["id"] for c in fake.calls(SESSIONS)
           if c.status == 200 and c.params.get("client_reference_id") == str(booking_id)}
    assert len(ids) == 1, ids
    return ids.pop()


def paid_booking(client, fake, auth, resource_id: int, **kw) -> tuple[dict, dict, str]:
    """A booking paid through Stripe: (booking view, payment, payment_intent)."""
    created = book(client, auth, resource_id, **kw)
    payment = pay(client, auth, created["id"])
    pi = f"pi_{secrets.token_hex(12)}"
    r = deliver(client, event("checkout.session.completed",
                              completed(fake, session_id_of(fake, created["id"]), pi=pi)))
    assert r.status_code == 200, r.text
    assert r.json() == {"received": True, "result": "paid"}
    view = get_booking(client, auth, created["id"])
    assert view["status"] == "confirmed"
    return view, payment, pi


def payment_rows(booking_id: int) -> list[Payment]:
    with transaction() as s:
        return list(s.scalars(select(Payment).where(Payment.booking_id == booking_id)))


def refund_rows(booking_id: int) -> list[Refund]:
    with transaction() as s:
        return list(s.scalars(select(Refund).where(Refund.booking_id == booking_id)))


def lapse_hold(booking_id: int) -> None:
    """Time passes: the unpaid hold is now past its expiry."""
    with transaction() as s:
        s.get(Booking, booking_id).expires_at = utcnow() - timedelta(minutes=1)


# --- the fake itself ----------------------------------------------------------------------


def test_fake_stripe_speaks_stripe_to_the_real_library(fake):
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": fake.base_url})
    params = {"mode": "payment", "client_reference_id": "7", "metadata": {"booking_id": "7"},
              "line_items": [{"quantity": 2, "price_data": {
                  "currency": "rub", "unit_amount": 1500, "product_data": {"name": "Desk"}}}],
              "success_url": "http://x/ok", "cancel_url": "http://x/no"}
    first = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "k1"})
    again = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "k1"})
    assert first.id == again.id and first.id.startswith("cs_test_")
    assert (first.amount_total, first.currency, first.payment_status) == (3000, "rub", "unpaid")
    assert first.metadata["booking_id"] == "7" and first.payment_intent is None
    assert [c.replayed for c in fake.calls(SESSIONS)] == [False, True]
    with pytest.raises(stripe.IdempotencyError):  # same key, other parameters
        client.v1.checkout.sessions.create(params={**params, "client_reference_id": "8"},
                                           options={"idempotency_key": "k1"})
    refund = client.v1.refunds.create(params={"payment_intent": "pi_1", "amount": 500},
                                      options={"idempotency_key": "r1"})
    assert (refund.object, refund.amount, refund.status) == ("refund", 500, "succeeded")
    fake.fail(REFUNDS, 402)
    with pytest.raises(stripe.CardError):
        client.v1.refunds.create(params={"payment_intent": "pi_1", "amount": 1})
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("rk_bad", base_addresses={"api": fake.base_url}).v1.refunds.create(
            params={"payment_intent": "pi_1", "amount": 1})


# --- starting a payment -------------------------------------------------------------------


def test_pay_creates_one_checkout_session(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    total = created["price"]["total"]
    assert total > 0 and created["status"] == "pending_payment"

    payment = pay(client, renter, created["id"])
    assert payment["provider"] == "stripe"
    assert payment["status"] == "pending"
    assert payment["amount"] == total
    assert payment["currency"] == "RUB"
    assert payment["payment_url"].startswith("https://checkout.stripe.test/")

    [call] = fake.calls(SESSIONS)
    assert call.authorization == "Bearer sk_test_x"
    assert call.idempotency_key.startswith(f"booking-{created['id']}-booking-1-")
    assert call.params["mode"] == "payment"
    import time as _time
    # The session closes soon after the hold (Stripe's minimum is 30 minutes).
    assert 30 * 60 < int(call.params["expires_at"]) - _time.time() < 40 * 60
    assert call.params["client_reference_id"] == str(created["id"])
    assert call.params["metadata"] == {"booking_id": str(created["id"]),
                                       "payment_id": str(payment["payment_id"])}
    [item] = call.params["line_items"]
    assert item["quantity"] == "1"
    assert item["price_data"]["currency"] == "rub"
    assert item["price_data"]["unit_amount"] == str(total)
    assert call.response["amount_total"] == total
    assert call.response["url"] == payment["payment_url"]

    again = pay(client, renter, created["id"])
    assert again == payment
    assert len(fake.calls(SESSIONS)) == 1  # no second session


# --- webhooks -----------------------------------------------------------------------------


def test_completed_webhook_confirms_instant_booking(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    total = created["price"]["total"]
    pay(client, renter, created["id"])
    sid = session_id_of(fake, created["id"])

    r = deliver(client, event("checkout.session.completed", completed(fake, sid, pi="pi_123abc")))
    assert r.status_code == 200, r.text
    assert r.json() == {"received": True, "result": "paid"}

    view = get_booking(client, renter, created["id"])
    assert view["status"] == "confirmed"
    assert view["paid"] == total
    assert view["refunded"] == 0
    assert view["expires_at"] is None
    assert "pay" not in view["actions"] and "receipt" in view["actions"]
    [row] = payment_rows(created["id"])
    assert (row.status, row.provider_payment_id) == ("succeeded", "pi_123abc")
    # paying again is refused: nothing is owed any more
    r = client.post(f"{API}/bookings/{created['id']}/pay", headers=renter)
    assert r.status_code == 409, r.text


BAD_SIGNATURES = {
    "wrong secret": lambda p: sign(p, secret="whsec_someone_else"),
    "stale timestamp": lambda p: sign(p, timestamp=int(time.time()) - 301),
    "missing header": lambda p: None,
    "garbage header": lambda p: "not-a-signature",
    "no v1 scheme": lambda p: sign(p).replace("v1=", "v0="),
    "body changed after signing": lambda p: sign(p.replace(b'"paid"', b'"unpaid"')),
}


@pytest.mark.parametrize("case", list(BAD_SIGNATURES))
def test_webhook_refuses_bad_signatures(client, fake, space, renter, case):
    created = book(client, renter, space.desk_id)
    pay(client, renter, created["id"])
    payload = event("checkout.session.completed",
                    completed(fake, session_id_of(fake, created["id"])))

    r = deliver(client, payload, BAD_SIGNATURES[case](payload))
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["detail"]

    view = get_booking(client, renter, created["id"])
    assert (view["status"], view["paid"]) == ("pending_payment", 0)
    # the refused delivery was not remembered: the genuine one still counts
    r = deliver(client, payload)
    assert r.status_code == 200 and r.json()["result"] == "paid", r.text
    assert get_booking(client, renter, created["id"])["status"] == "confirmed"


def test_webhook_without_configured_secret_is_refused(client, fake, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "")
    get_settings.cache_clear()
    payload = event("checkout.session.completed",
                    {"id": "cs_test_x", "object": "checkout.session"})
    r = deliver(client, payload, sign(payload, secret=""))
    assert r.status_code == 400, r.text
    assert "не настроены" in r.json()["detail"]


def test_same_event_twice_counts_once(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    total = created["price"]["total"]
    pay(client, renter, created["id"])
    payload = event("checkout.session.completed",
                    completed(fake, session_id_of(fake, created["id"])))

    first, second = deliver(client, payload), deliver(client, payload)
    assert (first.status_code, first.json()["result"]) == (200, "paid")
    assert (second.status_code, second.json()["result"]) == (200, "duplicate")
    # another event id about the same paid session (e.g. async_payment_succeeded) is harmless too
    obj = json.loads(payload)["data"]["object"]
    third = deliver(client, event("checkout.session.async_payment_succeeded", obj))
    assert third.status_code == 200, third.text

    view = get_booking(client, renter, created["id"])
    assert view["status"] == "confirmed"
    assert view["paid"] == total  # not doubled
    assert view["refunded"] == 0
    assert fake.calls(REFUNDS) == []


def test_expired_after_completed_keeps_booking(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    pay(client, renter, created["id"])
    sid = session_id_of(fake, created["id"])

    r = deliver(client, event("checkout.session.completed", completed(fake, sid)))
    assert r.status_code == 200, r.text
    r = deliver(client, event("checkout.session.expired", expired(fake, sid)))
    assert r.status_code == 200, r.text

    view = get_booking(client, renter, created["id"])
    assert (view["status"], view["paid"]) == ("confirmed", created["price"]["total"])
    [row] = payment_rows(created["id"])
    assert row.status == "succeeded"


def test_completed_after_expired_still_confirms(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    pay(client, renter, created["id"])
    sid = session_id_of(fake, created["id"])

    r = deliver(client, event("checkout.session.expired", expired(fake, sid)))
    assert (r.status_code, r.json()["result"]) == (200, "failed")
    assert get_booking(client, renter, created["id"])["status"] == "pending_payment"

    r = deliver(client, event("checkout.session.completed", completed(fake, sid)))
    assert (r.status_code, r.json()["result"]) == (200, "paid")
    view = get_booking(client, renter, created["id"])
    assert (view["status"], view["paid"]) == ("confirmed", created["price"]["total"])
    assert fake.calls(REFUNDS) == []


def test_events_that_change_nothing(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    pay(client, renter, created["id"])
    sid = session_id_of(fake, created["id"])

    cases = [
        (event("customer.created", {"id": "cus_1", "object": "customer"}), "ignored"),
        (event("checkout.session.completed", completed(fake, sid, id="cs_test_unknown")),
         "unknown_session"),
        (event("checkout.session.completed", completed(fake, sid, payment_status="unpaid")),
         "awaiting_payment"),
        (event("checkout.session.completed", completed(fake, sid, amount_total=1)),
         "amount_mismatch"),
    ]
    for payload, result in cases:
        r = deliver(client, payload)
        assert (r.status_code, r.json()) == (200, {"received": True, "result": result})
    view = get_booking(client, renter, created["id"])
    assert (view["status"], view["paid"]) == ("pending_payment", 0)


# --- late payments ------------------------------------------------------------------------


def test_payment_after_hold_expired_is_refunded(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    total = created["price"]["total"]
    payment = pay(client, renter, created["id"])
    sid = session_id_of(fake, created["id"])
    lapse_hold(created["id"])
    assert run_use_case(lambda s, fx: do_expire_holds(s, fx, booking_id=created["id"])) == 1
    assert get_booking(client, renter, created["id"])["status"] == "expired"

    r = deliver(client, event("checkout.session.completed", completed(fake, sid, pi="pi_late1")))
    assert r.status_code == 200, r.text

    [call] = fake.calls(REFUNDS)
    assert call.params["payment_intent"] == "pi_late1"
    assert call.params["amount"] == str(total)
    assert call.idempotency_key == f"refund-{payment['payment_id']}-0-{total}"
    view = get_booking(client, renter, created["id"])
    assert (view["status"], view["paid"], view["refunded"]) == ("expired", total, total)
    [refund] = refund_rows(created["id"])
    assert refund.amount_minor == total
    assert refund.provider_refund_id == call.response["id"]
    assert refund.provider_refund_id.startswith("re_")


def test_late_payment_when_seats_were_taken_is_refunded(client, fake, space, renter, login):
    day = in_days(5)
    created = book(client, renter, space.room_id, day=day, start=14, end=15, seats=None)
    pay(client, renter, created["id"])
    sid = session_id_of(fake, created["id"])
    lapse_hold(created["id"])
    _uid, email, password = new_user()
    other = book(client, login(email, password), space.room_id, day=day, start=14, end=15,
                 seats=None)  # the whole room, the lapsed hold no longer counts

    r = deliver(client, event("checkout.session.completed", completed(fake, sid)))
    assert r.status_code == 200, r.text
    view = get_booking(client, renter, created["id"])
    assert view["status"] == "expired"
    assert view["refunded"] == view["paid"] == created["price"]["total"]
    assert len(fake.calls(REFUNDS)) == 1
    assert get_booking(client, login(email, password), other["id"])["status"] == "pending_payment"


def test_late_payment_with_seats_still_free_keeps_booking(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    pay(client, renter, created["id"])
    sid = session_id_of(fake, created["id"])
    lapse_hold(created["id"])  # lapsed, but the sweep has not run and nobody took the seats

    r = deliver(client, event("checkout.session.completed", completed(fake, sid)))
    assert (r.status_code, r.json()["result"]) == (200, "paid")
    view = get_booking(client, renter, created["id"])
    assert (view["status"], view["refunded"]) == ("confirmed", 0)
    assert fake.calls(REFUNDS) == []


def test_late_payment_refund_failure_is_retried_by_stripe(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    total = created["price"]["total"]
    pay(client, renter, created["id"])
    sid = session_id_of(fake, created["id"])
    lapse_hold(created["id"])
    run_use_case(lambda s, fx: do_expire_holds(s, fx, booking_id=created["id"]))
    payload = event("checkout.session.completed", completed(fake, sid))

    fake.fail(REFUNDS, 500)
    r = deliver(client, payload)
    assert r.status_code == 502, r.text  # not 2xx: Stripe delivers the event again later
    assert r.json()["detail"]
    view = get_booking(client, renter, created["id"])
    assert (view["paid"], view["refunded"]) == (0, 0)

    fake.heal()
    r = deliver(client, payload)  # Stripe's redelivery
    assert (r.status_code, r.json()["result"]) == (200, "paid")
    view = get_booking(client, renter, created["id"])
    assert (view["status"], view["paid"], view["refunded"]) == ("expired", total, total)
    assert len(refund_rows(created["id"])) == 1


# --- cancellation -------------------------------------------------------------------------


def test_cancel_paid_booking_refunds_through_stripe(client, fake, space, renter):
    view, payment, pi = paid_booking(client, fake, renter, space.desk_id, day=in_days(3))
    total = view["total"]
    assert view["refund_if_cancelled_now"] == total  # flexible, 3 days ahead: 100 %

    r = client.post(f"{API}/bookings/{view['id']}/cancel", headers=renter, json={"reason": "планы"})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "cancelled", "refund": {"amount": total, "currency": "RUB"}}

    [call] = fake.calls(REFUNDS)
    assert call.authorization == "Bearer sk_test_x"
    assert call.params["payment_intent"] == pi
    assert call.params["amount"] == str(total)
    assert call.params["metadata"] == {"booking_id": str(view["id"]), "payment_id": str(payment["payment_id"])}
    assert call.idempotency_key == f"refund-{payment['payment_id']}-0-{total}"
    after = get_booking(client, renter, view["id"])
    assert (after["status"], after["paid"], after["refunded"]) == ("cancelled", total, total)
    [refund] = refund_rows(view["id"])
    assert refund.provider_refund_id == call.response["id"]


def test_cancel_when_stripe_refund_fails_changes_nothing(client, fake, space, renter):
    view, _payment, _pi = paid_booking(client, fake, renter, space.desk_id, day=in_days(4))
    fake.fail(REFUNDS, 400, body={"error": {"type": "invalid_request_error",
                                            "code": "charge_disputed",
                                            "message": "Charge has been disputed."}})

    r = client.post(f"{API}/bookings/{view['id']}/cancel", headers=renter)
    assert r.status_code == 502, r.text
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    after = get_booking(client, renter, view["id"])
    assert (after["status"], after["refunded"]) == ("confirmed", 0)
    assert refund_rows(view["id"]) == []

    fake.heal()
    r = client.post(f"{API}/bookings/{view['id']}/cancel", headers=renter)
    assert r.status_code == 200, r.text
    assert r.json()["refund"]["amount"] == view["total"]


# --- provider down ------------------------------------------------------------------------


def test_pay_when_stripe_is_down(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    fake.fail(SESSIONS, 500)

    r = client.post(f"{API}/bookings/{created['id']}/pay", headers=renter)
    assert r.status_code == 502, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    calls = fake.calls(SESSIONS)
    assert len(calls) == 3  # the library retried twice, with the same idempotency key
    [failed_key] = {c.idempotency_key for c in calls}
    assert failed_key.startswith(f"booking-{created['id']}-booking-1-")
    assert payment_rows(created["id"]) == []  # nothing pending left behind
    view = get_booking(client, renter, created["id"])
    assert (view["status"], view["paid"]) == ("pending_payment", 0)
    assert "pay" in view["actions"]

    fake.heal()
    payment = pay(client, renter, created["id"])
    assert payment["status"] == "pending" and payment["amount"] == created["price"]["total"]
    assert len([c for c in fake.calls(SESSIONS) if c.status == 200]) == 1
    # The next try uses a fresh key: Stripe replays a stored 5xx for a key that failed.
    assert fake.calls(SESSIONS)[-1].idempotency_key != failed_key


def test_pay_when_stripe_refuses(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    fake.fail(SESSIONS, 402)  # a card_error: not retried by the library

    r = client.post(f"{API}/bookings/{created['id']}/pay", headers=renter)
    assert r.status_code == 502, r.text
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    assert len(fake.calls(SESSIONS)) == 1
    assert payment_rows(created["id"]) == []
    assert get_booking(client, renter, created["id"])["status"] == "pending_payment"
