"""Search benchmark: 1000 mixed searches on >= 100k spaces.

Measures, for the same 1000 searches:
  * the SQL alone: the statements the service issues, replayed on a raw psycopg connection;
  * the service (search_spaces with a session);
  * the HTTP API (GET /api/v1/spaces) served by granian, as in production.
Prints p50/p95/p99 in ms and the ratio of API p95 to raw SQL p95.

Then the search map (GET /api/v1/spaces/map, services/catalog/search_map.py): BENCH_MAPS
(300) whole-city views, a 1280x800 px map at zoom 11 around a city's centre (every space of
the city is in view), through the same server; first with the city alone, then with the
list's filters mixed in (amenities, price, seats, text).

Run with `make bench` (uses the coworking_bench database) or directly with DATABASE_URL set.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL",
                      "postgresql+psycopg://postgres@127.0.0.1:5432/coworking_bench")
os.environ.setdefault("CACHE_REDIS_URL", "redis://127.0.0.1:6379/9")

from sqlalchemy import event, func, select  # noqa: E402

from bench.httpload import Connection  # noqa: E402
from coworking_app.db import get_engine, read_scope  # noqa: E402
from coworking_app.uow import UnitOfWork  # noqa: E402
from coworking_app.services.catalog import catalog  # noqa: E402
from coworking_app.services.catalog.search import SearchParams, search_spaces  # noqa: E402
from models import Space  # noqa: E402

TARGET_SPACES = int(os.environ.get("BENCH_SPACES", "100000"))
SEARCHES = int(os.environ.get("BENCH_SEARCHES", "1000"))
MAPS = int(os.environ.get("BENCH_MAPS", "300"))
PORT = int(os.environ.get("BENCH_PORT", "3399"))
WORDS = ["коворкинг", "коворкинги у метро", "лофт", "переговорная", "офис", "open space",
         "студия", "кабинет", "бизнес-центр", "рабочее место"]


def ensure_data() -> int:
    from coworking_app.demo.scale import seed_scale
    from coworking_app.demo.seed import seed_demo
    from coworking_app.services.admin.maintenance import do_vacuum_after_bulk_load

    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        seed_demo(session, effects)
        have = session.scalar(select(func.count()).select_from(Space)) or 0
    if have < TARGET_SPACES:
        print(f"seeding {TARGET_SPACES - have} synthetic spaces ...", flush=True)
        with UnitOfWork() as uow:
            session, effects = uow.session, uow.effects
            seed_scale(session, TARGET_SPACES - have)
        do_vacuum_after_bulk_load(get_engine())
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        return session.scalar(select(func.count()).select_from(Space)) or 0


def mixed_searches(n: int) -> list[dict]:
    rnd = random.Random(2026)
    with UnitOfWork() as uow:
        session, effects = uow.session, uow.effects
        cities = catalog.list_cities(session)
        districts = catalog.list_districts(session)
        stops = catalog.list_stops(session)
        amenities = [a.code for a in catalog.list_amenities(session)]
    out = []
    for _ in range(n):
        city = rnd.choice(cities)
        kind = rnd.random()
        p: dict = {"city": city.slug}
        if kind < 0.2:
            pass
        elif kind < 0.35:
            ds = [d for d in districts if d.city_id == city.id]
            p["district"] = rnd.choice(ds).slug
        elif kind < 0.55:
            p.pop("city")
            p["lat"] = round(city.lat + rnd.uniform(-0.08, 0.08), 5)
            p["lon"] = round(city.lon + rnd.uniform(-0.12, 0.12), 5)
            p["radius_km"] = rnd.choice([1, 2, 3, 5])
            p["sort"] = rnd.choice(["distance", "relevance", "price"])
        elif kind < 0.7:
            ss = [s for s in stops if s.city_id == city.id]
            p["stop_id"] = rnd.choice(ss).id
            p["stop_radius_m"] = rnd.choice([500, 1000, 1500])
        elif kind < 0.85:
            p["q"] = rnd.choice(WORDS)
        else:
            p["price_unit"] = "hour"
            p["min_price"] = rnd.randrange(10000, 40000, 1000)
            p["max_price"] = p["min_price"] + rnd.randrange(10000, 50000, 1000)
        if rnd.random() < 0.4:
            p["amenities"] = ",".join(rnd.sample(amenities, rnd.randint(1, 3)))
        if rnd.random() < 0.25:
            p["seats"] = rnd.choice([2, 5, 10, 20])
        if "sort" not in p and rnd.random() < 0.5:
            p["sort"] = rnd.choice(["rating", "price", "newest"])
        if rnd.random() < 0.2:
            p["page"] = rnd.randint(2, 5)
        out.append(p)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def report(label: str, values: list[float]) -> None:
    print(f"{label:<22} p50 {pct(values, 50):7.2f} ms   p95 {pct(values, 95):7.2f} ms   "
          f"p99 {pct(values, 99):7.2f} ms   mean {statistics.mean(values):7.2f} ms")


def bench_service(searches: list[dict]) -> tuple[list[float], list[list[tuple[str, object]]]]:
    engine = get_engine()
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    times, statements = [], []
    event.listen(engine, "before_cursor_execute", capture)
    try:
        for p in searches:
            captured.clear()
            start = time.perf_counter()
            with read_scope() as session:  # as the API does
                search_spaces(session, SearchParams.model_validate(p))
            times.append((time.perf_counter() - start) * 1000)
            statements.append(list(captured))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return times, statements


def bench_raw_sql(statements: list[list[tuple[str, object]]]) -> list[float]:
    raw = get_engine().raw_connection()
    times = []
    try:
        cur = raw.driver_connection.cursor()
        for batch in statements:
            start = time.perf_counter()
            for sql, params in batch:
                cur.execute(sql, params)
                cur.fetchall()
            times.append((time.perf_counter() - start) * 1000)
        raw.driver_connection.rollback()
    finally:
        raw.close()
    return times


def city_views(n: int, filtered: bool) -> list[dict]:
    """Whole-city map views: a 1280x800 px map at zoom 11 (43 m a pixel at 55 N: 55 x 34 km)
    around a city's centre, a little off it each time; with `filtered`, the list's filters
    as a person sets them."""
    from coworking_app.services.catalog.search import Bounds, format_bbox
    from coworking_app.services.catalog.search_map import lat_of_y, lon_of_x
    from coworking_app.services.catalog.search import merc_x, merc_y
    from models.space import MERC_SCALE

    rnd = random.Random(11 if filtered else 10)
    with UnitOfWork() as uow:
        cities = catalog.list_cities(uow.session)
        amenities = [a.code for a in catalog.list_amenities(uow.session)]
    zoom, width, height = 11, 1280, 800
    per_px = MERC_SCALE / (256 * 2 ** zoom)
    out = []
    for _ in range(n):
        city = rnd.choices(cities, [0.5, 0.3, 0.2][:len(cities)])[0]
        x = merc_x(city.lon + rnd.uniform(-0.02, 0.02))
        y = merc_y(city.lat + rnd.uniform(-0.01, 0.01))
        box = Bounds(lon_of_x(x - width / 2 * per_px), lat_of_y(y + height / 2 * per_px),
                     lon_of_x(x + width / 2 * per_px), lat_of_y(y - height / 2 * per_px))
        p: dict = {"city": city.slug, "zoom": zoom, "bbox": format_bbox(box)}
        if filtered:
            kind = rnd.random()
            if kind < 0.4:
                p["amenities"] = ",".join(rnd.sample(amenities, rnd.randint(1, 3)))
            elif kind < 0.6:
                p["price_unit"] = "hour"
                p["max_price"] = rnd.randrange(20000, 60000, 1000)
            elif kind < 0.8:
                p["seats"] = rnd.choice([2, 5, 10, 20])
            else:
                p["q"] = rnd.choice(WORDS)
        out.append(p)
    return out


def bench_api(searches: list[dict], *more: list[dict]) -> list[list[float]]:
    """One client, one keep-alive connection, searches one after another (bench/httpload.py:
    a light client, so that the figure is the server's and not httpx's). `more`: further
    lists of requests, each {"path": ..., **params}, timed on the same server."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "asgi", "--factory",
         "--host", "127.0.0.1", "--port", str(PORT), "--workers", "2",
         "--log-level", "warning", "coworking_app.api:create_api"],
        cwd=ROOT, env=env,
    )
    try:
        return asyncio.run(_api_times([searches, *more], server))
    finally:
        server.terminate()
        server.wait(timeout=20)


async def _api_times(batches: list[list[dict]], server: subprocess.Popen) -> list[list[float]]:
    conn = Connection("127.0.0.1", PORT)
    for _ in range(150):
        if server.poll() is not None:
            raise SystemExit(f"the API server exited with code {server.returncode}")
        try:
            if (await conn.request("GET", "/api/v1/health")).status in (200, 503):
                break
        except OSError:
            await conn.close()
            await asyncio.sleep(0.2)
    try:
        return [await _timed(conn, batch) for batch in batches]
    finally:
        await conn.close()


async def _timed(conn: Connection, requests: list[dict]) -> list[float]:
    paths = [f"{p.get('path', '/api/v1/spaces')}?{urlencode({k: v for k, v in p.items() if k != 'path'})}"
             for p in requests]
    for path in paths[:50]:  # warm-up: connections, caches
        await conn.request("GET", path)
    times = []
    for p, path in zip(requests, paths):
        r = await conn.request("GET", path)
        times.append(r.ms)
        if r.status != 200:
            raise SystemExit(f"API answered {r.status} for {p}: {r.text[:200]}")
    return times


def main() -> None:
    total = ensure_data()
    searches = mixed_searches(SEARCHES)
    print(f"spaces in database: {total}; searches: {len(searches)}")
    bench_service(searches[:50])  # warm-up
    service, statements = bench_service(searches)
    raw = bench_raw_sql(statements)
    views = [{"path": "/api/v1/spaces/map", **p} for p in city_views(MAPS, filtered=False)]
    filtered = [{"path": "/api/v1/spaces/map", **p} for p in city_views(MAPS, filtered=True)]
    api, maps, maps_filtered = bench_api(searches, views, filtered)
    report("raw SQL", raw)
    report("service", service)
    report("HTTP API", api)
    print(f"API p95 / raw SQL p95 = {pct(api, 95) / pct(raw, 95):.2f}")
    print(f"service p95 / raw SQL p95 = {pct(service, 95) / pct(raw, 95):.2f}")
    print(f"search map, whole-city views at zoom 11 ({len(maps)} views; target p95 <= 50 ms):")
    report("map, city alone", maps)
    report("map, city + filters", maps_filtered)


if __name__ == "__main__":
    main()
