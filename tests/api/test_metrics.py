"""GET /metrics (coworking_app/api/metrics.py): what Prometheus reads, who may read it, and
totals that add up across server processes (docs/operations.md)."""

from __future__ import annotations

import time

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from coworking_app.db import get_rq_redis
from coworking_app.settings import get_settings
from coworking_app.worker import Worker
from tests.api_server import serve_api
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client) -> dict:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return samples(r.text)


def test_requests_are_counted_under_their_route_template_never_the_raw_path(client):
    before = scrape(client)
    for space_id in (900001, 900002, 900003):
        assert client.get(f"{API}/spaces/{space_id}").status_code == 404
    for junk in ("/api/v1/no-such-thing", "/api/v1/x/../../etc", "/api/v1/%F0%9F%92%A3"):
        client.get(junk)
    after = scrape(client)
    name = "coworking_http_request_duration_seconds_count"
    template = dict(route="/api/v1/spaces/{space_id}", method="GET", status="4xx")
    assert value(after, name, **template) - value(before, name, **template) == 3
    unmatched = dict(route="/api/unmatched", method="GET", status="4xx")
    assert value(after, name, **unmatched) - value(before, name, **unmatched) >= 3
    routes = {dict(labels)["route"] for (n, labels) in after if n == name}
    assert not any("9000" in r or "etc" in r or "no-such" in r for r in routes), routes
    assert value(after, "coworking_http_requests_in_flight") >= 0


def test_a_committed_booking_is_counted_and_a_refused_one_is_not(client):
    place = make_bookable()
    _uid, auth = signed_in()
    day = in_days(6)
    before = scrape(client)
    ok = client.post(f"{API}/bookings", headers=auth, json=body(place.desk_id, local(day, 10), local(day, 12), 1))
    assert ok.status_code == 201, ok.text
    refused = client.post(f"{API}/bookings", headers=auth, json=body(place.desk_id, local(day, 10), local(day, 12), 99))
    assert refused.status_code in (409, 422)
    booking_id = ok.json()["id"]
    assert client.post(f"{API}/bookings/{booking_id}/cancel", headers=auth, json={"reason": "планы изменились"}
                       ).status_code == 200
    after = scrape(client)
    created = value(after, "coworking_booking_events_total", action="create") - \
        value(before, "coworking_booking_events_total", action="create")
    cancelled = value(after, "coworking_booking_events_total", action="cancel") - \
        value(before, "coworking_booking_events_total", action="cancel")
    assert (created, cancelled) == (1, 1)
    # Read at scrape time from the database and Redis.
    assert ("coworking_bookings_active", ()) in after
    assert value(after, "coworking_rq_jobs", queue="default", state="queued") >= 0
    assert ("coworking_rq_jobs", (("queue", "market"), ("state", "failed"))) in after
    assert ("coworking_backup_last_success_timestamp_seconds", ()) in after
    assert ("coworking_rq_cron_schedulers", ()) in after and ("coworking_rq_workers", (("queue", "default"),)) in after
    assert 0 < value(after, "coworking_disk_free_ratio", path="media") <= 1
    assert value(after, "coworking_db_pool_connections_limit") > 0
    assert any(n == "coworking_search_duration_seconds_count" or n.startswith("coworking_http") for n, _ in after)


def test_searches_count_by_city_and_time_the_service(client):
    before = scrape(client)
    assert client.get(f"{API}/spaces", params={"city": "Москва"}).status_code == 200
    assert client.get(f"{API}/spaces", params={"city": "Москва", "page": 2}).status_code == 200  # not a new search
    assert client.get(f"{API}/spaces", params={"city": "Атлантида"}).status_code == 422  # no label for it
    after = scrape(client)
    assert value(after, "coworking_search_requests_total", city="москва") - \
        value(before, "coworking_search_requests_total", city="москва") == 1
    assert not any(dict(labels).get("city") == "атлантида" for (_n, labels) in after)
    # Timed: every call of the service, a refused city included.
    assert value(after, "coworking_search_duration_seconds_count", kind="list") - \
        value(before, "coworking_search_duration_seconds_count", kind="list") == 3


def test_a_token_guards_the_metrics_when_set(client, monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN", "scrape-token-for-the-test")
    get_settings.cache_clear()
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        r = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-for-the-test"})
        assert r.status_code == 200 and "coworking_http_request_duration_seconds" in r.text
    finally:
        monkeypatch.delenv("METRICS_TOKEN")
        get_settings.cache_clear()
    assert client.get("/metrics").status_code == 200  # development and tests: open


def failing_job() -> None:
    raise RuntimeError("задача упала нарочно")


def fine_job() -> int:
    return 42


def test_jobs_are_timed_by_function_and_failures_counted(client):
    """The worker every deployment runs (coworking_app.worker.Worker) records each job."""
    redis = get_rq_redis()
    queue = Queue("metrics-test", connection=redis)
    queue.empty()
    before = scrape(client)
    queue.enqueue("tests.api.test_metrics.fine_job")
    queue.enqueue("tests.api.test_metrics.failing_job")
    Worker([queue], connection=redis).work(burst=True)
    after = scrape(client)
    ok = dict(function="tests.api.test_metrics.fine_job", outcome="ok")
    failed = dict(function="tests.api.test_metrics.failing_job", outcome="failed")
    assert value(after, "coworking_job_duration_seconds_count", **ok) - \
        value(before, "coworking_job_duration_seconds_count", **ok) == 1
    assert value(after, "coworking_job_duration_seconds_count", **failed) - \
        value(before, "coworking_job_duration_seconds_count", **failed) == 1
    assert value(after, "coworking_jobs_failed_total", function="tests.api.test_metrics.failing_job") - \
        value(before, "coworking_jobs_failed_total", function="tests.api.test_metrics.failing_job") == 1
    queue.failed_job_registry.remove(queue.failed_job_registry.get_job_ids()[0], delete_job=True)


def test_every_server_process_is_in_every_scrape_and_totals_never_go_down(tmp_path):
    """Three granian processes with PROMETHEUS_MULTIPROC_DIR (as `make run`): whichever
    answers the scrape, the count is the total of all three, and a later scrape never shows
    less."""
    with serve_api(workers=3, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}) as api:
        base = api.removesuffix("/api/v1")
        # A new connection per request, so granian's processes share them out.
        with httpx.Client(base_url=base, timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as http:
            name = "coworking_http_request_duration_seconds_count"
            labels = dict(route="/api/v1/health", method="GET", status="2xx")
            seen = []
            for round_ in range(3):
                for _ in range(40):
                    assert http.get("/api/v1/health").status_code == 200
                totals = {value(samples(http.get("/metrics").text), name, **labels) for _ in range(6)}
                assert len(totals) == 1, totals  # the same total whichever process answered
                seen.append(totals.pop())
                time.sleep(1)
            # 40 per round plus the one /health the server's start-up check made.
            assert seen[0] >= 40 and seen[1] - seen[0] == 40 and seen[2] - seen[1] == 40, seen
            pids = {p.name.split("_")[-1] for p in tmp_path.glob("*.db")}
            assert len(pids) >= 2, pids  # more than one process wrote its values


def test_the_scheduler_on_a_machine_of_its_own_serves_its_metrics_on_metrics_port():
    """`rq cron jobs.cron` with METRICS_PORT (Kubernetes: the scheduler's own pod) answers a
    scrape itself; its Redis is a database no other test uses."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.api_server import free_port

    root = Path(__file__).resolve().parents[2]
    port = free_port()
    redis_base = os.environ.get("TEST_REDIS", "redis://127.0.0.1:6379")
    env = {**os.environ, "PYTHONPATH": str(root), "METRICS_PORT": str(port), "RQ_REDIS_URL": f"{redis_base}/12"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen([str(Path(sys.executable).parent / "rq"), "cron", "--url", env["RQ_REDIS_URL"],
                                "jobs.cron"], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        text = ""
        while time.monotonic() < deadline:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert "process_cpu_seconds_total" in text and "coworking_job_duration_seconds" in text, text[:500]
    finally:
        process.terminate()
        process.wait(15)
