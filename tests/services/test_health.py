"""Whether the app can serve (services/admin/health.py): each part answers "ok" or names the kind
of error, never a connection string or a password. Through the API: tests/api/test_api_spaces.py."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from coworking_app.services.admin import health
from coworking_app.settings import get_settings


def test_everything_up(world):
    assert health.check_health() == {"status": "ok", "db": "ok", "redis": "ok"}


def test_the_database_down_is_named_without_its_address(monkeypatch):
    unreachable = create_engine("postgresql+psycopg://postgres:secret-pw@127.0.0.1:9/coworking_test",
                                poolclass=NullPool, connect_args={"connect_timeout": 2})
    monkeypatch.setattr(health, "get_engine", lambda: unreachable)
    result = health.check_health()
    assert result == {"status": "error", "db": "error: OperationalError", "redis": "ok"}


def test_both_down_are_both_named(monkeypatch):
    unreachable = create_engine("postgresql+psycopg://postgres@127.0.0.1:9/coworking_test", poolclass=NullPool)
    monkeypatch.setattr(health, "get_engine", lambda: unreachable)
    monkeypatch.setattr(get_settings(), "redis_url", "redis://:secret-pw@127.0.0.1:9/0")
    result = health.check_health()
    assert result["status"] == "error"
    assert result["db"].startswith("error: ") and result["redis"] == "error: ConnectionError"
    assert "secret" not in str(result) and "127.0.0.1" not in str(result)
