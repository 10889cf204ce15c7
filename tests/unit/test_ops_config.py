"""The Prometheus configuration, its alert rules and the Grafana dashboard (deploy/):
promtool accepts them, every alert fires on what should fire it (alerts.test.yml), and every
metric the rules and panels read is one the app exposes (a typo would chart nothing)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from coworking_app import metrics

ROOT = Path(__file__).resolve().parents[2]
PROM = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "coworking.json"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool missing (make test installs prometheus)")

# Families read at scrape time (coworking_app/api/metrics.py ScrapeTime), beside metrics.py's.
SCRAPE_TIME = {"coworking_bookings_active", "coworking_rq_jobs", "coworking_backup_last_success_timestamp_seconds",
               "coworking_backup_last_size_bytes", "coworking_disk_free_ratio", "coworking_rq_workers",
               "coworking_rq_cron_schedulers"}


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], cwd=PROM, capture_output=True, text=True, timeout=60)


@needs_promtool
def test_promtool_accepts_the_config_and_the_rules():
    done = promtool("check", "config", "--syntax-only", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    done = promtool("check", "rules", "rules.yml", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_each_alert_fires_when_it_should_and_not_before():
    done = promtool("test", "rules", "alerts.test.yml")
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr
    tested = set(re.findall(r"alertname: (\w+)", (PROM / "alerts.test.yml").read_text()))
    defined = {rule["alert"] for group in yaml.safe_load((PROM / "alerts.yml").read_text())["groups"]
               for rule in group["rules"]}
    assert defined == tested, defined ^ tested  # no alert without a test


@needs_promtool
def test_a_broken_rule_is_refused(tmp_path):
    (tmp_path / "bad.yml").write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(\n")
    done = subprocess.run([PROMTOOL, "check", "rules", str(tmp_path / "bad.yml")], capture_output=True, text=True)
    assert done.returncode != 0


def exposed() -> set[str]:
    names = set(SCRAPE_TIME)
    for value in vars(metrics).values():
        if hasattr(value, "_name") and hasattr(value, "_type"):
            base = value._name
            names.add(base)
            if value._type == "counter":
                names.add(base + "_total")
            if value._type == "histogram":
                names |= {base + "_bucket", base + "_count", base + "_sum"}
    return names


def used_in(expr: str) -> set[str]:
    return set(re.findall(r"\b(coworking_[a-z_]+)\b", expr))


def test_rules_and_panels_read_only_metrics_the_app_exposes():
    known = exposed()
    exprs = [rule["expr"] for file in ("rules.yml", "alerts.yml")
             for group in yaml.safe_load((PROM / file).read_text())["groups"] for rule in group["rules"]]
    dashboard = json.loads(DASHBOARD.read_text())
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    unknown = {name for expr in exprs for name in used_in(expr)} - known
    assert not unknown, unknown
    # The panels the issue asks for are on the dashboard.
    text = json.dumps(dashboard)
    for family in ("coworking_http_request_duration_seconds_bucket", "coworking_http_requests_in_flight",
                   "coworking_websocket_connections", "coworking_reflex_event_duration_seconds_bucket",
                   "coworking_booking_events_total", "coworking_bookings_active", "coworking_rq_jobs",
                   "coworking_job_duration_seconds_bucket", "coworking_jobs_failed_total",
                   "coworking_notification_deliveries_total", "coworking_search_requests_total",
                   "coworking_search_duration_seconds_bucket", "coworking_db_pool_connections_in_use",
                   "coworking_external_call_duration_seconds_bucket", "coworking_external_call_errors_total"):
        assert family in text, family
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:  # nothing overflows Grafana's 24-column grid
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
