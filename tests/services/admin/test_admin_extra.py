"""Operator panel pieces beyond the tables: the search log behind the dashboard map, promo
codes (list, end, delete) and accounts opened by an admin."""

from __future__ import annotations

import uuid

from coworking_app.db import get_cache_redis
from coworking_app.services.catalog.search_log import BUFFER_KEY, do_flush_search_log
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction


def _flush() -> int:
    with transaction() as s:
        return do_flush_search_log(s)


def test_searches_reach_the_dashboard_map_through_the_buffer(client):
    get_cache_redis().delete(BUFFER_KEY)
    _flush()
    _, admin = signed_in("admin")
    before = client.get(f"{API}/admin/dashboard", headers=admin).json()["searches"]

    # A radius search at a point, a metro-free city search, and page 2 (not counted).
    assert client.get(f"{API}/spaces", params={"lat": 59.9343, "lon": 30.3351, "radius_km": 3}).status_code == 200
    assert client.get(f"{API}/spaces", params={"city": "moscow"}).status_code == 200
    assert client.get(f"{API}/spaces", params={"city": "moscow", "page": 2}).status_code == 200
    assert get_cache_redis().llen(BUFFER_KEY) == 2
    get_cache_redis().rpush(BUFFER_KEY, b"not json", b'{"at": "yesterday"}')  # dropped, not retried

    assert _flush() == 2
    assert get_cache_redis().llen(BUFFER_KEY) == 0
    after = client.get(f"{API}/admin/dashboard", headers=admin).json()["searches"]
    counts = {(round(c["lat"], 2), round(c["lon"], 2)): c["searches"] for c in after}
    old = {(round(c["lat"], 2), round(c["lon"], 2)): c["searches"] for c in before}
    assert counts.get((59.93, 30.34), 0) == old.get((59.93, 30.34), 0) + 1
    assert sum(counts.values()) == sum(old.values()) + 2
    # Owners see no search map.
    owner_id, owner = signed_in("owner")
    assert client.get(f"{API}/owner/analytics", headers=owner).json()["searches"] == []


def test_promo_codes_are_listed_ended_and_deleted_only_when_unused(client):
    _, operator = signed_in("operator")
    _, renter = signed_in("renter")
    code = f"NET{uuid.uuid4().hex[:6].upper()}"
    r = client.post(f"{API}/promo-codes", headers=operator, json={"code": code, "kind": "percent", "value": 10})
    assert r.status_code == 201, r.text
    promo_id = r.json()["id"]
    assert client.post(f"{API}/promo-codes", headers=renter, json={"code": code + "X", "kind": "percent",
                                                                    "value": 5}).status_code == 403

    listed = {p["code"]: p for p in client.get(f"{API}/promo-codes", headers=operator).json()}
    assert listed[code]["active"] is True and listed[code]["space_name"] is None and listed[code]["uses"] == 0

    # A booking uses the code: it can no longer be deleted, only ended.
    b = make_bookable()
    day = in_days(4)
    r = client.post(f"{API}/bookings", headers=renter,
                    json=body(b.desk_id, local(day, 10), local(day, 11), 1, promo_code=code))
    assert r.status_code == 201, r.text
    pay_test(client, renter, r.json()["id"])
    assert client.delete(f"{API}/promo-codes/{promo_id}", headers=renter).status_code == 403
    r = client.delete(f"{API}/promo-codes/{promo_id}", headers=operator)
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["body", "promo"]
    assert client.post(f"{API}/promo-codes/{promo_id}/end", headers=operator).status_code == 200
    listed = {p["code"]: p for p in client.get(f"{API}/promo-codes", headers=operator).json()}
    assert listed[code]["active"] is False and listed[code]["uses"] == 1
    assert client.post(f"{API}/promo-codes/{promo_id}/end", headers=operator).status_code == 409
    r = client.post(f"{API}/bookings", headers=renter,
                    json=body(b.desk_id, local(day, 12), local(day, 13), 1, promo_code=code))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "promo_code"

    # An unused space code: its owner sees it, another owner does not, and it can be deleted.
    owner = {"Authorization": signed_in_owner_headers(b.owner_id)}
    r = client.post(f"{API}/spaces/{b.space_id}/promo-codes", headers=owner,
                    json={"code": code + "S", "kind": "fixed", "value": 5000})
    assert r.status_code == 201, r.text
    space_promo = r.json()["id"]
    assert [p["code"] for p in client.get(f"{API}/promo-codes", headers=owner).json()] == [code + "S"]
    _, stranger = signed_in("owner")
    assert client.get(f"{API}/promo-codes", headers=stranger).json() == []
    assert client.delete(f"{API}/promo-codes/{space_promo}", headers=stranger).status_code == 404
    assert client.delete(f"{API}/promo-codes/{space_promo}", headers=owner).status_code == 204
    assert code + "S" not in {p["code"] for p in client.get(f"{API}/promo-codes", headers=operator).json()}


def signed_in_owner_headers(user_id: int) -> str:
    from tests.booking_auth import headers_for

    return headers_for(user_id)["Authorization"]


def test_an_admin_opens_an_account_and_bad_input_names_the_field(client):
    _, admin = signed_in("admin")
    _, operator = signed_in("operator")
    email = f"op-{uuid.uuid4().hex[:8]}@example.com"
    account = {"email": email, "password": "Long-Enough-Pass-42", "full_name": "Олег Оператор", "role": "operator"}
    assert client.post(f"{API}/admin/users", headers=operator, json=account).status_code == 403
    r = client.post(f"{API}/admin/users", headers=admin, json={**account, "role": "boss"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "roles"
    r = client.post(f"{API}/admin/users", headers=admin, json={**account, "password": "short"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "password"
    assert client.get(f"{API}/admin/users", headers=admin, params={"q": email}).json()["total"] == 0

    r = client.post(f"{API}/admin/users", headers=admin, json=account)
    assert r.status_code == 201, r.text
    assert r.json()["roles"] == ["operator"] and r.json()["blocked"] is False
    login = client.post(f"{API}/auth/login", json={"email": email, "password": account["password"]})
    assert login.status_code == 200
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get(f"{API}/admin/stats", headers=token).status_code == 200


def test_a_booking_longer_than_a_month_still_counts_today(client):
    """make_bookable's desk allows 62-day bookings: one that began 40 days ago and ends in
    5 days is active now and fills one seat for all of today's opening hours."""
    from datetime import timedelta

    from tests.admin_helpers import OPEN_HOURS, SEATS, insert_booking, msk_today, pct

    b = make_bookable()
    renter_id, _ = signed_in("renter")
    today = msk_today()
    insert_booking(b, renter_id, start=local(today - timedelta(days=40), 9), end=local(today + timedelta(days=5), 9))
    _, admin = signed_in("admin")
    stats = client.get(f"{API}/admin/stats", headers=admin, params={"space": b.space_id}).json()["kpis"]
    assert stats["active_now"] == 1
    assert stats["occupancy_today_pct"] == pct(OPEN_HOURS, SEATS * OPEN_HOURS)
    days = client.get(f"{API}/admin/dashboard", headers=admin, params={"space": b.space_id}).json()["occupancy"]
    assert all(d["booked_hours"] == OPEN_HOURS for d in days)  # every day of the last 30
