"""Owners set booking rules, add-ons and promo codes for their own spaces only."""

from __future__ import annotations

from datetime import timedelta

from coworking_app.services.accounts.signup import do_create_staff
from models import Role
from tests.booking_helpers import API, body, local, make_bookable, new_user, in_days
from tests.uow_helpers import transaction


def _owner_auth(client, b):
    r = client.post(f"{API}/auth/login", json={"email": b.owner_email, "password": "Correct-Horse-42"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _auth(client, email, password="Correct-Horse-42"):
    r = client.post(f"{API}/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_owner_sets_rules_addons_and_promo_and_the_renter_sees_them(client, world, clean_limits):
    b = make_bookable()
    owner = _owner_auth(client, b)
    r = client.patch(f"{API}/spaces/{b.space_id}", headers=owner, json={
        "cancellation_policy": "strict", "instant_book": False, "vat_rate_bp": 2200,
        "prices_include_vat": False})
    assert r.status_code == 200, r.text
    assert (r.json()["cancellation_policy"], r.json()["instant_book"], r.json()["vat_rate_bp"]) == ("strict", False, 2200)
    r = client.put(f"{API}/spaces/{b.space_id}/addons", headers=owner, json={
        "code": "locker", "name": "Шкафчик", "unit": "booking", "price_minor": 15000})
    assert r.status_code == 200, r.text
    codes = [a["code"] for a in client.get(f"{API}/spaces/{b.space_id}/addons").json()]
    assert "locker" in codes
    r = client.post(f"{API}/spaces/{b.space_id}/promo-codes", headers=owner, json={
        "code": "welcome10", "kind": "percent", "value": 10})
    assert r.status_code == 201 and r.json()["code"] == "WELCOME10"

    _, email, _ = new_user()
    renter = _auth(client, email)
    day = in_days(5)
    r = client.post(f"{API}/bookings/quote", headers=renter, json=body(
        b.desk_id, local(day, 10), local(day, 12), 1, addons=[{"code": "locker", "quantity": 1}],
        promo_code="Welcome10"))
    assert r.status_code == 200, r.text
    price = r.json()
    # 2 h x 300 + 150 = 750 RUB; -10 % = 675; +22 % VAT on top = 148.50 -> 823.50
    assert (price["subtotal"], price["addons"], price["discount"]) == (60000, 15000, 7500)
    assert (price["vat"], price["total"]) == (14850, 82350)
    r = client.post(f"{API}/bookings", headers=renter, json=body(
        b.desk_id, local(day, 10), local(day, 12), 1, promo_code="WELCOME10"))
    assert r.status_code == 201, r.text
    view = client.get(f"{API}/bookings/{r.json()['id']}", headers=renter).json()
    assert view["policy"] == "strict" and view["policy_terms"][0].startswith("не позже чем за 48 ч")

    # Switching an add-on off hides it from renters and refuses it in bookings.
    assert client.delete(f"{API}/spaces/{b.space_id}/addons/locker", headers=owner).status_code == 204
    r = client.post(f"{API}/bookings/quote", headers=renter, json=body(
        b.desk_id, local(day, 14), local(day, 15), 1, addons=[{"code": "locker", "quantity": 1}]))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "addons"


def test_others_cannot_touch_rules_addons_or_promos(client, world, clean_limits):
    b = make_bookable()
    other = make_bookable()
    other_owner = _owner_auth(client, other)
    _, email, _ = new_user()
    renter = _auth(client, email)
    assert client.patch(f"{API}/spaces/{b.space_id}", headers=other_owner,
                        json={"cancellation_policy": "flexible"}).status_code == 404
    assert client.put(f"{API}/spaces/{b.space_id}/addons", headers=other_owner, json={
        "code": "x", "name": "X", "unit": "booking", "price_minor": 1}).status_code == 404
    assert client.post(f"{API}/spaces/{b.space_id}/promo-codes", headers=other_owner, json={
        "code": "STEAL50", "kind": "percent", "value": 50}).status_code == 404
    assert client.post(f"{API}/spaces/{b.space_id}/promo-codes", headers=renter, json={
        "code": "STEAL50", "kind": "percent", "value": 50}).status_code == 403
    assert client.post(f"{API}/promo-codes", headers=other_owner, json={
        "code": "NETWIDE", "kind": "fixed", "value": 100}).status_code == 403
    # Bad values name the field and change nothing.
    owner = _owner_auth(client, b)
    r = client.patch(f"{API}/spaces/{b.space_id}", headers=owner, json={"cancellation_policy": "lenient"})
    assert r.status_code == 422 and "cancellation_policy" in str(r.json()["detail"])
    r = client.patch(f"{API}/spaces/{b.space_id}", headers=owner, json={"vat_rate_bp": 9000})
    assert r.status_code == 422 and "vat_rate_bp" in str(r.json()["detail"])
    r = client.post(f"{API}/spaces/{b.space_id}/promo-codes", headers=owner, json={
        "code": "BIG", "kind": "percent", "value": 150})
    assert r.status_code == 422 and "value" in str(r.json()["detail"])


def test_admin_makes_a_network_promo_valid_everywhere(client, world, clean_limits):
    import uuid
    ADMIN_EMAIL = f"promo-admin-{uuid.uuid4().hex[:6]}@example.com"
    b = make_bookable()
    with transaction() as s:
        do_create_staff(s, email=ADMIN_EMAIL, password="Admin-Password-42",
                        full_name="Админ", role=Role.admin)
    admin = _auth(client, ADMIN_EMAIL, "Admin-Password-42")
    start = local(in_days(3), 0)
    r = client.post(f"{API}/promo-codes", headers=admin, json={
        "code": f"NET{uuid.uuid4().hex[:5]}", "kind": "fixed", "value": 50000, "valid_from": (start - timedelta(days=3)).isoformat()})
    assert r.status_code == 201, r.text
    _, email, _ = new_user()
    renter = _auth(client, email)
    day = in_days(4)
    r = client.post(f"{API}/bookings/quote", headers=renter, json=body(
        b.room_id, local(day, 10), local(day, 11), None, promo_code=r.json()["code"].lower()))
    assert r.status_code == 200 and r.json()["discount"] == 50000 and r.json()["total"] == 100000
