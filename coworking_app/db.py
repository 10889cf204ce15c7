"""Database engine, sessions and Redis clients: the only place that creates them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import redis
from psycopg import Error as DriverError
from psycopg.types.json import Jsonb
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlmodel import Session

from coworking_app import metrics
from coworking_app.settings import get_settings


# A connection that sat unused in the pool this long is pinged before it is handed out.
IDLE_PING_SECONDS = 10.0
# psycopg prepares a statement on the server after this many runs on one connection; the
# server then keeps its plan (and may switch to a generic one). Writes want that: a booking's
# statements are planned once per connection instead of on every request. Searches do not
# (read_scope): a generic plan cannot see the search values (a tsquery, a radius, a city),
# measured 3-7x slower.
PREPARE_THRESHOLD = 5


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        # Overflow connections are closed on return: under a burst above pool_size every
        # request would pay for a new PostgreSQL backend (measured: /me fell to a third).
        # A process runs at most API_THREADS synchronous routes and API_THREADS bookings
        # (api/deps.in_worker_thread) at once: the pool reaches that, and rarely overflows.
        max_overflow=max(5, 2 * settings.api_threads - settings.db_pool_size),
        connect_args={
            "connect_timeout": 5,
            # Parallel workers cost ~40 ms to start: too slow for a search answered in 5.
            "options": "-c max_parallel_workers_per_gather=0 -c jit=off",
        },
    )
    _ping_when_idle(engine)
    _measure_pool(engine, settings.db_pool_size + max(5, 2 * settings.api_threads - settings.db_pool_size))
    return engine


def _measure_pool(engine: Engine, limit: int) -> None:
    """The pool's connections for the metrics: open, in use, and the most it may open."""
    metrics.DB_POOL_LIMIT.inc(limit)

    @event.listens_for(engine, "connect")
    def _opened(dbapi_connection, record) -> None:
        metrics.DB_POOL_OPEN.inc()

    @event.listens_for(engine, "close")
    def _closed(dbapi_connection, record) -> None:
        metrics.DB_POOL_OPEN.dec()


def _ping_when_idle(engine: Engine) -> None:
    """A restarted PostgreSQL must not turn into 500s: a connection that was idle for
    IDLE_PING_SECONDS is pinged at checkout and replaced when dead (SQLAlchemy's
    "pessimistic" recipe). `pool_pre_ping` would ping on every checkout: one more round
    trip on every request, measured at 0.5 ms per search. A connection that failed while in
    use makes SQLAlchemy drop the whole pool, so the next checkouts get fresh ones."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()
        metrics.DB_POOL_IN_USE.dec()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        dbapi_connection.prepare_threshold = PREPARE_THRESHOLD  # read_scope turns it off
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since > IDLE_PING_SECONDS:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:  # noqa: BLE001  (any failure: drop it, take another)
                raise DisconnectionError("connection was closed while idle") from exc
        metrics.DB_POOL_IN_USE.inc()  # after the ping: a refused checkout is never checked in


@lru_cache
def _autocommit_engine() -> Engine:
    return get_engine().execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def read_scope() -> Iterator[Session]:
    """A session for reads only (search, public pages): no BEGIN/COMMIT round trips, and
    every statement planned with its own values (never prepared, see PREPARE_THRESHOLD).
    Anything that writes runs in a unit of work (coworking_app/uow.py)."""
    with Session(_autocommit_engine(), expire_on_commit=False, info={"read_only": True}) as session:
        # The connection is taken now (every read scope queries); the pool's checkout hook
        # turns preparation back on for whoever takes it next.
        session.connection().connection.dbapi_connection.prepare_threshold = None
        yield session


class DriverStatement:
    """A Core statement compiled once to the driver's SQL and run by psycopg itself, on a
    session's connection and inside its transaction. For the few statements of the busiest
    path (creating a booking), where SQLAlchemy's execution and ORM loading cost more than
    the statement (measured per statement: 100-290 µs of CPU against 45-70 µs).

    The SQL comes from the same SQLAlchemy expression the rest of the code would use, so
    there is one source for it. Parameters reach the driver as they are, JSON ones wrapped
    for psycopg; rows come back as the driver's tuples (JSON decoded, timestamps aware).
    A failure is raised as SQLAlchemy's DBAPIError subclass (IntegrityError, ...), as from
    any other statement: retries and lost-race handling see no difference, and a broken
    connection is invalidated."""

    def __init__(self, statement) -> None:
        from sqlalchemy.dialects.postgresql.psycopg import dialect
        from sqlalchemy.types import JSON

        compiled = statement.compile(dialect=dialect())
        self.sql = str(compiled)
        # Values compiled into the statement (literals); the caller's parameters fill the rest.
        self.defaults = {name: value for name, value in compiled.params.items() if value is not None}
        self.json_params = frozenset(name for name, bind in compiled.binds.items()
                                     if isinstance(bind.type, JSON))

    def execute(self, session: Session, params: dict):
        """Runs the statement; returns the psycopg cursor (fetchone/fetchall)."""
        values = {**self.defaults, **params}
        for name in self.json_params & values.keys():
            if values[name] is not None:
                values[name] = Jsonb(values[name])
        connection = session.connection()
        with driver_errors(connection, self.sql, params):
            return connection.connection.dbapi_connection.execute(self.sql, values)


@contextmanager
def driver_errors(connection, sql: str, params: dict) -> Iterator[None]:
    """Around SQL sent to the driver directly (DriverStatement, the audit settings): its
    failures become SQLAlchemy's DBAPIError subclasses, as from any other statement, and a
    broken connection is invalidated (the pool replaces it)."""
    try:
        yield
    except DriverError as exc:
        broken = connection.dialect.is_disconnect(exc, connection.connection.dbapi_connection, None)
        if broken:
            # As SQLAlchemy does for its own statements: this connection, and the pool's
            # others, which a restarted server has closed as well (dispose: a fresh pool).
            connection.invalidate(exc)
            connection.engine.dispose()
        raise DBAPIError.instance(sql, params, exc, DriverError, connection_invalidated=broken,
                                  dialect=connection.dialect) from exc


@lru_cache
def get_cache_redis() -> redis.Redis:
    """Redis database for caches (separate from Reflex state and RQ)."""
    return redis.Redis.from_url(
        get_settings().cache_redis_url, socket_timeout=2, socket_connect_timeout=2
    )


@lru_cache
def get_rq_redis() -> redis.Redis:
    return redis.Redis.from_url(get_settings().rq_redis_url)
