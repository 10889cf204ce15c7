"""What an owner sees of their space: the list of their spaces and the editor of one, with
the resources, tariffs and photos it holds. Defined once, shown by REST (api/owner.py) and by
the cabinet's editor (state/owner.py). Resources, tariffs and photos have the public page's
shapes (services.catalog.spaces: ResourceOut, TariffOut, PhotoOut)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from coworking_app.services.booking import bookings
from coworking_app.services.catalog import catalog, owner_spaces, photos
from coworking_app.services.common.errors import NotFound
from coworking_app.services.catalog.spaces import (
    PhotoOut,
    ResourceOut,
    SpaceDetail,
    list_resources,
    load_space_detail,
    photo_views,
    resource_views,
)
from models import Resource, Space, SpaceClosure, User
from coworking_app.i18n import tr


class OwnerSpaceOut(BaseModel):
    id: int
    name: str
    description: str
    name_en: str = ""
    description_en: str = ""
    address: str
    lat: float
    lon: float
    city_id: int
    district_id: int | None
    timezone: str
    status: str
    amenities: list[str]
    opening_hours: dict[str, Any]
    instant_book: bool
    cancellation_policy: str
    vat_rate_bp: int
    prices_include_vat: bool
    no_show_fee_percent: int
    no_show_release: bool
    checkin_grace_minutes: int
    updated_at: datetime | None


class SubmissionGap(BaseModel):
    """What the space still lacks before moderation (owner_spaces.submission_gaps)."""

    field: str
    message: str


class SpaceEditor(BaseModel):
    """One space in the owner's editor: GET /owner/spaces/{id} and /owner/spaces/<id>."""

    space: OwnerSpaceOut
    place: str  # city and district, derived from the point ("Москва, Тверской")
    moderation_note: str  # why a moderator rejected or hid it
    awaiting_review: bool  # a published space's edits wait for a moderator
    gaps: list[SubmissionGap]
    resources: list[ResourceOut]
    photos: list[PhotoOut]


def space_out(session: Session, space: Space) -> OwnerSpaceOut:
    lat, lon = owner_spaces.space_point(session, space)
    return OwnerSpaceOut(
        id=space.id, name=space.name, description=space.description, name_en=space.name_en,
        description_en=space.description_en, address=space.address, lat=lat, lon=lon, city_id=space.city_id, district_id=space.district_id,
        timezone=space.timezone, status=space.status, amenities=list(space.amenities),
        opening_hours=space.opening_hours, instant_book=space.instant_book,
        cancellation_policy=space.cancellation_policy, vat_rate_bp=space.vat_rate_bp,
        prices_include_vat=space.prices_include_vat, no_show_fee_percent=space.no_show_fee_percent,
        no_show_release=space.no_show_release, checkin_grace_minutes=space.checkin_grace_minutes,
        updated_at=space.updated_at,
    )


def resource_out(session: Session, resource: Resource) -> ResourceOut:
    return resource_views(session, [resource])[0]


def my_spaces(session: Session, user: User | None) -> list[OwnerSpaceOut]:
    return [space_out(session, s) for s in owner_spaces.list_owner_spaces(session, user)]


def space_resources(session: Session, user: User | None, space_id: int) -> list[ResourceOut]:
    space = owner_spaces.access_space_for_owner(session, user, space_id)
    return resource_views(session, list_resources(session, space.id))


def space_photos(session: Session, user: User | None, space_id: int) -> list[PhotoOut]:
    space = owner_spaces.access_space_for_owner(session, user, space_id)
    return photo_views(photos.list_photos(session, space.id))


def _place(session: Session, space: Space) -> str:
    city = next((c for c in catalog.list_cities(session) if c.id == space.city_id), None)
    district = next((d for d in catalog.list_districts(session, space.city_id)
                     if d.id == space.district_id), None)
    return ", ".join(x for x in (city and city.name, district and district.name) if x)


def space_editor(session: Session, user: User | None, space_id: int) -> SpaceEditor:
    """The editor of one of the caller's spaces (operators and admins: any space)."""
    space = owner_spaces.access_space_for_owner(session, user, space_id)
    return SpaceEditor(
        space=space_out(session, space), place=_place(session, space),
        moderation_note=space.moderation_note or "",
        awaiting_review=space.changed_for_review_at is not None,
        gaps=[SubmissionGap(field=f, message=m) for f, m in owner_spaces.submission_gaps(session, space)],
        resources=resource_views(session, list_resources(session, space.id)),
        photos=photo_views(photos.list_photos(session, space.id)),
    )


# --- closed days ------------------------------------------------------------------------


class ClosureOut(BaseModel):
    """Days the owner closed, and the bookings still on them (each with what cancelling it
    now gives back: an owner's cancellation refunds everything paid)."""

    id: int
    first_day: date
    last_day: date
    period: str  # "31.12.2026" or "с 31.12.2026 по 08.01.2027"
    reason: str
    bookings: list[bookings.BookingView]


def closure_out(session: Session, user: User, space: Space, closure: SpaceClosure) -> ClosureOut:
    on_days = owner_spaces.bookings_on_closure(session, space, closure)
    return ClosureOut(id=closure.id, first_day=closure.first_day, last_day=closure.last_day,
                      period=owner_spaces.closure_of(closure).period, reason=closure.reason,
                      bookings=bookings.booking_views(session, on_days, user))


def space_closures(session: Session, user: User | None, space_id: int) -> list[ClosureOut]:
    """The space's closures that have not ended, soonest first, with their bookings:
    GET /owner/spaces/{id}/closures and the editor's "Закрытые дни"."""
    space, closures = owner_spaces.list_closures(session, user, space_id)
    return [closure_out(session, user, space, c) for c in closures]


def add_closure(session: Session, user: User | None, space_id: int,
                fields: owner_spaces.ClosureInput) -> ClosureOut:
    """Closes the days and lists the bookings already on them (POST .../closures)."""
    closure = owner_spaces.do_add_closure(session, user, space_id, fields)
    space = owner_spaces.access_space_for_owner(session, user, space_id)
    return closure_out(session, user, space, closure)


# --- preview ------------------------------------------------------------------------------


def space_preview(session: Session, user: User | None, space_id: int) -> SpaceDetail:
    """The space's public page as guests will see it, whatever its status (a draft, one
    under moderation): for its owner and staff only (anyone else: NotFound). Never cached,
    and it takes no bookings (`bookable` False) until it is published."""
    space = owner_spaces.access_space_for_owner(session, user, space_id)
    detail = load_space_detail(session, space.id, public_only=False)
    if detail is None:
        raise NotFound(tr("Пространство не найдено"))
    return detail.model_copy(update={"bookable": False})
