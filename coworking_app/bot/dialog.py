"""Where each chat is in a dialogue (the search's filters, the booking being put together, a
reply awaited), one JSON document per chat in Redis (REDIS_URL, next to the web app's
sessions). Callback data carry short ids only; what they refer to is read from here, so a
restarted or second bot process continues any dialogue."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis
from telegram.ext import ContextTypes

TTL_SECONDS = 3 * 24 * 3600  # a dialogue left alone for three days starts over
_PREFIX = "bot:dialog:"


class Dialogs:
    def __init__(self, url: str) -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    async def get(self, chat_id: int) -> dict[str, Any]:
        raw = await self._redis.get(f"{_PREFIX}{chat_id}")
        try:
            value = json.loads(raw) if raw else {}
        except ValueError:
            value = {}
        return value if isinstance(value, dict) else {}

    async def save(self, chat_id: int, value: dict[str, Any]) -> None:
        await self._redis.set(f"{_PREFIX}{chat_id}", json.dumps(value, ensure_ascii=False, default=str),
                              ex=TTL_SECONDS)

    async def update(self, chat_id: int, **changes: Any) -> dict[str, Any]:
        value = await self.get(chat_id)
        value.update(changes)
        await self.save(chat_id, value)
        return value

    async def once(self, chat_id: int, token: str, seconds: int = 600) -> bool:
        """True the first time `token` is used in this chat (within `seconds`): a double tap on
        "Оплатить", or the same press delivered to two processes, books once."""
        return bool(await self._redis.set(f"bot:once:{chat_id}:{token}", 1, nx=True, ex=seconds))

    async def close(self) -> None:
        await self._redis.aclose()


def dialogs(context: ContextTypes.DEFAULT_TYPE) -> Dialogs:
    """The process's dialogue store (made in app.post_init)."""
    return context.bot_data["dialogs"]
