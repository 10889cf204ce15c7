"""Operator alerts from RQ (coworking_app.alerts.job_failed, the workers' exception handler):
a job that fails and will be retried is no alert; its last failure is, once."""

from __future__ import annotations

from rq import Queue, Retry, SimpleWorker

from coworking_app import alerts
from coworking_app.db import get_rq_redis


def always_fails() -> None:
    raise ZeroDivisionError("нарочно")


def test_a_job_failing_for_the_last_time_alerts_and_one_to_be_retried_does_not(world):
    redis = get_rq_redis()
    redis.delete(alerts.ALERTS_LIST, *redis.keys("telegram:alert-seen:*"))
    queue = Queue("alerts-test", connection=redis)
    queue.empty()
    worker = SimpleWorker([queue], connection=redis, exception_handlers=[alerts.job_failed])
    retried = queue.enqueue(always_fails, retry=Retry(max=1, interval=[3600]))
    worker.work(burst=True)
    retried.refresh()
    assert not retried.is_failed  # scheduled for its retry in an hour
    assert alerts.take_alerts(10) == []
    last = queue.enqueue(always_fails, retry=Retry(max=2))  # three tries in a row, then failed
    worker.work(burst=True)
    last.refresh()
    assert last.is_failed
    queued = alerts.take_alerts(10)
    assert len(queued) == 1, queued
    assert queued[0]["kind"] == "job" and "always_fails" in queued[0]["text"] and "ZeroDivisionError" in queued[0]["text"]
