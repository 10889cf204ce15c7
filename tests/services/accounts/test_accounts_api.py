"""Accounts through the REST API: sign-up, sign-in, tokens, sessions, reset, rate limits."""

from __future__ import annotations

import statistics
import threading
import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from coworking_app.db import get_engine
from coworking_app.services.accounts.security import client_address
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import AuthSession, Notification, OneTimeToken, SignUpRequest, User
from tests.account_helpers import (
    api_sign_up,
    code_in,
    link_token_in,
    run_account_jobs,
    sign_up_mail,
)
from tests.uow_helpers import transaction

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


def _reset_token(email: str, nth: int = -1) -> str:
    with transaction() as s:
        return _mails(s, email, "reset_password")[nth].body.split("token=")[1].split()[0]


def test_sign_up_mails_a_code_that_creates_the_verified_account_and_signs_in(client, clean_limits):
    email = "Mixed.Case@Example.COM"
    r = _register(client, email=email)
    assert r.status_code == 202, r.text
    assert set(r.json()) == {"detail"}  # nothing about the account
    with transaction() as s:
        assert s.scalars(select(User).where(User.email == email)).first() is None  # not yet
    mail = sign_up_mail(email)
    assert mail.kind == "new" and mail.email == "Mixed.Case@example.com"
    assert mail.password_hash.startswith("$argon2id$") and "Correct-Horse-42" not in mail.body
    assert run_account_jobs() == ["sent"]

    r = client.post(f"{API}/auth/register/confirm", json={"email": email.lower(), "code": code_in(mail.body)})
    assert r.status_code == 200, r.text
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).json()
    assert me["roles"] == ["renter"] and me["email_verified"] is True
    assert me["phone"] == "+79123456789" and "id" in me
    # The code is spent; the address now has an account, and signing in works.
    again = client.post(f"{API}/auth/register/confirm", json={"email": email, "code": code_in(mail.body)})
    assert again.status_code == 422 and "code" in _field_errors(again)
    assert client.post(f"{API}/auth/login", json={"email": email, "password": "Correct-Horse-42"}).status_code == 200


def test_sign_up_of_a_taken_address_answers_the_same_and_tells_its_owner(client, make_user):
    """Enumeration: the same status, body and work for a free and a taken address; the
    owner of the taken one gets a mail instead, and no code can confirm it."""
    _id, taken, _password = make_user()
    free = "brand-new-person@example.com"
    answers, times = {}, {"free": [], "taken": []}
    for round_ in range(4):
        for kind, address in (("free", f"r{round_}-{free}"), ("taken", taken)):
            started = time.perf_counter()
            r = _register(client, email=address, password="Other-Horse-77")
            times[kind].append(time.perf_counter() - started)
            answers[kind] = (r.status_code, r.json())
    assert answers["free"] == answers["taken"] and answers["free"][0] == 202
    free_time, taken_time = statistics.median(times["free"]), statistics.median(times["taken"])
    # Both hash the password and queue one mail (a refusal without hashing was 10x faster).
    assert 1 / 3 < free_time / taken_time < 3, times

    note = sign_up_mail(taken)
    assert note.kind == "taken" and note.code_hash is None and note.password_hash == ""
    assert "пытался зарегистрироваться" in note.body and "/reset-password" in note.body
    wrong_free = client.post(f"{API}/auth/register/confirm", json={"email": f"r0-{free}", "code": "000000"})
    wrong_taken = client.post(f"{API}/auth/register/confirm", json={"email": taken, "code": "123456"})
    assert wrong_free.status_code == wrong_taken.status_code == 422
    assert wrong_free.json() == wrong_taken.json()
    with transaction() as s:  # the owner's password did not change
        assert client.post(f"{API}/auth/login", json={"email": taken, "password": _password}).status_code == 200
        assert s.scalars(select(SignUpRequest).where(SignUpRequest.email == taken)).first() is not None


def test_sign_up_code_dies_after_wrong_tries_but_the_link_works_once(client, clean_limits):
    email = "code-tries@example.com"
    assert _register(client, email=email).status_code == 202
    body = sign_up_mail(email).body
    code = code_in(body)
    for _ in range(5):
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        assert client.post(f"{API}/auth/register/confirm",
                           json={"email": email, "code": wrong}).status_code == 422
    r = client.post(f"{API}/auth/register/confirm", json={"email": email, "code": code})
    assert r.status_code == 422  # guessed for too long: the code is dead
    r = client.post(f"{API}/auth/register/confirm", json={"token": link_token_in(body)})
    assert r.status_code == 200, r.text
    r = client.post(f"{API}/auth/register/confirm", json={"token": link_token_in(body)})
    assert r.status_code == 422 and "token" in _field_errors(r)


def test_expired_sign_ups_are_forgotten(client, clean_limits):
    from jobs.accounts import purge_sign_up_requests

    for address in ("late-1@example.com", "late-2@example.com"):
        assert _register(client, email=address).status_code == 202
    with transaction() as s:
        s.execute(update(SignUpRequest).where(SignUpRequest.email == "late-1@example.com")
                  .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert purge_sign_up_requests() >= 1
    with transaction() as s:
        left = set(s.scalars(select(SignUpRequest.email).where(SignUpRequest.email.like("late-%"))))
    assert left == {"late-2@example.com"}
    body = sign_up_mail("late-2@example.com").body
    assert client.post(f"{API}/auth/register/confirm",
                       json={"email": "late-2@example.com", "code": code_in(body)}).status_code == 200


def test_sign_up_is_limited_per_client_address(client, clean_limits, monkeypatch):
    monkeypatch.setattr(get_settings(), "signups_per_ip_per_hour", 3)
    answers = [_register(client, email=f"flood-{i}@example.com").status_code for i in range(5)]
    assert answers == [202, 202, 202, 429, 429]


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
    with transaction() as s:
        assert s.scalars(select(User).where(User.email.like("bad-%"))).first() is None
        assert s.scalars(select(SignUpRequest).where(SignUpRequest.email.like("bad-%"))).first() is None


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


def test_a_rotated_refresh_token_presented_again_ends_the_whole_session(client, make_user):
    """Refresh token reuse (OAuth 2.0 Security BCP): a spent token means two holders."""
    _id, email, password = make_user()
    first = client.post(f"{API}/auth/login", json={"email": email, "password": password}).json()
    second = client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    third = client.post(f"{API}/auth/refresh", json={"refresh_token": second["refresh_token"]}).json()
    auth = {"Authorization": f"Bearer {third['access_token']}"}
    assert client.get(f"{API}/me", headers=auth).status_code == 200
    # The thief (or the victim) comes back with an older token: everything of the session dies.
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401
    assert client.get(f"{API}/me", headers=auth).status_code == 401
    assert client.post(f"{API}/auth/refresh",
                       json={"refresh_token": third["refresh_token"]}).status_code == 401
    # Another session of the same person is untouched; garbage tokens end nothing.
    other = client.post(f"{API}/auth/login", json={"email": email, "password": password}).json()
    for junk in ("garbage", "nope.nope", f"{other['refresh_token'].partition('.')[0]}"):
        assert client.post(f"{API}/auth/refresh", json={"refresh_token": junk}).status_code == 401
    assert client.post(f"{API}/auth/refresh",
                       json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_tokens_name_their_session_by_a_random_id(client, make_user):
    """A token signed with the right key but naming a session by its serial id opens
    nothing: the `sid` is random, not a counter."""
    user_id, email, password = make_user()
    tokens = client.post(f"{API}/auth/login", json={"email": email, "password": password}).json()
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    with transaction() as s:
        row = s.scalars(select(AuthSession).where(AuthSession.user_id == user_id)).one()
    assert claims["sid"] == row.public_id and len(row.public_id) >= 20
    assert str(row.id) not in (claims["sid"], tokens["refresh_token"].partition(".")[0])
    now = datetime.now(timezone.utc)
    forged = jwt.encode({"sub": str(user_id), "sid": row.id, "typ": "access", "iat": int(now.timestamp()),
                         "exp": int((now + timedelta(minutes=5)).timestamp())},
                        get_settings().secret_key, algorithm="HS256")
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


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


def test_concurrent_wrong_passwords_cannot_pass_the_lockout(client, make_user):
    """Twenty wrong passwords at once: no more than the limit are even checked, and then
    the right password waits for the window too."""
    _id, email, password = make_user()
    limit = get_settings().login_attempts_per_window
    answers: list[int] = []
    start = threading.Barrier(20)

    def guess(i: int) -> None:
        start.wait()
        r = client.post(f"{API}/auth/login", json={"email": email, "password": f"wrong-password-{i}"})
        answers.append(r.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [401] * limit + [429] * (20 - limit), answers
    assert client.post(f"{API}/auth/login", json={"email": email, "password": password}).status_code == 429


def _proxied(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": f"{ip}, 10.20.0.7"}  # the client, then an inner proxy


def test_client_address_behind_trusted_proxies(monkeypatch):
    monkeypatch.setattr(get_settings(), "trusted_proxies", ["10.20.0.0/16", "fd00::/8"])
    assert client_address("198.51.100.9", "1.2.3.4") == "198.51.100.9"  # untrusted peer: its header is ignored
    assert client_address("10.20.0.1", "203.0.113.5") == "203.0.113.5"
    assert client_address("10.20.0.1", "1.2.3.4, 203.0.113.5, 10.20.0.7") == "203.0.113.5"  # rightmost untrusted
    assert client_address("10.20.0.1", ["1.2.3.4", "203.0.113.5:4711"]) == "203.0.113.5"
    assert client_address("10.20.0.1", "not-an-ip, 10.20.0.9") == "10.20.0.9"  # garbage stops the walk
    assert client_address("10.20.0.1", "") == "10.20.0.1"
    assert client_address("fd00::1", "[2001:db8::5]:443") == "2001:db8::5"
    monkeypatch.setattr(get_settings(), "trusted_proxies", [])
    assert client_address("10.20.0.1", "203.0.113.5") == "10.20.0.1"


def test_behind_a_proxy_one_address_cannot_lock_out_the_others(world, make_user, monkeypatch):
    """Every client arrives from the proxy's address: the limits count the client behind
    it (TRUSTED_PROXIES), per account far lower than per address."""
    from coworking_app.api import create_api

    monkeypatch.setattr(get_settings(), "trusted_proxies", ["10.20.0.0/16"])
    _a, victim, _pw = make_user()
    _b, other, other_password = make_user()
    with TestClient(create_api(), client=("10.20.0.1", 40000), raise_server_exceptions=False) as proxy:
        limit = get_settings().login_attempts_per_window
        for _ in range(limit):
            r = proxy.post(f"{API}/auth/login", headers=_proxied("203.0.113.5"),
                           json={"email": victim, "password": "wrong-password-1"})
            assert r.status_code == 401
        # The same attacker cannot go on with this account ...
        assert proxy.post(f"{API}/auth/login", headers=_proxied("203.0.113.5"),
                          json={"email": victim, "password": "wrong-password-1"}).status_code == 429
        # ... but everybody else behind the proxy signs in, even from the attacker's address.
        for ip in ("203.0.113.77", "203.0.113.5"):
            r = proxy.post(f"{API}/auth/login", headers=_proxied(ip),
                           json={"email": other, "password": other_password})
            assert r.status_code == 200, (ip, r.text)
        # Five reset requests from one address do not stop reset mail for anybody else.
        for i in range(5):
            assert proxy.post(f"{API}/auth/password-reset/request", headers=_proxied("203.0.113.5"),
                              json={"email": f"someone-{i}@example.com"}).status_code == 202
        assert proxy.post(f"{API}/auth/password-reset/request", headers=_proxied("203.0.113.8"),
                          json={"email": other}).status_code == 202
    run_account_jobs()
    with transaction() as s:
        assert len(_mails(s, other, "reset_password")) == 1


def test_password_reset_request_does_the_same_work_for_any_address(client, make_user):
    """The request only queues a job: no lookup, no row, the same answer."""
    _id, email, _password = make_user()
    unknown = client.post(f"{API}/auth/password-reset/request", json={"email": "ghost@example.com"})
    known = client.post(f"{API}/auth/password-reset/request", json={"email": email})
    assert unknown.status_code == known.status_code == 202 and unknown.json() == known.json()
    with transaction() as s:
        assert _mails(s, email, "reset_password") == []  # nothing yet: the worker does it
    assert sorted(run_account_jobs()) == ["queued", "skipped: no such account"]
    with transaction() as s:
        assert len(_mails(s, email, "reset_password")) == 1


def test_password_reset_is_single_use_expires_and_signs_out_everywhere(client, make_user, login):
    _id, email, password = make_user()
    auth = login(email, password)
    assert client.post(f"{API}/auth/password-reset/request", json={"email": email}).status_code == 202
    run_account_jobs()
    token = _reset_token(email)
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
    run_account_jobs()
    with transaction() as s:
        mails = _mails(s, email, "reset_password")
        s.execute(update(OneTimeToken).where(OneTimeToken.user_id == _id)
                  .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    late = mails[-1].body.split("token=")[1].split()[0]
    r = client.post(f"{API}/auth/password-reset/confirm",
                    json={"token": late, "new_password": "Too-Late-Secret-9"})
    assert r.status_code == 422


def test_a_new_password_ends_every_older_reset_link(client, make_user, login):
    """T1 and T2 requested; T2 used: T1 is dead. A password change kills open links too."""
    _id, email, password = make_user()
    for _ in range(2):
        client.post(f"{API}/auth/password-reset/request", json={"email": email})
        run_account_jobs()
    first, second = _reset_token(email, 0), _reset_token(email, 1)
    r = client.post(f"{API}/auth/password-reset/confirm", json={"token": second, "new_password": "Second-Secret-22"})
    assert r.status_code == 200
    r = client.post(f"{API}/auth/password-reset/confirm", json={"token": first, "new_password": "First-Secret-11"})
    assert r.status_code == 422 and "token" in _field_errors(r)
    login(email, "Second-Secret-22")

    client.post(f"{API}/auth/password-reset/request", json={"email": email})
    run_account_jobs()
    pending = _reset_token(email)
    here = login(email, "Second-Secret-22")
    assert client.post(f"{API}/me/password", headers=here, json={
        "current_password": "Second-Secret-22", "new_password": "Third-Secret-33"}).status_code == 204
    r = client.post(f"{API}/auth/password-reset/confirm", json={"token": pending, "new_password": "Fourth-Secret-44"})
    assert r.status_code == 422


def test_a_new_password_also_gives_a_new_calendar_feed_url(client, make_user, login):
    """The feed URL is a credential too: a leaked one dies with a password change."""
    _id, email, password = make_user()
    auth = login(email, password)
    old = client.get(f"{API}/me/calendar", headers=auth).json()["url"].split("/api/v1", 1)[1]
    assert client.get(f"{API}{old}").status_code == 200
    assert client.post(f"{API}/me/password", headers=auth, json={
        "current_password": password, "new_password": "Fresh-Secret-55"}).status_code == 204
    new = client.get(f"{API}/me/calendar", headers=auth).json()["url"].split("/api/v1", 1)[1]
    assert new != old and client.get(f"{API}{new}").status_code == 200
    assert client.get(f"{API}{old}").status_code == 404


@pytest.fixture()
def commit_fails_for_a_name():
    """A deferred constraint trigger: an update of app_user to this name passes every
    statement and fails at COMMIT, as a deferred constraint or a lost connection would."""
    name = "Провал Коммита"
    with get_engine().begin() as conn:
        conn.execute(text(f"""
            CREATE OR REPLACE FUNCTION test_refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.full_name = '{name}' THEN RAISE EXCEPTION 'refused at commit (test)'; END IF;
              RETURN NULL;
            END $$"""))
        conn.execute(text("CREATE CONSTRAINT TRIGGER test_refuse_commit AFTER UPDATE ON app_user "
                          "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse_commit()"))
    try:
        yield name
    finally:
        with get_engine().begin() as conn:
            conn.execute(text("DROP TRIGGER IF EXISTS test_refuse_commit ON app_user"))
            conn.execute(text("DROP FUNCTION IF EXISTS test_refuse_commit()"))


def test_a_change_whose_commit_fails_is_not_answered_with_success(client, make_user, login,
                                                                   commit_fails_for_a_name):
    """The transaction commits before the answer is sent: a failed commit is an error
    answer, never a 2xx for a change that was lost."""
    _id, email, password = make_user()
    auth = login(email, password)
    r = client.patch(f"{API}/me", headers=auth, json={"full_name": commit_fails_for_a_name})
    assert r.status_code >= 500, r.text
    assert client.get(f"{API}/me", headers=auth).json()["full_name"] == "Тест Тестов"
    r = client.patch(f"{API}/me", headers=auth, json={"full_name": "Новое Имя"})
    assert r.status_code == 200 and client.get(f"{API}/me", headers=auth).json()["full_name"] == "Новое Имя"


def test_the_session_cookie_is_set_http_only_from_a_one_time_ticket(client, make_user):
    """The pages' session cookie (state/auth.py): set by the server, HttpOnly, strict
    same-site; only a same-origin JSON POST may set or clear it."""
    from coworking_app.services.accounts.sessions import (
        SESSION_COOKIE,
        do_issue_cookie_ticket,
        do_start_session,
    )

    user_id, _email, _password = make_user()
    _row, token, _refresh = run_use_case(lambda s, fx: do_start_session(s, fx, s.get(User, user_id)))
    ticket = do_issue_cookie_ticket(token)
    same_site = {"Origin": "http://testserver"}
    assert client.post(f"{API}/auth/ui-session", json={"ticket": ticket},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(f"{API}/auth/ui-session", data={"ticket": ticket},
                       headers=same_site).status_code in (403, 422)
    r = client.post(f"{API}/auth/ui-session", json={"ticket": ticket}, headers=same_site)
    assert r.status_code == 204, r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={token};")
    for part in ("HttpOnly", "SameSite=strict", "Path=/", "Max-Age="):
        assert part.lower() in cookie.lower(), cookie
    client.cookies.clear()
    # Once only.
    assert client.post(f"{API}/auth/ui-session", json={"ticket": ticket}, headers=same_site).status_code == 401
    # Sign-out: the session ends, the cookie is cleared; not from another site.
    assert client.post(f"{API}/auth/ui-session/end", json={}, cookies={SESSION_COOKIE: token},
                       headers={"Origin": "null"}).status_code == 403
    r = client.post(f"{API}/auth/ui-session/end", json={}, headers=same_site,
                    cookies={SESSION_COOKIE: token})
    assert r.status_code == 204 and f'{SESSION_COOKIE}=""' in r.headers["set-cookie"]
    client.cookies.clear()
    with transaction() as s:
        assert s.scalars(select(AuthSession).where(AuthSession.user_id == user_id)).one().revoked_at is not None


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
    with transaction() as s:
        [mail] = _mails(s, email)
    token = mail.body.split("token=")[1].split()[0]
    assert client.post(f"{API}/auth/verify-email", json={"token": token}).status_code == 200
    assert client.post(f"{API}/auth/verify-email", json={"token": token}).status_code == 422
    with transaction() as s:
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
        with transaction() as s:
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

    from coworking_app.services.accounts.security import InvalidAccessToken, issue_access_token, read_access_token

    lifetime = get_settings().access_token_minutes * 60
    token, _ = issue_access_token(7, "s-11", now=datetime.now(timezone.utc) - timedelta(seconds=lifetime - 2))
    assert read_access_token(token) == (7, "s-11")
    assert read_access_token(token) == (7, "s-11")  # the remembered answer
    time.sleep(2.1)
    try:
        read_access_token(token)
    except InvalidAccessToken:
        pass
    else:
        raise AssertionError("an expired token was accepted")
