"""Is this instance ready to take traffic: the database answers, every Redis the app uses
answers, and the database's schema is at the migrations' head (an instance of a newer release
started before `alembic upgrade head` ran, or an older one after it, must not get requests).

`GET /api/v1/ready` (load balancers, Kubernetes' readinessProbe) answers from here; the cheap
`GET /api/v1/health` (liveness) stays in services/admin/health.py. Each check has its own short
timeout and uses its own connection, never the request pool: a saturated pool must not make
an instance look dead, and a dead database must not hold a probe for longer than the timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import redis
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from coworking_app.settings import PROJECT_ROOT, get_settings
from coworking_app.i18n import Labels, N_, tr

TIMEOUT_SECONDS = 2.0  # per check: a probe answers within a few seconds whatever is down

# What each failed check says (the 503's `detail`, Russian like every message people read).
FAILURES = Labels({
    "database": N_("база данных недоступна"),
    "migrations": N_("схема базы данных не совпадает с версией приложения (миграции не на head)"),
    "redis_state": N_("Redis состояния страниц недоступен"),
    "redis_queue": N_("Redis очередей задач недоступен"),
    "redis_cache": N_("Redis кэша недоступен"),
})


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)  # name -> "ok" or a short error

    @property
    def ready(self) -> bool:
        return all(value == "ok" for value in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, value in self.checks.items() if value != "ok"]

    @property
    def detail(self) -> str:
        return tr("Сервис не готов: ") + "; ".join(FAILURES[name] for name in self.failed) + "."

    def body(self) -> dict:
        if self.ready:
            return {"status": "ready", "checks": self.checks}
        return {"status": "not_ready", "detail": self.detail, "checks": self.checks}


@lru_cache
def migration_heads() -> frozenset[str]:
    """The head revisions of this release's migrations (alembic/versions): fixed for the
    life of the process, read once."""
    return frozenset(ScriptDirectory(str(PROJECT_ROOT / "alembic")).get_heads())


@lru_cache(maxsize=4)
def _probe_engine(database_url: str) -> Engine:
    """A pool-less engine for probes: one short connection per check, with a connect and
    a statement timeout."""
    ms = int(TIMEOUT_SECONDS * 1000)
    return create_engine(database_url, poolclass=NullPool, connect_args={
        "connect_timeout": max(1, round(TIMEOUT_SECONDS)),
        "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
    })


def _check_database(database_url: str, checks: dict[str, str]) -> None:
    try:
        with _probe_engine(database_url).connect() as conn:
            conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
            try:
                current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            except SQLAlchemyError:
                current = set()
    except SQLAlchemyError as exc:
        checks["database"] = f"error: {type(exc).__name__}"
        checks["migrations"] = "error: database unreachable"
        return
    heads = migration_heads()
    if current == heads:
        checks["migrations"] = "ok"
    else:
        shown = ",".join(sorted(current)) or "none"
        checks["migrations"] = f"error: at {shown}, head is {','.join(sorted(heads))}"


def _check_redis(url: str) -> str:
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS,
                                  socket_connect_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
        return "ok"
    except (redis.RedisError, OSError) as exc:
        return f"error: {type(exc).__name__}"
    finally:
        client.close()


def check_readiness(*, database_url: str | None = None) -> Readiness:
    """Every check, each within TIMEOUT_SECONDS. `database_url` defaults to the app's
    (DATABASE_URL); tests point it at a scratch database."""
    settings = get_settings()
    checks: dict[str, str] = {}
    _check_database(database_url or settings.database_url, checks)
    for name, url in (("redis_state", settings.redis_url), ("redis_queue", settings.rq_redis_url),
                      ("redis_cache", settings.cache_redis_url)):
        checks[name] = _check_redis(url)
    return Readiness(checks)
