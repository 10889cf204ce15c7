"""Sentry (coworking_app/observability.py) against a fake Sentry on 127.0.0.1: the real SDK in
the app served by granian sends the envelope of a forced error (the database unreachable),
with the environment, the release, the request id and the user's id, and without the token
or any email."""

from __future__ import annotations

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from coworking_app.services.accounts.security import issue_access_token
from tests.api_server import serve_api


class FakeSentry(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # the SDK's choice when brotli is installed
            import brotli

            body = brotli.decompress(body)
        FakeSentry.received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "0"}')

    def log_message(self, *args) -> None:
        pass


def events(raw: list[bytes]) -> list[dict]:
    """The error events inside the envelopes (a header line, then item header/payload pairs)."""
    found = []
    for envelope in raw:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2]):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_a_server_error_reaches_sentry_with_who_and_which_request_and_no_secrets():
    FakeSentry.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/42"
    token, _ = issue_access_token(4242, "s" * 32)
    try:
        env = {"SENTRY_DSN": dsn, "APP_RELEASE": "cospace@test-1", "SENTRY_TRACES_SAMPLE_RATE": "0",
               # The forced error: nothing listens there, so a search fails unexpectedly.
               "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:9/nothing_here"}
        with serve_api(env=env) as api:
            r = httpx.get(f"{api}/spaces", params={"city": "Москва"},
                          headers={"X-Request-ID": "req-sentry-1", "Authorization": f"Bearer {token}"}, timeout=30)
            assert r.status_code == 500 and r.json()["request_id"] == "req-sentry-1"
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not events(FakeSentry.received):
                time.sleep(0.2)
    finally:
        server.shutdown()
    found = events(FakeSentry.received)
    assert found, "no event reached the fake Sentry"
    event = next(e for e in found if e.get("tags", {}).get("request_id") == "req-sentry-1")
    assert event["environment"] == "test" and event["release"] == "cospace@test-1"
    assert event["tags"]["component"] == "app"
    assert event["user"] == {"id": "4242"}
    assert event["exception"]["values"][-1]["type"] == "OperationalError"
    everything = b"".join(FakeSentry.received).decode("utf-8", "replace")
    assert token not in everything and "@example.com" not in everything


def test_a_page_handler_error_reaches_sentry_and_the_person_reads_russian():
    """A Reflex event handler that raises: state.auth.on_backend_exception reports it (the
    app process starts Sentry when it builds the API) and answers with a Russian toast."""
    import subprocess
    import sys
    from pathlib import Path

    FakeSentry.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = Path(__file__).resolve().parents[2]
    code = (
        "from coworking_app.observability import flush, start_sentry\n"
        "from coworking_app.services.admin.audit import audit_context\n"
        "start_sentry('app')\n"
        "from state.auth import on_backend_exception\n"
        "with audit_context(request_id='req-page-1'):\n"
        "    try:\n"
        "        raise ZeroDivisionError('в обработчике страницы')\n"
        "    except ZeroDivisionError as exc:\n"
        "        answer = on_backend_exception(exc)\n"
        "flush(5)\n"
        "print(answer)\n")
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                              env={**__import__("os").environ, "PYTHONPATH": str(root),
                                   "SENTRY_DSN": f"http://k@127.0.0.1:{server.server_address[1]}/7"})
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Что-то пошло не так" in done.stdout and "An error occurred" not in done.stdout
    event = next(e for e in events(FakeSentry.received)
                 if e["exception"]["values"][-1]["type"] == "ZeroDivisionError")
    assert event["tags"]["request_id"] == "req-page-1" and event["tags"]["component"] == "app"
