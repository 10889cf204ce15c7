"""Competitors' listings: the operators' table, listings gone from their sites, and the
owner's "Рынок рядом" (what similar places around a space charge)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pydantic import BaseModel
from sqlalchemy import and_, func, select, update
from sqlmodel import Session

from coworking_app.formatting import (
    MARKET_CANCELLATION_LABELS,
    UNIT_LABELS,
    format_money,
    format_moment,
    local_moment,
)
from coworking_app.services.admin import exports
from coworking_app.services.admin.admin_tables import Column
from coworking_app.services.admin.analytics import report_zone
from coworking_app.services.catalog import catalog, geo
from coworking_app.services.catalog.owner_spaces import access_space_for_owner
from coworking_app.services.common.errors import Conflict, InvalidInput
from coworking_app.services.market.sources import check_staff, list_sources
from coworking_app.settings import get_settings
from models import District, MarketListing, MarketPrice, Space, User
from models.common import utcnow
from coworking_app.i18n import N_, tr

GONE_AFTER = timedelta(days=30)
NEAREST = 10
TREND_MONTHS = 12
RADIUS_MIN_M, RADIUS_MAX_M = 100, 50_000
SPACE_PRICES = {"hour": "price_hour_from", "day": "price_day_from", "month": "price_month_from"}


class ListingOut(BaseModel):
    id: int
    source_id: int
    external_id: str
    name: str
    url: str
    address: str | None
    price_minor: int | None
    currency: str | None
    unit: str | None
    prices: dict
    lat: float | None
    lon: float | None
    located_by: str
    district: str | None
    cancellation: str
    min_minutes: int | None
    amenities: list[str]
    last_seen_at: datetime
    gone: bool


class ListingPage(BaseModel):
    items: list[ListingOut]
    total: int


def _listing_columns():
    return (MarketListing, geo.lat_of(MarketListing.location), geo.lon_of(MarketListing.location),
            geo.local_name(District))


def _out(row) -> ListingOut:
    listing, lat, lon, district = row
    return ListingOut(id=listing.id, source_id=listing.source_id, external_id=listing.external_id, name=listing.name,
                      url=listing.url, address=listing.address, price_minor=listing.price_minor,
                      currency=listing.currency, unit=listing.unit, prices=listing.prices,
                      lat=round(lat, 6) if lat is not None else None, lon=round(lon, 6) if lon is not None else None,
                      located_by=listing.located_by, district=district, cancellation=listing.cancellation,
                      min_minutes=listing.min_minutes, amenities=listing.amenities,
                      last_seen_at=listing.last_seen_at, gone=listing.gone_at is not None)


def list_listings(session: Session, user: User | None, *, source_id: int | None = None, city: str | None = None,
                  include_gone: bool = False, located: bool = False, limit: int = 50,
                  offset: int = 0) -> ListingPage:
    """The operators' table: newest seen first, filtered by source and city (`located`:
    only listings with a point, for the panel's map)."""
    check_staff(user)
    conditions = []
    if located:
        conditions.append(MarketListing.location.is_not(None))
    if source_id is not None:
        conditions.append(MarketListing.source_id == source_id)
    if city:
        conditions.append(MarketListing.city_id == catalog.require_city(session, city).id)
    if not include_gone:
        conditions.append(MarketListing.gone_at.is_(None))
    where = and_(True, *conditions)
    total = session.scalar(select(func.count()).select_from(MarketListing).where(where))
    rows = session.execute(
        select(*_listing_columns()).outerjoin(District, District.id == MarketListing.district_id)
        .where(where).order_by(MarketListing.last_seen_at.desc(), MarketListing.id.desc())
        .limit(limit).offset(offset)).all()
    return ListingPage(items=[_out(r) for r in rows], total=total)


EXPORT_COLUMNS = [
    Column("id", "ID", "id"), Column("source", N_("Источник")), Column("external_id", N_("ID на сайте")),
    Column("name", N_("Название")), Column("address", N_("Адрес")), Column("district", N_("Район")),
    Column("price", N_("Цена от")), Column("amount", N_("Сумма"), "number"), Column("currency", N_("Валюта")),
    Column("unit", N_("За"), labels=UNIT_LABELS), Column("cancellation", N_("Условия отмены"), labels=MARKET_CANCELLATION_LABELS),
    Column("min_minutes", N_("Мин. срок, минут"), "number"), Column("lat", N_("Широта")), Column("lon", N_("Долгота")),
    Column("url", N_("Ссылка")), Column("last_seen_at", N_("Виден последний раз"), "datetime"),
]


def export_listings(session: Session, user: User | None, *, source_id: int | None = None, city: str | None = None,
                    now: datetime | None = None) -> exports.ExportFile:
    """The operators' table as Excel: every listing matching the filters (not just the
    page), at most settings.export_sync_max_rows of them."""
    check_staff(user)
    limit = get_settings().export_sync_max_rows
    page = list_listings(session, user, source_id=source_id, city=city, limit=limit)
    if page.total > limit:
        raise Conflict("rows", tr("Подходит объявлений: {total}, а в Excel за раз выгружается не больше {limit}: выберите источник или город", total=page.total, limit=limit))
    names = {s.id: s.name for s in list_sources(session, user)}
    rows = [{
        "id": item.id, "source": names.get(item.source_id, ""), "external_id": item.external_id, "name": item.name,
        "address": item.address, "district": item.district,
        "price": format_money(item.price_minor, item.currency) if item.price_minor else None,
        "amount": (item.price_minor // 100 if item.price_minor % 100 == 0 else item.price_minor / 100)
        if item.price_minor else None,
        "currency": item.currency, "unit": item.unit, "cancellation": item.cancellation,
        "min_minutes": item.min_minutes, "lat": f"{item.lat:.6f}" if item.lat is not None else None,
        "lon": f"{item.lon:.6f}" if item.lon is not None else None, "url": item.url,
        "last_seen_at": item.last_seen_at,
    } for item in page.items]
    zone, now = report_zone(), now or utcnow()
    filters = [tr("источник «{value}»", value=names[source_id]) if source_id in names else "",
               tr("город {name_ru}", name_ru=catalog.require_city(session, city).name) if city else ""]
    subtitle = (tr("Фильтры: {value}. Объявлений: {total}. Сформировано {format_moment} ({key}).", value=', '.join((f for f in filters if f)) or tr('нет'), total=page.total, format_moment=format_moment(now, zone), key=zone.key))
    content = exports.render_xlsx([(tr("Объявления"), EXPORT_COLUMNS, rows, {})],
                                  title=tr("Объявления конкурентов — CoSpace"), subtitle=subtitle)
    stamp = local_moment(now, zone).strftime("%Y%m%d-%H%M")
    return exports.ExportFile(f"market-listings-{stamp}.xlsx", exports.CONTENT_TYPES["xlsx"], content)


def do_mark_gone(session: Session, now: datetime | None = None) -> int:
    """Listings no crawl has seen for GONE_AFTER are marked gone (a crawl that sees one
    again brings it back: ingest.py). Returns how many were marked."""
    now = now or utcnow()
    result = session.execute(update(MarketListing).where(
        MarketListing.gone_at.is_(None), MarketListing.last_seen_at < now - GONE_AFTER).values(gone_at=now))
    return result.rowcount or 0


# --- the owner's view ------------------------------------------------------------------


class UnitStats(BaseModel):
    unit: str
    currency: str
    count: int
    q1: int
    median: int
    q3: int
    min: int
    max: int
    prices: list[int]  # every competitor's price (the box plot)
    own_price: int | None  # the space's own "from" price in this unit and currency
    own_percentile: int | None  # the share of competitors cheaper than the space, 0-100


class Neighbour(BaseModel):
    id: int
    name: str
    url: str
    distance_m: int
    price_minor: int
    currency: str
    unit: str
    lat: float
    lon: float


class TrendPoint(BaseModel):
    month: str  # YYYY-MM
    unit: str
    currency: str
    median: int
    count: int


class MarketNear(BaseModel):
    space_id: int
    space_name: str
    currency: str
    radius_m: int
    count: int
    units: list[UnitStats]  # the space's currency first, other currencies apart (never converted)
    nearest: list[Neighbour]
    trend: list[TrendPoint]
    lat: float
    lon: float


def check_radius(radius_m: int) -> int:
    if not isinstance(radius_m, int) or not RADIUS_MIN_M <= radius_m <= RADIUS_MAX_M:
        raise InvalidInput("radius_m", tr("радиус от {RADIUS_MIN_M} м до {value} км", RADIUS_MIN_M=RADIUS_MIN_M, value=RADIUS_MAX_M // 1000))
    return radius_m


def market_near_space(session: Session, user: User | None, space_id: int, radius_m: int = 2000,
                      now: datetime | None = None) -> MarketNear:
    """What competitors within `radius_m` of the space charge, per unit and currency:
    count, quartiles, where the space's own price falls, the nearest ones and a monthly
    trend. Only the space's owner and staff (owner_spaces.access_space_for_owner)."""
    space = access_space_for_owner(session, user, space_id)
    radius_m = check_radius(radius_m)
    now = now or utcnow()
    here = session.execute(select(geo.lat_of(Space.location), geo.lon_of(Space.location))
                           .where(Space.id == space.id)).one()
    centre = geo.point(here[0], here[1])
    near = and_(MarketListing.gone_at.is_(None), MarketListing.location.is_not(None),
                func.ST_DWithin(MarketListing.location, centre, radius_m))
    per_unit = session.scalars(select(MarketListing.prices).where(near)).all()
    buckets: dict[tuple[str, str], list[int]] = {}
    for prices in per_unit:
        for unit, price in (prices or {}).items():
            buckets.setdefault((unit, price["currency"]), []).append(int(price["amount_minor"]))
    units = [_unit_stats(unit, currency, sorted(values), space) for (unit, currency), values in buckets.items()]
    units.sort(key=lambda s: (s.currency != space.currency, _UNIT_RANK.get(s.unit, 9), s.currency))
    distance = func.ST_Distance(MarketListing.location, centre)
    nearest = [Neighbour(id=l.id, name=l.name, url=l.url, distance_m=round(d), price_minor=l.price_minor,
                         currency=l.currency, unit=l.unit, lat=round(lat, 6), lon=round(lon, 6))
               for l, d, lat, lon in session.execute(
                   select(MarketListing, distance, geo.lat_of(MarketListing.location), geo.lon_of(MarketListing.location))
                   .where(near, MarketListing.price_minor.is_not(None)).order_by(distance, MarketListing.id)
                   .limit(NEAREST))]
    return MarketNear(space_id=space.id, space_name=space.name, currency=space.currency, radius_m=radius_m, count=len(per_unit),
                      units=units, nearest=nearest, trend=_trend(session, near, now), lat=here[0], lon=here[1])


_UNIT_RANK = {"hour": 0, "day": 1, "week": 2, "month": 3}


def _quantile(values: list[int], q: float) -> int:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return round(values[low] + (values[high] - values[low]) * (position - low))


def _unit_stats(unit: str, currency: str, values: list[int], space) -> UnitStats:
    own = getattr(space, SPACE_PRICES[unit]) if unit in SPACE_PRICES and currency == space.currency else None
    percentile = round(100 * sum(v < own for v in values) / len(values)) if own is not None else None
    return UnitStats(unit=unit, currency=currency, count=len(values), q1=_quantile(values, 0.25),
                     median=_quantile(values, 0.5), q3=_quantile(values, 0.75), min=values[0], max=values[-1],
                     prices=values, own_price=own, own_percentile=percentile)


def _months(now: datetime) -> list[datetime]:
    """The first instants of the last TREND_MONTHS months (UTC), oldest first."""
    year, month = now.year, now.month
    out = []
    for _ in range(TREND_MONTHS):
        out.append(datetime(year, month, 1, tzinfo=timezone.utc))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _trend(session: Session, near, now: datetime) -> list[TrendPoint]:
    """Per month of the last TREND_MONTHS: the median of the prices in effect at the month's
    end (each listing's last price seen by then), per unit and currency; months before any
    price was seen are left out."""
    history = session.execute(
        select(MarketPrice.listing_id, MarketPrice.unit, MarketPrice.currency, MarketPrice.amount_minor,
               MarketPrice.seen_at)
        .join(MarketListing, MarketListing.id == MarketPrice.listing_id).where(near)
        .order_by(MarketPrice.seen_at, MarketPrice.id)).all()
    points: list[TrendPoint] = []
    current: dict[tuple[int, str], tuple[str, int]] = {}
    i = 0
    for start in _months(now):
        end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=timezone.utc)
        while i < len(history) and history[i].seen_at < end:
            row = history[i]
            current[(row.listing_id, row.unit)] = (row.currency, row.amount_minor)
            i += 1
        groups: dict[tuple[str, str], list[int]] = {}
        for (_listing, unit), (currency, amount) in current.items():
            groups.setdefault((unit, currency), []).append(amount)
        for (unit, currency), values in sorted(groups.items(), key=lambda g: (_UNIT_RANK.get(g[0][0], 9), g[0][1])):
            points.append(TrendPoint(month=f"{start:%Y-%m}", unit=unit, currency=currency,
                                     median=_quantile(sorted(values), 0.5), count=len(values)))
    return points
