"""HTTP status codes for pages the static frontend cannot judge.

The compiled frontend serves one HTML shell for every /spaces/<id> (the route exists), so
a space that is missing, hidden or never existed would answer 200. This ASGI wrapper looks
the id up before the HTML is served and, for a space nobody can see, lets the static files
answer as for an unknown URL: HTTP 404 with the site's own 404 page. The browser still
renders the space page's "not found" view (pages/not_found.py), so the status and the page
agree. Only GET/HEAD of page URLs are checked; /api, websocket and assets pass untouched.
"""

from __future__ import annotations

import re

from anyio import to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from coworking_app.db import read_scope
from coworking_app.services.catalog.spaces import is_public_space

_SPACE_PAGE = re.compile(r"^/spaces/([^/]*)/?$")
MISSING_PATH = "/__not_found__"  # no file and no route: the static files answer 404.html, 404


def _space_exists(raw_id: str) -> bool:
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 10):
        return False  # /spaces/abc
    with read_scope() as session:
        return is_public_space(session, int(raw_id))


def page_status(app: ASGIApp) -> ASGIApp:
    """Wraps the whole app (rx.App api_transformer): 404 for pages of missing spaces."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            match = _SPACE_PAGE.match(scope.get("path", ""))
            if match and not await to_thread.run_sync(_space_exists, match.group(1)):
                scope = {**scope, "path": MISSING_PATH, "raw_path": MISSING_PATH.encode()}
        await app(scope, receive, send)

    return wrapped
