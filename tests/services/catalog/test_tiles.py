"""Map tiles fetched for the sandboxed map (services/catalog/tiles.py) from a local tile server:
only images come back, with the tile server's caching or a day's; anything else is
"unavailable". The route around it (/tiles/..., 404 and 502): tests/api/test_security_headers.py."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from coworking_app.services.catalog import tiles
from coworking_app.services.common.errors import NotFound
from coworking_app.settings import get_settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class _Upstream(BaseHTTPRequestHandler):
    """/ok: a PNG with its own caching; /plain: a PNG without; /html: a page; /big: an image
    over the limit; /gone: 404."""

    def do_GET(self):  # noqa: N802
        kind = self.path.split("/")[1]
        status, media_type, body, cache = {
            "ok": (200, "image/png", PNG, "max-age=604800"),
            "plain": (200, "image/png; charset=binary", PNG, None),
            "html": (200, "text/html", b"<h1>Access blocked</h1>", None),
            "big": (200, "image/png", b"\x00" * (tiles.MAX_TILE_BYTES + 1), None),
            "gone": (404, "image/png", PNG, None),
        }[kind]
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        if cache:
            self.send_header("Cache-Control", cache)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _fetch(monkeypatch, upstream: str, kind: str, z: int = 3, x: int = 4, y: int = 2) -> tiles.Tile:
    monkeypatch.setattr(get_settings(), "tile_upstream_url", f"{upstream}/{kind}/{{z}}/{{x}}/{{y}}.png")
    return asyncio.run(tiles.fetch_tile(z, x, y))


def test_an_image_comes_back_with_the_tile_servers_caching_or_a_days(monkeypatch, upstream):
    tile = _fetch(monkeypatch, upstream, "ok")
    assert (tile.content, tile.media_type, tile.cache_control) == (PNG, "image/png", "max-age=604800")
    plain = _fetch(monkeypatch, upstream, "plain")
    assert (plain.media_type, plain.cache_control) == ("image/png", "public, max-age=86400")


@pytest.mark.parametrize("kind", ["html", "big", "gone"])
def test_anything_but_an_image_is_unavailable(monkeypatch, upstream, kind):
    with pytest.raises(tiles.TileUnavailable):
        _fetch(monkeypatch, upstream, kind)


def test_an_unreachable_tile_server_is_unavailable(monkeypatch):
    monkeypatch.setattr(get_settings(), "tile_upstream_url", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    with pytest.raises(tiles.TileUnavailable):
        asyncio.run(tiles.fetch_tile(0, 0, 0))


@pytest.mark.parametrize(("z", "x", "y"), [(20, 0, 0), (-1, 0, 0), (3, 8, 0), (3, 0, 8), (0, 0, -1)])
def test_a_tile_outside_the_world_does_not_exist(z, x, y):
    with pytest.raises(NotFound) as refused:
        tiles.check_tile(z, x, y)
    assert refused.value.message == "Такого фрагмента карты нет"
    tiles.check_tile(19, 2**19 - 1, 0)  # the last tile of the deepest zoom exists
