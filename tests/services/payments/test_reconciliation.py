"""Reconciliation (services/finance/reconciliation.py): the ledger's cash at a provider
against our payment rows and the provider's own records, read through the real `stripe`
library and the real `yookassa` SDK from the local fakes (tests/fake_stripe.py,
tests/fake_yookassa.py). Payments are made as a renter makes them, through the API and the
provider's webhook or notification; the provider's side is then changed in the fake (a
payment made in its dashboard, one it lost, another amount, an outage).

The figures of all time (the ledger's cash, what our payments hold) include what other
tests left in the shared database, so they are compared with each other or as a change;
the records of the period (since the test began) are the test's own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import timedelta

import pytest
import stripe
from rq import Queue
from sqlalchemy import select

from coworking_app import alerts
from coworking_app.db import get_rq_redis
from coworking_app.services.booking.availability import utcnow
from coworking_app.services.catalog.cache import drop_space_pages
from coworking_app.services.finance import ledger, reconciliation
from coworking_app.services.payments import yookassa as yk
from coworking_app.settings import get_settings
from coworking_app.uow import UnitOfWork, run_use_case
from jobs import OPS_QUEUE
from jobs.finance import reconcile_providers
from models import Payment, ReconciliationItem, Space, SpaceStatus
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable
from tests.fake_stripe import FakeStripe
from tests.fake_yookassa import SECRET_KEY, SHOP_ID, FakeYooKassa
from tests.uow_helpers import transaction

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
WEBHOOK_SECRET = "whsec_reconcile_" + "3" * 24
LATER = reconciliation.GRACE + timedelta(minutes=1)  # a provider's record old enough to report


# --- the providers, as the renter's payments and the provider's side see them -------------------------------


class StripeSide:
    name = "stripe"

    def start(self, monkeypatch) -> None:
        self.fake = FakeStripe().start()
        for key, value in {"PAYMENT_PROVIDER": "stripe", "PAYMENT_PROVIDER_BY_CURRENCY": "",
                           "STRIPE_SECRET_KEY": "sk_test_reconcile", "STRIPE_API_BASE": self.fake.base_url,
                           "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "YOOKASSA_SHOP_ID": ""}.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(stripe._http_client.HTTPClient, "_sleep_time_seconds",
                            lambda self, num_retries: 0.0)

    def stop(self) -> None:
        self.fake.stop()

    def complete(self, client, payment_id: int) -> str:
        """The renter pays at Stripe; Stripe's signed webhook tells us. The PaymentIntent id."""
        with transaction() as s:
            session_id = s.get(Payment, payment_id).provider_session_id
        obj = self.fake.pay(session_id)
        payload = json.dumps({"id": f"evt_{secrets.token_hex(12)}", "object": "event",
                              "type": "checkout.session.completed", "data": {"object": obj}}).encode()
        t = int(time.time())
        mac = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
        r = client.post(f"{API}/payments/stripe/webhook", content=payload,
                        headers={"Stripe-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"})
        assert r.status_code == 200 and r.json()["result"] == "paid", r.text
        return obj["payment_intent"]

    def outside_payment(self, minor: int) -> str:
        return self.fake.charge(minor, "rub")

    def forget(self, reference: str) -> None:
        self.fake.forget(reference)

    def change_amount(self, reference: str, minor: int) -> None:
        self.fake.change_charge(reference, minor)

    def fail(self) -> None:
        self.fake.fail("/v1/balance_transactions", 500)

    def listings(self) -> int:
        """Requests for the list of payments (pages, retries)."""
        return len(self.fake.calls("/v1/balance_transactions"))


class YooKassaSide:
    name = "yookassa"

    def start(self, monkeypatch) -> None:
        self.fake = FakeYooKassa().start()
        for key, value in {"PAYMENT_PROVIDER": "yookassa", "PAYMENT_PROVIDER_BY_CURRENCY": "",
                           "YOOKASSA_SHOP_ID": SHOP_ID, "YOOKASSA_SECRET_KEY": SECRET_KEY,
                           "YOOKASSA_API_BASE": self.fake.api_url, "YOOKASSA_NOTIFY_IPS": "",
                           "STRIPE_SECRET_KEY": ""}.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(yk, "RETRY_BACKOFF", 0.0)

    def stop(self) -> None:
        self.fake.stop()

    def complete(self, client, payment_id: int) -> str:
        with transaction() as s:
            provider_id = s.get(Payment, payment_id).provider_payment_id
        paid = self.fake.pay(provider_id)
        r = client.post(f"{API}/payments/yookassa/notifications",
                        json={"type": "notification", "event": "payment.succeeded", "object": paid})
        assert r.status_code == 200, r.text
        return provider_id

    def outside_payment(self, minor: int) -> str:
        return self.fake.outside_payment(yk.api_amount(minor, "RUB")["value"])

    def forget(self, reference: str) -> None:
        self.fake.forget(reference)

    def change_amount(self, reference: str, minor: int) -> None:
        self.fake.tamper(reference, amount=yk.api_amount(minor, "RUB"))

    def fail(self) -> None:
        self.fake.fail("", 500)

    def listings(self) -> int:
        return len([c for c in self.fake.calls("GET", "/v3/payments") if c.path == "/v3/payments"])


@pytest.fixture(params=[StripeSide, YooKassaSide], ids=["stripe", "yookassa"])
def side(request, monkeypatch):
    harness = request.param()
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
    """Flexible policy (all back when cancelled days ahead), VAT 20 % for YooKassa's receipts;
    hidden again afterwards, so that later test files see only the fixture world."""
    bookable = make_bookable(policy="flexible", instant_book=True, vat_rate_bp=2000, desk_capacity=100)
    yield bookable
    with UnitOfWork() as uow:
        row = uow.session.get(Space, bookable.space_id)
        row.status, row.deleted_at = SpaceStatus.hidden.value, utcnow()
        drop_space_pages(uow.effects, bookable.space_id)


@pytest.fixture()
def renter(world):
    return signed_in()[1]


def paid_booking(client, side, auth, resource_id: int, *, days: int = 5, start: int = 10) -> tuple[int, int, str]:
    """A booking the renter paid through the provider: (booking id, our payment id, the provider's id)."""
    day = in_days(days)
    r = client.post(f"{API}/bookings", headers=auth, json=body(resource_id, local(day, start), local(day, start + 2)))
    assert r.status_code == 201, r.text
    booking_id = r.json()["id"]
    r = client.post(f"{API}/bookings/{booking_id}/pay", headers=auth)
    assert r.status_code == 200, r.text
    payment_id = r.json()["payment_id"]
    reference = side.complete(client, payment_id)
    r = client.get(f"{API}/bookings/{booking_id}", headers=auth)
    assert r.json()["status"] == "confirmed", r.text
    return booking_id, payment_id, reference


def amount_of(payment_id: int) -> int:
    with transaction() as s:
        return s.get(Payment, payment_id).amount_minor


def reconcile(provider: str, since, *, later: timedelta = LATER) -> reconciliation.RunView:
    """A run as the job makes it; `later`: how long after the payments it runs."""
    return run_use_case(lambda s, _fx: reconciliation.do_reconcile(s, provider, since=since, now=utcnow() + later))


def kinds(run: reconciliation.RunView) -> list[tuple[str, str, str]]:
    return sorted((i.kind, i.subject, i.reference) for i in run.items)


def rub(run: reconciliation.RunView) -> reconciliation.CurrencyTotals:
    """The run's RUB figures (all zero when nothing was ever paid in RUB there)."""
    return next((t for t in run.totals if t.currency == "RUB"),
                reconciliation.CurrencyTotals("RUB", 0, 0, 0, None))


# --- against Stripe and YooKassa -------------------------------------------------------------------------------


def test_matching_payments_and_refunds_leave_no_mismatch(client, side, space, renter):
    since = utcnow()
    side.fake.page_size = 2  # several pages: the client library's paging is used
    kept = paid_booking(client, side, renter, space.desk_id, start=9)
    cancelled = paid_booking(client, side, renter, space.desk_id, start=12)
    third = paid_booking(client, side, renter, space.desk_id, start=15)
    r = client.post(f"{API}/bookings/{cancelled[0]}/cancel", headers=renter)
    assert r.status_code == 200 and r.json()["refund"]["amount"] == amount_of(cancelled[1]), r.text

    run = reconcile(side.name, since)

    assert (run.status, run.items, run.error) == ("ok", [], None)
    assert run.status_label == "Сходится"
    total = amount_of(kept[1]) + amount_of(third[1])
    assert (rub(run).period_ours_minor, rub(run).period_provider_minor) == (total, total)
    assert rub(run).ledger_minor == rub(run).ours_minor  # all time: the ledger's cash is our payments'
    assert run.checked == 5  # three payments, one refund, one cash account
    assert side.listings() == 2  # two pages were read


def test_a_payment_only_the_provider_has_is_missing_in_the_ledger(client, side, space, renter):
    since = utcnow()
    _booking, payment_id, reference = paid_booking(client, side, renter, space.desk_id)
    outside = side.outside_payment(77_700)

    fresh = reconcile(side.name, since, later=timedelta(0))
    assert fresh.items == []  # too young to report: its notification may still be on its way

    run = reconcile(side.name, since)
    assert run.status == "mismatches" and run.mismatches == 1
    [item] = run.items
    assert (item.kind, item.subject, item.reference, item.currency) == ("missing_in_ledger", "payment", outside, "RUB")
    assert (item.ours_minor, item.provider_minor, item.payment_id) == (0, 77_700, None)
    assert item.kind_label == "Есть у платёжной системы, нет у нас"
    assert rub(run).period_provider_minor - rub(run).period_ours_minor == 77_700
    assert reference not in {i.reference for i in run.items}


def test_our_payment_the_provider_does_not_know_is_missing_there(client, side, space, renter):
    since = utcnow()
    _b, lost_id, lost = paid_booking(client, side, renter, space.desk_id, start=9)
    _b, _p, known = paid_booking(client, side, renter, space.desk_id, start=12)
    side.forget(lost)

    run = reconcile(side.name, since)

    assert kinds(run) == [("missing_at_provider", "payment", lost)]
    [item] = run.items
    assert (item.ours_minor, item.provider_minor, item.payment_id) == (amount_of(lost_id), 0, lost_id)


def test_an_amount_that_differs_is_listed_with_both_figures(client, side, space, renter):
    since = utcnow()
    _b, payment_id, reference = paid_booking(client, side, renter, space.desk_id)
    ours = amount_of(payment_id)
    side.change_amount(reference, ours - 100)

    run = reconcile(side.name, since)

    assert kinds(run) == [("amount_differs", "payment", reference)]
    [item] = run.items
    assert (item.ours_minor, item.provider_minor, item.payment_id) == (ours, ours - 100, payment_id)
    with transaction() as s:  # what the operator panel reads back
        stored = s.scalars(select(ReconciliationItem).where(ReconciliationItem.run_id == run.id)).all()
    assert [(i.kind, i.ours_minor, i.provider_minor) for i in stored] == [("amount_differs", ours, ours - 100)]


def test_a_provider_that_cannot_be_reached_leaves_a_failed_run_and_an_alert(client, side, space, renter):
    paid_booking(client, side, renter, space.desk_id)
    side.fail()
    redis = get_rq_redis()
    redis.delete(alerts.ALERTS_LIST, *redis.keys("telegram:alert-seen:*"))

    assert reconcile_providers(since=None, provider=side.name) == {side.name: "failed"}

    operator = signed_in("operator")[1]
    r = client.get(f"{API}/admin/finance/reconciliation", headers=operator)
    assert r.status_code == 200, r.text
    run = next(x for x in r.json() if x["provider"] == side.name)
    assert (run["status"], run["items"], run["totals"], run["checked"]) == ("failed", [], [], 0)
    assert run["status_label"] == "Не выполнена"
    assert CYRILLIC.search(run["error"]) and "недоступ" in run["error"], run["error"]
    [queued] = alerts.take_alerts(10)
    assert queued["kind"] == "reconciliation" and run["error"] in queued["text"]
    assert side.listings() >= 3  # the client's retries were made before it gave up


# --- the test provider: the ledger against our rows only -----------------------------------------------------------


def ledger_gap(run: reconciliation.RunView) -> int:
    """The ledger's cash at the test provider minus what our payments there hold (RUB)."""
    found = [i for i in run.items if i.reference == ledger.cash("test", "RUB").code]
    return found[0].ledger_minor - found[0].ours_minor if found else 0


def test_ledger_cash_our_payments_do_not_explain_is_listed(client, space, renter, monkeypatch):
    monkeypatch.setenv("PAYMENT_PROVIDER", "test")
    get_settings.cache_clear()
    since = utcnow()
    before = reconcile("test", since)
    r = client.post(f"{API}/bookings", headers=renter,
                    json=body(space.desk_id, local(in_days(6), 10), local(in_days(6), 12)))
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/bookings/{r.json()['id']}/pay", headers=renter)
    payment_id = r.json()["payment_id"]
    r = client.post(f"{API}/payments/test/{payment_id}/complete", headers=renter, json={"outcome": "succeeded"})
    assert r.status_code == 200, r.text

    paid = reconcile("test", since)
    assert ledger_gap(paid) == ledger_gap(before)  # a payment moves both sides alike
    assert rub(paid).ours_minor - rub(before).ours_minor == amount_of(payment_id)
    assert rub(paid).period_ours_minor == amount_of(payment_id)
    assert rub(paid).period_provider_minor is None  # nothing outside to ask

    hand = [(ledger.cash("test", "RUB"), 1_234), (ledger.cash("bank", "RUB"), -1_234)]
    run_use_case(lambda s, fx: ledger.do_post(s, fx, "adjustment", hand, memo="reconciliation test"))
    try:
        run = reconcile("test", since)
        assert run.status == "mismatches"
        assert ledger_gap(run) - ledger_gap(paid) == 1_234
        [item] = [i for i in run.items if i.kind == "ledger_differs" and i.currency == "RUB"]
        assert (item.subject, item.reference, item.currency) == ("cash", "cash:test:RUB", "RUB")
        assert item.ledger_minor == rub(run).ledger_minor and item.ours_minor == rub(run).ours_minor
    finally:  # the shared test database keeps a consistent ledger
        back = [(acct, -amount) for acct, amount in hand]
        run_use_case(lambda s, fx: ledger.do_post(s, fx, "adjustment", back, memo="reconciliation test undone"))
    assert ledger_gap(reconcile("test", since)) == ledger_gap(before)


# --- the REST API ----------------------------------------------------------------------------------------------------


def test_operators_read_admins_and_operators_run_renters_are_refused(client, monkeypatch):
    for key in ("STRIPE_SECRET_KEY", "YOOKASSA_SHOP_ID"):
        monkeypatch.setenv(key, "")
    get_settings.cache_clear()
    renter, operator, admin = (signed_in(role)[1] for role in ("renter", "operator", "admin"))
    url = f"{API}/admin/finance/reconciliation"

    assert client.get(url, headers=renter).status_code == 403
    r = client.post(f"{url}/run", headers=renter, json={})
    assert r.status_code == 403 and CYRILLIC.search(r.json()["detail"])

    queue = Queue(OPS_QUEUE, connection=get_rq_redis())
    earlier = [x["id"] for x in client.get(url, headers=operator).json() if x["provider"] == "test"]
    r = client.post(f"{url}/run", headers=admin, json={"provider": "test"})
    assert r.status_code == 202, r.text
    assert r.json()["providers"] == ["test"] and r.json()["queued"] is True
    [job] = [j for j in queue.get_jobs() if j and (j.id or "").startswith("reconcile-test-")]
    assert job.func_name == "jobs.finance.reconcile_providers"
    r = client.post(f"{url}/run", headers=admin, json={"provider": "stripe"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "provider"
    assert CYRILLIC.search(r.json()["detail"][0]["msg"])
    r = client.post(f"{url}/run", headers=admin, json={"since": (utcnow() + timedelta(days=3)).date().isoformat()})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "since"
    r = client.post(f"{url}/run", headers=operator, json={})
    assert r.status_code == 202 and r.json()["providers"] == ["test"], r.text
    for queued in queue.get_jobs():  # the worker's part is played below
        if queued and (queued.id or "").startswith("reconcile-"):
            queue.remove(queued)

    assert set(reconcile_providers(*job.args)) == {"test"}
    r = client.get(url, headers=operator)
    assert r.status_code == 200, r.text
    [run] = [x for x in r.json() if x["provider"] == "test"]
    assert [run["id"]] != earlier
    assert run["provider_label"] == "Тестовый" and run["status"] in ("ok", "mismatches")
    assert all(t["period_provider_minor"] is None and t["ledger_minor"] == t["ours_minor"]
               for t in run["totals"] if t["currency"] == "RUB")
