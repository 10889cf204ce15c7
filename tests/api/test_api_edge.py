"""The API's edge (issue 16, item 13): text with NUL or lone surrogates, NaN and Infinity in
JSON, integers past what a column holds and dates that overflow are refused with 422 and a
Russian message naming the field, never a 500; an unexpected error answers JSON with the
request id; the OpenAPI documents the refusals. Services called from the Reflex pages
refuse the same strings."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from coworking_app import alerts
from coworking_app.api import create_api
from coworking_app.db import get_rq_redis
from coworking_app.effects import Effects
from coworking_app.services.accounts import sessions
from coworking_app.services.messaging import messages
from coworking_app.services.booking import promos
from coworking_app.services.common.errors import InvalidInput, NotAuthenticated, RateLimited
from coworking_app.services.catalog.owner_spaces import SpaceFields
from coworking_app.services.catalog.search import SearchParams
from coworking_app.services.common.text import check_plain_text
from models import User
from tests.booking_auth import signed_in
from tests.booking_helpers import API, make_bookable

BAD_CHARS = "Недопустимые символы: уберите управляющие и непечатаемые знаки"


def _cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def refused(response, field: str, status: int = 422) -> str:
    """The Russian message of a refusal that names `field` (422 JSON, not a 500)."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    matching = [d for d in detail if d["loc"][-1] == field]
    assert matching, detail
    assert _cyrillic(matching[0]["msg"]), matching[0]
    return matching[0]["msg"]


@pytest.fixture(scope="module")
def renter(world):
    return signed_in("renter")[1]


@pytest.fixture(scope="module")
def owner(world):
    place = make_bookable(name="Коворкинг «Край»")
    from tests.booking_auth import headers_for

    return place, headers_for(place.owner_id)


@pytest.fixture(scope="module")
def admin(world):
    return signed_in("admin")[1]


# --- text: NUL, control characters, lone surrogates ------------------------------------------


@pytest.mark.parametrize("bad", ["ab\x00c", "ab\x07c"])
def test_login_email_with_control_characters_is_refused(client, bad):
    r = client.post(f"{API}/auth/login", json={"email": f"x{bad}@example.com", "password": "x" * 12})
    assert refused(r, "email") == BAD_CHARS


def test_lone_surrogate_in_json_is_refused_not_a_500(client):
    body = '{"email": "new@example.com", "password": "Correct-Horse-42", "full_name": "\\ud800"}'
    r = client.post(f"{API}/auth/register", content=body, headers={"Content-Type": "application/json"})
    assert refused(r, "full_name") == BAD_CHARS


def test_profile_name_with_nul_is_refused(client, renter):
    r = client.patch(f"{API}/me", headers=renter, json={"full_name": "Иван\x00"})
    assert refused(r, "full_name") == BAD_CHARS


def test_message_with_nul_or_surrogate_is_refused(client, renter, owner):
    place, _owner = owner
    for text in ("привет\\u0000", "привет\\ud800"):  # JSON escapes: \ud800 cannot be UTF-8
        r = client.post(f"{API}/conversations", headers={**renter, "Content-Type": "application/json"},
                        content=f'{{"space_id": {place.space_id}, "text": "{text}"}}')
        assert "недопустимые символы" in refused(r, "text")


def test_owner_texts_with_nul_are_refused(client, owner):
    place, auth = owner
    r = client.patch(f"{API}/spaces/{place.space_id}", headers=auth, json={"name": "Зал\x00"})
    assert refused(r, "name") == BAD_CHARS
    r = client.post(f"{API}/spaces/{place.space_id}/resources", headers=auth,
                    json={"kind": "hot_desk", "name": "Стол\x00"})
    assert refused(r, "name") == BAD_CHARS
    r = client.put(f"{API}/spaces/{place.space_id}/addons", headers=auth,
                   json={"code": "tea", "name": "Чай\x00", "unit": "booking", "price_minor": 100})
    assert refused(r, "name") == BAD_CHARS
    r = client.post(f"{API}/offers", headers=auth,
                    json={"title": "Скидка\x00", "text": "Десять процентов всем", "space_id": place.space_id})
    assert refused(r, "title") == BAD_CHARS


def test_queries_with_nul_are_refused(client, renter, owner, admin):
    r = client.get(f"{API}/conversations", headers=renter, params={"q": "a\x00"})
    assert refused(r, "q") == BAD_CHARS
    r = client.get(f"{API}/promo-codes", headers=owner[1], params={"q": "a\x00"})
    assert refused(r, "q") == BAD_CHARS
    r = client.get(f"{API}/admin/users", headers=admin, params={"q": "a\x00"})
    assert refused(r, "q") == BAD_CHARS
    r = client.get(f"{API}/districts", params={"city": "msk\x00"})
    assert refused(r, "city") == BAD_CHARS


# --- JSON numbers, integers past the columns, dates ----------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_are_not_json(client, owner, number):
    place, auth = owner
    body = f'{{"lat": {number}, "lon": 37.6}}'
    r = client.patch(f"{API}/spaces/{place.space_id}", headers={**auth, "Content-Type": "application/json"},
                     content=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["msg"] == "Некорректный JSON"
    assert r.json()["detail"][0]["loc"][0] == "body"


def test_body_that_is_not_utf8_is_a_422(client, owner):
    place, auth = owner
    r = client.patch(f"{API}/spaces/{place.space_id}", headers={**auth, "Content-Type": "application/json"},
                     content=b'{"name": "\xff\xfe"}')
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["msg"] == "Некорректный JSON"


@pytest.mark.parametrize("param", ["min_price", "max_price", "stop_id"])
def test_search_integers_past_the_columns_are_refused(client, param):
    r = client.get(f"{API}/spaces", params={param: 2**31})
    assert refused(r, param) == "Не больше 2\xa0147\xa0483\xa0647"


def test_id_filters_past_the_columns_are_refused(client, admin):
    r = client.get(f"{API}/admin/bookings", headers=admin, params={"id": 2**31})
    assert refused(r, "id").startswith("Не больше")
    r = client.get(f"{API}/admin/bookings", headers=admin, params={"space": 2**40})
    assert refused(r, "space").startswith("Не больше")


def test_tariff_price_past_the_column_is_refused(client, owner):
    place, auth = owner
    r = client.put(f"{API}/spaces/{place.space_id}/resources/{place.desk_id}/tariffs", headers=auth,
                   json={"unit": "hour", "price_minor": 10**11})
    assert refused(r, "price_minor") == "Не больше 2\xa0147\xa0483\xa0647"


def test_audit_period_far_in_the_future_is_refused(client, admin):
    r = client.get(f"{API}/admin/audit", headers=admin, params={"to": "9999-12-31"})
    assert refused(r, "to") == "Дата между 01.01.2000 и 31.12.2100"


def test_pydantic_errors_read_in_russian_with_the_field_named(client):
    r = client.get(f"{API}/spaces", params={"seats": "два", "page": 0})
    assert refused(r, "seats") == "Должно быть целым числом"
    assert refused(r, "page") == "Не меньше 1"
    assert all("input" not in d for d in r.json()["detail"])  # the refused input is not echoed


# --- unexpected errors, limits, unknown paths ------------------------------------------------


@pytest.fixture(scope="module")
def app_with_failures(world):
    api = create_api()

    @api.get("/api/v1/test-only/boom")
    def boom() -> dict:
        raise RuntimeError("unexpected")

    @api.get("/api/v1/test-only/limited")
    def limited() -> dict:
        raise RateLimited(90)

    with TestClient(api, raise_server_exceptions=False) as c:
        yield c


def test_unexpected_error_answers_json_with_the_request_id(app_with_failures, caplog):
    with caplog.at_level(logging.ERROR, logger="coworking_app.api"):
        r = app_with_failures.get(f"{API}/test-only/boom", headers={"X-Request-ID": "req-16-boom"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["request_id"] == "req-16-boom"
    assert r.headers["x-request-id"] == "req-16-boom"
    assert _cyrillic(r.json()["detail"]) and "req-16-boom" in r.json()["detail"]
    assert any("req-16-boom" in record.getMessage() and record.exc_info for record in caplog.records)


def test_too_many_attempts_reads_in_russian(app_with_failures):
    r = app_with_failures.get(f"{API}/test-only/limited")
    assert r.status_code == 429
    assert r.json() == {"detail": "Слишком много попыток. Попробуйте через 2 минуты", "retry_after": 90}
    assert r.headers["retry-after"] == "90"


def test_unknown_path_and_method_answer_in_russian(client):
    r = client.get(f"{API}/no-such-thing")
    assert r.status_code == 404 and r.json() == {"detail": "Не найдено"}
    r = client.delete(f"{API}/cities")
    assert r.status_code == 405 and _cyrillic(r.json()["detail"])


# --- the OpenAPI says what the code accepts and answers -------------------------------------


def test_openapi_documents_bounds_and_refusals(client):
    spec = client.get(f"{API}/openapi.json").json()
    search = {p["name"]: p for p in spec["paths"]["/api/v1/spaces"]["get"]["parameters"]}
    min_price = search["min_price"]["schema"]["anyOf"][0]
    assert (min_price["minimum"], min_price["maximum"]) == (0, 2**31 - 1)
    detail = spec["paths"]["/api/v1/spaces/{space_id}"]["get"]
    assert {"404", "422", "500"} <= set(detail["responses"])
    assert detail["parameters"][0]["schema"]["maximum"] == 2**31 - 1
    login = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "422", "429"} <= set(login)
    assert login["429"]["content"]["application/json"]["schema"]["$ref"].endswith("/TooManyRequests")
    space_name = spec["components"]["schemas"]["SpaceCreate"]["properties"]["name"]
    assert space_name["pattern"].startswith("^[^\\x00-\\x1f")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "500" in operation["responses"], (method, path)
            if "security" in operation or any(p["name"] == "Authorization" for p in operation.get("parameters", [])):
                assert "401" in operation["responses"], (method, path)


# --- services called from the Reflex pages refuse the same strings ------------------------


def test_services_refuse_bad_characters_from_the_pages(session, world):
    with pytest.raises(NotAuthenticated):  # no such account, and no database error either
        sessions.authenticate(session, email="a\x00@example.com", password="x" * 12)
    user = session.get(User, signed_in("owner")[0])
    with pytest.raises(InvalidInput) as caught:
        messages.list_conversations(session, user, q="a\x00")
    assert caught.value.field == "q"
    with pytest.raises(InvalidInput):
        promos.list_promos(session, user, q="\x00")
    with pytest.raises(InvalidInput):
        check_plain_text("text", "привет\ud800", minimum=1, maximum=100, what="Сообщение")
    with pytest.raises(ValidationError):
        SpaceFields(name="Зал\x00")
    assert SearchParams(q="кофе\x00 wifi").q == "кофе  wifi"  # search treats controls as spaces


def test_profile_switches_keep_notification_preferences_readable(client):
    """PATCH /me wrote {email: bool} over the per-group preferences: the next read was a 500."""
    _user_id, auth = signed_in("renter")
    r = client.patch(f"{API}/me", headers=auth, json={"notification_prefs": {"email": False}})
    assert r.status_code == 200, r.text
    r = client.get(f"{API}/me/notification-preferences", headers=auth)
    assert r.status_code == 200, r.text
    assert set(r.json()["email"].values()) == {False} and set(r.json()["in_app"].values()) == {True}


def test_preferences_survive_any_stored_shape(session, world):
    from coworking_app.services.messaging.preferences import preferences

    user = User(email="shape@example.com", full_name="Форма", password_hash="!", roles=["renter"],
                notification_prefs={"email": True, "in_app": "yes", "offers_city_id": 2**40})
    prefs = preferences(user)
    assert set(prefs.email.values()) == {True} and set(prefs.in_app.values()) == {True}
    assert prefs.offers_city_id is None


def test_photo_refusals_read_in_russian(client, owner):
    place, auth = owner

    def upload(data: bytes, name: str = "a.jpg", mime: str = "image/jpeg"):
        return client.post(f"{API}/spaces/{place.space_id}/photos", headers=auth,
                           files={"file": (name, data, mime)})

    r = upload(b"\0" * (6 * 1024 * 1024))  # past the request limit
    assert r.status_code == 413 and r.json()["detail"][0]["msg"] == "Запрос больше 5 МБ"
    r = upload(b"\0" * (5 * 1024 * 1024 + 10))  # fits the request, not the photo limit
    assert r.status_code == 413 and r.json()["detail"][0]["msg"] == "Фото больше 5 МБ: уменьшите его или выберите другое"
    r = upload(b"just some text\n" * 10, name="notimage.txt", mime="text/plain")
    assert r.status_code == 415
    assert r.json()["detail"][0]["msg"] == "Файл не читается как JPEG или PNG"


def test_links_with_non_ascii_tokens_are_404_not_500(client, renter):
    """hmac.compare_digest raises TypeError for non-ASCII str: the calendar feed and the
    unsubscribe link took any path."""
    user_id = signed_in("renter")[0]
    assert client.get(f"{API}/calendar/{user_id}-%C3%A9t%C3%A9.ics").status_code == 404
    assert client.get(f"{API}/unsubscribe/{user_id}-%C3%A9t%C3%A9").status_code == 404


@pytest.mark.parametrize(("email", "message"), [
    ("ivan.example.com", "В адресе нет символа @: проверьте email"),
    ("ivan@", "После @ должен быть домен, например mail.ru"),
])
def test_email_problems_read_in_russian(client, email, message):
    """email_validator explains in English; the sign-up form showed its text after a colon."""
    r = client.post(f"{API}/auth/register", json={"email": email, "password": "Correct-Horse-42",
                                                  "full_name": "Иван Петров"})
    assert refused(r, "email") == message


def test_reasons_from_the_pages_refuse_bad_characters(session, owner):
    """The moderation and booking dialogs pass raw text to the services."""
    from datetime import timedelta

    from coworking_app.services.booking.bookings import do_cancel_booking
    from coworking_app.services.catalog.space_moderation import check_reason
    from tests.admin_helpers import insert_booking, msk_now

    with pytest.raises(InvalidInput):
        check_reason("Фото не те\x00")
    place, _auth = owner
    renter_id = signed_in("renter")[0]
    start = (msk_now() + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
    row = insert_booking(place, renter_id, start=start, end=start + timedelta(hours=1))
    with pytest.raises(InvalidInput) as caught:
        do_cancel_booking(session, Effects(), session.get(User, renter_id), row.id, reason="передумал\x00")
    assert caught.value.field == "reason"


def test_an_unexpected_error_alerts_the_operators_once_per_ten_minutes(app_with_failures):
    """Operator alerts (coworking_app/alerts.py): the 500 is queued for the bot's alert chat,
    and the same error on the same route again within the window is not queued twice."""
    redis = get_rq_redis()
    redis.delete(alerts.ALERTS_LIST, *redis.keys("telegram:alert-seen:*"))
    for n in range(3):
        assert app_with_failures.get(f"{API}/test-only/boom", headers={"X-Request-ID": f"req-alert-{n}"}).status_code == 500
    queued = alerts.take_alerts(10)
    assert len(queued) == 1
    assert queued[0]["kind"] == "error" and "RuntimeError" in queued[0]["text"] and "req-alert-0" in queued[0]["text"]


def test_a_refused_stripe_webhook_alerts_the_operators(client):
    redis = get_rq_redis()
    redis.delete(alerts.ALERTS_LIST, *redis.keys("telegram:alert-seen:*"))
    r = client.post(f"{API}/payments/stripe/webhook", content=b"{}", headers={"Stripe-Signature": "t=1,v1=forged"})
    assert r.status_code == 400
    queued = alerts.take_alerts(10)
    assert [a["kind"] for a in queued] == ["payment_webhook"] and "Stripe webhook отклонён" in queued[0]["text"]
