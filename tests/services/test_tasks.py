"""Background work asked for by a service (services/tasks.py) reaches RQ only when the
transaction commits: never the work of a rolled-back change, never before its rows exist;
scheduled work is cancelled the same way; a Redis outage does not undo the change."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from redis import Redis

import jobs
from coworking_app.db import get_rq_redis, session_scope
from coworking_app.services.tasks import cancel_after_commit, enqueue_after_commit
from models import User
from tests.booking_auth import signed_in


@pytest.fixture()
def queue(world):
    get_rq_redis().flushdb()
    return jobs.get_queue()


def _exists(job_id: str) -> bool:
    try:
        Job.fetch(job_id, connection=get_rq_redis())
        return True
    except NoSuchJobError:
        return False


def test_a_job_is_queued_only_once_its_transaction_commits(queue):
    job_id = f"test-{uuid.uuid4().hex}"
    with session_scope() as s:
        enqueue_after_commit(s, "jobs.notifications.deliver", 42, job_id=job_id, retry_intervals=[5, 50])
        s.flush()
        assert not _exists(job_id) and queue.count == 0  # the row it reads is not committed yet
    job = Job.fetch(job_id, connection=get_rq_redis())
    assert (job.func_name, job.args, job.retries_left, job.retry_intervals) == (
        "jobs.notifications.deliver", (42,), 2, [5, 50])
    assert queue.job_ids == [job_id]


def test_a_rolled_back_change_queues_nothing_and_the_next_one_starts_clean(queue):
    first, second = f"test-{uuid.uuid4().hex}", f"test-{uuid.uuid4().hex}"
    with pytest.raises(RuntimeError), session_scope() as s:
        enqueue_after_commit(s, "jobs.notifications.deliver", 1, job_id=first)
        raise RuntimeError("the change failed")
    with session_scope() as s:
        enqueue_after_commit(s, "jobs.notifications.deliver", 2, job_id=second)
    assert queue.job_ids == [second] and not _exists(first)


def test_a_job_at_a_time_is_scheduled_and_cancelled_after_commit(queue):
    job_id = f"test-{uuid.uuid4().hex}"
    at = datetime.now(timezone.utc) + timedelta(hours=3)
    with session_scope() as s:
        enqueue_after_commit(s, "jobs.notifications.remind", 7, "1h", at.isoformat(), at=at, job_id=job_id)
    registry = queue.scheduled_job_registry
    assert job_id in registry.get_job_ids() and queue.count == 0
    assert abs(registry.get_scheduled_time(job_id).replace(tzinfo=timezone.utc) - at) < timedelta(seconds=1)

    with pytest.raises(RuntimeError), session_scope() as s:  # a cancellation that rolls back keeps it
        cancel_after_commit(s, job_id)
        raise RuntimeError("the cancellation failed")
    assert job_id in registry.get_job_ids()
    with session_scope() as s:
        cancel_after_commit(s, job_id, "never-scheduled")
        assert job_id in registry.get_job_ids()  # until the commit
    assert job_id not in registry.get_job_ids() and not _exists(job_id)


def test_redis_down_at_commit_keeps_the_change_and_says_so(queue, monkeypatch, caplog):
    unreachable = Queue("default", connection=Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1))
    monkeypatch.setattr(jobs, "get_queue", lambda name="default": unreachable)
    user_id = signed_in()[0]
    with caplog.at_level(logging.ERROR), session_scope() as s:
        s.get(User, user_id).full_name = "Пётр Переименованный"
        enqueue_after_commit(s, "jobs.notifications.deliver", 3, job_id=f"test-{uuid.uuid4().hex}")
    with session_scope() as s:
        assert s.get(User, user_id).full_name == "Пётр Переименованный"
    assert "could not queue 1 background job(s)" in caplog.text  # the cron sweeps catch up
