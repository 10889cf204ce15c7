"""The waitlist through the API and the jobs, on PostgreSQL: joining only a full interval, the
place in line, leaving; freed seats offered first come, first served (a hold for 30 minutes
and a `waitlist_offer` notice), a lapsed offer passing to the next in line; and 20
cancellations at once giving the 20 freed seats to the first 20 in line, never beyond
capacity, never twice to one person."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from coworking_app.db import get_rq_redis
from coworking_app import batches
from coworking_app.services.booking import availability as av
from coworking_app.services.booking import bookings as svc
from coworking_app.services.booking import waitlist
from coworking_app.uow import run_use_case
from jobs.booking import follow_up_holds, offer_waitlist, sweep_bookings
from models import Booking, Notification, User, WaitlistEntry
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction


def book_paid(client, resource_id: int, start, end, seats: int = 1) -> tuple[int, dict]:
    _uid, auth = signed_in()
    r = client.post(f"{API}/bookings", headers=auth, json=body(resource_id, start, end, seats))
    assert r.status_code == 201, r.text
    pay_test(client, auth, r.json()["id"])
    return r.json()["id"], auth


def join(client, auth, resource_id: int, start, end, seats: int = 1):
    return client.post(f"{API}/waitlist", headers=auth, json=body(resource_id, start, end, seats))


def entry(entry_id: int) -> WaitlistEntry:
    with transaction() as s:
        return s.get(WaitlistEntry, entry_id)


def test_joining_a_full_interval_the_place_in_line_and_leaving(client):
    space = make_bookable(desk_capacity=1)
    day = in_days(3)
    start, end = local(day, 10), local(day, 12)
    _uid, first = signed_in()
    r = join(client, first, space.desk_id, start, end)
    assert r.status_code == 409 and r.json()["detail"][0]["loc"][-1] == "seats"
    assert "места есть" in r.json()["detail"][0]["msg"]

    booking_id, _owner_of_seat = book_paid(client, space.desk_id, start, end)
    r = join(client, first, space.desk_id, start, end)
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine["position"] == 1
    assert join(client, first, space.desk_id, start, end).status_code == 409  # once per interval
    _uid2, second = signed_in()
    r = join(client, second, space.desk_id, local(day, 11), local(day, 13))  # overlaps: behind the first
    assert (r.status_code, r.json()["position"]) == (201, 2)
    _uid3, third = signed_in()
    r = join(client, third, space.desk_id, local(day + timedelta(days=1), 10), local(day + timedelta(days=1), 12))
    assert r.status_code == 409  # the next day has its seat free

    listed = client.get(f"{API}/waitlist", headers=second).json()
    assert [(e["position"], e["status"], e["resource_name"]) for e in listed] == [(2, "waiting", "Открытое пространство")]
    assert listed[0]["start"].startswith(f"{day.isoformat()}T11:00:00+03:00")
    assert client.delete(f"{API}/waitlist/{mine['id']}", headers=second).status_code == 404  # not theirs
    assert client.delete(f"{API}/waitlist/{mine['id']}", headers=first).status_code == 204
    assert client.get(f"{API}/waitlist", headers=first).json() == []
    assert client.get(f"{API}/waitlist", headers=second).json()[0]["position"] == 1
    # Bad input is refused by field, and nothing is written.
    for bad in ({"resource_id": space.desk_id, "start": "завтра", "end": end.isoformat()},
                {"resource_id": 0, "start": start.isoformat(), "end": end.isoformat()},
                {"resource_id": space.desk_id, "start": end.isoformat(), "end": start.isoformat()}):
        r = client.post(f"{API}/waitlist", headers=first, json=bad)
        assert r.status_code in (404, 422), r.text
    assert client.post(f"{API}/waitlist", json=body(space.desk_id, start, end)).status_code == 401
    assert booking_id


def test_freed_seats_go_first_come_first_served_and_a_lapsed_offer_moves_on(client):
    space = make_bookable(desk_capacity=1)
    day = in_days(4)
    start, end = local(day, 10), local(day, 12)
    booking_id, holder = book_paid(client, space.desk_id, start, end)
    people = [signed_in() for _ in range(3)]
    entries = [join(client, auth, space.desk_id, start, end).json()["id"] for _uid, auth in people]

    # A cancellation pushes the resource onto the "freed" list; the drain job offers the seat.
    connection = get_rq_redis()
    connection.delete(batches.list_key("freed"))
    r = client.post(f"{API}/bookings/{booking_id}/cancel", headers=holder, json={"reason": "планы"})
    assert r.status_code == 200, r.text
    assert space.desk_id in [int(x) for x in connection.lrange(batches.list_key("freed"), 0, -1)]
    assert offer_waitlist([space.desk_id]) == 1
    assert offer_waitlist([space.desk_id]) == 0  # nothing more to offer

    first = entry(entries[0])
    assert first.status == "offered" and first.booking_id
    with transaction() as s:
        hold = s.get(Booking, first.booking_id)
        assert (hold.user_id, hold.status, hold.start_at, hold.end_at) == (people[0][0], "pending_payment", start, end)
        assert timedelta(minutes=29) < hold.expires_at - av.utcnow() <= timedelta(minutes=30)
        notices = sorted(s.execute(select(Notification.channel, Notification.title).where(
            Notification.user_id == people[0][0], Notification.type == "waitlist_offer")).all())
    assert [c for c, _t in notices] == ["email", "in_app"]
    assert all(t == "Место освободилось: Коворкинг «Тест»" for _c, t in notices)
    # The hold's usual "pay by" notice is not sent on top of the offer's, nor looked for again.
    assert follow_up_holds([first.booking_id]) == {first.booking_id: "waitlist offer: notified by the offer"}
    with transaction() as s:
        assert s.scalar(select(Notification.id).where(Notification.booking_id == first.booking_id,
                                                      Notification.type == "booking_created")) is None
        assert first.booking_id not in svc.holds_without_follow_up(s, now=av.utcnow() + timedelta(minutes=2))
    listed = client.get(f"{API}/waitlist", headers=people[0][1]).json()
    assert (listed[0]["status"], listed[0]["booking_id"], listed[0]["booking_status"]) == (
        "offered", first.booking_id, "pending_payment")
    assert client.get(f"{API}/waitlist", headers=people[1][1]).json()[0]["position"] == 1
    r = client.delete(f"{API}/waitlist/{entries[0]}", headers=people[0][1])
    assert r.status_code == 409 and f"№ {first.booking_id}" in r.text

    # Not paid in time: the hold lapses and the seat goes to the next in line.
    later = av.utcnow() + timedelta(minutes=31)
    run_use_case(lambda s, fx: svc.do_expire_holds(s, fx, now=later, booking_id=first.booking_id))
    run_use_case(lambda s, fx: waitlist.do_offer_freed_seats(s, fx, space.desk_id))
    assert entry(entries[1]).status == "offered" and entry(entries[2]).status == "waiting"

    # The next one pays: the seat is theirs, the third keeps waiting.
    pay_test(client, people[1][1], entry(entries[1]).booking_id)
    assert offer_waitlist([space.desk_id]) == 0
    assert client.get(f"{API}/waitlist", headers=people[2][1]).json()[0]["position"] == 1


def test_an_entry_whose_time_came_is_closed_and_the_sweep_finds_the_lines(client):
    space = make_bookable(desk_capacity=1)
    day = in_days(2)
    start, end = local(day, 10), local(day, 11)
    _bid, _holder = book_paid(client, space.desk_id, start, end)
    uid, auth = signed_in()
    entry_id = join(client, auth, space.desk_id, start, end).json()["id"]
    with transaction() as s:
        assert space.desk_id in waitlist.lines_waiting(s)
    run_use_case(lambda s, fx: waitlist.do_offer_freed_seats(s, fx, space.desk_id, now=start + timedelta(minutes=1)))
    assert entry(entry_id).status == "closed"
    assert client.get(f"{API}/waitlist", headers=auth).json() == []
    assert "offered" in sweep_bookings()


def test_the_owner_sees_the_line_of_a_day(client):
    space = make_bookable(desk_capacity=1)
    day = in_days(5)
    _bid, _holder = book_paid(client, space.desk_id, local(day, 9), local(day, 18))
    _uid, auth = signed_in()
    join(client, auth, space.desk_id, local(day, 10), local(day, 12))
    headers = headers_for(space.owner_id)
    r = client.get(f"{API}/owner/spaces/{space.space_id}/waitlist", headers=headers, params={"day": day.isoformat()})
    assert r.status_code == 200, r.text
    assert [(e["position"], e["seats"]) for e in r.json()] == [(1, 1)]
    assert client.get(f"{API}/owner/spaces/{space.space_id}/waitlist", headers=headers,
                      params={"day": (day + timedelta(days=1)).isoformat()}).json() == []
    assert client.get(f"{API}/owner/spaces/{space.space_id}/waitlist", headers=auth,
                      params={"day": day.isoformat()}).status_code in (403, 404)


CAPACITY = 20


def test_twenty_cancellations_at_once_give_the_seats_to_the_first_twenty_in_line(client):
    space = make_bookable(desk_capacity=CAPACITY)
    day = in_days(6)
    start, end = local(day, 10), local(day, 12)
    held = [book_paid(client, space.desk_id, start, end) for _ in range(CAPACITY)]
    people = [signed_in() for _ in range(CAPACITY + 5)]
    entries = [join(client, auth, space.desk_id, start, end).json()["id"] for _uid, auth in people]
    barrier = threading.Barrier(10, timeout=60)

    def cancel_and_offer(item) -> None:
        booking_id, auth = item
        with transaction() as s:
            user_id = s.get(Booking, booking_id).user_id
        barrier.wait()
        run_use_case(lambda s, fx: svc.do_cancel_booking(s, fx, s.get(User, user_id), booking_id, reason="планы"))
        run_use_case(lambda s, fx: waitlist.do_offer_freed_seats(s, fx, space.desk_id))
        with transaction() as s:  # never beyond capacity, whatever the order
            assert av.booked_seats(s, space.desk_id, start, end) <= CAPACITY

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(cancel_and_offer, held))

    with transaction() as s:
        rows = {e.id: e for e in s.scalars(select(WaitlistEntry).where(WaitlistEntry.id.in_(entries)))}
        holds = list(s.scalars(select(Booking).where(Booking.id.in_([e.booking_id for e in rows.values() if e.booking_id]))))
        assert av.booked_seats(s, space.desk_id, start, end) == CAPACITY
    assert [rows[i].status for i in entries] == ["offered"] * CAPACITY + ["waiting"] * 5
    assert len({h.user_id for h in holds}) == CAPACITY == len(holds)  # one hold each, to the first twenty
    assert {h.user_id for h in holds} == {uid for uid, _auth in people[:CAPACITY]}


@pytest.mark.parametrize("action", ["reject"])
def test_other_freeing_changes_push_the_resource(client, action):
    space = make_bookable(desk_capacity=1, instant_book=False)
    day = in_days(3)
    booking_id, _auth = book_paid(client, space.desk_id, local(day, 10), local(day, 12))
    connection = get_rq_redis()
    connection.delete(batches.list_key("freed"))
    headers = headers_for(space.owner_id)
    r = client.post(f"{API}/bookings/{booking_id}/{action}", headers=headers, json={"reason": "ремонт"})
    assert r.status_code == 200, r.text
    assert [int(x) for x in connection.lrange(batches.list_key("freed"), 0, -1)] == [space.desk_id]
