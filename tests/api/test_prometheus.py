"""A real Prometheus (Debian's package) scrapes the app as production would: two granian
processes sharing PROMETHEUS_MULTIPROC_DIR, /metrics behind METRICS_TOKEN, the project's own
rules loaded. Its API then shows the target up, a scraped series and a recorded one."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.api_server import free_port, serve_api

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = shutil.which("prometheus")
TOKEN = "prometheus-test-scrape-token"


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus missing (make test installs it)")
def test_prometheus_scrapes_the_app_and_records_its_rules(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    with serve_api(workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "METRICS_TOKEN": TOKEN}) as api:
        target = api.removeprefix("http://").removesuffix("/api/v1")
        for _ in range(20):
            assert httpx.get(f"{api}/health").status_code == 200
        assert httpx.get(f"http://{target}/metrics").status_code == 401  # the token is required
        (tmp_path / "token").write_text(TOKEN)
        for name in ("rules.yml", "alerts.yml"):
            shutil.copy(ROOT / "deploy" / "prometheus" / name, tmp_path / name)
        config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
        config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        app_job = next(job for job in config["scrape_configs"] if job["job_name"] == "coworking-app")
        app_job["authorization"]["credentials_file"] = str(tmp_path / "token")
        app_job["static_configs"] = [{"targets": [target]}]
        config["scrape_configs"] = [app_job]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = open(tmp_path / "prometheus.log", "wb")
        server = subprocess.Popen(
            [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            deadline = time.monotonic() + 60
            up = recorded = scraped = None
            while time.monotonic() < deadline and not (up and recorded and scraped):
                time.sleep(1)
                try:
                    targets = httpx.get(f"{base}/targets", timeout=5).json()["data"]["activeTargets"]
                    up = [t for t in targets if t["health"] == "up" and t["labels"]["job"] == "coworking-app"]
                    scraped = query(base, 'coworking_http_request_duration_seconds_count{route="/api/v1/health"}')
                    recorded = query(base, "coworking:http_requests:rate5m")
                except httpx.HTTPError:
                    continue
            assert up, (tmp_path / "prometheus.log").read_text()[-2000:]
            assert scraped and float(scraped[0]["value"][1]) >= 20, scraped
            assert recorded, "the recording rule produced no series"
            rules = httpx.get(f"{base}/rules", timeout=5).json()["data"]["groups"]
            assert {g["name"] for g in rules} == {"coworking-recorded", "coworking-alerts"}
            assert all(r["health"] == "ok" for g in rules for r in g["rules"]), rules
        finally:
            server.terminate()
            server.wait(20)
            log.close()


def query(base: str, expr: str) -> list:
    return httpx.get(f"{base}/query", params={"query": expr}, timeout=5).json()["data"]["result"]
