"""Recurring bookings: a 52-week series across both DST changes keeps its local time; a
series with conflicts (a taken week, a closed day) books the rest and reports each; the rule's
refusals; the whole series paid with one checkout (the test provider and Stripe through the
real library), the ledger per booking; cancelling all future occurrences or a date range under
the policy; moving all future ones to another time; nobody else's series."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from coworking_app.services.finance import ledger
from models import Booking, BookingSeries, Payment, Resource, SpaceClosure
from tests.booking_auth import signed_in
from tests.booking_helpers import API, make_bookable
from tests.services.payments.test_payments_stripe import SESSIONS, deliver, event, fake  # noqa: F401
from tests.uow_helpers import transaction

BERLIN = ZoneInfo("Europe/Berlin")  # a zone that changes its clocks (Moscow does not)


def _ok(response, code: int = 200):
    assert response.status_code == code, response.text
    return response.json()


def _next(weekday: int) -> date:
    """The next such weekday, 1 to 7 days ahead (a year of weeks from it stays within the
    365-day booking horizon)."""
    today = datetime.now(BERLIN).date()
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _series(client, auth, resource_id: int, day: date, rule: str, *, start: int = 10, end: int = 12, seats: int = 1):
    begins = datetime(day.year, day.month, day.day, start, tzinfo=BERLIN)
    return client.post(f"{API}/bookings/series", headers=auth, json={
        "resource_id": resource_id, "start": begins.isoformat(),
        "end": (begins + timedelta(hours=end - start)).isoformat(), "seats": seats, "rrule": rule})


@pytest.fixture()
def berlin():
    space = make_bookable(timezone="Europe/Berlin")
    with transaction() as s:  # a room long enough for a year of Tuesdays
        room = s.get(Resource, space.room_id)
        room.max_minutes = 8 * 60
    return space


def test_a_52_week_series_keeps_its_local_time_across_dst(client, berlin):
    _renter_id, renter = signed_in()
    created = _ok(_series(client, renter, berlin.room_id, _next(1), "FREQ=WEEKLY;BYDAY=TU;COUNT=52"), 201)
    assert len(created["bookings"]) == 52 and created["conflicts"] == []
    with transaction() as s:
        rows = s.scalars(select(Booking).where(Booking.series_id == created["series_id"]).order_by(Booking.start_at)).all()
        local = [(b.start_at.astimezone(BERLIN), b.end_at.astimezone(BERLIN)) for b in rows]
        offsets = {b.start_at.astimezone(BERLIN).utcoffset() for b in rows}
    assert {(a.hour, a.minute, b.hour, b.minute, a.weekday()) for a, b in local} == {(10, 0, 12, 0, 1)}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}  # winter and summer time both crossed
    assert [b - a for a, b in zip([x for x, _ in local], [x for x, _ in local][1:])] \
        == [timedelta(days=7)] * 51  # a week apart in local days, whatever the UTC gap
    # ... and the rule's limit.
    r = _series(client, renter, berlin.room_id, _next(2), "FREQ=WEEKLY;COUNT=53")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "rrule"


def test_a_series_with_conflicts_books_the_rest_and_says_why(client, berlin):
    first = _next(3)  # a Thursday
    _holder_id, holder = signed_in()
    taken = datetime(first.year, first.month, first.day, 10, tzinfo=BERLIN) + timedelta(days=14)
    _ok(client.post(f"{API}/bookings", headers=holder, json={
        "resource_id": berlin.room_id, "start": taken.isoformat(), "end": (taken + timedelta(hours=2)).isoformat(),
        "seats": 1}), 201)
    closed = first + timedelta(days=28)
    with transaction() as s:
        s.add(SpaceClosure(space_id=berlin.space_id, first_day=closed, last_day=closed, reason="Санитарный день"))
    _renter_id, renter = signed_in()
    created = _ok(_series(client, renter, berlin.room_id, first, "FREQ=WEEKLY;COUNT=6"), 201)
    assert len(created["bookings"]) == 4
    reasons = {datetime.fromisoformat(c["start"]).astimezone(BERLIN).date(): c["reason"] for c in created["conflicts"]}
    assert set(reasons) == {taken.date(), closed}
    assert "мест нет" in reasons[taken.date()] and "Санитарный день" in reasons[closed]
    view = _ok(client.get(f"{API}/bookings/series/{created['series_id']}", headers=renter))
    assert len(view["conflicts"]) == 2 and len(view["bookings"]) == 4
    # Nothing fits: nothing is written.
    before = _count_series()
    r = _series(client, renter, berlin.room_id, taken.date(), "FREQ=DAILY;COUNT=1")
    assert r.status_code == 409 and r.json()["detail"][0]["loc"][-1] == "rrule"
    assert _count_series() == before


def test_a_person_holds_at_most_two_unpaid_series(client, berlin):
    """Held dates not paid are someone else's lost chance: two unpaid series at once, then
    pay or cancel first (409 on `rrule`, nothing written)."""
    _renter_id, renter = signed_in()
    for weekday in (0, 2):
        _ok(_series(client, renter, berlin.room_id, _next(weekday), "FREQ=WEEKLY;COUNT=2"), 201)
    before = _count_series()
    r = _series(client, renter, berlin.room_id, _next(4), "FREQ=WEEKLY;COUNT=2")
    assert r.status_code == 409 and "неоплаченные серии" in r.json()["detail"][0]["msg"]
    assert r.json()["detail"][0]["loc"][-1] == "rrule" and _count_series() == before
    _other_id, other = signed_in()  # somebody else is not held back
    _ok(_series(client, other, berlin.room_id, _next(4), "FREQ=WEEKLY;COUNT=2"), 201)


def _count_series() -> int:
    with transaction() as s:
        return s.scalar(select(func.count()).select_from(BookingSeries))


@pytest.mark.parametrize("rule, words", [
    ("FREQ=WEEKLY", "COUNT"), ("FREQ=HOURLY;COUNT=3", "каждый день, неделю или месяц"),
    ("FREQ=WEEKLY;COUNT=3;BYHOUR=9", "BYHOUR"), ("bananas=1;COUNT=2", "каждый день, неделю или месяц"), ("FREQ=WEEKLY;COUNT=x", "не распознано"),
])
def test_rules_we_refuse(client, berlin, rule, words):
    _renter_id, renter = signed_in()
    r = _series(client, renter, berlin.room_id, _next(1), rule)
    assert r.status_code == 422 and words in r.json()["detail"][0]["msg"], r.text


def test_the_series_is_paid_with_one_checkout_and_cancelled_by_range_then_all(client, berlin):
    renter_id, renter = signed_in()
    created = _ok(_series(client, renter, berlin.room_id, _next(4), "FREQ=WEEKLY;COUNT=4"), 201)
    series_id = created["series_id"]
    paid = _ok(client.post(f"{API}/bookings/series/{series_id}/pay", headers=renter))
    assert paid["amount"] == sum(b["total_minor"] for b in created["bookings"]) == 4 * 300000
    again = _ok(client.post(f"{API}/bookings/series/{series_id}/pay", headers=renter))
    assert again["payment_id"] == paid["payment_id"]  # the same checkout within 25 minutes
    assert paid["payment_url"] == f"/checkout/series/{paid['payment_id']}"
    _stranger_id, stranger = signed_in()
    assert client.post(f"{API}/bookings/series/{series_id}/pay", headers=stranger).status_code == 404
    assert client.get(f"{API}/bookings/series/{series_id}", headers=stranger).status_code == 404
    _ok(client.post(f"{API}/payments/test/{paid['payment_id']}/complete", headers=renter, json={"outcome": "succeeded"}))
    view = _ok(client.get(f"{API}/bookings/series/{series_id}", headers=renter))
    assert {b["status"] for b in view["bookings"]} == {"confirmed"} and view["to_pay_minor"] == 0
    with transaction() as s:
        rows = s.scalars(select(Payment).join(Booking, Booking.id == Payment.booking_id)
                         .where(Booking.series_id == series_id)).all()
        assert len(rows) == 4 and {p.status for p in rows} == {"succeeded"}
        assert len({p.provider_session_id for p in rows}) == 1
        assert ledger.ledger_check(s).balanced

    # A date range: the second and third weeks (flexible policy, weeks ahead: full refunds).
    days = [datetime.fromisoformat(b["start"]).astimezone(BERLIN).date() for b in view["bookings"]]
    out = _ok(client.post(f"{API}/bookings/series/{series_id}/cancel", headers=renter,
                          json={"date_from": days[1].isoformat(), "date_to": days[2].isoformat()}))
    assert len(out["cancelled"]) == 2 and out["refunded_minor"] == 2 * 300000
    # Then all future ones: the last two left... one, the first and the fourth.
    out = _ok(client.post(f"{API}/bookings/series/{series_id}/cancel", headers=renter, json={}))
    assert len(out["cancelled"]) == 2
    r = client.post(f"{API}/bookings/series/{series_id}/cancel", headers=renter, json={})
    assert r.status_code == 409
    with transaction() as s:
        statuses = s.scalars(select(Booking.status).where(Booking.series_id == series_id)).all()
        assert set(statuses) == {"cancelled"}
        refunds = s.scalar(select(func.sum(Payment.refunded_minor)).join(Booking, Booking.id == Payment.booking_id)
                           .where(Booking.series_id == series_id))
        assert refunds == 4 * 300000


def test_moving_all_future_occurrences_to_another_time(client, berlin):
    _renter_id, renter = signed_in()
    created = _ok(_series(client, renter, berlin.room_id, _next(0), "FREQ=WEEKLY;COUNT=3"), 201)
    series_id = created["series_id"]
    third = datetime.fromisoformat(created["bookings"][2]["start"]).astimezone(BERLIN)
    _other_id, other = signed_in()
    blocker = third.replace(hour=15)
    _ok(client.post(f"{API}/bookings", headers=other, json={
        "resource_id": berlin.room_id, "start": blocker.isoformat(), "end": (blocker + timedelta(hours=1)).isoformat(),
        "seats": 1}), 201)
    moved = _ok(client.post(f"{API}/bookings/series/{series_id}/reschedule", headers=renter,
                            json={"start_time": "14:00", "end_time": "16:00"}))
    assert len(moved["changed"]) == 2 and len(moved["conflicts"]) == 1
    assert "мест нет" in moved["conflicts"][0]["reason"]
    view = _ok(client.get(f"{API}/bookings/series/{series_id}", headers=renter))
    hours = [datetime.fromisoformat(b["start"]).astimezone(BERLIN).hour for b in view["bookings"]]
    assert hours == [14, 14, 10]
    r = client.post(f"{API}/bookings/series/{series_id}/reschedule", headers=renter,
                    json={"start_time": "16:00", "end_time": "15:00"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "end_time"


def test_a_series_paid_with_stripe_is_one_checkout_session(client, fake, berlin):  # noqa: F811
    _renter_id, renter = signed_in()
    created = _ok(_series(client, renter, berlin.room_id, _next(2), "FREQ=WEEKLY;COUNT=3"), 201)
    paid = _ok(client.post(f"{API}/bookings/series/{created['series_id']}/pay", headers=renter))
    sessions = [c for c in fake.calls(SESSIONS) if c.status == 200]
    assert len(sessions) == 1
    assert sessions[0].params["line_items"][0]["price_data"]["unit_amount"] == str(3 * 300000)
    assert paid["amount"] == 3 * 300000
    session = fake.pay(sessions[0].response["id"])
    assert _ok(deliver(client, event("checkout.session.completed", session)))["result"] == "paid"
    view = _ok(client.get(f"{API}/bookings/series/{created['series_id']}", headers=renter))
    assert {b["status"] for b in view["bookings"]} == {"confirmed"}
    # One occurrence cancelled alone: its part goes back through the shared payment.
    first = view["bookings"][0]["id"]
    cancelled = _ok(client.post(f"{API}/bookings/{first}/cancel", headers=renter, json={}))
    assert cancelled["status"] == "cancelled"
    refunds = [c for c in fake.calls("/v1/refunds") if c.status == 200]
    assert [(r.params["payment_intent"], r.params["amount"]) for r in refunds] == [
        (session["payment_intent"], "300000")]
    with transaction() as s:
        cash = ledger.balance(s, ledger.cash("stripe", "EUR")) + ledger.balance(s, ledger.cash("stripe", "RUB"))
        held = s.scalar(select(func.sum(Payment.amount_minor - Payment.refunded_minor)).where(
            Payment.provider == "stripe", Payment.status == "succeeded"))
        assert cash == held

