"""TOTP two-factor sign-in with single-use recovery codes."""

from __future__ import annotations

import pyotp

from coworking_app.services.accounts import twofactor
from models import User
from tests.uow_helpers import transaction

API = "/api/v1"


def test_totp_enrolment_then_login_needs_a_code_and_recovery_codes_work_once(client, make_user):
    user_id, email, password = make_user()
    with transaction() as s:
        user = s.get(User, user_id)
        secret, uri, svg = twofactor.do_start_enrolment(s, user)
        assert uri.startswith("otpauth://totp/") and "<svg" in svg
    with transaction() as s:
        user = s.get(User, user_id)
        codes = twofactor.do_confirm_enrolment(s, user, pyotp.TOTP(secret).now())
    assert len(codes) == 10 and len(set(codes)) == 10

    login = {"email": email, "password": password}
    r = client.post(f"{API}/auth/login", json=login)
    assert r.status_code == 401 and r.json()["detail"][0]["type"] == "totp_required"
    r = client.post(f"{API}/auth/login", json=login | {"totp_code": "000000"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "totp_code"
    r = client.post(f"{API}/auth/login", json=login | {"totp_code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200
    r = client.post(f"{API}/auth/login", json=login | {"totp_code": codes[0].upper()})
    assert r.status_code == 200
    r = client.post(f"{API}/auth/login", json=login | {"totp_code": codes[0]})
    assert r.status_code == 422  # spent
