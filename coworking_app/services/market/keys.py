"""Service keys: scoped keys for machines (the crawler posting its batches). Operators
create named keys in the panel for a crawler on another machine; a crawl run mints its own
key, valid until the run ends. Only the keyed digest of a key is stored; the key is shown
once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from coworking_app.services.accounts.security import digest, new_token
from coworking_app.services.common.errors import NotAuthenticated, NotFound
from coworking_app.services.market.sources import check_staff
from models import ServiceKey, User
from models.common import utcnow
from coworking_app.i18n import tr

INGEST_SCOPE = "market:ingest"
SCOPES = (INGEST_SCOPE,)
KEY_PREFIX = "csk_"  # "CoSpace service key": a key found in a log or a repository says what it is
RUN_KEY_HOURS = 6  # a run's own key outlives the longest crawl (jobs.market.CRAWL_TIMEOUT)


def _mint(name: str, scope: str, *, run_id: int | None = None, created_by: int | None = None,
          expires_at: datetime | None = None) -> tuple[ServiceKey, str]:
    raw = KEY_PREFIX + new_token()
    return ServiceKey(name=name[:100], scope=scope, prefix=raw[:12], key_hash=digest(raw), run_id=run_id,
                      created_by=created_by, expires_at=expires_at), raw


def do_create_key(session: Session, user: User | None, name: str, scope: str = INGEST_SCOPE) -> tuple[ServiceKey, str]:
    """A named key for a machine; the key itself is returned once and never again."""
    staff = check_staff(user)
    key, raw = _mint(name, scope, created_by=staff.id)
    session.add(key)
    session.flush()
    session.refresh(key)  # created_at from the database
    return key, raw


def do_create_run_key(session: Session, run_id: int, now: datetime | None = None) -> str:
    """The key a crawl run's child process posts its batches with (only for that run)."""
    key, raw = _mint(f"run {run_id}", INGEST_SCOPE, run_id=run_id,
                     expires_at=(now or utcnow()) + timedelta(hours=RUN_KEY_HOURS))
    session.add(key)
    session.flush()
    return raw


def list_keys(session: Session, user: User | None) -> list[ServiceKey]:
    """The named keys (not the runs' own), newest first."""
    check_staff(user)
    return list(session.scalars(select(ServiceKey).where(ServiceKey.run_id.is_(None))
                                .order_by(ServiceKey.created_at.desc(), ServiceKey.id.desc())))


def do_revoke_key(session: Session, user: User | None, key_id: int, now: datetime | None = None) -> ServiceKey:
    check_staff(user)
    key = session.get(ServiceKey, key_id, with_for_update=True)
    if key is None or key.run_id is not None:
        raise NotFound(tr("Ключ не найден"))
    if key.revoked_at is None:
        key.revoked_at = now or utcnow()
    return key


def do_revoke_run_keys(session: Session, run_id: int, now: datetime | None = None) -> None:
    """A run's keys stop working when the run ends."""
    for key in session.scalars(select(ServiceKey).where(ServiceKey.run_id == run_id,
                                                        ServiceKey.revoked_at.is_(None))):
        key.revoked_at = now or utcnow()


def access_key(session: Session, raw: str | None, scope: str, now: datetime | None = None) -> ServiceKey:
    """The live key `raw` with `scope`; NotAuthenticated (401) for anything else, without
    saying why (unknown, revoked, expired or another scope look the same)."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        raise NotAuthenticated(tr("Нужен действующий служебный ключ"))
    now = now or utcnow()
    key = session.scalar(select(ServiceKey).where(ServiceKey.key_hash == digest(raw)))
    if (key is None or key.scope != scope or key.revoked_at is not None
            or (key.expires_at is not None and key.expires_at <= now)):
        raise NotAuthenticated(tr("Нужен действующий служебный ключ"))
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        key.last_used_at = now  # at most a write a minute per key
    return key
