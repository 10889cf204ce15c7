"""Photo uploads: decoded by content, EXIF dropped, limits on size, type, pixels and count."""

from __future__ import annotations

import io
import os

from PIL import Image

from coworking_app.services.common.media import media_path
from models import PHOTO_LIMIT
from tests.image_helpers import assert_no_metadata, hostile_jpeg, hostile_png

API = "/api/v1"


def _jpeg_with_exif(size=(1200, 800)) -> bytes:
    image = Image.new("RGB", size, (40, 150, 140))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x8825] = {2: (55.0, 45.0, 0.0)}  # GPS info: where the photo was taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _png(size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def _owner_space(client, make_user, login):
    _id, email, password = make_user("owner")
    auth = login(email, password)
    r = client.post(f"{API}/spaces", headers=auth, json={
        "name": "Фотостудия", "address": "Москва, ул. Тверская, 9", "lat": 55.7649, "lon": 37.605})
    assert r.status_code == 201, r.text
    return auth, r.json()["id"]


def _upload(client, auth, space_id, data, name="photo.jpg", mime="image/jpeg"):
    return client.post(f"{API}/spaces/{space_id}/photos", headers=auth,
                       files={"file": (name, data, mime)})


def test_upload_strips_exif_makes_thumbnail_and_accepts_png_named_jpg(client, make_user, login):
    auth, space_id = _owner_space(client, make_user, login)
    r = _upload(client, auth, space_id, _jpeg_with_exif())
    assert r.status_code == 201, r.text
    photo = r.json()
    stored = Image.open(media_path(photo["url"].split("/media/")[1]))
    assert stored.format == "JPEG" and not stored.getexif()
    thumb = Image.open(media_path(photo["thumb_url"].split("/media/")[1]))
    assert thumb.size == (480, 320)
    assert client.get(photo["url"]).status_code == 200

    r = _upload(client, auth, space_id, _png(), name="actually-png.jpg")
    assert r.status_code == 201, r.text
    listed = client.get(f"{API}/spaces/{space_id}/photos", headers=auth).json()
    assert [p["position"] for p in listed] == [0, 1]

    # Cover and reorder.
    first, second = listed[0]["id"], listed[1]["id"]
    r = client.post(f"{API}/spaces/{space_id}/photos/{second}/cover", headers=auth)
    assert [p["id"] for p in r.json()] == [second, first]
    r = client.put(f"{API}/spaces/{space_id}/photos/order", headers=auth,
                   json={"photo_ids": [first]})
    assert r.status_code == 422  # must list every photo


def test_upload_keeps_no_metadata_segment(client, make_user, login):
    """A comment (COM) with markup, EXIF/GPS, XMP, an ICC profile, a Photoshop block, and
    a PNG's text chunks: none survives into the stored photo or its thumbnail."""
    auth, space_id = _owner_space(client, make_user, login)
    for data, name, mime in ((hostile_jpeg(), "meta.jpg", "image/jpeg"),
                             (hostile_png(), "meta.png", "image/png")):
        r = _upload(client, auth, space_id, data, name=name, mime=mime)
        assert r.status_code == 201, r.text
        for url in (r.json()["url"], r.json()["thumb_url"]):
            stored = client.get(url)
            assert stored.status_code == 200
            assert_no_metadata(stored.content)


def test_refuses_large_fake_and_bomb_files(client, make_user, login):
    auth, space_id = _owner_space(client, make_user, login)
    six_mb = os.urandom(6 * 1024 * 1024)
    r = _upload(client, auth, space_id, six_mb)
    assert r.status_code == 413
    # Just over 5 MB fits the request limit (multipart framing) but not the photo limit.
    r = _upload(client, auth, space_id, _jpeg_with_exif()[:100] + os.urandom(5 * 1024 * 1024 + 10))
    assert r.status_code == 413 and r.json()["detail"][0]["loc"][-1] == "file"

    r = _upload(client, auth, space_id, b"just some text, honestly\n" * 10, name="notes.png",
                mime="image/png")
    assert r.status_code == 415
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    assert _upload(client, auth, space_id, gif.getvalue(), name="x.jpg").status_code == 415

    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")  # 400 MP, a few kB compressed
    assert len(bomb.getvalue()) < 200_000
    r = _upload(client, auth, space_id, bomb.getvalue(), name="bomb.png", mime="image/png")
    assert r.status_code == 415
    assert client.get(f"{API}/spaces/{space_id}/photos", headers=auth).json() == []


def test_chunked_body_without_length_is_cut_off(client, make_user, login):
    auth, space_id = _owner_space(client, make_user, login)

    def chunks():  # a well-formed multipart start, then a file that never ends
        yield (b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
               b"Content-Type: image/jpeg\r\n\r\n")
        for _ in range(7):
            yield os.urandom(1024 * 1024)

    r = client.post(f"{API}/spaces/{space_id}/photos", headers={
        **auth, "content-type": "multipart/form-data; boundary=x"}, content=chunks())
    assert r.status_code == 413


def test_a_small_content_length_beside_chunked_framing_is_still_counted():
    """Content-Length: 10 with Transfer-Encoding: chunked: the server frames the body by
    its chunks, so the guard must count them (it skips counting only for plain lengths)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from coworking_app.api.limits import BodySizeLimit

    read, sent = [], []

    async def app(scope, receive, send):  # reads the whole body, then answers 200
        while True:
            message = await receive()
            read.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    chunks = [{"type": "http.request", "body": b"x" * 1024, "more_body": True}] * 5 + [
        {"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        return chunks.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/bookings",
             "headers": [(b"content-length", b"10"), (b"transfer-encoding", b"chunked")]}
    # In a thread of its own: the browser tests' Playwright keeps a loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, BodySizeLimit(app, default_limit=2048)(scope, receive, send)).result()
    assert sent[0]["status"] == 413 and sum(read) <= 3 * 1024


def test_photo_limit_and_foreign_photos(client, make_user, login):
    auth, space_id = _owner_space(client, make_user, login)
    small = _png((320, 240))
    for _ in range(PHOTO_LIMIT):
        assert _upload(client, auth, space_id, small, name="p.png").status_code == 201
    r = _upload(client, auth, space_id, small, name="p.png")
    assert r.status_code == 409
    photo_id = client.get(f"{API}/spaces/{space_id}/photos", headers=auth).json()[0]["id"]

    other_auth, other_space = _owner_space(client, make_user, login)
    _rid, renter_email, renter_password = make_user("renter")
    renter = login(renter_email, renter_password)
    for headers, expected in ((None, 401), (renter, 403), (other_auth, 404)):
        kwargs = {"headers": headers} if headers else {}
        assert client.delete(f"{API}/spaces/{space_id}/photos/{photo_id}", **kwargs).status_code == expected
        assert _upload(client, headers or {}, space_id, small, name="p.png").status_code == expected
    # Someone else's photo through my own space's URL.
    assert client.delete(f"{API}/spaces/{other_space}/photos/{photo_id}",
                         headers=other_auth).status_code == 404
    assert client.delete(f"{API}/spaces/{space_id}/photos/{photo_id}", headers=auth).status_code == 204
    left = client.get(f"{API}/spaces/{space_id}/photos", headers=auth).json()
    assert [p["position"] for p in left] == list(range(PHOTO_LIMIT - 1))
