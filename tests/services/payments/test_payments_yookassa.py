"""YooKassa end to end: the real `yookassa` SDK against a local fake YooKassa
(tests/fake_yookassa.py), and notifications into POST /api/v1/payments/yookassa/notifications.

Checked through the API as a client (or YooKassa) sees it, and through what the fake
received; the database is touched only to make time pass and to prove nothing was left.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import yookassa as sdk
from fastapi.testclient import TestClient
from sqlalchemy import select
from yookassa.domain.exceptions import BadRequestError, UnauthorizedError

from coworking_app.services.booking.availability import utcnow
from coworking_app.services.booking.bookings import do_expire_holds
from coworking_app.services.payments import yookassa as yk
from coworking_app.services.payments.payments import ProviderError, get_provider
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import Booking, Payment, Refund, User, WebhookEvent
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test, tomorrow
from tests.fake_yookassa import SECRET_KEY, SHOP_ID, FakeYooKassa
from tests.uow_helpers import transaction

NOTIFY = f"{API}/payments/yookassa/notifications"
PAYMENTS = "/v3/payments"
REFUNDS = "/v3/refunds"


# --- fixtures and helpers -----------------------------------------------------------------


def configure(monkeypatch, server: FakeYooKassa, **env: str) -> None:
    values = {"PAYMENT_PROVIDER": "yookassa", "PAYMENT_PROVIDER_BY_CURRENCY": "",
              "YOOKASSA_SHOP_ID": SHOP_ID, "YOOKASSA_SECRET_KEY": SECRET_KEY,
              "YOOKASSA_API_BASE": server.api_url, "YOOKASSA_NOTIFY_IPS": "",
              "YOOKASSA_PAYMENT_MODE": "full_payment", "STRIPE_SECRET_KEY": "", **env}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(yk, "RETRY_BACKOFF", 0.0)  # the retries stay real, not their pauses
    get_settings.cache_clear()


@pytest.fixture()
def fake(monkeypatch):
    server = FakeYooKassa().start()
    configure(monkeypatch, server)
    try:
        yield server
    finally:
        server.stop()
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def space(world):
    """VAT 20 % included; moderate policy (50 % back 24-72 h ahead, all of it earlier)."""
    return make_bookable(policy="moderate", instant_book=True, vat_rate_bp=2000, desk_capacity=100)


@pytest.fixture()
def renter(world):
    user_id, auth = signed_in()
    with transaction() as s:
        email = s.get(User, user_id).email
    return {"id": user_id, "email": email, "auth": auth}


def book(client, renter, resource_id: int, *, day=None, start: int = 10, end: int = 12) -> dict:
    r = client.post(f"{API}/bookings", headers=renter["auth"],
                    json=body(resource_id, local(day or tomorrow(), start), local(day or tomorrow(), end)))
    assert r.status_code == 201, r.text
    return r.json()


def view(client, renter, booking_id: int) -> dict:
    r = client.get(f"{API}/bookings/{booking_id}", headers=renter["auth"])
    assert r.status_code == 200, r.text
    return r.json()


def pay(client, renter, booking_id: int) -> dict:
    r = client.post(f"{API}/bookings/{booking_id}/pay", headers=renter["auth"])
    assert r.status_code == 200, r.text
    return r.json()


def yk_id(payment: dict) -> str:
    with transaction() as s:
        return s.get(Payment, payment["payment_id"]).provider_payment_id


def notification(event: str, obj: dict) -> dict:
    return {"type": "notification", "event": event, "object": obj}


def notify(client, event: str, obj: dict | str):
    obj = obj if isinstance(obj, dict) else {"id": obj}
    return client.post(NOTIFY, json=notification(event, obj))


def paid_booking(client, fake, renter, resource_id: int, **kw) -> tuple[dict, dict]:
    created = book(client, renter, resource_id, **kw)
    payment = pay(client, renter, created["id"])
    paid = fake.pay(yk_id(payment))
    r = notify(client, "payment.succeeded", paid)
    assert (r.status_code, r.json()) == (200, {"received": True, "result": "paid"}), r.text
    return view(client, renter, created["id"]), payment


def rows(model, booking_id: int) -> list:
    with transaction() as s:
        return list(s.scalars(select(model).where(model.booking_id == booking_id)))


# --- the fake itself ----------------------------------------------------------------------


def test_fake_yookassa_speaks_yookassa_to_the_real_sdk(fake):
    yk.YooKassaProvider(SHOP_ID, SECRET_KEY, fake.api_url)
    params = {"amount": {"value": "15.00", "currency": "RUB"}, "capture": True,
              "confirmation": {"type": "redirect", "return_url": "http://x/ok"},
              "receipt": yk.receipt(email="a@example.com", text="Стол", minor=1500, currency="RUB",
                                    rate_bp=0, payment_mode="full_payment")}
    first = sdk.Payment.create(params, "k1")
    again = sdk.Payment.create(params, "k1")
    assert first.id == again.id and first.status == "pending"
    assert first.confirmation.confirmation_url.endswith(first.id)
    assert [c.replayed for c in fake.calls("POST", PAYMENTS)] == [False, True]
    with pytest.raises(BadRequestError):  # the same key with another body
        sdk.Payment.create({**params, "description": "другое"}, "k1")
    with pytest.raises(BadRequestError):  # a receipt that does not add up
        sdk.Payment.create({**params, "amount": {"value": "16.00", "currency": "RUB"}}, "k2")
    assert fake.calls("POST", PAYMENTS)[0].authorization.startswith("Basic ")
    sdk.Configuration.configure(SHOP_ID, "wrong-secret", api_url=fake.api_url)
    with pytest.raises(UnauthorizedError):
        sdk.Payment.find_one(first.id)


def test_vat_codes_follow_yookassas_table():
    assert [yk.vat_code(rate, "full_payment") for rate in (0, 500, 700, 1000, 2000, 2200)] == \
        [1, 7, 8, 3, 4, 11]
    assert [yk.vat_code(rate, "full_prepayment") for rate in (0, 500, 700, 1000, 2000, 2200)] == \
        [1, 9, 10, 5, 6, 12]
    with pytest.raises(ProviderError, match="НДС 18 %"):
        yk.vat_code(1800, "full_payment")
    assert yk.api_amount(150050, "rub") == {"value": "1500.50", "currency": "RUB"}
    assert yk.api_amount(7, "RUB") == {"value": "0.07", "currency": "RUB"}
    assert [yk.minor_units(v) for v in ("1500.50", "0.07", "12", "1.005", "x", None, "NaN")] == \
        [150050, 7, 1200, None, None, None, None]


# --- paying -------------------------------------------------------------------------------


def test_pay_creates_a_payment_with_its_receipt(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    total = created["price"]["total"]
    payment = pay(client, renter, created["id"])
    assert (payment["provider"], payment["status"], payment["amount"]) == ("yookassa", "pending", total)

    [call] = fake.calls("POST", PAYMENTS)
    with transaction() as s:
        row = s.get(Payment, payment["payment_id"])
        key, provider_id = row.idempotency_key, row.provider_payment_id
    assert call.idempotence_key == key and key.startswith(f"booking-{created['id']}-booking-1-")
    assert provider_id == call.response["id"]
    assert payment["payment_url"] == call.response["confirmation"]["confirmation_url"]
    sent = call.body
    assert sent["amount"] == {"value": f"{total // 100}.{total % 100:02d}", "currency": "RUB"}
    assert sent["capture"] is True
    assert sent["confirmation"] == {"type": "redirect",
                                    "return_url": f"{get_settings().base_url}/cabinet/bookings?paid={created['id']}"}
    assert sent["metadata"] == {"booking_id": str(created["id"]), "payment_id": str(payment["payment_id"]),
                                "cms_name": "yookassa_sdk_python"}  # the SDK adds its name
    assert sent["description"] == f"Коворкинг «Тест», бронь №{created['id']}"
    assert sent["receipt"]["customer"] == {"email": renter["email"]}
    [item] = sent["receipt"]["items"]
    assert item["amount"] == sent["amount"] and item["description"] == sent["description"]
    assert (item["vat_code"], item["payment_subject"], item["payment_mode"]) == (4, "service", "full_payment")
    assert float(item["quantity"]) == 1

    assert pay(client, renter, created["id"]) == payment  # the same pending payment
    assert len(fake.calls("POST", PAYMENTS)) == 1


def test_prepayment_mode_uses_the_calculated_rate(client, fake, monkeypatch, renter):
    configure(monkeypatch, fake, YOOKASSA_PAYMENT_MODE="full_prepayment")
    b = make_bookable(vat_rate_bp=2200, name="Коворкинг «Двадцать два»")
    created = book(client, renter, b.desk_id)
    pay(client, renter, created["id"])
    [item] = fake.calls("POST", PAYMENTS)[0].body["receipt"]["items"]
    assert (item["vat_code"], item["payment_mode"]) == (12, "full_prepayment")


def test_a_vat_rate_receipts_cannot_carry_is_refused(client, fake, renter):
    b = make_bookable(vat_rate_bp=1500)
    created = book(client, renter, b.desk_id)
    r = client.post(f"{API}/bookings/{created['id']}/pay", headers=renter["auth"])
    assert r.status_code == 502, r.text
    assert "НДС 15 %" in r.json()["detail"]
    assert fake.requests == [] and rows(Payment, created["id"]) == []


# --- notifications ------------------------------------------------------------------------


def test_succeeded_notification_confirms_once(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    payment = pay(client, renter, created["id"])
    paid = fake.pay(yk_id(payment))

    first, second = notify(client, "payment.succeeded", paid), notify(client, "payment.succeeded", paid)
    assert (first.status_code, first.json()["result"]) == (200, "paid")
    assert (second.status_code, second.json()["result"]) == (200, "duplicate")
    after = view(client, renter, created["id"])
    assert (after["status"], after["paid"], after["refunded"]) == ("confirmed", created["price"]["total"], 0)
    [row] = rows(Payment, created["id"])
    assert (row.status, row.provider_payment_id) == ("succeeded", paid["id"])
    with transaction() as s:
        assert s.get(WebhookEvent, f"payment.succeeded:{paid['id']}").provider == "yookassa"
    assert fake.calls("POST", REFUNDS) == []
    # every notification was checked against the API
    assert len(fake.calls("GET", f"{PAYMENTS}/{paid['id']}")) == 2


def test_a_forged_notification_for_a_pending_payment_changes_nothing(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    payment = pay(client, renter, created["id"])
    pending = fake.payment(yk_id(payment))
    forged = {**pending, "status": "succeeded", "paid": True}

    r = notify(client, "payment.succeeded", forged)
    assert (r.status_code, r.json()["result"]) == (200, "not_confirmed")
    after = view(client, renter, created["id"])
    assert (after["status"], after["paid"]) == ("pending_payment", 0)
    assert rows(Payment, created["id"])[0].status == "pending"
    # It was not remembered either: the genuine one still counts.
    paid = fake.pay(pending["id"])
    r = notify(client, "payment.succeeded", paid)
    assert (r.status_code, r.json()["result"]) == (200, "paid")


def test_what_the_api_says_wins_over_our_row(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    payment = pay(client, renter, created["id"])
    paid = fake.pay(yk_id(payment))
    fake.tamper(paid["id"], amount={"value": "1.00", "currency": "RUB"})

    r = notify(client, "payment.succeeded", paid)  # the body still says the right amount
    assert (r.status_code, r.json()["result"]) == (200, "amount_mismatch")
    assert view(client, renter, created["id"])["paid"] == 0

    other = book(client, renter, space.desk_id, start=14, end=16)
    payment = pay(client, renter, other["id"])
    paid = fake.pay(yk_id(payment))
    fake.tamper(paid["id"], metadata={**paid["metadata"], "payment_id": str(payment["payment_id"] + 1)})
    r = notify(client, "payment.succeeded", paid)
    assert (r.status_code, r.json()["result"]) == (200, "amount_mismatch")
    assert view(client, renter, other["id"])["paid"] == 0


def test_notifications_from_elsewhere_are_refused(client, fake, monkeypatch, space, renter):
    from coworking_app.api import create_api

    configure(monkeypatch, fake, YOOKASSA_NOTIFY_IPS="185.71.76.0/27, 77.75.156.11",
              TRUSTED_PROXIES="10.9.0.1")
    created = book(client, renter, space.desk_id)
    paid = fake.pay(yk_id(pay(client, renter, created["id"])))
    payload = notification("payment.succeeded", paid)

    with TestClient(create_api(), client=("203.0.113.9", 40000), raise_server_exceptions=False) as stranger:
        r = stranger.post(NOTIFY, json=payload)
        assert r.status_code == 403, r.text
        assert "ЮKassa" in r.json()["detail"]
    with TestClient(create_api(), client=("10.9.0.1", 40000), raise_server_exceptions=False) as proxy:
        for forwarded in ("203.0.113.9", "77.75.156.11, 203.0.113.9", ""):
            headers = {"X-Forwarded-For": forwarded} if forwarded else {}
            assert proxy.post(NOTIFY, json=payload, headers=headers).status_code == 403, forwarded
    assert fake.calls("GET", PAYMENTS) == []  # refused before asking the API
    assert view(client, renter, created["id"])["paid"] == 0

    with TestClient(create_api(), client=("10.9.0.1", 40000), raise_server_exceptions=False) as proxy:
        r = proxy.post(NOTIFY, json=payload, headers={"X-Forwarded-For": "203.0.113.9, 77.75.156.11"})
        assert (r.status_code, r.json()["result"]) == (200, "paid"), r.text
    with TestClient(create_api(), client=("185.71.76.20", 40000), raise_server_exceptions=False) as direct:
        r = direct.post(NOTIFY, json=payload)
        assert (r.status_code, r.json()["result"]) == (200, "duplicate"), r.text


def test_unknown_objects_are_acknowledged_and_ignored(client, fake):
    """200, not 404: YooKassa would deliver a refused notification again for 24 hours,
    and a forger learns nothing either way."""
    r = notify(client, "payment.succeeded", str(uuid.uuid4()))
    assert (r.status_code, r.json()["result"]) == (200, "unknown_payment")
    r = notify(client, "refund.succeeded", str(uuid.uuid4()))
    assert (r.status_code, r.json()["result"]) == (200, "unknown_refund")
    # A payment YooKassa knows, made by someone else with this shop's keys: not ours.
    yk.YooKassaProvider(SHOP_ID, SECRET_KEY, fake.api_url)
    other = sdk.Payment.create({
        "amount": {"value": "10.00", "currency": "RUB"}, "capture": True,
        "confirmation": {"type": "redirect", "return_url": "http://x"},
        "receipt": yk.receipt(email="x@example.com", text="x", minor=1000, currency="RUB", rate_bp=0,
                              payment_mode="full_payment")}, "other-shop-1")
    paid = fake.pay(other.id)
    r = notify(client, "payment.succeeded", paid)
    assert (r.status_code, r.json()["result"]) == (200, "unknown_payment")
    # Events we do not use are acknowledged without asking the API.
    before = len(fake.requests)
    r = notify(client, "payout.succeeded", str(uuid.uuid4()))
    assert (r.status_code, r.json()["result"]) == (200, "ignored")
    assert len(fake.requests) == before


MALFORMED = {
    "not JSON": b"{not json",
    "not UTF-8": b"\xff\xfe{}",
    "a list": b"[]",
    "not a notification": json.dumps({"type": "event", "event": "payment.succeeded",
                                      "object": {"id": "x"}}).encode(),
    "no object": json.dumps({"type": "notification", "event": "payment.succeeded"}).encode(),
    "no event": json.dumps({"type": "notification", "object": {"id": "x"}}).encode(),
    "numeric id": json.dumps(notification("payment.succeeded", {"id": 5})).encode(),
    "id with a path": json.dumps(notification("payment.succeeded", {"id": "x/capture"})).encode(),
    "overlong id": json.dumps(notification("payment.succeeded", {"id": "a" * 65})).encode(),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_notifications_are_refused(client, fake, case):
    r = client.post(NOTIFY, content=MALFORMED[case], headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    assert isinstance(detail, str) and any("а" <= ch <= "я" for ch in detail.lower())
    assert fake.requests == []


def test_notifications_without_yookassa_configured_are_refused(client, fake, monkeypatch):
    configure(monkeypatch, fake, YOOKASSA_SHOP_ID="", YOOKASSA_SECRET_KEY="", PAYMENT_PROVIDER="")
    r = notify(client, "payment.succeeded", str(uuid.uuid4()))
    assert r.status_code == 400 and "не настроены" in r.json()["detail"]


def test_a_canceled_payment_fails_and_a_new_one_can_be_made(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    payment = pay(client, renter, created["id"])
    canceled = fake.decline(yk_id(payment))

    r = notify(client, "payment.canceled", canceled)
    assert (r.status_code, r.json()["result"]) == (200, "failed")
    [row] = rows(Payment, created["id"])
    assert (row.status, row.failure) == ("failed", "yookassa: insufficient_funds")
    assert view(client, renter, created["id"])["status"] == "pending_payment"
    again = pay(client, renter, created["id"])
    assert again["payment_id"] != payment["payment_id"]
    assert len(fake.calls("POST", PAYMENTS)) == 2


def test_a_payment_waiting_for_capture_is_captured(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    payment = pay(client, renter, created["id"])
    fake.tamper(yk_id(payment), _capture=False)  # as if made with capture off
    waiting = fake.pay(yk_id(payment))
    assert waiting["status"] == "waiting_for_capture"

    r = notify(client, "payment.waiting_for_capture", waiting)
    assert (r.status_code, r.json()["result"]) == (200, "paid")
    [capture] = fake.calls("POST", f"{PAYMENTS}/{waiting['id']}/capture")
    assert capture.idempotence_key == f"capture-{payment['payment_id']}"
    assert capture.body["amount"] == waiting["amount"]
    assert fake.payment(waiting["id"])["status"] == "succeeded"
    assert view(client, renter, created["id"])["status"] == "confirmed"
    # YooKassa's own payment.succeeded follows: already applied, nothing doubles.
    r = notify(client, "payment.succeeded", fake.payment(waiting["id"]))
    assert (r.status_code, r.json()["result"]) == (200, "paid")
    assert view(client, renter, created["id"])["paid"] == created["price"]["total"]


def test_a_late_payment_is_refunded_with_a_receipt(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    total = created["price"]["total"]
    payment = pay(client, renter, created["id"])
    with transaction() as s:
        s.get(Booking, created["id"]).expires_at = utcnow() - timedelta(minutes=1)
    assert run_use_case(lambda s, fx: do_expire_holds(s, fx, booking_id=created["id"])) == 1

    r = notify(client, "payment.succeeded", fake.pay(yk_id(payment)))
    assert r.status_code == 200, r.text
    [call] = fake.calls("POST", REFUNDS)
    assert call.idempotence_key == f"refund-{payment['payment_id']}-0-{total}"
    assert call.body["payment_id"] == yk_id(payment)
    assert call.body["amount"]["value"] == f"{total // 100}.{total % 100:02d}"
    assert call.body["receipt"]["customer"] == {"email": renter["email"]}
    [item] = call.body["receipt"]["items"]
    assert (item["amount"], item["vat_code"]) == (call.body["amount"], 4)
    after = view(client, renter, created["id"])
    assert (after["status"], after["paid"], after["refunded"]) == ("expired", total, total)
    [refund] = rows(Refund, created["id"])
    assert refund.provider_refund_id == call.response["id"]


def test_when_the_api_cannot_be_asked_yookassa_delivers_again(client, fake, space, renter):
    created = book(client, renter, space.desk_id)
    paid = fake.pay(yk_id(pay(client, renter, created["id"])))
    fake.fail("", 500)

    r = notify(client, "payment.succeeded", paid)
    assert r.status_code == 502, r.text  # not 200: YooKassa repeats the notification
    assert any("а" <= ch <= "я" for ch in r.json()["detail"])
    assert len(fake.calls("GET", PAYMENTS)) == 3  # retried twice
    assert view(client, renter, created["id"])["paid"] == 0
    with transaction() as s:
        assert s.get(WebhookEvent, f"payment.succeeded:{paid['id']}") is None

    fake.heal()
    r = notify(client, "payment.succeeded", paid)
    assert (r.status_code, r.json()["result"]) == (200, "paid")


def test_refund_notifications(client, fake, space, renter):
    booked, payment = paid_booking(client, fake, renter, space.desk_id, day=in_days(5))
    r = client.post(f"{API}/bookings/{booked['id']}/cancel", headers=renter["auth"], json={"reason": "планы"})
    assert r.status_code == 200, r.text
    [refund] = rows(Refund, booked["id"])
    found = fake.refund(refund.provider_refund_id)
    assert found["metadata"] == {"booking_id": str(booked["id"]), "payment_id": str(payment["payment_id"])}

    first = notify(client, "refund.succeeded", found)
    second = notify(client, "refund.succeeded", found)
    assert (first.json()["result"], second.json()["result"]) == ("refund_confirmed", "duplicate")
    assert view(client, renter, booked["id"])["refunded"] == booked["total"]


# --- choosing the provider ----------------------------------------------------------------


def test_the_provider_is_chosen_per_currency_and_refunds_follow_the_payment(client, fake, monkeypatch,
                                                                            space, renter):
    configure(monkeypatch, fake, PAYMENT_PROVIDER="", PAYMENT_PROVIDER_BY_CURRENCY="RUB=test")
    assert get_provider(currency="RUB").name == "test"
    created = book(client, renter, space.desk_id, day=in_days(5))
    assert pay_test(client, renter["auth"], created["id"])["provider"] == "test"

    configure(monkeypatch, fake, PAYMENT_PROVIDER="test", PAYMENT_PROVIDER_BY_CURRENCY="RUB=yookassa")
    assert get_provider(currency="rub").name == "yookassa"
    assert get_provider(currency="EUR").name == "test"
    # The booking was paid through the test provider: its refund goes back there.
    r = client.post(f"{API}/bookings/{created['id']}/cancel", headers=renter["auth"])
    assert r.status_code == 200, r.text
    [refund] = rows(Refund, created["id"])
    assert refund.provider_refund_id.startswith("test_re_")
    assert fake.requests == []


def test_a_chosen_provider_that_is_not_configured_is_refused(client, fake, monkeypatch, space, renter):
    configure(monkeypatch, fake, YOOKASSA_SECRET_KEY="")
    with pytest.raises(ProviderError, match="ЮKassa не настроена"):
        get_provider()
    created = book(client, renter, space.desk_id)
    r = client.post(f"{API}/bookings/{created['id']}/pay", headers=renter["auth"])
    assert r.status_code == 502 and "YOOKASSA_SHOP_ID" in r.json()["detail"]
    assert rows(Payment, created["id"]) == []
    configure(monkeypatch, fake, PAYMENT_PROVIDER="stripe")
    with pytest.raises(ProviderError, match="Stripe не настроен"):
        get_provider()
    configure(monkeypatch, fake, PAYMENT_PROVIDER="test")
    monkeypatch.setattr(get_settings(), "environment", "production")
    with pytest.raises(ProviderError, match="оплата не настроена"):
        get_provider()
