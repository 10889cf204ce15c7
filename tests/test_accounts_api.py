"""Accounts through the REST API: sign-up, sign-in, tokens, sessions, reset, rate limits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt
from sqlalchemy import select, update

from coworking_app.db import session_scope
from coworking_app.settings import get_settings
from models import Notification, OneTimeToken, User

API = "/api/v1"


def _mails(s, email: str, kind: str | None = None) -> list[Notification]:
    """Email rows (verification, reset) addressed to the account with this email."""
    query = (select(Notification).join(User, User.id == Notification.user_id)
             .where(User.email == email, Notification.channel == "email"))
    if kind:
        query = query.where(Notification.type == kind)
    return list(s.scalars(query.order_by(Notification.id)))


def _register(client, **overrides):
    body = {"email": "anna@example.com", "password": "Correct-Horse-42", "full_name": "Анна Ким",
            "phone": "8 (912) 345-67-89", "role": "renter"} | overrides
    return client.post(f"{API}/auth/register", json=body)


def _field_errors(response) -> dict[str, str]:
    return {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}


def test_register_normalises_phone_and_rejects_duplicate_email_any_case(client, clean_limits):
    email = "Mixed.Case@Example.COM"
    r = _register(client, email=email)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["roles"] == ["renter"] and body["email_verified"] is False
    with session_scope() as s:
        user = s.get(User, body["id"])
        assert user.phone == "+79123456789"
        assert user.password_hash.startswith("$argon2id$")
        mail = _mails(s, user.email)
        assert [m.type for m in mail] == ["verify_email"]
    again = _register(client, email=email.lower())
    assert again.status_code == 409
    assert "email" in _field_errors(again)


def test_register_bad_fields_name_the_field_and_write_nothing(client, clean_limits):
    cases = [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "8 (000) 000"}, "phone"),
        ({"password": "short"}, "password"),
        ({"password": "1234567890"}, "password"),  # common
        ({"email": "longpassword@example.com", "password": "longpassword@example.com"}, "password"),
        ({"full_name": " "}, "full_name"),
    ]
    for overrides, field in cases:
        r = _register(client, **({"email": f"bad-{field}@example.com"} | overrides))
        assert r.status_code == 422, (overrides, r.text)
        assert field in _field_errors(r), (overrides, r.json())
    r = _register(client, email="admin-wannabe@example.com", role="admin")
    assert r.status_code == 422 and "role" in str(r.json())
    with session_scope() as s:
        assert s.scalars(select(User).where(User.email.like("bad-%"))).first() is None


def test_login_me_refresh_logout(client, make_user):
    _id, email, password = make_user()
    r = client.post(f"{API}/auth/login", json={"email": email.upper(), "password": password})
    assert r.status_code == 200
    tokens = r.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = client.get(f"{API}/me", headers=auth)
    assert me.status_code == 200 and me.json()["email"] == email

    r = client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    rotated = r.json()
    # The old refresh token is spent; the new one works.
    assert client.post(f"{API}/auth/refresh",
                       json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    auth2 = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert client.post(f"{API}/auth/logout", headers=auth2).status_code == 204
    # Logout kills the session: both access tokens and the refresh token.
    assert client.get(f"{API}/me", headers=auth).status_code == 401
    assert client.get(f"{API}/me", headers=auth2).status_code == 401
    assert client.post(f"{API}/auth/refresh",
                       json={"refresh_token": rotated["refresh_token"]}).status_code == 401


def test_wrong_password_anonymous_and_forged_tokens_get_401(client, make_user):
    _id, email, password = make_user()
    assert client.post(f"{API}/auth/login",
                       json={"email": email, "password": password + "x"}).status_code == 401
    assert client.post(f"{API}/auth/login",
                       json={"email": "nobody@example.com", "password": password}).status_code == 401
    assert client.get(f"{API}/me").status_code == 401
    settings = get_settings()
    now = datetime.now(timezone.utc)
    expired = jwt.encode({"sub": str(_id), "sid": 1, "typ": "access",
                          "iat": int((now - timedelta(hours=1)).timestamp()),
                          "exp": int((now - timedelta(minutes=1)).timestamp())},
                         settings.secret_key, algorithm="HS256")
    forged = jwt.encode({"sub": str(_id), "sid": 1, "typ": "access", "iat": int(now.timestamp()),
                         "exp": int((now + timedelta(minutes=5)).timestamp())},
                        "another-key", algorithm="HS256")
    unsigned = jwt.encode({"sub": str(_id), "sid": 1, "typ": "access"}, None, algorithm="none")
    for token in (expired, forged, unsigned, "garbage"):
        r = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token


def test_failed_logins_are_limited_per_account_with_retry_after(client, make_user):
    _id, email, password = make_user()
    limit = get_settings().login_attempts_per_window
    for _ in range(limit):
        r = client.post(f"{API}/auth/login", json={"email": email, "password": "wrong-password-1"})
        assert r.status_code == 401
    r = client.post(f"{API}/auth/login", json={"email": email, "password": password})
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= get_settings().login_window_seconds
    assert r.json()["retry_after"] == int(r.headers["Retry-After"])


def test_password_reset_is_single_use_expires_and_signs_out_everywhere(client, make_user, login):
    _id, email, password = make_user()
    auth = login(email, password)
    unknown = client.post(f"{API}/auth/password-reset/request", json={"email": "ghost@example.com"})
    known = client.post(f"{API}/auth/password-reset/request", json={"email": email})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    with session_scope() as s:
        [mail] = _mails(s, email, "reset_password")
    token = mail.body.split("token=")[1].split()[0]
    r = client.post(f"{API}/auth/password-reset/confirm",
                    json={"token": token, "new_password": "short"})
    assert r.status_code == 422  # and the token is not spent by a failed attempt
    r = client.post(f"{API}/auth/password-reset/confirm",
                    json={"token": token, "new_password": "Brand-New-Secret-7"})
    assert r.status_code == 200
    assert client.get(f"{API}/me", headers=auth).status_code == 401
    again = client.post(f"{API}/auth/password-reset/confirm",
                        json={"token": token, "new_password": "Another-Secret-8"})
    assert again.status_code == 422 and "token" in _field_errors(again)
    login(email, "Brand-New-Secret-7")

    # An expired link does nothing.
    client.post(f"{API}/auth/password-reset/request", json={"email": email})
    with session_scope() as s:
        mails = _mails(s, email, "reset_password")
        s.execute(update(OneTimeToken).where(OneTimeToken.user_id == _id)
                  .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    late = mails[-1].body.split("token=")[1].split()[0]
    r = client.post(f"{API}/auth/password-reset/confirm",
                    json={"token": late, "new_password": "Too-Late-Secret-9"})
    assert r.status_code == 422


def test_password_change_keeps_this_device_and_signs_out_the_others(client, make_user, login):
    _id, email, password = make_user()
    here, there = login(email, password), login(email, password)
    r = client.post(f"{API}/me/password", headers=here,
                    json={"current_password": "wrong-one-123", "new_password": "New-Secret-123"})
    assert r.status_code == 422 and "current_password" in _field_errors(r)
    r = client.post(f"{API}/me/password", headers=here,
                    json={"current_password": password, "new_password": "New-Secret-123"})
    assert r.status_code == 204
    assert client.get(f"{API}/me", headers=here).status_code == 200
    assert client.get(f"{API}/me", headers=there).status_code == 401


def test_profile_patch_validates_and_cannot_touch_roles(client, make_user, login):
    _id, email, password = make_user()
    auth = login(email, password)
    r = client.patch(f"{API}/me", headers=auth, json={"phone": "+7 999 123-45-67", "language": "en"})
    assert r.status_code == 200 and r.json()["phone"] == "+79991234567"
    assert client.patch(f"{API}/me", headers=auth, json={"phone": "12"}).status_code == 422
    assert client.patch(f"{API}/me", headers=auth, json={"roles": ["admin"]}).status_code == 422
    assert client.get(f"{API}/me", headers=auth).json()["roles"] == ["renter"]


def test_email_verification_link(client, make_user):
    _id, email, _password = make_user()
    with session_scope() as s:
        [mail] = _mails(s, email)
    token = mail.body.split("token=")[1].split()[0]
    assert client.post(f"{API}/auth/verify-email", json={"token": token}).status_code == 200
    assert client.post(f"{API}/auth/verify-email", json={"token": token}).status_code == 422
    with session_scope() as s:
        assert s.get(User, _id).email_verified_at is not None


def test_a_token_of_an_expired_session_or_a_blocked_user_opens_nothing(client, make_user):
    """The bearer check (one statement for user and session) refuses what the session row
    and the user say, not only what the token says."""
    from models import AuthSession

    for spoil in ("expire", "block"):
        user_id, email, password = make_user()
        tokens = client.post(f"{API}/auth/login", json={"email": email, "password": password}).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert client.get(f"{API}/me", headers=auth).status_code == 200
        with session_scope() as s:
            if spoil == "expire":
                s.execute(update(AuthSession).where(AuthSession.user_id == user_id)
                          .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
            else:
                s.execute(update(User).where(User.id == user_id).values(is_active=False))
        for method, path in (("GET", "/me"), ("GET", "/bookings"), ("POST", "/bookings")):
            r = client.request(method, f"{API}{path}", headers=auth,
                               json={"resource_id": 1, "start": "2030-01-01T10:00:00+03:00",
                                     "end": "2030-01-01T11:00:00+03:00"} if method == "POST" else None)
            assert r.status_code == 401, (spoil, path, r.text)
            assert r.headers["www-authenticate"] == "Bearer"


def test_a_remembered_token_still_expires_on_time():
    """Verified tokens are remembered per process (security._verified_claims); a token
    that was valid a moment ago is refused once its exp has passed."""
    import time

    from coworking_app.services.security import InvalidAccessToken, issue_access_token, read_access_token

    lifetime = get_settings().access_token_minutes * 60
    token, _ = issue_access_token(7, 11, now=datetime.now(timezone.utc) - timedelta(seconds=lifetime - 2))
    assert read_access_token(token) == (7, 11)
    assert read_access_token(token) == (7, 11)  # the remembered answer
    time.sleep(2.1)
    try:
        read_access_token(token)
    except InvalidAccessToken:
        pass
    else:
        raise AssertionError("an expired token was accepted")
