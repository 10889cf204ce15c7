"""Geography helpers: points, coordinates and where a point lies."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geoalchemy2 import Geometry
from sqlalchemy import ColumnElement, cast, func, literal, select
from sqlmodel import Session

from coworking_app.services.common.errors import InvalidInput
from models import City, District
from coworking_app import i18n
from coworking_app.i18n import N_, tr

EARTH_RADIUS_M = 6_371_008.8
# Streets are not straight lines: walking routes in city centres are on average
# about a quarter longer than the straight line.
WALKING_DETOUR = 1.25
WALKING_SPEED_M_PER_MIN = 80


def point(lat: float, lon: float) -> ColumnElement:
    """A constant geography point (so that GiST indexes can be used against it)."""
    return func.ST_GeogFromText(literal(f"SRID=4326;POINT({lon:.7f} {lat:.7f})"))


def lat_of(column) -> ColumnElement:
    return func.ST_Y(cast(column, Geometry))


def lon_of(column) -> ColumnElement:
    return func.ST_X(cast(column, Geometry))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def walking_minutes(distance_m: float) -> int:
    return max(1, round(distance_m * WALKING_DETOUR / WALKING_SPEED_M_PER_MIN))


def locate_point(session: Session, lat: float, lon: float) -> tuple[int | None, int | None]:
    """(city_id, district_id) for a point: the district whose polygon covers it, else the
    nearest city centre within 60 km."""
    here = point(lat, lon)
    row = session.execute(
        select(District.city_id, District.id)
        .where(func.ST_Covers(District.boundary, here))
        .limit(1)
    ).first()
    if row:
        return row[0], row[1]
    city_id = session.scalar(
        select(City.id)
        .where(func.ST_DWithin(City.center, here, 60_000))
        .order_by(City.center.op("<->")(here))
        .limit(1)
    )
    return city_id, None


OUTSIDE_CITIES = N_("Точка вне городов сервиса: Москва, Санкт-Петербург, Новосибирск")


@dataclass(frozen=True)
class PointPlace:
    """Where a pin lies: its city (with the city's time zone) and district."""

    lat: float
    lon: float
    city_id: int
    city: str
    city_slug: str
    timezone: str
    district_id: int | None
    district: str | None

    @property
    def label(self) -> str:
        """"Москва, Тверской" (the district when the point lies in one)."""
        return ", ".join(x for x in (self.city, self.district) if x)


def place_of_point(session: Session, lat: float, lon: float) -> PointPlace:
    """The city, district and time zone of a pin (`locate_point`); InvalidInput on "lat" for
    a point outside every city of the service. The owner's editor fills them from the pin:
    nobody types them."""
    if not (isinstance(lat, (int, float)) and isinstance(lon, (int, float))
            and math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("lat", tr("Укажите точку на карте"))
    city_id, district_id = locate_point(session, lat, lon)
    if city_id is None:
        raise InvalidInput("lat", OUTSIDE_CITIES)
    city = session.get(City, city_id)
    district = session.get(District, district_id) if district_id is not None else None
    return PointPlace(lat=lat, lon=lon, city_id=city.id, city=i18n.pick(city.name_ru, city.name_en),
                      city_slug=city.slug, timezone=city.timezone, district_id=district_id,
                      district=i18n.pick(district.name_ru, district.name_en) if district else None)


def local_name(table) -> ColumnElement[str]:
    """A reference row's name (city, district, stop, amenity) in the current language, as a
    query column: the English one when asked for and given, else the Russian."""
    return picked(table.name_ru, table.name_en)


def picked(russian, english) -> ColumnElement[str]:
    """`i18n.pick` as a query column: `english` for English readers when it is not empty."""
    if i18n.current() == "en":
        return func.coalesce(func.nullif(english, ""), russian)
    return russian
