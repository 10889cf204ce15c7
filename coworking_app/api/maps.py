"""GET /maps/{key}: a map document (coworking_app/maps.py `publish`) for the sandboxed map
frame. Outside /api/v1 and the OpenAPI: it is part of the pages, like /tiles/.

Its own headers (SecurityHeaders adds only what is missing): the document's CSP with its
inline scripts by hash, `frame-ancestors 'self'` and the frame's sandbox, so the document
keeps an opaque origin even when opened by itself.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from coworking_app import maps
from coworking_app.i18n import tr

router = APIRouter(include_in_schema=False)


@router.get("/maps/{key}")
def map_document(key: str) -> HTMLResponse:
    html = maps.published(key)
    found = html is not None
    html = html if found else tr(maps.MISSING_DOCUMENT)
    return HTMLResponse(html, status_code=200 if found else 404, headers={
        "Content-Security-Policy": maps.frame_policy(html),
        "X-Frame-Options": "SAMEORIGIN",
        # The key is an HMAC of the text: a URL always means the same document.
        "Cache-Control": "private, max-age=86400, immutable" if found else "no-store",
    })
