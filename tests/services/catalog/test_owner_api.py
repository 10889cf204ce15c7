"""Owners' space management through the API, and the authorization matrix with forged ids."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import jpeg_bytes
from tests.uow_helpers import transaction
from models import Space

API = "/api/v1"
TVERSKAYA = {"lat": 55.7649, "lon": 37.6050}  # inside the Tverskoy district polygon


def _space_body(**overrides):
    return {"name": "Лофт на Тверской", "address": "Москва, ул. Тверская, 7",
            "timezone": "Europe/Moscow", "amenities": ["wifi", "coffee"],
            "opening_hours": {"mon": {"open": "09:00", "close": "21:00"}},
            "description": "Светлый лофт с переговорными и кухней, десять минут от метро."} \
        | TVERSKAYA | overrides


def _owner_with_space(client, make_user, login):
    _id, email, password = make_user("owner")
    auth = login(email, password)
    r = client.post(f"{API}/spaces", headers=auth, json=_space_body())
    assert r.status_code == 201, r.text
    space = r.json()
    r = client.post(f"{API}/spaces/{space['id']}/resources", headers=auth,
                    json={"kind": "hot_desk", "name": "Open space", "capacity": 20})
    assert r.status_code == 201, r.text
    resource = r.json()
    r = client.put(f"{API}/spaces/{space['id']}/resources/{resource['id']}/tariffs", headers=auth,
                   json={"unit": "hour", "price_minor": 35000, "currency": "rub"})
    assert r.status_code == 200, r.text
    tariff = r.json()
    r = client.post(f"{API}/spaces/{space['id']}/photos", headers=auth,
                    files={"file": ("hall.jpg", jpeg_bytes(), "image/jpeg")})
    assert r.status_code == 201, r.text
    return auth, space, resource, tariff


def test_owner_creates_a_draft_located_in_city_and_district(client, make_user, login):
    auth, space, resource, tariff = _owner_with_space(client, make_user, login)
    assert space["status"] == "draft" and space["district_id"] is not None
    assert space["opening_hours"]["mon"] == {"open": "09:00", "close": "21:00"}
    assert space["opening_hours"]["sun"] is None
    assert tariff["currency"] == "RUB"
    with transaction() as s:
        row = s.get(Space, space["id"])
        assert row.price_hour_from == 35000 and row.max_capacity == 20
    listed = client.get(f"{API}/owner/spaces", headers=auth).json()
    assert [s["id"] for s in listed] == [space["id"]]
    # A draft is not public.
    assert client.get(f"{API}/spaces/{space['id']}").status_code == 404
    r = client.post(f"{API}/spaces/{space['id']}/submit", headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "pending_review"


def test_bad_space_input_names_the_field(client, make_user, login):
    _id, email, password = make_user("owner")
    auth = login(email, password)
    cases = [
        (_space_body(lat=95), "lat"),
        (_space_body(lat=48.85, lon=2.35), "lat"),  # Paris: not a city we serve
        (_space_body(timezone="Mars/Olympus"), "timezone"),
        (_space_body(amenities=["wifi", "unicorn"]), "amenities"),
        (_space_body(opening_hours={"mon": {"open": "21:00", "close": "09:00"}}), "opening_hours"),
        (_space_body(opening_hours={"funday": None}), "opening_hours"),
        (_space_body(owner_id=1), "owner_id"),  # not settable
    ]
    for body, field in cases:
        r = client.post(f"{API}/spaces", headers=auth, json=body)
        assert r.status_code == 422, (field, r.text)
        assert field in str(r.json()["detail"]), (field, r.json())
    assert client.get(f"{API}/owner/spaces", headers=auth).json() == []


def test_authorization_matrix_with_forged_ids(client, make_user, login):
    owner_auth, space, resource, tariff = _owner_with_space(client, make_user, login)
    other_auth, other_space, other_resource, other_tariff = _owner_with_space(client, make_user, login)
    _rid, renter_email, renter_password = make_user("renter")
    renter_auth = login(renter_email, renter_password)
    sid, rid, tid = space["id"], resource["id"], tariff["id"]

    writes = [
        ("patch", f"/spaces/{sid}", {"name": "Захвачено"}),
        ("delete", f"/spaces/{sid}", None),
        ("post", f"/spaces/{sid}/submit", None),
        ("get", f"/spaces/{sid}/resources", None),
        ("post", f"/spaces/{sid}/resources", {"kind": "meeting_room", "name": "X", "capacity": 4}),
        ("patch", f"/spaces/{sid}/resources/{rid}", {"capacity": 999}),
        ("delete", f"/spaces/{sid}/resources/{rid}", None),
        ("put", f"/spaces/{sid}/resources/{rid}/tariffs", {"unit": "hour", "price_minor": 1}),
        ("delete", f"/spaces/{sid}/resources/{rid}/tariffs/{tid}", None),
    ]

    def call(method, path, body, headers):
        kwargs = {"headers": headers} if headers else {}
        if body is not None:
            kwargs["json"] = body
        return getattr(client, method)(f"{API}{path}", **kwargs)

    for method, path, body in writes:
        assert call(method, path, body, None).status_code == 401, path
        assert call(method, path, body, renter_auth).status_code == 403, path
        assert call(method, path, body, other_auth).status_code == 404, path
    assert client.post(f"{API}/spaces", headers=renter_auth, json=_space_body()).status_code == 403

    # Mixing ids: the other owner's resource/tariff under my own space's URL.
    osid, orid, otid = other_space["id"], other_resource["id"], other_tariff["id"]
    assert client.patch(f"{API}/spaces/{sid}/resources/{orid}", headers=owner_auth,
                        json={"capacity": 1}).status_code == 404
    assert client.delete(f"{API}/spaces/{sid}/resources/{rid}/tariffs/{otid}",
                         headers=owner_auth).status_code == 404
    assert client.delete(f"{API}/spaces/{osid}/resources/{rid}", headers=owner_auth).status_code == 404

    with transaction() as s:
        row = s.get(Space, sid)
        assert row.name == "Лофт на Тверской" and row.deleted_at is None
        assert row.max_capacity == 20 and row.price_hour_from == 35000

    # The owner can do all of it.
    assert client.patch(f"{API}/spaces/{sid}", headers=owner_auth,
                        json={"name": "Лофт 2"}).json()["name"] == "Лофт 2"
    assert client.delete(f"{API}/spaces/{sid}/resources/{rid}/tariffs/{tid}",
                         headers=owner_auth).status_code == 204
    assert client.delete(f"{API}/spaces/{sid}", headers=owner_auth).status_code == 204
    assert client.get(f"{API}/owner/spaces", headers=owner_auth).json() == []
    with transaction() as s:
        assert s.scalars(select(Space.deleted_at).where(Space.id == sid)).one() is not None


def test_admin_publishes_and_can_edit_any_space_2fa_rule_for_staff(client, make_user, login,
                                                                     monkeypatch):
    from coworking_app.services.accounts.signup import do_create_staff
    from coworking_app.settings import get_settings

    owner_auth, space, _resource, _tariff = _owner_with_space(client, make_user, login)
    with transaction() as s:
        do_create_staff(s, email="boss@example.com", password="Boss-Password-123", full_name="Босс")
    admin = login("boss@example.com", "Boss-Password-123")
    path = f"{API}/admin/spaces/{space['id']}/status"
    try:
        assert client.post(path, headers=owner_auth, json={"status": "published"}).status_code == 403
        assert client.post(path, headers=admin, json={"status": "bogus"}).status_code == 422
        r = client.post(path, headers=admin, json={"status": "published"})
        assert r.status_code == 200 and r.json()["status"] == "published"
        assert client.get(f"{API}/spaces/{space['id']}").status_code == 200
        assert client.patch(f"{API}/spaces/{space['id']}", headers=admin,
                            json={"name": "Исправлено модератором"}).status_code == 200

        monkeypatch.setattr(get_settings(), "require_2fa_for_staff", True)
        r = client.post(path, headers=admin, json={"status": "hidden"})
        assert r.status_code == 403 and "двухфакторн" in r.json()["detail"]
    finally:  # a published space would join the search tests' fixture world
        with transaction() as s:
            s.get(Space, space["id"]).status = "hidden"


def test_email_verification_requirement_for_booking(make_user, monkeypatch):
    import pytest

    from coworking_app.services.accounts.permissions import check_can_book
    from coworking_app.services.common.errors import PermissionDenied
    from coworking_app.settings import get_settings
    from models import User

    user_id, _email, _password = make_user()
    with transaction() as s:
        user = s.get(User, user_id)
        assert check_can_book(user) is user  # off by default
        monkeypatch.setattr(get_settings(), "require_email_verification", True)
        with pytest.raises(PermissionDenied):
            check_can_book(user)
