"""Security headers on API, media and tile answers (the API app alone; pages, CORS and the
websocket are checked on the running app in test_browser_security.py), the page policy
built from a production build, and the tile proxy against a local stand-in tile server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from coworking_app.api.headers import caddy_headers, inline_script_hashes, page_policy
from coworking_app.settings import Settings, get_settings

API = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _assert_common(headers) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_api_media_and_errors_carry_the_headers(client):
    for path, status in ((f"{API}/health", 200), (f"{API}/spaces/2147483647", 404),
                         ("/media/spaces/none.jpg", 404), ("/tiles/99/0/0.png", 404)):
        r = client.get(path)
        assert r.status_code == status, path
        _assert_common(r.headers)
        assert r.headers["content-security-policy"].startswith("default-src 'none'"), path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "strict-transport-security" not in r.headers  # PUBLIC_URL is not https here
    docs = client.get(f"{API}/docs")
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]


def test_a_not_modified_answer_keeps_the_cached_headers(client):
    """A 304 must not carry a policy: browsers would store it over the cached page's."""
    path = get_settings().media_root / "headers-test.jpg"
    path.write_bytes(b"\xff\xd8\xff\xd9")
    first = client.get("/media/headers-test.jpg")
    assert first.status_code == 200 and "content-security-policy" in first.headers
    again = client.get("/media/headers-test.jpg", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert "content-security-policy" not in again.headers


def test_hsts_only_when_the_public_url_is_https(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "public_url", "https://cospace.example")
    r = client.get(f"{API}/health")
    assert r.headers["strict-transport-security"] == "max-age=31536000"


def test_page_policy_allows_exactly_the_builds_inline_scripts(tmp_path):
    (tmp_path / "admin").mkdir()
    (tmp_path / "index.html").write_text(
        '<html><head><script>window.a = 1;</script><script src="/x.js"></script>'
        '<script type="module">import "/m.js";</script></head></html>', encoding="utf-8")
    (tmp_path / "admin" / "index.html").write_text("<script>window.a = 1;</script>"
                                                   "<SCRIPT>b()</SCRIPT>", encoding="utf-8")
    hashes = inline_script_hashes(tmp_path)
    assert len(hashes) == 3  # two distinct inline scripts and the module one; src= is not inline
    policy = page_policy(hashes)
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src")).split()
    assert set(hashes) <= set(script_src)  # and no map script: maps are documents of their own
    assert "'unsafe-inline'" not in script_src
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "connect-src 'self' http://localhost:3000 http://127.0.0.1:3000 " \
           "ws://localhost:3000 ws://127.0.0.1:3000" in policy


def test_caddy_gets_the_same_page_headers(tmp_path):
    (tmp_path / "index.html").write_text("<script>window.a = 1;</script>", encoding="utf-8")
    block = caddy_headers(tmp_path)
    assert block.startswith("header {\n") and block.endswith("}\n")
    assert f'\tContent-Security-Policy "{page_policy(inline_script_hashes(tmp_path))}"' in block
    assert '\tX-Frame-Options "DENY"' in block and '\tX-Content-Type-Options "nosniff"' in block


def test_allowed_origins():
    assert Settings().allowed_origins == ["http://localhost:3000", "http://127.0.0.1:3000"]
    assert Settings(public_url="https://CoSpace.example/").allowed_origins == ["https://cospace.example"]
    assert Settings(public_url="https://cospace.example", cors_extra_origins=(
        " https://admin.cospace.example:443 ,http://partner.example:8080/path")).allowed_origins \
        == ["https://cospace.example", "https://admin.cospace.example", "http://partner.example:8080"]
    with pytest.raises(ValueError):
        Settings(cors_extra_origins="null")


class _Tiles(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_GET(self):  # noqa: N802
        _Tiles.seen.append({"path": self.path, "referer": self.headers.get("Referer"),
                            "agent": self.headers.get("User-Agent")})
        if self.path.startswith("/down/"):
            self.send_response(503)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Cache-Control", "max-age=604800")
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


@pytest.fixture()
def tile_server(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(get_settings(), "tile_upstream_url", base + "/{z}/{x}/{y}.png")
    _Tiles.seen.clear()
    yield base
    server.shutdown()


def test_tiles_come_through_the_app_with_the_sites_referer(client, tile_server, monkeypatch):
    r = client.get("/tiles/12/2476/1281.png")
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "max-age=604800"
    _assert_common(r.headers)
    [seen] = _Tiles.seen
    assert seen["path"] == "/12/2476/1281.png"
    assert seen["referer"] == "http://localhost:3000/"
    assert seen["agent"].startswith("CoSpace/")

    for path in ("/tiles/20/0/0.png", "/tiles/3/8/0.png", "/tiles/3/0/-1.png"):
        assert client.get(path).status_code == 404, path
    assert len(_Tiles.seen) == 1  # refused before asking the tile server

    monkeypatch.setattr(get_settings(), "tile_upstream_url", tile_server + "/down/{z}/{x}/{y}.png")
    r = client.get("/tiles/1/0/0.png")
    assert r.status_code == 502 and r.json()["detail"].startswith("Карта")
