"""A membership paid with Stripe is a Stripe subscription (the real `stripe` library against
tests/fake_stripe.py, signed webhooks into the app): the checkout runs in subscription mode
with a monthly price, the first month starts when the checkout completes, each `invoice.paid`
of the subscription starts the next month once (a repeated invoice changes nothing), cancelling
the renewal sets `cancel_at_period_end` at Stripe, and a pack of days stays a one-off payment."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from coworking_app.services.finance import ledger
from models import Payment, PlanPurchase
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, make_bookable
from tests.services.payments.test_payments_stripe import SESSIONS, deliver, event, fake  # noqa: F401
from tests.uow_helpers import transaction


def _ok(response, code: int = 200):
    assert response.status_code == code, response.text
    return response.json()


def _plan(client, space, **fields) -> dict:
    return _ok(client.post(f"{API}/spaces/{space.space_id}/plans", headers=headers_for(space.owner_id), json=fields),
               201)


def test_a_membership_is_a_stripe_subscription_renewed_by_its_invoices(client, fake):  # noqa: F811
    space = make_bookable()
    plan = _plan(client, space, kind="membership", membership_type="hot_desk", name="Резидент",
                 price_minor=1_500_000, credit_hours=2, resource_ids=[space.desk_id])
    _renter_id, renter = signed_in()
    bought = _ok(client.post(f"{API}/plans/purchases", headers=renter, json={"plan_id": plan["id"]}), 201)
    assert bought["provider"] == "stripe" and bought["payment_url"].startswith("https://checkout.stripe.test/")
    created = [c for c in fake.calls(SESSIONS) if c.status == 200]
    assert len(created) == 1
    params = created[0].params
    assert params["mode"] == "subscription" and "payment_intent_data" not in params
    assert params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert params["line_items"][0]["price_data"]["unit_amount"] == "1500000"
    assert params["metadata"]["plan_purchase_id"] == str(bought["purchase_id"])
    assert params["success_url"].endswith(f"/cabinet/plans?paid={bought['purchase_id']}")

    session = fake.pay(created[0].response["id"])
    assert _ok(deliver(client, event("checkout.session.completed", session))) == {"received": True, "result": "paid"}
    subscription = session["subscription"]
    with transaction() as s:
        first = s.get(PlanPurchase, bought["purchase_id"])
        assert (first.status, first.stripe_subscription_id) == ("active", subscription)
        first_end = first.ends_at

    invoice = fake.renew(subscription)
    renewed = event("invoice.paid", invoice)
    assert _ok(deliver(client, renewed))["result"] == "renewed"
    assert _ok(deliver(client, event("invoice.paid", invoice)))["result"] == "duplicate"  # same invoice, new event
    with transaction() as s:
        nxt = s.scalars(select(PlanPurchase).where(PlanPurchase.previous_id == first.id)).one()
        assert (nxt.status, nxt.starts_at, nxt.stripe_subscription_id, nxt.minutes_left) == (
            "active", first_end, subscription, 120)
        paid = s.scalars(select(Payment).where(Payment.plan_purchase_id == nxt.id)).one()
        assert (paid.provider, paid.status, paid.amount_minor, paid.provider_payment_id) == (
            "stripe", "succeeded", 1_500_000, invoice["payment_intent"])
        cash = ledger.balance(s, ledger.cash("stripe", "RUB"))
        held = s.scalar(select(func.sum(Payment.amount_minor - Payment.refunded_minor)).where(
            Payment.provider == "stripe", Payment.status == "succeeded"))
        assert cash == held

    # No renewal job for it: Stripe charges the months itself.
    mine = _ok(client.get(f"{API}/plans/purchases", headers=renter))
    assert [p["id"] for p in mine] == [nxt.id, first.id]
    assert mine[0]["renewal"].endswith("спишутся с карты автоматически")
    assert mine[1]["renewal"].startswith("Следующий месяц оплачен")
    # Cancelling the renewal tells Stripe to stop after this month.
    assert _ok(client.post(f"{API}/plans/purchases/{nxt.id}/cancel-renewal", headers=renter))["renews"] is False
    assert fake.subscription(subscription)["cancel_at_period_end"] is True
    assert _ok(client.post(f"{API}/plans/purchases/{nxt.id}/resume-renewal", headers=renter))["renews"] is True
    assert fake.subscription(subscription)["cancel_at_period_end"] is False
    # Stripe down: the renewal stays on, the caller reads 502.
    fake.fail(f"/v1/subscriptions/{subscription}", 500)
    r = client.post(f"{API}/plans/purchases/{nxt.id}/cancel-renewal", headers=renter)
    assert r.status_code == 502
    fake.heal()
    with transaction() as s:
        assert s.get(PlanPurchase, nxt.id).renews is True
    # Stripe ended the subscription (unpaid invoices): no further months.
    gone = {"id": subscription, "object": "subscription", "status": "canceled"}
    assert _ok(deliver(client, event("customer.subscription.deleted", gone)))["result"] == "subscription_ended"
    with transaction() as s:
        assert s.get(PlanPurchase, nxt.id).renews is False
    # An invoice of a subscription we do not know changes nothing.
    stray = {**invoice, "id": f"in_{secrets.token_hex(6)}", "subscription": "sub_unknown"}
    assert _ok(deliver(client, event("invoice.paid", stray)))["result"] == "unknown_subscription"


def test_a_pack_of_days_is_a_one_off_stripe_payment(client, fake):  # noqa: F811
    space = make_bookable()
    plan = _plan(client, space, kind="day_pass", name="5 дней", price_minor=600_000, days=5, validity_days=30,
                 resource_ids=[space.desk_id])
    _renter_id, renter = signed_in()
    bought = _ok(client.post(f"{API}/plans/purchases", headers=renter, json={"plan_id": plan["id"]}), 201)
    created = [c for c in fake.calls(SESSIONS) if c.status == 200]
    assert created[0].params["mode"] == "payment"
    assert created[0].params["payment_intent_data"]["metadata"]["plan_purchase_id"] == str(bought["purchase_id"])
    session = fake.pay(created[0].response["id"])
    assert _ok(deliver(client, event("checkout.session.completed", session)))["result"] == "paid"
    with transaction() as s:
        purchase = s.get(PlanPurchase, bought["purchase_id"])
        assert (purchase.status, purchase.stripe_subscription_id, purchase.days_left) == ("active", None, 5)
