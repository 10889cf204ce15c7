"""Browser tests: the built app on the demo data (E2E_DB) and Debian's Chromium, shared by
every module (tests/e2e_fixtures.py). Every test here carries the `browser` marker
(tests/conftest.py): `pytest -m "not browser"` runs everything else."""

from tests.e2e_fixtures import app_url, browser  # noqa: F401
