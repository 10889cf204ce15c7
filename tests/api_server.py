"""The API served as in production (granian, `coworking_app.api:create_api`) in a child
process on a free port of 127.0.0.1, for tests and benches whose own child processes call it
over HTTP (the market crawler posting its batches)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_api(*, workers: int = 1, env: dict[str, str] | None = None,
              log_path: Path | None = None) -> Iterator[str]:
    """Yields the API's base URL (".../api/v1") once /api/v1/health answers; the server's
    output goes to `log_path` when given."""
    port = free_port()
    log = open(log_path or os.devnull, "wb")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "asgi", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", "coworking_app.api:create_api"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as client:
            for _ in range(300):
                if server.poll() is not None:
                    raise RuntimeError(f"the API server exited with code {server.returncode}")
                try:
                    if client.get("/api/v1/health").status_code in (200, 503):
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            else:
                raise RuntimeError("the API server did not answer /api/v1/health")
        yield f"{base}/api/v1"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
