"""The drain job of the batched work lists (coworking_app/batches.py): one RQ job takes the
ids many commits pushed, a batch at a time, and hands each batch to its list's handler."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from rq import get_current_job

from coworking_app import batches
from coworking_app.db import get_rq_redis
from jobs import DEFAULT_QUEUE
from jobs.booking import follow_up_holds, offer_waitlist
from jobs.notifications import deliver_batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkList:
    handler: Callable[[list[int]], object]  # one batch of ids, in a unit of work of its own
    size: int  # ids per batch


# name -> what its ids are and who handles them (effects.queue_batched(name, *ids)).
LISTS: dict[str, WorkList] = {
    # New holds (services.booking.bookings.do_create_booking): notice "pay by ...", release scheduled.
    "holds": WorkList(follow_up_holds, 200),
    # Resources where a booking freed seats (booking_states.do_log_event): their waitlists offered.
    "freed": WorkList(offer_waitlist, 50),
    # Email notification rows (services.messaging.delivery): sent.
    "emails": WorkList(deliver_batch, 100),
}


def drain(name: str) -> int:
    """Queued by the push of the first id when no drain job of `name` is queued or running:
    handles batches until the list is empty (then ends) or for DRAIN_SECONDS (then hands
    over to a fresh drain job behind the other queued jobs). Returns the ids taken."""
    work = LISTS[name]
    connection = get_rq_redis()
    job = get_current_job()
    job_id = job.id if job is not None else ""
    started, taken = time.monotonic(), 0
    while True:
        items = batches.take(connection, name, work.size, job_id)
        if not items:
            return taken
        taken += len(items)
        work.handler([int(item) for item in items])
        if time.monotonic() - started > batches.DRAIN_SECONDS:
            batches.handoff(connection, job.origin if job is not None else DEFAULT_QUEUE, name, job_id)
            return taken


def kick_all() -> None:
    """Every minute (jobs.cron): a drain job for every list that has ids but none queued or
    running (its job was deleted with the queue, or failed)."""
    connection = get_rq_redis()
    for name in LISTS:
        batches.kick(connection, DEFAULT_QUEUE, name)
