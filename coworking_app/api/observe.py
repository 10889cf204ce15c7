"""Per-request context for the API: a request id (the client's X-Request-ID if it is sane,
else a new one, echoed in the response), the client IP for the audit log, and the
response time for the dashboard's "average API response time" card."""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coworking_app import i18n
from coworking_app.services.admin.analytics import record_api_time
from coworking_app.services.admin.audit import audit_context

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_SCOPE_KEY = "coworking.request_id"


def request_id_of(scope: Scope) -> str | None:
    """The id RequestContext gave this request (None outside /api/): the error handlers,
    which run outside this middleware, name it in their answer and log line."""
    return scope.get(_SCOPE_KEY)


class RequestContext:
    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        scope[_SCOPE_KEY] = request_id
        # The language of the answer's messages: Accept-Language, else Russian (docs/i18n.md).
        language = i18n.negotiate(dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1"))
        client = scope.get("client")
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode()),
                                      (b"content-language", language.encode())]
            await send(message)

        try:
            with audit_context(request_id=request_id, ip=client[0] if client else None), i18n.use(language):
                await self.app(scope, receive, send_with_id)
        finally:
            record_api_time((time.perf_counter() - started) * 1000)
