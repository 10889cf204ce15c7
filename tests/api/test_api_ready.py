"""GET /api/v1/ready: the readiness probe of load balancers and Kubernetes (services/ops/readiness.py).
Real PostgreSQL and Redis: a scratch database whose alembic_version is one migration behind,
and Redis URLs pointed at a closed port through the settings."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from coworking_app.services.ops import readiness
from coworking_app.settings import get_settings

API = "/api/v1"
CHECKS = {"database", "migrations", "redis_state", "redis_queue", "redis_cache"}


def test_ready_when_everything_answers(client):
    r = client.get(f"{API}/ready")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "checks": dict.fromkeys(CHECKS, "ok")}


def test_health_stays_cheap_and_separate(client):
    assert client.get(f"{API}/health").json()["status"] == "ok"


@pytest.fixture()
def behind_database():
    """A scratch database on the test server whose alembic_version is the migration before head."""
    url = make_url(get_settings().database_url)
    scratch = url.set(database=f"{url.database}_ready_scratch")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    from alembic.script import ScriptDirectory

    from coworking_app.settings import PROJECT_ROOT

    script = ScriptDirectory(str(PROJECT_ROOT / "alembic"))
    (head,) = script.get_heads()
    older = script.get_revision(head).down_revision
    assert isinstance(older, str)
    engine = create_engine(scratch, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": older})
    engine.dispose()
    yield scratch.render_as_string(hide_password=False), older, head
    readiness._probe_engine.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
    admin.dispose()


def test_not_ready_when_migrations_are_not_at_head(client, behind_database, monkeypatch):
    scratch_url, older, head = behind_database
    result = readiness.check_readiness(database_url=scratch_url)
    assert not result.ready and result.failed == ["migrations"]
    assert result.checks["database"] == "ok"
    assert result.checks["migrations"] == f"error: at {older}, head is {head}"

    # The same through the route: the app's settings pointed at the scratch database.
    monkeypatch.setattr(get_settings(), "database_url", scratch_url)
    r = client.get(f"{API}/ready")
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["status"] == "not_ready" and body["checks"]["migrations"].startswith("error")
    assert body["checks"]["database"] == "ok"
    assert "миграции не на head" in body["detail"] and body["detail"].startswith("Сервис не готов")


def test_not_ready_without_an_alembic_version_table(behind_database):
    scratch_url, _older, _head = behind_database
    engine = create_engine(scratch_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    result = readiness.check_readiness(database_url=scratch_url)
    assert result.failed == ["migrations"] and result.checks["migrations"].startswith("error: at none")


def test_not_ready_when_redis_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "rq_redis_url", "redis://127.0.0.1:9/1")  # port 9: closed
    r = client.get(f"{API}/ready")
    assert r.status_code == 503
    body = r.json()
    assert body["checks"]["redis_queue"].startswith("error")
    assert {k for k, v in body["checks"].items() if v != "ok"} == {"redis_queue"}
    assert body["detail"] == "Сервис не готов: Redis очередей задач недоступен."


def test_not_ready_when_the_database_is_unreachable(client, monkeypatch):
    url = make_url(get_settings().database_url).set(port=9)  # nothing listens there
    monkeypatch.setattr(get_settings(), "database_url", url.render_as_string(hide_password=False))
    r = client.get(f"{API}/ready")
    assert r.status_code == 503
    body = r.json()
    assert body["checks"]["database"].startswith("error") and body["checks"]["migrations"].startswith("error")
    assert "база данных недоступна" in body["detail"]
    readiness._probe_engine.cache_clear()


def test_ready_is_in_the_openapi(client):
    spec = client.get(f"{API}/openapi.json").json()
    op = spec["paths"][f"{API}/ready"]["get"]
    assert {"200", "503"} <= set(op["responses"])
    assert "NotReady" in op["responses"]["503"]["content"]["application/json"]["schema"]["$ref"]
