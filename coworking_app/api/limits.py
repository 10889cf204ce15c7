"""Request body limits, enforced before anything reads the body into memory.

Reflex reads uploads whole and without a limit (reflex#6115), and so would FastAPI's
multipart parser; this ASGI middleware wraps both (it sits on the FastAPI app, which
mounts the Reflex backend). It refuses a declared Content-Length over the limit at once and
counts streamed bytes for chunked bodies.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from coworking_app.i18n import tr


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, default_limit: int,
                 limits: list[tuple[str, int]] | None = None) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = [(re.compile(pattern), limit) for pattern, limit in (limits or [])]

    def _limit_for(self, path: str) -> int:
        for pattern, limit in self.limits:
            if pattern.match(path):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, limit)
            return
        if declared is not None and b"transfer-encoding" not in headers:
            # The server frames such a body by its Content-Length: no more than that arrives,
            # so only other bodies need counting (wrapping receive and send for every JSON
            # request cost about 5% of a booking's CPU, measured). With Transfer-Encoding the
            # body is framed by its chunks whatever the length says: counted.
            await self.app(scope, receive, send)
            return
        received = 0
        exceeded = False
        replied = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Parsers may turn our exception into their own 400; the answer is still 413.
            nonlocal replied
            if exceeded:
                if not replied:
                    replied = True
                    await self._refuse(send, limit)
                return
            replied = replied or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            pass
        if exceeded and not replied:
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps({"detail": [{
            "loc": ["body"], "type": "too_large",
            "msg": tr("Запрос больше {value} МБ", value=limit // (1024 * 1024) or 1),
        }]}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        ]})
        await send({"type": "http.response.body", "body": body})
