"""Batched follow-up work: ids that many transactions leave for the worker, taken by one RQ
job in batches instead of one RQ job each.

    commit ──(EVAL, in the commit's one pipeline)──> RPUSH batch:<name> ids
                                                     no live drain job? create one (RQ job)
    worker: jobs.batches.drain(name) ──> take up to N ids ──> handler(ids) ──> ... list empty:
                                         the drain job ends (atomically with the last look)

A service adds items with `effects.queue_batched(name, *ids)` (coworking_app/effects.py); the
unit of work pushes them after commit, in the same Redis round trip as the commit's jobs
(`push`, a Lua script). The script also creates the list's drain job, an ordinary RQ job
(`jobs.batches.drain(name)`), when the list has none queued or running: its id is kept in a
marker key. The drain job takes up to a batch of ids at a time (`take`) and hands them to the
list's handler (jobs/batches.py), which does the work of the whole batch in a few set-based
statements; when the list is empty, `take` deletes the marker in the same atomic step, so an
id pushed a moment later creates a new drain job. Under load the list never empties and one
drain job runs for DRAIN_SECONDS, then hands over to a fresh one queued behind the other jobs
(`handoff`): RQ's own cost (about 3 ms of CPU per job) is paid per batch, not per id.

What can go wrong, and who catches up: the marker outlives a drain job that died (a killed
worker) by at most MARKER_TTL_MS, and a marker naming a job that is no longer queued or
running (failed, deleted with the queue) does not count. Ids that Redis lost (a restart
without persistence) or a failed batch took with it are found by the cron sweep from the
database (jobs.booking.sweep_bookings; docs/booking.md, "Follow-up work").

Redis database: RQ's (RQ_REDIS_URL), keys under `coworking:batch:`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from redis import Redis
from redis.client import Pipeline
from rq import Queue

KEY_PREFIX = "coworking:batch:"
DRAIN_FUNC = "jobs.batches.drain"
DRAIN_TIMEOUT = 300  # s; a drain job stops itself after DRAIN_SECONDS
DRAIN_SECONDS = 5.0  # then a fresh drain job continues, queued behind the other jobs
MARKER_TTL_MS = 60_000  # refreshed with every batch a live drain job takes
JOB_KEY_PREFIX = "rq:job:"  # RQ's (rq.job.Job.redis_job_namespace_prefix)


def list_key(name: str) -> str:
    return f"{KEY_PREFIX}{name}"


def marker_key(name: str) -> str:
    return f"{KEY_PREFIX}{name}:drain"


_COUNTER_KEY = f"{KEY_PREFIX}drain-counter"

# KEYS: the list, its marker, the job id counter, RQ's queue, RQ's set of queues.
# ARGV: marker TTL (ms), RQ's job key prefix, the new job's id prefix, a job id whose marker
# is released first ("" for none), n, n items, then the RQ job hash's fields and values.
# Returns 1 when it queued a drain job.
_PUSH = """
local n = tonumber(ARGV[5])
if n > 0 then redis.call('RPUSH', KEYS[1], unpack(ARGV, 6, 5 + n)) end
local current = redis.call('GET', KEYS[2])
if current and current == ARGV[4] then
  redis.call('DEL', KEYS[2])
  current = false
end
if current then
  local status = redis.call('HGET', ARGV[2] .. current, 'status')
  if status == 'queued' or status == 'started' then return 0 end
end
if n == 0 and redis.call('LLEN', KEYS[1]) == 0 then return 0 end
local id = ARGV[3] .. redis.call('INCR', KEYS[3])
redis.call('HSET', ARGV[2] .. id, unpack(ARGV, 6 + n))
redis.call('SET', KEYS[2], id, 'PX', ARGV[1])
redis.call('RPUSH', KEYS[4], id)
redis.call('SADD', KEYS[5], KEYS[4])
return 1
"""

# KEYS: the list, its marker. ARGV: how many, this drain job's id, marker TTL (ms).
# Up to ARGV[1] items; none: the marker (if it names this job) is deleted in the same step.
_TAKE = """
local items = redis.call('LPOP', KEYS[1], ARGV[1])
local mine = redis.call('GET', KEYS[2]) == ARGV[2]
if not items then
  if mine then redis.call('DEL', KEYS[2]) end
  return {}
end
if mine then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return items
"""

_job_fields: dict[tuple[str, str], list] = {}


def _drain_job_fields(queue_name: str, name: str) -> list:
    """The RQ job hash of `jobs.batches.drain(name)` as field/value pairs (RQ's own
    serialisation, built once per process; the timestamps are refreshed on each push)."""
    key = (queue_name, name)
    if key not in _job_fields:
        queue = Queue(queue_name, connection=Redis())  # no round trip: create_job only builds
        job = queue.create_job(DRAIN_FUNC, args=(name,), timeout=DRAIN_TIMEOUT, result_ttl=0,
                               failure_ttl=7 * 86400, description=f"{DRAIN_FUNC}({name!r})")
        job.origin = queue_name
        fields = []
        for field, value in job.to_dict().items():
            if value is None or field in ("created_at", "enqueued_at", "status"):
                continue
            fields += [field, value if isinstance(value, bytes) else str(value)]
        _job_fields[key] = fields
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # rq.utils.utcformat
    return [*_job_fields[key], "created_at", stamp, "enqueued_at", stamp, "status", "queued"]


def push(pipe: Pipeline, queue_name: str, name: str, items: Sequence[object], *,
         release: str = "") -> None:
    """Adds to `pipe`: push `items` onto list `name` and queue its drain job unless one is
    queued or running (`release`: a drain job id whose marker is dropped first, see
    handoff)."""
    queue_key = f"rq:queue:{queue_name}"
    pipe.eval(_PUSH, 5, list_key(name), marker_key(name), _COUNTER_KEY, queue_key, "rq:queues",
              MARKER_TTL_MS, JOB_KEY_PREFIX, f"batch-{name}-", release, len(items), *items,
              *_drain_job_fields(queue_name, name))


def take(connection: Redis, name: str, count: int, job_id: str) -> list[bytes]:
    """Up to `count` items of list `name` for drain job `job_id`; none: the list is empty
    and the job's marker is gone (a later push queues a new drain job)."""
    return connection.eval(_TAKE, 2, list_key(name), marker_key(name), count, job_id, MARKER_TTL_MS)


def handoff(connection: Redis, queue_name: str, name: str, job_id: str) -> None:
    """Drain job `job_id` stops: a fresh one is queued if the list still has items."""
    pipe = connection.pipeline(transaction=False)
    push(pipe, queue_name, name, (), release=job_id)
    pipe.execute()


def kick(connection: Redis, queue_name: str, name: str) -> None:
    """Queues a drain job if the list has items and none is queued or running (the cron
    sweep, after Redis lost a marker's job)."""
    pipe = connection.pipeline(transaction=False)
    push(pipe, queue_name, name, ())
    pipe.execute()


def pending(connection: Redis, name: str) -> int:
    """Items waiting in list `name`."""
    return connection.llen(list_key(name))
