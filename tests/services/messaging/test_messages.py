"""Messages between renters and owners through the API: starting and reusing
conversations, unread counts, who may read what (forged ids, operators and reports),
validation, images, the sending limit, the unread-email sweep and the real-time push."""

from __future__ import annotations

import io
import json
import time
import uuid
from datetime import timedelta

import pytest
import redis
from PIL import Image
from sqlalchemy import select, text

from coworking_app.services.messaging import messages as svc
from coworking_app.services.messaging.realtime import channel_name
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import Notification, User
from tests.booking_auth import headers_for
from tests.booking_helpers import API, make_bookable
from tests.image_helpers import assert_no_metadata, hostile_jpeg, hostile_png
from tests.review_helpers import error_fields, insert_booking, sql
from tests.uow_helpers import transaction

MISSING = 2**31 - 1


def person(name: str, role: str = "renter") -> tuple[int, dict[str, str]]:
    """A fresh signed-in account with a recognisable name."""
    with transaction() as s:
        user = User(email=f"msg-{uuid.uuid4().hex[:12]}@example.com", full_name=name,
                    password_hash="!no-password-login", roles=[role])
        s.add(user)
        s.flush()
        user_id = user.id
    return user_id, headers_for(user_id)


@pytest.fixture(scope="module")
def place(world):
    return make_bookable(name="Коворкинг «Переписка»")


@pytest.fixture(scope="module")
def owner_auth(place):
    return headers_for(place.owner_id)


def start(client, auth, expect: int = 201, **body):
    r = client.post(f"{API}/conversations", headers=auth, json=body)
    assert r.status_code == expect, r.text
    return r.json()


def send(client, auth, conversation_id: int, message: str, expect: int = 201):
    r = client.post(f"{API}/conversations/{conversation_id}/messages", headers=auth, json={"text": message})
    assert r.status_code == expect, r.text
    return r.json()


def inbox(client, auth) -> dict:
    r = client.get(f"{API}/conversations", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def thread(client, auth, conversation_id: int) -> dict:
    r = client.get(f"{API}/conversations/{conversation_id}/messages", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def png(width: int = 24, height: int = 12, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


# --- starting, reusing, unread ------------------------------------------------------------------


def test_a_question_reuses_one_conversation_and_unread_counts_follow_reading(client, place, owner_auth):
    renter, auth = person("Пётр Гостев")
    first = start(client, auth, space_id=place.space_id, text="Есть ли у вас парковка?")
    second = start(client, auth, space_id=place.space_id, text="И до скольки открыто?")
    cid = first["conversation_id"]
    assert second["conversation_id"] == cid and second["message_id"] > first["message_id"]

    [mine] = [c for c in inbox(client, auth)["items"] if c["id"] == cid]
    assert mine["role"] == "renter" and mine["unread"] == 0 and mine["other_id"] == place.owner_id
    assert mine["booking_id"] is None and mine["space_id"] == place.space_id

    box = inbox(client, owner_auth)
    [theirs] = [c for c in box["items"] if c["id"] == cid]
    assert theirs["unread"] == 2 and theirs["other_name"] == "Пётр Гостев" and theirs["other_id"] == renter
    assert theirs["role"] == "owner" and theirs["last_message"] == "И до скольки открыто?"
    assert theirs["space"] == "Коворкинг «Переписка»"
    owner_unread = box["unread"]

    reply = send(client, owner_auth, cid, "Парковка есть, открыто до 22:00")
    assert reply["conversation_id"] == cid
    # Replying reads everything before; the renter now has one unread.
    assert [c["unread"] for c in inbox(client, owner_auth)["items"] if c["id"] == cid] == [0]
    assert inbox(client, owner_auth)["unread"] == owner_unread - 2
    [mine] = [c for c in inbox(client, auth)["items"] if c["id"] == cid]
    assert mine["unread"] == 1 and mine["last_message"] == "Парковка есть, открыто до 22:00"

    r = client.post(f"{API}/conversations/{cid}/read", headers=auth)
    assert r.status_code == 200 and r.json() == {"unread": 0}
    assert [c["unread"] for c in inbox(client, auth)["items"] if c["id"] == cid] == [0]

    messages = thread(client, auth, cid)
    assert [m["text"] for m in messages["items"]] == [
        "Есть ли у вас парковка?", "И до скольки открыто?", "Парковка есть, открыто до 22:00"]
    assert [m["mine"] for m in messages["items"]] == [True, True, False]
    assert messages["renter"] == "Пётр Гостев" and messages["conversation"]["id"] == cid


def test_a_conversation_about_a_booking_is_its_own_and_only_for_its_two_people(client, place, owner_auth):
    renter, auth = person("Мария Бронева")
    other_renter, other_auth = person("Олег Другой")
    _stranger, stranger_auth = person("Чужой Человек")
    booking = insert_booking(place, renter, status="confirmed", ended_days_ago=-3)
    other_booking = insert_booking(place, other_renter, status="confirmed", ended_days_ago=-4)

    question = start(client, auth, space_id=place.space_id, text="Вопрос до брони")
    about = start(client, auth, booking_id=booking, text="Приду на полчаса позже")
    assert about["conversation_id"] != question["conversation_id"]
    # The owner writing about the same booking lands in the same conversation.
    assert start(client, owner_auth, booking_id=booking, text="Хорошо, ждём")["conversation_id"] == \
        about["conversation_id"]
    # With the matching space_id too.
    assert start(client, auth, booking_id=booking, space_id=place.space_id,
                 text="Спасибо")["conversation_id"] == about["conversation_id"]

    [listed] = [c for c in inbox(client, auth)["items"] if c["id"] == about["conversation_id"]]
    assert listed["booking_id"] == booking and listed["unread"] == 0  # sending read the reply

    # The owner opens one about another guest's booking.
    opened = start(client, owner_auth, booking_id=other_booking, text="Напоминаем про пропуск")
    [theirs] = [c for c in inbox(client, other_auth)["items"] if c["id"] == opened["conversation_id"]]
    assert theirs["booking_id"] == other_booking and theirs["unread"] == 1 and theirs["role"] == "renter"

    for body in ({"booking_id": booking}, {"booking_id": MISSING}, {"booking_id": "1"}):
        r = client.post(f"{API}/conversations", headers=stranger_auth, json={**body, "text": "Привет"})
        assert r.status_code == 422 and error_fields(r) == ["booking_id"], r.text
    r = client.post(f"{API}/conversations", headers=other_auth, json={"booking_id": booking, "text": "Привет"})
    assert r.status_code == 422 and error_fields(r) == ["booking_id"]
    other_space = make_bookable(name="Коворкинг «Соседний»")
    r = client.post(f"{API}/conversations", headers=auth,
                    json={"booking_id": booking, "space_id": other_space.space_id, "text": "Привет"})
    assert r.status_code == 422 and error_fields(r) == ["space_id"]
    assert inbox(client, stranger_auth)["total"] == 0


# --- access ----------------------------------------------------------------------------------------


def test_forged_ids_get_404_and_operators_read_only_while_a_report_is_open(client, place, owner_auth):
    renter, auth = person("Анна Жалобная")
    _third, third_auth = person("Третий Лишний")
    _operator, operator_auth = person("Оля Оператор", "operator")
    cid = start(client, auth, space_id=place.space_id, text="Здравствуйте")["conversation_id"]
    r = client.post(f"{API}/conversations/{cid}/images", headers=auth, files={"file": ("a.png", png(), "image/png")})
    assert r.status_code == 201, r.text
    image_mid = r.json()["message_id"]

    missing = client.get(f"{API}/conversations/{MISSING}/messages", headers=third_auth)
    assert missing.status_code == 404

    def refused_everything(headers):
        answers = [
            client.get(f"{API}/conversations/{cid}/messages", headers=headers),
            client.post(f"{API}/conversations/{cid}/messages", headers=headers, json={"text": "Я тут"}),
            client.post(f"{API}/conversations/{cid}/read", headers=headers),
            client.post(f"{API}/conversations/{cid}/report", headers=headers, json={"reason": "Спам"}),
            client.get(f"{API}/conversations/{cid}/messages/{image_mid}/image", headers=headers),
            client.post(f"{API}/conversations/{cid}/images", headers=headers,
                        files={"file": ("a.png", png(), "image/png")}),
        ]
        assert [a.status_code for a in answers] == [404] * len(answers)
        # Not told apart from a conversation that does not exist.
        assert answers[0].json() == missing.json()

    refused_everything(third_auth)
    refused_everything(operator_auth)
    assert cid not in [c["id"] for c in inbox(client, third_auth)["items"]]
    assert [m["text"] for m in thread(client, auth, cid)["items"]] == ["Здравствуйте", ""]
    assert client.get(f"{API}/conversations/{cid}/messages").status_code == 401

    bad = client.post(f"{API}/conversations/{cid}/report", headers=owner_auth, json={"reason": ""})
    assert bad.status_code == 422 and error_fields(bad) == ["reason"]
    r = client.post(f"{API}/conversations/{cid}/report", headers=owner_auth, json={"reason": "Оскорбления"})
    assert r.status_code == 201 and r.json()["conversation_id"] == cid

    # Now the operator may read, and only read.
    seen = thread(client, operator_auth, cid)
    assert [m["text"] for m in seen["items"]] == ["Здравствуйте", ""]
    assert seen["conversation"] is None and seen["renter"] == "Анна Жалобная"
    assert not any(m["mine"] for m in seen["items"])
    image = client.get(f"{API}/conversations/{cid}/messages/{image_mid}/image", headers=operator_auth)
    assert image.status_code == 200
    assert client.post(f"{API}/conversations/{cid}/messages", headers=operator_auth,
                       json={"text": "Оператор на связи"}).status_code == 404
    assert client.post(f"{API}/conversations/{cid}/images", headers=operator_auth,
                       files={"file": ("a.png", png(), "image/png")}).status_code == 404
    # Strangers still see nothing.
    refused_everything(third_auth)

    # The operator finds it in the moderation list; others may not look there.
    queue = client.get(f"{API}/admin/moderation/conversations", headers=operator_auth)
    assert queue.status_code == 200
    [listed] = [c for c in queue.json() if c["id"] == cid]
    assert listed["reasons"] == ["Оскорбления"] and listed["renter"] == "Анна Жалобная"
    for headers in (auth, owner_auth, third_auth):
        assert client.get(f"{API}/admin/moderation/conversations", headers=headers).status_code == 403
        assert client.post(f"{API}/admin/moderation/conversations/{cid}/resolve",
                           headers=headers).status_code == 403
    assert client.post(f"{API}/admin/moderation/conversations/{MISSING}/resolve",
                       headers=operator_auth).status_code == 404

    r = client.post(f"{API}/admin/moderation/conversations/{cid}/resolve", headers=operator_auth)
    assert r.status_code == 200 and r.json() == {"id": cid, "closed": 1}
    assert cid not in [c["id"] for c in client.get(f"{API}/admin/moderation/conversations",
                                                   headers=operator_auth).json()]
    assert client.get(f"{API}/conversations/{cid}/messages", headers=operator_auth).status_code == 404
    assert [m["text"] for m in thread(client, auth, cid)["items"]] == ["Здравствуйте", ""]


# --- validation -----------------------------------------------------------------------------------


def test_invalid_messages_name_the_field_and_write_nothing(client, place, owner_auth):
    renter, auth = person("Иван Проверкин")
    for body, field in [
        ({"space_id": place.space_id, "text": ""}, "text"),
        ({"space_id": place.space_id, "text": "   \n "}, "text"),
        ({"space_id": place.space_id}, "text"),
        ({"space_id": place.space_id, "text": 5}, "text"),
        ({"space_id": place.space_id, "text": "я" * 2001}, "text"),
        ({"space_id": MISSING, "text": "Привет"}, "space_id"),
        ({"space_id": "abc", "text": "Привет"}, "space_id"),
        ({"space_id": True, "text": "Привет"}, "space_id"),  # JSON true is not id 1
        ({"booking_id": True, "text": "Привет"}, "booking_id"),
        ({"text": "Привет"}, "space_id"),
    ]:
        r = client.post(f"{API}/conversations", headers=auth, json=body)
        assert r.status_code == 422, (body, r.text)
        assert error_fields(r) == [field], body
    # Nothing was opened by the refused first messages.
    assert inbox(client, auth)["total"] == 0

    own = client.post(f"{API}/conversations", headers=owner_auth, json={"space_id": place.space_id, "text": "Я"})
    assert own.status_code == 422 and error_fields(own) == ["space_id"]

    hidden = make_bookable(name="Коворкинг «Скрытый»")
    sql("UPDATE space SET status = 'hidden' WHERE id = :id", id=hidden.space_id)
    r = client.post(f"{API}/conversations", headers=auth, json={"space_id": hidden.space_id, "text": "Привет"})
    assert r.status_code == 422 and error_fields(r) == ["space_id"]

    cid = start(client, auth, space_id=place.space_id, text="я" * 2000)["conversation_id"]
    for bad in ("", "   ", "я" * 2001, None):
        r = client.post(f"{API}/conversations/{cid}/messages", headers=auth, json={"text": bad})
        assert r.status_code == 422 and error_fields(r) == ["text"], r.text
    assert [len(m["text"]) for m in thread(client, auth, cid)["items"]] == [2000]


def test_html_is_kept_as_plain_text(client, place, owner_auth):
    _renter, auth = person("Хакер Хитров")
    payload = "<script>alert(1)</script> & <b>\"bold\"</b> 'q'"
    cid = start(client, auth, space_id=place.space_id, text=payload)["conversation_id"]
    send(client, auth, cid, "<img src=x onerror=alert(2)>")
    items = thread(client, owner_auth, cid)["items"]
    assert [m["text"] for m in items] == [payload, "<img src=x onerror=alert(2)>"]
    [listed] = [c for c in inbox(client, owner_auth)["items"] if c["id"] == cid]
    assert listed["last_message"] == "<img src=x onerror=alert(2)>"


# --- images -------------------------------------------------------------------------------------


def test_message_images_keep_no_metadata_segment(client, place):
    _renter, auth = person("Мета Данных")
    cid = start(client, auth, space_id=place.space_id, text="Смотрите фото")["conversation_id"]
    for data, name, mime in ((hostile_jpeg(), "meta.jpg", "image/jpeg"),
                             (hostile_png(), "meta.png", "image/png")):
        r = client.post(f"{API}/conversations/{cid}/images", headers=auth,
                        files={"file": (name, data, mime)})
        assert r.status_code == 201, r.text
        image_url = f"{API}/conversations/{cid}/messages/{r.json()['message_id']}/image"
        for params in ({}, {"size": "thumb"}):
            got = client.get(image_url, headers=auth, params=params)
            assert got.status_code == 200
            assert_no_metadata(got.content)


def test_images_are_reencoded_and_served_only_to_the_participants(client, place, owner_auth):
    renter, auth = person("Фото Графов")
    _third, third_auth = person("Посторонний")
    cid = start(client, auth, space_id=place.space_id, text="Вот схема")["conversation_id"]
    url = f"{API}/conversations/{cid}/images"

    r = client.post(url, headers=auth, files={"file": ("plan.png", png(24, 12), "image/png")},
                    data={"text": "Где это?"})
    assert r.status_code == 201, r.text
    mid = r.json()["message_id"]
    [item] = [m for m in thread(client, owner_auth, cid)["items"] if m["id"] == mid]
    assert item["has_image"] is True and (item["image_width"], item["image_height"]) == (24, 12)
    assert item["text"] == "Где это?"

    image_url = f"{API}/conversations/{cid}/messages/{mid}/image"
    for headers in (auth, owner_auth):
        got = client.get(image_url, headers=headers)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        assert got.content[:3] == b"\xff\xd8\xff"
        assert Image.open(io.BytesIO(got.content)).size == (24, 12)
    thumb = client.get(image_url, headers=auth, params={"size": "thumb"})
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
    assert client.get(image_url, headers=third_auth).status_code == 404
    assert client.get(image_url).status_code == 401
    # A message without an image, and an image id from another conversation: 404.
    text_mid = thread(client, auth, cid)["items"][0]["id"]
    assert client.get(f"{API}/conversations/{cid}/messages/{text_mid}/image", headers=auth).status_code == 404
    other_cid = start(client, third_auth, space_id=place.space_id, text="Свой вопрос")["conversation_id"]
    assert client.get(f"{API}/conversations/{other_cid}/messages/{mid}/image",
                      headers=third_auth).status_code == 404

    # JPEG is fine as well, with no text at all.
    jpeg = client.post(url, headers=owner_auth, files={"file": ("x.jpg", png(8, 8, "JPEG"), "image/jpeg")})
    assert jpeg.status_code == 201
    before = len(thread(client, auth, cid)["items"])
    for name, data, mime in [("a.gif", png(8, 8, "GIF"), "image/gif"),
                             ("fake.png", b"not an image at all", "image/png"),
                             ("a.txt", b"hello", "text/plain")]:
        bad = client.post(url, headers=auth, files={"file": (name, data, mime)})
        assert bad.status_code == 415 and error_fields(bad) == ["file"], bad.text
    assert len(thread(client, auth, cid)["items"]) == before
    assert client.post(url, headers=third_auth, files={"file": ("a.png", png(), "image/png")}).status_code == 404


# --- the sending limit ---------------------------------------------------------------------------


def test_thirty_messages_a_minute_then_429_with_retry_after(client, place):
    renter, auth = person("Быстрый Писатель")
    cache = redis.Redis.from_url(get_settings().cache_redis_url)
    cache.delete(f"ratelimit:messages:{renter}")
    cid = start(client, auth, space_id=place.space_id, text="Сообщение 1")["conversation_id"]
    for n in range(2, 31):
        send(client, auth, cid, f"Сообщение {n}")
    r = client.post(f"{API}/conversations/{cid}/messages", headers=auth, json={"text": "Сообщение 31"})
    assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["retry_after"] == int(r.headers["Retry-After"])
    items = thread(client, auth, cid)["items"]
    assert len(items) == 30 and items[-1]["text"] == "Сообщение 30"
    # Starting another conversation is the same action: refused too.
    other = make_bookable(name="Коворкинг «Лимит»")
    late = client.post(f"{API}/conversations", headers=auth, json={"space_id": other.space_id, "text": "Привет"})
    assert late.status_code == 429
    assert [c["space_id"] for c in inbox(client, auth)["items"]] == [place.space_id]
    cache.delete(f"ratelimit:messages:{renter}")
    send(client, auth, cid, "Сообщение после паузы")


# --- the unread-email sweep ----------------------------------------------------------------------------


def _message_time(message_id: int):
    with transaction() as s:
        return s.scalar(text("SELECT created_at FROM message WHERE id = :id"), {"id": message_id})


def _sweep(now) -> None:
    run_use_case(lambda s, fx: svc.do_email_unread(s, fx, now=now))


def _unread_emails(conversation_id: int) -> list[Notification]:
    with transaction() as s:
        return list(s.scalars(select(Notification).where(
            Notification.type == "message_unread",
            Notification.dedupe_key.like(f"message_unread:{conversation_id}:%")).order_by(Notification.id)))


def test_unread_messages_are_emailed_after_15_minutes_at_most_hourly(client):
    b = make_bookable(name="Коворкинг «Почта»")
    renter, auth = person("Соня Письмова")
    first = start(client, auth, space_id=b.space_id, text="Можно прийти с собакой?")
    cid = first["conversation_id"]
    t0 = _message_time(first["message_id"])

    _sweep(t0 + timedelta(minutes=14))
    assert _unread_emails(cid) == []  # not yet 15 minutes
    _sweep(t0 + timedelta(minutes=16))
    [mail] = _unread_emails(cid)
    assert (mail.user_id, mail.channel) == (b.owner_id, "email")
    assert "Коворкинг «Почта»" in mail.title and "Можно прийти с собакой?" in mail.body
    assert "Соня Письмова" in mail.body
    _sweep(t0 + timedelta(minutes=16, seconds=30))
    assert len(_unread_emails(cid)) == 1

    # 20 minutes later another message: within the hour after the email, no second one.
    second = send(client, auth, cid, "И ещё: есть ли душ?")
    sql("UPDATE message SET created_at = :at WHERE id = :id", at=t0 + timedelta(minutes=20),
        id=second["message_id"])
    _sweep(t0 + timedelta(minutes=40))
    assert len(_unread_emails(cid)) == 1
    _sweep(t0 + timedelta(hours=2))
    mails = _unread_emails(cid)
    assert len(mails) == 2 and mails[1].user_id == b.owner_id
    assert "есть ли душ" in mails[1].body and "собакой" not in mails[1].body
    _sweep(t0 + timedelta(hours=4))
    assert len(_unread_emails(cid)) == 2  # nothing new since
    assert all(m.user_id != renter for m in _unread_emails(cid))  # the sender is never emailed

    # The owner's reply, read by the renter within 15 minutes: no email to the renter.
    reply = send(client, headers_for(b.owner_id), cid, "Душ есть, собаки нет")
    t1 = _message_time(reply["message_id"])
    assert client.post(f"{API}/conversations/{cid}/read", headers=auth).json() == {"unread": 0}
    _sweep(t1 + timedelta(minutes=16))
    _sweep(t1 + timedelta(hours=3))
    assert len(_unread_emails(cid)) == 2


def test_an_unread_reply_is_emailed_to_the_renter_too(client):
    b = make_bookable(name="Коворкинг «Ответ»")
    renter, auth = person("Гость Ждущий")
    cid = start(client, auth, space_id=b.space_id, text="Работаете в праздники?")["conversation_id"]
    reply = send(client, headers_for(b.owner_id), cid, "Да, кроме 1 января")
    t1 = _message_time(reply["message_id"])
    _sweep(t1 + timedelta(minutes=16))
    mails = _unread_emails(cid)
    assert [m.user_id for m in mails] == [renter]
    assert "Да, кроме 1 января" in mails[0].body


# --- real time ---------------------------------------------------------------------------------------


def test_a_new_message_is_pushed_to_the_recipients_channel(client, place, owner_auth):
    renter, auth = person("Рита Быстрова")
    listener = redis.Redis.from_url(get_settings().cache_redis_url).pubsub()
    listener.subscribe(channel_name(place.owner_id))
    try:
        deadline = time.monotonic() + 5
        while listener.get_message(timeout=0.5) is None and time.monotonic() < deadline:
            pass  # the subscribe confirmation
        sent = start(client, auth, space_id=place.space_id, text="Свободно завтра?")
        event = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message = listener.get_message(timeout=0.5, ignore_subscribe_messages=True)
            if message is None:
                continue
            data = json.loads(message["data"])
            if data.get("type") == "message_new" and data.get("conversation_id") == sent["conversation_id"]:
                event = data
                break
        assert event is not None, "no message_new event on the owner's channel"
        assert event["message_id"] == sent["message_id"]
        assert event["body"] == "Свободно завтра?" and "Рита Быстрова" in event["title"]
    finally:
        listener.close()


def test_inbox_search_matches_names_and_spaces_but_never_emails(client, place, owner_auth):
    renter, auth = person("Зинаида Поисковая")
    cid = start(client, auth, space_id=place.space_id, text="Добрый день")["conversation_id"]
    with transaction() as s:
        owner_email = s.get(User, place.owner_id).email
    found = lambda q, who: [c["id"] for c in client.get(f"{API}/conversations", headers=who,
                                                         params={"q": q}).json()["items"]]
    assert cid in found("Переписка", auth)  # the space's name
    assert cid in found("зинаида", owner_auth)  # the other person's name, any case
    # An email (or a piece of one) never matches: the other person's address stays private.
    assert found(owner_email, auth) == [] and found(owner_email.split("@")[0][:6], auth) == []
    assert found("100%_\\", auth) == []  # LIKE wildcards are taken literally
