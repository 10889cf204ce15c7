"""What one instance serves, and what the metrics cost (docs/operations.md "Numbers").

One instance as `make run` starts it on this machine: granian with cores + 1 processes,
PROMETHEUS_MULTIPROC_DIR shared. 16 clients (bench/httpload.py) search as fast as they go
(bench/search.py's mixed searches on the 100k-space bench database) for BENCH_SECONDS each
run, alternating METRICS_ENABLED=true and false (paired runs: this machine's speed drifts,
see docs/booking.md). For each run: requests/s, p50/p95, and the server processes' CPU per
request (bench/cpu.py, from /proc). The metrics' cost is the difference in server CPU per
request between the paired runs; it is also timed directly: the metric updates and the log
line one request makes, in a loop, in multiprocess mode.

Run with `make bench-ops` (after `make bench` has seeded the bench database).
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench")
os.environ.setdefault("CACHE_REDIS_URL", "redis://127.0.0.1:6379/9")

import httpx  # noqa: E402

from bench.cpu import CpuMeter  # noqa: E402
from bench.httpload import Connection  # noqa: E402
from bench.search import mixed_searches, pct  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "3399"))
WORKERS = int(os.environ.get("GRANIAN_WORKERS", str((os.cpu_count() or 1) + 1)))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
PAIRS = int(os.environ.get("BENCH_PAIRS", "2"))


def serve(metrics_on: bool, metrics_dir: str, log) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
           "METRICS_ENABLED": "true" if metrics_on else "false", "LOG_FORMAT": "json"}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "asgi", "--factory", "--host", "127.0.0.1",
         "--port", str(PORT), "--workers", str(WORKERS), "--log-level", "warning", "coworking_app.api:create_api"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"the API server exited with code {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/api/v1/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the API server did not answer /api/v1/health")


async def load(paths: list[str]) -> tuple[list[float], int, float]:
    """CLIENTS connections cycling through `paths` for SECONDS: latencies, errors, wall."""
    times: list[float] = []
    errors = 0
    stop = time.perf_counter() + SECONDS

    async def client(offset: int) -> None:
        nonlocal errors
        conn = Connection("127.0.0.1", PORT)
        i = offset
        try:
            while time.perf_counter() < stop:
                answer = await conn.request("GET", paths[i % len(paths)])
                i += CLIENTS
                times.append(answer.ms)
                if answer.status != 200:
                    errors += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return times, errors, time.perf_counter() - started


def one_run(metrics_on: bool, paths: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-ops-metrics-") as metrics_dir, \
            tempfile.TemporaryFile() as log:
        server = serve(metrics_on, metrics_dir, log)
        try:
            asyncio.run(load(paths[:400]))  # warm every process: connections, plans, caches
            with CpuMeter() as meter:
                times, errors, wall = asyncio.run(load(paths))
            if metrics_on:
                scraped = httpx.get(f"http://127.0.0.1:{PORT}/metrics", timeout=10).text
                assert "coworking_search_requests_total" in scraped
        finally:
            server.terminate()
            server.wait(20)
    requests = len(times)
    return {"on": metrics_on, "rps": requests / wall, "p50": pct(times, 50), "p95": pct(times, 95),
            "cpu": 1000 * meter.split.seconds.get("server", 0.0) / max(1, requests), "errors": errors}


def direct_cost(n: int = 20000) -> float:
    """µs of CPU that measuring adds to one search request, timed directly in a process set up
    as served (multiprocess mode, JSON logs written to /dev/null): a request through the real
    middleware (coworking_app.api.metrics.Measured: in-flight gauge, route template, histogram,
    the log line) around an app that answers at once, minus the same app without it; plus the
    search's own timing and city count."""
    with tempfile.TemporaryDirectory() as metrics_dir:
        code = f"""
import asyncio, logging, os, sys, time
os.environ["PROMETHEUS_MULTIPROC_DIR"] = {metrics_dir!r}
os.environ["LOG_FORMAT"] = "json"
sys.path.insert(0, {str(ROOT)!r})
from starlette.routing import Route
from coworking_app import metrics
from coworking_app.api.metrics import Measured
from coworking_app.logs import configure_logging
configure_logging()
for h in logging.getLogger().handlers:
    h.stream = open(os.devnull, "w")
route = Route("/api/v1/spaces", lambda r: None)

async def app(scope, receive, send):
    scope["route"] = route
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": b"{{}}"}})

async def receive():
    return {{"type": "http.request", "body": b""}}

async def send(message):
    pass

def scope():
    return {{"type": "http", "method": "GET", "path": "/api/v1/spaces", "headers": [(b"host", b"x")],
             "coworking.request_id": "0123456789abcdef"}}

async def run(target, n):
    started = time.process_time()
    for _ in range(n):
        await target(scope(), receive, send)
        if target is not app:
            metrics.SEARCH_DURATION.labels("list").observe(0.004)
            metrics.SEARCHES.labels("moscow").inc()
    return (time.process_time() - started) / n * 1e6

n = {n}
measured = Measured(app)
asyncio.run(run(measured, 2000)); asyncio.run(run(app, 2000))
best = min(asyncio.run(run(measured, n)) - asyncio.run(run(app, n)) for _ in range(3))
print(best)
"""
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    logging.disable(logging.CRITICAL)
    searches = mixed_searches(2000)
    paths = [f"/api/v1/spaces?{urlencode(p)}" for p in searches]
    print(f"one instance: granian {WORKERS} processes on {os.cpu_count()} cores, {CLIENTS} clients, "
          f"{SECONDS:.0f} s per run, mixed searches on the bench database")
    runs = []
    for pair in range(PAIRS):
        for on in ((True, False) if pair % 2 == 0 else (False, True)):
            run = one_run(on, paths)
            runs.append(run)
            print(f"metrics {'on ' if on else 'off'}  {run['rps']:7.1f} requests/s   p50 {run['p50']:6.2f} ms   "
                  f"p95 {run['p95']:6.2f} ms   server CPU {run['cpu']:.3f} ms/request   errors {run['errors']}",
                  flush=True)
    cpu_on = statistics.mean(r["cpu"] for r in runs if r["on"])
    cpu_off = statistics.mean(r["cpu"] for r in runs if not r["on"])
    rps_on = statistics.mean(r["rps"] for r in runs if r["on"])
    rps_off = statistics.mean(r["rps"] for r in runs if not r["on"])
    print(f"search, one instance: {rps_on:.0f} requests/s with metrics, {rps_off:.0f} without")
    print(f"server CPU per request: {cpu_on:.3f} ms with metrics, {cpu_off:.3f} ms without: "
          f"{100 * (cpu_on - cpu_off) / cpu_off:+.1f} % (target <= 5 %)")
    micro = direct_cost()
    print(f"timed directly: {micro:.1f} µs of CPU per search request (middleware, log line, search timing) = "
          f"{100 * micro / 1000 / cpu_on:.1f} % of its server CPU")


if __name__ == "__main__":
    main()
