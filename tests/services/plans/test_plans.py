"""Plans end to end through the API and the jobs: an owner defines each kind, a renter buys
it with the test provider, books with it (the breakdown shows what the plan paid, days or
hours are taken and come back on cancellation, a booking beyond the plan costs as usual),
a fixed desk is held for the month so nobody else can book it, a membership's renewal is
asked for, paid or let go, and cancelled at the period's end; the ledger and the owner's
figures follow the money."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from coworking_app.services.booking import checkin
from coworking_app.services.finance import ledger
from coworking_app.services.plans import purchases
from coworking_app.uow import run_use_case
from models import Booking, Notification, Payment, PlanPurchase, Refund, Resource, Space, Tariff
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable
from tests.uow_helpers import transaction


def _ok(response, code: int = 200):
    assert response.status_code == code, response.text
    return response.json()


@pytest.fixture()
def space():
    bookable = make_bookable(desk_capacity=3)
    with transaction() as s:
        desks = [Resource(space_id=bookable.space_id, kind="fixed_desk", name=f"Стол {n}", capacity=1,
                          min_minutes=60, max_minutes=60 * 24 * 62) for n in (1, 2)]
        s.add_all(desks)
        s.flush()
        for desk in desks:
            s.add(Tariff(resource_id=desk.id, unit="day", price_minor=150000))
        bookable.fixed_ids = [d.id for d in desks]
    return bookable


def _plan(client, space, **fields) -> dict:
    owner = headers_for(space.owner_id)
    return _ok(client.post(f"{API}/spaces/{space.space_id}/plans", headers=owner, json=fields), 201)


def _buy(client, auth, plan_id: int, **extra) -> dict:
    bought = _ok(client.post(f"{API}/plans/purchases", headers=auth, json={"plan_id": plan_id, **extra}), 201)
    paid = _ok(client.post(f"{API}/payments/test/{bought['payment_id']}/complete", headers=auth,
                           json={"outcome": "succeeded"}))
    assert paid["status"] == "succeeded"
    return bought


def _mine(client, auth, purchase_id: int) -> dict:
    return next(p for p in _ok(client.get(f"{API}/plans/purchases", headers=auth)) if p["id"] == purchase_id)


def test_a_day_pass_pack_pays_for_desk_days_and_gives_them_back_on_cancellation(client, space):
    plan = _plan(client, space, kind="day_pass", name="10 дней", price_minor=1_500_000, days=10, validity_days=60,
                 resource_ids=[space.desk_id], max_active_bookings=2)
    assert plan["terms"][0] == "10 дней в течение 60 дней" and plan["price"] == "15\xa0000 ₽"
    listed = _ok(client.get(f"{API}/spaces/{space.space_id}/plans"))  # anyone may read them
    assert [p["id"] for p in listed] == [plan["id"]]

    _renter_id, renter = signed_in()
    bought = _buy(client, renter, plan["id"])
    mine = _mine(client, renter, bought["purchase_id"])
    assert (mine["status"], mine["left"]) == ("active", "осталось 10 дней из 10")
    assert mine["history"][0]["text"] == "Начислено: 10 дней"
    # The receipt: its buyer's alone, the plan, its period and the money.
    r = client.get(f"{API}/plans/purchases/{bought['purchase_id']}/receipt.pdf", headers=renter)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    assert f"Абонемент № {bought['purchase_id']}: «10 дней» (пакет дней)" in text
    assert "15 000.00 RUB" in text and "тестовая оплата" in text
    _stranger_id, stranger = signed_in()
    assert client.get(f"{API}/plans/purchases/{bought['purchase_id']}/receipt.pdf",
                      headers=stranger).status_code == 404

    day = in_days(3)
    start, end = local(day, 0), local(day + timedelta(days=2), 0)  # two whole days
    quote = _ok(client.post(f"{API}/bookings/quote", headers=renter,
                            json=body(space.desk_id, start, end, plan_id=bought["purchase_id"])))
    assert quote["total"] == 0 and quote["breakdown"]["plan"] == "10 дней"
    assert quote["breakdown"]["lines"][1] == {"label": "Абонемент «10 дней»: 2 дня", "amount": -400000}

    booking = _ok(client.post(f"{API}/bookings", headers=renter, json=body(
        space.desk_id, start, end, plan_id=bought["purchase_id"], addons=[{"code": "monitor"}])), 201)
    assert booking["price"]["total"] == 50000  # the plan pays the desk, the monitor is paid as usual
    assert _mine(client, renter, bought["purchase_id"])["left"] == "осталось 8 дней из 10"

    # Beyond the plan: 9 days asked, 8 left: the usual price, and why.
    long_end = local(day + timedelta(days=9), 0)
    over = _ok(client.post(f"{API}/bookings/quote", headers=renter, json=body(
        space.desk_id, local(day + timedelta(days=2), 0), long_end + timedelta(days=2),
        plan_id=bought["purchase_id"])))
    assert over["breakdown"]["plan_covered"] == 0 and over["total"] > 0
    assert over["breakdown"]["plan_note"] == "на абонементе осталось 8 дней, а нужно 9"

    # The meeting room is not in the plan.
    room = _ok(client.post(f"{API}/bookings/quote", headers=renter, json=body(
        space.room_id, local(day, 10), local(day, 11), plan_id=bought["purchase_id"])))
    assert room["breakdown"]["plan_note"] == "абонемент «10 дней» не распространяется на «Переговорная «Альфа»»"

    # Cancelling before the start gives the days back (the monitor is refunded by the policy).
    _ok(client.post(f"{API}/bookings/{booking['id']}/pay", headers=renter))
    cancelled = _ok(client.post(f"{API}/bookings/{booking['id']}/cancel", headers=renter, json={}))
    assert cancelled["status"] == "cancelled"
    mine = _mine(client, renter, bought["purchase_id"])
    assert mine["left"] == "осталось 10 дней из 10"
    assert mine["history"][0]["text"] == f"Бронь № {booking['id']} отменена: возвращено 2 дня"

    # Someone else's purchase is nobody else's to use.
    _other_id, other = signed_in()
    r = client.post(f"{API}/bookings/quote", headers=other, json=body(space.desk_id, start, end,
                                                                      plan_id=bought["purchase_id"]))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "plan_id"


def test_a_credits_pack_takes_meeting_room_hours_and_limits_bookings_at_once(client, space):
    plan = _plan(client, space, kind="credits", name="5 часов переговорных", price_minor=500_000, credit_hours=5,
                 validity_days=30, resource_ids=[space.room_id])
    _renter_id, renter = signed_in()
    bought = _buy(client, renter, plan["id"])
    day = in_days(2)
    first = _ok(client.post(f"{API}/bookings", headers=renter, json=body(
        space.room_id, local(day, 10), local(day, 12), plan_id=bought["purchase_id"])), 201)
    assert first["status"] == "confirmed" and first["price"]["total"] == 0  # nothing to pay: paid at once
    assert _mine(client, renter, bought["purchase_id"])["left"] == "переговорные: 3 ч из 5 ч"
    # One booking at once (max_active_bookings 1): the next one costs as usual.
    second = _ok(client.post(f"{API}/bookings/quote", headers=renter, json=body(
        space.room_id, local(day, 14), local(day, 15), plan_id=bought["purchase_id"])))
    assert second["breakdown"]["plan_note"] == "по абонементу можно держать не больше 1 брони сразу"
    assert second["total"] == 150000


def test_a_fixed_desk_membership_holds_its_desk_for_the_month_and_renews(client, space):
    plan = _plan(client, space, kind="membership", membership_type="fixed_desk", name="Закреплённый стол",
                 price_minor=2_000_000, credit_hours=4, resource_ids=space.fixed_ids)
    renter_id, renter = signed_in()
    r = client.post(f"{API}/plans/purchases", headers=renter, json={"plan_id": plan["id"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "resource_id"
    bought = _buy(client, renter, plan["id"], resource_id=space.fixed_ids[0])
    mine = _mine(client, renter, bought["purchase_id"])
    assert (mine["held"], mine["left"]) == ("Стол 1", "переговорные: 4 ч из 4 ч")

    # Nobody else can book that desk this month, the other desk stays free.
    _other_id, other = signed_in()
    day = in_days(5)
    r = client.post(f"{API}/bookings", headers=other, json=body(space.fixed_ids[0], local(day, 10), local(day, 12)))
    assert r.status_code == 409
    assert client.post(f"{API}/bookings", headers=other,
                       json=body(space.fixed_ids[1], local(day, 0), local(day + timedelta(days=1), 0))).status_code == 201
    # ... nor buy the same desk.
    r = client.post(f"{API}/plans/purchases", headers=other, json={"plan_id": plan["id"],
                                                                   "resource_id": space.fixed_ids[0]})
    assert r.status_code == 409 and r.json()["detail"][0]["loc"][-1] == "resource_id"
    # The member's hold is theirs, confirmed, and cannot be cancelled like a booking.
    with transaction() as s:
        purchase = s.get(PlanPurchase, bought["purchase_id"])
        hold = s.get(Booking, purchase.hold_booking_id)
        assert (hold.status, hold.user_id, hold.total_minor) == ("confirmed", renter_id, 0)
        ends_at = purchase.ends_at
    r = client.post(f"{API}/bookings/{hold.id}/cancel", headers=renter, json={})
    assert r.status_code == 409 and "абонементом" in r.text
    # Nor released as a no-show: the desk is the member's whether they come or not.
    r = client.post(f"{API}/bookings/{hold.id}/no-show", headers=headers_for(space.owner_id))
    assert r.status_code == 409 and "абонементом" in r.text
    with transaction() as s:
        s.get(Space, space.space_id).no_show_release = True
    run_use_case(lambda s, fx: checkin.do_release_no_shows(s, fx, now=hold.start_at + timedelta(hours=3)))
    with transaction() as s:
        assert s.get(Booking, hold.id).status == "confirmed"
    # Meeting-room hours of the membership pay for a room.
    room = _ok(client.post(f"{API}/bookings/quote", headers=renter, json=body(
        space.room_id, local(day, 10), local(day, 11), plan_id=bought["purchase_id"])))
    assert room["total"] == 0 and room["breakdown"]["plan_covered"] == 150000

    # Three days before the month ends: the next month waits for its payment, the desk held.
    at = ends_at - timedelta(days=2)
    assert run_use_case(lambda s, fx: purchases.do_issue_renewals(s, fx, now=at)) >= 1
    assert run_use_case(lambda s, fx: purchases.do_issue_renewals(s, fx, now=at)) == 0  # once
    mine = _mine(client, renter, bought["purchase_id"])
    assert mine["renewal"].startswith("Следующий месяц (") and mine["payable_id"]
    with transaction() as s:
        nxt = s.scalars(select(PlanPurchase).where(PlanPurchase.previous_id == bought["purchase_id"])).one()
        assert nxt.starts_at == ends_at and nxt.status == "pending_payment"
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == renter_id, Notification.type == "plan_renewal_due")) >= 1
    r = client.post(f"{API}/bookings", headers=other, json=body(
        space.fixed_ids[0], local((ends_at + timedelta(days=3)).date(), 10), local((ends_at + timedelta(days=3)).date(), 12)))
    assert r.status_code == 409  # next month's desk is held while its payment is awaited
    payment = _ok(client.post(f"{API}/plans/purchases/{mine['payable_id']}/pay", headers=renter))
    _ok(client.post(f"{API}/payments/test/{payment['payment_id']}/complete", headers=renter,
                    json={"outcome": "succeeded"}))
    assert _mine(client, renter, bought["purchase_id"])["renewal"].startswith("Следующий месяц оплачен")

    # Cancelling the renewal of the new month: it runs to its end, then ends.
    r = _ok(client.post(f"{API}/plans/purchases/{nxt.id}/cancel-renewal", headers=renter))
    assert r == {"id": nxt.id, "renews": False}
    assert client.post(f"{API}/plans/purchases/{nxt.id}/cancel-renewal", headers=renter).status_code == 409
    with transaction() as s:
        last_end = s.get(PlanPurchase, nxt.id).ends_at
    assert run_use_case(lambda s, fx: purchases.do_issue_renewals(s, fx, now=last_end - timedelta(days=1))) == 0
    run_use_case(lambda s, fx: purchases.do_end_periods(s, fx, now=last_end + timedelta(minutes=1)))
    with transaction() as s:
        assert [s.get(PlanPurchase, i).status for i in (bought["purchase_id"], nxt.id)] == ["ended", "ended"]


def test_an_unpaid_renewal_lapses_and_a_late_payment_goes_back_in_full(client, space):
    plan = _plan(client, space, kind="membership", membership_type="hot_desk", name="Свободный стол",
                 price_minor=1_200_000, resource_ids=[space.desk_id])
    renter_id, renter = signed_in()
    bought = _buy(client, renter, plan["id"])
    assert _mine(client, renter, bought["purchase_id"])["left"] == "рабочее место без ограничений"
    with transaction() as s:
        ends_at = s.get(PlanPurchase, bought["purchase_id"]).ends_at
    run_use_case(lambda s, fx: purchases.do_issue_renewals(s, fx, now=ends_at - timedelta(days=1)))
    payable = _mine(client, renter, bought["purchase_id"])["payable_id"]
    payment = _ok(client.post(f"{API}/plans/purchases/{payable}/pay", headers=renter))
    # Not paid within the grace: given up, the month ended.
    run_use_case(lambda s, fx: purchases.do_end_periods(s, fx, now=ends_at + purchases.RENEW_GRACE + timedelta(minutes=1)))
    with transaction() as s:
        assert s.get(PlanPurchase, payable).status == "cancelled"
        assert s.get(PlanPurchase, bought["purchase_id"]).status == "ended"
        assert s.get(Payment, payment["payment_id"]).status == "failed"  # its checkout closed
    r = client.post(f"{API}/plans/purchases/{payable}/pay", headers=renter)
    assert r.status_code == 409 and "срок оплаты" in r.text
    # The money arrives anyway (a checkout paid just before it closed): refunded in full.
    from coworking_app.services.payments.payments import do_payment_succeeded

    def late(s, fx):
        row = s.get(Payment, payment["payment_id"], with_for_update=True)
        do_payment_succeeded(s, fx, row, provider_payment_id="test_pi_late")
    run_use_case(late)
    with transaction() as s:
        refunds = s.scalars(select(Refund).where(Refund.payment_id == payment["payment_id"])).all()
        assert [r.amount_minor for r in refunds] == [1_200_000]
        cash = ledger.balance(s, ledger.cash("test", "RUB"))
        held = s.scalar(select(func.sum(Payment.amount_minor - Payment.refunded_minor)).where(
            Payment.provider == "test", Payment.status == "succeeded"))
        assert cash == held  # the provider's cash still matches our payments
        assert ledger.ledger_check(s).balanced


def test_who_may_manage_and_see_plans(client, space):
    owner = headers_for(space.owner_id)
    _renter_id, renter = signed_in()
    good = {"kind": "day_pass", "name": "Пять дней", "price_minor": 700_000, "days": 5, "validity_days": 30,
            "resource_ids": [space.desk_id]}
    r = client.post(f"{API}/spaces/{space.space_id}/plans", headers=renter, json=good)
    assert r.status_code == 403
    other_space = make_bookable()
    r = client.post(f"{API}/spaces/{other_space.space_id}/plans", headers=owner, json=good)
    assert r.status_code == 404
    for bad, field in (({**good, "days": 40}, "days"), ({**good, "resource_ids": [space.room_id]}, "resource_ids"),
                       ({**good, "resource_ids": [other_space.desk_id]}, "resource_ids"),
                       ({**good, "kind": "membership"}, "membership_type"), ({**good, "price_minor": 0}, "price_minor")):
        r = client.post(f"{API}/spaces/{space.space_id}/plans", headers=owner, json=bad)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == field, (bad, r.text)
    plan = _plan(client, space, **good)
    off = _ok(client.put(f"{API}/spaces/{space.space_id}/plans/{plan['id']}", headers=owner, json={**good, "active": False}))
    assert off["active"] is False
    assert _ok(client.get(f"{API}/spaces/{space.space_id}/plans")) == []
    assert [p["id"] for p in _ok(client.get(f"{API}/owner/spaces/{space.space_id}/plans", headers=owner))] == [plan["id"]]
    assert client.post(f"{API}/plans/purchases", headers=renter, json={"plan_id": plan["id"]}).status_code == 404
    _ok(client.put(f"{API}/spaces/{space.space_id}/plans/{plan['id']}", headers=owner, json=good))
    bought = _buy(client, renter, plan["id"])
    # The purchase is its buyer's alone.
    _other_id, other = signed_in()
    assert client.post(f"{API}/plans/purchases/{bought['purchase_id']}/pay", headers=other).status_code == 404
    assert client.post(f"{API}/plans/purchases/{bought['purchase_id']}/cancel-renewal", headers=other).status_code == 404
    assert client.get(f"{API}/plans/purchases", headers=other).json() == []
    # The owner's figures: one member, one sale, its money.
    figures = {f["plan_id"]: f for f in _ok(client.get(f"{API}/owner/plans/figures", headers=owner))}
    assert (figures[plan["id"]]["members"], figures[plan["id"]]["sold"], figures[plan["id"]]["revenue"]) == (1, 1, "7\xa0000 ₽")
    assert client.get(f"{API}/owner/plans/figures", headers=renter).status_code == 403
    with transaction() as s:
        owner_share = ledger.balance(s, ledger.owner_payable(space.owner_id, "RUB"))
        assert 0 < -owner_share < 700_000  # the owner's share, the commission kept apart


def test_two_bookings_racing_for_the_last_day_of_a_pack_take_it_once(client, space):
    """The purchase is locked while a booking takes from it: of eight bookings at once on a
    pack with one day left (different desks' days, so seats never decide), exactly one is paid
    by the plan and the others cost as usual; the pack ends at 0, never below."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from coworking_app.services.booking import bookings as svc
    from models import User

    plan = _plan(client, space, kind="day_pass", name="Один день", price_minor=200_000, days=1, validity_days=30,
                 resource_ids=[space.desk_id], max_active_bookings=10)
    renter_id, renter = signed_in()
    bought = _buy(client, renter, plan["id"])
    barrier = threading.Barrier(8, timeout=30)

    def book(n: int) -> int:
        day = in_days(2 + n)
        request = svc.BookingRequest(resource_id=space.desk_id, start=local(day, 0),
                                     end=local(day + timedelta(days=1), 0), plan_id=bought["purchase_id"])
        barrier.wait()
        return run_use_case(lambda s, fx: svc.do_create_booking(s, fx, s.get(User, renter_id), request).total_minor)

    with ThreadPoolExecutor(max_workers=8) as pool:
        totals = list(pool.map(book, range(8)))
    assert sorted(totals) == [0] + [200_000] * 7
    with transaction() as s:
        purchase = s.get(PlanPurchase, bought["purchase_id"])
        assert purchase.days_left == 0
        assert s.scalar(select(func.count()).select_from(Booking).where(
            Booking.plan_purchase_id == purchase.id)) == 1
