"""Crawl speed (issue 19: "a crawl of a 500-page fixture site finishes and is ingested
within 60 s on this machine"): a generated jsonld site (tests/market/sitegen.py) served on
127.0.0.1, the API under granian (tests/api_server.py), and a crawl run as the RQ job runs
it (runs.do_start_run, crawls.run_crawl in a child process, runs.do_finish_run), with
AutoThrottle off. Prints pages, listings stored, seconds, pages per second and the
child's CPU.

    make bench-market            (BENCH_MARKET_PAGES=500, BENCH_MARKET_RUNS=2)
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coworking_app.services.market import crawls, listings, runs, sources  # noqa: E402
from coworking_app.settings import get_settings  # noqa: E402
from coworking_app.uow import run_use_case  # noqa: E402
from models import User  # noqa: E402
from tests.api_server import serve_api  # noqa: E402
from tests.market.servers import SiteServer  # noqa: E402
from tests.market.sitegen import generate_site  # noqa: E402

PAGES = int(os.environ.get("BENCH_MARKET_PAGES", "500"))
RUNS = int(os.environ.get("BENCH_MARKET_RUNS", "2"))


def _operator() -> int:
    def work(s, _fx):
        user = User(email=f"bench-market-{uuid.uuid4().hex[:8]}@example.com", full_name="Оператор Бенч",
                    password_hash="!no-password-login", roles=["operator"])
        s.add(user)
        s.flush()
        return user.id
    return run_use_case(work)


def main() -> None:
    operator_id = _operator()
    with tempfile.TemporaryDirectory() as tmp, SiteServer(Path(tmp)) as site, serve_api(workers=2) as api:
        generated = generate_site(Path(tmp), pages=PAGES)
        get_settings().market_api_url = api
        print(f"site: {generated.pages} pages ({generated.index_pages} index, {generated.detail_pages} detail), "
              f"API {api} (granian, 2 workers), AutoThrottle off")
        for attempt in range(1, RUNS + 1):
            body = sources.SourceInput(name=f"Бенч {uuid.uuid4().hex[:8]}", start_url=f"{site.url}/index.html",
                                       kind="jsonld")
            source_id = run_use_case(lambda s, _fx: sources.do_create_source(s, s.get(User, operator_id), body).id)
            run_id = run_use_case(lambda s, fx: runs.do_request_crawl(s, fx, s.get(User, operator_id), source_id).id)
            started_at = time.monotonic()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            _run, source, key = run_use_case(lambda s, _fx: runs.do_start_run(s, run_id))
            outcome = crawls.run_crawl(source, run_id, key, max_pages=PAGES + 10, throttle=False)
            run = run_use_case(lambda s, _fx: runs.do_finish_run(s, run_id, ok=outcome.ok, reason=outcome.reason))
            seconds = time.monotonic() - started_at
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            stored = run_use_case(lambda s, _fx: listings.list_listings(s, s.get(User, operator_id),
                                                                        source_id=source_id, limit=1).total)
            print(f"run {attempt}: {run.status}, pages {run.pages}, items {run.items}, stored {stored}, errors "
                  f"{run.error_count}; {seconds:.1f} s ({run.pages / seconds:.0f} pages/s); crawler CPU {child_cpu:.1f} s"
                  + ("" if outcome.ok else f"; reason: {outcome.reason}"))
        print("target: a 500-page site crawled and ingested within 60 s")


if __name__ == "__main__":
    main()
