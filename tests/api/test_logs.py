"""Structured logs (coworking_app/logs.py): one JSON line per request and per job on stdout,
each with the request id that the answer's X-Request-ID names, so one id finds the request,
the jobs it queued and their lines."""

from __future__ import annotations

import json
import logging
import time

import httpx
from rq import Queue

from coworking_app.db import get_rq_redis
from coworking_app.services.accounts.security import issue_access_token
from coworking_app.worker import Worker
from jobs import get_queue
from tests.api_server import serve_api


def json_lines(path) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # granian's own start-up lines
    return out


def test_each_request_is_one_json_line_with_its_id_user_route_status_and_time(tmp_path):
    log_path = tmp_path / "server.log"
    token, _ = issue_access_token(777, "t" * 32)
    with serve_api(env={"LOG_FORMAT": "json"}, log_path=log_path) as api:
        r = httpx.get(f"{api}/spaces/999999", headers={"X-Request-ID": "req-log-1", "Authorization": f"Bearer {token}"})
        assert r.status_code == 404 and r.headers["x-request-id"] == "req-log-1"
        r = httpx.get(f"{api}/spaces", params={"city": "Москва"})
        generated = r.headers["x-request-id"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(l.get("request_id") == generated for l in json_lines(log_path)):
            time.sleep(0.1)
    lines = json_lines(log_path)
    mine = [l for l in lines if l.get("request_id") == "req-log-1" and l.get("logger") == "coworking_app.requests"]
    assert len(mine) == 1, lines[-5:]
    line = mine[0]
    assert line["route"] == "/api/v1/spaces/{space_id}" and line["status"] == 404 and line["method"] == "GET"
    assert line["user_id"] == 777 and isinstance(line["duration_ms"], float)
    assert token not in log_path.read_text()
    other = next(l for l in lines if l.get("request_id") == generated)
    assert other["route"] == "/api/v1/spaces" and other["status"] == 200 and "user_id" not in other


def test_a_job_logs_the_request_that_queued_it(client, caplog):
    """The password-reset request queues a mail job; the worker's line for that job names
    the request (uow puts its id in the job's meta)."""
    queue = get_queue()
    queue.empty()
    r = client.post("/api/v1/auth/password-reset/request", json={"email": "nobody-here@example.com"},
                    headers={"X-Request-ID": "req-job-1"})
    assert r.status_code == 202
    job = next(j for j in queue.get_jobs() if j.func_name == "jobs.accounts.send_password_reset")
    assert job.meta["request_id"] == "req-job-1"
    with caplog.at_level(logging.INFO, logger="coworking_app.jobs"):
        Worker([Queue(queue.name, connection=get_rq_redis())], connection=get_rq_redis()).work(burst=True)
    lines = [rec for rec in caplog.records if rec.name == "coworking_app.jobs"]
    reset = next(rec for rec in lines if rec.function == "jobs.accounts.send_password_reset")
    assert reset.request_id == "req-job-1" and reset.outcome == "ok" and reset.job_id == job.id
