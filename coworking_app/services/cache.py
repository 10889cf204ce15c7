"""Redis cache of space pages, invalidated whenever a space or its parts change.

Invalidation hangs on the SQLAlchemy session: any flush that touches a Space, Photo,
Resource or Tariff records the space id, and the cache keys are deleted after the
transaction commits. Every write path (services, CLI, jobs) gets it for free.
"""

from __future__ import annotations

import logging

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from coworking_app.db import get_cache_redis
from coworking_app.settings import get_settings

log = logging.getLogger(__name__)
_PENDING_KEY = "pending_space_invalidations"


def space_detail_key(space_id: int) -> str:
    # v3: tariffs gained `id` and photos `position` (one ResourceOut/PhotoOut for the page
    # and the owner's editor); pages cached before are never read back.
    return f"space:detail:v3:{space_id}"


def cache_get(key: str) -> bytes | None:
    try:
        return get_cache_redis().get(key)
    except redis.RedisError as exc:  # a cache outage must not break reading
        log.warning("cache read failed: %s", exc)
        return None


def cache_set(key: str, value: str | bytes) -> None:
    try:
        get_cache_redis().set(key, value, ex=get_settings().space_cache_ttl_seconds)
    except redis.RedisError as exc:
        log.warning("cache write failed: %s", exc)


def invalidate_spaces(space_ids: set[int]) -> None:
    if not space_ids:
        return
    try:
        get_cache_redis().delete(*(space_detail_key(i) for i in space_ids))
    except redis.RedisError as exc:
        log.error("cache invalidation failed for %s: %s", sorted(space_ids), exc)


def _space_id_of(obj: object, session: OrmSession) -> int | None:
    from models import Photo, Resource, Space, Tariff

    if isinstance(obj, Space):
        return obj.id
    if isinstance(obj, (Photo, Resource)):
        return obj.space_id
    if isinstance(obj, Tariff):
        resource = session.get(Resource, obj.resource_id) if obj.resource_id else None
        return resource.space_id if resource else None
    return None


@event.listens_for(OrmSession, "after_flush")
def _collect_changed_spaces(session: OrmSession, flush_context) -> None:
    pending: set[int] = session.info.setdefault(_PENDING_KEY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        space_id = _space_id_of(obj, session)
        if space_id is not None:
            pending.add(space_id)


@event.listens_for(OrmSession, "after_commit")
def _invalidate_after_commit(session: OrmSession) -> None:
    invalidate_spaces(session.info.pop(_PENDING_KEY, set()))


@event.listens_for(OrmSession, "after_rollback")
def _forget_after_rollback(session: OrmSession) -> None:
    session.info.pop(_PENDING_KEY, None)
