"""Test setup shared by every layer: the test environment's defaults, the test order and
the `browser` marker. No database or Redis here: tests/unit runs with both unreachable.

Layers: tests/unit (pure functions), tests/services (rules against PostgreSQL and Redis,
one folder per service package), tests/api (HTTP contracts, schemathesis), tests/browser
(Playwright on the built app, marker `browser`). The database fixtures (world, session,
client, make_user, ...) live in tests/db_fixtures.py and are loaded by the conftests of
tests/services and tests/api only; the browser fixtures by tests/browser/conftest.py.

`make test` exports the test environment; these defaults make `pytest tests/x.py`
work the same when run by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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

BROWSER_DIR = Path(__file__).resolve().parent / "browser"
SCHEMATHESIS = "tests/api/test_api_schemathesis.py"


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(session, config, items):
    """Every test under tests/browser is marked `browser` (`-m "not browser"` skips the
    app build). Schemathesis runs last: as an admin it blocks and re-roles users and hides
    spaces."""
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
    last = [item for item in items if item.nodeid.startswith(SCHEMATHESIS)]
    if last:
        items[:] = [item for item in items if item not in last] + last
