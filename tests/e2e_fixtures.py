"""Shared end-to-end fixtures: the built app on the demo data, and Debian's Chromium.

Session-scoped, so every browser test module shares one app build and start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = int(os.environ.get("E2E_PORT", "0")) or _free_port()
BASE = f"http://127.0.0.1:{PORT}"
SHOTS = ROOT / "var" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
_REDIS = os.environ.get("TEST_REDIS", "redis://127.0.0.1:6379")  # see the Makefile
E2E_ENV = {
    "APP_ENV": "test",
    "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{os.environ.get('E2E_DB', 'coworking_e2e')}",
    "REDIS_URL": f"{_REDIS}/6",
    "RQ_REDIS_URL": f"{_REDIS}/7",
    "CACHE_REDIS_URL": f"{_REDIS}/8",
    "MEDIA_ROOT": str(ROOT / "var" / "media-e2e"),
    # As `make run`: every server process's metrics in one folder, /metrics adds them up.
    "PROMETHEUS_MULTIPROC_DIR": str(ROOT / "var" / f"metrics-{os.environ.get('E2E_DB', 'coworking_e2e')}"),
    "SECRET_KEY": "e2e-only-secret-key-not-for-production",
    "PORT": str(PORT),
    "REFLEX_USE_NPM": "1",
    # Every test signs up from 127.0.0.1, and the counters outlive a run by an hour.
    "SIGNUPS_PER_IP_PER_HOUR": "100000",
    # As behind Caddy on the same machine: a test may say, in X-Forwarded-For, who it is.
    "TRUSTED_PROXIES": "127.0.0.1",
}

needs_chromium = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                reason="Debian chromium is not installed (make test installs it)")


def _env() -> dict[str, str]:
    env = {**os.environ, **E2E_ENV}
    env["PATH"] = f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{ROOT / '.venv' / 'bin'}:{env['PATH']}"
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run(*args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(), check=True, timeout=600)


def _fresh_world() -> None:
    """Each run starts from an empty database, media directory and Redis: rows an earlier run
    left on this machine would point at photos this checkout does not have (CI clones afresh
    but keeps the PostgreSQL server), and its bookings would fill tomorrow's desks."""
    import shutil

    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    url = make_url(E2E_ENV["DATABASE_URL"])
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    engine.dispose()
    shutil.rmtree(E2E_ENV["MEDIA_ROOT"], ignore_errors=True)
    shutil.rmtree(E2E_ENV["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    Path(E2E_ENV["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True)
    for key in ("REDIS_URL", "RQ_REDIS_URL", "CACHE_REDIS_URL"):
        redis.Redis.from_url(E2E_ENV[key]).flushdb()


@pytest.fixture(scope="session")
def app_url():
    _fresh_world()
    _run("-m", "coworking_app.cli", "create-db")
    _run("-m", "alembic", "upgrade", "head")
    _run("-m", "coworking_app.cli", "seed-demo")
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / "e2e-app.log", "w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "reflex"), "run", "--env", "prod",
         "--frontend-port", str(PORT), "--backend-port", str(PORT)],
        cwd=ROOT, env=_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"app exited early, see {log.name}")
            try:
                # /search answers 307 -> /search/ in production builds: follow it.
                if httpx.get(f"{BASE}/search", timeout=2, follow_redirects=True).status_code == 200 \
                        and httpx.get(f"{BASE}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        else:
            raise RuntimeError("app did not start in time")
        yield BASE
    finally:
        for sig in (15, 9):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=20)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def assert_no_horizontal_scroll(page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width + 1, f"page is {scroll_width}px wide at {width}px"




def e2e_sign_up_code(email: str) -> str:
    """The code in the latest sign-up mail to this address (the running app's database)."""
    import re

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(E2E_ENV["DATABASE_URL"], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            body = conn.execute(text("SELECT body FROM sign_up_request WHERE lower(email) = lower(:e) "
                                     "AND kind = 'new' ORDER BY id DESC LIMIT 1"), {"e": email}).scalar_one()
    finally:
        engine.dispose()
    return re.search(r"код подтверждения: (\d{6})", body).group(1)


def e2e_python(source: str) -> str:
    """Runs `source` with the running app's settings (its database, Redis and secret key), as
    another process of the app would (the Telegram bot); what it printed."""
    done = subprocess.run([sys.executable, "-c", source], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def bot_chat_code(chat_id: int, chat_name: str) -> str:
    """What the Telegram bot does for a chat that is not linked: a code for the site's
    /telegram page (services/messaging/telegram.do_create_chat_link)."""
    return e2e_python(
        "from coworking_app.services.messaging import telegram\n"
        "from coworking_app.uow import run_use_case\n"
        f"print(run_use_case(lambda s, _fx: telegram.do_create_chat_link(s, {int(chat_id)}, {chat_name!r})).code)")


def bot_start(code: str, chat_id: int, chat_name: str) -> None:
    """The bot's `/start <code>` in a chat: links it to whoever made the code on the site."""
    e2e_python(
        "from coworking_app.services.messaging import telegram\n"
        "from coworking_app.uow import run_use_case\n"
        f"run_use_case(lambda s, _fx: telegram.do_link_chat(s, {code!r}, {int(chat_id)}, {chat_name!r}))")


def api_sign_up(base: str, email: str, password: str, full_name: str, **extra) -> dict:
    """Signs up through the API as a person would (the form, then the code from the mail);
    Authorization headers of the new account."""
    r = httpx.post(f"{base}/api/v1/auth/register", timeout=20,
                   json={"email": email, "password": password, "full_name": full_name} | extra)
    assert r.status_code == 202, r.text
    r = httpx.post(f"{base}/api/v1/auth/register/confirm", timeout=20,
                   json={"email": email, "code": e2e_sign_up_code(email)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def api_login(base: str, email: str, password: str) -> dict:
    """Authorization headers of a fresh API sign-in on the running app."""
    r = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password}, timeout=20)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ui_login(page, base: str, email: str, password: str, next_path: str) -> None:
    """Signs in through the login form and waits for the page it leads to."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login?next={next_path}")
    # The button is disabled until the page is live (pages/components.private_form).
    expect(page.get_by_test_id("login-submit")).to_be_enabled(timeout=60_000)
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    # "**/x" alone would also match /login?next=/x: first leave the login page.
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
    page.wait_for_url(f"**{next_path}")


def chain_space_with(base: str, owner: tuple[str, str], wanted, hours: dict) -> tuple[dict, dict] | None:
    """(space, resource): the first published space (by id) of a chain `owner` (email,
    password) with a resource for which `wanted(resource)` holds, set to `hours` and instant
    booking. A flow's browser test takes a chain owner no other module uses: changing a space
    moves it first in its owner's list, which other modules pick from by position."""
    auth = api_login(base, *owner)
    spaces = sorted((s for s in httpx.get(f"{base}/api/v1/owner/spaces", headers=auth, timeout=20).json()
                     if s["status"] == "published"), key=lambda s: s["id"])
    for space in spaces:
        detail = httpx.get(f"{base}/api/v1/spaces/{space['id']}", timeout=20).json()
        found = next((r for r in detail["resources"] if wanted(r)), None)
        if found is not None:
            r = httpx.patch(f"{base}/api/v1/spaces/{space['id']}", headers=auth, timeout=20,
                            json={"opening_hours": hours, "instant_book": True})
            assert r.status_code == 200, r.text
            return httpx.get(f"{base}/api/v1/spaces/{space['id']}", timeout=20).json(), found
    return None



def hourly_desk(base: str, owner: tuple[str, str], hours: dict) -> tuple[dict, dict]:
    """(space, desk): an hot desk that takes bookings of an hour or two, of a published space
    of a chain `owner` (chain_space_with); the test is skipped when the owner has none."""
    import pytest

    found = chain_space_with(base, owner, lambda r: r["kind"] == "hot_desk" and r["min_minutes"] <= 60, hours)
    if found is None:
        pytest.skip("no space of this owner has an hourly desk")
    return found


def chain_room(base: str, owner: tuple[str, str], hours: dict) -> tuple[dict, dict]:
    """(space, room): a meeting room that takes two-hour bookings, of a published space of a
    chain `owner` (chain_space_with); the test is skipped when the owner has none."""
    found = chain_space_with(base, owner, lambda r: r["kind"] == "meeting_room"
                             and r["min_minutes"] <= 120 <= r["max_minutes"], hours)
    if found is None:
        pytest.skip("no space of this owner has a meeting room")
    return found
