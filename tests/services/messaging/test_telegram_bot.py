"""The Telegram bot end to end: the real bot process (`python -m coworking_app.bot`) long
polling a local fake Bot API server (tests/telegram_fake.py) on 127.0.0.1, over the test
database and Redis. Each test plays a person in a chat (pushing messages and button presses
as updates) and reads what the bot called."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import select, update

from coworking_app import alerts
from coworking_app.db import get_rq_redis
from coworking_app.settings import get_settings
from coworking_app.services.booking import bookings
from coworking_app.services.catalog import catalog
from coworking_app.services.messaging import preferences, reminders, telegram
from coworking_app.services.accounts.signup import do_create_staff
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.payments import checkout, payments
from coworking_app.uow import run_use_case
from models import District, Notification, Payment, Space, TelegramLink, User
from tests.booking_helpers import in_days, local, make_bookable, new_user, tomorrow
from tests.api_server import free_port
from tests.telegram_fake import TOKEN, FakeBotApi
from tests.uow_helpers import transaction

ROOT = Path(__file__).resolve().parents[3]
ALERT_CHAT = 999000111
PUBLIC = "https://cospace.example"


def _spawn(fake: FakeBotApi, log) -> subprocess.Popen:
    """The bot process, as `make run` starts it, pointed at the fake; returns once it is polling."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": fake.url,
           "TELEGRAM_ALERT_CHAT_ID": str(ALERT_CHAT), "TELEGRAM_OUTBOX_POLL_SECONDS": "0.2",
           "PUBLIC_URL": PUBLIC, "PTB_TIMEDELTA": "1"}
    mark = fake.mark()
    process = subprocess.Popen([sys.executable, "-m", "coworking_app.bot"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    fake.wait_for("setMyCommands", after=mark, timeout=30)
    return process


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def bot_api(world):
    (ROOT / "var").mkdir(exist_ok=True)
    state = redis.Redis.from_url(get_settings().redis_url)
    for key in state.scan_iter("bot:*"):  # dialogues of an earlier run's chats (the ids repeat)
        state.delete(key)
    with FakeBotApi() as fake, open(ROOT / "var" / "bot-test.log", "wb") as log:
        process = _spawn(fake, log)
        try:
            yield fake
        finally:
            _stop(process)


_chat_ids = iter(range(700_000_001, 800_000_000))


def _chat() -> int:
    return next(_chat_ids)


def _link(user_id: int, chat_id: int, name: str = "Анна (@anna)") -> None:
    def work(s, fx):
        user = s.get(User, user_id)
        code = telegram.do_create_site_link(s, user).code
        telegram.do_link_chat(s, code, chat_id, name)
    run_use_case(work)


def _last_screen(fake: FakeBotApi, chat_id: int, after: int, contains: str, timeout: float = 15) -> object:
    """The first message sent or edited in the chat (after `after`) whose text has `contains`."""
    deadline = time.monotonic() + timeout
    while True:
        for call in fake.calls[after:]:
            if call.method in ("sendMessage", "editMessageText") and call.chat_id == chat_id and contains in call.text:
                return call
        if time.monotonic() > deadline:
            seen = [(c.method, c.text[:70]) for c in fake.calls[after:] if c.chat_id == chat_id]
            raise AssertionError(f"no screen with {contains!r}; the chat saw {seen}")
        time.sleep(0.05)


def _press(fake: FakeBotApi, chat_id: int, data: str, contains: str):
    mark = fake.mark()
    fake.press(chat_id, data)
    return _last_screen(fake, chat_id, mark, contains)


def test_start_shows_the_menu_with_cities_near_me_and_help(bot_api):
    chat = _chat()
    mark = bot_api.mark()
    bot_api.send_text(chat, "/start")
    screen = _last_screen(bot_api, chat, mark, "Где ищем коворкинг?")
    labels = [b["text"] for b in screen.buttons()]
    assert "Москва" in labels and "📍 Рядом со мной" in labels and "Мои брони" in labels and "Помощь" in labels
    assert all(len(b.get("callback_data", "").encode()) <= 64 for b in screen.buttons())
    helped = _press(bot_api, chat, "help", "Команды: /start")
    assert helped.method == "editMessageText"  # edited in place, not a new message


def test_search_by_district_to_a_card_with_photos_edits_in_place(bot_api, world):
    chat = _chat()
    mark = bot_api.mark()
    bot_api.send_text(chat, "/start")
    menu = _last_screen(bot_api, chat, mark, "Где ищем")
    moscow = menu.button("Москва")["callback_data"]
    _press(bot_api, chat, moscow, "Где искать?")
    districts = _press(bot_api, chat, "w:d:0", "Район: выберите")
    assert districts.method == "editMessageText"
    # The district of "Альфа коворкинг" (the world's first district).
    with transaction() as s:
        district_id = s.scalar(select(Space.district_id).where(Space.id == world.ids["alpha"]))
        district_name = s.get(District, district_id).name_ru
    button = districts.button(district_name) if any(district_name in b["text"] for b in districts.buttons()) else None
    page = 0
    while button is None:
        page += 1
        districts = _press(bot_api, chat, f"w:d:{page}", f"страница {page + 1}")
        button = next((b for b in districts.buttons() if district_name in b["text"]), None)
    filters = _press(bot_api, chat, button["callback_data"], f"Поиск: {district_name}")
    seats = _press(bot_api, chat, "f:s:2", "Мест: 2+")
    assert any(b["text"] == "✓ 2" for b in seats.buttons())
    # Results one at a time until the alpha space, whose two photos come as a media group first.
    mark = bot_api.mark()
    bot_api.press(chat, "f:go")
    for _ in range(10):
        card = _last_screen(bot_api, chat, mark, "Вариант ")
        if "Альфа коворкинг" in card.text:
            break
        mark = bot_api.mark()
        bot_api.press(chat, card.button("Следующий")["callback_data"])
    else:
        raise AssertionError("the alpha space never came")
    assert "⭐ 4,5" in card.text or "4.5" in card.text or "⭐" in card.text
    assert "от 300 ₽/час" in card.text
    media = [c for c in bot_api.of("sendMediaGroup", mark) if c.chat_id == chat]
    assert media and len(media[-1].params["media"]) == 2
    assert all(m["media"].startswith(PUBLIC + "/media/") for m in media[-1].params["media"])
    assert card.button("Подробнее на сайте")["url"] == f"{PUBLIC}/spaces/{world.ids['alpha']}"
    assert card.button("Забронировать")["callback_data"] == f"b:{world.ids['alpha']}"
    assert filters is not None


def _book_to_quote(fake: FakeBotApi, chat: int, space):
    """From "Забронировать" to the price: resource, calendar, day, start, end, seats, add-ons."""
    mark = fake.mark()
    fake.press(chat, f"b:{space.space_id}")
    choice = _last_screen(fake, chat, mark, "что бронируем?")
    desk = next(b for b in choice.buttons() if "Открытое пространство" in b["text"])
    calendar = _press(fake, chat, desk["callback_data"], "Выберите день")
    day = tomorrow()
    if day.month != datetime.now(timezone.utc).month and not any(
            b.get("callback_data") == f"day:{day:%Y%m%d}" for b in calendar.buttons()):
        calendar = _press(fake, chat, f"cal:{day:%Y%m}", "Выберите день")
    tomorrow_button = next(b for b in calendar.buttons() if b.get("callback_data") == f"day:{day:%Y%m%d}")
    # Past days are dots, never buttons.
    yesterday = day - timedelta(days=2)
    assert not any(b.get("callback_data") == f"day:{yesterday:%Y%m%d}" for b in calendar.buttons())
    starts = _press(fake, chat, tomorrow_button["callback_data"], "во сколько начинаем?")
    ten = next(b for b in starts.buttons() if b["text"] == "10:00")
    ends = _press(fake, chat, ten["callback_data"], "До скольки?")
    noon = next(b for b in ends.buttons() if b["text"] == "12:00")
    seats = _press(fake, chat, noon["callback_data"], "Сколько мест?")
    addons = _press(fake, chat, seats.button("2")["callback_data"], "Добавить что-нибудь")
    monitor = addons.button("Монитор")["callback_data"]
    addons = _press(fake, chat, monitor, "Добавить что-нибудь")
    assert addons.button("✓ Монитор")
    return _press(fake, chat, "ad:ok", "Итого")


def test_booking_in_the_chat_to_the_payment_link_and_into_the_cabinet(bot_api):
    space = make_bookable(name="Коворкинг «Телеграм»")
    renter_id, _email, _ = new_user()
    chat = _chat()
    _link(renter_id, chat)
    quote = _book_to_quote(bot_api, chat, space)
    # 2 seats x 2 hours x 300 ₽ + a monitor 500 ₽ = 1 700 ₽
    assert "Итого: 1\xa0700 ₽" in quote.text, quote.text
    pay = quote.button("Оплатить")["callback_data"]
    mark = bot_api.mark()
    bot_api.press(chat, pay)
    bot_api.press(chat, pay)  # a double tap books once
    paying = _last_screen(bot_api, chat, mark, "ждёт оплаты")
    _last_screen(bot_api, chat, mark, "уже оформлена")
    url = paying.button("Оплатить")["url"]
    with transaction() as s:
        user = s.get(User, renter_id)
        mine = bookings.list_bookings(s, user, bookings.BookingFilter(tab="upcoming"))
    assert len(mine) == 1 and mine[0].seats == 2 and mine[0].status == "pending_payment"
    assert mine[0].start_at == local(tomorrow(), 10)
    assert f"№ {mine[0].id}" in paying.text
    with transaction() as s:
        payment_id = s.scalar(select(Payment.id).where(Payment.booking_id == mine[0].id))
    assert url == f"{PUBLIC}/checkout/{payment_id}"  # the web's own payment page (the test provider)


def test_a_chat_that_is_not_linked_signs_in_on_the_site_and_comes_back_linked(bot_api):
    space = make_bookable(name="Коворкинг «Без аккаунта»")
    chat = _chat()
    quote = _book_to_quote(bot_api, chat, space)
    asked = _press(bot_api, chat, quote.button("Оплатить")["callback_data"], "войдите на сайте")
    again = _press(bot_api, chat, "my", "войдите на сайте")
    assert again.button("Войти и подключить чат")["url"] == asked.button("Войти и подключить чат")["url"]  # one link, reused
    link = asked.button("Войти и подключить чат")["url"]
    assert link.startswith(f"{PUBLIC}/telegram?code=")
    code = link.split("code=", 1)[1]
    # On the site: the person signs in and confirms (the page's service).
    renter_id, _email, _ = new_user()
    mark = bot_api.mark()
    run_use_case(lambda s, fx: telegram.do_confirm_chat_link(s, fx, s.get(User, renter_id), code))
    told = bot_api.wait_for("sendMessage", lambda c: c.chat_id == chat and "Telegram подключён" in c.text, after=mark)
    assert told.button("Продолжить")["callback_data"] == "resume"
    back = _press(bot_api, chat, "resume", "Итого")
    assert "Оплатить" in [b["text"] for b in back.buttons()]


def test_linking_with_a_code_fresh_expired_and_used(bot_api):
    user_id, _email, _ = new_user()
    code = run_use_case(lambda s, fx: telegram.do_create_site_link(s, s.get(User, user_id)).code)
    chat = _chat()
    mark = bot_api.mark()
    bot_api.send_text(chat, f"/start {code}")
    # Whose account it is first (a link someone else sent must not take the chat unseen).
    asked = _last_screen(bot_api, chat, mark, "Подключить этот чат к аккаунту CoSpace «Иван Арендатор»")
    assert "(b***@example.com)" in asked.text
    with transaction() as s:
        assert s.get(User, user_id).telegram_chat_id is None  # not before the button
    done = _press(bot_api, chat, asked.button("Подключить")["callback_data"], "Готово, Иван Арендатор!")
    assert done.method == "editMessageText"
    with transaction() as s:
        assert s.get(User, user_id).telegram_chat_id == chat
    # The same code again, from another chat: used.
    other = _chat()
    mark = bot_api.mark()
    bot_api.send_text(other, f"/start {code}")
    _last_screen(bot_api, other, mark, "уже использован")
    # An expired one.
    expired = run_use_case(lambda s, fx: telegram.do_create_site_link(s, s.get(User, user_id)).code)
    with transaction() as s:
        s.execute(update(TelegramLink).where(TelegramLink.used_at.is_(None), TelegramLink.user_id == user_id)
                  .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    mark = bot_api.mark()
    bot_api.send_text(other, f"/start {expired}")
    _last_screen(bot_api, other, mark, "Срок кода истёк")
    mark = bot_api.mark()
    bot_api.send_text(other, "/start not-a-code!")
    _last_screen(bot_api, other, mark, "Код не подходит")
    # A fresh code opened and then refused with "Отмена" links nothing.
    declined = run_use_case(lambda s, fx: telegram.do_create_site_link(s, s.get(User, user_id)).code)
    mark = bot_api.mark()
    bot_api.send_text(other, f"/start {declined}")
    _last_screen(bot_api, other, mark, "Подключить этот чат")
    _press(bot_api, other, "menu", "Где ищем")
    _press(bot_api, other, "lk", "Ссылка уже использована")
    # In a group the bot says nothing and links nothing: every member would act as the account.
    group = -_chat()
    mark = bot_api.mark()
    bot_api.send_text(group, f"/start {declined}", from_id=_chat())
    time.sleep(1.5)
    assert not [c for c in bot_api.calls[mark:] if c.chat_id == group]
    with transaction() as s:
        assert s.get(User, user_id).telegram_chat_id == chat  # nothing changed by the refusals


def _paid_booking(renter_id: int, space, hour: int, day=None) -> int:
    day = day or tomorrow()

    def work(s, fx):
        user = s.get(User, renter_id)
        booking = bookings.do_create_booking(s, fx, user, bookings.BookingRequest(
            resource_id=space.desk_id, start=local(day, hour), end=local(day, hour + 1), seats=1))
        payment = payments.do_start_payment(s, user, booking.id)
        return booking.id, payment.id
    booking_id, payment_id = run_use_case(work)
    run_use_case(lambda s, fx: checkout.do_complete_test_payment(s, fx, s.get(User, renter_id), payment_id,
                                                                 "succeeded"))
    return booking_id


def test_a_paid_booking_reaches_the_linked_chat_within_seconds_and_the_owner_accepts_there(bot_api):
    space = make_bookable(name="Коворкинг «С подтверждением»", instant_book=False)
    renter_id, _email, _ = new_user()
    renter_chat, owner_chat = _chat(), _chat()
    _link(renter_id, renter_chat)
    _link(space.owner_id, owner_chat, "Владелец")
    mark = bot_api.mark()
    started = time.monotonic()
    booking_id = _paid_booking(renter_id, space, 11)
    paid = bot_api.wait_for("sendMessage", lambda c: c.chat_id == renter_chat and "оплачена" in c.text, after=mark)
    assert paid.at - started < 5
    assert f"Бронь № {booking_id} оплачена" in paid.text
    asked = bot_api.wait_for("sendMessage", lambda c: c.chat_id == owner_chat and f"№ {booking_id}" in c.text,
                             after=mark)
    assert asked.button("Принять")["callback_data"] == f"acc:{booking_id}"
    mark = bot_api.mark()
    bot_api.press(owner_chat, f"acc:{booking_id}")
    _last_screen(bot_api, owner_chat, mark, f"Бронь № {booking_id} принята")
    with transaction() as s:
        assert bookings._get(s, booking_id).status == "confirmed"
    bot_api.wait_for("sendMessage", lambda c: c.chat_id == renter_chat and "подтверждена" in c.text, after=mark)
    # Someone else's booking: the renter cannot accept it from a crafted button.
    mark = bot_api.mark()
    bot_api.press(renter_chat, f"acc:{booking_id}")
    refused = _last_screen(bot_api, renter_chat, mark, "Не получилось принять")
    assert "принята" not in refused.text


def test_my_bookings_cancel_shows_the_refund_first_and_sends_the_receipt_and_ics(bot_api):
    space = make_bookable(name="Коворкинг «Мои брони»")
    renter_id, _email, _ = new_user()
    chat = _chat()
    _link(renter_id, chat)
    # Two days ahead: more than a day before the start whatever the time of day (flexible: all back).
    booking_id = _paid_booking(renter_id, space, 15, in_days(2))
    listing = _press(bot_api, chat, "my", "Предстоящие брони")
    one = _press(bot_api, chat, listing.button(f"№ {booking_id}")["callback_data"], f"Бронь № {booking_id}: ")
    mark = bot_api.mark()
    bot_api.press(chat, one.button("Чек (PDF)")["callback_data"])
    receipt = bot_api.wait_for("sendDocument", lambda c: c.chat_id == chat, after=mark)
    assert receipt.files["document"].startswith(b"%PDF")
    mark = bot_api.mark()
    bot_api.press(chat, f"ic:{booking_id}")
    ics = bot_api.wait_for("sendDocument", lambda c: c.chat_id == chat, after=mark)
    assert b"BEGIN:VCALENDAR" in ics.files["document"]
    ask = _press(bot_api, chat, f"cx:{booking_id}", "Отменить бронь")
    assert "Вернём 300 ₽" in ask.text  # flexible, more than a day ahead: everything back
    with transaction() as s:
        assert bookings._get(s, booking_id).status != "cancelled"  # asking changes nothing
    done = _press(bot_api, chat, f"cy:{booking_id}", "отменена")
    assert "Возврат: 300 ₽" in done.text
    # Another person's booking by a crafted button: refused, nothing sent.
    stranger = _chat()
    stranger_id, _e, _ = new_user()
    _link(stranger_id, stranger)
    mark = bot_api.mark()
    bot_api.press(stranger, f"rc:{booking_id}")
    _last_screen(bot_api, stranger, mark, "не найден")
    assert not [c for c in bot_api.of("sendDocument", mark) if c.chat_id == stranger]


def test_429_retry_after_is_honoured_and_a_blocked_chat_is_unlinked(bot_api):
    space = make_bookable(name="Коворкинг «Лимиты»")
    renter_id, _email, _ = new_user()
    chat = _chat()
    _link(renter_id, chat)
    bot_api.fail("sendMessage", 429, "Too Many Requests: retry after 2", parameters={"retry_after": 2}, chat_id=chat)
    mark = bot_api.mark()
    _paid_booking(renter_id, space, 9)
    refused = bot_api.wait_for("sendMessage", lambda c: c.chat_id == chat, after=mark)
    sent = bot_api.wait_for("sendMessage", lambda c: c.chat_id == chat and "оплачена" in c.text,
                            after=bot_api.calls.index(refused) + 1)
    assert sent.at - refused.at >= 1.9  # waited what Telegram asked
    # The person blocks the bot: the next notice gets 403, and the chat is unlinked.
    bot_api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=chat)
    mark = bot_api.mark()
    _paid_booking(renter_id, space, 13)
    bot_api.wait_for("sendMessage", lambda c: c.chat_id == chat, after=mark)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with transaction() as s:
            if s.get(User, renter_id).telegram_chat_id is None:
                break
        time.sleep(0.1)
    with transaction() as s:
        assert s.get(User, renter_id).telegram_chat_id is None
        statuses = set(s.scalars(select(Notification.status).where(
            Notification.user_id == renter_id, Notification.channel == "telegram")))
    assert "pending" not in statuses


def test_alerts_are_deduplicated_and_sent_to_the_operators_chat(bot_api):
    get_rq_redis().delete(alerts.ALERTS_LIST)
    mark = bot_api.mark()
    key = f"test-{time.time()}"
    assert alerts.alert("job", "jobs.booking.release_expired_holds упала: ZeroDivisionError", key)
    assert not alerts.alert("job", "jobs.booking.release_expired_holds упала: ZeroDivisionError (ещё раз)", key)
    assert alerts.alert("job", "другая ошибка", key + "-other")
    first = bot_api.wait_for("sendMessage", lambda c: c.chat_id == ALERT_CHAT and "ZeroDivisionError" in c.text,
                             after=mark)
    bot_api.wait_for("sendMessage", lambda c: c.chat_id == ALERT_CHAT and "другая ошибка" in c.text, after=mark)
    time.sleep(0.5)
    assert len([c for c in bot_api.of("sendMessage", mark) if c.chat_id == ALERT_CHAT]) == 2
    assert first.text.startswith("⚠️ job")


def test_near_me_asks_for_the_location_and_sorts_by_distance(bot_api, world):
    chat = _chat()
    mark = bot_api.mark()
    bot_api.press(chat, "near")
    asked = bot_api.wait_for("sendMessage", lambda c: c.chat_id == chat and "геопозицию" in c.text, after=mark)
    assert asked.params["reply_markup"]["keyboard"][0][0]["request_location"] is True
    lat, lon = world.stop_latlon  # next to "Дельта" (~220 m north of this stop)
    mark = bot_api.mark()
    bot_api.send_location(chat, lat, lon)
    card = _last_screen(bot_api, chat, mark, "Вариант 1 из")
    assert card.text.startswith("Дельта") and " м от вас" in card.text


def test_search_by_metro_station(bot_api, world):
    chat = _chat()
    with transaction() as s:
        stop = catalog.get_stop(s, world.stop_id)
    _press(bot_api, chat, f"c:{stop.city_id}", "Где искать?")
    mark = bot_api.mark()
    bot_api.press(chat, f"m:{stop.id}")
    _last_screen(bot_api, chat, mark, f"Поиск: {stop.name_ru}")
    card = _press(bot_api, chat, "f:go", "Вариант 1 из")
    assert card.text.startswith("Дельта")


def test_crafted_and_stale_buttons_get_a_plain_answer(bot_api):
    chat = _chat()
    for data in ("c:999999", "bk:abc", "day:20261399", "zz:1", "st:5", "my:p", "r:99999", "cal:999912",
                 "day:00010101", "ok:forged", "rjy:1", "se:500"):
        mark = bot_api.mark()
        bot_api.press(chat, data)
        screen = bot_api.wait_for("sendMessage", lambda c: c.chat_id == chat, after=mark) \
            if data in ("zz:1",) else _last_screen(bot_api, chat, mark, "", timeout=10)
        assert screen.text and "Traceback" not in screen.text
    assert not [c for c in bot_api.calls if c.chat_id == chat and "пошло не так" in c.text]


def test_telegram_notices_only_for_a_linked_chat_and_the_switch_of_the_group(bot_api):
    space = make_bookable(name="Коворкинг «Настройки»")
    unlinked_id, _e, _ = new_user()
    _paid_booking(unlinked_id, space, 16)
    switched_id, _e, _ = new_user()
    _link(switched_id, _chat())
    run_use_case(lambda s, fx: preferences.do_set_preferences(
        s, s.get(User, switched_id), preferences.Preferences(telegram={"booking": False})))
    _paid_booking(switched_id, space, 17)
    with transaction() as s:
        rows = s.scalars(select(Notification.user_id).where(
            Notification.user_id.in_([unlinked_id, switched_id]), Notification.channel == "telegram")).all()
    assert rows == []


def test_no_token_no_bot_and_nothing_fails():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": ""}
    done = subprocess.run([sys.executable, "-m", "coworking_app.bot"], cwd=ROOT, env=env, capture_output=True,
                          timeout=60)
    assert done.returncode == 0
    assert b"TELEGRAM_BOT_TOKEN is empty" in done.stdout  # logs go to stdout (coworking_app/logs.py)


def test_webhook_mode_registers_the_webhook_and_answers_only_telegram(world):
    port = free_port()
    with FakeBotApi() as fake:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": fake.url,
               "TELEGRAM_WEBHOOK_URL": "https://bot.cospace.example/telegram", "TELEGRAM_WEBHOOK_PORT": str(port),
               "PUBLIC_URL": PUBLIC}
        process = subprocess.Popen([sys.executable, "-m", "coworking_app.bot"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            hook = fake.wait_for("setWebhook", timeout=30)
            url = hook.params["url"]
            assert url.startswith("https://bot.cospace.example/telegram/")
            secret = hook.params["secret_token"]
            path = url.rsplit("/", 1)[1]
            update = {"update_id": 1, "message": {
                "message_id": 5, "date": int(time.time()), "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "Вера"}, "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
            for _ in range(100):  # the webhook server starts right after setWebhook
                try:
                    forged = httpx.post(f"http://127.0.0.1:{port}/{path}", json=update, timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert forged.status_code == 403  # no secret: not Telegram
            mark = fake.mark()
            real = httpx.post(f"http://127.0.0.1:{port}/{path}", json=update, timeout=5,
                              headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            assert real.status_code == 200
            greeting = fake.wait_for("sendMessage", lambda c: c.chat_id == 4242, after=mark)
            assert "Где ищем коворкинг?" in greeting.text
            assert len(fake.of("sendMessage")) == 1  # the forged update was never handled
        finally:
            process.terminate()
            process.wait(timeout=15)


def test_a_flooding_chat_is_answered_sixty_times_a_minute_and_no_more(bot_api):
    chat = _chat()
    mark = bot_api.mark()
    for _ in range(70):
        bot_api.send_text(chat, "/help")
    bot_api.wait_for("sendMessage", lambda c: c.chat_id == chat, after=mark)
    time.sleep(3)
    answered = [c for c in bot_api.of("sendMessage", mark) if c.chat_id == chat]
    assert len(answered) == 60


def test_an_unpaid_hold_is_warned_once_five_minutes_before_it_lapses_with_a_pay_button(bot_api):
    space = make_bookable(name="Коворкинг «Предупреждение»")
    renter_id, _e, _ = new_user()
    chat = _chat()
    _link(renter_id, chat)
    booking = run_use_case(lambda s, fx: bookings.do_create_booking(s, fx, s.get(User, renter_id), bookings.BookingRequest(
        resource_id=space.desk_id, start=local(tomorrow(), 18), end=local(tomorrow(), 19), seats=1)))
    early = booking.expires_at - timedelta(minutes=10)
    def warned_types() -> list[str]:
        with transaction() as s:
            return list(s.scalars(select(Notification.channel).where(
                Notification.booking_id == booking.id, Notification.type == "booking_hold_expiring")))
    run_use_case(lambda s, fx: reminders.do_warn_expiring_holds(s, fx, now=early))
    assert warned_types() == []  # ten minutes left: not yet
    mark = bot_api.mark()
    late = booking.expires_at - timedelta(minutes=4, seconds=30)
    assert run_use_case(lambda s, fx: reminders.do_warn_expiring_holds(s, fx, now=late)) >= 1
    assert run_use_case(lambda s, fx: reminders.do_warn_expiring_holds(s, fx, now=late)) == 0  # once
    warned = bot_api.wait_for("sendMessage", lambda c: c.chat_id == chat and "на оплату" in c.text, after=mark)
    assert f"Бронь № {booking.id}: осталось 4 мин на оплату" in warned.text
    assert warned.button("Оплатить")["callback_data"] == f"pay:{booking.id}"
    with transaction() as s:
        channels = sorted(s.scalars(select(Notification.channel).where(
            Notification.booking_id == booking.id, Notification.type == "booking_hold_expiring")))
    assert channels == ["in_app", "telegram"]  # no email for a five-minute warning


def test_a_dialogue_survives_a_restart_of_the_bot(world):
    """Where a chat is in the search lives in Redis: a new bot process continues it."""
    chat = _chat()
    with FakeBotApi() as fake, open(os.devnull, "wb") as log:
        first = _spawn(fake, log)
        try:
            menu = (fake.send_text(chat, "/start"), _last_screen(fake, chat, 0, "Где ищем"))[1]
            _press(fake, chat, menu.button("Москва")["callback_data"], "Где искать?")
            _press(fake, chat, "w:all", "Поиск: Москва")
            _press(fake, chat, "f:s:4", "Мест: 4+")
        finally:
            _stop(first)
        second = _spawn(fake, log)
        try:
            card = _press(fake, chat, "f:go", "Вариант 1 из")  # the filters chosen before the restart
            assert card.button("Забронировать")
            again = _press(fake, chat, "f:back", "Поиск: Москва")
            assert "Мест: 4+" in again.text
        finally:
            _stop(second)


def test_an_owner_declines_with_a_reason_confirmed_by_a_button(bot_api):
    space = make_bookable(name="Коворкинг «Отказ»", instant_book=False)
    renter_id, _e, _ = new_user()
    owner_chat = _chat()
    _link(space.owner_id, owner_chat, "Владелец")
    booking_id = _paid_booking(renter_id, space, 12)
    asked = _press(bot_api, owner_chat, f"rej:{booking_id}", "напишите причину отказа")
    assert asked.method == "sendMessage"  # the notice with the buttons keeps its text
    mark = bot_api.mark()
    bot_api.send_text(owner_chat, "Ремонт в переговорной")
    confirm = _last_screen(bot_api, owner_chat, mark, "Причина: «Ремонт в переговорной»")
    with transaction() as s:
        assert bookings._get(s, booking_id).status == "paid"  # not before the button
    done = _press(bot_api, owner_chat, confirm.button("Да, отклонить")["callback_data"], "отклонена")
    assert f"Бронь № {booking_id} отклонена. Гостю вернётся 300 ₽" in done.text
    with transaction() as s:
        rejected = bookings._get(s, booking_id)
        assert (rejected.status, rejected.cancel_reason) == ("cancelled", "Ремонт в переговорной")
    # A text after the question was left for a command is just a text: nothing is rejected by it.
    other = _paid_booking(renter_id, space, 14)
    _press(bot_api, owner_chat, f"rej:{other}", "напишите причину")
    mark = bot_api.mark()
    bot_api.send_text(owner_chat, "/my")
    _last_screen(bot_api, owner_chat, mark, "брони")
    mark = bot_api.mark()
    bot_api.send_text(owner_chat, "спасибо")
    _last_screen(bot_api, owner_chat, mark, "Я понимаю кнопки")
    with transaction() as s:
        assert bookings._get(s, other).status == "paid"


def test_staff_never_link_a_chat_someone_else_started_and_groups_are_never_linked(world):
    """An operator's powers must not reach a chat an outsider made: staff link from their cabinet."""
    admin_id = run_use_case(lambda s, fx: do_create_staff(
        s, email=f"tg-admin-{time.time_ns()}@example.com", password="Admin-Pass-2026-long", full_name="Админ")).id
    code = run_use_case(lambda s, fx: telegram.do_create_chat_link(s, _chat(), "Чужой чат")).code
    with pytest.raises(InvalidInput) as refused:
        run_use_case(lambda s, fx: telegram.do_confirm_chat_link(s, fx, s.get(User, admin_id), code))
    assert refused.value.field == "code" and "Сотрудники подключают Telegram только из личного кабинета" in refused.value.message
    with transaction() as s:
        assert s.get(User, admin_id).telegram_chat_id is None
    with pytest.raises(InvalidInput) as group:
        run_use_case(lambda s, fx: telegram.do_create_chat_link(s, -100123, "Группа"))
    assert group.value.field == "chat"
    site_code = run_use_case(lambda s, fx: telegram.do_create_site_link(s, s.get(User, admin_id)).code)
    with pytest.raises(InvalidInput):
        run_use_case(lambda s, fx: telegram.do_link_chat(s, site_code, -100123, "Группа"))
