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


def test_development_generates_its_own_key_once_and_production_accepts_a_real_one(monkeypatch, tmp_path):
    """`make run` never signs with a published key: development without SECRET_KEY writes
    a random one into the git-ignored .env on first use and reads it back afterwards."""
    import coworking_app.settings as settings_module

    env_file = tmp_path / ".env"
    env_file.write_text("# local settings\nPORT=3000")
    monkeypatch.setattr(settings_module, "LOCAL_ENV_FILE", env_file)
    monkeypatch.setenv("APP_ENV", "development")
    for value in (None, DEV_SECRET_KEY):  # unset, or the old published placeholder
        if value is None:
            monkeypatch.delenv("SECRET_KEY", raising=False)
        else:
            monkeypatch.setenv("SECRET_KEY", value)
        first = Settings(_env_file=None).secret_key
        assert first != DEV_SECRET_KEY and len(first) >= 48
        assert Settings(_env_file=None).secret_key == first  # reused, not regenerated
    lines = env_file.read_text().splitlines()
    assert lines[1] == "PORT=3000" and sum(line.startswith("SECRET_KEY=") for line in lines) == 1
    assert env_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert Settings(_env_file=env_file).secret_key == first  # as pydantic-settings reads .env

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("METRICS_TOKEN", "m" * 24)
    settings = Settings(_env_file=None)
    assert settings.environment == "production" and settings.secret_key == "k" * 40


@pytest.mark.parametrize("env", ["test", "production"])
def test_a_missing_secret_key_is_refused_outside_development(monkeypatch, env, tmp_path):
    import coworking_app.settings as settings_module

    monkeypatch.setattr(settings_module, "LOCAL_ENV_FILE", tmp_path / ".env")
    monkeypatch.setenv("APP_ENV", env)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="SECRET_KEY must be set"):
        Settings(_env_file=None)
    assert not (tmp_path / ".env").exists()


def test_trusted_proxies_are_a_comma_separated_list_of_networks(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("METRICS_TOKEN", "m" * 24)
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12,fd00::/8")
    assert Settings(_env_file=None).trusted_proxies == ["10.0.0.1", "172.16.0.0/12", "fd00::/8"]
    monkeypatch.setenv("TRUSTED_PROXIES", "caddy")
    with pytest.raises(ValidationError, match="TRUSTED_PROXIES"):
        Settings(_env_file=None)
    monkeypatch.delenv("TRUSTED_PROXIES")
    assert Settings(_env_file=None).trusted_proxies == []


def test_payment_provider_settings_are_checked_when_read(monkeypatch):
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("YOOKASSA_NOTIFY_IPS", "185.71.76.0/27, 77.75.156.11,2a02:5180::/32")
    monkeypatch.setenv("PAYMENT_PROVIDER_BY_CURRENCY", "rub=yookassa, EUR=stripe")
    settings = Settings(_env_file=None)
    assert settings.yookassa_notify_ips == ["185.71.76.0/27", "77.75.156.11", "2a02:5180::/32"]
    assert settings.payment_provider_by_currency == {"RUB": "yookassa", "EUR": "stripe"}
    assert settings.payment_provider == "" and settings.yookassa_payment_mode == "full_payment"
    for name, value, words in [
        ("YOOKASSA_NOTIFY_IPS", "185.71.76.0/27,yookassa.ru", "YOOKASSA_NOTIFY_IPS"),
        ("PAYMENT_PROVIDER_BY_CURRENCY", "RUB", "CURRENCY=provider"),
        ("PAYMENT_PROVIDER_BY_CURRENCY", "RUB=paypal", "unknown provider"),
        ("PAYMENT_PROVIDER_BY_CURRENCY", "RUBLE=yookassa", "not a currency"),
        ("PAYMENT_PROVIDER", "paypal", "PAYMENT_PROVIDER|payment_provider"),
        ("YOOKASSA_PAYMENT_MODE", "partial_payment", "yookassa_payment_mode|YOOKASSA_PAYMENT_MODE"),
    ]:
        with monkeypatch.context() as m:
            m.setenv(name, value)
            with pytest.raises(ValidationError, match=words):
                Settings(_env_file=None)


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


def test_production_wants_a_metrics_token(monkeypatch):
    """/metrics shows traffic and business figures: never open in production."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    for value in ("", "short"):
        monkeypatch.setenv("METRICS_TOKEN", value)
        with pytest.raises(ValidationError, match="METRICS_TOKEN must be set"):
            Settings(_env_file=None)
    monkeypatch.setenv("METRICS_TOKEN", "m" * 24)
    assert Settings(_env_file=None).metrics_token == "m" * 24
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("METRICS_TOKEN")
    assert Settings(_env_file=None).metrics_token == ""  # development: /metrics open
