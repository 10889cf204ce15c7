"""Every page of the app, as a visitor, a renter, an owner and an admin, at 1280 and 390 px.

A page fails the walk on: a console error or uncaught page exception (network failures of
third-party hosts such as map tiles excepted: there is no internet here, and users behind
strict networks see the same), a traceback in the server log written while it was open,
English validation text or a parameter name shown to the person, an element wider than the
390 px viewport that cannot be scrolled to, and any serious or critical axe-core violation.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest

from coworking_app.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from tests.e2e_fixtures import (
    ROOT,
    SHOTS,
    _run,
    api_login,
    api_sign_up,
    assert_no_horizontal_scroll,
    bot_chat_code,
    needs_chromium,
    ui_login,
)

pytestmark = needs_chromium
API = "/api/v1"
PASSWORD = "Correct-Horse-42"
ADMIN = ("walk-admin@demo.cospace.ru", "Walk-Admin-Pass-2026")
AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
LOG = ROOT / "var" / "e2e-app.log"
ALL_DAYS = {d: {"open": "08:00", "close": "22:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

# What pydantic, FastAPI and Python say in English, and what leaks when a value is missing.
ENGLISH = re.compile(
    r"Input should|Field required|String should|should be|must not|must be|value is not|"
    r"Value error|greater than|less than|not a valid|Internal Server Error|Traceback|"
    r"\bundefined\b|\bNaN\b|\[object Object\]|\bNone\b|\bnull\b|Not Found|not found|"
    r"An error occurred|Contact the website")
# A parameter or column name: lower-case words joined by underscores (min_price, stop_id);
# not a payment provider's id (test_pi_1, cs_test_...), which the audit log shows as it is.
PARAMETER = re.compile(r"\b(?!(?:test|cs|pi|re|ch|whsec|evt)_)[a-z]+(?:_[a-z0-9]+)+\b")

EXPECTED_404 = "/no-such-page"

OVERFLOW_JS = """(width) => {
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || style.opacity === '0') continue;
    if (el.closest('[aria-hidden="true"]')) continue;  // e.g. Radix's hidden form inputs
    if (el.closest('.leaflet-container')) continue;  // map tiles and pins: clipped by the map
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) continue;
    if (r.right <= 0) continue;  // parked off screen on purpose (Plotly's text measuring)
    if (r.right <= width + 1 && r.left >= -1) continue;
    // Inside something that scrolls sideways, the person can reach it.
    let a = el.parentElement, reachable = false;
    while (a && a !== document.body) {
      const s = getComputedStyle(a);
      if ((s.overflowX === 'auto' || s.overflowX === 'scroll')
          && a.getBoundingClientRect().right <= width + 1) { reachable = true; break; }
      // Cut short on purpose, with an ellipsis, inside a box that fits (a long name in a select).
      if (s.overflowX === 'hidden' && s.textOverflow === 'ellipsis'
          && a.getBoundingClientRect().right <= width + 1) { reachable = true; break; }
      if (s.position === 'fixed' && (r.right < 0 || r.left > width)) { reachable = true; break; }
      a = a.parentElement;
    }
    if (reachable) continue;
    const id = el.getAttribute('data-testid') || el.getAttribute('aria-label') || (el.className || '').toString().slice(0, 40);
    found.push(`${el.tagName.toLowerCase()} ${id} [${Math.round(r.left)}..${Math.round(r.right)}]`);
  }
  return found.slice(0, 8);
}"""

AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
}"""


@dataclass
class Problems:
    items: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")


@dataclass
class World:
    space_id: int
    booking_id: int
    payment_id: int
    conversation_id: int
    telegram_code: str  # a chat asking to be linked (/telegram?code=...)
    renter: tuple[str, str]
    owner: tuple[str, str]
    admin: tuple[str, str]


def shoot(page, name: str, width: int, problems: list[str]) -> None:
    """A full-page screenshot of one page of a flow, and what the walk checks: at 390 px
    nothing wider than the screen, at 1280 px no serious axe-core finding; on both no English
    or parameter names on screen (the flows' browser tests: company, waitlist, check-in)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
    page.evaluate("window.scrollTo(0, 0)")
    # Toasts come and go (a notice arriving, "Сохранено"): not part of the page checked here.
    page.add_style_tag(content="[data-sonner-toaster] { display: none !important; }")
    page.wait_for_timeout(150)
    assert_no_horizontal_scroll(page, width)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    text = page.evaluate("() => document.body.innerText")
    problems += [f"{name}@{width}: English {m!r}" for m in set(ENGLISH.findall(text))]
    problems += [f"{name}@{width}: parameter {m!r}" for m in set(PARAMETER.findall(text))]
    if width < 500:
        problems += [f"{name}@{width}: wider than the screen: {e}" for e in page.evaluate(OVERFLOW_JS, width)]
    else:
        page.evaluate(AXE.read_text(encoding="utf-8"))
        problems += [f"{name}@{width}: axe: {v}" for v in page.evaluate(AXE_JS)]


def _owned_space(base: str, owner: dict) -> dict:
    spaces = httpx.get(f"{base}{API}/owner/spaces", headers=owner, timeout=20).json()
    space = next(s for s in spaces if s["status"] == "published")
    r = httpx.patch(f"{base}{API}/spaces/{space['id']}", headers=owner, timeout=20,
                    json={"opening_hours": ALL_DAYS, "instant_book": True})
    assert r.status_code == 200, r.text
    return httpx.get(f"{base}{API}/spaces/{space['id']}", timeout=20).json()


def _book(base: str, renter: dict, space: dict, days_ahead: int, hour: int) -> dict:
    desk = next(res for res in space["resources"] if res["kind"] == "hot_desk")
    zone = ZoneInfo(space["timezone"])
    day = datetime.now(zone).date() + timedelta(days=days_ahead)
    start = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
    r = httpx.post(f"{base}{API}/bookings", headers=renter, timeout=20, json={
        "resource_id": desk["id"], "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(), "seats": 1})
    assert r.status_code == 201, r.text
    return r.json()


def _renter(base: str) -> tuple[str, str]:
    email = f"walk-{uuid.uuid4().hex[:8]}@example.com"
    api_sign_up(base, email, PASSWORD, "Вера Обходова", phone="+79123456781")
    return email, PASSWORD


@pytest.fixture(scope="module")
def world(app_url) -> World:
    _run("-m", "coworking_app.cli", "create-admin", "--email", ADMIN[0], "--password", ADMIN[1],
         "--name", "Ольга Обход")
    owner_headers = api_login(app_url, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    space = _owned_space(app_url, owner_headers)
    renter = _renter(app_url)
    renter_headers = api_login(app_url, *renter)
    paid = _book(app_url, renter_headers, space, 9, 10)
    pay = httpx.post(f"{app_url}{API}/bookings/{paid['id']}/pay", headers=renter_headers, timeout=20).json()
    httpx.post(f"{app_url}{API}/payments/test/{pay['payment_id']}/complete", headers=renter_headers,
               timeout=20, json={"outcome": "succeeded"})
    unpaid = _book(app_url, renter_headers, space, 10, 12)
    checkout = httpx.post(f"{app_url}{API}/bookings/{unpaid['id']}/pay", headers=renter_headers,
                          timeout=20).json()
    r = httpx.post(f"{app_url}{API}/conversations", headers=renter_headers, timeout=20, json={
        "space_id": space["id"], "booking_id": paid["id"], "text": "Здравствуйте! Есть ли парковка?"})
    assert r.status_code == 201, r.text
    return World(space_id=space["id"], booking_id=paid["id"], payment_id=checkout["payment_id"],
                 conversation_id=r.json()["conversation_id"],
                 telegram_code=bot_chat_code(4_200_000_001, "Вера в Telegram"), renter=renter,
                 owner=(DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD), admin=ADMIN)


def _pages(w: World) -> dict[str, list[str]]:
    return {
        "visitor": ["/", "/search", "/search?city=moscow&sort=price", f"/spaces/{w.space_id}",
                    "/signup", "/login", "/reset-password", "/verify-email?token=broken",
                    "/checkin", "/no-such-page"],
        "renter": ["/cabinet", "/cabinet/bookings", "/cabinet/notifications", "/cabinet/favourites",
                   "/cabinet/company", "/cabinet/payments",
                   f"/checkout/{w.payment_id}", "/inbox", f"/inbox/{w.conversation_id}",
                   f"/spaces/{w.space_id}", f"/telegram?code={w.telegram_code}", "/telegram"],
        "owner": ["/owner", f"/owner/spaces/{w.space_id}", f"/owner/spaces/{w.space_id}/preview",
                  "/owner/bookings", "/owner/analytics", "/owner/finance", "/checkin?t=c1.1.1.broken",
                  "/inbox", f"/inbox/{w.conversation_id}"],
        "admin": ["/admin", "/admin/tables", "/admin/moderation", "/admin/promos", "/admin/market",
                  "/admin/finance", "/admin/reports", "/admin/audit"],
    }


def _log_size() -> int:
    return LOG.stat().st_size if LOG.exists() else 0


def _new_tracebacks(since: int) -> list[str]:
    with open(LOG, "rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    return [block.strip().splitlines()[-1] for block in text.split("Traceback (most recent call last)")[1:]]


def _visible_text(page) -> str:
    return page.evaluate("() => document.body.innerText")


def _walk(browser, base: str, role: str, paths: list[str], credentials, problems: Problems) -> None:
    for width, height in ((1280, 900), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="ru-RU",
                                      bypass_csp=True)  # lets the test inject axe-core
        page = context.new_page()
        page.set_default_timeout(30_000)
        console: list[str] = []

        def on_console(message, console=console) -> None:
            if message.type != "error":
                return
            where = message.location.get("url", "") if message.location else ""
            if "Failed to load resource" in message.text and (
                    urlparse(where).netloc not in ("", urlparse(base).netloc) or urlparse(where).path.startswith("/tiles/")):
                return  # map tiles (our /tiles/ proxy answers 502 offline) and third-party hosts: unreachable here
            if "status of 404" in message.text and where.rstrip("/") == page.url.rstrip("/") \
                    and urlparse(where).path.startswith(EXPECTED_404):
                return  # the page itself, answered 404 on purpose
            console.append(message.text[:200])

        page.on("console", on_console)
        page.on("pageerror", lambda error, console=console: console.append(f"uncaught: {error}"[:200]))
        try:
            if credentials:
                ui_login(page, base, credentials[0], credentials[1], paths[0])
            for path in paths:
                where = f"{role} {path} @{width}"
                console.clear()
                log_from = _log_size()
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1200)  # on_load events and their state updates
                shot = re.sub(r"[^a-z0-9]+", "-", f"walk-{role}-{path}-{width}".lower()).strip("-")
                page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
                if urlparse(page.url).path.startswith("/login") and credentials:
                    problems.add(where, f"sent to {page.url}")
                for message in console:
                    problems.add(where, f"console: {message}")
                for line in _new_tracebacks(log_from):
                    problems.add(where, f"server: {line}")
                text = _visible_text(page)
                for match in set(ENGLISH.findall(text)):
                    problems.add(where, f"English text: {match!r}")
                for match in set(PARAMETER.findall(text)):
                    problems.add(where, f"parameter name shown: {match!r}")
                if width == 390:
                    for element in page.evaluate(OVERFLOW_JS, width):
                        problems.add(where, f"wider than 390 px: {element}")
                else:
                    page.evaluate(AXE.read_text(encoding="utf-8"))
                    for violation in page.evaluate(AXE_JS):
                        problems.add(where, f"axe: {violation}")
        finally:
            context.close()


@pytest.mark.parametrize("role", ["visitor", "renter", "owner", "admin"])
def test_every_page_is_clean(app_url, browser, world, role):
    assert AXE.exists(), "make test installs axe-core into .tools"
    SHOTS.mkdir(parents=True, exist_ok=True)
    credentials = {"visitor": None, "renter": world.renter, "owner": world.owner,
                   "admin": world.admin}[role]
    problems = Problems()
    _walk(browser, app_url, role, _pages(world)[role], credentials, problems)
    assert not problems.items, "\n".join(problems.items)
