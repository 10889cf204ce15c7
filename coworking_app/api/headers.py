"""Security headers on every HTTP response of the app.

This middleware sits on the FastAPI app that `api_transformer` wraps around the Reflex
backend, so it sees the pages (the production build served on the same port), `/api/v1`,
`/media`, `/tiles`, and Reflex's `/_upload`, `/ping` and `/_health`; websockets pass through.

Page policy (README "Security headers"): scripts only from the app itself, plus the inline
scripts of the production build (React Router's hydration data and streaming, the colour
mode and scroll restoration snippets), allowed one by one by their sha256, read from the
built HTML. `'unsafe-eval'` stays: Reflex runs code the server sends for `rx.toast` and
`rx.call_function` with `eval()` (.web/utils/state.js, event `_call_function`), and every
toast of the app goes that way. Styles need `'unsafe-inline'`: Radix and Emotion write
style attributes and `<style>` elements at run time. Every other response gets
`default-src 'none'` (nothing in an API answer or a photo may run or load anything).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coworking_app.services.common.storage import public_base_url
from coworking_app.settings import get_settings, origin_of

_INLINE_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_SRC = re.compile(rb"\bsrc\s*=", re.I)


def inline_script_hashes(build_dir: Path) -> list[str]:
    """CSP sources for every inline script in the built pages under `build_dir`."""
    hashes: set[str] = set()
    for page in build_dir.rglob("*.html"):
        if "assets" in page.relative_to(build_dir).parts:
            continue
        for attrs, body in _INLINE_SCRIPT.findall(page.read_bytes()):
            if body.strip() and not _SRC.search(attrs):
                hashes.add("'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'")
    return sorted(hashes)


def _build_dir() -> Path:
    from reflex.utils import prerequisites
    from reflex_base import constants

    return prerequisites.get_web_dir() / constants.Dirs.STATIC


_hash_cache: dict[tuple[Path, float], list[str]] = {}


def _page_script_hashes() -> list[str]:
    """The build's inline-script hashes, read again when the build changes."""
    build = _build_dir()
    try:
        stamp = (build, (build / "index.html").stat().st_mtime)
    except OSError:
        return []  # no production build here (API alone, or the Vite dev server)
    if stamp not in _hash_cache:
        _hash_cache.clear()
        _hash_cache[stamp] = inline_script_hashes(build)
    return _hash_cache[stamp]


def _image_sources() -> list[str]:
    base = public_base_url(get_settings())
    return [origin_of(base)] if base.startswith(("http://", "https://")) else []


def page_policy(script_hashes: list[str]) -> str:
    origins = get_settings().allowed_origins
    sockets = [o.replace("http", "ws", 1) for o in origins]
    return "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self' 'unsafe-eval'", *script_hashes]),
        "style-src 'self' 'unsafe-inline'",
        " ".join(["img-src 'self' data: blob:", *_image_sources()]),
        "font-src 'self' data:",
        " ".join(["connect-src 'self'", *origins, *sockets]),
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


# FastAPI's Swagger UI (/api/v1/docs) loads from jsDelivr and starts with an inline
# script; it shows no user content.
DOCS_POLICY = ("default-src 'none'; script-src https://cdn.jsdelivr.net 'unsafe-inline'; "
               "style-src https://cdn.jsdelivr.net 'unsafe-inline'; "
               "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; "
               "connect-src 'self'; frame-ancestors 'none'")
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


def common_headers() -> list[tuple[str, str]]:
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]
    if get_settings().base_url.startswith("https://"):
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


def instance_headers() -> list[tuple[str, str]]:
    """`X-Instance: <INSTANCE_ID>` when the instance has a name (docs/operations.md)."""
    instance = get_settings().instance_id
    return [("X-Instance", instance)] if instance else []


def caddy_headers(build_dir: Path) -> str:
    """The same page headers as a Caddyfile `header` block, for the Docker setup where
    Caddy serves the exported pages (Dockerfile writes it next to the export)."""
    lines = [("Content-Security-Policy", page_policy(inline_script_hashes(build_dir))),
             *common_headers()]
    body = "\n".join(f'\t{name} "{value}"' for name, value in lines)
    return "header {\n" + body + "\n}\n"


# Paths whose answers are never app pages, whatever their Content-Type says.
NOT_PAGES = ("/api/", "/media/", "/tiles/", "/maps/", "/_upload", "/_event", "/ping", "/_health")


def policy_for(path: str, content_type: bytes, docs_prefix: str = "/api/v1/docs") -> str:
    if content_type.startswith(b"text/html"):
        if path.startswith(docs_prefix):
            return DOCS_POLICY
        if not path.startswith(NOT_PAGES):
            return page_policy(_page_script_hashes())
    return OTHER_POLICY


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            # A 304 adds nothing: its headers would replace those of the cached answer, and
            # without a Content-Type it would get a policy that is not the page's.
            if message["type"] == "http.response.start" and message["status"] != 304:
                headers = message.get("headers", [])
                present = {name.lower() for name, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                policy = policy_for(scope["path"], content_type.lower())
                added = [(name.encode(), value.encode())
                         for name, value in [("Content-Security-Policy", policy), *common_headers(),
                                             *instance_headers()]
                         if name.lower().encode() not in present]
                message["headers"] = [*headers, *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
