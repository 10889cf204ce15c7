"""A space's photos (services/catalog/photos.py): what is stored for an upload, the order and the
cover, what a deletion leaves, and which files are refused. Uploads over HTTP (multipart,
sizes, metadata, authorization): test_photos_api.py."""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from PIL import Image

from coworking_app.services.catalog import photos
from coworking_app.services.common.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia
from coworking_app.services.common.media import media_path
from coworking_app.uow import UnitOfWork
from models import Photo, Space, User
from tests.booking_helpers import make_bookable
from tests.factories import jpeg_bytes


@contextmanager
def _work():
    """One unit of work, as an adapter runs a use case: (session, effects), committed on
    success (then its effects sent), rolled back on an error."""
    with UnitOfWork() as uow:
        yield uow.session, uow.effects


@pytest.fixture()
def place(world):
    return make_bookable()


def _add(place, data: bytes) -> int:
    with _work() as (s, fx):
        return photos.do_add_photo(s, fx, s.get(User, place.owner_id), place.space_id, data).id


def _order(place) -> list[int]:
    with _work() as (s, fx):
        return [p.id for p in photos.list_photos(s, place.space_id)]


def test_an_upload_is_stored_full_size_and_as_a_thumbnail_within_their_boxes(place):
    photo_id = _add(place, jpeg_bytes(size=(4000, 1000)))
    with _work() as (s, fx):
        [photo] = photos.list_photos(s, place.space_id)
        assert (photo.id, photo.position, photo.width, photo.height) == (photo_id, 0, 1600, 400)
        full, thumb = Image.open(media_path(photo.storage_key)), Image.open(media_path(photo.thumb_key))
        assert full.size == (1600, 400) and full.format == "JPEG"
        assert thumb.size == (480, 320)  # cropped to the card's box
        assert photo.storage_key.startswith(f"spaces/{place.space_id}/")
        # The owner changed a published space's photos: it waits for a moderator, still visible.
        space = s.get(Space, place.space_id)
        assert space.changed_for_review_at is not None and space.status == "published"


def test_the_cover_is_the_first_photo_and_the_order_lists_every_photo_once(place):
    first, second, third = (_add(place, jpeg_bytes(color)) for color in ((200, 0, 0), (0, 200, 0), (0, 0, 200)))
    assert _order(place) == [first, second, third]
    with _work() as (s, fx):
        photos.do_set_cover(s, fx, s.get(User, place.owner_id), third)
    assert _order(place) == [third, first, second]
    with _work() as (s, fx):
        photos.do_reorder_photos(s, fx, s.get(User, place.owner_id), place.space_id, [second, third, first])
    assert _order(place) == [second, third, first]
    for wrong in ([second, third], [second, third, first, first], [second, third, first + 10_000]):
        with pytest.raises(InvalidInput) as refused, _work() as (s, fx):
            photos.do_reorder_photos(s, fx, s.get(User, place.owner_id), place.space_id, wrong)
        assert (refused.value.field, refused.value.message) == (
            "photo_ids", "Перечислите каждое фото пространства ровно один раз")
    assert _order(place) == [second, third, first]


def test_deleting_a_photo_closes_the_gap_and_removes_its_files(place):
    ids = [_add(place, jpeg_bytes()) for _ in range(3)]
    with _work() as (s, fx):
        gone = s.get(Photo, ids[1])
        files = [media_path(gone.storage_key), media_path(gone.thumb_key)]
        assert all(f.exists() for f in files)
        photos.do_delete_photo(s, fx, s.get(User, place.owner_id), ids[1])
    with _work() as (s, fx):
        left = photos.list_photos(s, place.space_id)
        assert [(p.id, p.position) for p in left] == [(ids[0], 0), (ids[2], 1)]
    assert not any(f.exists() for f in files)


def _png(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 20, 30, 128)).save(out, "PNG")
    return out.getvalue()


def test_files_are_judged_by_their_content():
    assert photos.check_image(_png()).format == "PNG"
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    cases = [
        (b"", InvalidInput, "Файл пустой"),
        (gif.getvalue(), UnsupportedMedia, "Подходят только фото в JPEG или PNG"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", UnsupportedMedia, "Файл не читается как JPEG или PNG"),
        (jpeg_bytes()[:200], UnsupportedMedia, "Файл не читается как JPEG или PNG"),  # cut short
    ]
    for data, error, message in cases:
        with pytest.raises(error) as refused:
            photos.check_image(data)
        assert (refused.value.field, refused.value.message) == ("file", message)


def test_a_file_over_the_limit_is_refused_before_it_is_read(monkeypatch):
    from coworking_app.settings import get_settings

    monkeypatch.setattr(get_settings(), "max_upload_bytes", 1024 * 1024)
    with pytest.raises(PayloadTooLarge) as refused:
        photos.check_image(b"\xff" * (1024 * 1024 + 1))
    assert refused.value.message == "Фото больше 1 МБ: уменьшите его или выберите другое"


def test_a_transparent_png_becomes_an_opaque_jpeg():
    image = photos.check_image(_png((100, 50)))
    data, width, height = photos.encode_jpeg(image, photos.FULL_SIZE, crop=False)
    stored = Image.open(io.BytesIO(data))
    assert (stored.format, stored.mode, width, height) == ("JPEG", "RGB", 100, 50)
