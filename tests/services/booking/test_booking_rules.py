"""Booking rules as an API client sees them: interval validation, DST, the state machine,
cancellation refunds, modifications, promo codes, VAT and the search availability filter.
Real PostgreSQL and Redis; the built-in test payment provider."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from coworking_app.db import get_engine
from coworking_app.services.booking import bookings as svc
from coworking_app.services.booking.booking_states import TRANSITIONS, check_transition
from coworking_app.services.common.errors import Conflict
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import Booking, BookingStatus, Refund, User
from tests.booking_helpers import (
    API,
    body,
    in_days,
    local,
    make_bookable,
    make_promo,
    pay_test,
)
from tests.booking_auth import headers_for, signed_in
from tests.uow_helpers import transaction

ALL_DAY = {d: {"open": "00:00", "close": "24:00"}
           for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


# --- helpers -----------------------------------------------------------------------------


@pytest.fixture()
def renter(client):
    """renter() -> (user id, auth headers) of a fresh signed-in account."""
    return signed_in


@pytest.fixture()
def owner_auth(client):
    def make(b):
        return headers_for(b.owner_id)

    return make


def _fields(response) -> list[str]:
    return [item["loc"][-1] for item in response.json()["detail"]]


def _count(space_id: int) -> int:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM booking WHERE space_id = :s"),
                            {"s": space_id}).scalar_one()


def _row(booking_id: int) -> Booking:
    with transaction() as s:
        return s.get(Booking, booking_id)


def _refunds(booking_id: int) -> list[int]:
    with transaction() as s:
        return list(s.scalars(select(Refund.amount_minor).where(Refund.booking_id == booking_id)
                              .order_by(Refund.id)))


def _events(booking_id: int):
    with transaction() as s:
        return svc.list_events(s, s.get(Booking, booking_id))


def _create(client, auth, payload: dict) -> dict:
    r = client.post(f"{API}/bookings", headers=auth, json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def _paid(client, auth, payload: dict) -> dict:
    created = _create(client, auth, payload)
    pay_test(client, auth, created["id"])
    return created


def _get(client, auth, booking_id: int) -> dict:
    r = client.get(f"{API}/bookings/{booking_id}", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


# --- interval validation -----------------------------------------------------------------


def test_bad_requests_name_the_field_and_change_nothing(client, renter):
    b = make_bookable()
    _uid, auth = renter()
    day, yesterday = in_days(2), in_days(-1)
    naive = {"resource_id": b.desk_id, "start": f"{day.isoformat()}T10:00:00",
             "end": local(day, 12).isoformat(), "seats": 1}
    cases = [
        ("end before start", body(b.desk_id, local(day, 12), local(day, 10)), "end"),
        ("start in the past", body(b.desk_id, local(yesterday, 10), local(yesterday, 12)), "start"),
        ("before opening", body(b.desk_id, local(day, 7), local(day, 9)), "start"),
        ("after closing", body(b.desk_id, local(day, 21), local(day, 23)), "end"),
        ("start off the grid", body(b.desk_id, local(day, 10, 15), local(day, 12)), "start"),
        ("end off the grid", body(b.desk_id, local(day, 10), local(day, 11, 40)), "end"),
        ("more seats than capacity", body(b.desk_id, local(day, 10), local(day, 12), seats=11), "seats"),
        ("zero seats", body(b.desk_id, local(day, 10), local(day, 12), seats=0), "seats"),
        ("under the minimum", body(b.desk_id, local(day, 10), local(day, 10, 30)), "end"),
        ("over the maximum", body(b.room_id, local(day, 9), local(day, 18)), "end"),
        ("naive datetime", naive, "start"),
        ("beyond the horizon", body(b.desk_id, local(in_days(400), 10), local(in_days(400), 12)), "start"),
    ]
    before = _count(b.space_id)
    for label, payload, field in cases:
        r = client.post(f"{API}/bookings", headers=auth, json=payload)
        assert r.status_code == 422, (label, r.text)
        assert field in _fields(r), (label, r.text)
    r = client.post(f"{API}/bookings", headers=auth,
                    json=body(2**31 - 1, local(day, 10), local(day, 12)))
    assert r.status_code == 404, r.text
    r = client.post(f"{API}/bookings", json=body(b.desk_id, local(day, 10), local(day, 12)))
    assert r.status_code == 401, r.text
    assert _count(b.space_id) == before == 0

    # 8 of 10 seats taken: asking for 3 says how many are left.
    _other, other_auth = renter()
    _create(client, other_auth, body(b.desk_id, local(day, 10), local(day, 12), seats=8))
    before = _count(b.space_id)
    r = client.post(f"{API}/bookings", headers=auth,
                    json=body(b.desk_id, local(day, 11), local(day, 13), seats=3))
    assert r.status_code == 409, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"][-1] == "seats" and "осталось мест: 2" in detail["msg"]
    # The quote says the same without holding anything.
    r = client.post(f"{API}/bookings/quote", headers=auth,
                    json=body(b.desk_id, local(day, 11), local(day, 13), seats=3))
    assert r.status_code == 409 and "2" in r.json()["detail"][0]["msg"]
    assert _count(b.space_id) == before
    # Two seats do fit.
    _create(client, auth, body(b.desk_id, local(day, 11), local(day, 13), seats=2))
    assert _count(b.space_id) == before + 1


# --- daylight saving time ------------------------------------------------------------------


def _next_transitions(tz: str) -> tuple[date, date]:
    """The next local dates on which the clocks go forward and back."""
    zone = ZoneInfo(tz)
    today = datetime.now(zone).date()
    forward = back = None
    for n in range(1, 400):
        day = today + timedelta(days=n)
        before = datetime.combine(day, time(0), zone).utcoffset()
        after = datetime.combine(day + timedelta(days=1), time(0), zone).utcoffset()
        if after > before and forward is None:
            forward = day
        if after < before and back is None:
            back = day
    return forward, back


@pytest.fixture()
def dst_days(monkeypatch):
    """(spring forward, fall back) in Europe/Berlin: 2027-03-28 and 2027-10-31 as of
    November 2026. Widens the booking horizon if the later one lies beyond it."""
    forward, back = _next_transitions("Europe/Berlin")
    assert forward.month == 3 and back.month == 10 and forward.weekday() == back.weekday() == 6
    needed = (max(forward, back) - datetime.now(timezone.utc).date()).days + 2
    if needed > get_settings().booking_horizon_days:
        monkeypatch.setenv("BOOKING_HORIZON_DAYS", str(needed))
        get_settings.cache_clear()
    assert (back - date.today()).days <= 365, "the availability API only shows a year ahead"
    yield forward, back
    monkeypatch.undo()
    get_settings.cache_clear()


def _slots(client, space_id: int, day: date, resource_id: int) -> list[tuple[datetime, int]]:
    r = client.get(f"{API}/spaces/{space_id}/availability",
                   params={"date": day.isoformat(), "resource_id": resource_id})
    assert r.status_code == 200, r.text
    (resource,) = r.json()["resources"]
    return [(datetime.fromisoformat(s["start"]), s["free_seats"]) for s in resource["slots"]]


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _offset(moment: datetime) -> str:
    return moment.isoformat()[-6:]


def test_dst_spring_forward_night_is_two_hours_short(client, renter, dst_days):
    forward, _back = dst_days
    tz = "Europe/Berlin"
    b = make_bookable(timezone=tz, hours=ALL_DAY)
    _uid, auth = renter()
    created = _create(client, auth, body(b.desk_id, local(forward, 1, tz=tz), local(forward, 4, tz=tz)))
    row = _row(created["id"])
    assert row.end_at - row.start_at == timedelta(hours=2)
    assert created["price"]["total"] == 2 * 30000
    assert created["price"]["breakdown"]["tariff_units"] == 4  # half hours
    view = _get(client, auth, created["id"])
    assert view["start"] == f"{forward.isoformat()}T01:00:00+01:00"
    assert view["end"] == f"{forward.isoformat()}T04:00:00+02:00"

    slots = _slots(client, b.space_id, forward, b.desk_id)
    clocks = [_clock(s) for s, _free in slots]
    assert len(slots) == 46  # 23 real hours
    assert "02:00" not in clocks and "02:30" not in clocks
    assert clocks[:6] == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    for start, free in slots:
        assert _offset(start) == ("+01:00" if start.hour < 2 else "+02:00")
        assert free == (9 if _clock(start) in ("01:00", "01:30", "03:00", "03:30") else 10)


def test_dst_fall_back_night_is_two_hours_long(client, renter, dst_days):
    _forward, back = dst_days
    tz = "Europe/Berlin"
    b = make_bookable(timezone=tz, hours=ALL_DAY)
    _uid, auth = renter()
    created = _create(client, auth, body(b.desk_id, local(back, 1, tz=tz), local(back, 4, tz=tz)))
    row = _row(created["id"])
    assert row.end_at - row.start_at == timedelta(hours=4)
    assert created["price"]["total"] == 4 * 30000
    view = _get(client, auth, created["id"])
    assert view["start"] == f"{back.isoformat()}T01:00:00+02:00"
    assert view["end"] == f"{back.isoformat()}T04:00:00+01:00"

    slots = _slots(client, b.space_id, back, b.desk_id)
    assert len(slots) == 50  # 25 real hours
    twos = [s for s, _free in slots if _clock(s) == "02:00"]
    assert [_offset(s) for s in twos] == ["+02:00", "+01:00"]
    assert twos[1] - twos[0] == timedelta(hours=1)
    busy = [_clock(s) for s, free in slots if free == 9]
    assert busy == ["01:00", "01:30", "02:00", "02:30", "02:00", "02:30", "03:00", "03:30"]


def test_no_dst_zone_is_always_three_hours(client, renter, dst_days):
    tz = "Asia/Novosibirsk"
    b = make_bookable(timezone=tz, hours=ALL_DAY)
    _uid, auth = renter()
    for day in dst_days:
        created = _create(client, auth, body(b.desk_id, local(day, 1, tz=tz), local(day, 4, tz=tz)))
        row = _row(created["id"])
        assert row.end_at - row.start_at == timedelta(hours=3)
        assert created["price"]["total"] == 3 * 30000
        view = _get(client, auth, created["id"])
        assert view["start"] == f"{day.isoformat()}T01:00:00+07:00"
        slots = _slots(client, b.space_id, day, b.desk_id)
        assert len(slots) == 48
        assert {_offset(s) for s, _free in slots} == {"+07:00"}


def test_any_input_offset_is_accepted_and_answered_in_local_time(client, renter, dst_days):
    forward, _back = dst_days
    tz = "Europe/Berlin"
    b = make_bookable(timezone=tz, hours=ALL_DAY)
    _uid, auth = renter()
    payload = {"resource_id": b.desk_id, "seats": 1,
               "start": f"{forward.isoformat()}T05:00:00Z", "end": f"{forward.isoformat()}T07:30:00Z"}
    created = _create(client, auth, payload)
    view = _get(client, auth, created["id"])
    assert view["start"] == f"{forward.isoformat()}T07:00:00+02:00"
    assert view["end"] == f"{forward.isoformat()}T09:30:00+02:00"
    assert view["timezone"] == tz
    # The same instants written with a Moscow offset name the same booking interval.
    moscow = {"resource_id": b.desk_id, "seats": 1,
              "start": f"{forward.isoformat()}T08:00:00+03:00", "end": f"{forward.isoformat()}T10:30:00+03:00"}
    again = _get(client, auth, _create(client, auth, moscow)["id"])
    assert (again["start"], again["end"]) == (view["start"], view["end"])
    # 23:15 UTC the day before is 00:15 local: off the 30-minute grid of the space.
    r = client.post(f"{API}/bookings", headers=auth, json={
        "resource_id": b.desk_id, "seats": 1,
        "start": f"{(forward - timedelta(days=1)).isoformat()}T23:15:00Z",
        "end": f"{forward.isoformat()}T01:00:00Z"})
    assert r.status_code == 422 and _fields(r) == ["start"]


# --- the state machine ----------------------------------------------------------------------

EXPECTED_TRANSITIONS = {
    ("pending_payment", "pay"): "paid",
    ("pending_payment", "expire"): "expired",
    ("pending_payment", "cancel"): "cancelled",
    ("paid", "confirm"): "confirmed",
    ("paid", "accept"): "confirmed",
    ("paid", "reject"): "cancelled",
    ("paid", "cancel"): "cancelled",
    ("confirmed", "cancel"): "cancelled",
    ("confirmed", "complete"): "completed",
    ("confirmed", "no_show"): "no_show",
    ("confirmed", "modify"): "paid",  # changed on an approval space: back to the owner
}
ACTIONS = ("pay", "expire", "cancel", "confirm", "accept", "reject", "complete", "no_show", "modify")


def test_transition_table_allows_exactly_the_listed_moves():
    assert {(str(s), a): str(t) for (s, a), t in TRANSITIONS.items()} == EXPECTED_TRANSITIONS
    for status in BookingStatus:
        for action in ACTIONS:
            booking = Booking(status=status.value)
            expected = EXPECTED_TRANSITIONS.get((status.value, action))
            if expected is None:
                with pytest.raises(Conflict) as info:
                    check_transition(booking, action)
                assert info.value.field == "status"
            else:
                assert check_transition(booking, action) == expected


def test_owner_decisions_through_the_api(client, renter, owner_auth):
    b = make_bookable(instant_book=False)
    renter_id, auth = renter()
    _stranger_id, stranger = renter("owner")  # owns no space of this booking
    owner = owner_auth(b)
    day = in_days(3)

    booking = _paid(client, auth, body(b.desk_id, local(day, 10), local(day, 12)))
    assert _get(client, auth, booking["id"])["status"] == "paid"  # waits for the owner
    assert "accept" in _get(client, owner, booking["id"])["actions"]
    assert client.post(f"{API}/bookings/{booking['id']}/accept", headers=auth).status_code == 404
    assert client.post(f"{API}/bookings/{booking['id']}/accept", headers=stranger).status_code == 404
    assert client.post(f"{API}/bookings/{booking['id']}/reject", headers=auth).status_code == 404
    r = client.post(f"{API}/bookings/{booking['id']}/no-show", headers=owner)
    assert r.status_code == 409, r.text
    r = client.post(f"{API}/bookings/{booking['id']}/accept", headers=owner)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert client.post(f"{API}/bookings/{booking['id']}/accept", headers=owner).status_code == 409
    r = client.post(f"{API}/bookings/{booking['id']}/no-show", headers=owner)
    assert r.status_code == 409 and _fields(r) == ["status"]  # not started yet
    events = _events(booking["id"])
    assert [(e.action, e.from_status, e.to_status, e.actor_role, e.actor_id) for e in events] == [
        ("create", None, "pending_payment", "renter", renter_id),
        ("pay", "pending_payment", "paid", "provider", None),
        ("accept", "paid", "confirmed", "owner", b.owner_id),
    ]
    assert all(e.created_at is not None for e in events)

    r = client.post(f"{API}/bookings/{booking['id']}/cancel", headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = client.post(f"{API}/bookings/{booking['id']}/cancel", headers=auth)
    assert r.status_code == 409, r.text
    last = _events(booking["id"])[-1]
    assert (last.action, last.to_status, last.actor_id) == ("cancel", "cancelled", renter_id)

    # Rejecting a paid booking refunds all of it.
    second = _paid(client, auth, body(b.desk_id, local(day, 14), local(day, 16)))
    r = client.post(f"{API}/bookings/{second['id']}/reject", headers=owner,
                    json={"reason": "закрыто на мероприятие"})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "cancelled", "refund": {"amount": 60000, "currency": "RUB"}}
    assert _refunds(second["id"]) == [60000]
    row = _row(second["id"])
    assert row.refunded_minor == row.paid_minor == 60000
    assert row.cancel_reason == "закрыто на мероприятие"
    last = _events(second["id"])[-1]
    assert (last.action, last.actor_role, last.actor_id, last.reason) == (
        "reject", "owner", b.owner_id, "закрыто на мероприятие")
    assert client.post(f"{API}/bookings/{second['id']}/accept", headers=owner).status_code == 409


def test_instant_book_confirms_on_payment(client, renter):
    b = make_bookable(instant_book=True)
    _uid, auth = renter()
    booking = _paid(client, auth, body(b.desk_id, local(in_days(3), 10), local(in_days(3), 12)))
    assert _get(client, auth, booking["id"])["status"] == "confirmed"
    assert [(e.action, e.actor_role) for e in _events(booking["id"])] == [
        ("create", "renter"), ("pay", "provider"), ("confirm", "system")]


# --- cancellation refunds ---------------------------------------------------------------------

TIERS = [
    ("flexible", 30, 100), ("flexible", 24, 100), ("flexible", 23.5, 50), ("flexible", 2, 50),
    ("flexible", 1.5, 0),
    ("moderate", 80, 100), ("moderate", 72, 100), ("moderate", 71, 50), ("moderate", 24, 50),
    ("moderate", 23, 0),
    ("strict", 200, 50), ("strict", 48, 50), ("strict", 47, 0),
]


def test_refund_follows_the_policy_tier(client, renter):
    spaces = {policy: make_bookable(policy=policy) for policy in ("flexible", "moderate", "strict")}
    renter_id, auth = renter()
    day = in_days(10)
    for policy, hours_before, percent in TIERS:
        b = spaces[policy]
        booking = _paid(client, auth, body(b.desk_id, local(day, 10), local(day, 12)))
        start = local(day, 10)
        cancelled, amount = run_use_case(lambda s, fx: svc.do_cancel_booking(
            s, fx, s.get(User, renter_id), booking["id"], now=start - timedelta(hours=hours_before)))
        assert cancelled.status == "cancelled"
        expected = 60000 * percent // 100
        assert amount == expected, (policy, hours_before)
        assert _refunds(booking["id"]) == ([expected] if expected else []), (policy, hours_before)
        row = _row(booking["id"])
        assert (row.paid_minor, row.refunded_minor) == (60000, expected)
        last = _events(booking["id"])[-1]
        assert last.action == "cancel" and last.data == {"refund": expected, "percent": percent}


def test_cancel_through_the_api_renter_and_owner(client, renter, owner_auth):
    b = make_bookable(policy="strict")
    _uid, auth = renter()
    owner = owner_auth(b)
    day = in_days(5)  # > 48 h ahead: strict gives back half
    booking = _paid(client, auth, body(b.desk_id, local(day, 10), local(day, 12)))
    assert _get(client, auth, booking["id"])["refund_if_cancelled_now"] == 30000
    r = client.post(f"{API}/bookings/{booking['id']}/cancel", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "cancelled", "refund": {"amount": 30000, "currency": "RUB"}}

    # The owner cancelling refunds everything, whatever the policy, and must say why.
    booking = _paid(client, auth, body(b.desk_id, local(in_days(1), 10), local(in_days(1), 12)))
    r = client.post(f"{API}/bookings/{booking['id']}/cancel", headers=owner)
    assert r.status_code == 422 and _fields(r) == ["reason"]
    r = client.post(f"{API}/bookings/{booking['id']}/cancel", headers=owner, json={"reason": "   "})
    assert r.status_code == 422 and _fields(r) == ["reason"]
    assert _get(client, auth, booking["id"])["status"] == "confirmed"
    r = client.post(f"{API}/bookings/{booking['id']}/cancel", headers=owner,
                    json={"reason": "авария водопровода"})
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "cancelled", "refund": {"amount": 60000, "currency": "RUB"}}
    assert _refunds(booking["id"]) == [60000]
    view = _get(client, auth, booking["id"])
    assert view["cancel_reason"] == "авария водопровода" and view["refunded"] == 60000
    last = _events(booking["id"])[-1]
    assert (last.actor_role, last.actor_id, last.reason) == ("owner", b.owner_id, "авария водопровода")

    # An unpaid hold cancels with nothing to refund.
    hold = _create(client, auth, body(b.desk_id, local(day, 14), local(day, 15)))
    r = client.post(f"{API}/bookings/{hold['id']}/cancel", headers=auth)
    assert r.json() == {"status": "cancelled", "refund": {"amount": 0, "currency": "RUB"}}


# --- modifications ------------------------------------------------------------------------------


def test_modify_longer_then_shorter(client, renter):
    b = make_bookable()
    _uid, auth = renter()
    day = in_days(4)
    booking = _paid(client, auth, body(b.desk_id, local(day, 10), local(day, 12)))
    bid = booking["id"]

    r = client.patch(f"{API}/bookings/{bid}", headers=auth, json={"end": local(day, 13).isoformat()})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["difference"] == {"amount": 30000, "currency": "RUB"}
    # A dearer change waits for its payment: the booking keeps its old time until then.
    assert out["booking"]["total"] == 60000 and out["booking"]["balance_due"] == 30000
    assert out["booking"]["end"] == local(day, 12).isoformat()
    assert out["booking"]["pending_change"]["total"] == 90000
    assert "pay" in out["booking"]["actions"]
    r = client.post(f"{API}/bookings/{bid}/pay", headers=auth)
    assert r.status_code == 200 and r.json()["amount"] == 30000
    r = client.post(f"{API}/payments/test/{r.json()['payment_id']}/complete", headers=auth,
                    json={"outcome": "succeeded"})
    assert r.status_code == 200 and r.json()["status"] == "succeeded"
    view = _get(client, auth, bid)
    assert (view["paid"], view["balance_due"], view["status"]) == (90000, 0, "confirmed")
    assert (view["total"], view["end"], view["pending_change"]) == (90000, local(day, 13).isoformat(), None)
    assert client.post(f"{API}/bookings/{bid}/pay", headers=auth).status_code == 409  # nothing due

    r = client.patch(f"{API}/bookings/{bid}", headers=auth, json={"end": local(day, 11).isoformat()})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["difference"] == {"amount": -60000, "currency": "RUB"}
    assert out["booking"]["total"] == 30000 and out["booking"]["refunded"] == 60000
    assert out["booking"]["balance_due"] == 0
    assert sum(_refunds(bid)) == 60000
    assert out["booking"]["end"] == local(day, 11).isoformat()
    assert [e.action for e in _events(bid)].count("modify") == 2


def test_modify_to_a_taken_time_is_refused_and_changes_nothing(client, renter):
    b = make_bookable()
    _a, auth_a = renter()
    _b, auth_b = renter()
    day = in_days(4)
    mine = _paid(client, auth_a, body(b.room_id, local(day, 10), local(day, 11)))
    _paid(client, auth_b, body(b.room_id, local(day, 12), local(day, 13)))
    before = _get(client, auth_a, mine["id"])
    r = client.patch(f"{API}/bookings/{mine['id']}", headers=auth_a,
                     json={"start": local(day, 12, 30).isoformat(), "end": local(day, 13, 30).isoformat()})
    assert r.status_code == 409 and _fields(r) == ["seats"], r.text
    after = _get(client, auth_a, mine["id"])
    for key in ("start", "end", "seats", "total", "paid", "refunded", "balance_due", "status"):
        assert after[key] == before[key], key
    assert [e.action for e in _events(mine["id"])].count("modify") == 0
    # Moving within free time works; moving onto itself is no conflict.
    r = client.patch(f"{API}/bookings/{mine['id']}", headers=auth_a,
                     json={"start": local(day, 10, 30).isoformat(), "end": local(day, 11, 30).isoformat()})
    assert r.status_code == 200 and r.json()["difference"]["amount"] == 0


# --- promo codes -------------------------------------------------------------------------------


def _code(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}".upper()


def _promo_refused(client, auth, payload, space_id) -> str:
    before = _count(space_id)
    r = client.post(f"{API}/bookings", headers=auth, json=payload)
    assert r.status_code == 422 and _fields(r) == ["promo_code"], r.text
    assert _count(space_id) == before
    return r.json()["detail"][0]["msg"]


def test_promo_percent_and_fixed_in_the_breakdown(client, renter):
    b = make_bookable()
    _uid, auth = renter()
    day = in_days(3)
    percent, fixed = _code("PCT"), _code("FIX")
    make_promo(percent, kind="percent", value=10)
    make_promo(fixed, kind="fixed", value=15000)

    price = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 12),
                                       promo_code=percent.lower()))["price"]
    assert (price["subtotal"], price["discount"], price["total"]) == (60000, 6000, 54000)
    assert price["breakdown"]["promo_code"] == percent
    assert {"label": f"Промокод {percent}", "amount": -6000} in price["breakdown"]["lines"]

    price = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 12),
                                       promo_code=fixed))["price"]
    assert (price["discount"], price["total"]) == (15000, 45000)
    assert {"label": f"Промокод {fixed}", "amount": -15000} in price["breakdown"]["lines"]

    unknown = _promo_refused(client, auth, body(b.desk_id, local(day, 10), local(day, 12),
                                                promo_code="NO-SUCH-CODE"), b.space_id)
    assert "нет" in unknown

    # 100 %: nothing to pay, so the booking is paid (and confirmed) as soon as it is made.
    free = _code("FREE")
    make_promo(free, kind="percent", value=100)
    created = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 12), promo_code=free))
    assert (created["price"]["total"], created["status"], created["expires_at"]) == (0, "confirmed", None)
    assert client.post(f"{API}/bookings/{created['id']}/pay", headers=auth).status_code == 409
    r = client.post(f"{API}/bookings/{created['id']}/cancel", headers=auth)
    assert r.json() == {"status": "cancelled", "refund": {"amount": 0, "currency": "RUB"}}


def test_promo_validity_and_minimum(client, renter):
    b = make_bookable()
    _uid, auth = renter()
    day = in_days(3)
    now = datetime.now(timezone.utc)
    early, late, big = _code("EARLY"), _code("LATE"), _code("BIG")
    make_promo(early, valid_from=now + timedelta(days=1))
    make_promo(late, valid_from=now - timedelta(days=10), valid_until=now - timedelta(minutes=1))
    make_promo(big, min_amount_minor=100000, max_uses_per_user=None)
    two_hours = (local(day, 10), local(day, 12))
    assert "ещё не действует" in _promo_refused(
        client, auth, body(b.desk_id, *two_hours, promo_code=early), b.space_id)
    assert "истёк" in _promo_refused(
        client, auth, body(b.desk_id, *two_hours, promo_code=late), b.space_id)
    assert "1000" in _promo_refused(
        client, auth, body(b.desk_id, *two_hours, promo_code=big), b.space_id)
    price = _create(client, auth, body(b.desk_id, local(day, 10), local(day, 14), promo_code=big))["price"]
    assert (price["subtotal"], price["discount"], price["total"]) == (120000, 12000, 108000)


def test_promo_use_limits(client, renter):
    b = make_bookable()
    _a, auth_a = renter()
    _b, auth_b = renter()
    _c, auth_c = renter()
    day = in_days(3)
    slot = (local(day, 10), local(day, 12))
    once = _code("ONCE")
    make_promo(once, max_uses_per_user=1)
    first = _create(client, auth_a, body(b.desk_id, *slot, promo_code=once))
    assert "уже использовали" in _promo_refused(
        client, auth_a, body(b.desk_id, *slot, promo_code=once), b.space_id)
    assert _create(client, auth_b, body(b.desk_id, *slot, promo_code=once))["price"]["discount"] == 6000
    # A cancelled booking gives its use back.
    assert client.post(f"{API}/bookings/{first['id']}/cancel", headers=auth_a).status_code == 200
    assert _create(client, auth_a, body(b.desk_id, *slot, promo_code=once))["price"]["discount"] == 6000

    total = _code("TWO")
    make_promo(total, max_uses_total=2, max_uses_per_user=None)
    _create(client, auth_a, body(b.desk_id, *slot, promo_code=total))
    _create(client, auth_b, body(b.desk_id, *slot, promo_code=total))
    assert "максимальное" in _promo_refused(
        client, auth_c, body(b.desk_id, *slot, promo_code=total), b.space_id)


def test_promo_of_another_space_is_unknown(client, renter):
    b, other = make_bookable(), make_bookable()
    _uid, auth = renter()
    code = _code("SPACE")
    make_promo(code, space_id=other.space_id)
    day = in_days(3)
    assert "нет" in _promo_refused(
        client, auth, body(b.desk_id, local(day, 10), local(day, 12), promo_code=code), b.space_id)
    assert _create(client, auth, body(other.desk_id, local(day, 10), local(day, 12),
                                      promo_code=code))["price"]["discount"] == 6000


# --- VAT -------------------------------------------------------------------------------------------


def _quote(client, auth, payload) -> dict:
    r = client.post(f"{API}/bookings/quote", headers=auth, json=payload)
    assert r.status_code == 200, r.text
    return r.json()


def test_vat_inclusive_and_exclusive(client, renter):
    inclusive = make_bookable(vat_rate_bp=2200, vat_included=True)
    exclusive = make_bookable(vat_rate_bp=2200, vat_included=False)
    _uid, auth = renter()
    day = in_days(3)
    slot = (local(day, 10), local(day, 12))

    price = _quote(client, auth, body(inclusive.desk_id, *slot))
    # 600.00 including 22 %: 600 - 600 / 1.22 = 108.196... -> 108.20
    assert (price["subtotal"], price["vat"], price["total"]) == (60000, 10820, 60000)
    assert price["breakdown"]["vat_included"] is True
    assert not any(line["label"].startswith("НДС") for line in price["breakdown"]["lines"])

    price = _quote(client, auth, body(exclusive.desk_id, *slot))
    assert (price["subtotal"], price["vat"], price["total"]) == (60000, 13200, 73200)
    assert {"label": "НДС 22 %", "amount": 13200} in price["breakdown"]["lines"]

    # 1.5 h with 3 seats and a per-seat add-on: 135000 + 60000 = 195000.
    payload = body(inclusive.desk_id, local(day, 10), local(day, 11, 30), seats=3,
                   addons=[{"code": "coffee", "quantity": 1}])
    price = _quote(client, auth, payload)
    # 195000 - 195000 * 10000 / 12200 = 195000 - 159836.07 -> 35164
    assert (price["subtotal"], price["addons"], price["vat"], price["total"]) == (135000, 60000, 35164, 195000)
    payload["resource_id"] = exclusive.desk_id
    price = _quote(client, auth, payload)
    assert (price["vat"], price["total"]) == (42900, 237900)
    for key in ("subtotal", "addons", "discount", "vat", "total"):
        assert isinstance(price[key], int)
    created = _create(client, auth, payload)
    assert created["price"]["total"] == 237900
    assert _row(created["id"]).total_minor == 237900


# --- search availability filter ---------------------------------------------------------------------


def test_search_filters_by_free_seats_for_the_interval(client, renter):
    token = f"qz{uuid.uuid4().hex[:8]}"
    b = make_bookable(name=f"Коворкинг {token}")
    _a, auth_a = renter()
    _b, auth_b = renter()
    day = in_days(3)
    start, end = local(day, 10), local(day, 12)

    def found(seats: int, s: datetime = start, e: datetime = end) -> bool:
        r = client.get(f"{API}/spaces", params={"q": token, "start": s.isoformat(),
                                                 "end": e.isoformat(), "seats": seats})
        assert r.status_code == 200, r.text
        return b.space_id in [item["id"] for item in r.json()["items"]]

    assert found(7)
    desk = _create(client, auth_a, body(b.desk_id, start, end, seats=4))
    _create(client, auth_b, body(b.room_id, local(day, 11), local(day, 12)))
    # The desk has 6 of 10 left and the room only has 6 places: 7 seats fit nowhere.
    assert not found(7)
    assert found(6)
    # Only overlapping bookings count.
    assert found(7, local(day, 12), local(day, 14))
    assert client.post(f"{API}/bookings/{desk['id']}/cancel", headers=auth_a).status_code == 200
    assert found(7)

    r = client.get(f"{API}/spaces", params={"q": token, "start": start.isoformat()})
    assert r.status_code == 422 and "end" in _fields(r), r.text
