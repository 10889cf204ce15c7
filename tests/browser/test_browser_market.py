"""Browser test of the market data pages: an operator manages crawl sources at /admin/market
(a css source with selectors, a field error for a bad selector, an edit, a test on one page,
"Обойти сейчас" and its run in the queue), follows a run's progress and errors, filters the
listings a run brought and downloads them as Excel; the owner's "Рынок рядом" with
competitors around a demo space. No worker runs here: the crawler's part is played by the
test, which starts a run (services.market.runs.do_start_run, as the worker would) and posts a
batch with the run's key. Screenshots at 1280 and 390 px in var/screenshots."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from coworking_app.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from coworking_app.formatting import plural
from tests.e2e_fixtures import (
    ROOT,
    SHOTS,
    _env,
    _run,
    api_login,
    assert_no_horizontal_scroll,
    needs_chromium,
    new_page,
    ui_login,
)

pytestmark = needs_chromium
OPERATOR = ("market-operator-e2e@demo.cospace.ru", "Market-Pass-2026-e2e")
API = "/api/v1"

PAGES = {
    "/list": '<html><body><ul class="listing"><li><a href="/s/loft-1">Лофт</a></li></ul></body></html>',
    "/s/loft-1": ('<html><body><div class="object" data-id="loft-1"><h1 class="title">Лофт у Патриарших</h1>'
                  '<p class="cost">от 450 ₽/час</p><p class="addr">Москва, Малая Бронная, 20</p></div>'
                  '</body></html>'),
}


class _Site(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = PAGES.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write((body or "нет такой страницы").encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """A competitor's site on 127.0.0.1 (never the internet): what "Проверить" opens."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _in_app(code: str) -> str:
    """Python run against the app's database (the e2e environment); its last output line."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout.strip().splitlines()[-1]


def _start_run(run_id: int) -> dict:
    """What the worker does first: the run is running, with a key of its own."""
    key = _in_app("from coworking_app.uow import run_use_case\nfrom coworking_app.services.market import runs\n"
                  f"print(run_use_case(lambda s, _fx: runs.do_start_run(s, {run_id}))[2])")
    return {"Authorization": f"Bearer {key}"}


def _finish_run(run_id: int) -> None:
    _in_app("from coworking_app.uow import run_use_case\nfrom coworking_app.services.market import runs\n"
            f"run_use_case(lambda s, _fx: runs.do_finish_run(s, {run_id}, ok=True))\nprint('ok')")


def _crawled_source(base: str, staff: dict, name: str) -> tuple[int, int, dict]:
    """A jsonld source (through the API), a crawl of it queued and taken as by a worker."""
    r = httpx.post(f"{base}{API}/admin/market/sources", headers=staff, timeout=20,
                   json={"name": name, "start_url": "https://spaces.example.ru/", "kind": "jsonld"})
    assert r.status_code == 201, r.text
    source_id = r.json()["id"]
    r = httpx.post(f"{base}{API}/admin/market/sources/{source_id}/crawl", headers=staff, timeout=20)
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    return source_id, run_id, _start_run(run_id)


def _batch(base: str, key: dict, source_id: int, run_id: int, items: list[dict], **extra) -> dict:
    r = httpx.post(f"{base}{API}/market/listings/batch", headers=key, timeout=20,
                   json={"source_id": source_id, "run_id": run_id, "items": items, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def _item(external_id: str, name: str, price: str, lat: float, lon: float, **extra) -> dict:
    return {"external_id": external_id, "url": f"https://spaces.example.ru/s/{external_id}", "name": name,
            "prices": [{"text": price}], "lat": lat, "lon": lon, **extra}


def _full_shot(page, map_id: str, name: str) -> None:
    """The whole page with its map painted: Chromium leaves a sandboxed frame outside the
    viewport blank in a full-page capture, so the viewport is made as tall as the page."""
    size = page.viewport_size
    page.get_by_test_id(map_id).scroll_into_view_if_needed()
    page.set_viewport_size({"width": size["width"], "height": page.evaluate("document.body.scrollHeight")})
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / name))
    page.set_viewport_size(size)


def _shot(page, name: str, full: bool = True) -> None:
    page.wait_for_timeout(400)  # toasts and spinners settle
    page.screenshot(path=str(SHOTS / name), full_page=full)


def test_operator_manages_sources_follows_runs_and_exports_listings(app_url, browser, site, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    _run("-m", "coworking_app.cli", "create-operator", "--email", OPERATOR[0], "--password", OPERATOR[1],
         "--name", "Ольга Оператор")
    tag = uuid.uuid4().hex[:6]
    context, page = new_page(browser, 1280, 900)
    try:
        ui_login(page, app_url, *OPERATOR, "/admin/market")
        expect(page.get_by_test_id("admin-nav").get_by_role("link", name="Рынок")).to_be_visible()
        empty = page.get_by_text("Источников пока нет")
        expect(page.get_by_test_id("sources-table").or_(empty)).to_be_visible()
        if empty.is_visible():  # this module runs first on a fresh database
            _shot(page, "market-sources-empty-1280.png")
            page.get_by_role("tab", name="Объявления").click()
            expect(page.get_by_text("Объявлений нет")).to_be_visible()
            expect(page.get_by_test_id("listings-export")).to_be_disabled()
            _shot(page, "market-listings-empty-1280.png")
            page.get_by_role("tab", name="Источники").click()
        name = _create_css_source(page, site, tag)
        row = _edit_source(page, name, tag)
        _test_source(page, row)
        _queue_crawl(page, row)
        _runs_and_listings(app_url, page, tag, tmp_path)
    finally:
        context.close()
    _phone(app_url, browser, f"Коворкинги {tag}, с расписанием")


def _create_css_source(page, site: str, tag: str) -> str:
    page.get_by_test_id("source-new").click()
    form = page.get_by_test_id("source-form")
    expect(form).to_be_visible()
    name = f"Коворкинги {tag}"
    page.get_by_test_id("source-name").fill(name)
    page.get_by_test_id("source-start_url").fill(f"{site}/list")
    form.get_by_role("radio", name="CSS-селекторы").click()
    expect(page.get_by_test_id("source-selectors")).to_be_visible()
    page.get_by_test_id("source-sel_link").fill(".listing a::attr(href)")
    page.get_by_test_id("source-sel_external_id").fill(".object[data-id::attr(data-id)")  # a bracket short
    page.get_by_test_id("source-sel_name").fill(".title::text")
    # No price: the form says so under the price.
    page.get_by_test_id("source-save").click()
    error = page.get_by_test_id("source-field-error")
    expect(error).to_have_count(1)
    expect(error).to_have_attribute("data-field", "sel_price")
    expect(error).to_have_text("Обязательное поле")
    expect(page.get_by_test_id("source-sel_price")).to_have_attribute("aria-invalid", "true")
    page.get_by_test_id("source-sel_price").fill(".cost::text")
    expect(error).to_have_count(0)  # the field being fixed, its complaint goes
    # The bad selector: refused by the service, shown under its own field.
    page.get_by_test_id("source-save").click()
    expect(error).to_have_attribute("data-field", "sel_external_id")
    expect(error).to_contain_text("Селектор не разобрать")
    _shot(page, "market-source-form-error-1280.png", full=False)
    page.get_by_test_id("source-sel_external_id").fill(".object::attr(data-id)")
    page.get_by_test_id("source-sel_address").fill(".addr::text")
    page.get_by_test_id("source-save").click()
    expect(form).to_have_count(0)
    expect(page.get_by_text(f"Источник «{name}» добавлен")).to_be_visible()
    row = page.get_by_test_id("source-row").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("CSS-селекторы")
    expect(row).to_contain_text("не обходился")
    return name


def _edit_source(page, name: str, tag: str):
    row = page.get_by_test_id("source-row").filter(has_text=name)
    row.get_by_test_id("source-edit").click()
    form = page.get_by_test_id("source-form")
    expect(form).to_contain_text("Источник: изменить")
    expect(page.get_by_test_id("source-sel_external_id")).to_have_value(".object::attr(data-id)")
    expect(page.get_by_test_id("source-sel_next")).to_have_value("")
    page.get_by_test_id("source-name").fill(f"Коворкинги {tag}, с расписанием")
    page.get_by_test_id("source-schedule").click()
    page.get_by_role("option", name="Ежедневно").click()
    _shot(page, "market-source-form-1280.png", full=False)
    page.get_by_test_id("source-save").click()
    expect(form).to_have_count(0)
    row = page.get_by_test_id("source-row").filter(has_text=f"Коворкинги {tag}, с расписанием")
    expect(row).to_contain_text("ежедневно")
    return row


def _test_source(page, row) -> None:
    """"Проверить на странице": the crawler's extraction of one page, or its refusal in
    words (this test does not depend on the crawler being there)."""
    row.get_by_test_id("source-test").click()
    dialog = page.get_by_test_id("test-dialog")
    url = page.get_by_test_id("test-url").input_value()
    assert url.endswith("/list")
    page.get_by_test_id("test-url").fill(url.replace("/list", "/s/loft-1"))
    page.get_by_test_id("test-run").click()
    outcome = page.get_by_test_id("test-error").or_(page.get_by_test_id("test-item").first)
    expect(outcome).to_be_visible(timeout=45_000)
    if page.get_by_test_id("test-item").count():
        expect(dialog).to_contain_text("Лофт у Патриарших")
        expect(dialog).to_contain_text("450 ₽ за час")
    else:
        assert page.get_by_test_id("test-error").inner_text().strip()
        expect(page.get_by_test_id("test-url")).to_have_attribute("aria-invalid", "true")
    _shot(page, "market-source-test-1280.png", full=False)
    dialog.get_by_role("button", name="Закрыть").click()
    expect(dialog).to_have_count(0)


def _queue_crawl(page, row) -> None:
    row.get_by_test_id("source-crawl").click()
    expect(page.get_by_text("поставлен в очередь")).to_be_visible()
    expect(row.get_by_test_id("run-status")).to_have_text("в очереди")
    _shot(page, "market-sources-1280.png")
    # Asked twice while the first is waiting: refused in words.
    row.get_by_test_id("source-crawl").click()
    expect(page.get_by_text("обход этого источника уже идёт")).to_be_visible()


def _runs_and_listings(app_url, page, tag: str, tmp_path) -> None:
    staff = api_login(app_url, *OPERATOR)
    source_name = f"Сайт-агрегатор {tag}"
    source_id, run_id, key = _crawled_source(app_url, staff, source_name)

    page.get_by_role("tab", name="Запуски").click()
    queued = page.locator("[data-testid='run-row'][data-status='queued']")
    expect(queued.first).to_contain_text("в очереди")
    expect(page.get_by_test_id("runs-live")).to_be_visible()  # refreshed by itself while one waits
    run = page.locator(f"[data-testid='run-row'][data-id='{run_id}']")
    expect(run).to_contain_text("идёт")

    # The crawler's first batch arrives: the open page shows it without a reload.
    answer = _batch(app_url, key, source_id, run_id, [
        _item(f"m1-{tag}", f"Точка Тверская {tag}", "от 500 ₽/час", 55.7649, 37.6050),
        _item(f"m2-{tag}", f"Лофт Арбат {tag}", "3 000 руб. в день", 55.7520, 37.5920),
        _item(f"m3-{tag}", f"Хаб Таганка {tag}", "Месяц: 12 000 руб.", 55.7400, 37.6550,
              terms="Бесплатная отмена за 24 часа"),
        _item(f"s1-{tag}", f"Невский коворкинг {tag}", "от 350 ₽/час", 59.9343, 30.3351),
        _item(f"x-{tag}", f"Без цены {tag}", "цена договорная", 55.75, 37.61),
    ], pages=6, errors=[{"url": "https://spaces.example.ru/s/broken", "reason": "страница ответила 500"}])
    assert (answer["stored"], answer["errors"]) == (4, 2), answer
    expect(run.locator("td").nth(5)).to_have_text("4", timeout=15_000)
    expect(run.locator("td").nth(3)).to_have_text("6")
    _finish_run(run_id)
    expect(run).to_contain_text("завершён", timeout=15_000)
    run.get_by_test_id("run-errors").click()
    errors = page.get_by_test_id("run-error")
    expect(errors).to_have_count(2)
    expect(errors.filter(has_text="spaces.example.ru/s/broken")).to_contain_text("страница ответила 500")
    expect(errors.filter(has_text=f"x-{tag}")).to_contain_text("цена")
    _shot(page, "market-runs-1280.png")

    page.get_by_role("tab", name="Объявления").click()
    expected = httpx.get(f"{app_url}{API}/admin/market/listings?source_id={source_id}", headers=staff,
                         timeout=20).json()
    assert expected["total"] == 4, expected
    page.get_by_test_id("listings-source").click()
    page.get_by_role("option", name=source_name).click()
    expect(page.get_by_test_id("listings-total")).to_have_text("Найдено: 4")
    rows = page.get_by_test_id("listing-row")
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text=f"Точка Тверская {tag}")).to_contain_text("500 ₽/час")
    expect(rows.filter(has_text=f"Хаб Таганка {tag}")).to_contain_text("Гибкие")
    pins = page.frame_locator("[data-testid=listings-map]").locator(".cw-pin")
    expect(pins).to_have_count(4)
    _full_shot(page, "listings-map", "market-listings-1280.png")

    page.get_by_test_id("listings-city").click()
    page.get_by_role("option", name="Санкт-Петербург").click()
    expect(page.get_by_test_id("listings-total")).to_have_text("Найдено: 1")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"Невский коворкинг {tag}")
    expect(pins).to_have_count(1)

    with page.expect_download() as download_info:
        page.get_by_test_id("listings-export").click()
    path = tmp_path / "listings.xlsx"
    download_info.value.save_as(path)
    assert download_info.value.suggested_filename.startswith("market-listings-")
    sheet = load_workbook(path).active
    header = [sheet.cell(4, c).value for c in range(1, 17)]
    assert header[:4] == ["ID", "Источник", "ID на сайте", "Название"] and "Цена от" in header
    assert "Санкт-Петербург" in sheet.cell(2, 1).value and source_name in sheet.cell(2, 1).value
    assert [sheet.cell(5, c).value for c in (2, 3, 4)] == [source_name, f"s1-{tag}", f"Невский коворкинг {tag}"]
    assert sheet.cell(5, header.index("Сумма") + 1).value == 350
    assert sheet.cell(6, 1).value is None  # just the one listing of the filters

    page.get_by_test_id("listings-city").click()
    page.get_by_role("option", name="Москва").click()
    expect(page.get_by_test_id("listings-total")).to_have_text("Найдено: 3")

    # A key for a crawler on another machine: shown once, works against the API, stops when revoked.
    page.get_by_role("tab", name="Ключи").click()
    page.get_by_test_id("key-create").click()
    expect(page.get_by_text("Назовите ключ")).to_be_visible()
    key_name = f"Обходчик {tag}"
    page.get_by_test_id("key-name").fill(key_name)
    page.get_by_test_id("key-create").click()
    key = page.get_by_test_id("key-value").inner_text()
    assert key.startswith("csk_")
    row = page.get_by_test_id("key-row").filter(has_text=key_name)
    expect(row).to_contain_text(key[:12])
    expect(row).not_to_contain_text(key[12:])  # the table shows only its beginning
    _shot(page, "market-keys-1280.png")
    batch = {"source_id": source_id, "items": []}
    assert httpx.post(f"{app_url}{API}/market/listings/batch", json=batch, timeout=20,
                      headers={"Authorization": f"Bearer {key}"}).status_code == 200
    row.get_by_test_id("key-revoke").click()
    expect(row).to_contain_text("отозван")
    assert httpx.post(f"{app_url}{API}/market/listings/batch", json=batch, timeout=20,
                      headers={"Authorization": f"Bearer {key}"}).status_code == 401


def _phone(app_url, browser, name: str) -> None:
    context, page = new_page(browser, 390, 844)
    try:
        ui_login(page, app_url, *OPERATOR, "/admin/market")
        row = page.get_by_test_id("source-row").filter(has_text=name)
        expect(row).to_have_count(1)
        assert_no_horizontal_scroll(page, 390)  # the tables scroll inside their own boxes
        _shot(page, "market-sources-390.png")
        row.get_by_test_id("source-edit").click()
        expect(page.get_by_test_id("source-selectors")).to_be_visible()
        _shot(page, "market-source-form-390.png", full=False)
        page.get_by_test_id("source-form").get_by_role("button", name="Отмена").click()
        page.get_by_role("tab", name="Запуски").click()
        expect(page.get_by_test_id("run-row").first).to_be_visible()
        assert_no_horizontal_scroll(page, 390)
        _shot(page, "market-runs-390.png")
        page.get_by_role("tab", name="Объявления").click()
        expect(page.get_by_test_id("listing-row").first).to_be_visible()
        page.frame_locator("[data-testid=listings-map]").locator(".cw-pin").first.wait_for()
        assert_no_horizontal_scroll(page, 390)
        _full_shot(page, "listings-map", "market-listings-390.png")

        # "Удалить" asks first; the source goes with its queued run.
        page.get_by_role("tab", name="Источники").click()
        row.get_by_test_id("source-delete").click()
        expect(page.get_by_role("alertdialog")).to_contain_text(f"Удалить источник «{name}»?")
        _shot(page, "market-source-delete-390.png", full=False)
        page.get_by_test_id("source-delete-confirm").click()
        expect(row).to_have_count(0)
        expect(page.get_by_text(f"Источник «{name}» удалён")).to_be_visible()
    finally:
        context.close()


def test_owner_sees_the_market_around_a_space(app_url, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    _run("-m", "coworking_app.cli", "create-operator", "--email", OPERATOR[0], "--password", OPERATOR[1],
         "--name", "Ольга Оператор")
    owner = api_login(app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    spaces = httpx.get(f"{app_url}{API}/owner/spaces", headers=owner, timeout=20).json()
    space = next(s for s in spaces if s["status"] == "published")
    tag = uuid.uuid4().hex[:6]
    source_id, run_id, key = _crawled_source(app_url, api_login(app_url, *OPERATOR), f"Рядом {tag}")
    lat, lon = space["lat"], space["lon"]
    prices = ["от 300 ₽/час", "450 ₽ в час", "Час — 600 ₽, день — 2 500 ₽", "День — 1 800 ₽",
              "от 500 ₽/час", "Месяц: 14 000 руб.", "3 200 руб. в день", "абонемент 11 000 ₽/мес"]
    items = [_item(f"n{i}-{tag}", f"Коворкинг «Соседи {i + 1}»", price,
                   lat + 0.004 * ((i % 3) - 1), lon + 0.006 * ((i % 4) - 1.5))
             for i, price in enumerate(prices)]
    assert _batch(app_url, key, source_id, run_id, items)["stored"] == len(items)
    _finish_run(run_id)
    market = httpx.get(f"{app_url}{API}/owner/spaces/{space['id']}/market?radius_m=2000", headers=owner, timeout=20)
    count = market.json()["count"]
    assert count >= len(items), market.json()

    for width, height in ((1280, 900), (390, 844)):
        context, page = new_page(browser, width, height)
        try:
            ui_login(page, app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, f"/owner/spaces/{space['id']}/market")
            expect(page.get_by_test_id("market-summary")).to_contain_text("предложени")
            expect(page.get_by_test_id("market-unit").first).to_be_visible()
            expect(page.get_by_test_id("market-chart").locator(".js-plotly-plot")).to_be_visible()
            page.frame_locator("[data-testid=market-map]").locator(".cw-pin").first.wait_for()
            expect(page.get_by_test_id("market-neighbour").first).to_be_visible()
            expect(page.get_by_test_id("market-summary")).to_have_text(
                plural(count, "предложение", "предложения", "предложений") + " конкурентов в радиусе 2 км")
            assert_no_horizontal_scroll(page, width)
            _full_shot(page, "market-map", f"owner-market-{width}.png")
            if width == 1280:  # the operators' page is not the owner's
                page.goto(f"{app_url}/admin/market")
                expect(page.get_by_text("Недостаточно прав")).to_be_visible()
                expect(page.get_by_test_id("source-new")).to_have_count(0)
        finally:
            context.close()
