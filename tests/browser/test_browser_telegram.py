"""End to end, at 1280 and 390 px: the cabinet's Telegram card (a link for the bot with its
QR code; the bot's "Старт" turns the card to "Подключён"; unlinking asks first), the
/telegram page (a stranger signs in and comes back with the code; the chat is linked only
on "Подключить"; used and missing codes are refused in Russian), and the limit on codes.
The bot's side runs as the bot process would (tests/e2e_fixtures.bot_*)."""

from __future__ import annotations

import re
import secrets
import uuid
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e_fixtures import (
    SHOTS,
    api_sign_up,
    assert_no_horizontal_scroll,
    bot_chat_code,
    bot_start,
    needs_chromium,
    new_page,
    ui_login,
)

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"
SIZES = [(1280, 900), (390, 844)]


def _person(base: str, name: str) -> tuple[str, dict]:
    email = f"e2e-tg-{uuid.uuid4().hex[:8]}@example.com"
    return email, api_sign_up(base, email, PASSWORD, name)


def _telegram(base: str, auth: dict) -> dict:
    r = httpx.get(f"{base}/api/v1/me/telegram", headers=auth, timeout=20)
    assert r.status_code == 200, r.text
    return r.json()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width,height", SIZES)
def test_the_cabinet_card_links_the_bot_and_unlinks(app_url, browser, width, height):
    email, auth = _person(app_url, "Пётр Телеграмов")
    context, page = new_page(browser, width, height)
    try:
        ui_login(page, app_url, email, PASSWORD, "/cabinet")
        card = page.get_by_test_id("telegram")
        expect(card.get_by_test_id("telegram-connect")).to_be_visible()
        expect(card).to_contain_text("уведомления о бронях")
        # No chat yet: the preferences' Telegram column is off, and says why.
        expect(page.get_by_test_id("pref-telegram-hint")).to_have_text(
            "Подключите Telegram, чтобы получать уведомления в чат")
        expect(page.get_by_test_id("pref-telegram").first).to_be_disabled()

        card.get_by_test_id("telegram-connect").click()
        bot = card.get_by_test_id("telegram-open-bot")
        expect(bot).to_be_visible()
        href = bot.get_attribute("href")
        assert re.fullmatch(r"https://t\.me/[A-Za-z0-9_]+\?start=[A-Za-z0-9_-]{16,64}", href), href
        assert bot.get_attribute("target") == "_blank" and "noopener" in bot.get_attribute("rel")
        qr = card.get_by_test_id("telegram-qr")
        expect(qr).to_be_visible()
        assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
        assert "QR-код" in qr.get_attribute("alt")
        assert qr.evaluate("img => img.naturalWidth") > 0  # the SVG is drawn
        expect(card.get_by_test_id("telegram-link-until")).to_have_text(re.compile(r"Ссылка действует до \d\d:\d\d"))
        card.scroll_into_view_if_needed()
        assert_no_horizontal_scroll(page, width)
        _shot(page, f"telegram-cabinet-link-{width}")

        # "Получить новую ссылку": another code.
        card.get_by_test_id("telegram-new-link").click()
        expect(bot).not_to_have_attribute("href", href)
        href = bot.get_attribute("href")

        # The person opens the bot and presses "Старт": the bot links the chat, the card sees it.
        bot_start(parse_qs(urlparse(href).query)["start"][0], 10**9 + secrets.randbelow(10**9), "Пётр в Telegram")
        expect(card.get_by_test_id("telegram-linked")).to_have_text(
            re.compile(r"Подключён: Пётр в Telegram, с \d\d\.\d\d\.\d{4}"), timeout=20_000)
        expect(page.get_by_test_id("pref-telegram-hint")).to_have_count(0)
        expect(page.get_by_test_id("pref-telegram").first).to_be_enabled()
        assert _telegram(app_url, auth)["name"] == "Пётр в Telegram"
        card.scroll_into_view_if_needed()
        assert_no_horizontal_scroll(page, width)
        _shot(page, f"telegram-cabinet-linked-{width}")

        # A Telegram switch is saved like the others.
        page.get_by_test_id("pref-telegram").first.click()
        expect(page.get_by_test_id("notification-preferences")).to_contain_text("Сохранено")
        prefs = httpx.get(f"{app_url}/api/v1/me/notification-preferences", headers=auth, timeout=20).json()
        assert prefs["telegram"]["booking"] is False and prefs["email"]["booking"] is True

        # "Отключить" asks first; "Не отключать" keeps the chat.
        card.get_by_test_id("telegram-unlink").click()
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_contain_text("Отключить Telegram?")
        expect(dialog).to_contain_text("«Пётр в Telegram»")
        _shot(page, f"telegram-cabinet-unlink-dialog-{width}")
        dialog.get_by_role("button", name="Не отключать").click()
        expect(dialog).to_have_count(0)
        assert _telegram(app_url, auth)["linked"] is True

        card.get_by_test_id("telegram-unlink").click()
        page.get_by_test_id("telegram-unlink-confirm").click()
        expect(card.get_by_test_id("telegram-connect")).to_be_visible()
        expect(page.get_by_test_id("pref-telegram-hint")).to_be_visible()
        assert _telegram(app_url, auth)["linked"] is False
    finally:
        context.close()


@pytest.mark.parametrize("width,height", SIZES)
def test_the_telegram_page_links_a_chat_after_sign_in_and_confirmation(app_url, browser, width, height):
    email, auth = _person(app_url, "Алла Чатова")
    chat_name = f"Алла {width}"
    code = bot_chat_code(10**9 + secrets.randbelow(10**9), chat_name)
    context, page = new_page(browser, width, height)
    try:
        # A stranger signs in first and comes back to the same link, code and all.
        page.goto(f"{app_url}/telegram?code={code}")
        page.wait_for_url(re.compile(r"/login\?next="), timeout=30_000)
        assert parse_qs(urlparse(page.url).query)["next"] == [f"/telegram?code={code}"]
        expect(page.get_by_test_id("login-submit")).to_be_enabled(timeout=60_000)
        page.get_by_test_id("login-email").fill(email)
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
        assert parse_qs(urlparse(page.url).query)["code"] == [code] and "/telegram" in page.url

        question = page.get_by_test_id("telegram-question")
        expect(question).to_have_text(f"Подключить чат «{chat_name}» к аккаунту {email}?")
        page.wait_for_timeout(500)
        assert _telegram(app_url, auth)["linked"] is False  # never on load
        assert_no_horizontal_scroll(page, width)
        _shot(page, f"telegram-page-question-{width}")

        page.get_by_test_id("telegram-confirm").click()
        expect(page.get_by_test_id("telegram-done")).to_have_text(
            "Готово: чат подключён. Вернитесь в Telegram — бот уже знает вас.")
        _shot(page, f"telegram-page-done-{width}")
        assert _telegram(app_url, auth)["name"] == chat_name

        page.goto(f"{app_url}/cabinet")
        expect(page.get_by_test_id("telegram-linked")).to_contain_text(f"Подключён: {chat_name}")

        # The same link again: used; no code at all: said so; both with what to do.
        page.goto(f"{app_url}/telegram?code={code}")
        refusal = page.get_by_test_id("telegram-refusal")
        expect(refusal).to_contain_text("Этот код уже использован")
        expect(refusal).to_contain_text("Попросите у бота новую ссылку: /start")
        assert_no_horizontal_scroll(page, width)
        _shot(page, f"telegram-page-used-{width}")
        page.goto(f"{app_url}/telegram")
        expect(page.get_by_test_id("telegram-refusal")).to_contain_text("В ссылке нет кода")

        # "Отмена" on a fresh link links nothing and goes to the cabinet.
        other = bot_chat_code(10**9 + secrets.randbelow(10**9), "Чужой чат")
        page.goto(f"{app_url}/telegram?code={other}")
        expect(page.get_by_test_id("telegram-question")).to_contain_text("«Чужой чат»")
        page.get_by_test_id("telegram-cancel").click()
        page.wait_for_url(re.compile(r"/cabinet/?$"))
        assert _telegram(app_url, auth)["name"] == chat_name

        # Unlinked in the cabinet.
        page.get_by_test_id("telegram-unlink").click()
        page.get_by_test_id("telegram-unlink-confirm").click()
        expect(page.get_by_test_id("telegram-connect")).to_be_visible()
        assert _telegram(app_url, auth)["linked"] is False
    finally:
        context.close()


def test_too_many_codes_are_refused_in_russian(app_url, browser):
    email, auth = _person(app_url, "Ира Лимитова")
    for _ in range(10):
        assert httpx.post(f"{app_url}/api/v1/me/telegram/link", headers=auth, timeout=20).status_code == 201
    context, page = new_page(browser, 390, 844)
    try:
        ui_login(page, app_url, email, PASSWORD, "/cabinet")
        page.get_by_test_id("telegram-connect").click()
        error = page.get_by_test_id("telegram-error")
        expect(error).to_contain_text("Слишком много кодов за час")
        expect(error).to_contain_text("Попробуйте через")
        page.get_by_test_id("telegram").scroll_into_view_if_needed()
        _shot(page, "telegram-cabinet-limit-390")
    finally:
        context.close()
