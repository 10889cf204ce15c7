"""The connection pool and the per-process API timing buffer (coworking_app/db.py,
services/admin/analytics.py): behaviour a client sees, on the real PostgreSQL and Redis."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from coworking_app import db
from coworking_app.db import get_cache_redis, get_engine
from coworking_app.services.admin import analytics
from tests.uow_helpers import transaction


def _backend_pid() -> tuple[int, object]:
    """The PostgreSQL backend pid of the connection a session gets, and its pool record."""
    with transaction() as session:
        conn = session.connection()
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        record = conn.connection._connection_record
    return pid, record


def _kill(pid: int) -> None:
    """From a connection outside the pool (a pooled one might be the victim itself)."""
    other = create_engine(get_engine().url, poolclass=NullPool)
    with other.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    other.dispose()


def test_a_connection_killed_while_idle_is_replaced_without_an_error():
    pid, record = _backend_pid()
    _kill(pid)  # as a PostgreSQL restart would
    # Pretend the connection has sat in the pool longer than the ping threshold.
    record.info["idle_since"] = time.monotonic() - db.IDLE_PING_SECONDS - 1
    # Every pooled connection may be the dead one: none of the next checkouts may fail.
    for _ in range(get_engine().pool.size() + 2):
        with transaction() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
            assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_a_connection_killed_under_a_driver_statement_fails_once_then_the_pool_is_fresh():
    """A write transaction's first statement (the audit settings) and the booking path's
    statements go to the driver directly (db.DriverStatement): a dead connection must be
    reported as SQLAlchemy's error and take the pool's other connections with it, as
    SQLAlchemy does for its own statements."""
    from sqlalchemy import literal, select
    from sqlalchemy.exc import DBAPIError

    # A pool of exactly three connections, then kill every one of them (a restarted server).
    get_engine().dispose()
    with transaction() as a, transaction() as b, transaction() as c:
        pids = [s.execute(text("SELECT pg_backend_pid()")).scalar_one() for s in (a, b, c)]
    for pid in pids:
        _kill(pid)
    one = db.DriverStatement(select(literal(1)))
    with pytest.raises(DBAPIError) as failed:  # every pooled connection is dead
        with transaction() as session:
            one.execute(session, {}).fetchone()
    assert failed.value.connection_invalidated
    # After one failure at most, every later checkout gets a live connection.
    for _ in range(len(pids) + 2):
        with transaction() as session:
            assert one.execute(session, {}).fetchone()[0] == 1
            assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() not in pids


def test_a_recently_used_connection_is_not_pinged():
    pings = []
    original = get_engine().dialect.do_ping

    def counting_ping(dbapi_connection):
        pings.append(1)
        return original(dbapi_connection)

    get_engine().dialect.do_ping = counting_ping
    try:
        for _ in range(5):
            with transaction() as session:
                session.execute(text("SELECT 1"))
    finally:
        get_engine().dialect.do_ping = original
    assert pings == []  # no extra round trip per request


def test_api_times_reach_the_dashboard_average():
    redis = get_cache_redis()
    analytics.flush_api_times()  # what earlier tests' requests left in this process
    for key in redis.scan_iter("apitime:*"):
        redis.delete(key)
    analytics.record_api_time(10.0)
    analytics.record_api_time(30.0)
    # Read by another process (the dashboard's): what this one buffered must be in Redis.
    analytics.flush_api_times()
    minute = int(time.time() // 60)
    stored = [redis.hgetall(f"apitime:{m}") for m in (minute - 1, minute)]
    assert sum(float(h.get(b"ms", 0)) for h in stored) == 40.0
    assert sum(int(h.get(b"n", 0)) for h in stored) == 2
    assert analytics.api_average_ms() == 20.0


def _prepared_after_repeats(scope) -> int:
    """Runs one statement 8 times in a session of `scope` and counts the statements the
    server holds prepared on that connection afterwards."""
    marker = f"SELECT 'prepare-check-{scope.__name__}' AS probe, count(*) FROM city"
    with scope() as session:
        conn = session.connection()
        for _ in range(8):
            conn.execute(text(marker)).all()
        return conn.execute(text("SELECT count(*) FROM pg_prepared_statements "
                                 "WHERE statement LIKE :m"), {"m": "%prepare-check-%"}).scalar_one()


def test_reads_are_planned_with_their_own_values_and_writes_keep_their_plans():
    """Search-like reads (read_scope) never become server-side prepared statements, so a
    generic plan can never replace a plan for the actual values (docs/search.md); writing
    sessions do prepare their repeated statements (docs/booking.md)."""
    assert _prepared_after_repeats(db.read_scope) == 0
    assert _prepared_after_repeats(transaction) == 1
    # The read scope's setting does not stick to the pooled connection: the next session
    # that gets the same connection prepares again.
    with db.read_scope() as session:
        read_connection = session.connection().connection.dbapi_connection
    for _ in range(get_engine().pool.size() + 10):
        with transaction() as session:
            dbapi = session.connection().connection.dbapi_connection
            if dbapi is read_connection:
                assert dbapi.prepare_threshold == db.PREPARE_THRESHOLD
                break
    else:
        raise AssertionError("the pool never handed out the read scope's connection again")
