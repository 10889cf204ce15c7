"""Space photos: upload (decoded and re-encoded without metadata), reorder, cover, delete."""

from __future__ import annotations

import io
import secrets
import warnings

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMedia,
)
from coworking_app.services.catalog.cache import drop_space_pages
from coworking_app.services.catalog.owner_spaces import access_space_for_owner, mark_for_review
from coworking_app.services.common.storage import get_storage
from coworking_app.settings import get_settings
from models import PHOTO_LIMIT, Photo, Role, Space, User
from coworking_app.i18n import tr

ACCEPTED_FORMATS = {"JPEG", "PNG"}
MAX_PIXELS = 40_000_000  # 40 MP; a larger image is refused before it is decoded
FULL_SIZE = (1600, 1600)
THUMB_SIZE = (480, 320)


def check_image(data: bytes) -> Image.Image:
    """The decoded image, or 413/415. Decides by content, never by file name."""
    if len(data) > get_settings().max_upload_bytes:
        limit_mb = get_settings().max_upload_bytes // (1024 * 1024)
        raise PayloadTooLarge("file", tr("Фото больше {limit_mb} МБ: уменьшите его или выберите другое", limit_mb=limit_mb))
    if not data:
        raise InvalidInput("file", tr("Файл пустой"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise UnsupportedMedia("file", tr("Подходят только фото в JPEG или PNG"))
            if image.width * image.height > MAX_PIXELS:
                raise UnsupportedMedia("file", tr("В изображении слишком много пикселей: уменьшите его"))
            image.load()
        except (UnidentifiedImageError, Image.DecompressionBombError,
                Image.DecompressionBombWarning, OSError, SyntaxError, ValueError) as exc:
            raise UnsupportedMedia("file", tr("Файл не читается как JPEG или PNG")) from exc
    return image


def encode_jpeg(image: Image.Image, box: tuple[int, int], crop: bool) -> tuple[bytes, int, int]:
    """A JPEG that fits `box` (cropped to it with `crop`), upright, in sRGB, with its width
    and height. Nothing of the upload's metadata is carried over: no comment (COM), EXIF,
    GPS, XMP, ICC profile (its colours are converted to sRGB instead) or other APPn block;
    the file holds the JFIF header (APP0: version and pixel density) and the image."""
    image = ImageOps.exif_transpose(image)  # keep the orientation, then drop all metadata
    image = _in_srgb(image)
    image = ImageOps.fit(image, box) if crop else _shrunk(image, box)
    image.info = {}  # Pillow writes info["comment"] into a COM segment unless it is gone
    out = io.BytesIO()
    image.save(out, "JPEG", quality=84, optimize=True)  # no exif=, xmp=, icc_profile=
    return out.getvalue(), image.width, image.height


_SRGB = ImageCms.createProfile("sRGB")


def _in_srgb(image: Image.Image) -> Image.Image:
    """RGB pixels; an embedded colour profile (Display P3, Adobe RGB, CMYK...) is applied
    rather than kept, so the photo looks the same without it."""
    icc = image.info.get("icc_profile")
    if icc:
        try:
            return ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                             _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unreadable or mismatched profile: the pixels as they are
    return image.convert("RGB")


def _shrunk(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    image = image.copy()
    image.thumbnail(box)
    return image


def access_photo_for_owner(session: Session, user: User | None, photo_id: int) -> tuple[Space, Photo]:
    photo = session.get(Photo, photo_id) if 0 < photo_id < 2**31 else None
    if photo is None:
        check_role(user, Role.owner, Role.operator, Role.admin)  # 401/403 before "not found"
        raise NotFound(tr("Фото не найдено"))
    space = access_space_for_owner(session, user, photo.space_id, for_update=True)
    return space, photo


def do_add_photo(session: Session, effects: Effects, user: User | None, space_id: int, data: bytes) -> Photo:
    space = access_space_for_owner(session, user, space_id, for_update=True)
    count = session.scalar(select(func.count()).select_from(Photo).where(Photo.space_id == space.id))
    if count >= PHOTO_LIMIT:
        raise Conflict("file", tr("У пространства может быть не больше {PHOTO_LIMIT} фото", PHOTO_LIMIT=PHOTO_LIMIT))
    image = check_image(data)
    (full, width, height), (thumb, _, _) = (encode_jpeg(image, FULL_SIZE, crop=False),
                                            encode_jpeg(image, THUMB_SIZE, crop=True))
    name = secrets.token_hex(8)
    key, thumb_key = f"spaces/{space.id}/{name}.jpg", f"spaces/{space.id}/{name}_thumb.jpg"
    storage = get_storage()
    storage.save(key, full)
    storage.save(thumb_key, thumb)
    photo = Photo(space_id=space.id, position=count, storage_key=key, thumb_key=thumb_key,
                  width=width, height=height)
    session.add(photo)
    mark_for_review(space, user)
    session.flush()
    drop_space_pages(effects, space.id)
    return photo


def list_photos(session: Session, space_id: int) -> list[Photo]:
    return list(session.scalars(
        select(Photo).where(Photo.space_id == space_id).order_by(Photo.position, Photo.id)
    ))


def do_reorder_photos(session: Session, effects: Effects, user: User | None, space_id: int,
                      photo_ids: list[int]) -> list[Photo]:
    """`photo_ids` must list exactly the space's photos, in the new order (first = cover)."""
    space = access_space_for_owner(session, user, space_id, for_update=True)
    photos = {p.id: p for p in list_photos(session, space.id)}
    if sorted(photo_ids) != sorted(photos):
        raise InvalidInput("photo_ids", tr("Перечислите каждое фото пространства ровно один раз"))
    for position, photo_id in enumerate(photo_ids):
        photos[photo_id].position = position
    session.flush()
    drop_space_pages(effects, space.id)
    return list_photos(session, space.id)


def do_set_cover(session: Session, effects: Effects, user: User | None, photo_id: int) -> list[Photo]:
    space, photo = access_photo_for_owner(session, user, photo_id)
    order = [p.id for p in list_photos(session, space.id)]
    order.remove(photo.id)
    return do_reorder_photos(session, effects, user, space.id, [photo.id, *order])


def do_delete_photo(session: Session, effects: Effects, user: User | None, photo_id: int) -> None:
    space, photo = access_photo_for_owner(session, user, photo_id)
    keys = (photo.storage_key, photo.thumb_key)
    session.delete(photo)
    mark_for_review(space, user)
    session.flush()
    remaining = list_photos(session, space.id)
    for position, other in enumerate(remaining):
        other.position = position
    session.flush()
    drop_space_pages(effects, space.id)
    storage = get_storage()
    for key in keys:  # after the row is gone; a leftover file is harmless, a dangling row is not
        storage.delete(key)
