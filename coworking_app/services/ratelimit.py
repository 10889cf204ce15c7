"""Failed-attempt limits in Redis: fixed windows per key, shared by every app process."""

from __future__ import annotations

from coworking_app.db import get_cache_redis
from coworking_app.services.errors import RateLimited

_PREFIX = "ratelimit:"


def check_not_limited(keys: list[str], limit: int) -> None:
    """RateLimited if any key has reached `limit` failures in its current window."""
    redis = get_cache_redis()
    for key in keys:
        count = redis.get(_PREFIX + key)
        if count is not None and int(count) >= limit:
            ttl = redis.ttl(_PREFIX + key)
            raise RateLimited(ttl if ttl and ttl > 0 else 1)


def do_record_failure(keys: list[str], window_seconds: int) -> None:
    redis = get_cache_redis()
    pipe = redis.pipeline()
    for key in keys:
        pipe.incr(_PREFIX + key)
        pipe.expire(_PREFIX + key, window_seconds, nx=True)
    pipe.execute()


def do_clear(keys: list[str]) -> None:
    get_cache_redis().delete(*[_PREFIX + k for k in keys])


def do_take(key: str, limit: int, window_seconds: int) -> None:
    """Count one action against `limit` per window; RateLimited once the limit is passed
    (the refused action is not counted, so the window still ends on time)."""
    redis = get_cache_redis()
    pipe = redis.pipeline()
    pipe.incr(_PREFIX + key)
    pipe.expire(_PREFIX + key, window_seconds, nx=True)
    count, _ = pipe.execute()
    if count > limit:
        redis.decr(_PREFIX + key)
        ttl = redis.ttl(_PREFIX + key)
        raise RateLimited(ttl if ttl and ttl > 0 else 1, "Слишком много сообщений, подождите немного")
