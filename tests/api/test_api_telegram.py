"""Telegram through the REST API: the caller's chat (`/me/telegram`), link codes for the bot
and their limit, unlinking, and confirming a chat that asked the bot to be linked
(`/telegram/links/{code}`), with the notification preferences' Telegram switches."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from coworking_app.services.accounts.security import digest
from coworking_app.services.messaging import telegram
from coworking_app.services.messaging.templates import GROUPS
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import Notification, TelegramLink, User
from tests.uow_helpers import transaction

API = "/api/v1"


def _headers(make_user, login) -> tuple[int, dict]:
    user_id, email, password = make_user()
    return user_id, login(email, password)


def _chat_id() -> int:
    return 10**9 + secrets.randbelow(10**9)  # Telegram's chat ids are 64-bit integers


def _chat_code(chat_id: int, name: str) -> telegram.LinkCode:
    """What the bot does for a chat that is not linked: a code for the site's page."""
    return run_use_case(lambda s, _fx: telegram.do_create_chat_link(s, chat_id, name))


def _expire(code: str) -> None:
    with transaction() as s:
        s.execute(update(TelegramLink).where(TelegramLink.code_digest == digest(code))
                  .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))


def _refusal(response) -> dict:
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["path", "code"], problem
    return problem


def test_a_link_code_is_a_deep_link_to_the_bot_for_ten_minutes(client, make_user, login):
    _user_id, auth = _headers(make_user, login)
    me = client.get(f"{API}/me/telegram", headers=auth)
    assert me.status_code == 200, me.text
    bot = get_settings().telegram_bot_username
    assert me.json() == {"linked": False, "name": None, "linked_at": None, "bot_username": bot}

    before = datetime.now(timezone.utc)
    r = client.post(f"{API}/me/telegram/link", headers=auth)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"code", "url", "expires_at"}
    assert telegram.CODE_RE.fullmatch(body["code"])
    assert body["url"] == f"https://t.me/{bot}?start={body['code']}"
    expires = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(minutes=10) <= expires <= datetime.now(timezone.utc) + timedelta(minutes=10)
    # Another code each time; only its digest is stored.
    other = client.post(f"{API}/me/telegram/link", headers=auth).json()["code"]
    assert other != body["code"]
    with transaction() as s:
        row = s.scalars(select(TelegramLink).where(TelegramLink.code_digest == digest(body["code"]))).one()
        assert row.chat_id is None and row.used_at is None and body["code"] not in row.code_digest


def test_the_bot_links_the_chat_that_opens_the_link_and_unlinking_twice_is_fine(client, make_user, login):
    user_id, auth = _headers(make_user, login)
    code = client.post(f"{API}/me/telegram/link", headers=auth).json()["code"]
    chat_id = _chat_id()
    # The bot's `/start <code>` (coworking_app/bot runs it in its own process).
    run_use_case(lambda s, _fx: telegram.do_link_chat(s, code, chat_id, "Мария Ботова"))

    me = client.get(f"{API}/me/telegram", headers=auth).json()
    assert me["linked"] is True and me["name"] == "Мария Ботова"
    assert datetime.fromisoformat(me["linked_at"]) <= datetime.now(timezone.utc)

    for _ in range(2):  # idempotent
        r = client.delete(f"{API}/me/telegram", headers=auth)
        assert r.status_code == 204 and r.content == b""
        assert client.get(f"{API}/me/telegram", headers=auth).json()["linked"] is False
    with transaction() as s:
        assert s.get(User, user_id).telegram_chat_id is None


def test_strangers_are_refused_everywhere(client):
    code = _chat_code(_chat_id(), "Чат").code
    for method, path in [("GET", "/me/telegram"), ("POST", "/me/telegram/link"), ("DELETE", "/me/telegram"),
                         ("GET", f"/telegram/links/{code}"), ("POST", f"/telegram/links/{code}/confirm")]:
        r = client.request(method, f"{API}{path}")
        assert r.status_code == 401, (method, path, r.text)
        assert "Войдите" in r.json()["detail"]
    # A stranger's look did not spend the code.
    with transaction() as s:
        assert s.scalars(select(TelegramLink).where(TelegramLink.code_digest == digest(code))).one().used_at is None


def test_eleven_codes_an_hour_are_one_too_many(client, make_user, login):
    _user_id, auth = _headers(make_user, login)
    for _ in range(telegram.LINKS_PER_HOUR):
        assert client.post(f"{API}/me/telegram/link", headers=auth).status_code == 201
    r = client.post(f"{API}/me/telegram/link", headers=auth)
    assert r.status_code == 429, r.text
    wait = int(r.headers["Retry-After"])
    assert 0 < wait <= 3600 and r.json()["retry_after"] == wait
    assert "Слишком много кодов" in r.json()["detail"] and "Попробуйте через" in r.json()["detail"]
    # Another person is not affected.
    _other_id, other = _headers(make_user, login)
    assert client.post(f"{API}/me/telegram/link", headers=other).status_code == 201


def test_a_chat_that_asked_the_bot_is_linked_once_confirmed(client, make_user, login):
    user_id, auth = _headers(make_user, login)
    chat_id = _chat_id()
    code = _chat_code(chat_id, "Иван в Telegram").code

    r = client.get(f"{API}/telegram/links/{code}", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["chat_name"] == "Иван в Telegram"
    assert datetime.fromisoformat(r.json()["expires_at"]) > datetime.now(timezone.utc)
    # Looking links nothing.
    assert client.get(f"{API}/me/telegram", headers=auth).json()["linked"] is False

    r = client.post(f"{API}/telegram/links/{code}/confirm", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"chat_name": "Иван в Telegram"}
    me = client.get(f"{API}/me/telegram", headers=auth).json()
    assert me["linked"] is True and me["name"] == "Иван в Telegram"
    with transaction() as s:
        assert s.get(User, user_id).telegram_chat_id == chat_id
        told = s.scalars(select(Notification).where(Notification.user_id == user_id,
                                                    Notification.type == "telegram_linked")).all()
        assert [n.channel for n in told] == ["telegram"]  # the chat hears it is linked

    again = _refusal(client.post(f"{API}/telegram/links/{code}/confirm", headers=auth))
    assert "уже использован" in again["msg"]
    assert "уже использован" in _refusal(client.get(f"{API}/telegram/links/{code}", headers=auth))["msg"]


def test_a_chat_confirmed_by_someone_else_moves_to_them(client, make_user, login):
    first_id, first = _headers(make_user, login)
    second_id, second = _headers(make_user, login)
    chat_id = _chat_id()
    assert client.post(f"{API}/telegram/links/{_chat_code(chat_id, 'Общий').code}/confirm",
                       headers=first).status_code == 200
    assert client.post(f"{API}/telegram/links/{_chat_code(chat_id, 'Общий').code}/confirm",
                       headers=second).status_code == 200
    assert client.get(f"{API}/me/telegram", headers=first).json()["linked"] is False
    assert client.get(f"{API}/me/telegram", headers=second).json()["linked"] is True


def test_expired_unknown_and_malformed_codes_are_refused_naming_the_code(client, make_user, login):
    _user_id, auth = _headers(make_user, login)
    expired = _chat_code(_chat_id(), "Старый чат").code
    _expire(expired)
    for method, suffix in (("GET", ""), ("POST", "/confirm")):
        problem = _refusal(client.request(method, f"{API}/telegram/links/{expired}{suffix}", headers=auth))
        assert "истёк" in problem["msg"]
        unknown = _refusal(client.request(method, f"{API}/telegram/links/{secrets.token_urlsafe(18)}{suffix}",
                                          headers=auth))
        assert "нет" in unknown["msg"]
        for malformed in ("abc", "a" * 15, "код-не-тот-совсем-длинный", "x" * 65, "a.b.c.d.e.f.g.h.i.j"):
            problem = _refusal(client.request(method, f"{API}/telegram/links/{malformed}{suffix}", headers=auth))
            assert problem["msg"] and malformed not in problem["msg"]
    # A code made on the site (for the bot) is not one the site confirms.
    site_code = client.post(f"{API}/me/telegram/link", headers=auth).json()["code"]
    assert "нет" in _refusal(client.post(f"{API}/telegram/links/{site_code}/confirm", headers=auth))["msg"]
    assert client.get(f"{API}/me/telegram", headers=auth).json()["linked"] is False


def test_notification_preferences_carry_the_telegram_switches(client, make_user, login):
    _user_id, auth = _headers(make_user, login)
    r = client.get(f"{API}/me/notification-preferences", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["telegram"] == dict.fromkeys(GROUPS, True)  # on by default

    body = r.json() | {"telegram": dict.fromkeys(GROUPS, True) | {"booking": False, "messages": False}}
    r = client.put(f"{API}/me/notification-preferences", headers=auth, json=body)
    assert r.status_code == 200, r.text
    again = client.get(f"{API}/me/notification-preferences", headers=auth).json()
    assert again["telegram"]["booking"] is False and again["telegram"]["messages"] is False
    assert again["telegram"]["account"] is True and again["email"] == dict.fromkeys(GROUPS, True)

    r = client.put(f"{API}/me/notification-preferences", headers=auth, json=body | {"telegram": {"booking": "да"}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "telegram"]
