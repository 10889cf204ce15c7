"""Space cards outside the search: the same `SpaceCard` the search answers with, for lists
of spaces chosen otherwise (saved spaces, similar spaces nearby). Only publicly visible
spaces become cards (`spaces.public_space_filter`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlmodel import Session

from coworking_app.services.catalog.geo import lat_of, local_name, lon_of
from coworking_app.services.catalog.search import SpaceCard, shown_price
from coworking_app.services.catalog.spaces import public_space_filter, shown_name
from coworking_app.services.common.storage import get_storage
from models import City, District, Photo, PriceUnit, Space



def space_price(space) -> tuple[PriceUnit | None, int | None]:
    """The price a card of this space shows (search.shown_price without a price filter)."""
    return shown_price(space.price_hour_from, space.price_day_from, space.price_month_from)


def _cover(column) -> ColumnElement:
    return (select(column).where(Photo.space_id == Space.id).order_by(Photo.position, Photo.id)
            .limit(1).correlate(Space).scalar_subquery())


def space_cards(session: Session, space_ids: list[int], *,
                distances: dict[int, float] | None = None) -> list[SpaceCard]:
    """Cards of these spaces in the order given, the ones not publicly visible left out.
    `distances`: metres from a point by space id, for the card's badge."""
    if not space_ids:
        return []
    rows = session.execute(
        select(Space, local_name(City), City.slug, local_name(District), lat_of(Space.location),
               lon_of(Space.location),
               _cover(Photo.storage_key), _cover(Photo.thumb_key))
        .join(City, City.id == Space.city_id)
        .outerjoin(District, District.id == Space.district_id)
        .where(Space.id.in_(space_ids), public_space_filter())
    ).all()
    storage = get_storage()
    by_id = {}
    for space, city, city_slug, district, lat, lon, cover, thumb in rows:
        metres = (distances or {}).get(space.id)
        unit, price = space_price(space)
        by_id[space.id] = SpaceCard(
            id=space.id, name=shown_name(space), city=city, city_slug=city_slug, district=district,
            address=space.address, lat=lat, lon=lon,
            distance_m=round(metres, 1) if metres is not None else None,
            price_from=price, price_unit=unit, currency=space.currency,
            max_capacity=space.max_capacity, amenities=list(space.amenities or []),
            cover_photo_url=storage.url(cover) if cover else None,
            cover_thumb_url=storage.url(thumb) if thumb else None,
            rating=round(space.rating, 2), reviews_count=space.reviews_count)
    return [by_id[i] for i in space_ids if i in by_id]
