"""Attempt limits in Redis: fixed windows per key, shared by every app process.

An attempt is counted before the work it limits (a password check, a mail), in one atomic
step for all its keys: twenty requests at once get twenty different counts, so no more
than the limit ever get through, however they interleave.
"""

from __future__ import annotations

from coworking_app.db import get_cache_redis
from coworking_app.services.common.errors import RateLimited
from coworking_app.i18n import N_

_PREFIX = "ratelimit:"

# KEYS: the counters; ARGV[1]: the window in seconds; ARGV[2..]: the limit of each key.
# Counts one attempt on every key; if any key is then over its limit, takes the attempt
# back from all of them (a refused attempt does not count, so the window still ends on
# time) and answers the longest wait in seconds; 0 when the attempt is allowed.
_TAKE = """
local wait = 0
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[1]) end
  if count > tonumber(ARGV[i + 1]) then
    local ttl = redis.call('TTL', key)
    if ttl < 1 then ttl = 1 end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then
  for _, key in ipairs(KEYS) do redis.call('DECR', key) end
end
return wait
"""
_script = None


def do_take(key: str | list[tuple[str, int]], limit: int = 0, window_seconds: int = 60,
            message: str = N_("Слишком много сообщений, подождите немного")) -> None:
    """Counts one attempt against `limit` per window for `key` (or against each
    (key, limit) of a list, all or none); RateLimited once a limit is passed."""
    global _script
    limits = [(key, limit)] if isinstance(key, str) else list(key)
    if not limits:
        return
    redis = get_cache_redis()
    if _script is None:
        _script = redis.register_script(_TAKE)
    wait = int(_script(keys=[_PREFIX + k for k, _ in limits],
                       args=[window_seconds, *[n for _, n in limits]], client=redis))
    if wait > 0:
        raise RateLimited(wait, message)


def do_give_back(keys: list[str]) -> None:
    """Un-counts one attempt (it turned out not to be one the limit is about)."""
    redis = get_cache_redis()
    pipe = redis.pipeline()
    for key in keys:
        pipe.decr(_PREFIX + key)
    pipe.execute()


def do_clear(keys: list[str]) -> None:
    get_cache_redis().delete(*[_PREFIX + k for k in keys])
