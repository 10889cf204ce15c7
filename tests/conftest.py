"""Test setup: a separate PostgreSQL/PostGIS database and separate Redis databases.

`make test` exports the test environment; these defaults make `pytest tests/x.py`
work the same when run by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_REDIS = os.environ.get("TEST_REDIS", "redis://127.0.0.1:6379")
TEST_ENV = {
    "APP_ENV": "test",
    "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/coworking_test",
    "REDIS_URL": f"{_REDIS}/3",
    "RQ_REDIS_URL": f"{_REDIS}/4",
    "CACHE_REDIS_URL": f"{_REDIS}/5",
    "MEDIA_ROOT": str(ROOT / "var" / "media-test"),
    "SECRET_KEY": "test-only-secret-key-not-for-production",
}
for _key, _value in TEST_ENV.items():
    os.environ.setdefault(_key, _value)

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from coworking_app.db import get_cache_redis, get_engine, get_rq_redis  # noqa: E402
from coworking_app.services.catalog import invalidate_reference_cache  # noqa: E402
from coworking_app.uow import run_use_case  # noqa: E402
from tests.e2e_fixtures import app_url, browser  # noqa: E402,F401  (browser tests)
from tests.factories import build_world  # noqa: E402
from tests.uow_helpers import transaction  # noqa: E402

assert "test" in os.environ["DATABASE_URL"], "tests must never run on the main database"


@pytest.fixture(scope="session")
def world():
    """The fixture world: real cities/districts/metro plus a known set of spaces."""
    with get_engine().begin() as conn:
        conn.execute(text(
            "TRUNCATE tariff, resource, photo, space, transit_stop, district, city, amenity, "
            "app_user "
            "RESTART IDENTITY CASCADE"
        ))
    invalidate_reference_cache()
    get_cache_redis().flushdb()
    with transaction() as session:
        data = build_world(session)
    with get_engine().begin() as conn:
        conn.execute(text("ANALYZE"))
    return data


@pytest.fixture()
def session(world):
    with transaction() as s:
        yield s


@pytest.fixture(scope="session")
def client(world):
    from coworking_app.api import create_api

    with TestClient(create_api(), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture()
def clean_limits():
    """Rate-limit counters live in the cache Redis: start each accounts test with none,
    and with no jobs queued by earlier tests (tests.account_helpers.run_account_jobs)."""
    get_cache_redis().flushdb()
    get_rq_redis().flushdb()
    yield


@pytest.fixture()
def make_user(world, clean_limits):
    """make_user(role="owner") -> (user_id, email, password); a fresh account each call."""
    import itertools
    import uuid

    from coworking_app.services.accounts import do_register

    counter = itertools.count()

    def make(role: str = "renter", password: str = "Correct-Horse-42") -> tuple[int, str, str]:
        email = f"u{next(counter)}-{uuid.uuid4().hex[:8]}@example.com"
        user = run_use_case(lambda s, fx: do_register(s, fx, email=email, password=password,
                                                      full_name="Тест Тестов", role=role))
        return user.id, email, password

    return make


@pytest.fixture()
def login(client):
    """login(email, password) -> Authorization headers for the API."""

    def do(email: str, password: str) -> dict[str, str]:
        r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return do


@pytest.fixture(autouse=True, scope="module")
def _hide_booking_test_spaces():
    """Spaces made by tests/booking_helpers.make_bookable stay out of later modules' searches."""
    yield
    from tests.booking_helpers import BOOKING_TEST_MARK

    with get_engine().begin() as conn:
        conn.execute(text("UPDATE space SET status = 'hidden' WHERE description = :m "
                          "AND status = 'published'"), {"m": BOOKING_TEST_MARK})
    get_cache_redis().flushdb()


def pytest_collection_modifyitems(session, config, items):
    """Schemathesis runs last: as an admin it blocks and re-roles users and hides spaces."""
    last = [item for item in items if item.nodeid.startswith("tests/test_api_schemathesis.py")]
    if last:
        items[:] = [item for item in items if item not in last] + last
