"""Booking benchmark: concurrent POST /api/v1/bookings through the HTTP API.

Two scenarios, each with BENCH_CLIENTS concurrent clients (one keep-alive connection and
one renter account with an API access token each, all in one asyncio loop with the light
client of bench/httpload.py), BENCH_REQUESTS requests per client:
  1. "distinct resources": every client books its own hot desk, consecutive 1-hour slots
     on future days, 1 seat: no contention between clients, all should be 201. Run twice:
     right after the server starts ("cold start") and again ("steady state", on which the
     target p95 <= 50 ms is judged);
  2. "one hot resource": every client books the SAME hot desk (capacity BENCH_HOT_CAPACITY)
     for intervals drawn at random from a small, overlapping set: heavy contention, most
     requests get 409 once the intervals are full.
  3. "sustained, worker alongside": a real RQ worker, started as `make run` starts it
     (`rq worker -w rq.worker.SimpleWorker --with-scheduler`), runs while the same clients
     book their own desks for BENCH_SUSTAINED_SECONDS (60) as fast as they can (or at
     BENCH_SUSTAINED_RATE bookings/s in all), and the bench then waits until every
     booking's follow-up has finished: its "pay by" notice written and its email sent. It
     prints the bookings/s accepted, the end-to-end figure (bookings whose follow-ups have
     all finished, per second from the start of the load to the last one finished), how
     long after its booking a follow-up finished, the worker's CPU per booking (its process
     only) and the RQ jobs it ran.
For each: requests, bookings/s (201 per second of wall time), requests/s, p50/p95/p99 of
all requests in ms, counts of 201/409/other, then one SQL query proving that no resource in
the database is overbooked ("overbooked seats: N", must be 0). Between them, a reference
run of GET /api/v1/me with the same clients shows the floor of any signed-in request.

The API is served as in production: granian with as many workers as `make run` and the
Docker image start (GRANIAN_WORKERS = cores + 1; BENCH_WORKERS to change it),
`coworking_app.api:create_api`, on BENCH_PORT.

Run with `make bench-booking` (uses the coworking_bench_booking database, Redis dbs 9/10)
or directly with DATABASE_URL set. Every run adds a fresh owner, spaces and renters, so
runs never collide with each other's bookings.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL",
                      "postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench_booking")
os.environ.setdefault("CACHE_REDIS_URL", "redis://127.0.0.1:6379/9")
BENCH_RQ_URL = "redis://127.0.0.1:6379/10"
os.environ.setdefault("RQ_REDIS_URL", BENCH_RQ_URL)
os.environ.setdefault("APP_ENV", "development")

import httpx  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from bench.cpu import CpuMeter  # noqa: E402
from bench.httpload import Connection  # noqa: E402
from coworking_app.db import get_engine  # noqa: E402
from coworking_app.settings import get_settings  # noqa: E402
from coworking_app.uow import UnitOfWork  # noqa: E402
from coworking_app.demo.seed import SeedReport, seed_reference  # noqa: E402
from coworking_app.services.accounts.signup import do_register  # noqa: E402
from coworking_app.services.accounts.sessions import do_sign_in_api  # noqa: E402
from coworking_app.services.catalog.spaces import do_refresh_space_summary  # noqa: E402
from jobs import DEFAULT_QUEUE, get_queue  # noqa: E402
from rq import Worker  # noqa: E402
from models import City, Resource, Tariff, User  # noqa: E402
from tests.booking_helpers import ALL_WEEK  # noqa: E402  (open 08:00-22:00 every day)
from tests.factories import make_space  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))  # per client, per scenario
PORT = int(os.environ.get("BENCH_PORT", "3398"))
# granian workers: as many as production starts (GRANIAN_WORKERS in the Makefile and the
# Dockerfile: cores + 1).
WORKERS = int(os.environ.get("BENCH_WORKERS", str((os.cpu_count() or 1) + 1)))
HOT_CAPACITY = int(os.environ.get("BENCH_HOT_CAPACITY", "20"))
SUSTAINED_SECONDS = float(os.environ.get("BENCH_SUSTAINED_SECONDS", "60"))
SUSTAINED_RATE = float(os.environ.get("BENCH_SUSTAINED_RATE", "0"))  # bookings/s offered; 0: as fast as they go
TARGET_P95_MS = 50.0  # on distinct resources
TZ = "Europe/Moscow"
PASSWORD = "Correct-Horse-42"
DESKS_PER_SPACE = 4
OPEN_HOUR, CLOSE_HOUR = 8, 22  # ALL_WEEK
# Scenario 2: overlapping intervals (local hours) on one day, so that bookings contend.
HOT_INTERVALS = [(9, 10), (9, 11), (10, 11), (10, 12), (11, 12), (12, 14), (13, 14), (15, 16)]
HOLDING = ("pending_payment", "paid", "confirmed")


# --- setup --------------------------------------------------------------------------------


@dataclass
class Setup:
    owner_id: int
    space_ids: list[int]
    desk_ids: list[int]  # one per client (scenario 1)
    sustained_desk_ids: list[int]  # one per client (scenario 3)
    hot_desk_id: int  # shared (scenario 2)
    renters: list[tuple[int, str]]  # (user id, email)


def _desk(session, space_id: int, capacity: int, name: str) -> int:
    desk = Resource(space_id=space_id, kind="hot_desk", name=name, capacity=capacity,
                    min_minutes=60, max_minutes=60 * 24 * 62)
    session.add(desk)
    session.flush()
    session.add(Tariff(resource_id=desk.id, unit="hour", price_minor=30000))
    session.add(Tariff(resource_id=desk.id, unit="day", price_minor=200000))
    return desk.id


def _space(session, owner_id: int, name: str):
    # A point in Moscow (the reference data's city): make_space locates its city/district.
    space = make_space(session, name=name, lat=55.7558, lon=37.6173, resources=[])
    space.owner_id = owner_id
    space.timezone = TZ
    space.opening_hours = ALL_WEEK
    space.cancellation_policy = "flexible"
    space.instant_book = True
    return space


def setup() -> Setup:
    run = uuid.uuid4().hex[:8]
    if os.environ["RQ_REDIS_URL"] == BENCH_RQ_URL:  # the bench's own Redis database
        get_queue().connection.flushdb()  # jobs (queued and scheduled) that earlier runs left
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        if session.scalar(select(City.id).limit(1)) is None:
            print("seeding reference data (cities, districts, amenities) ...", flush=True)
            seed_reference(session, SeedReport())
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        owner = do_register(session, effects, email=f"bench-owner-{run}@example.com", password=PASSWORD,
                            full_name="Владелец Бенчмарков", role="owner")
        space_ids, desk_ids, sustained_desk_ids = [], [], []
        for n in range(0, 2 * CLIENTS, DESKS_PER_SPACE):
            space = _space(session, owner.id, f"Бенч {run} №{n // DESKS_PER_SPACE + 1}")
            space_ids.append(space.id)
            for k in range(n, min(n + DESKS_PER_SPACE, 2 * CLIENTS)):
                desk = _desk(session, space.id, 10, f"Стол {k + 1}")
                (desk_ids if k < CLIENTS else sustained_desk_ids).append(desk)
            session.flush()
            do_refresh_space_summary(session, space)
        hot = _space(session, owner.id, f"Бенч {run} горячий")
        space_ids.append(hot.id)
        hot_desk_id = _desk(session, hot.id, HOT_CAPACITY, "Общий зал")
        session.flush()
        do_refresh_space_summary(session, hot)
        renters = []
        for k in range(CLIENTS):
            email = f"bench-renter-{run}-{k}@example.com"
            user = do_register(session, effects, email=email, password=PASSWORD,
                               full_name=f"Арендатор {k + 1}")
            renters.append((user.id, email))
        return Setup(owner.id, space_ids, desk_ids, sustained_desk_ids, hot_desk_id, renters)


def access_tokens(renters: list[tuple[int, str]]) -> list[str]:
    """Fresh API access tokens (15 min) for every renter, via the service (no rate limit)."""
    tokens = []
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        for user_id, _email in renters:
            tokens.append(do_sign_in_api(session, effects, session.get(User, user_id)).access_token)
    return tokens


# --- the load ------------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # ms
    statuses: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # bodies of unexpected answers
    wall: float = 0.0  # s
    started_at: float = 0.0  # time.time() when the load began


def local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(TZ))


def distinct_bodies(desk_id: int, first_day: date) -> list[dict]:
    """Consecutive 1-hour slots from opening to closing, day after day."""
    per_day = CLOSE_HOUR - OPEN_HOUR
    out = []
    for k in range(REQUESTS):
        day = first_day + timedelta(days=k // per_day)
        hour = OPEN_HOUR + k % per_day
        out.append({"resource_id": desk_id, "start": local(day, hour).isoformat(),
                    "end": local(day, hour + 1).isoformat(), "seats": 1})
    return out


def hot_bodies(desk_id: int, day: date, rnd: random.Random) -> list[dict]:
    out = []
    for _ in range(REQUESTS):
        start, end = rnd.choice(HOT_INTERVALS)
        out.append({"resource_id": desk_id, "start": local(day, start).isoformat(),
                    "end": local(day, end).isoformat(), "seats": rnd.choice([1, 1, 2])})
    return out


def run_clients(base_url: str, tokens: list[str], plans: list[list[dict]], *,
                seconds: float | None = None, rate: float = 0.0) -> Result:
    """Every client a keep-alive connection of its own, all of them in one asyncio loop
    (bench/httpload.py: a light client, so that the figures are the server's). `seconds`:
    stop starting requests then (else when the plans end); `rate`: requests per second
    offered by all clients together (each waits for its turn; 0: back to back)."""
    return asyncio.run(_run_clients(base_url, tokens, plans, seconds, rate))


async def _run_clients(base_url: str, tokens: list[str], plans: list[list[dict]],
                       seconds: float | None = None, rate: float = 0.0) -> Result:
    result = Result()
    host, port = base_url.removeprefix("http://").split(":")
    start = asyncio.Event()
    started = 0.0

    async def client(token: str, plan: list[dict], k: int) -> None:
        conn = Connection(host, int(port), {"authorization": f"Bearer {token}"})
        await conn.request("GET", "/api/v1/me")  # warm-up: the connection, a worker's DB pool
        await start.wait()
        try:
            for n, body in enumerate(plan):
                if seconds is not None and time.perf_counter() - started > seconds:
                    break
                if rate:  # this client's turn in a schedule of `rate` requests per second
                    delay = started + (n * len(plans) + k) / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                # A plan item is a booking body, or None for the reference request.
                try:
                    r = await (conn.request("POST", "/api/v1/bookings", json=body) if body is not None
                               else conn.request("GET", "/api/v1/me"))
                    status, text_, ms = r.status, r.text, r.ms
                except (OSError, asyncio.IncompleteReadError) as exc:
                    status, text_, ms = f"error {type(exc).__name__}", str(exc), 0.0
                    await conn.close()
                result.latencies.append(ms)
                result.statuses[status] += 1
                if status not in (200, 201, 409) and len(result.samples) < 3:
                    result.samples.append(f"{status}: {text_[:300]}")
        finally:
            await conn.close()

    tasks = [asyncio.create_task(client(tokens[k], plans[k], k)) for k in range(len(plans))]
    await asyncio.sleep(0.5)  # every client connected and warmed up
    started = time.perf_counter()
    result.started_at = time.time()
    start.set()
    await asyncio.gather(*tasks)
    result.wall = time.perf_counter() - started
    return result


# --- checks and figures ------------------------------------------------------------------

OVERBOOKED_SQL = text("""
    WITH held AS (
      SELECT resource_id, start_at, end_at, seats FROM booking
      WHERE status IN ('pending_payment', 'paid', 'confirmed')
    ), load AS (
      SELECT p.resource_id, p.start_at AS t, sum(h.seats) AS seats
      FROM (SELECT DISTINCT resource_id, start_at FROM held) p
      JOIN held h ON h.resource_id = p.resource_id
                 AND h.start_at <= p.start_at AND h.end_at > p.start_at
      GROUP BY p.resource_id, p.start_at
    )
    SELECT CAST(coalesce(sum(load.seats - r.capacity), 0) AS bigint) AS overbooked,
           count(*) AS points
    FROM load JOIN resource r ON r.id = load.resource_id
    WHERE load.seats > r.capacity
""")

HOT_LOAD_SQL = text("""
    SELECT p.start_at, coalesce(sum(h.seats), 0) AS seats
    FROM (SELECT DISTINCT start_at FROM booking
          WHERE resource_id = :r AND status IN ('pending_payment', 'paid', 'confirmed')) p
    JOIN booking h ON h.resource_id = :r AND h.status IN ('pending_payment', 'paid', 'confirmed')
                  AND h.start_at <= p.start_at AND h.end_at > p.start_at
    GROUP BY p.start_at ORDER BY p.start_at
""")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def report(label: str, res: Result) -> None:
    n = len(res.latencies)
    created, conflicts = res.statuses.get(201, 0), res.statuses.get(409, 0)
    other = n - created - conflicts
    print(f"\n== {label} ==")
    print(f"clients {CLIENTS}, requests {n}, wall {res.wall:.2f} s")
    print(f"bookings/s {created / res.wall:8.1f}   requests/s {n / res.wall:8.1f}")
    print(f"latency (all requests)  p50 {pct(res.latencies, 50):7.2f} ms   "
          f"p95 {pct(res.latencies, 95):7.2f} ms   p99 {pct(res.latencies, 99):7.2f} ms   "
          f"mean {statistics.mean(res.latencies):7.2f} ms   max {max(res.latencies):7.2f} ms")
    print(f"201 created {created}   409 conflict {conflicts}   other {other}")
    if other:
        print("  other statuses: " + ", ".join(f"{k}: {v}" for k, v in res.statuses.items()
                                               if k not in (201, 409)))
        for sample in res.samples[:5]:
            print(f"  sample {sample}")
    with get_engine().connect() as conn:
        overbooked, points = conn.execute(OVERBOOKED_SQL).one()
    verdict = "OK" if overbooked == 0 else "FAIL"
    print(f"overbooked seats: {overbooked} ({points} overbooked resource/instant points) "
          f"[{verdict}]")


def drain_follow_up_jobs(bookings: int) -> None:
    """What the bookings left to the RQ worker (each hold's notice, its email, its release
    scheduled at expiry): a burst worker, as in production (`rq worker -w
    rq.worker.SimpleWorker`), runs them now, outside the timed requests; its CPU is printed
    per booking. (The database side of that work is not: the worker's PostgreSQL backend
    ends with it, before it can be read.)"""
    if os.environ["RQ_REDIS_URL"] != BENCH_RQ_URL:
        print(f"\nfollow-up jobs not drained: RQ_REDIS_URL is not the bench's own ({BENCH_RQ_URL})")
        return
    queue = get_queue()
    jobs = queue.count
    failed_before = queue.failed_job_registry.count
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "MAIL_OUTBOX_DIR": tempfile.mkdtemp(prefix="bench-booking-outbox-")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "rq"), "worker", "-w", "rq.worker.SimpleWorker",
                    "--burst", "--quiet", "--url", os.environ["RQ_REDIS_URL"], DEFAULT_QUEUE],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=1800)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_ms = 1000 * ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    failed = queue.failed_job_registry.count - failed_before
    if not bookings:
        return
    print(f"\n== follow-up jobs (RQ burst worker, after the requests) ==\n"
          f"{jobs} queued jobs and those they queued, {time.perf_counter() - started:.1f} s; "
          f"worker CPU ms per booking {worker_ms / bookings:.2f}; failed jobs: {failed}")


def start_worker(outbox: str) -> subprocess.Popen:
    """An RQ worker as `make run` starts it (jobs in the worker process, with the scheduler)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MAIL_OUTBOX_DIR": outbox}
    worker = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "rq"), "worker", "-w", "rq.worker.SimpleWorker", "--with-scheduler",
         "--quiet", "--url", os.environ["RQ_REDIS_URL"], DEFAULT_QUEUE],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(w.pid == worker.pid for w in Worker.all(queue=get_queue())):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the RQ worker did not start")
        time.sleep(0.1)
    return worker


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process so far (/proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Per booking of the sustained run: when its follow-up finished (its "pay by" notice written
# and its email sent), or null while it has not.
FOLLOW_UPS_SQL = text("""
    SELECT b.id, CAST(extract(epoch FROM b.created_at) AS float8),
           CASE WHEN i.id IS NOT NULL AND e.sent_at IS NOT NULL  -- (greatest ignores nulls)
                THEN CAST(extract(epoch FROM greatest(i.created_at, e.sent_at)) AS float8) END
    FROM booking b
    LEFT JOIN notification i ON i.booking_id = b.id AND i.type = 'booking_created' AND i.channel = 'in_app'
    LEFT JOIN notification e ON e.booking_id = b.id AND e.type = 'booking_created' AND e.channel = 'email'
                             AND e.status = 'sent'
    WHERE b.resource_id = ANY(:desks)
""")


def sustained(base_url: str, data: Setup, today: date) -> None:
    """Scenario 3 (see the module): bookings for SUSTAINED_SECONDS with a real worker
    alongside, then until every follow-up has finished."""
    if os.environ["RQ_REDIS_URL"] != BENCH_RQ_URL:
        print(f"\nsustained run skipped: RQ_REDIS_URL is not the bench's own ({BENCH_RQ_URL})")
        return
    per_day = CLOSE_HOUR - OPEN_HOUR
    room = per_day * (get_settings().booking_horizon_days - 3)
    plans = [[{"resource_id": desk, "start": local(today + timedelta(days=2 + n // per_day), OPEN_HOUR + n % per_day).isoformat(),
               "end": local(today + timedelta(days=2 + n // per_day), OPEN_HOUR + n % per_day + 1).isoformat(),
               "seats": 1} for n in range(room)] for desk in data.sustained_desk_ids]
    outbox = tempfile.mkdtemp(prefix="bench-booking-outbox-")
    worker = start_worker(outbox)
    try:
        tokens = access_tokens(data.renters)
        worker_before = cpu_seconds(worker.pid)
        with CpuMeter() as meter:
            load = run_clients(base_url, tokens, plans, seconds=SUSTAINED_SECONDS, rate=SUSTAINED_RATE)
            created = load.statuses.get(201, 0)
            # Until every booking's follow-up has finished (or none finished for a minute).
            done, last_progress = 0, time.monotonic()
            while True:
                with get_engine().connect() as conn:
                    rows = conn.execute(FOLLOW_UPS_SQL, {"desks": data.sustained_desk_ids}).all()
                finished = [row for row in rows if row[2] is not None]
                if len(finished) > done:
                    done, last_progress = len(finished), time.monotonic()
                if done >= len(rows) or time.monotonic() - last_progress > 60:
                    break
                time.sleep(1.0)
        worker_ms = 1000 * (cpu_seconds(worker.pid) - worker_before)
        jobs_run = next((w.successful_job_count + w.failed_job_count for w in Worker.all(queue=get_queue())
                         if w.pid == worker.pid), 0)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    rate = f"{SUSTAINED_RATE:.0f} bookings/s offered" if SUSTAINED_RATE else "as fast as they go"
    report(f"scenario 3: sustained, worker alongside ({SUSTAINED_SECONDS:.0f} s, {rate})", load)
    print(meter.split.per_request_ms(created).replace("per request", "per booking (load and follow-ups)"))
    if not finished:
        print("follow-ups finished: none")
        return
    started, last = load.started_at, max(row[2] for row in finished)
    lags = [1000 * (row[2] - row[1]) for row in finished]
    print(f"follow-ups finished: {len(finished)} of {len(rows)} bookings; the last {last - started - load.wall:.1f} s "
          f"after the load ended")
    print(f"end-to-end: {len(finished) / (last - started):.1f} bookings/s with all follow-ups finished "
          f"(accepted {created / load.wall:.1f}/s)")
    print(f"follow-up finished after its booking: p50 {pct(lags, 50):.0f} ms   p95 {pct(lags, 95):.0f} ms   "
          f"max {max(lags):.0f} ms")
    print(f"worker CPU ms per booking {worker_ms / max(1, created):.2f}; RQ jobs run {jobs_run} "
          f"({jobs_run / max(1, created):.3f} per booking); emails written {len(os.listdir(outbox))}")


def start_server(log) -> subprocess.Popen:
    # As `make run`: every process's metrics in one folder (the server processes write them).
    metrics_dir = tempfile.mkdtemp(prefix="bench-booking-metrics-")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "asgi", "--factory",
         "--host", "127.0.0.1", "--port", str(PORT), "--workers", str(WORKERS),
         "--log-level", "warning", "coworking_app.api:create_api"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def wait_ready(base_url: str, server: subprocess.Popen) -> None:
    with httpx.Client(base_url=base_url, timeout=5) as client:
        for _ in range(150):
            if server.poll() is not None:
                raise SystemExit(f"the API server exited with code {server.returncode}")
            try:
                if client.get("/api/v1/health").status_code in (200, 503):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise SystemExit("the API server did not answer /api/v1/health")


def main() -> None:
    per_day = CLOSE_HOUR - OPEN_HOUR
    if 2 * (REQUESTS // per_day + 1) + 3 > 360:
        raise SystemExit(f"BENCH_REQUESTS={REQUESTS} runs past the booking horizon")
    print(f"database {get_engine().url.render_as_string(hide_password=True)}")
    print(f"clients {CLIENTS}, requests per client {REQUESTS}, API on port {PORT} "
          f"(granian, {WORKERS} workers)")
    data = setup()
    print(f"setup: owner {data.owner_id}, {len(data.space_ids)} published spaces, "
          f"{len(data.desk_ids)} hot desks (capacity 10) + hot desk {data.hot_desk_id} "
          f"(capacity {HOT_CAPACITY}), {len(data.renters)} renters")

    base_url = f"http://127.0.0.1:{PORT}"
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-booking-server-", suffix=".log",
                                      delete=False)
    server = start_server(log)
    try:
        wait_ready(base_url, server)
        today = datetime.now(ZoneInfo(TZ)).date()

        # 1. distinct resources: each client its own desk, from the day after tomorrow on.
        # Twice: right after start (cold: every worker process and database connection
        # makes its first bookings, PostgreSQL backends load their caches), then the same
        # load again on later days (steady state: what a server that has been up for a
        # minute sees). The target is judged on the steady state; both are printed.
        days_per_round = REQUESTS // per_day + 1
        for label, first_day in (("cold start", 2), ("steady state", 2 + days_per_round)):
            tokens = access_tokens(data.renters)
            plans = [distinct_bodies(data.desk_ids[k], today + timedelta(days=first_day))
                     for k in range(CLIENTS)]
            with CpuMeter() as meter:
                distinct = run_clients(base_url, tokens, plans)
            report(f"scenario 1: distinct resources, {label}", distinct)
            print(meter.split.per_request_ms(len(distinct.latencies)))
        p95 = pct(distinct.latencies, 95)
        print(f"target: p95 <= {TARGET_P95_MS:.0f} ms on distinct resources (steady state) -> "
              f"p95 {p95:.2f} ms [{'met' if p95 <= TARGET_P95_MS else 'NOT met'}]")
        drain_follow_up_jobs(2 * len(distinct.latencies))

        # Reference: the cheapest signed-in request (GET /api/v1/me: token check, one query)
        # under the same load: the floor any endpoint meets on this machine.
        reference = run_clients(base_url, access_tokens(data.renters),
                                [[None] * REQUESTS for _ in range(CLIENTS)])
        print(f"\n== reference: GET /api/v1/me, same clients ==\n"
              f"requests/s {len(reference.latencies) / reference.wall:7.1f}   "
              f"p50 {pct(reference.latencies, 50):7.2f} ms   p95 {pct(reference.latencies, 95):7.2f} ms")

        # 2. one hot resource: everyone on the same desk, tomorrow, overlapping intervals.
        rnd = random.Random(2026)
        tokens = access_tokens(data.renters)
        plans = [hot_bodies(data.hot_desk_id, today + timedelta(days=1), rnd)
                 for _ in range(CLIENTS)]
        hot = run_clients(base_url, tokens, plans)
        report("scenario 2: one hot resource", hot)
        with get_engine().connect() as conn:
            load = conn.execute(HOT_LOAD_SQL, {"r": data.hot_desk_id}).all()
        print(f"hot desk seats held at each booking start (capacity {HOT_CAPACITY}): "
              + ", ".join(f"{t.astimezone(ZoneInfo(TZ)):%H:%M}={s}" for t, s in load))

        # 3. sustained, with the worker alongside (scenario 2's follow-ups drained first).
        drain_follow_up_jobs(0)
        sustained(base_url, data, today)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.flush()
        log.seek(0)
        server_log = log.read()
        log.close()
    if server_log.strip():
        print(f"\nserver log ({log.name}), last 60 lines:")
        print("\n".join(server_log.splitlines()[-60:]))
    else:
        os.unlink(log.name)


if __name__ == "__main__":
    main()
