"""Owner analytics show what an owner expects: money received today / this month by payment
date (minus refunds), next to revenue recognized (stays completed, fees kept), each labelled.
Both come from the ledger's day figures; the operator dashboard counts the same way (one
service function), and the whole network's figure equals a recount of the journal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import text

from coworking_app.services.admin import analytics
from state.admin_dashboard import _kpi_cards
from tests.admin_helpers import insert_booking, msk_today
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction

MSK = ZoneInfo("Europe/Moscow")


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
    # A stay that ended today, paid days ago (written directly): revenue today, not money received.
    today = msk_today()
    stay = insert_booking(b, renters[1][0], start=local(today, 0, 30), end=local(today, 1, 30), status="completed")
    paid_before = stay.start - timedelta(days=2)  # insert_booking: paid two days before the stay

    received = sum(total for _id, total, _auth in paid) - cancelled_total
    kpis = client.get(f"{API}/owner/analytics", headers=owner).json()["kpis"]
    assert kpis["received_today_minor"] == received > 0
    this_month = paid_before.astimezone(MSK).date().replace(day=1) == today.replace(day=1)
    assert kpis["received_month_minor"] == received + (stay.paid if this_month else 0)
    assert kpis["revenue_today_minor"] == stay.paid  # completed today
    # The operator's dashboard, narrowed to the space, counts the same.
    network = client.get(f"{API}/admin/stats", headers=operator, params={"space": b.space_id}).json()["kpis"]
    assert {k: network[k] for k in ("received_today_minor", "received_month_minor", "revenue_today_minor")} \
        == {k: kpis[k] for k in ("received_today_minor", "received_month_minor", "revenue_today_minor")}
    # The whole network: every cash and on-account line of today's booking entries, recounted
    # from the journal.
    with transaction() as s:
        start = analytics.day_start(msk_today())
        expected = s.execute(text(
            "SELECT coalesce(sum(l.amount_minor), 0) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id "
            "JOIN ledger_account a ON a.id = l.account_id WHERE e.booking_id IS NOT NULL AND e.effective_at >= :d "
            "AND l.currency = 'RUB' AND (a.code LIKE 'cash:%' OR a.code LIKE 'unbilled:%')"), {"d": start}).scalar_one()
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
    assert cards["revenue_today"].label == "Выручка сегодня"
    assert "завершённые визиты" in cards["revenue_today"].hint
    assert cards["received_today"].value.replace("\xa0", " ").startswith(f"{received // 100:,}".replace(",", " "))


def test_money_received_counts_a_refund_on_its_own_day(client, world):
    """A booking paid 40 days ago and refunded today: today's money goes down by the refund;
    the payment itself is in an earlier month."""
    b = make_bookable()
    renter_id, auth = signed_in()
    day = in_days(9)
    row = insert_booking(b, renter_id, start=local(day, 10), end=local(day, 12), status="confirmed",
                         created_at=datetime.now(timezone.utc) - timedelta(days=40))
    assert client.post(f"{API}/bookings/{row.id}/cancel", headers=auth).json()["refund"]["amount"] == row.paid
    kpis = client.get(f"{API}/owner/analytics", headers=headers_for(b.owner_id)).json()["kpis"]
    assert kpis["received_today_minor"] == kpis["received_month_minor"] == -row.paid
