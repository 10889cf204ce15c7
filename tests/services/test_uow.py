"""The unit of work (coworking_app/uow.py): one way to run a use case. It retries what
PostgreSQL aborted for a concurrent transaction, sends the effects a service added only
after a successful commit (one Redis round trip per Redis database), never on rollback,
and a Redis failure there never undoes or fails a committed change. No business logic
hangs on global Session event hooks."""

from __future__ import annotations

import ast
import logging
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlmodel
from redis.client import Pipeline, Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import orm, select, text
from sqlalchemy.exc import DBAPIError

from coworking_app import uow as uow_module
from coworking_app.db import get_cache_redis, get_rq_redis
from coworking_app.services.messaging.realtime import channel_name
from coworking_app.uow import UnitOfWork, run_use_case
from models import City
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable
from tests.uow_helpers import transaction

ROOT = Path(__file__).resolve().parents[2]  # the project (this file: tests/services/)
SERIALIZATION_FAILURE = "DO $$BEGIN RAISE EXCEPTION 'concurrent update' USING ERRCODE = 'serialization_failure'; END$$"


def _job_exists(job_id: str) -> bool:
    return Job.exists(job_id, connection=get_rq_redis())


def _city_name(city_id: int) -> str:
    with transaction() as s:
        return s.get(City, city_id).name_en


@pytest.fixture()
def city_id(world):
    with transaction() as s:
        city = s.scalars(select(City).order_by(City.id).limit(1)).one()
        original = city.name_en
    yield city.id
    with transaction() as s:
        s.get(City, city.id).name_en = original


def test_a_serialization_failure_is_run_again_and_only_the_last_attempt_has_effects(city_id):
    tag = uuid.uuid4().hex[:8]
    attempts = []

    def work(session, effects):
        attempts.append(len(attempts) + 1)
        session.get(City, city_id).name_en = f"Attempt {len(attempts)}"
        effects.queue_job("jobs.maintenance.flush_search_log", job_id=f"uow-{tag}-{len(attempts)}")
        if len(attempts) < 3:
            session.execute(text(SERIALIZATION_FAILURE))  # what PostgreSQL answers a loser
        return len(attempts)

    assert run_use_case(work) == 3
    assert _city_name(city_id) == "Attempt 3"
    assert [_job_exists(f"uow-{tag}-{n}") for n in (1, 2, 3)] == [False, False, True]
    get_rq_redis().delete(Job.key_for(f"uow-{tag}-3"))


def test_retries_stop_after_the_last_attempt_and_other_errors_are_not_retried(city_id):
    attempts = []

    def work(session, _effects):
        attempts.append(1)
        session.execute(text(SERIALIZATION_FAILURE))

    with pytest.raises(DBAPIError):
        run_use_case(work)
    assert len(attempts) == uow_module.ATTEMPTS

    attempts.clear()

    def broken(session, _effects):
        attempts.append(1)
        session.execute(text("SELECT no_such_column FROM city"))

    with pytest.raises(DBAPIError):
        run_use_case(broken)
    assert len(attempts) == 1


def test_effects_wait_for_the_commit_and_a_rollback_forgets_them(world):
    tag = uuid.uuid4().hex[:8]
    key = f"uow-test:{tag}"
    get_cache_redis().set(key, "cached")
    with pytest.raises(RuntimeError):
        with UnitOfWork() as uow:
            uow.effects.queue_job("jobs.maintenance.flush_search_log", job_id=f"uow-{tag}")
            uow.effects.drop_cache(key)
            raise RuntimeError("the use case failed")
    assert get_cache_redis().get(key) == b"cached" and not _job_exists(f"uow-{tag}")

    with UnitOfWork() as uow:
        uow.effects.queue_job("jobs.maintenance.flush_search_log", job_id=f"uow-{tag}")
        uow.effects.drop_cache(key)
        assert get_cache_redis().get(key) == b"cached" and not _job_exists(f"uow-{tag}")
    assert get_cache_redis().get(key) is None and _job_exists(f"uow-{tag}")
    get_rq_redis().delete(Job.key_for(f"uow-{tag}"))


def test_a_commits_redis_work_is_one_pipeline_per_redis_database(world, monkeypatch):
    """Jobs, scheduled-job cancellations, cache deletions and publishes of one commit: two
    round trips in all (RQ's database, the cache database), whatever their number."""
    tag = uuid.uuid4().hex[:8]
    sent: list[str] = []
    real_execute, real_command = Pipeline.execute, Redis.execute_command

    def pipeline_execute(self, *args, **kwargs):
        sent.append(f"pipeline of {len(self.command_stack)}")
        return real_execute(self, *args, **kwargs)

    def command(self, *args, **kwargs):
        if not isinstance(self, Pipeline):
            sent.append(str(args[0]))
        return real_command(self, *args, **kwargs)

    queue = Queue("default", connection=get_rq_redis())
    scheduled = queue.create_job("jobs.maintenance.flush_search_log", job_id=f"uow-{tag}-old")
    scheduled.save()
    queue.scheduled_job_registry.schedule(scheduled, local(in_days(3), 10))
    pubsub = get_cache_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel_name(999_999))
    monkeypatch.setattr(Pipeline, "execute", pipeline_execute)
    monkeypatch.setattr(Redis, "execute_command", command)
    with UnitOfWork() as uow:
        for n in range(3):
            uow.effects.queue_job("jobs.maintenance.flush_search_log", job_id=f"uow-{tag}-{n}")
        uow.effects.queue_job("jobs.maintenance.flush_search_log", job_id=f"uow-{tag}-later",
                              at=local(in_days(2), 10))
        uow.effects.cancel_jobs(f"uow-{tag}-old")
        uow.effects.drop_cache(f"uow-test:{tag}:a", f"uow-test:{tag}:b")
        uow.effects.publish(999_999, {"type": "test"})
        uow.effects.publish(999_999, {"type": "test", "n": 2})
    monkeypatch.undo()
    assert len(sent) == 2 and all(s.startswith("pipeline") for s in sent), sent
    assert all(_job_exists(f"uow-{tag}-{n}") for n in (0, 1, 2, "later"))
    assert not _job_exists(f"uow-{tag}-old")
    assert f"uow-{tag}-old".encode() not in get_rq_redis().zrange(queue.scheduled_job_registry.key, 0, -1)
    received = []
    for _ in range(10):
        message = pubsub.get_message(timeout=0.5)
        if message is not None:
            received.append(message["data"])
    assert len(received) == 2, received
    pubsub.close()
    for n in (0, 1, 2, "later"):
        get_rq_redis().delete(Job.key_for(f"uow-{tag}-{n}"))


def test_redis_down_after_commit_is_logged_and_the_change_stays(city_id, monkeypatch, caplog):
    import redis

    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(uow_module, "get_queue", lambda: Queue("default", connection=dead))
    monkeypatch.setattr(uow_module, "get_cache_redis", lambda: dead)
    with caplog.at_level(logging.ERROR, logger="coworking_app.uow"):
        run_use_case(lambda s, fx: (setattr(s.get(City, city_id), "name_en", "Committed anyway"),
                                    fx.queue_job("jobs.maintenance.flush_search_log"),
                                    fx.drop_cache("uow-test:dead"), fx.publish(1, {"type": "test"})))
    assert _city_name(city_id) == "Committed anyway"
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 2  # one per database


def test_a_booking_is_five_statements_and_one_redis_round_trip(client, world, monkeypatch):
    """The tuned path (docs/booking.md): the audit settings with BEGIN, the token check, the
    resource lock, the seat count, the insert; one pipeline for its follow-up job."""
    b = make_bookable(desk_capacity=100)
    _renter, auth = signed_in()
    day = in_days(30)
    assert client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 9), local(day, 10))
                       ).status_code == 201  # statements prepared, caches warm
    sent: list[str] = []
    real_sql, real_pipeline, real_command = psycopg.Cursor.execute, Pipeline.execute, Redis.execute_command

    def sql(self, query, *args, **kwargs):
        sent.append("sql")
        return real_sql(self, query, *args, **kwargs)

    def pipeline(self, *args, **kwargs):
        sent.append("redis")
        return real_pipeline(self, *args, **kwargs)

    def command(self, *args, **kwargs):
        if not isinstance(self, Pipeline):
            sent.append("redis")
        return real_command(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", sql)
    monkeypatch.setattr(Pipeline, "execute", pipeline)
    monkeypatch.setattr(Redis, "execute_command", command)
    r = client.post(f"{API}/bookings", headers=auth, json=body(b.desk_id, local(day, 10), local(day, 11)))
    monkeypatch.undo()
    assert r.status_code == 201, r.text
    assert sent.count("sql") == 5 and sent.count("redis") == 1, sent


def test_no_business_logic_hangs_on_session_event_hooks():
    """Effects are explicit (coworking_app/effects.py); only the engine's pool hooks remain."""
    import coworking_app.coworking_app  # noqa: F401  (the whole app, every module imported)

    for session_class in (orm.Session, sqlmodel.Session):
        session = session_class()
        hooked = {name: list(getattr(session.dispatch, name)) for name in dir(orm.SessionEvents)
                  if not name.startswith("_") and hasattr(session.dispatch, name)}
        assert {name: fns for name, fns in hooked.items() if fns} == {}
        session.close()
    listeners = []
    for folder in ("coworking_app", "models", "state", "pages", "jobs"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and ast.unparse(node.func) in ("event.listen", "event.listens_for"):
                    target = ast.unparse(node.args[0]) if node.args else ""
                    if "engine" not in target.lower():
                        listeners.append(f"{path.relative_to(ROOT)}:{node.lineno} {target}")
    assert listeners == []
