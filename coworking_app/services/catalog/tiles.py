"""Map tiles through the app (`GET /tiles/{z}/{x}/{y}.png`).

The map runs in a sandboxed frame with an opaque origin (coworking_app/maps.py) whose CSP
names only the app's own paths, and OpenStreetMap's tile servers refuse requests without a
Referer ("403r Access blocked: Referer is required", tile usage policy), which a sandboxed
frame may not send. So the server fetches each tile with the site as Referer and a
User-Agent naming it, and the browser caches it as the tile server says. Nothing is stored
here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from coworking_app.services.common.errors import NotFound
from coworking_app.settings import get_settings
from coworking_app.i18n import tr

MAX_ZOOM = 19
MAX_TILE_BYTES = 1024 * 1024
DEFAULT_CACHE = "public, max-age=86400"


class TileUnavailable(Exception):
    """The tile server did not answer with an image."""


@dataclass(frozen=True)
class Tile:
    content: bytes
    media_type: str
    cache_control: str


def check_tile(z: int, x: int, y: int) -> None:
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise NotFound(tr("Такого фрагмента карты нет"))


_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}


def _client() -> httpx.AsyncClient:
    """One pooled client per event loop (each server process has one loop)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        for old in [k for k in _clients if k.is_closed()]:
            del _clients[old]
        site = get_settings().base_url
        client = _clients[loop] = httpx.AsyncClient(
            timeout=httpx.Timeout(10.0, connect=5.0),
            # A few kept-alive connections per process: polite to the tile server, and new
            # connections (whose DNS lookups take a thread of the shared pool) stay rare.
            limits=httpx.Limits(max_connections=6, max_keepalive_connections=6),
            headers={"User-Agent": f"CoSpace/1.0 (+{site})", "Referer": f"{site}/"},
        )
    return client


async def fetch_tile(z: int, x: int, y: int) -> Tile:
    check_tile(z, x, y)
    url = get_settings().tile_upstream_url.format(z=z, x=x, y=y)
    try:
        response = await _client().get(url)
    except httpx.HTTPError as exc:
        raise TileUnavailable(str(exc)) from exc
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if response.status_code != 200 or not media_type.startswith("image/") \
            or len(response.content) > MAX_TILE_BYTES:
        raise TileUnavailable(f"{response.status_code} {media_type}")
    return Tile(response.content, media_type,
                response.headers.get("cache-control") or DEFAULT_CACHE)
