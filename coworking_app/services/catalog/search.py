"""Space search: one service used by the Reflex search page and by GET /api/v1/spaces."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import ColumnElement, and_, func, literal, literal_column, select, text, true
from sqlmodel import Session

from coworking_app import metrics
from coworking_app.services.booking.availability import closed_sql
from coworking_app.services.catalog import catalog
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.common.fields import Id, Latitude, Line, Longitude, Moment, MoneyMinor
from coworking_app.services.catalog.geo import lat_of, local_name, lon_of, point
from coworking_app.services.catalog.spaces import shown_name_sql
from coworking_app.services.common.storage import get_storage
from models import City, District, Photo, PriceUnit, Space, SpaceSearch as SS
from models.space import MERC_MAX_LAT, MERC_SCALE
from coworking_app.i18n import N_, tr

MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 200
MAX_RADIUS_KM = 100
MAX_STOP_RADIUS_M = 10_000
MAX_FREE_INTERVAL_DAYS = 366
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


MAX_BBOX_SPAN_LON = 60.0  # degrees: wider than any city, narrower than the country
MAX_BBOX_SPAN_LAT = 30.0
BBOX_MESSAGE = N_("Укажите область как «долгота,широта,долгота,широта» (запад, юг, восток, север)")


@dataclass(frozen=True)
class Bounds:
    """A box on the map in degrees (WGS 84): west, south, east, north."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def intersect(self, other: "Bounds") -> "Bounds | None":
        box = Bounds(max(self.min_lon, other.min_lon), max(self.min_lat, other.min_lat),
                     min(self.max_lon, other.max_lon), min(self.max_lat, other.max_lat))
        return box if box.min_lon < box.max_lon and box.min_lat < box.max_lat else None


def parse_bbox(value: object) -> Bounds:
    """"minLon,minLat,maxLon,maxLat" (or four numbers) as Bounds; InvalidInput naming `bbox`
    unless they are four finite numbers, longitudes within ±180 and latitudes within ±90,
    west < east and south < north, and the box no larger than a region."""
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, (list, tuple)) or len(parts) != 4:
        raise InvalidInput("bbox", BBOX_MESSAGE)
    try:
        numbers = [float(str(p).strip()) for p in parts]
    except ValueError:
        raise InvalidInput("bbox", BBOX_MESSAGE) from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidInput("bbox", BBOX_MESSAGE)
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise InvalidInput("bbox", tr("Долгота области должна быть от −180 до 180"))
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise InvalidInput("bbox", tr("Широта области должна быть от −90 до 90"))
    if west >= east or south >= north:
        raise InvalidInput("bbox", tr("Запад области должен быть меньше востока, а юг — меньше севера"))
    if east - west > MAX_BBOX_SPAN_LON or north - south > MAX_BBOX_SPAN_LAT:
        raise InvalidInput("bbox", tr("Область слишком большая: приблизьте карту"))
    return Bounds(west, south, east, north)


def format_bbox(bounds: Bounds) -> str:
    """The canonical text of a box: six decimals (about 10 cm), no trailing zeros."""
    return ",".join(f"{v:.6f}".rstrip("0").rstrip(".") for v in
                    (bounds.min_lon, bounds.min_lat, bounds.max_lon, bounds.max_lat))


class SortOrder(StrEnum):
    relevance = "relevance"
    price = "price"
    rating = "rating"
    distance = "distance"
    newest = "newest"


class SearchParams(BaseModel):
    """Everything a search can ask for; the same names as the API query and the page URL.

    Money is in integer minor units (kopecks for RUB) everywhere in the API.
    """

    model_config = ConfigDict(extra="ignore")

    city: Line(100) | None = Field(None, description="City slug or name (ru/en)")
    district: Line(100) | None = Field(None, description="District slug, id or name")
    lat: Latitude | None = Field(None, description="Latitude of the search point")
    lon: Longitude | None = Field(None, description="Longitude of the search point")
    radius_km: float | None = Field(
        None, gt=0, le=MAX_RADIUS_KM, allow_inf_nan=False, description="Radius around lat/lon, km"
    )
    bbox: str | None = Field(
        None, max_length=120,
        description="Only inside this box: minLon,minLat,maxLon,maxLat (degrees, WGS 84)")
    stop_id: Id | None = Field(None, description="Transit stop id")
    stop_radius_m: int = Field(1000, gt=0, le=MAX_STOP_RADIUS_M, description="Metres from stop")
    amenities: list[Line(40)] = Field(default_factory=list, max_length=40,
                                      description="Amenity codes, all required")
    min_price: MoneyMinor | None = Field(None, description="Minimum price_from, minor units")
    max_price: MoneyMinor | None = Field(None, description="Maximum price_from, minor units")
    price_unit: PriceUnit | None = Field(None, description="Unit the price filter applies to")
    seats: int | None = Field(None, ge=1, le=10_000, description="Minimum seats in one resource")
    q: str | None = Field(None, max_length=MAX_QUERY_LENGTH,
                          description="Text query (Russian or English); control characters count as spaces")
    start: Moment | None = Field(None, description="Free from (ISO 8601 with offset); needs `end`")
    end: Moment | None = Field(None, description="Free until (ISO 8601 with offset)")
    sort: SortOrder = SortOrder.relevance
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("amenities", mode="before")
    @classmethod
    def _split_amenities(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            codes: list[str] = []
            for item in value:
                codes.extend(part.strip() for part in str(item).split(",") if part.strip())
            return codes
        return value

    @field_validator("q", mode="before")
    @classmethod
    def _clean_query(cls, value: object) -> object:
        if value is None:
            return None
        text_value = _CONTROL_CHARS.sub(" ", str(value)).strip()
        return text_value or None

    @field_validator("bbox", mode="before")
    @classmethod
    def _check_bbox(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return format_bbox(parse_bbox(value))

    @field_validator("city", "district", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = _CONTROL_CHARS.sub("", value).strip()
            return value or None
        return value

    @model_validator(mode="after")
    def _cross_field(self) -> "SearchParams":
        if (self.lat is None) != (self.lon is None):
            missing = "lon" if self.lon is None else "lat"
            raise InvalidInput(missing, tr("Укажите точку полностью: и широту, и долготу"))
        if self.radius_km is not None and self.lat is None:
            raise InvalidInput("radius_km", tr("Радиус задаётся вокруг точки: выберите точку на карте"))
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise InvalidInput("min_price", tr("Больше, чем цена «до»"))
        if (self.start is None) != (self.end is None):
            raise InvalidInput("end" if self.end is None else "start",
                               tr("Укажите и начало, и конец времени"))
        if self.start is not None and self.end is not None:
            if self.end <= self.start:
                raise InvalidInput("end", tr("Конец должен быть позже начала"))
            if self.end - self.start > timedelta(days=MAX_FREE_INTERVAL_DAYS):
                raise InvalidInput("end", tr("Не больше {MAX_FREE_INTERVAL_DAYS} дней", MAX_FREE_INTERVAL_DAYS=MAX_FREE_INTERVAL_DAYS))
        if self.sort == SortOrder.distance and self.lat is None and self.stop_id is None:
            raise InvalidInput("sort", tr("Чтобы сортировать по расстоянию, выберите точку на карте или станцию"))
        return self

    @property
    def bounds(self) -> "Bounds | None":
        return parse_bbox(self.bbox) if self.bbox else None

    @property
    def has_price_filter(self) -> bool:
        return self.min_price is not None or self.max_price is not None

    def to_query(self) -> dict[str, str]:
        """The non-default parameters as URL query values (the page URL mirrors the API)."""
        data = self.model_dump(exclude_defaults=True, mode="json")
        if "amenities" in data:
            data["amenities"] = ",".join(data["amenities"])
        return {key: str(value) for key, value in data.items() if value not in (None, "")}


def shown_price(hour: int | None, day: int | None, month: int | None,
                unit: PriceUnit | None = None) -> tuple[PriceUnit | None, int | None]:
    """The "from" price a card or a pin shows: the lowest in `unit` when the search filters
    by a unit's price, else in the first unit the space rents by (hour, then day, then
    month); (None, None) when it has no price there."""
    prices = {PriceUnit.hour: hour, PriceUnit.day: day, PriceUnit.month: month}
    shown = unit or next((u for u, v in prices.items() if v is not None), None)
    price = prices[shown] if shown else None
    return (shown if price is not None else None), price


class SpaceCard(BaseModel):
    id: int
    name: str
    city: str
    city_slug: str
    district: str | None
    address: str
    lat: float
    lon: float
    distance_m: float | None
    price_from: int | None
    price_unit: PriceUnit | None
    currency: str
    max_capacity: int
    amenities: list[str]
    cover_photo_url: str | None
    cover_thumb_url: str | None
    rating: float
    reviews_count: int


class SearchPage(BaseModel):
    items: list[SpaceCard]
    total: int = Field(description="matching spaces, counted up to COUNT_LIMIT")
    total_exact: bool = Field(True, description="false when more than `total` spaces match")
    page: int
    page_size: int


# Counting stops here: "more than 1000 spaces" is all a person needs, and an exact count
# of half a city would cost a scan of half the table on every search.
COUNT_LIMIT = 500
RELEVANCE_CANDIDATES = 300


PRICE_COLUMNS = {
    PriceUnit.hour: SS.price_hour_from,
    PriceUnit.day: SS.price_day_from,
    PriceUnit.month: SS.price_month_from,
}


def _text_query(session: Session, q: str) -> ColumnElement | None:
    """The tsquery for q in Russian or English morphology, or None when q has no words."""
    tsq = func.websearch_to_tsquery(literal_column("'russian'::regconfig"), q).op("||")(
        func.websearch_to_tsquery(literal_column("'english'::regconfig"), q)
    )
    if q not in _has_words:  # popular queries repeat: ask PostgreSQL once per process
        if len(_has_words) > 5000:
            _has_words.clear()
        _has_words[q] = bool(session.scalar(select(func.numnode(tsq))))
    return tsq if _has_words[q] else None


# q -> whether its tsquery has any node (stop words and punctuation alone have none).
# Depends only on the text search configuration, so it is safe to keep per process.
_has_words: dict[str, bool] = {}


@dataclass
class Filters:
    """The conditions of a search on space_search (SS), and what its sort orders need."""

    conditions: list[ColumnElement]
    origin: ColumnElement | None  # the point distances are measured from
    ring: ColumnElement | None  # the "within N metres of origin" condition, if any
    ring_metres: float
    unit: PriceUnit | None  # the price unit filtered (and shown) by
    needs_space: bool  # a condition reads `space` (the free-time filter)
    tsq: ColumnElement | None  # the text query, if it has words
    city_id: int | None  # the city searched in, if any
    narrowed: bool  # a condition other than the city and the box


def search_filters(session: Session, params: SearchParams) -> Filters:
    """Every filter of `params` as conditions on space_search; the list and the map use the
    same ones. InvalidInput naming the field for an unknown city, district, stop or amenity."""
    conditions: list[ColumnElement] = []

    city = None
    if params.city:
        city = catalog.require_city(session, params.city)
        conditions.append(SS.city_id == city.id)
    if params.district:
        districts = catalog.find_districts(session, params.district, city.id if city else None)
        if not districts:
            raise InvalidInput("district", tr("Район «{value}» не найден", value=params.district[:60]))
        conditions.append(SS.district_id.in_([d.id for d in districts]))
    if params.amenities:
        known = {a.code for a in catalog.list_amenities(session)}
        unknown = [code for code in params.amenities if code not in known]
        if unknown:
            raise InvalidInput("amenities", tr("Нет таких удобств: {value}", value=', '.join(unknown)[:120]))
        conditions.append(SS.amenities.contains(sorted(set(params.amenities))))
    bounds = params.bounds
    if bounds is not None:
        conditions.append(in_bounds(bounds))

    origin = None
    ring = None  # the "within N metres of origin" condition, if any
    ring_metres = 0.0
    if params.lat is not None and params.lon is not None:
        origin = point(params.lat, params.lon)
        if params.radius_km is not None:
            ring_metres = params.radius_km * 1000
            ring = func.ST_DWithin(SS.location, origin, ring_metres)
            conditions.append(ring)
    if params.stop_id is not None:
        stop = catalog.get_stop(session, params.stop_id)
        if stop is None:
            raise InvalidInput("stop_id", tr("Такой станции нет"))
        stop_point = point(stop.lat, stop.lon)
        near_stop = func.ST_DWithin(SS.location, stop_point, params.stop_radius_m)
        conditions.append(near_stop)
        if origin is None:
            origin, ring, ring_metres = stop_point, near_stop, float(params.stop_radius_m)

    unit = params.price_unit or (PriceUnit.hour if params.has_price_filter else None)
    if unit is not None:
        price_col = PRICE_COLUMNS[unit]
        # Choosing a unit (or a price bound) means "spaces that rent by this unit".
        conditions.append(price_col.is_not(None))
        if params.min_price is not None:
            conditions.append(price_col >= params.min_price)
        if params.max_price is not None:
            conditions.append(price_col <= params.max_price)
    if params.seats is not None:
        conditions.append(SS.max_capacity >= params.seats)
    needs_space = params.start is not None and params.end is not None
    if needs_space:
        conditions.append(_free_condition(params))

    tsq = _text_query(session, params.q) if params.q else None
    if tsq is not None:
        conditions.append(SS.search_vector.op("@@")(tsq))
    place_only = (city is not None) + (bounds is not None)
    return Filters(conditions, origin, ring, ring_metres, unit, needs_space, tsq,
                   city.id if city else None, len(conditions) > place_only)


def merc_x(lon: float) -> int:
    """Web-mercator x of a longitude as space_search.merc_x holds it (models.MERC_X_SQL)."""
    return math.floor((lon + 180.0) / 360.0 * MERC_SCALE)


def merc_y(lat: float) -> int:
    """Web-mercator y of a latitude as space_search.merc_y holds it (models.MERC_Y_SQL)."""
    lat = max(-MERC_MAX_LAT, min(MERC_MAX_LAT, lat))
    return math.floor((0.5 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
                       / (2 * math.pi)) * MERC_SCALE)


def in_bounds(bounds: Bounds) -> ColumnElement:
    """A space inside the box: two integer ranges on its web-mercator coordinates (north
    has the smaller y), read from the (city_id, merc_x, merc_y) indexes."""
    return and_(SS.merc_x.between(merc_x(bounds.min_lon), merc_x(bounds.max_lon)),
                SS.merc_y.between(merc_y(bounds.max_lat), merc_y(bounds.min_lat)))


@metrics.timed(metrics.SEARCH_DURATION, "list")
def search_spaces(session: Session, params: SearchParams) -> SearchPage:
    """Published spaces matching every given filter, sorted and paginated.

    Conditions, the count and the sort orders run on the narrow `space_search` table (SS:
    published spaces only, kept by a trigger); `space` is joined for the page's rows only,
    and for the free-time filter, which needs a space's time zone and opening hours."""
    found = search_filters(session, params)
    conditions, origin, ring, ring_metres = found.conditions, found.origin, found.ring, found.ring_metres
    unit, needs_space, tsq = found.unit, found.needs_space, found.tsq

    where = _all(conditions)
    # Column-only statements run on the session's connection: the ORM layer adds nothing
    # here but ~0.3 ms per statement on a search that takes 5.
    db = session.connection()
    total = _count(db, where, needs_space)
    total_exact = total <= COUNT_LIMIT
    total = min(total, COUNT_LIMIT)

    distance = func.ST_Distance(SS.location, origin) if origin is not None else None
    order_by = _order_by(params.sort, tsq, origin, unit)
    nearest_first = origin is not None and (
        params.sort == SortOrder.distance or (params.sort == SortOrder.relevance and tsq is None)
    )
    if nearest_first and ring is not None and params.page * params.page_size <= total:
        # When the ring holds at least page*size matches, the page*size nearest matches all
        # lie inside it, so the same page comes from a KNN index scan that stops after
        # page*size rows, instead of collecting and sorting every space in the ring.
        where = _all([c for c in conditions if c is not ring])
    offset = (params.page - 1) * params.page_size
    if params.sort == SortOrder.relevance and tsq is not None:
        # Rank the best-rated RELEVANCE_CANDIDATES matches, not every match: a broad word
        # such as "коворкинг" matches most of a city, and ranking all of them costs a heap
        # read and a ts_rank_cd per row. Narrower queries are ranked in full.
        candidates = (
            _filtered(select(SS.space_id, SS.rating,
                             func.ts_rank_cd(SS.search_vector, tsq).label("rank")), needs_space)
            .where(where)
            .order_by(SS.rating.desc(), SS.reviews_count.desc(), SS.space_id)
            .limit(RELEVANCE_CANDIDATES)
            .subquery()
        )
        # The page is cut from the ranked candidates before anything is joined to them:
        # joining all 300 to space, city and district first cost ~4 ms per text search.
        ranked = [candidates.c.rank.desc(), candidates.c.rating.desc(), candidates.c.space_id]
        top = (select(candidates.c.space_id, candidates.c.rank, candidates.c.rating)
               .order_by(*ranked).offset(offset).limit(params.page_size).subquery())
        where = SS.space_id == top.c.space_id
        order_by = [top.c.rank.desc(), top.c.rating.desc(), top.c.space_id]
        offset = 0
    elif ring is not None and not total_exact and not nearest_first:
        # PostGIS estimates a geography ST_DWithin at a fixed 0.01% of the table, so for a
        # ring holding thousands of spaces the planner collects and sorts all of them. The
        # count says the ring is dense (> COUNT_LIMIT matches), so let it walk the sort
        # order's index and test the ring row by row (_ST_DWithin: the same test without the
        # index rewrite); a page then needs about page*size/density rows, density >= 1%.
        row_test = func._ST_DWithin(SS.location, origin, ring_metres, True)
        where = _all([row_test if c is ring else c for c in conditions])
    columns = [
        SS.space_id, shown_name_sql(), local_name(City), City.slug, local_name(District), Space.address,
        lat_of(SS.location), lon_of(SS.location),
        distance if distance is not None else literal(None),
        SS.price_hour_from, SS.price_day_from, SS.price_month_from,
        Space.currency, SS.max_capacity, SS.amenities, SS.rating, SS.reviews_count,
        _cover_column(Photo.storage_key), _cover_column(Photo.thumb_key),
    ]
    rows = db.execute(
        _filtered(select(*columns), needs_space=True)
        .join(City, City.id == SS.city_id)
        .outerjoin(District, District.id == SS.district_id)
        .where(where)
        .order_by(*order_by)
        .offset(offset)
        .limit(params.page_size)
    ).all()
    items = []
    for row in rows:
        shown_unit, shown = shown_price(row[9], row[10], row[11], unit)
        cover = (row[17], row[18]) if row[17] else None
        items.append(
            SpaceCard(
                id=row[0], name=row[1], city=row[2], city_slug=row[3], district=row[4],
                address=row[5], lat=row[6], lon=row[7],
                distance_m=round(row[8], 1) if row[8] is not None else None,
                price_from=shown, price_unit=shown_unit, currency=row[12], max_capacity=row[13],
                amenities=list(row[14] or []),
                cover_photo_url=get_storage().url(cover[0]) if cover else None,
                cover_thumb_url=get_storage().url(cover[1]) if cover else None,
                rating=round(row[15], 2), reviews_count=row[16],
            )
        )
    return SearchPage(items=items, total=total, total_exact=total_exact, page=params.page,
                      page_size=params.page_size)


def _count(db, where: ColumnElement, needs_space: bool) -> int:
    """Matching spaces, counted up to COUNT_LIMIT + 1 (more only says "more than")."""
    counted = _filtered(select(SS.space_id), needs_space).where(where).limit(COUNT_LIMIT + 1)
    return db.scalar(select(func.count()).select_from(counted.subquery())) or 0


def _all(conditions: list[ColumnElement]) -> ColumnElement:
    return and_(*conditions) if conditions else true()


def _filtered(query, needs_space: bool):
    """The query over space_search, joined with space when a condition (or the page's
    columns) read it."""
    query = query.select_from(SS)
    return query.join(Space, Space.id == SS.space_id) if needs_space else query


def _free_condition(params: SearchParams) -> ColumnElement:
    """A resource of the space has `seats` (default 1) free for all of [start, end), counted
    by booked_seats() like the booking itself; no day of it closed by the owner
    (availability.closed_sql); a same-day interval must also fall inside that weekday's
    opening hours in the space's time zone."""
    sql = (f"NOT {closed_sql('space', ':fs', ':fe')} "
           "AND EXISTS (SELECT 1 FROM resource fr WHERE fr.space_id = space.id "
           "AND fr.capacity >= :fseats AND fr.capacity - booked_seats(fr.id, :fs, :fe) >= :fseats)")
    if params.end - params.start < timedelta(hours=24):
        local_start = "(CAST(:fs AS timestamptz) AT TIME ZONE space.timezone)"
        local_end = "(CAST(:fe AS timestamptz) AT TIME ZONE space.timezone)"
        day = f"space.opening_hours -> to_char({local_start}, 'dy')"
        sql = (
            f"{local_start}::date = ({local_end} - interval '1 microsecond')::date "
            f"AND {day} ->> 'open' <= to_char({local_start}, 'HH24:MI') "
            f"AND (({day} ->> 'close') = ({day} ->> 'open') "  # equal: round the clock
            f"     OR {day} ->> 'close' >= CASE WHEN to_char({local_end}, 'HH24:MI') = '00:00' "
            f"        THEN '24:00' ELSE to_char({local_end}, 'HH24:MI') END) "
            f"AND {sql}"
        )
    return text(sql).bindparams(fs=params.start, fe=params.end, fseats=params.seats or 1)


def _sort_keys(sort: SortOrder, unit: PriceUnit | None) -> list[tuple[ColumnElement, str]]:
    """(column, direction) of an index-backed sort order; the space id always comes last."""
    if sort == SortOrder.price:
        return [(PRICE_COLUMNS[unit or PriceUnit.hour], "asc"), (SS.space_id, "asc")]
    if sort == SortOrder.newest:
        return [(SS.created_at, "desc"), (SS.space_id, "desc")]
    return [(SS.rating, "desc"), (SS.reviews_count, "desc"), (SS.space_id, "asc")]


def _directed(column: ColumnElement, how: str) -> ColumnElement:
    return column.desc() if how == "desc" else column.asc().nulls_last()


def _order_by(
    sort: SortOrder,
    tsq: ColumnElement | None,
    origin: ColumnElement | None,
    unit: PriceUnit | None,
) -> list[ColumnElement]:
    nearest = sort == SortOrder.distance or (sort == SortOrder.relevance and tsq is None
                                             and origin is not None)
    if nearest:
        assert origin is not None
        # No id tie-break: PostgreSQL's KNN index scan only serves a single `<->` key.
        return [SS.location.op("<->")(origin)]
    # price, rating, newest; relevance without text or point means best rated first.
    # (Relevance with text is ordered by the ranked candidates in search_spaces.)
    return [_directed(column, how) for column, how in _sort_keys(sort, unit)]


def _cover_column(column) -> ColumnElement:
    """The first photo's key of each result row, read in the same query (ix_photo_space_position)."""
    return (
        select(column)
        .where(Photo.space_id == SS.space_id)
        .order_by(Photo.position, Photo.id)
        .limit(1)
        .correlate(SS)
        .scalar_subquery()
    )
