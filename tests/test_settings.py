"""The settings object refuses an unsafe configuration before anything starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from coworking_app.settings import DEV_SECRET_KEY, Settings


@pytest.mark.parametrize("env", ["test", "production"])
def test_default_secret_key_refused_outside_development(monkeypatch, env):
    monkeypatch.setenv("APP_ENV", env)
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(ValidationError, match="SECRET_KEY must be set"):
        Settings(_env_file=None)


def test_development_accepts_default_and_production_accepts_real_key(monkeypatch):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert Settings(_env_file=None).secret_key == DEV_SECRET_KEY
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    settings = Settings(_env_file=None)
    assert settings.environment == "production" and settings.secret_key == "k" * 40


def test_defaults_match_the_documented_configuration(monkeypatch):
    for key in ("DATABASE_URL", "REDIS_URL", "PORT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/coworking"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.port == 3000


def test_api_threads_bounds_the_worker_threads_of_an_api_process():
    """API_THREADS bounds the worker threads of a process (Starlette's default is 40)."""
    from anyio import to_thread
    from fastapi.testclient import TestClient

    from coworking_app.api import create_api
    from coworking_app.settings import get_settings

    with TestClient(create_api()) as client:
        tokens = client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens)
    assert tokens == get_settings().api_threads == 8
