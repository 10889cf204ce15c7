"""One contract, every payment provider: the same scenarios run for the offline test
provider, Stripe (the real `stripe` library against tests/fake_stripe.py) and YooKassa
(the real `yookassa` SDK against tests/fake_yookassa.py).

A harness per provider configures the app and plays the payer and the provider's
callback (the test provider's own page, a signed Stripe webhook, a YooKassa notification);
everything else is the API as a renter sees it, the rows the money left behind and
what the provider received.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time

import pytest
import stripe
from sqlalchemy import select

from coworking_app.services.finance import ledger, reconciliation
from coworking_app.services.payments import yookassa as yk
from coworking_app.services.payments.payments import get_provider
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from jobs.booking import render_credit_note
from models import Document, Payment, Refund
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable
from tests.company_helpers import company_with_invoice
from tests.fake_stripe import FakeStripe
from tests.fake_yookassa import SECRET_KEY, SHOP_ID, FakeYooKassa
from tests.uow_helpers import transaction

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


class OfflineHarness:
    name = "test"
    can_fail = False

    def start(self, monkeypatch) -> None:
        monkeypatch.setenv("PAYMENT_PROVIDER", "test")

    def stop(self) -> None:
        pass

    def complete(self, client, auth, payment: dict) -> None:
        r = client.post(f"{API}/payments/test/{payment['payment_id']}/complete", headers=auth,
                        json={"outcome": "succeeded"})
        assert r.status_code == 200, r.text

    def checkouts(self) -> int | None:
        return None  # nothing outside to count

    def refunds(self) -> list[tuple[int, str]] | None:
        return None


class StripeHarness:
    name = "stripe"
    can_fail = True
    secret = "whsec_contract_" + "7" * 24

    def start(self, monkeypatch) -> None:
        self.fake = FakeStripe().start()
        for key, value in {"PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_test_contract",
                           "STRIPE_API_BASE": self.fake.base_url,
                           "STRIPE_WEBHOOK_SECRET": self.secret}.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(stripe._http_client.HTTPClient, "_sleep_time_seconds",
                            lambda self, num_retries: 0.0)

    def stop(self) -> None:
        self.fake.stop()

    def complete(self, client, auth, payment: dict) -> None:
        with transaction() as s:
            session_id = s.get(Payment, payment["payment_id"]).provider_session_id
        obj = {**self.fake.session(session_id), "status": "complete", "payment_status": "paid",
               "payment_intent": f"pi_{secrets.token_hex(12)}"}
        payload = json.dumps({"id": f"evt_{secrets.token_hex(12)}", "object": "event",
                              "type": "checkout.session.completed", "data": {"object": obj}}).encode()
        t = int(time.time())
        mac = hmac.new(self.secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
        for _ in range(2):  # Stripe may deliver twice
            r = client.post(f"{API}/payments/stripe/webhook", content=payload,
                            headers={"Stripe-Signature": f"t={t},v1={mac}",
                                     "Content-Type": "application/json"})
            assert r.status_code == 200, r.text

    def fail(self) -> None:
        for path in ("/v1/checkout/sessions", "/v1/refunds"):
            self.fake.fail(path, 500)

    def heal(self) -> None:
        self.fake.heal()

    def checkouts(self) -> int:
        return len([c for c in self.fake.calls("/v1/checkout/sessions") if c.status == 200])

    def refunds(self) -> list[tuple[int, str]]:
        return [(int(c.params["amount"]), c.idempotency_key)
                for c in self.fake.calls("/v1/refunds") if c.status == 200 and not c.replayed]


class YooKassaHarness:
    name = "yookassa"
    can_fail = True

    def start(self, monkeypatch) -> None:
        self.fake = FakeYooKassa().start()
        for key, value in {"PAYMENT_PROVIDER": "yookassa", "YOOKASSA_SHOP_ID": SHOP_ID,
                           "YOOKASSA_SECRET_KEY": SECRET_KEY,
                           "YOOKASSA_API_BASE": self.fake.api_url}.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(yk, "RETRY_BACKOFF", 0.0)

    def stop(self) -> None:
        self.fake.stop()

    def complete(self, client, auth, payment: dict) -> None:
        with transaction() as s:
            provider_id = s.get(Payment, payment["payment_id"]).provider_payment_id
        paid = self.fake.pay(provider_id)
        for _ in range(2):  # YooKassa may deliver twice
            r = client.post(f"{API}/payments/yookassa/notifications",
                            json={"type": "notification", "event": "payment.succeeded", "object": paid})
            assert r.status_code == 200, r.text

    def fail(self) -> None:
        self.fake.fail("", 500)

    def heal(self) -> None:
        self.fake.heal()

    def checkouts(self) -> int:
        return len([c for c in self.fake.calls("POST", "/v3/payments") if c.status == 200])

    def refunds(self) -> list[tuple[int, str]]:
        return [(yk.minor_units(c.body["amount"]["value"]), c.idempotence_key)
                for c in self.fake.calls("POST", "/v3/refunds") if c.status == 200 and not c.replayed]


HARNESSES = {"test": OfflineHarness, "stripe": StripeHarness, "yookassa": YooKassaHarness}


@pytest.fixture(params=list(HARNESSES))
def provider(request, monkeypatch):
    harness = HARNESSES[request.param]()
    for key in ("PAYMENT_PROVIDER_BY_CURRENCY", "STRIPE_SECRET_KEY", "YOOKASSA_SHOP_ID",
                "YOOKASSA_NOTIFY_IPS"):
        monkeypatch.setenv(key, "")
    harness.start(monkeypatch)
    get_settings.cache_clear()
    try:
        yield harness
    finally:
        harness.stop()
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def space(world):
    """Moderate policy: 50 % back 24-72 hours ahead, everything earlier."""
    return make_bookable(policy="moderate", instant_book=True, vat_rate_bp=2000, desk_capacity=100)


def book(client, auth, resource_id: int, day) -> dict:
    r = client.post(f"{API}/bookings", headers=auth,
                    json=body(resource_id, local(day, 10), local(day, 12)))
    assert r.status_code == 201, r.text
    return r.json()


def get(client, auth, booking_id: int) -> dict:
    r = client.get(f"{API}/bookings/{booking_id}", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def start_payment(client, auth, booking_id: int) -> dict:
    r = client.post(f"{API}/bookings/{booking_id}/pay", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def paid(client, provider, auth, resource_id: int, day) -> tuple[dict, dict]:
    created = book(client, auth, resource_id, day)
    payment = start_payment(client, auth, created["id"])
    provider.complete(client, auth, payment)
    return get(client, auth, created["id"]), payment


def rows(model, booking_id: int) -> list:
    with transaction() as s:
        return list(s.scalars(select(model).where(model.booking_id == booking_id).order_by(model.id)))


# --- the contract ---------------------------------------------------------------------------


def test_checkout_then_payment_confirms_the_booking(client, provider, space):
    _uid, auth = signed_in()
    created = book(client, auth, space.desk_id, in_days(5))
    total = created["price"]["total"]
    payment = start_payment(client, auth, created["id"])
    assert (payment["provider"], payment["status"], payment["amount"], payment["currency"]) == \
        (provider.name, "pending", total, "RUB")
    assert payment["payment_url"]

    provider.complete(client, auth, payment)  # delivered twice: counted once
    view = get(client, auth, created["id"])
    assert (view["status"], view["paid"], view["refunded"]) == ("confirmed", total, 0)
    [row] = rows(Payment, created["id"])
    assert (row.provider, row.status, row.amount_minor) == (provider.name, "succeeded", total)
    assert "receipt" in view["actions"] and "pay" not in view["actions"]
    assert client.post(f"{API}/bookings/{created['id']}/pay", headers=auth).status_code == 409


def test_partial_and_full_refunds_leave_refunds_and_credit_notes(client, provider, space):
    user_id, auth = signed_in()
    partial, payment = paid(client, provider, auth, space.desk_id, in_days(2))  # 24-72 h: 50 %
    full, full_payment = paid(client, provider, auth, space.desk_id, in_days(6))  # earlier: 100 %
    half = partial["total"] // 2

    for booking, expected in ((partial, half), (full, full["total"])):
        r = client.post(f"{API}/bookings/{booking['id']}/cancel", headers=auth, json={"reason": "планы"})
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "cancelled", "refund": {"amount": expected, "currency": "RUB"}}
        after = get(client, auth, booking["id"])
        assert (after["status"], after["paid"], after["refunded"]) == ("cancelled", booking["total"], expected)
        [refund] = rows(Refund, booking["id"])
        assert (refund.amount_minor, refund.currency) == (expected, "RUB")
        assert refund.provider_refund_id
        number = render_credit_note(refund.id)
        assert get(client, auth, booking["id"])["credit_notes"] == [refund.id]
        [document] = rows(Document, booking["id"])
        assert (document.kind, document.number, document.amount_minor) == ("credit_note", number, expected)

    if provider.refunds() is not None:  # the money went back through the provider, once each
        assert sorted(provider.refunds()) == sorted([
            (half, f"refund-{payment['payment_id']}-0-{half}"),
            (full["total"], f"refund-{full_payment['payment_id']}-0-{full['total']}")])


def test_repeated_calls_are_idempotent(client, provider, space):
    _uid, auth = signed_in()
    created = book(client, auth, space.desk_id, in_days(5))
    first = start_payment(client, auth, created["id"])
    assert start_payment(client, auth, created["id"]) == first
    if provider.checkouts() is not None:
        assert provider.checkouts() == 1
    provider.complete(client, auth, first)

    def refund_twice(session, _effects):
        payment = session.get(Payment, first["payment_id"])
        refunds = get_provider(payment.provider)
        key = f"refund-{payment.id}-0-100"
        return [refunds.refund(payment=payment, amount=100, idempotency_key=key) for _ in range(2)]

    one, two = run_use_case(refund_twice)
    assert one == two and one
    if provider.refunds() is not None:
        assert provider.refunds() == [(100, f"refund-{first['payment_id']}-0-100")]


def test_provider_down_leaves_nothing_half_written(client, provider, space):
    if not provider.can_fail:
        pytest.skip("the offline test provider has no outside service to lose")
    _uid, auth = signed_in()
    created = book(client, auth, space.desk_id, in_days(5))
    provider.fail()
    r = client.post(f"{API}/bookings/{created['id']}/pay", headers=auth)
    assert r.status_code == 502, r.text
    assert CYRILLIC.search(r.json()["detail"])
    assert rows(Payment, created["id"]) == []
    assert "pay" in get(client, auth, created["id"])["actions"]

    provider.heal()
    view, _payment = paid(client, provider, auth, space.desk_id, in_days(6))
    provider.fail()
    r = client.post(f"{API}/bookings/{view['id']}/cancel", headers=auth)
    assert r.status_code == 502, r.text
    assert CYRILLIC.search(r.json()["detail"])
    after = get(client, auth, view["id"])
    assert (after["status"], after["refunded"]) == ("confirmed", 0)
    assert rows(Refund, view["id"]) == []

    provider.heal()
    r = client.post(f"{API}/bookings/{view['id']}/cancel", headers=auth)
    assert r.status_code == 200 and r.json()["refund"]["amount"] == view["total"], r.text
    assert len(rows(Refund, view["id"])) == 1


# --- a company's invoice paid by card ---------------------------------------------------------


def invoice_payment_rows(invoice_id: int) -> list[Payment]:
    with transaction() as s:
        return list(s.scalars(select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.id)))


def cash_matches_payments(provider: str) -> None:
    """What reconciliation checks first: the ledger's cash at the provider is what our
    succeeded payments there still hold (and the books balance)."""
    with transaction() as s:
        assert reconciliation.ledger_cash(s, provider) == reconciliation.held_by_currency(s, provider)
        assert ledger.ledger_check(s).balanced


def test_an_invoice_paid_by_card_is_settled_once(client, provider, space):
    bill = company_with_invoice(client, space)
    r = client.post(f"{API}/invoices/{bill.invoice_id}/pay", headers=bill.admin)
    assert r.status_code == 200, r.text
    payment = r.json()
    assert (payment["provider"], payment["status"], payment["amount"], payment["currency"]) == \
        (provider.name, "pending", bill.amount, "RUB")
    assert payment["payment_url"]
    again = client.post(f"{API}/invoices/{bill.invoice_id}/pay", headers=bill.admin)
    assert again.json() == payment  # the open checkout is offered again, not a second one
    if provider.checkouts() is not None:
        assert provider.checkouts() == 1

    provider.complete(client, bill.admin, payment)  # delivered twice: settled once
    [listed] = client.get(f"{API}/companies/{bill.company_id}/invoices", headers=bill.admin).json()
    assert (listed["status"], listed["status_label"]) == ("paid", "Оплачен")
    assert listed["payment_reference"]
    seen = client.get(f"{API}/companies/{bill.company_id}", headers=bill.admin).json()
    assert seen["invoiced_unpaid_minor"] == 0
    [row] = invoice_payment_rows(bill.invoice_id)
    assert (row.status, row.booking_id, row.purpose, row.refunded_minor) == ("succeeded", None, "invoice", 0)
    ops = client.get(f"{API}/companies/{bill.company_id}/operations", headers=bill.admin).json()
    assert [(o["label"], o["amount_minor"]) for o in ops if o["kind"] == "invoice_paid"] == \
        [("Счёт оплачен", -bill.amount)]
    cash_matches_payments(provider.name)
    r = client.post(f"{API}/invoices/{bill.invoice_id}/pay", headers=bill.admin)
    assert r.status_code == 409 and "уже оплачен" in r.text
    assert provider.refunds() in (None, [])


def test_a_card_payment_for_an_invoice_paid_meanwhile_goes_back(client, provider, space):
    if provider.name == "test":
        pytest.skip("the test provider's page refuses a checkout that was closed: it cannot be paid late")
    bill = company_with_invoice(client, space, days=(4,))
    payment = client.post(f"{API}/invoices/{bill.invoice_id}/pay", headers=bill.admin).json()
    _admin_id, network_admin = signed_in("admin")
    r = client.post(f"{API}/admin/finance/invoices/{bill.invoice_id}/paid", headers=network_admin,
                    json={"payment_reference": "п/п 15"})
    assert r.status_code == 200, r.text
    [row] = invoice_payment_rows(bill.invoice_id)
    assert (row.status, row.failure) == ("failed", "superseded")  # its checkout was closed

    provider.complete(client, bill.admin, payment)  # the payer got through anyway
    [row] = invoice_payment_rows(bill.invoice_id)
    assert (row.status, row.refunded_minor) == ("succeeded", bill.amount)
    with transaction() as s:
        [refund] = s.scalars(select(Refund).where(Refund.payment_id == row.id)).all()
        assert (refund.booking_id, refund.amount_minor) == (None, bill.amount)
    assert provider.refunds() == [(bill.amount, f"refund-{row.id}-0-{bill.amount}")]
    [listed] = client.get(f"{API}/companies/{bill.company_id}/invoices", headers=bill.admin).json()
    assert (listed["status"], listed["payment_reference"]) == ("paid", "п/п 15")
    seen = client.get(f"{API}/companies/{bill.company_id}", headers=bill.admin).json()
    assert seen["invoiced_unpaid_minor"] == 0
    cash_matches_payments(provider.name)


def test_an_invoice_checkout_names_the_invoice(client, provider, space):
    bill = company_with_invoice(client, space)
    payment = client.post(f"{API}/invoices/{bill.invoice_id}/pay", headers=bill.admin).json()
    if provider.name == "test":
        assert payment["payment_url"] == f"/checkout/invoice/{payment['payment_id']}"
    elif provider.name == "stripe":
        [call] = [c for c in provider.fake.calls("/v1/checkout/sessions") if c.status == 200]
        assert call.params["metadata"] == {"invoice_id": str(bill.invoice_id),
                                           "payment_id": str(payment["payment_id"])}
        assert call.params["success_url"].endswith(f"/cabinet/company?paid_invoice={bill.invoice_id}")
        assert f"счёта № {bill.number}" in call.params["line_items"][0]["price_data"]["product_data"]["name"]
    else:  # a 54-FZ receipt: one line per booking at its VAT rate, to the billing address
        [call] = [c for c in provider.fake.calls("POST", "/v3/payments") if c.status == 200]
        receipt = call.body["receipt"]
        assert receipt["customer"] == {"email": "buh@romashka.example"}
        assert [(i["description"], i["amount"]["value"], i["vat_code"]) for i in receipt["items"]] == [
            (f"Аренда рабочего пространства, бронь № {b}", "600.00", 4) for b in bill.bookings]
        assert {k: call.body["metadata"][k] for k in ("invoice_id", "payment_id")} == {
            "invoice_id": str(bill.invoice_id), "payment_id": str(payment["payment_id"])}
        assert call.body["confirmation"]["return_url"].endswith(f"/cabinet/company?paid_invoice={bill.invoice_id}")


def test_a_series_is_paid_with_one_checkout_and_refunded_per_booking(client, provider, space):
    """Three dates of a series: one checkout for the total at the provider, every booking
    confirmed by its one callback (delivered twice), and one date cancelled alone gets back
    just its own part through the shared payment."""
    _uid, auth = signed_in()
    day = in_days(10)
    r = client.post(f"{API}/bookings/series", headers=auth,
                    json=body(space.desk_id, local(day, 10), local(day, 12), rrule="FREQ=DAILY;COUNT=3"))
    assert r.status_code == 201, r.text
    created = r.json()
    r = client.post(f"{API}/bookings/series/{created['series_id']}/pay", headers=auth)
    assert r.status_code == 200, r.text
    payment = r.json()
    assert payment["amount"] == created["total_minor"] == sum(b["total_minor"] for b in created["bookings"])
    if provider.checkouts() is not None:
        assert provider.checkouts() == 1
    provider.complete(client, auth, payment)
    assert [get(client, auth, b["id"])["status"] for b in created["bookings"]] == ["confirmed"] * 3
    first = created["bookings"][0]
    r = client.post(f"{API}/bookings/{first['id']}/cancel", headers=auth, json={})
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    refunds = provider.refunds()
    if refunds is not None:
        assert [amount for amount, _key in refunds] == [first["total_minor"]]
    assert [get(client, auth, b["id"])["status"] for b in created["bookings"][1:]] == ["confirmed"] * 2
    cash_matches_payments(provider.name)
