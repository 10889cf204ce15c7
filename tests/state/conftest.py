"""The database and Redis fixtures (tests/db_fixtures.py) for the tests of the page states'
base (state/page.py) against the real database."""

from tests.db_fixtures import *  # noqa: F401,F403
