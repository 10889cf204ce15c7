"""The database and Redis fixtures (tests/db_fixtures.py) for the tests in this folder."""

from tests.db_fixtures import *  # noqa: F401,F403
from tests.mail_helpers import outbox  # noqa: F401,E402  (a file outbox for mail, per test)
