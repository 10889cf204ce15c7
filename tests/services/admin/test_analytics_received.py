"""Owner analytics show what an owner expects: money received today / this month by payment
date (minus refunds), next to the bookings' value by stay date, each labelled. Before, the
screen showed 0 ₽ "Выручка сегодня" next to paid bookings made today for later dates (revenue
was counted by the booking's start date only). The operator dashboard counts the same way
(one service function)."""

from __future__ import annotations

from sqlalchemy import text

from coworking_app.services.admin import analytics
from state.admin_dashboard import _kpi_cards
from tests.admin_helpers import insert_booking, msk_today
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction


def test_money_paid_today_for_later_stays_is_received_today(client, world):
    b = make_bookable(name="Коворкинг «Касса»")
    owner = headers_for(b.owner_id)
    _op_id, operator = signed_in("operator")
    renters = [signed_in() for _ in range(3)]
    paid = []
    for n, (_rid, auth) in enumerate(renters):  # three bookings for next week, paid now
        day = in_days(7 + n)
        r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 10), local(day, 12), 1))
        assert r.status_code == 201, r.text
        pay_test(client, auth, r.json()["id"])
        paid.append((r.json()["id"], r.json()["price"]["total"], auth))
    # One of them is cancelled by its renter: 100 % back under the flexible policy.
    cancelled_id, cancelled_total, cancelled_auth = paid[0]
    r = client.post(f"{API}/bookings/{cancelled_id}/cancel", headers=cancelled_auth)
    assert r.json()["refund"]["amount"] == cancelled_total
    # A stay today, paid long ago (written directly): value by stay date, not money received.
    today = msk_today()
    stay = insert_booking(b, renters[1][0], start=local(today, 9), end=local(today, 10), status="completed")

    received = sum(total for _id, total, _auth in paid) - cancelled_total
    kpis = client.get(f"{API}/owner/analytics", headers=owner).json()["kpis"]
    assert kpis["received_today_minor"] == received > 0
    assert kpis["received_month_minor"] == received
    assert kpis["revenue_today_minor"] == stay.paid  # bookings starting today
    # The operator's dashboard, narrowed to the space, counts the same.
    network = client.get(f"{API}/admin/stats", headers=operator, params={"space": b.space_id}).json()["kpis"]
    assert {k: network[k] for k in ("received_today_minor", "received_month_minor", "revenue_today_minor")} \
        == {k: kpis[k] for k in ("received_today_minor", "received_month_minor", "revenue_today_minor")}
    # The whole network (no join to spaces): every payment and refund of today.
    with transaction() as s:
        start = analytics.day_start(msk_today())
        expected = s.execute(text(
            "SELECT (SELECT coalesce(sum(amount_minor), 0) FROM payment WHERE succeeded_at >= :d)"
            " - (SELECT coalesce(sum(amount_minor), 0) FROM refund WHERE status = 'succeeded' AND created_at >= :d)"),
            {"d": start}).scalar_one()
    whole = client.get(f"{API}/admin/stats", headers=operator).json()["kpis"]
    assert whole["received_today_minor"] == expected
    # Another owner's money is not in this owner's figures.
    other = make_bookable()
    assert client.get(f"{API}/owner/analytics", headers=headers_for(other.owner_id)).json()["kpis"][
        "received_today_minor"] == 0

    # What the screen says about each figure.
    cards = {c.key: c for c in _kpi_cards(analytics.Kpis(**kpis))}
    assert cards["received_today"].label == "Получено сегодня"
    assert "по дате платежа" in cards["received_today"].hint and "минус возвраты" in cards["received_today"].hint
    assert cards["revenue_today"].label == "Визиты сегодня: оплачено"
    assert "с заездом сегодня" in cards["revenue_today"].hint
    assert cards["received_today"].value.replace("\u202f", " ").startswith(f"{received // 100:,}".replace(",", " "))


def test_money_received_counts_a_refund_on_its_own_day(client, world):
    """A payment made before this month and refunded today: today's money goes down by the
    refund; the payment itself is in an earlier month."""
    b = make_bookable()
    _rid, auth = signed_in()
    day = in_days(9)
    r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 10), local(day, 12), 1))
    booking_id, total = r.json()["id"], r.json()["price"]["total"]
    pay_test(client, auth, booking_id)
    with transaction() as s:
        s.execute(text("UPDATE payment SET succeeded_at = now() - interval '40 days' WHERE booking_id = :b"),
                  {"b": booking_id})
    assert client.post(f"{API}/bookings/{booking_id}/cancel", headers=auth).json()["refund"]["amount"] == total
    kpis = client.get(f"{API}/owner/analytics", headers=headers_for(b.owner_id)).json()["kpis"]
    assert kpis["received_today_minor"] == kpis["received_month_minor"] == -total
