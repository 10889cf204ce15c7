"""The database and Redis fixtures of tests/services and tests/api (their conftests import
everything here; tests/unit never loads this module): the fixture world on the test
database, sessions, the API client and fresh accounts."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from coworking_app.db import get_cache_redis, get_engine, get_rq_redis
from coworking_app.services.catalog.catalog import invalidate_reference_cache
from coworking_app.uow import run_use_case
from tests.factories import build_world
from tests.uow_helpers import transaction

assert "test" in os.environ["DATABASE_URL"], "tests must never run on the main database"

__all__ = ["world", "session", "client", "clean_limits", "make_user", "login",
           "_hide_booking_test_spaces"]

_WORLD: list = []  # built once per run, however many conftests import the fixture


@pytest.fixture(scope="session")
def world():
    """The fixture world: real cities/districts/metro plus a known set of spaces."""
    if _WORLD:
        return _WORLD[0]
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
    _WORLD.append(data)
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

    from coworking_app.services.accounts.signup import do_register

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
    """Spaces whose description carries the test mark (tests/booking_helpers.make_bookable's,
    or a test's own published space) stay out of later modules' searches."""
    yield
    from tests.booking_helpers import BOOKING_TEST_MARK

    with get_engine().begin() as conn:
        conn.execute(text("UPDATE space SET status = 'hidden' WHERE strpos(description, :m) > 0 "
                          "AND status = 'published'"), {"m": BOOKING_TEST_MARK})
    get_cache_redis().flushdb()
