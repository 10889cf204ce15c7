"""Housekeeping that keeps search fast (services/admin/maintenance.py): the tables search reads
get fresh planner statistics, and a bulk load is vacuumed at once."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from sqlalchemy import text

from coworking_app.db import get_engine
from tests.uow_helpers import transaction
from coworking_app.services.admin import maintenance


def _stamps(column: str) -> dict[str, datetime | None]:
    """Per search table, when it was last analysed or vacuumed by hand (statistics reach
    pg_stat a moment after the statement)."""
    with get_engine().connect() as conn:
        return dict(conn.execute(text(f"SELECT relname, {column} FROM pg_stat_user_tables "
                                      "WHERE relname = ANY(:t)"), {"t": list(maintenance.SEARCH_TABLES)}).all())


def _wait_until_all_after(column: str, since: datetime) -> dict[str, datetime | None]:
    for _ in range(50):
        stamps = _stamps(column)
        if len(stamps) == len(maintenance.SEARCH_TABLES) and all(t and t >= since for t in stamps.values()):
            break
        time.sleep(0.1)
    return stamps


def test_planner_statistics_are_refreshed_for_every_table_search_reads(world):
    since = datetime.now(timezone.utc)
    with transaction() as s:
        assert maintenance.do_refresh_planner_statistics(s) == list(maintenance.SEARCH_TABLES)
    stamps = _wait_until_all_after("last_analyze", since)
    assert {table for table, at in stamps.items() if at and at >= since} == set(maintenance.SEARCH_TABLES)


def test_a_bulk_load_is_vacuumed_at_once(world):
    since = datetime.now(timezone.utc)
    maintenance.do_vacuum_after_bulk_load(get_engine())
    stamps = _wait_until_all_after("last_vacuum", since)
    assert {table for table, at in stamps.items() if at and at >= since} == set(maintenance.SEARCH_TABLES)
