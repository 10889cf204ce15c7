"""Housekeeping that keeps search fast."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlmodel import Session

SEARCH_TABLES = ("space", "space_search", "resource", "tariff", "photo", "transit_stop", "district")


def do_refresh_planner_statistics(session: Session) -> list[str]:
    """ANALYZE the tables search reads, so the planner keeps choosing the right indexes."""
    for table in SEARCH_TABLES:
        session.execute(text(f"ANALYZE {table}"))
    return list(SEARCH_TABLES)


def do_vacuum_after_bulk_load(engine: Engine) -> None:
    """VACUUM ANALYZE after a bulk load, so index-only scans see all-visible pages at once
    instead of waiting for autovacuum (VACUUM cannot run inside a transaction)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in SEARCH_TABLES:
            conn.execute(text(f"VACUUM ANALYZE {table}"))
