"""The audit log as the operator panel shows it: one row per changed row with the changed
fields' old and new values, who did it, the request id and the client IP; written by
database triggers and impossible to rewrite.

The log is append-only and outlives test runs (and user/space ids restart with every
run), so each test notes the largest id before it acts and looks only at rows after it."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from coworking_app.db import get_engine
from coworking_app.services.admin import audit as audit_svc
from models import User
from tests.admin_helpers import MSK, audit_max_id, audit_rows_after, fields, msk_today
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, new_user
from tests.uow_helpers import transaction


def _ok(response, code: int = 200) -> dict:
    assert response.status_code == code, response.text
    return response.json()


def _request_id() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def admin(client):
    return signed_in("admin")


def test_a_role_change_writes_exactly_one_row_with_the_diff_actor_request_and_ip(client, admin):
    admin_id, adm = admin
    target, _auth = signed_in("renter")
    rid = _request_id()
    before = audit_max_id()
    r = client.put(f"{API}/admin/users/{target}/roles", headers={**adm, "X-Request-ID": rid},
                   json={"roles": ["owner"]})
    assert _ok(r)["roles"] == ["owner"]
    assert r.headers["x-request-id"] == rid  # echoed
    (row,) = audit_rows_after(before)
    assert (row["entity"], row["entity_id"], row["action"]) == ("user", target, "update")
    assert row["changes"] == {"roles": [["renter"], ["owner"]]}
    assert (row["actor_id"], row["actor_kind"], row["request_id"]) == (admin_id, "user", rid)
    assert row["ip"]  # the test client's address

    # The same row through the API, newest first, with the actor's email.
    page = _ok(client.get(f"{API}/admin/audit", headers=adm, params={"entity": "user", "entity_id": target}))
    item = page["items"][0]
    assert item["id"] == row["id"] and page["total"] >= 1
    assert item["changes"] == {"roles": [["renter"], ["owner"]]}
    assert (item["actor_id"], item["request_id"], item["ip"]) == (admin_id, rid, row["ip"])
    with transaction() as s:
        assert item["actor_email"] == s.get(User, admin_id).email
    assert all(i["entity"] == "user" and i["entity_id"] == target for i in page["items"])

    # A request without an id gets a fresh one, recorded the same way.
    before = audit_max_id()
    r = client.put(f"{API}/admin/users/{target}/roles", headers={**adm, "X-Request-ID": "bad id with spaces"},
                   json={"roles": ["renter", "owner"]})
    assert _ok(r)["roles"] == ["renter", "owner"]
    (row,) = audit_rows_after(before)
    assert row["changes"] == {"roles": [["owner"], ["renter", "owner"]]}
    assert row["request_id"] == r.headers["x-request-id"] != "bad id with spaces"
    # Setting the same roles again changes nothing and writes nothing.
    before = audit_max_id()
    _ok(client.put(f"{API}/admin/users/{target}/roles", headers=adm, json={"roles": ["owner", "renter"]}))
    assert audit_rows_after(before) == []
    # A refused change writes nothing either.
    r = client.put(f"{API}/admin/users/{target}/roles", headers=adm, json={"roles": ["emperor"]})
    assert r.status_code == 422
    assert audit_rows_after(before) == []


def test_hiding_a_space_and_blocking_a_user_are_logged_as_single_diffs(client, admin):
    admin_id, adm = admin
    b = make_bookable(name=f"Коворкинг «Аудит {uuid.uuid4().hex[:6]}»")
    reason = "Жалобы на шум после 22:00"
    rid = _request_id()
    before = audit_max_id()
    _ok(client.post(f"{API}/admin/spaces/{b.space_id}/hide", headers={**adm, "X-Request-ID": rid},
                    json={"reason": reason}))
    (row,) = audit_rows_after(before)
    assert (row["entity"], row["entity_id"], row["action"]) == ("space", b.space_id, "update")
    assert row["changes"] == {"status": ["published", "hidden"], "moderation_note": [None, reason]}
    assert (row["actor_id"], row["request_id"]) == (admin_id, rid) and row["ip"]

    renter_id, _renter = signed_in()
    before = audit_max_id()
    _ok(client.post(f"{API}/admin/users/{renter_id}/block", headers=adm, json={"blocked": True}))
    (row,) = audit_rows_after(before)
    assert (row["entity"], row["entity_id"], row["action"], row["changes"]) == \
        ("user", renter_id, "update", {"is_active": [True, False]})


def test_a_password_change_is_logged_without_the_hash(client):
    user_id, _email, password = new_user("renter")
    auth = headers_for(user_id)
    with transaction() as s:
        old_hash = s.get(User, user_id).password_hash
    before = audit_max_id()
    r = client.post(f"{API}/me/password", headers=auth,
                    json={"current_password": password, "new_password": "Another-Horse-43"})
    assert r.status_code == 204, r.text
    (row,) = audit_rows_after(before)
    assert (row["entity"], row["entity_id"], row["action"], row["actor_id"]) == ("user", user_id, "update", user_id)
    assert row["changes"]["password_hash"] == ["***", "***"]
    assert set(row["changes"]) <= {"password_hash", "password_changed_at"}
    with transaction() as s:
        new_hash = s.get(User, user_id).password_hash
    dumped = json.dumps(row["changes"])
    assert old_hash not in dumped and new_hash not in dumped and "argon2" not in dumped


def test_a_booking_made_through_the_api_is_a_create_row_of_its_fields(client):
    b = make_bookable(name=f"Коворкинг «Аудит брони {uuid.uuid4().hex[:6]}»")
    renter_id, auth = signed_in()
    day = in_days(6)
    before = audit_max_id()
    rid = _request_id()
    created = _ok(client.post(f"{API}/bookings", headers={**auth, "X-Request-ID": rid},
                              json=body(b.desk_id, local(day, 10), local(day, 12), seats=2)), 201)
    rows = [r for r in audit_rows_after(before) if r["entity"] == "booking"]
    assert len(rows) == 1
    (row,) = rows
    assert (row["entity_id"], row["action"], row["actor_id"]) == (created["id"], "create", renter_id)
    # The route runs on its own thread pool: the request's context still reaches the row.
    assert (row["actor_kind"], row["request_id"]) == ("user", rid) and row["ip"]
    changes = row["changes"]
    assert changes["status"] == [None, "pending_payment"] and changes["seats"] == [None, 2]
    assert changes["total_minor"] == [None, 120000] and changes["user_id"] == [None, renter_id]
    assert "updated_at" not in changes and all(new is not None for _old, new in changes.values())


def test_a_created_and_a_deleted_row_list_every_non_empty_field_once(world):
    """The trigger's one-pass path for inserts and deletes: [null, value] when a row is
    created, [value, null] when it is deleted, nulls and bookkeeping columns left out."""
    b = make_bookable()
    before = audit_max_id()
    with get_engine().begin() as conn:
        tariff_id = conn.execute(text(
            "INSERT INTO tariff (resource_id, unit, price_minor, currency) "
            "VALUES (:r, 'day', 4500000, 'RUB') RETURNING id"), {"r": b.room_id}).scalar_one()
        conn.execute(text("DELETE FROM tariff WHERE id = :t"), {"t": tariff_id})
    rows = [r for r in audit_rows_after(before) if r["entity"] == "tariff" and r["entity_id"] == tariff_id]
    assert [r["action"] for r in rows] == ["create", "delete"]
    created, deleted = rows[0]["changes"], rows[1]["changes"]
    expected = {"id": tariff_id, "resource_id": b.room_id, "unit": "day",
                "price_minor": 4500000, "currency": "RUB"}
    assert {k: v[1] for k, v in created.items()} == expected
    assert all(old is None for old, _new in created.values())
    assert {k: v[0] for k, v in deleted.items()} == expected
    assert all(new is None for _old, new in deleted.values())


def test_audit_filters(client, admin):
    admin_id, adm = admin
    target, _auth = signed_in("renter")
    before = audit_max_id()
    _ok(client.put(f"{API}/admin/users/{target}/roles", headers=adm, json={"roles": ["owner"]}))
    (row,) = audit_rows_after(before)
    today = datetime.now(MSK).date()

    def ours(**query) -> list[int]:
        page = _ok(client.get(f"{API}/admin/audit", headers=adm, params=query))
        for item in page["items"]:  # every row shown matches every filter
            for key in ("entity", "entity_id", "actor_id", "action"):
                if key in query:
                    assert str(item[key]) == str(query[key]), (key, item)
        assert page["total"] >= len(page["items"])
        return [i["id"] for i in page["items"] if i["id"] > before]

    assert ours(entity="user", entity_id=target) == [row["id"]]
    assert ours(entity="user", entity_id=target, action="update") == [row["id"]]
    assert ours(entity="user", entity_id=target, action="create") == []
    assert ours(entity="space", entity_id=target) == []
    assert ours(actor_id=admin_id, entity_id=target) == [row["id"]]
    assert ours(actor_id=target, entity_id=target) == []
    assert ours(entity_id=target, **{"from": today.isoformat(), "to": today.isoformat()}) == [row["id"]]
    assert ours(entity_id=target, to=(today - timedelta(days=1)).isoformat()) == []
    assert ours(entity_id=target, **{"from": (today + timedelta(days=1)).isoformat()}) == []
    paged = _ok(client.get(f"{API}/admin/audit", headers=adm, params={"page_size": 1}))
    assert len(paged["items"]) == 1 and paged["items"][0]["id"] >= row["id"]  # newest first
    for query, field in (({"entity": "password"}, "entity"), ({"action": "erase"}, "action"),
                         ({"entity_id": "x"}, "entity_id"), ({"from": "2026-02-30"}, "from"),
                         ({"page_size": "1000"}, "page_size")):
        r = client.get(f"{API}/admin/audit", headers=adm, params=query)
        assert r.status_code == 422 and field in fields(r), (query, r.text)


def test_audit_days_are_report_zone_days(world):
    """A change at 01:30 in Moscow (22:30 UTC the evening before) belongs to the Moscow day,
    as the panel shows its time. Checked on a row written inside a transaction that is
    rolled back, so the real log keeps nothing of it."""
    moscow_day = msk_today() - timedelta(days=3)
    at = datetime(moscow_day.year, moscow_day.month, moscow_day.day, 1, 30, tzinfo=MSK)
    entity_id = 2**40 + uuid.uuid4().int % 2**20
    with transaction() as s:
        admin = User(email=f"aud-{uuid.uuid4().hex[:8]}@example.com", full_name="Аудитор", roles=["admin"],
                     password_hash="!no-password-login")
        s.add(admin)
        s.flush()
        s.execute(text("INSERT INTO audit_log (at, actor_kind, entity, entity_id, action, changes) "
                       "VALUES (:at, 'system', 'user', :eid, 'update', '{}')"),
                  {"at": at.astimezone(timezone.utc), "eid": entity_id})

        def found(**dates) -> int:
            flt = audit_svc.AuditFilter(entity_id=entity_id, **dates)
            return audit_svc.list_audit(s, admin, flt)[1]

        assert found(date_from=moscow_day, date_to=moscow_day) == 1
        assert found(date_to=moscow_day - timedelta(days=1)) == 0
        assert found(date_from=moscow_day + timedelta(days=1)) == 0
        s.rollback()
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE entity_id = :e"),
                            {"e": entity_id}).scalar_one() == 0


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor_kind = 'forged', changes = '{}' WHERE id = :id",
    "DELETE FROM audit_log WHERE id = :id",
    "TRUNCATE audit_log",
])
def test_the_log_cannot_be_rewritten(client, admin, statement):
    _admin_id, adm = admin
    target, _auth = signed_in("renter")
    before = audit_max_id()
    _ok(client.put(f"{API}/admin/users/{target}/roles", headers=adm, json={"roles": ["owner"]}))
    (row,) = audit_rows_after(before)
    with pytest.raises(DBAPIError) as caught:
        with transaction() as s:
            s.execute(text(statement), {"id": row["id"]})
    assert "append-only" in str(caught.value)
    assert audit_rows_after(before) == [row]  # unchanged, still there
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE id <= :id"),
                            {"id": row["id"]}).scalar_one() >= 1
