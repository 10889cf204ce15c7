"""Local servers for the crawler's tests, on 127.0.0.1 (never the internet):

- `SiteServer`: serves a fixture site's static files (tests/market/sites/*), answers 500 for the
  paths it is told to, 404 for missing files, and logs every path requested (query included)
  with its user agent, so a test can tell what the crawler never fetched.
- `FakeIngestApi`: stands in for `POST /api/v1/market/listings/batch` in the crawler-level
  tests only: it records each batch and answers as the contract says (401 for another key,
  per-item results); the end-to-end tests run the real API.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer, BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BATCH_PATH = "/api/v1/market/listings/batch"


class _Quiet:
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        pass


class SiteServer:
    """`with SiteServer(root, fail_paths={"/x.html"}) as site:` ... `site.url`, `site.requests`."""

    def __init__(self, root: Path, *, fail_paths: set[str] | frozenset[str] = frozenset()):
        self.root = Path(root)
        self.fail_paths = set(fail_paths)
        self.requests: list[str] = []
        self.user_agents: list[str] = []
        self._lock = threading.Lock()
        site = self

        class Handler(_Quiet, SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any):
                super().__init__(*args, directory=str(site.root), **kwargs)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                with site._lock:
                    site.requests.append(self.path)
                    site.user_agents.append(self.headers.get("User-Agent", ""))
                if urlsplit(self.path).path in site.fail_paths:
                    self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "Broken on purpose")
                    return
                super().do_GET()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def paths(self) -> list[str]:
        with self._lock:
            return list(self.requests)

    def agents(self) -> list[str]:
        with self._lock:
            return list(self.user_agents)

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeIngestApi:
    """Records batches; answers 200 with per-item results ("created", or "error" with the reason
    for the external ids in `refuse_ids`), 401 for another key, `status` for every batch when
    set (e.g. 503), 422 from the `refuse_from`-th batch on."""

    def __init__(self, *, token: str = "test-run-key", refuse_ids: dict[str, str] | None = None,
                 status: int | None = None, refuse_from: int | None = None):
        self.token = token
        self.refuse_ids = refuse_ids or {}
        self.status = status
        self.refuse_from = refuse_from
        self.batches: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.attempts = 0
        self._lock = threading.Lock()
        api = self

        class Handler(_Quiet, BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with api._lock:
                    api.attempts += 1
                if self.path != BATCH_PATH:
                    return self._answer(404, {"detail": "Не найдено"})
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    return self._answer(401, {"detail": "Ключ не принят"})
                if api.status:
                    return self._answer(api.status, {"detail": "Временно недоступно"})
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._answer(422, {"detail": [{"loc": ["body"], "msg": "Некорректный JSON"}]})
                if api.refuse_from and len(api.batches) + 1 >= api.refuse_from:
                    return self._answer(422, {"detail": [{"loc": ["body", "items", 0], "msg": "Пакет не принят"}]})
                if len(body.get("items", [])) > 100:
                    return self._answer(422, {"detail": [{"loc": ["body", "items"], "msg": "Не больше 100"}]})
                with api._lock:
                    api.batches.append(body)
                    api.headers.append(dict(self.headers))
                results = []
                for item in body.get("items", []):
                    reason = api.refuse_ids.get(item["external_id"])
                    results.append({"external_id": item["external_id"], "status": "error" if reason else "created",
                                    "reason": reason})
                stored = sum(1 for r in results if r["status"] != "error")
                return self._answer(200, {"results": results, "stored": stored, "errors": len(results) - stored})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def items(self) -> list[dict[str, Any]]:
        return [item for batch in self.batches for item in batch["items"]]

    def errors(self) -> list[dict[str, str]]:
        return [error for batch in self.batches for error in batch["errors"]]

    def pages(self) -> int:
        return sum(batch["pages"] for batch in self.batches)

    def __enter__(self) -> FakeIngestApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
