"""The app as two instances behind nginx (deploy/cluster/run.py): a signed-in tab keeps its
session and page state when the instance holding its websocket is killed, and a booking made
through one instance shows live on a page whose websocket is on the other. Same database and
Redis as the e2e app (tests/e2e_fixtures.py), its compiled frontend re-addressed to nginx."""

from __future__ import annotations

import shutil
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from coworking_app.demo.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from deploy.cluster.run import Cluster, free_port, rebase_build
from tests.e2e_fixtures import (
    E2E_ENV, PORT, ROOT, SHOTS, api_login, api_sign_up, needs_chromium, new_page, ui_login,
)

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = [needs_chromium, pytest.mark.skipif(NGINX is None, reason="Debian nginx is missing (make test installs it)")]
PASSWORD = "Correct-Horse-42"
ALL_DAYS = {d: {"open": "08:00", "close": "22:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module")
def cluster(app_url):
    """Two instances + nginx on free ports, serving the e2e app's build from a copy whose
    backend address is nginx's."""
    lb = free_port()
    web = ROOT / "var" / "cluster-e2e" / "web"
    rebase_build(ROOT / ".web" / "build" / "client", web, f"http://127.0.0.1:{PORT}", f"http://127.0.0.1:{lb}")
    env = {k: v for k, v in E2E_ENV.items() if k not in ("PORT",)}
    c = Cluster(env=env, lb_port=lb, ports=[free_port(), free_port()], var=ROOT / "var" / "cluster-e2e",
                web_dir=web, workers=1)
    try:
        c.start()
        yield c
    finally:
        c.stop()


def _book(base: str, renter: dict, desk: dict, space: dict, day_offset: int) -> int:
    """The renter books and pays a desk (the owner confirms it later) through `base`."""
    day = (datetime.now(ZoneInfo(space["timezone"])) + timedelta(days=day_offset)).date()
    start = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(space["timezone"]))
    r = httpx.post(f"{base}/api/v1/bookings", headers=renter, timeout=20, json={
        "resource_id": desk["id"], "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(), "seats": 1})
    assert r.status_code in (200, 201), r.text
    booking = r.json()
    pay = httpx.post(f"{base}/api/v1/bookings/{booking['id']}/pay", headers=renter, timeout=20).json()
    r = httpx.post(f"{base}/api/v1/payments/test/{pay['payment_id']}/complete", headers=renter,
                   timeout=20, json={"outcome": "succeeded"})
    assert r.status_code < 300, r.text
    return booking["id"]


def _accept(base: str, owner: dict, booking_id: int) -> None:
    r = httpx.post(f"{base}/api/v1/bookings/{booking_id}/accept", headers=owner, timeout=20)
    assert r.status_code == 200, r.text


TOKEN_JS = "() => Object.entries(window.sessionStorage).find(([k]) => k.includes('token'))"


def test_a_tab_survives_its_instance_and_sees_bookings_made_on_the_other(cluster, browser):
    started = time.monotonic()
    base = cluster.url
    owner = api_login(base, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    space = [s for s in httpx.get(f"{base}/api/v1/owner/spaces", headers=owner, timeout=20).json()
             if s["status"] == "published"][2]
    r = httpx.patch(f"{base}/api/v1/spaces/{space['id']}", headers=owner, timeout=20,
                    json={"opening_hours": ALL_DAYS, "instant_book": False})
    assert r.status_code == 200, r.text
    detail = httpx.get(f"{base}/api/v1/spaces/{space['id']}", timeout=20).json()
    desk = next(res for res in detail["resources"] if res["kind"] == "hot_desk")
    # No stickiness: plain requests through nginx reach both instances.
    answered = {httpx.get(f"{base}/api/v1/health", timeout=5).headers["x-instance"] for _ in range(6)}
    assert answered == {f"instance-{p}" for p in cluster.ports}
    email = f"cl-{uuid.uuid4().hex[:8]}@example.com"
    renter = api_sign_up(base, email, PASSWORD, "Клара Кластерная")
    first, second = (_book(base, renter, desk, space, offset) for offset in (4, 5))

    context, page = new_page(browser, 1280, 900)
    handshakes: list[int] = []  # the instance (port) of each websocket the tab opened

    def on_handshake(event):
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        if "x-upstream" in headers:
            handshakes.append(int(headers["x-upstream"].rsplit(":", 1)[1]))

    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on("Network.webSocketHandshakeResponseReceived", on_handshake)
    try:
        ui_login(page, base, email, PASSWORD, "/cabinet/bookings")
        cards = {b: page.locator(f"[data-booking='{b}']") for b in (first, second)}
        for card in cards.values():
            expect(card.get_by_test_id("booking-status")).to_have_text("оплачено, ждёт подтверждения")
        page.wait_for_timeout(1500)  # the tab's listener subscribes after load
        assert handshakes, "no websocket handshake seen through nginx"
        serving = handshakes[-1]
        (other,) = [p for p in cluster.ports if p != serving]
        bell = page.get_by_test_id("bell-count")
        before = int(bell.inner_text()) if bell.count() else 0

        # The owner accepts through the instance that does NOT hold the tab's websocket: live.
        _accept(f"http://127.0.0.1:{other}", owner, first)
        expect(cards[first].get_by_test_id("booking-status")).to_have_text("подтверждено", timeout=10_000)
        expect(bell).to_have_text(str(before + 1), timeout=10_000)
        token = page.evaluate(TOKEN_JS)
        assert token

        # Kill the instance holding the websocket: the tab reconnects through nginx to the other.
        cluster.kill_instance(serving)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and handshakes[-1] == serving:
            page.wait_for_timeout(200)
        assert handshakes[-1] == other, handshakes
        # Same session (the same Reflex token, still signed in) and the same page state.
        assert page.evaluate(TOKEN_JS) == token
        assert "/cabinet/bookings" in page.url and "/login" not in page.url
        expect(bell).to_have_text(str(before + 1))
        expect(cards[first].get_by_test_id("booking-status")).to_have_text("подтверждено")
        expect(cards[second].get_by_test_id("booking-status")).to_have_text("оплачено, ждёт подтверждения")

        # The tab's listener moved with it: the next accept shows live too.
        page.wait_for_timeout(1500)
        _accept(f"http://127.0.0.1:{other}", owner, second)
        expect(cards[second].get_by_test_id("booking-status")).to_have_text("подтверждено", timeout=10_000)
        expect(bell).to_have_text(str(before + 2), timeout=10_000)
        page.screenshot(path=str(SHOTS / "cluster-after-failover-1280.png"))
    finally:
        context.close()
    took = time.monotonic() - started
    print(f"\ncluster failover test: {took:.1f} s; websockets on {handshakes}")
    assert took < 60
