"""Space pages: the published view of a space, and keeping its summary columns true."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import and_, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.catalog.cache import cache_get, cache_set, drop_space_pages, space_detail_key
from coworking_app.services.common.errors import InvalidInput, NotFound
from coworking_app.services.catalog.geo import lat_of, local_name, lon_of, picked, walking_minutes
from coworking_app.services.common.storage import get_storage
from models import (
    Amenity,
    City,
    District,
    Photo,
    PriceUnit,
    Resource,
    Space,
    SpaceStatus,
    Tariff,
    TransitStop,
)
from coworking_app import i18n
from coworking_app.i18n import tr

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NEAREST_STOPS = 3


# Resources, tariffs and photos as every reader sees them: the public page and the owner's
# editor (services/catalog/owner_editor.py, REST and the cabinet) share these.


class TariffOut(BaseModel):
    id: int
    unit: PriceUnit
    price_minor: int
    currency: str


class ResourceOut(BaseModel):
    id: int
    kind: str
    name: str
    capacity: int
    min_minutes: int
    max_minutes: int
    tariffs: list[TariffOut] = []  # hour, day, month


class PhotoOut(BaseModel):
    id: int
    position: int
    url: str
    thumb_url: str
    width: int
    height: int
    caption: str


class AmenityOut(BaseModel):
    code: str
    name: str
    icon: str


class OpeningHours(BaseModel):
    day: str
    open: str | None
    close: str | None


class NearestStop(BaseModel):
    id: int
    name: str
    kind: str
    line: str
    line_color: str
    distance_m: int
    walk_minutes: int


class SpaceDetail(BaseModel):
    id: int
    name: str
    description: str
    address: str
    city: str
    city_slug: str
    district: str | None
    lat: float
    lon: float
    timezone: str
    status: str
    opening_hours: list[OpeningHours]
    amenities: list[AmenityOut]
    resources: list[ResourceOut]
    photos: list[PhotoOut]
    nearest_stops: list[NearestStop]
    price_hour_from: int | None
    price_day_from: int | None
    price_month_from: int | None
    currency: str
    max_capacity: int
    rating: float
    reviews_count: int
    bookable: bool = False  # spaces.is_bookable: the booking panel and "ask the host" show only then


# --- public visibility: the one rule --------------------------------------------------
# A space is publicly visible (its page, search results, reviews, availability, add-ons,
# counts on the home page, analytics of the network's open seats) when it is published and
# not deleted. The rule in Python, as a SQLAlchemy condition and as raw SQL: every place
# asks one of these three, written side by side so they cannot drift (tests check they agree).


def is_public(space) -> bool:
    """Whether a space is publicly visible. `space`: a Space row or anything with its
    status and deleted_at (bookings.BookableSpace)."""
    return space.status == SpaceStatus.published.value and space.deleted_at is None


def public_space_filter(space=Space) -> ColumnElement[bool]:
    """`is_public` as a query condition on `space` (the Space table or an alias of it)."""
    return and_(space.status == SpaceStatus.published.value, space.deleted_at.is_(None))


def public_space_sql(alias: str) -> str:
    """`is_public` as raw SQL on the `space` row named `alias` (for text() queries)."""
    return f"{alias}.status = '{SpaceStatus.published.value}' AND {alias}.deleted_at IS NULL"


def shown_name(space) -> str:
    """A space's name for the current reader: the owner's English one for English readers
    when given (docs/i18n.md)."""
    return i18n.pick(space.name, space.name_en)


def shown_name_sql(space=Space) -> ColumnElement[str]:
    """`shown_name` as a query column on `space` (the table or an alias)."""
    return picked(space.name, space.name_en)


def is_bookable(space) -> bool:
    """Whether a space takes bookings and questions: publicly visible (`is_public`), and
    someone owns it (a space nobody owns has nobody to confirm a booking, be paid or answer
    a question). `space`: a Space row or anything with its status, deleted_at and owner_id.
    The booking path (bookings._bookable), the space page's booking panel and "ask the host"
    (SpaceDetail.bookable) and messages all ask this."""
    return is_public(space) and space.owner_id is not None


def access_public_space(session: Session, space_id: int) -> Space:
    """A publicly visible space (`is_public`); NotFound for a missing or hidden one."""
    space = session.get(Space, space_id) if 0 < space_id < 2**31 else None
    if space is None or not is_public(space):
        raise NotFound(tr("Пространство не найдено"))
    return space


def find_bookable_space(session: Session, space_id: int) -> Space | None:
    """The space if it takes bookings now (`is_bookable`), else None (the booking panel
    then shows nothing)."""
    space = session.get(Space, space_id) if 0 < space_id < 2**31 else None
    return space if space is not None and is_bookable(space) else None


def get_published_space(session: Session, space_id: int) -> SpaceDetail:
    """The public page of a space, from the Redis cache when fresh (5 minutes)."""
    key = space_detail_key(space_id)
    cached = cache_get(key)
    if cached is not None:
        return SpaceDetail.model_validate_json(cached)
    detail = load_space_detail(session, space_id)
    if detail is None:
        raise NotFound(tr("Пространство не найдено"))
    cache_set(key, detail.model_dump_json())
    return detail


def is_public_space(session: Session, space_id: int) -> bool:
    """Whether /spaces/<id> shows a space (the rule of get_published_space), cheaply: the
    cached page, else one primary-key lookup. Used to answer HTTP 404 for missing ones."""
    if not 0 < space_id < 2**31:
        return False
    if cache_get(space_detail_key(space_id)) is not None:
        return True
    return session.scalar(select(Space.id).where(
        Space.id == space_id, public_space_filter())) is not None


def load_space_detail(session: Session, space_id: int, *, public_only: bool = True) -> SpaceDetail | None:
    """The page of a publicly visible space (`is_public`); None for a missing or hidden one.
    `public_only=False`: whatever its status (the owner's preview, after an access check:
    owner_editor.space_preview)."""
    row = session.execute(
        select(
            Space, local_name(City), City.slug, local_name(District),
            lat_of(Space.location), lon_of(Space.location),
        )
        .join(City, City.id == Space.city_id)
        .outerjoin(District, District.id == Space.district_id)
        .where(Space.id == space_id)
    ).first()
    if row is None or (public_only and not is_public(row[0])):
        return None
    space, city_name, city_slug, district_name, lat, lon = row
    amenity_rows = session.scalars(
        select(Amenity).where(Amenity.code.in_(space.amenities)).order_by(Amenity.position)
    ).all()
    photos = session.scalars(
        select(Photo).where(Photo.space_id == space_id).order_by(Photo.position, Photo.id)
    ).all()
    return SpaceDetail(
        id=space.id, name=shown_name(space), description=i18n.pick(space.description, space.description_en),
        address=space.address,
        city=city_name, city_slug=city_slug, district=district_name, lat=lat, lon=lon,
        timezone=space.timezone, status=space.status,
        opening_hours=[
            OpeningHours(
                day=day,
                open=(space.opening_hours.get(day) or {}).get("open"),
                close=(space.opening_hours.get(day) or {}).get("close"),
            )
            for day in WEEKDAYS
        ],
        amenities=[AmenityOut(code=a.code, name=i18n.pick(a.name_ru, a.name_en), icon=a.icon) for a in amenity_rows],
        resources=_resources(session, space_id),
        photos=photo_views(photos),
        nearest_stops=nearest_stops(session, space.location),
        price_hour_from=space.price_hour_from, price_day_from=space.price_day_from,
        price_month_from=space.price_month_from, currency=space.currency,
        max_capacity=space.max_capacity, rating=round(space.rating, 2),
        reviews_count=space.reviews_count, bookable=is_bookable(space),
    )


def _resources(session: Session, space_id: int) -> list[ResourceOut]:
    return resource_views(session, list_resources(session, space_id))


def list_resources(session: Session, space_id: int) -> list[Resource]:
    """The resources of a space in the order the owner created them."""
    return list(session.scalars(select(Resource).where(Resource.space_id == space_id)
                                .order_by(Resource.id)))


def resource_views(session: Session, resources: list[Resource]) -> list[ResourceOut]:
    """Resources with their tariffs (hour, day, month), in the order given: the public page
    and the owner's editor."""
    tariffs = session.scalars(
        select(Tariff).where(Tariff.resource_id.in_([r.id for r in resources]))
    ).all() if resources else []
    order = {unit.value: i for i, unit in enumerate(PriceUnit)}
    by_resource: dict[int, list[TariffOut]] = {}
    for t in sorted(tariffs, key=lambda t: order[t.unit]):
        by_resource.setdefault(t.resource_id, []).append(tariff_view(t))
    return [
        ResourceOut(
            id=r.id, kind=r.kind, name=r.name, capacity=r.capacity,
            min_minutes=r.min_minutes, max_minutes=r.max_minutes,
            tariffs=by_resource.get(r.id, []),
        )
        for r in resources
    ]


def tariff_view(tariff: Tariff) -> TariffOut:
    return TariffOut(id=tariff.id, unit=tariff.unit, price_minor=tariff.price_minor, currency=tariff.currency)


def photo_views(photos: list[Photo]) -> list[PhotoOut]:
    """Photos in the order given, with their public URLs."""
    storage = get_storage()
    return [PhotoOut(id=p.id, position=p.position, url=storage.url(p.storage_key),
                     thumb_url=storage.url(p.thumb_key), width=p.width, height=p.height, caption=p.caption)
            for p in photos]


def nearest_stops(session: Session, location, limit: int = NEAREST_STOPS) -> list[NearestStop]:
    """The nearest metro stations (KNN on the GiST index), with straight-line distance."""
    rows = session.execute(
        select(
            TransitStop.id, local_name(TransitStop), TransitStop.kind, TransitStop.line_name,
            TransitStop.line_color, func.ST_Distance(TransitStop.location, location),
        )
        .where(TransitStop.kind == "metro")
        .order_by(TransitStop.location.op("<->")(location))
        .limit(limit)
    ).all()
    return [
        NearestStop(
            id=i, name=name, kind=kind, line=tr(line) if line else line, line_color=color,
            distance_m=round(dist), walk_minutes=walking_minutes(dist),
        )
        for i, name, kind, line, color, dist in rows
    ]


def is_open_at(detail: SpaceDetail, moment: datetime) -> bool:
    """Whether the space is open at `moment`, judged in the space's own timezone."""
    local = moment.astimezone(ZoneInfo(detail.timezone))
    hours = detail.opening_hours[local.weekday()]
    if not hours.open or not hours.close:
        return False
    opens, closes = time.fromisoformat(hours.open), time.fromisoformat(hours.close)
    now = local.time()
    if closes <= opens:  # open past midnight, or round the clock ("00:00"-"00:00")
        return now >= opens or now < closes
    return opens <= now < closes


def do_refresh_space_summary(session: Session, space: Space) -> None:
    """Recompute the search columns (price_*_from, max_capacity) from resources/tariffs."""
    resources = session.scalars(select(Resource).where(Resource.space_id == space.id)).all()
    space.max_capacity = max((r.capacity for r in resources), default=0)
    lowest: dict[str, int] = {}
    currencies: set[str] = set()
    if resources:
        for tariff in session.scalars(
            select(Tariff).where(Tariff.resource_id.in_([r.id for r in resources]))
        ):
            currencies.add(tariff.currency)
            lowest[tariff.unit] = min(lowest.get(tariff.unit, tariff.price_minor), tariff.price_minor)
    space.price_hour_from = lowest.get(PriceUnit.hour.value)
    space.price_day_from = lowest.get(PriceUnit.day.value)
    space.price_month_from = lowest.get(PriceUnit.month.value)
    if len(currencies) == 1:
        space.currency = currencies.pop()
    session.add(space)


def do_set_space_status(session: Session, effects: Effects, space_id: int, status: SpaceStatus) -> Space:
    space = session.get(Space, space_id, with_for_update=True)
    if space is None:
        raise NotFound(tr("Пространство не найдено"))
    if status == SpaceStatus.published and space.owner_id is None:
        raise InvalidInput("status", tr("У пространства нет владельца: опубликовать его нельзя, брони и вопросы принимать было бы некому"))
    space.status = status.value
    session.add(space)
    session.flush()
    drop_space_pages(effects, space.id)
    return space
