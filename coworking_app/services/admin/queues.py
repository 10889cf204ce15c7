"""How much work waits in RQ: for the metrics scrape and the queue-backlog alert."""

from __future__ import annotations

from rq import Worker
from rq.cron import CronScheduler

from jobs import DEFAULT_QUEUE, MARKET_QUEUE, OPS_QUEUE, get_queue

QUEUES = (DEFAULT_QUEUE, MARKET_QUEUE, OPS_QUEUE)


def queue_lengths() -> dict[tuple[str, str], int]:
    """{(queue, state): jobs} for every queue, states queued / scheduled / started / failed,
    read in one Redis round trip."""
    queues = [get_queue(name) for name in QUEUES]
    pipe = queues[0].connection.pipeline(transaction=False)
    for queue in queues:
        pipe.llen(queue.key)
        pipe.zcard(queue.scheduled_job_registry.key)
        pipe.zcard(queue.started_job_registry.key)
        pipe.zcard(queue.failed_job_registry.key)
    values = pipe.execute()
    out: dict[tuple[str, str], int] = {}
    for i, queue in enumerate(queues):
        for j, state in enumerate(("queued", "scheduled", "started", "failed")):
            out[(queue.name, state)] = int(values[4 * i + j])
    return out


def workers_by_queue() -> dict[str, int]:
    """Live RQ workers listening on each queue (their heartbeats in RQ's registry)."""
    queues = [get_queue(name) for name in QUEUES]
    return {queue.name: Worker.count(connection=queue.connection, queue=queue) for queue in queues}


def cron_schedulers() -> int:
    """Live `rq cron` processes: exactly one is right (docs/operations.md); none means no
    periodic work, two would run it twice."""
    return len(CronScheduler.all(get_queue().connection))
