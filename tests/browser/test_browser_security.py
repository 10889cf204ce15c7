"""The running app against hostile content and foreign origins (issue 16, items 1, 18, 19).

Published spaces get names and addresses built to break out of HTML, JavaScript and
`<script>` blocks; /search, the space page and the owner's editor must still show every pin
in the sandboxed map frame, run nothing (no dialog), log no error and show the text as text.
Every page answers with the security headers and a CSP the production build works under
(no violation in the console on any page, admin pages included). Only the app's own origins
get CORS answers and websocket connections.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket

import httpx
import pytest
import redis
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from coworking_app.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.e2e_fixtures import (
    E2E_ENV,
    PORT,
    SHOTS,
    _run,
    api_login,
    assert_no_horizontal_scroll,
    needs_chromium,
    new_page,
    ui_login,
)

pytestmark = needs_chromium
API = "/api/v1"
ADMIN = ("admin-sec-e2e@demo.cospace.ru", "Admin-Sec-Pass-2026-e2e")
HOSTILE = [
    "</script><svg onload=alert(1)>",
    '"><img src=x onerror=alert(2)>',
    "';alert(3)//",
]
HOSTILE_ADDRESS = "ул. <b>Жирная</b> `${alert(4)}` \u2028 <!-- </script>"


class Watch:
    """Dialogs, page errors and console errors of a page and all its frames."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, msg):
        if msg.type not in ("error", "warning"):
            return
        url = (msg.location or {}).get("url", "")
        # The machine running the tests is offline: the server's tile fetches fail (502).
        if "/tiles/" in url or "/tiles/" in msg.text:
            return
        if msg.type == "error" or "Content Security Policy" in msg.text:
            self.errors.append(f"{msg.type}: {msg.text} ({url})")

    def check(self) -> None:
        assert not self.dialogs, f"a script ran: {self.dialogs}"
        assert not self.errors, "\n".join(self.errors)


def _engine():
    return create_engine(E2E_ENV["DATABASE_URL"], poolclass=NullPool)


def _forget_cached_spaces() -> None:
    redis.Redis.from_url(E2E_ENV["CACHE_REDIS_URL"]).flushdb()


@pytest.fixture()
def hostile_spaces(app_url):
    """The first three spaces of /search?city=moscow and one space of the demo owner, renamed
    (and one readdressed) to hostile text; the old names come back afterwards."""
    engine = _engine()
    with engine.begin() as conn:
        owned = conn.execute(text(
            "SELECT s.id FROM space s JOIN app_user u ON u.id = s.owner_id "
            "WHERE u.email = :e AND s.status = 'published' ORDER BY s.id LIMIT 1"),
            {"e": DEMO_OWNER_EMAIL}).scalar_one()
    saved: dict[int, tuple[str, str]] = {}
    state = {"owned": owned}

    def rename(space_ids: list[int]) -> None:
        with engine.begin() as conn:
            for space_id, name in zip(space_ids, HOSTILE * 2):
                row = conn.execute(text("SELECT name, address FROM space WHERE id = :i"),
                                   {"i": space_id}).one()
                saved.setdefault(space_id, (row.name, row.address))
                conn.execute(text("UPDATE space SET name = :n, address = :a WHERE id = :i"),
                             {"n": name, "a": HOSTILE_ADDRESS, "i": space_id})
        _forget_cached_spaces()

    state["rename"] = rename
    rename([owned])
    try:
        yield state
    finally:
        with engine.begin() as conn:
            for space_id, (name, address) in saved.items():
                conn.execute(text("UPDATE space SET name = :n, address = :a WHERE id = :i"),
                             {"n": name, "a": address, "i": space_id})
        _forget_cached_spaces()
        engine.dispose()


def _card_ids(page) -> list[int]:
    hrefs = page.get_by_test_id("space-card").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return [int(re.search(r"/spaces/(\d+)", h).group(1)) for h in hrefs]


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)])
def test_hostile_names_show_as_text_and_the_maps_keep_their_pins(
        app_url, browser, hostile_spaces, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = new_page(browser, width, height)
    watch = Watch(page)
    try:
        url = f"{app_url}/search?city=moscow"
        page.goto(url)
        page.get_by_test_id("space-card").first.wait_for()
        ids = _card_ids(page)[:3]
        hostile_spaces["rename"](ids)

        page.goto(url)
        cards = page.get_by_test_id("space-card")
        cards.first.wait_for()
        assert _card_ids(page)[:3] == ids
        for i, name in enumerate(HOSTILE):
            expect(cards.nth(i).locator(".space-name")).to_have_text(name)
        # The search's live map (assets/live_map.jsx): close around the first hostile space,
        # its pin; the popup shows the name as text, and nothing from it ran.
        where = httpx.get(f"{app_url}{API}/spaces/{ids[0]}", timeout=20).json()
        box = f"{where['lon'] - 0.0008},{where['lat'] - 0.0005},{where['lon'] + 0.0008},{where['lat'] + 0.0005}"
        page.goto(f"{url}&bbox={box}")
        pin = page.locator(f".cw-pin[data-space='{ids[0]}']")
        pin.wait_for()
        pin.click()
        popup = page.locator(".cw-popup")
        expect(popup.locator("b")).to_have_text(HOSTILE[0])
        assert page.locator(".cw-popup svg, .cw-popup img, .cw-popup b b, .cw-pin img, .cw-pin svg").count() == 0
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"search-hostile-{width}.png"), full_page=True)
        assert_no_horizontal_scroll(page, width)

        # "Открыть" in the popup opens the space's page, whose map is a sandboxed frame.
        popup.get_by_text("Открыть").click()
        page.wait_for_url(f"**/spaces/{ids[0]}")
        expect(page.get_by_test_id("space-name")).to_have_text(HOSTILE[0])
        space_pin = page.frame_locator("[data-testid=space-map]").locator(".cw-pin")
        expect(space_pin).to_have_count(1)
        # On a phone the page has a fixed header and a fixed booking bar: the map is brought to
        # the middle of the screen first, as a person scrolls to it, so neither covers the pin.
        page.get_by_test_id("space-map").evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(200)
        space_pin.click()
        expect(page.frame_locator("[data-testid=space-map]").locator(".cw-popup b")).to_have_text(HOSTILE[0])
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"space-hostile-{width}.png"), full_page=True)
        assert_no_horizontal_scroll(page, width)
        map_url = page.get_by_test_id("space-map").get_attribute("src")
        assert re.fullmatch(r"/maps/[0-9a-f]{32}", map_url)
        pin_count = 1

        # Opened by itself, the map keeps its pins and an opaque origin (its CSP sandboxes
        # it): nothing in it could reach the app's cookies or storage.
        page.goto(f"{app_url}{map_url}")
        expect(page.locator(".cw-pin")).to_have_count(pin_count)
        assert page.evaluate("self.origin") == "null"
        watch.check()
    finally:
        context.close()


def test_owner_editor_map_with_a_hostile_name_still_picks_the_point(app_url, browser, hostile_spaces):
    context, page = new_page(browser, 1280, 900)
    watch = Watch(page)
    try:
        space_id = hostile_spaces["owned"]
        ui_login(page, app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, f"/owner/spaces/{space_id}")
        frame = page.frame_locator("[data-testid=editor-map]")
        expect(frame.locator(".cw-drag-icon")).to_have_count(1)  # the space's pin, a draggable marker
        lat = page.get_by_test_id("edit-lat")
        before = lat.input_value()
        # Under load the frame can be ready before the page is live (its React input not yet
        # hydrated): a click then is lost, and a person clicks again; so does the test.
        for attempt in range(3):
            frame.locator(".leaflet-container").click(position={"x": 60 + 10 * attempt, "y": 40})
            try:
                expect(lat).not_to_have_value(before, timeout=5000)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        assert re.fullmatch(r"\d+\.\d{6}", lat.input_value())
        # A page in another frame cannot post points: only the editor's map frame counts.
        page.evaluate("window.postMessage({type: 'cw-pick', lat: 1, lon: 2}, '*')")
        page.wait_for_timeout(300)
        assert lat.input_value() != "1.000000"
        watch.check()
    finally:
        context.close()


def test_every_page_runs_under_the_csp(app_url, browser):
    """No CSP violation (or other console error) on the pages of a renter, an owner and an
    admin, at desktop width."""
    _run("-m", "coworking_app.cli", "create-admin", "--email", ADMIN[0], "--password", ADMIN[1],
         "--name", "Админ Безопасности")
    context, page = new_page(browser, 1280, 900)
    watch = Watch(page)
    try:
        for path in ("/", "/search?city=moscow", "/login", "/signup", "/reset-password"):
            page.goto(f"{app_url}{path}")
            page.wait_for_load_state("networkidle")
        page.goto(f"{app_url}/search?city=moscow")
        page.get_by_test_id("space-card").first.click()
        page.wait_for_url("**/spaces/*")
        page.frame_locator("[data-testid=space-map]").locator(".cw-pin").wait_for()
        ui_login(page, app_url, ADMIN[0], ADMIN[1], "/admin")
        page.frame_locator("[data-testid=search-map]").locator(".leaflet-container").wait_for()
        for path in ("/admin/moderation", "/admin/tables", "/admin/promos", "/admin/market", "/admin/reports",
                     "/admin/audit", "/cabinet", "/cabinet/bookings", "/inbox"):
            page.goto(f"{app_url}{path}")
            page.wait_for_load_state("networkidle")
        watch.check()
    finally:
        context.close()


def test_headers_on_pages_api_media_and_uploads(app_url):
    page = httpx.get(f"{app_url}/search/", timeout=20)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src")).split()
    assert "'unsafe-inline'" not in script_src and len(script_src) > 5
    assert "frame-ancestors 'none'" in csp
    # Every inline script of the page is allowed by its hash.
    for body in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page.text, re.S):
        if body.strip():
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in script_src, body[:80]
    # A revalidated page (304) brings no policy of its own to replace the cached page's.
    etag = page.headers.get("etag")
    if etag:
        again = httpx.get(f"{app_url}/search/", headers={"If-None-Match": etag}, timeout=20)
        assert again.status_code == 304 and "content-security-policy" not in again.headers
    for url in (f"{app_url}/", f"{app_url}{API}/health", f"{app_url}/media/none.jpg",
                f"{app_url}/leaflet/leaflet.js", f"{app_url}/ping"):
        r = httpx.get(url, timeout=20)
        assert r.headers["x-content-type-options"] == "nosniff", url
        assert r.headers["x-frame-options"] == "DENY", url
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin", url
        assert "content-security-policy" in r.headers, url
    assert httpx.get(f"{app_url}{API}/health", timeout=20).headers[
        "content-security-policy"].startswith("default-src 'none'")


FOREIGN = ["http://evil.example", "null", f"http://127.0.0.1:{PORT}.evil.example"]


def test_cors_answers_only_the_apps_own_origins(app_url):
    own = [f"http://127.0.0.1:{PORT}", f"http://localhost:{PORT}"]
    session_cookie = {"Cookie": "cw_session=x"}
    targets = [("GET", f"{API}/health"), ("GET", f"{API}/spaces?city=moscow"), ("GET", "/search/"),
               ("POST", "/_upload"), ("GET", "/ping")]
    for method, path in targets:
        for origin in FOREIGN:
            r = httpx.request(method, f"{app_url}{path}", headers={"Origin": origin, **session_cookie},
                              timeout=20)
            assert "access-control-allow-origin" not in r.headers, (path, origin)
            pre = httpx.options(f"{app_url}{path}", timeout=20, headers={
                "Origin": origin, "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization,content-type"})
            assert "access-control-allow-origin" not in pre.headers, (path, origin)
        for origin in own:
            r = httpx.request(method, f"{app_url}{path}", headers={"Origin": origin, **session_cookie},
                              timeout=20)
            assert r.headers.get("access-control-allow-origin") == origin, (path, origin)
            assert r.headers.get("access-control-allow-credentials") == "true"
    login = api_login(app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)  # the API itself still works
    assert httpx.get(f"{app_url}{API}/me", headers=login, timeout=20).status_code == 200


def _websocket_status(origin: str | None) -> str:
    """The status line of a websocket handshake on /_event (as socket.io's client opens it)."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET /_event/?EIO=4&transport=websocket HTTP/1.1", f"Host: 127.0.0.1:{PORT}",
             "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
             "Sec-WebSocket-Version: 13"]
    if origin:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", PORT), timeout=20) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(1024)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


def test_the_websocket_refuses_foreign_origins(app_url):
    for origin in FOREIGN:
        assert " 101 " not in _websocket_status(origin) + " ", origin
    for origin in (f"http://127.0.0.1:{PORT}", f"http://localhost:{PORT}"):
        assert " 101 " in _websocket_status(origin) + " ", origin
