"""Turning two-factor sign-in off (before, 2FA could be turned on and never off): the
current password and a current code (or an unused recovery code), attempts limited per
account, staff keep it while it is required of them, and the audit log records it as it
records turning it on."""

from __future__ import annotations

import pyotp
import pytest

from coworking_app.db import get_cache_redis
from coworking_app.services.accounts import twofactor
from coworking_app.settings import get_settings
from models import RecoveryCode, Role, User
from sqlalchemy import func, select
from tests.admin_helpers import audit_max_id, audit_rows_after
from tests.uow_helpers import transaction

API = "/api/v1"
OFF = f"{API}/me/two-factor/disable"


def _enrol(user_id: int) -> tuple[str, list[str]]:
    with transaction() as s:
        secret, _uri, _svg = twofactor.do_start_enrolment(s, s.get(User, user_id))
    with transaction() as s:
        codes = twofactor.do_confirm_enrolment(s, s.get(User, user_id), pyotp.TOTP(secret).now())
    return secret, codes


def _signed_in_with_2fa(client, make_user) -> tuple[int, str, str, dict, list[str]]:
    user_id, email, password = make_user()
    secret, codes = _enrol(user_id)
    r = client.post(f"{API}/auth/login", json={"email": email, "password": password,
                                                "totp_code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200, r.text
    return user_id, email, password, {"Authorization": f"Bearer {r.json()['access_token']}"}, [secret, *codes]


def _fields(response) -> list[str]:
    return [d["loc"][-1] for d in response.json()["detail"]]


def test_turning_off_needs_the_password_and_a_code_and_is_audited(client, make_user):
    user_id, email, password, auth, (secret, *codes) = _signed_in_with_2fa(client, make_user)
    r = client.post(OFF, headers=auth, json={"current_password": "Wrong-Horse-00", "totp_code": pyotp.TOTP(secret).now()})
    assert r.status_code == 422 and _fields(r) == ["current_password"]
    assert r.json()["detail"][0]["msg"] == "Текущий пароль неверен"
    r = client.post(OFF, headers=auth, json={"current_password": password, "totp_code": "000000"})
    assert r.status_code == 422 and _fields(r) == ["totp_code"]
    r = client.post(OFF, headers=auth, json={"current_password": password, "totp_code": ""})
    assert r.status_code == 422 and _fields(r) == ["totp_code"]
    assert client.get(f"{API}/me", headers=auth).json()["totp_enabled"] is True

    before = audit_max_id()
    r = client.post(OFF, headers=auth, json={"current_password": password, "totp_code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200, r.text
    assert r.json()["totp_enabled"] is False
    rows = [row for row in audit_rows_after(before) if (row["entity"], row["entity_id"]) == ("user", user_id)]
    (row,) = rows
    assert (row["action"], row["actor_id"]) == ("update", user_id)
    assert row["changes"]["totp_secret"] == ["***", None]
    assert row["changes"]["totp_enabled_at"][1] is None
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user_id)) == 0
    # Signing in takes the password alone again; turning off twice is a conflict.
    assert client.post(f"{API}/auth/login", json={"email": email, "password": password}).status_code == 200
    r = client.post(OFF, headers=auth, json={"current_password": password, "totp_code": codes[0]})
    assert r.status_code == 409


def test_a_recovery_code_does_as_the_second_factor(client, make_user):
    _user_id, _email, password, auth, (_secret, *codes) = _signed_in_with_2fa(client, make_user)
    r = client.post(OFF, headers=auth, json={"current_password": password, "totp_code": codes[3].upper()})
    assert r.status_code == 200 and r.json()["totp_enabled"] is False


def test_attempts_are_limited_per_account(client, make_user):
    _user_id, _email, password, auth, (secret, *_codes) = _signed_in_with_2fa(client, make_user)
    for _ in range(twofactor.DISABLE_ATTEMPTS):
        r = client.post(OFF, headers=auth, json={"current_password": password, "totp_code": "111111"})
        assert r.status_code == 422
    r = client.post(OFF, headers=auth, json={"current_password": password, "totp_code": pyotp.TOTP(secret).now()})
    assert r.status_code == 429 and "Retry-After" in r.headers
    get_cache_redis().flushdb()


def test_staff_keep_it_while_it_is_required(client, make_user, monkeypatch):
    user_id, _email, password, auth, (secret, *_codes) = _signed_in_with_2fa(client, make_user)
    with transaction() as s:
        s.get(User, user_id).roles = [Role.renter.value, Role.operator.value]
    monkeypatch.setattr(get_settings(), "require_2fa_for_staff", True)
    r = client.post(OFF, headers=auth, json={"current_password": password, "totp_code": pyotp.TOTP(secret).now()})
    assert r.status_code == 403 and "обязательна" in r.json()["detail"]
    monkeypatch.setattr(get_settings(), "require_2fa_for_staff", False)
    r = client.post(OFF, headers=auth, json={"current_password": password, "totp_code": pyotp.TOTP(secret).now()})
    assert r.status_code == 200


def test_nobody_signed_in_gets_401(client):
    assert client.post(OFF, json={"current_password": "x", "totp_code": "123456"}).status_code == 401


@pytest.mark.parametrize("body", [{"current_password": "x"}, {"totp_code": "1"}, {"current_password": "x", "totp_code": "1", "extra": 1}])
def test_the_body_is_checked_at_the_edge(client, make_user, login, body):
    _user_id, email, password = make_user()
    r = client.post(OFF, headers=login(email, password), json=body)
    assert r.status_code == 422
