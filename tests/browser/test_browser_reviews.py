"""Browser tests of messaging and reviews: two browsers talking in real time, markup shown as
text, and a review going from a completed booking through moderation onto the space page."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from coworking_app.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.e2e_fixtures import (
    E2E_ENV,
    SHOTS,
    _run,
    api_login,
    api_sign_up,
    assert_no_horizontal_scroll,
    needs_chromium,
    new_page,
    ui_login,
)

pytestmark = needs_chromium
PASSWORD = "Correct-Horse-42"
OPERATOR = ("operator-e2e@demo.cospace.ru", "Operator-Pass-2026")
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def _renter(base: str, name: str) -> tuple[str, dict]:
    email = f"rv-{uuid.uuid4().hex[:8]}@example.com"
    return email, api_sign_up(base, email, PASSWORD, name)


def _demo_space(base: str, index: int) -> dict:
    owner = api_login(base, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    spaces = [s for s in httpx.get(f"{base}/api/v1/owner/spaces", headers=owner, timeout=20).json()
              if s["status"] == "published"]
    return spaces[index]


def test_renter_asks_the_host_and_the_owners_inbox_updates_live(app_url, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    space = _demo_space(app_url, 3)
    email, _ = _renter(app_url, "Светлана Спрашивающая")
    renter_ctx, renter = new_page(browser, 1280, 900)
    owner_ctx, owner = new_page(browser, 390, 844)
    try:
        ui_login(owner, app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, "/inbox")
        # Counted once the list has loaded (other tests may have written to this owner).
        expect(owner.get_by_test_id("conversation").first.or_(owner.get_by_text("Сообщений пока нет"))).to_be_visible()
        before = owner.get_by_test_id("conversation").count()
        owner.wait_for_timeout(1500)  # the tab's listener subscribes after load

        ui_login(renter, app_url, email, PASSWORD, f"/spaces/{space['id']}")
        renter.get_by_test_id("ask-host").click()
        renter.get_by_test_id("ask-host-text").fill(XSS + " Есть ли парковка?")
        renter.get_by_test_id("ask-host-send").click()
        renter.wait_for_url("**/inbox/*")
        expect(renter.get_by_test_id("message-text")).to_have_text(XSS + " Есть ли парковка?")
        renter.wait_for_timeout(1500)

        # The owner's open inbox shows the new conversation and the badge without a reload.
        row = owner.get_by_test_id("conversation").filter(has_text="Светлана Спрашивающая")
        expect(row).to_have_count(1, timeout=5000)
        assert owner.get_by_test_id("conversation").count() == before + 1
        expect(row.get_by_test_id("conversation-unread")).to_have_text("1")
        expect(owner.get_by_test_id("inbox-count")).to_be_visible()
        assert_no_horizontal_scroll(owner, 390)
        owner.screenshot(path=str(SHOTS / "inbox-live-390.png"), full_page=True)

        row.click()
        owner.wait_for_url("**/inbox/*")
        # Markup arrives as text: shown as typed, and nothing in it ran.
        expect(owner.get_by_test_id("message-text").first).to_have_text(XSS + " Есть ли парковка?")
        assert owner.locator("[data-testid=thread] img").count() == 0
        assert owner.evaluate("window.__xss") is None
        assert renter.evaluate("window.__xss") is None
        owner.get_by_test_id("message-input").fill("Да, парковка во дворе, бесплатно.")
        owner.get_by_test_id("message-send").click()
        expect(owner.get_by_test_id("message-text")).to_have_count(2)

        # The renter's open conversation gets the reply without a reload.
        expect(renter.get_by_test_id("message-text").nth(1)).to_have_text(
            "Да, парковка во дворе, бесплатно.", timeout=5000)
        renter.screenshot(path=str(SHOTS / "thread-1280.png"), full_page=True)
        owner.screenshot(path=str(SHOTS / "thread-390.png"), full_page=True)
    finally:
        renter_ctx.close()
        owner_ctx.close()


def _completed_booking(space_id: int, user_id: int) -> int:
    """A stay that ended yesterday (bookings only become completed once they are over)."""
    engine = create_engine(E2E_ENV["DATABASE_URL"], poolclass=NullPool)
    end = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
    try:
        with engine.begin() as conn:
            resource_id = conn.execute(text("SELECT id FROM resource WHERE space_id = :s ORDER BY id LIMIT 1"),
                                       {"s": space_id}).scalar_one()
            return conn.execute(text("""
                INSERT INTO booking (user_id, space_id, resource_id, start_at, end_at, seats, whole, status,
                                     timezone, price, addons, total_minor, currency, policy)
                VALUES (:u, :s, :r, :start, :end, 1, false, 'completed', 'Europe/Moscow', '{}', '[]', 90000,
                        'RUB', 'flexible') RETURNING id"""),
                {"u": user_id, "s": space_id, "r": resource_id, "start": end - timedelta(hours=3),
                 "end": end}).scalar_one()
    finally:
        engine.dispose()


def test_review_after_a_stay_is_approved_and_shows_with_the_new_average(app_url, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    space = _demo_space(app_url, 4)
    email, renter_api = _renter(app_url, "Григорий Отзывчивый")
    user_id = httpx.get(f"{app_url}/api/v1/me", headers=renter_api, timeout=20).json()["id"]
    booking_id = _completed_booking(space["id"], user_id)
    _run("-m", "coworking_app.cli", "create-operator", "--email", OPERATOR[0], "--password", OPERATOR[1],
         "--name", "Ольга Модератор")
    review_text = f"Тихо, быстрый Wi-Fi, удобные кресла. Отзыв {uuid.uuid4().hex[:6]}"

    renter_ctx, renter = new_page(browser, 390, 844)
    operator_ctx, operator = new_page(browser, 1280, 900)
    try:
        ui_login(renter, app_url, email, PASSWORD, "/cabinet/bookings")
        renter.get_by_role("tab", name="Прошедшие").click()
        card = renter.locator(f"[data-booking='{booking_id}']")
        card.get_by_test_id("booking-review").click()
        renter.get_by_test_id("review-rating").get_by_role("radio", name="4").click()
        renter.get_by_test_id("review-text-input").fill("Коротко")
        renter.get_by_test_id("review-submit").click()
        expect(renter.get_by_test_id("review-error")).to_contain_text("не короче 10 символов")
        renter.get_by_test_id("review-text-input").fill(review_text)
        renter.screenshot(path=str(SHOTS / "review-form-390.png"))
        renter.get_by_test_id("review-submit").click()
        expect(card.get_by_test_id("booking-review-status")).to_have_text("Отзыв на модерации")
        expect(card.get_by_test_id("booking-review")).to_have_count(0)
        # Within 48 hours the renter may edit it: the dialog opens with the review in it.
        card.get_by_test_id("booking-review-edit").click()
        expect(renter.get_by_test_id("review-text-input")).to_have_value(review_text)
        review_text += " Обновлено: парковка бесплатная."
        renter.get_by_test_id("review-text-input").fill(review_text)
        renter.get_by_test_id("review-submit").click()
        expect(renter.get_by_test_id("review-text-input")).to_have_count(0)
        expect(card.get_by_test_id("booking-review-status")).to_have_text("Отзыв на модерации")

        ui_login(operator, app_url, OPERATOR[0], OPERATOR[1], "/admin/moderation")
        operator.get_by_test_id("moderation-view").get_by_role("radio", name="Отзывы").click()
        item = operator.get_by_test_id("moderation-item").filter(has_text=review_text)
        expect(item).to_have_count(1)
        operator.screenshot(path=str(SHOTS / "moderation-1280.png"), full_page=True)
        item.get_by_test_id("moderation-approve").click()
        expect(item).to_have_count(0)

        summary = httpx.get(f"{app_url}/api/v1/spaces/{space['id']}/reviews", timeout=20).json()
        assert summary["items"][0]["text"] == review_text
        average = f"{summary['rating']['average']:.1f}".replace(".", ",")
        renter.goto(f"{app_url}/spaces/{space['id']}")
        reviews = renter.get_by_test_id("reviews")
        expect(reviews.get_by_test_id("review-text").first).to_have_text(review_text)
        expect(reviews.get_by_test_id("rating-average")).to_have_text(average)
        renter.get_by_test_id("reviews").scroll_into_view_if_needed()
        renter.screenshot(path=str(SHOTS / "space-reviews-390.png"))
    finally:
        renter_ctx.close()
        operator_ctx.close()
