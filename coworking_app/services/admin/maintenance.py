"""Housekeeping: what keeps search fast, creating the database, the development outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from coworking_app.services.accounts.signup import recent_sign_up_mails
from models import Channel, Notification, User

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


@dataclass(frozen=True)
class DatabaseSetup:
    name: str
    created: bool  # false: it was there already
    postgis_available: bool  # the server has the PostGIS extension to install


def do_create_database(url: str) -> DatabaseSetup:
    """Creates the database of `url` if it does not exist yet (connected to the server's
    `postgres` database: CREATE DATABASE cannot run inside a transaction), and says whether
    the server offers PostGIS, which the first migration installs (`make db`, `make test`)."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            available = conn.scalar(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"))
    finally:
        admin.dispose()
    return DatabaseSetup(name=target.database, created=not exists, postgis_available=bool(available))


@dataclass(frozen=True)
class Mail:
    """A mail the application wrote, as `make outbox` prints it (development: with no mail
    transport, mail stays in the database and in var/outbox)."""

    created_at: datetime
    name: str  # "#12" (a notice's email) or "sign-up #3"
    status: str
    to: str
    subject: str
    body: str


def latest_mails(session: Session, limit: int = 10) -> list[Mail]:
    """The latest `limit` mails, oldest first: notices' emails and sign-up mails together."""
    rows = session.execute(
        select(Notification, User.email).join(User, User.id == Notification.user_id)
        .where(Notification.channel == Channel.email.value)
        .order_by(Notification.id.desc()).limit(limit))
    mails = [Mail(row.created_at, f"#{row.id}", row.status, email, row.title, row.body)
             for row, email in rows]
    mails += [Mail(row.created_at, f"sign-up #{row.id}", "sent" if row.sent_at else "pending",
                   row.email, row.subject, row.body)
              for row in recent_sign_up_mails(session, limit)]
    return sorted(mails, key=lambda m: (m.created_at, m.name))[-limit:]
