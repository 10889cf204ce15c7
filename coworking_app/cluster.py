"""Several instances of the app on one Redis (docs/operations.md): what Reflex 0.10's
Redis token manager needs for a tab to keep its session when the instance holding its
websocket dies.

Reflex records, per tab token, which server process holds its socket
(`token_manager_socket_record_<token>`, an hour's expiry). A tab that connects while that
record exists is taken for a duplicated browser tab and handed a NEW token, i.e. a fresh,
empty page state. A process that was killed (OOM, a node lost, SIGKILL) never deletes its
records, so every tab it served would lose its state on reconnecting to another instance.

Here each server process keeps a heartbeat key alive in Redis (every second, three seconds'
expiry). A tab that connects while another process's record names its token waits up to
TAKEOVER_WAIT_SECONDS: as soon as the record is gone (the old process saw the disconnect) or
its process has no heartbeat (dead), the record is dropped and the tab keeps its token and
state. A record whose process stays alive is a real duplicate tab: Reflex gives it a new
token, as before, after the wait.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time

from reflex.utils import token_manager

log = logging.getLogger(__name__)

ALIVE_PREFIX = "cospace_instance_alive_"
BEAT_SECONDS = 1.0
ALIVE_SECONDS = 3
TAKEOVER_WAIT_SECONDS = ALIVE_SECONDS + 1.0


class ClusterTokenManager(token_manager.RedisTokenManager):
    _beat_task: asyncio.Task | None = None

    def _ensure_beat(self) -> None:
        if self._beat_task is None or self._beat_task.done():
            self._beat_task = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        while True:
            try:
                await self.redis.set(ALIVE_PREFIX + self.instance_id, b"1", ex=ALIVE_SECONDS)
            except Exception as exc:  # noqa: BLE001  (Redis away: Reflex reports it elsewhere)
                log.warning("instance heartbeat failed: %s", exc)
            await asyncio.sleep(BEAT_SECONDS)

    async def link_token_to_sid(self, token: str, sid: str) -> str | None:
        self._ensure_beat()
        local = self.token_to_socket.get(token)
        if local is None or local.sid != sid:
            await self._release_if_orphaned(token)
        return await super().link_token_to_sid(token, sid)

    async def _release_if_orphaned(self, token: str) -> None:
        key = self._get_redis_key(token)
        deadline = time.monotonic() + TAKEOVER_WAIT_SECONDS
        while True:
            try:
                raw = await self.redis.get(key)
                if not raw:
                    return
                record = pickle.loads(raw)
                if record.instance_id == self.instance_id:
                    return  # this process's own: Reflex knows what to do with it
                if not await self.redis.exists(ALIVE_PREFIX + record.instance_id):
                    # Its process is gone: a leftover. Deleted only if still the same record.
                    async with self.redis.pipeline(transaction=True) as pipe:
                        await pipe.watch(key)
                        if await pipe.get(key) == raw:
                            pipe.multi()
                            pipe.delete(key)
                            await pipe.execute()
                    log.info("tab %s… taken over from a dead instance", token[:8])
                    return
            except Exception as exc:  # noqa: BLE001  (leave it to Reflex's own handling)
                log.warning("socket record check failed: %s", exc)
                return
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(0.25)


def install() -> None:
    """Makes Reflex create ClusterTokenManager wherever it would create its Redis one; called
    by the app module before the App exists."""
    if getattr(token_manager.TokenManager.create, "_cospace", False):
        return
    original = token_manager.TokenManager.create.__func__

    def create(cls):
        manager = original(cls)
        if type(manager) is token_manager.RedisTokenManager:
            manager.__class__ = ClusterTokenManager
        return manager

    create._cospace = True
    token_manager.TokenManager.create = classmethod(create)
