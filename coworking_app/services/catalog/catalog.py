"""Reference data for filters: cities, districts, transit stops, amenities."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.catalog.geo import lat_of, lon_of
from coworking_app.services.catalog.spaces import public_space_filter
from models import Amenity, City, District, Space, TransitStop
from coworking_app import i18n
from coworking_app.i18n import N_, tr

_TTL_SECONDS = 60.0
# The metro lines of our cities, for the catalogs: their official English names are there.
LINE_NAMES = (
    N_("Сокольническая"), N_("Замоскворецкая"), N_("Арбатско-Покровская"), N_("Филёвская"), N_("Кольцевая"),
    N_("Калужско-Рижская"), N_("Таганско-Краснопресненская"), N_("Калининская"),
    N_("Серпуховско-Тимирязевская"), N_("Люблинско-Дмитровская"), N_("Кировско-Выборгская"),
    N_("Московско-Петроградская"), N_("Невско-Василеостровская"), N_("Правобережная"),
    N_("Фрунзенско-Приморская"), N_("Ленинская"), N_("Дзержинская"),
)


class _Named:
    """Reference rows keep both names; `name` is the one of the current language."""

    name_ru: str
    name_en: str

    @property
    def name(self) -> str:
        return i18n.pick(self.name_ru, self.name_en)


@dataclass(frozen=True)
class CityInfo(_Named):
    id: int
    slug: str
    name_ru: str
    name_en: str
    timezone: str
    lat: float
    lon: float


@dataclass(frozen=True)
class AmenityInfo(_Named):
    code: str
    name_ru: str
    name_en: str
    icon: str


@dataclass(frozen=True)
class DistrictInfo(_Named):
    id: int
    city_id: int
    slug: str
    name_ru: str
    name_en: str


@dataclass(frozen=True)
class StopInfo(_Named):
    id: int
    city_id: int
    kind: str
    name_ru: str
    name_en: str
    line_name: str
    line_color: str
    lat: float
    lon: float

    @property
    def line(self) -> str:
        """The line's name in the current language (LINE_NAMES)."""
        return tr(self.line_name) if self.line_name else ""


class _Reference:
    """Small, rarely changing tables kept in process memory for a minute."""

    def __init__(self) -> None:
        self._loaded_at = 0.0
        self._key: object = None
        self.cities: list[CityInfo] = []
        self.amenities: list[AmenityInfo] = []
        self.districts: list[DistrictInfo] = []

    def get(self, session: Session) -> "_Reference":
        key = session.get_bind().url.render_as_string(hide_password=True)
        if time.monotonic() - self._loaded_at > _TTL_SECONDS or key != self._key:
            self._load(session)
            self._key = key
        return self

    def _load(self, session: Session) -> None:
        cities = session.execute(
            select(
                City.id, City.slug, City.name_ru, City.name_en, City.timezone,
                lat_of(City.center),
                lon_of(City.center),
            ).order_by(City.id)
        ).all()
        self.cities = [CityInfo(*row) for row in cities]
        self.amenities = [
            AmenityInfo(a.code, a.name_ru, a.name_en, a.icon)
            for a in session.scalars(select(Amenity).order_by(Amenity.position, Amenity.code))
        ]
        self.districts = [
            DistrictInfo(*row)
            for row in session.execute(
                select(
                    District.id, District.city_id, District.slug, District.name_ru, District.name_en
                ).order_by(District.name_ru)
            )
        ]
        self._loaded_at = time.monotonic()

    def invalidate(self) -> None:
        self._loaded_at = 0.0


_reference = _Reference()


def invalidate_reference_cache() -> None:
    _reference.invalidate()


def list_cities(session: Session) -> list[CityInfo]:
    return _reference.get(session).cities


def list_amenities(session: Session) -> list[AmenityInfo]:
    return _reference.get(session).amenities


def list_districts(session: Session, city_id: int | None = None) -> list[DistrictInfo]:
    districts = _reference.get(session).districts
    return [d for d in districts if city_id is None or d.city_id == city_id]


def find_city(session: Session, value: str) -> CityInfo | None:
    """A city by slug, Russian or English name, in any case."""
    needle = value.strip().casefold()
    for city in list_cities(session):
        if needle in (city.slug.casefold(), city.name_ru.casefold(), city.name_en.casefold()):
            return city
    return None


def require_city(session: Session, value: str) -> CityInfo:
    city = find_city(session, value)
    if city is None:
        raise InvalidInput("city", tr("Город «{value}» не найден", value=value[:60]))
    return city


def find_districts(session: Session, value: str, city_id: int | None) -> list[DistrictInfo]:
    """Districts matching a slug, id or name (ru/en), limited to a city when given."""
    needle = value.strip().casefold()
    return [
        d
        for d in list_districts(session, city_id)
        if needle in (str(d.id), d.slug.casefold(), d.name_ru.casefold(), d.name_en.casefold())
    ]


def _stop_query():
    return select(
        TransitStop.id, TransitStop.city_id, TransitStop.kind, TransitStop.name_ru, TransitStop.name_en,
        TransitStop.line_name, TransitStop.line_color,
        lat_of(TransitStop.location),
        lon_of(TransitStop.location),
    )


def list_stops(session: Session, city_id: int | None = None) -> list[StopInfo]:
    query = _stop_query().order_by(TransitStop.name_ru, TransitStop.id)
    if city_id is not None:
        query = query.where(TransitStop.city_id == city_id)
    return [StopInfo(*row) for row in session.execute(query)]


def get_stop(session: Session, stop_id: int) -> StopInfo | None:
    row = session.execute(_stop_query().where(TransitStop.id == stop_id)).first()
    return StopInfo(*row) if row else None


def count_published_by_city(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Space.city_id, func.count())
        .where(public_space_filter())
        .group_by(Space.city_id)
    )
    return {city_id: count for city_id, count in rows}
