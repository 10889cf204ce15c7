"""Mail in the service tests: a file outbox per test, and a burst of a real RQ worker that
delivers what is queued into it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coworking_app.settings import get_settings
from tests.conftest import ROOT, TEST_ENV


@pytest.fixture()
def outbox(tmp_path, monkeypatch):
    """MAIL_OUTBOX_DIR for this test: every mail sent lands in it as an .eml file."""
    monkeypatch.setenv("MAIL_OUTBOX_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    monkeypatch.undo()
    get_settings.cache_clear()


def burst_worker(env_extra: dict[str, str]) -> None:
    """A real RQ worker on the default queue until it is empty, with `env_extra` set."""
    env = {**TEST_ENV, **os.environ, **env_extra, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "rq.cli", "worker", "-w", "rq.worker.SimpleWorker",
                    "--burst", "--url", TEST_ENV["RQ_REDIS_URL"], "default"], cwd=ROOT, env=env, check=True,
                   timeout=120, capture_output=True)
