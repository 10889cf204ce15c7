"""The operator panel's API as a client sees it: KPI and dashboard numbers against bookings
whose figures are computed by hand, the same numbers in the tables, table filters/sorting/
paging, who may call what, moderation of spaces and the row actions (cancel, block, roles).

Every analytics request is narrowed with `?space=<a space made here>` so that the fixture
world and other tests' bookings cannot change the numbers."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from models import Space, User
from tests.admin_helpers import (
    OPEN_HOURS,
    SEATS,
    fields,
    insert_booking,
    msk_now,
    msk_today,
    overlap_hours,
    pct,
)
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, BOOKING_TEST_MARK, body, in_days, local, make_bookable, pay_test
from tests.factories import jpeg_bytes, make_space
from tests.uow_helpers import transaction

OPEN_SEAT_HOURS = SEATS * OPEN_HOURS  # 16 seats x 14 h = 224 seat-hours a day


def _ok(response, code: int = 200) -> dict:
    assert response.status_code == code, response.text
    return response.json()


def _book(client, auth, payload: dict) -> dict:
    return _ok(client.post(f"{API}/bookings", headers=auth, json=payload), 201)


def _tag() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def operator(client):
    return signed_in("operator")


@pytest.fixture(scope="module")
def admin(client):
    return signed_in("admin")


# --- 1 + 2: KPIs and the dashboard, by hand; the same numbers in the tables -------------------


def test_kpis_dashboard_and_tables_agree_with_hand_computed_numbers(client, operator):
    _op_id, op = operator
    name = f"Коворкинг «KPI {_tag()}»"
    b = make_bookable(name=name)
    today = msk_today()
    yesterday, tmr = today - timedelta(days=1), today + timedelta(days=1)
    (r1, a1), (r2, a2), (r3, a3) = signed_in(), signed_in(), signed_in()

    # Tomorrow, through the API: 2 desk seats 10-13 paid; the room 14-16 paid, then cancelled
    # by the operator (full refund); one desk seat 16-17 never paid (not "placed").
    b1 = _book(client, a1, body(b.desk_id, local(tmr, 10), local(tmr, 13), seats=2))
    pay_test(client, a1, b1["id"])
    b2 = _book(client, a2, body(b.room_id, local(tmr, 14), local(tmr, 16)))
    pay_test(client, a2, b2["id"])
    cancelled = _ok(client.post(f"{API}/admin/bookings/{b2['id']}/cancel", headers=op,
                                json={"reason": "сбой оборудования"}))
    assert cancelled == {"id": b2["id"], "status": "cancelled", "refunded_minor": 2 * 150000}
    b3 = _book(client, a3, body(b.desk_id, local(tmr, 16), local(tmr, 17), seats=1))
    assert [x["price"]["total"] for x in (b1, b2, b3)] == [2 * 3 * 30000, 2 * 150000, 30000]
    assert _ok(client.get(f"{API}/bookings/{b1['id']}", headers=a1))["status"] == "confirmed"  # instant book
    assert _ok(client.get(f"{API}/bookings/{b3['id']}", headers=a3))["status"] == "pending_payment"

    # Today and yesterday, written directly (the API refuses the past), created days earlier.
    now = msk_now()
    t1 = insert_booking(b, r1, start=local(today, 10), end=local(today, 13), seats=2, status="confirmed")
    t2_start = max((now - timedelta(hours=1)).replace(second=0, microsecond=0), local(today, 0))
    t2 = insert_booking(b, r2, start=t2_start, end=(now + timedelta(hours=1)).replace(second=0, microsecond=0),
                        seats=1, status="paid")  # on the desk right now
    y1 = insert_booking(b, r3, room=True, start=local(yesterday, 10), end=local(yesterday, 12), status="completed")
    assert t1.paid == 180000 and y1.paid == 300000 and y1.seats == 6

    params = {"space": b.space_id, "from": yesterday.isoformat(), "to": tmr.isoformat()}
    stats = _ok(client.get(f"{API}/admin/stats", headers=op, params=params))
    board = _ok(client.get(f"{API}/admin/dashboard", headers=op, params=params))
    seat_rows = [t1, t2, y1]  # b1 (confirmed) is tomorrow
    check = msk_now()
    active = sum(1 for row in seat_rows if row.start <= check < row.end)
    assert active >= 1  # t2
    today_seat_hours = sum(row.seats * overlap_hours(row.start, row.end, today) for row in seat_rows)
    # Revenue is the ledger's: recognized when a stay completes (y1, yesterday), not by stay
    # date; t1 and t2 are still under way, b1 is tomorrow.
    revenue_today = 0
    revenue_month = y1.net if yesterday.month == today.month else 0
    # placed bookings starting yesterday..tomorrow: y1, t1, t2, b1, b2; cancelled: b2 -> 1/5
    expected_kpis = {
        "active_now": active,
        "bookings_today": 2,  # b1 and b2 were placed today (b3 only holds; t1/t2/y1 are older)
        "revenue_today_minor": revenue_today,
        "revenue_month_minor": revenue_month,
        "occupancy_today_pct": pct(today_seat_hours, OPEN_SEAT_HOURS),
        "cancellation_rate_pct": 20.0,
    }
    assert {k: stats["kpis"][k] for k in expected_kpis} == expected_kpis
    assert stats["kpis"]["currency"] == "RUB"
    assert (stats["period_from"], stats["period_to"]) == (yesterday.isoformat(), tmr.isoformat())
    moving = {"api_avg_ms"}  # the mean response time moves with every request
    assert {k: v for k, v in board["kpis"].items() if k not in moving} == \
        {k: v for k, v in stats["kpis"].items() if k not in moving}
    assert isinstance(stats["kpis"]["api_avg_ms"], float) and stats["kpis"]["new_users_week"] >= 4

    # Occupancy per day: seat-hours booked within 08:00-22:00 / 224.
    day_hours = {d: sum(row.seats * overlap_hours(row.start, row.end, d) for row in seat_rows)
                 for d in (yesterday, today, tmr)}
    day_hours[tmr] += 2 * 3  # b1; b2 is cancelled and b3 unpaid: neither takes a seat
    assert day_hours[yesterday] == 12 and day_hours[tmr] >= 6
    assert board["occupancy"] == [
        {"day": d.isoformat(), "pct": pct(day_hours[d], OPEN_SEAT_HOURS),
         "booked_hours": round(day_hours[d], 2), "open_hours": float(OPEN_SEAT_HOURS)}
        for d in (yesterday, today, tmr)]
    if day_hours[tmr] == 6:  # the brief's case: 2 seats x 3 h of 16 x 14 -> 2.7 %
        assert board["occupancy"][2]["pct"] == 2.7
    # Revenue by the day it was recognized (the ledger); bookings = placed ones by start day.
    assert board["revenue"] == [
        {"period": yesterday.isoformat(), "revenue_minor": 300000, "bookings": 1},
        {"period": today.isoformat(), "revenue_minor": 0, "bookings": 2},
        {"period": tmr.isoformat(), "revenue_minor": 0, "bookings": 2},
    ]
    assert board["statuses"] == {"completed": 1, "confirmed": 2, "paid": 1, "cancelled": 1, "pending_payment": 1}
    period_net = 300000 + t1.net + t2.net + 180000
    assert board["top_spaces"] == [{"space_id": b.space_id, "name": name, "revenue_minor": 300000,
                                   "bookings": 5}]
    # Heat map: tomorrow's weekday, 2 of 16 seats from 10 to 13 (one such day in the period).
    dow = tmr.weekday()
    assert [board["heatmap"][dow][h] for h in (9, 10, 11, 12, 13, 14, 16)] == [0, 12.5, 12.5, 12.5, 0, 0, 0]

    # --- the same numbers in the tables ---------------------------------------------------
    def table(name: str, **query) -> dict:
        return _ok(client.get(f"{API}/admin/{name}", headers=op, params={"space": b.space_id, **query}))

    period = table("bookings", **{"from": yesterday.isoformat(), "to": tmr.isoformat()})
    assert period["total"] == 6
    assert period["totals"] == {"total": 180000 + 300000 + 30000 + t1.paid + t2.paid + 300000,
                                "net": period_net}
    # The completed stays of the period are its revenue.
    completed = table("bookings", status="completed", **{"from": yesterday.isoformat(), "to": tmr.isoformat()})
    assert completed["totals"]["net"] == sum(p["revenue_minor"] for p in board["revenue"])
    created_today = table("bookings", status="placed", created_from=today.isoformat(), created_to=today.isoformat())
    assert created_today["total"] == stats["kpis"]["bookings_today"] == 2
    assert sorted(r["id"] for r in created_today["items"]) == sorted([b1["id"], b2["id"]])
    placed = table("bookings", status="placed", **{"from": yesterday.isoformat(), "to": tmr.isoformat()})
    assert placed["total"] == board["top_spaces"][0]["bookings"] == 5
    for status, n in board["statuses"].items():
        assert table("bookings", status=status, **{"from": yesterday.isoformat(),
                                                   "to": tmr.isoformat()})["total"] == n, status
    # Payments: the two test-provider payments through the API, one refunded in full, and
    # those of the bookings written directly.
    payments = table("payments")
    assert payments["total"] == 5
    assert payments["totals"] == {"amount": 180000 + 300000 + t1.paid + t2.paid + y1.paid, "refunded": 300000}
    assert {p["booking"] for p in payments["items"]} == {b1["id"], b2["id"], t1.id, t2.id, y1.id}
    assert table("payments", status="succeeded")["total"] == 5
    assert table("payments", type="stripe")["total"] == 0

    # A day before anything here: zeros, and the KPIs of a space nobody booked are zero.
    empty = _ok(client.get(f"{API}/admin/stats", headers=op, params={
        "space": b.space_id, "from": (yesterday - timedelta(days=5)).isoformat(),
        "to": (yesterday - timedelta(days=1)).isoformat()}))
    assert empty["kpis"]["cancellation_rate_pct"] == 0.0
    assert empty["kpis"]["revenue_today_minor"] == revenue_today  # "today" does not follow the period


def test_occupancy_counts_seats_inside_opening_hours_only(client, operator):
    """2 desk seats 10-13 and the whole room 06-09 (open from 08) today; a cancelled and an
    unpaid booking take nothing: (2x3 + 6x1) / (16 x 14) = 12/224 = 5.4 %."""
    _op_id, op = operator
    b = make_bookable(name=f"Коворкинг «Загрузка {_tag()}»")
    renter_id, _auth = signed_in()
    today = msk_today()
    insert_booking(b, renter_id, start=local(today, 10), end=local(today, 13), seats=2, status="confirmed")
    insert_booking(b, renter_id, room=True, start=local(today, 6), end=local(today, 9), status="completed")
    insert_booking(b, renter_id, start=local(today, 14), end=local(today, 18), seats=5, status="cancelled",
                   refunded=4 * 5 * 30000)
    insert_booking(b, renter_id, start=local(today, 18), end=local(today, 20), seats=3,
                   status="pending_payment", paid=0)
    params = {"space": b.space_id, "from": today.isoformat(), "to": today.isoformat()}
    stats = _ok(client.get(f"{API}/admin/stats", headers=op, params=params))
    assert stats["kpis"]["occupancy_today_pct"] == 5.4 == pct(12, 224)
    board = _ok(client.get(f"{API}/admin/dashboard", headers=op, params=params))
    assert board["occupancy"] == [{"day": today.isoformat(), "pct": 5.4, "booked_hours": 12.0,
                                   "open_hours": 224.0}]
    # A closed day offers no seat-hours: the space opens on no weekday but today's.
    with transaction() as s:
        space = s.get(Space, b.space_id)
        space.opening_hours = {**space.opening_hours, today.strftime("%a").lower(): None}
    board = _ok(client.get(f"{API}/admin/dashboard", headers=op, params=params))
    assert board["occupancy"] == [{"day": today.isoformat(), "pct": 0.0, "booked_hours": 0.0, "open_hours": 0.0}]


# --- 3: filters, sorting and paging of every table ------------------------------------------


def test_bookings_table_filters_sorting_and_paging(client, operator):
    _op_id, op = operator
    tag = _tag()
    b = make_bookable(name=f"Коворкинг «Таблица {tag}»")
    (u1, _), (u2, _), (u3, _) = signed_in(), signed_in(), signed_in()
    with transaction() as s:
        email1 = s.get(User, u1).email
    d = in_days
    k1 = insert_booking(b, u1, start=local(d(-3), 10), end=local(d(-3), 12), seats=1, status="completed")
    k2 = insert_booking(b, u2, start=local(d(-2), 9), end=local(d(-2), 10), seats=3, status="cancelled",
                        refunded=90000)
    k3 = insert_booking(b, u1, room=True, start=local(d(-1), 10), end=local(d(-1), 11), status="completed")
    k4 = insert_booking(b, u3, start=local(d(2), 10), end=local(d(2), 14), seats=2, status="pending_payment",
                        paid=0, created_at=msk_now())
    k5 = insert_booking(b, u2, room=True, start=local(d(3), 12), end=local(d(3), 14), status="confirmed")
    every = [k1, k2, k3, k4, k5]
    totals = {1: 60000, 2: 90000, 3: 150000, 4: 240000, 5: 300000}
    by_id = dict(zip([k.id for k in every], [1, 2, 3, 4, 5]))

    def ids(**query) -> list[int]:
        page = _ok(client.get(f"{API}/admin/bookings", headers=op, params={"space": b.space_id, **query}))
        assert page["total"] == len(page["items"]) or "page_size" in query, page
        return [row["id"] for row in page["items"]]

    def n(*rows) -> list[int]:
        return [r.id for r in rows]

    full = _ok(client.get(f"{API}/admin/bookings", headers=op, params={"space": b.space_id}))
    assert full["total"] == 5 and full["page"] == 1 and full["page_size"] == 25
    assert [c["key"] for c in full["columns"]] == ["id", "space", "resource", "type", "renter", "start",
                                                  "status", "total", "net", "created"]
    assert full["totals"] == {"total": sum(totals.values()),
                              "net": 60000 + 0 + 150000 + 0 + 300000}
    first = {row["id"]: row for row in full["items"]}[k3.id]
    assert first["type"] == "meeting_room" and first["renter"] == email1 and first["status"] == "completed"
    assert first["total"] == 150000 and first["net"] == 150000 and first["currency"] == "RUB"
    assert [row["id"] for row in full["items"]] == n(k5, k4, k3, k2, k1)  # default: newest id first

    assert ids(status="completed") == n(k3, k1)
    assert ids(status="placed") == n(k5, k3, k2, k1)
    assert ids(status="pending_payment") == n(k4)
    assert ids(type="meeting_room") == n(k5, k3)
    assert ids(type="hot_desk") == n(k4, k2, k1)
    assert ids(type="private_office") == []
    assert ids(**{"from": d(-2).isoformat(), "to": d(2).isoformat()}) == n(k4, k3, k2)
    assert ids(**{"from": d(3).isoformat()}) == n(k5)
    assert ids(**{"to": d(-3).isoformat()}) == n(k1)
    assert ids(created_from=msk_today().isoformat()) == n(k4)
    assert ids(q=email1.upper()) == n(k3, k1)  # renter email, any case
    assert ids(q=f"Таблица {tag}") == n(k5, k4, k3, k2, k1)  # space name
    assert ids(q="100%") == []  # % is a character, not a wildcard
    assert ids(id=k3.id) == n(k3)
    assert ids(id=k3.id, status="cancelled") == []
    assert ids(status="", type="", q="") == n(k5, k4, k3, k2, k1)  # empty = no filter

    assert ids(sort="id") == n(k1, k2, k3, k4, k5)
    assert ids(sort="start") == n(k1, k2, k3, k4, k5)
    assert ids(sort="-start") == n(k5, k4, k3, k2, k1)
    assert ids(sort="total") == sorted(by_id, key=lambda i: totals[by_id[i]])
    assert ids(sort="-total") == sorted(by_id, key=lambda i: -totals[by_id[i]])
    assert ids(sort="-net") == n(k5, k3, k1, k4, k2)  # 300000, 150000, 60000, then the zeros newest first
    assert ids(sort="status") == n(k2, k3, k1, k5, k4)  # cancelled, completed (newest first), confirmed, pending

    pages = [_ok(client.get(f"{API}/admin/bookings", headers=op,
                            params={"space": b.space_id, "sort": "start", "page_size": 2, "page": p}))
             for p in (1, 2, 3, 4)]
    assert [[r["id"] for r in page["items"]] for page in pages] == [n(k1, k2), n(k3, k4), n(k5), []]
    assert {page["total"] for page in pages} == {5}
    assert [page["page"] for page in pages] == [1, 2, 3, 4] and {page["page_size"] for page in pages} == {2}
    assert {tuple(page["totals"].values()) for page in pages} == {(sum(totals.values()), 510000)}


def test_spaces_users_and_payments_tables(client, operator):
    _op_id, op = operator
    tag = _tag()
    with transaction() as s:  # the mark: conftest hides them from later modules' searches
        alpha = make_space(s, name=f"Альфа {tag}", lat=55.7558, lon=37.6173, description=BOOKING_TEST_MARK,
                           resources=[("hot_desk", 5, {"hour": 20000}), ("meeting_room", 4, {"hour": 90000})])
        beta = make_space(s, name=f"Бета {tag}", lat=55.7558, lon=37.6173, status="draft",
                          description=BOOKING_TEST_MARK)
        gamma = make_space(s, name=f"Гамма {tag}", lat=59.9343, lon=30.3351, status="hidden",
                           description=BOOKING_TEST_MARK)
        space_ids = (alpha.id, beta.id, gamma.id)
        people = [User(email=f"{name}-{tag}@example.com", full_name=f"Сотрудник {tag}", roles=[role],
                       password_hash="!no-password-login", is_active=active)
                  for name, role, active in (("anna", "renter", True), ("boris", "owner", True),
                                             ("vera", "operator", True), ("gleb", "renter", False))]
        s.add_all(people)
        s.flush()
        anna, boris, vera, gleb = (p.id for p in people)
    a_id, b_id, g_id = space_ids

    def ids(table: str, **query) -> list[int]:
        page = _ok(client.get(f"{API}/admin/{table}", headers=op, params=query))
        return [row["id"] for row in page["items"]]

    # spaces
    assert ids("spaces", q=tag) == [g_id, b_id, a_id]
    assert ids("spaces", q=tag, sort="id") == [a_id, b_id, g_id]
    assert ids("spaces", q=tag, sort="name") == [a_id, b_id, g_id]  # Альфа, Бета, Гамма
    assert ids("spaces", q=tag, sort="-name") == [g_id, b_id, a_id]
    assert ids("spaces", q=tag, status="draft") == [b_id]
    assert ids("spaces", q=tag, status="published") == [a_id]
    assert ids("spaces", q=tag, type="meeting_room") == [a_id]
    assert ids("spaces", q=tag, id=b_id) == [b_id]
    assert ids("spaces", q=tag, space=g_id) == [g_id]
    row = _ok(client.get(f"{API}/admin/spaces", headers=op, params={"id": g_id}))["items"][0]
    assert row["city"] == "Санкт-Петербург" and row["status"] == "hidden" and row["owner"] == ""
    page = _ok(client.get(f"{API}/admin/spaces", headers=op, params={"q": tag, "page_size": 2, "page": 2,
                                                                     "sort": "id"}))
    assert page["total"] == 3 and [r["id"] for r in page["items"]] == [g_id]

    # users
    assert ids("users", q=tag) == [gleb, vera, boris, anna]
    assert ids("users", q=tag, sort="email") == [anna, boris, gleb, vera]
    assert ids("users", q=tag, sort="-email") == [vera, gleb, boris, anna]
    assert ids("users", q=tag, status="blocked") == [gleb]
    assert ids("users", q=tag, status="active", sort="id") == [anna, boris, vera]
    assert ids("users", q=tag, type="renter") == [gleb, anna]
    assert ids("users", q=tag, type="operator") == [vera]
    assert ids("users", q=f"boris-{tag}@EXAMPLE.com") == [boris]
    assert ids("users", id=vera) == [vera]
    users = _ok(client.get(f"{API}/admin/users", headers=op, params={"id": gleb}))
    assert users["items"][0]["blocked"] is True and users["items"][0]["roles"] == "renter"
    assert users["totals"] == {}
    today = msk_today().isoformat()
    assert ids("users", q=tag, **{"from": today, "to": today}) == [gleb, vera, boris, anna]
    assert ids("users", q=tag, to=(msk_today() - timedelta(days=1)).isoformat()) == []

    # payments: one paid and one failed attempt of the same renter's booking
    b = make_bookable(name=f"Коворкинг «Платежи {tag}»")
    renter, auth = signed_in()
    day = in_days(4)
    booking = _book(client, auth, body(b.desk_id, local(day, 10), local(day, 12), seats=1))
    pay_test(client, auth, booking["id"], outcome="declined")
    pay_test(client, auth, booking["id"])
    with transaction() as s:
        email = s.get(User, renter).email
    pays = _ok(client.get(f"{API}/admin/payments", headers=op, params={"space": b.space_id, "sort": "id"}))
    assert pays["total"] == 2 and [p["status"] for p in pays["items"]] == ["failed", "succeeded"]
    assert pays["totals"] == {"amount": 2 * 60000, "refunded": 0}
    assert [c["key"] for c in pays["columns"]] == ["id", "booking", "provider", "purpose", "amount",
                                                  "refunded", "status", "created"]
    failed_id, ok_id = (p["id"] for p in pays["items"])
    assert ids("payments", space=b.space_id, status="succeeded") == [ok_id]
    assert ids("payments", space=b.space_id, status="failed") == [failed_id]
    assert ids("payments", space=b.space_id, type="test", sort="-id") == [ok_id, failed_id]
    assert ids("payments", q=email) == [ok_id, failed_id]
    assert ids("payments", id=ok_id) == [ok_id]
    assert ids("payments", space=b.space_id, type="stripe") == []


@pytest.mark.parametrize("table,query,field", [
    ("bookings", {"status": "nope"}, "status"),
    ("bookings", {"status": "active"}, "status"),  # a users status, not a bookings one
    ("bookings", {"type": "sofa"}, "type"),
    ("bookings", {"sort": "password"}, "sort"),
    ("bookings", {"sort": "-nope"}, "sort"),
    ("bookings", {"from": "2026-13-01"}, "from"),
    ("bookings", {"to": "yesterday"}, "to"),
    ("bookings", {"from": "1999-12-31"}, "from"),
    ("bookings", {"page_size": "500"}, "page_size"),
    ("bookings", {"page_size": "0"}, "page_size"),
    ("bookings", {"page": "0"}, "page"),
    ("bookings", {"id": "abc"}, "id"),
    ("spaces", {"status": "deleted"}, "status"),
    ("spaces", {"type": "sofa"}, "type"),
    ("spaces", {"sort": "-email"}, "sort"),
    ("users", {"status": "pending_review"}, "status"),
    ("users", {"type": "superuser"}, "type"),
    ("users", {"sort": "password_hash"}, "sort"),
    ("payments", {"status": "paid"}, "status"),
    ("payments", {"type": "paypal"}, "type"),
    ("payments", {"sort": "net"}, "sort"),
])
def test_bad_table_queries_are_422_naming_the_field(client, operator, table, query, field):
    r = client.get(f"{API}/admin/{table}", headers=operator[1], params=query)
    assert r.status_code == 422, r.text
    assert field in fields(r), r.json()


def test_bad_dashboard_queries_are_422(client, operator):
    op = operator[1]
    for query, field in (({"from": "2026-02-30"}, "from"), ({"space": "0"}, "space"),
                         ({"granularity": "hour"}, "granularity"),
                         ({"from": "2020-01-01", "to": "2026-01-01"}, "from")):
        r = client.get(f"{API}/admin/stats", headers=op, params=query)
        assert r.status_code == 422 and field in fields(r), (query, r.text)
    r = client.get(f"{API}/admin/dashboard", headers=op, params={"from": "2026-11-10", "to": "2026-11-01"})
    assert r.status_code == 422, r.text


# --- 4: who may call what ---------------------------------------------------------------------


def test_only_operators_and_admins_reach_the_panel(client, operator):
    op_id, op = operator
    b = make_bookable(name=f"Коворкинг «Доступ {_tag()}»")
    renter_id, renter = signed_in()
    owner = headers_for(b.owner_id)
    day = in_days(5)
    booking = _book(client, renter, body(b.desk_id, local(day, 10), local(day, 11)))
    report = _ok(client.post(f"{API}/admin/exports", headers=op, json={"table": "users", "format": "xlsx"}), 202)
    sid, bid, uid, rid = b.space_id, booking["id"], renter_id, report["id"]
    reads = ["/admin/stats", "/admin/dashboard", "/admin/bookings", "/admin/spaces", "/admin/users",
             "/admin/payments", "/admin/export/bookings.xlsx", "/admin/export/dashboard.pdf", "/admin/reports",
             f"/admin/reports/{rid}", f"/admin/reports/{rid}/file", "/admin/moderation/spaces", "/admin/audit"]
    writes = [
        ("post", "/admin/exports", {"table": "bookings", "format": "xlsx"}),
        ("post", f"/admin/moderation/spaces/{sid}/approve", None),
        ("post", f"/admin/moderation/spaces/{sid}/reject", {"reason": "Нет фотографий входа"}),
        ("post", f"/admin/spaces/{sid}/hide", {"reason": "Жалобы арендаторов"}),
        ("post", f"/admin/spaces/{sid}/status", {"status": "hidden"}),
        ("post", f"/admin/bookings/{bid}/cancel", {"reason": "проверка"}),
        ("post", f"/admin/users/{uid}/block", {"blocked": True}),
        ("put", f"/admin/users/{uid}/roles", {"roles": ["admin"]}),
        ("post", "/admin/users", {"email": f"new-{_tag()}@example.com", "password": "Correct-Horse-42",
                                  "full_name": "Новый Оператор", "role": "operator"}),
    ]
    for path in reads:
        assert client.get(f"{API}{path}").status_code == 401, path
        assert client.get(f"{API}{path}", headers=renter).status_code == 403, path
        assert client.get(f"{API}{path}", headers=owner).status_code == 403, path
    for method, path, payload in writes:
        kwargs = {"json": payload} if payload is not None else {}
        assert getattr(client, method)(f"{API}{path}", **kwargs).status_code == 401, path
        assert getattr(client, method)(f"{API}{path}", headers=renter, **kwargs).status_code == 403, path
        assert getattr(client, method)(f"{API}{path}", headers=owner, **kwargs).status_code == 403, path
    # Nothing changed, and the operator does reach the read routes.
    assert _ok(client.get(f"{API}/bookings/{bid}", headers=renter))["status"] == "pending_payment"
    assert _ok(client.get(f"{API}/spaces/{sid}"))["id"] == sid
    assert _ok(client.get(f"{API}/me", headers=renter))["roles"] == ["renter"]
    for path in reads:  # the queued report's file is not ready yet: 409, not 403
        expected = 409 if path.endswith("/file") else 200
        assert client.get(f"{API}{path}", headers=op).status_code == expected, path


def test_owner_analytics_cover_only_their_own_spaces(client, operator):
    _op_id, op = operator
    my_name = f"Коворкинг «Мой {_tag()}»"
    mine = make_bookable(name=my_name)
    theirs = make_bookable(name=f"Коворкинг «Чужой {_tag()}»")
    renter_id, _auth = signed_in()
    day = msk_today() - timedelta(days=1)
    insert_booking(mine, renter_id, start=local(day, 10), end=local(day, 12), seats=1, status="completed")
    insert_booking(theirs, renter_id, room=True, start=local(day, 10), end=local(day, 15), status="completed")
    insert_booking(theirs, renter_id, start=local(day, 9), end=local(day, 19), seats=7, status="completed")
    owner = headers_for(mine.owner_id)
    params = {"from": day.isoformat(), "to": day.isoformat()}

    board = _ok(client.get(f"{API}/owner/analytics", headers=owner, params=params))
    assert board["top_spaces"] == [{"space_id": mine.space_id, "name": my_name, "revenue_minor": 60000,
                                   "bookings": 1}]
    assert board["revenue"] == [{"period": day.isoformat(), "revenue_minor": 60000, "bookings": 1}]
    assert board["statuses"] == {"completed": 1}
    assert board["occupancy"] == [{"day": day.isoformat(), "pct": pct(2, 224), "booked_hours": 2.0,
                                   "open_hours": 224.0}]
    assert board["kpis"]["new_users_week"] is None and board["kpis"]["api_avg_ms"] is None
    assert board["searches"] == []
    dow = day.weekday()  # 1 of 16 seats from 10 to 12
    assert [board["heatmap"][dow][h] for h in (9, 10, 11, 12)] == [0, round(100 / 16, 1), round(100 / 16, 1), 0]
    assert sum(map(sum, board["heatmap"])) == 2 * round(100 / 16, 1)
    # Narrowed to their own space: the same; to another owner's: not found.
    assert _ok(client.get(f"{API}/owner/analytics", headers=owner,
                          params={**params, "space": mine.space_id}))["top_spaces"] == board["top_spaces"]
    r = client.get(f"{API}/owner/analytics", headers=owner, params={**params, "space": theirs.space_id})
    assert r.status_code == 404, r.text
    r = client.get(f"{API}/owner/analytics/export/dashboard.xlsx", headers=owner,
                   params={**params, "space": theirs.space_id})
    assert r.status_code == 404, r.text
    assert client.get(f"{API}/owner/analytics/export/dashboard.pdf", headers=owner, params=params).status_code == 200
    assert client.get(f"{API}/owner/analytics/export/bookings.xlsx", headers=owner).status_code == 422
    # The other owner's numbers are what the operator sees for that space.
    other = _ok(client.get(f"{API}/admin/dashboard", headers=op, params={**params, "space": theirs.space_id}))
    assert other["top_spaces"][0]["revenue_minor"] == 5 * 150000 + 7 * 10 * 30000
    # Owners are not operators; renters are not owners; nobody anonymous.
    assert client.get(f"{API}/admin/stats", headers=owner).status_code == 403
    assert client.get(f"{API}/admin/dashboard", headers=owner, params=params).status_code == 403
    assert client.get(f"{API}/owner/analytics", headers=_auth).status_code == 403
    assert client.get(f"{API}/owner/analytics").status_code == 401


# --- 8: moderation of spaces -------------------------------------------------------------------


def _space_body(**overrides) -> dict:
    return {"name": "Лофт на Тверской", "address": "Москва, ул. Тверская, 7", "timezone": "Europe/Moscow",
            "amenities": ["wifi"], "opening_hours": {"mon": {"open": "09:00", "close": "21:00"}},
            "description": "Светлый лофт с переговорными и кухней, десять минут от метро.",
            "lat": 55.7649, "lon": 37.6050} | overrides


def _queue(client, op, view: str) -> dict[int, dict]:
    page = _ok(client.get(f"{API}/admin/moderation/spaces", headers=op, params={"view": view}))
    return {item["id"]: item for item in page["items"]}


def _notices(client, auth) -> list[str]:
    return [n["type"] for n in _ok(client.get(f"{API}/notifications", headers=auth))["items"]]


def test_moderation_of_new_and_changed_spaces(client, operator):
    _op_id, op = operator
    owner_id, owner = signed_in("owner")
    name = f"Лофт {_tag()}"
    space = _ok(client.post(f"{API}/spaces", headers=owner, json=_space_body(name=name)), 201)
    sid = space["id"]
    resource = _ok(client.post(f"{API}/spaces/{sid}/resources", headers=owner,
                               json={"kind": "hot_desk", "name": "Open space", "capacity": 12}), 201)
    _ok(client.put(f"{API}/spaces/{sid}/resources/{resource['id']}/tariffs", headers=owner,
                   json={"unit": "hour", "price_minor": 35000, "currency": "RUB"}))
    _ok(client.post(f"{API}/spaces/{sid}/photos", headers=owner,
                    files={"file": ("hall.jpg", jpeg_bytes(), "image/jpeg")}), 201)
    assert sid not in _queue(client, op, "pending")  # a draft waits for nobody
    assert _ok(client.post(f"{API}/spaces/{sid}/submit", headers=owner))["status"] == "pending_review"

    pending = _queue(client, op, "pending")
    assert pending[sid]["kind"] == "new" and pending[sid]["status"] == "pending_review"
    assert pending[sid]["name"] == name and pending[sid]["city"] == "Москва"
    with transaction() as s:
        owner_email = s.get(User, owner_id).email
    assert pending[sid]["owner_email"] == owner_email
    assert sid not in _queue(client, op, "changed") and sid in _queue(client, op, "all")
    assert client.get(f"{API}/admin/moderation/spaces", headers=op, params={"view": "odd"}).status_code == 422

    # Reject: a reason is required and goes back to the owner with the draft.
    for payload in ({}, {"reason": None}, {"reason": "   "}, {"reason": "нет"}):
        r = client.post(f"{API}/admin/moderation/spaces/{sid}/reject", headers=op, json=payload)
        assert r.status_code == 422 and fields(r) == ["reason"], (payload, r.text)
    assert _ok(client.get(f"{API}/owner/spaces", headers=owner))[0]["status"] == "pending_review"
    reason = "Добавьте фотографии рабочих мест"
    assert _ok(client.post(f"{API}/admin/moderation/spaces/{sid}/reject", headers=op, json={"reason": reason})) \
        == {"id": sid, "status": "draft", "moderation_note": reason}
    assert "space_rejected" in _notices(client, owner)
    assert sid not in _queue(client, op, "all")
    r = client.post(f"{API}/admin/moderation/spaces/{sid}/approve", headers=op)
    assert r.status_code == 409 and fields(r) == ["status"], r.text  # a draft is not pending

    # Submitted again and approved: published, the owner hears of it, the queue is empty.
    assert _ok(client.post(f"{API}/spaces/{sid}/submit", headers=owner))["status"] == "pending_review"
    assert _ok(client.post(f"{API}/admin/moderation/spaces/{sid}/approve", headers=op)) \
        == {"id": sid, "status": "published", "moderation_note": None}
    assert _notices(client, owner).count("space_approved") == 1
    assert _ok(client.get(f"{API}/spaces/{sid}"))["id"] == sid  # public now
    assert sid not in _queue(client, op, "all")
    r = client.post(f"{API}/admin/moderation/spaces/{sid}/approve", headers=op)
    assert r.status_code == 409, r.text

    # The owner edits the published description: still published, waits under "changed".
    _ok(client.patch(f"{API}/spaces/{sid}", headers=owner,
                     json={"description": "Обновили кухню и поставили новые кресла у окна, приходите."}))
    changed = _queue(client, op, "changed")
    assert changed[sid]["kind"] == "changed" and changed[sid]["status"] == "published"
    assert "новые кресла" in changed[sid]["description"]
    assert sid not in _queue(client, op, "pending")
    assert _ok(client.get(f"{API}/spaces/{sid}"))["id"] == sid
    # A change that is not text (the tariff) does not need a look; an approval clears the mark.
    assert _ok(client.post(f"{API}/admin/moderation/spaces/{sid}/approve", headers=op))["status"] == "published"
    assert sid not in _queue(client, op, "changed")
    assert _notices(client, owner).count("space_approved") == 2
    _ok(client.patch(f"{API}/spaces/{sid}", headers=owner, json={"instant_book": False}))
    assert sid not in _queue(client, op, "changed")

    # Edited again and rejected: hidden until the owner fixes it.
    _ok(client.patch(f"{API}/spaces/{sid}", headers=owner, json={"name": f"{name} — лучший в городе!!!"}))
    assert sid in _queue(client, op, "changed")
    assert _ok(client.post(f"{API}/admin/moderation/spaces/{sid}/reject", headers=op,
                           json={"reason": "Название — не реклама"})) \
        == {"id": sid, "status": "hidden", "moderation_note": "Название — не реклама"}
    assert client.get(f"{API}/spaces/{sid}").status_code == 404
    assert sid not in _queue(client, op, "all")
    for action in ("approve", "reject"):
        r = client.post(f"{API}/admin/moderation/spaces/{sid}/{action}", headers=op, json={"reason": "ещё раз"})
        assert r.status_code == 409, (action, r.text)
    assert client.post(f"{API}/admin/moderation/spaces/{2**31 - 1}/approve", headers=op).status_code == 404
    assert _notices(client, owner).count("space_rejected") == 2


def test_hiding_a_space_needs_a_reason_and_a_published_space(client, operator):
    _op_id, op = operator
    b = make_bookable(name=f"Коворкинг «Скрыть {_tag()}»")
    r = client.post(f"{API}/admin/spaces/{b.space_id}/hide", headers=op, json={})
    assert r.status_code == 422 and fields(r) == ["reason"]
    assert _ok(client.post(f"{API}/admin/spaces/{b.space_id}/hide", headers=op,
                           json={"reason": "Жалобы на шум"}))["status"] == "hidden"
    assert "space_hidden" in _notices(client, headers_for(b.owner_id))
    r = client.post(f"{API}/admin/spaces/{b.space_id}/hide", headers=op, json={"reason": "Жалобы на шум"})
    assert r.status_code == 409


# --- 9: row actions -----------------------------------------------------------------------------


def test_operator_cancels_a_booking_with_a_full_refund(client, operator):
    _op_id, op = operator
    b = make_bookable(name=f"Коворкинг «Отмена {_tag()}»", policy="strict")
    _renter_id, renter = signed_in()
    day = msk_today() + timedelta(days=1)  # under the strict policy a renter would get little back
    booking = _book(client, renter, body(b.desk_id, local(day, 10), local(day, 14), seats=3))
    pay_test(client, renter, booking["id"])
    assert booking["price"]["total"] == 3 * 4 * 30000
    r = client.post(f"{API}/admin/bookings/{booking['id']}/cancel", headers=op, json={"reason": "Авария"})
    assert _ok(r) == {"id": booking["id"], "status": "cancelled", "refunded_minor": 360000}
    seen = _ok(client.get(f"{API}/bookings/{booking['id']}", headers=renter))
    assert seen["status"] == "cancelled"
    row = _ok(client.get(f"{API}/admin/bookings", headers=op, params={"id": booking["id"]}))["items"][0]
    assert row["status"] == "cancelled" and row["net"] == 0 and row["total"] == 360000
    pay = _ok(client.get(f"{API}/admin/payments", headers=op, params={"space": b.space_id}))
    assert pay["totals"] == {"amount": 360000, "refunded": 360000}
    r = client.post(f"{API}/admin/bookings/{booking['id']}/cancel", headers=op, json={})
    assert r.status_code == 409, r.text  # cancelled already
    assert client.post(f"{API}/admin/bookings/{2**31 - 1}/cancel", headers=op, json={}).status_code == 404


def test_blocking_users_and_changing_roles(client, operator, admin):
    op_id, op = operator
    admin_id, adm = admin
    renter_id, renter = signed_in()
    other_op_id, _other_op = signed_in("operator")
    assert _ok(client.get(f"{API}/me", headers=renter))["id"] == renter_id

    out = _ok(client.post(f"{API}/admin/users/{renter_id}/block", headers=op, json={"blocked": True}))
    assert out["blocked"] is True and out["id"] == renter_id
    assert client.get(f"{API}/me", headers=renter).status_code == 401  # signed out everywhere
    row = _ok(client.get(f"{API}/admin/users", headers=op, params={"id": renter_id}))["items"][0]
    assert row["blocked"] is True
    assert renter_id in [r["id"] for r in _ok(client.get(
        f"{API}/admin/users", headers=op, params={"status": "blocked", "id": renter_id}))["items"]]
    # Unblocked: the old token stays dead, a new sign-in works.
    assert _ok(client.post(f"{API}/admin/users/{renter_id}/block", headers=op,
                           json={"blocked": False}))["blocked"] is False
    assert client.get(f"{API}/me", headers=renter).status_code == 401
    assert client.get(f"{API}/me", headers=headers_for(renter_id)).status_code == 200

    # Staff: only an admin blocks them; nobody blocks themselves.
    for target in (admin_id, other_op_id):
        r = client.post(f"{API}/admin/users/{target}/block", headers=op, json={"blocked": True})
        assert r.status_code == 403, r.text
    assert client.get(f"{API}/me", headers=adm).status_code == 200
    for who, auth in ((op_id, op), (admin_id, adm)):
        r = client.post(f"{API}/admin/users/{who}/block", headers=auth, json={"blocked": True})
        assert r.status_code == 422 and fields(r) == ["blocked"], r.text
    assert client.get(f"{API}/me", headers=op).status_code == 200
    blocked_op, blocked_op_auth = signed_in("operator")
    assert _ok(client.post(f"{API}/admin/users/{blocked_op}/block", headers=adm, json={"blocked": True}))["blocked"]
    assert client.get(f"{API}/admin/stats", headers=blocked_op_auth).status_code == 401
    assert client.post(f"{API}/admin/users/{2**31 - 1}/block", headers=op, json={"blocked": True}).status_code == 404

    # Roles: admins only, known roles only, and an admin keeps their own admin role.
    r = client.put(f"{API}/admin/users/{renter_id}/roles", headers=op, json={"roles": ["owner"]})
    assert r.status_code == 403, r.text
    r = client.put(f"{API}/admin/users/{op_id}/roles", headers=op, json={"roles": ["operator", "admin"]})
    assert r.status_code == 403, r.text
    assert _ok(client.get(f"{API}/me", headers=op))["roles"] == ["operator"]
    out = _ok(client.put(f"{API}/admin/users/{renter_id}/roles", headers=adm, json={"roles": ["owner", "renter"]}))
    assert out["roles"] == ["renter", "owner"]
    for payload in ({"roles": ["god"]}, {"roles": []}):
        r = client.put(f"{API}/admin/users/{renter_id}/roles", headers=adm, json=payload)
        assert r.status_code == 422 and fields(r) == ["roles"], r.text
    r = client.put(f"{API}/admin/users/{admin_id}/roles", headers=adm, json={"roles": ["operator"]})
    assert r.status_code == 422 and fields(r) == ["roles"], r.text
    assert _ok(client.get(f"{API}/me", headers=adm))["roles"] == ["admin"]
    assert _ok(client.get(f"{API}/me", headers=headers_for(renter_id)))["roles"] == ["renter", "owner"]
