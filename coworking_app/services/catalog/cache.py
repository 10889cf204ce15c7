"""Redis cache of space pages, dropped whenever a space or anything its page shows changes.

Every service that changes a space, its photos, resources, tariffs or rating calls
`drop_space_pages(effects, ...)`: the unit of work deletes the keys after the transaction
commits (coworking_app/uow.py), nothing on rollback. A write path that forgets it shows the
old page for at most `space_cache_ttl_seconds`.
"""

from __future__ import annotations

import logging

import redis

from coworking_app import i18n
from coworking_app.db import get_cache_redis
from coworking_app.effects import Effects
from coworking_app.settings import get_settings

log = logging.getLogger(__name__)


def space_detail_key(space_id: int, language: str | None = None) -> str:
    """A space page in one language (its labels are worded in it; the current one by default).
    v4: one key per language; pages cached before are never read back."""
    return f"space:detail:v4:{space_id}:{language or i18n.current()}"


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


def drop_space_pages(effects: Effects, *space_ids: int | None) -> None:
    """The cached pages of these spaces go once the transaction commits."""
    effects.drop_cache(*(space_detail_key(i, language) for i in space_ids if i is not None
                         for language in i18n.LANGUAGES))
