"""Batches of competitors' listings from the crawler (POST /api/v1/market/listings/batch):
checked, normalised (normalize.py), located on our own map data and upserted by (source,
external id), each item answered on its own. The crawler sends raw text; every rule about
what a listing means lives here and in normalize.py."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlmodel import Session

from coworking_app.services.catalog import catalog, geo, places
from coworking_app.services.common.errors import InvalidInput, PermissionDenied
from coworking_app.services.common.fields import Id, Line, Text
from coworking_app.services.market import normalize, runs
from coworking_app.services.market.keys import INGEST_SCOPE, access_key
from models import MarketListing, MarketPrice, MarketRun, RunStatus, ServiceKey
from models.common import utcnow
from coworking_app.i18n import tr

MAX_ITEMS = 100
MAX_ERRORS = 1000
UNIT_ORDER = ("hour", "day", "week", "month")  # the listing's "from" price: the first unit it states


class PriceIn(BaseModel):
    """A price as the page gave it: text to read, or a structured offer."""

    model_config = ConfigDict(extra="forbid")

    text: Text(300) | None = None
    amount: Line(40) | float | int | None = None
    currency: Line(10) | None = None
    unit_code: Line(40) | None = None


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: Line(200, min_length=1)
    url: Line(2000, min_length=8)
    name: Line(300, min_length=1)
    address: Line(500) | None = None
    lat: float | None = Field(default=None, allow_inf_nan=False)
    lon: float | None = Field(default=None, allow_inf_nan=False)
    prices: list[PriceIn] = Field(max_length=20)
    terms: Text(2000) | None = None
    min_duration: Line(200) | None = None
    amenities: list[Line(100)] = Field(default_factory=list, max_length=50)


class ErrorIn(BaseModel):
    url: Line(2000)
    reason: Line(500)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_id: Id
    run_id: Id | None = None
    pages: int = Field(default=0, ge=0, le=100_000)
    errors: list[ErrorIn] = Field(default_factory=list, max_length=MAX_ERRORS)
    items: list[ItemIn] = Field(default_factory=list, max_length=MAX_ITEMS)


class ItemResult(BaseModel):
    external_id: str
    status: Literal["created", "updated", "unchanged", "error"]
    reason: str | None = None


class BatchResult(BaseModel):
    results: list[ItemResult]
    stored: int
    errors: int


@dataclass(frozen=True)
class Located:
    lat: float | None
    lon: float | None
    city_id: int | None
    district_id: int | None
    located_by: str  # page | address | city | none


def locate(session: Session, lat: float | None, lon: float | None, address: str | None) -> Located:
    """Coordinates from the page; else the address matched to our stations, districts and
    spaces (places.address_suggestions: our own data, no geocoder); else its city; else
    nothing. The district always comes from our polygons (geo.locate_point)."""
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180 \
            and not (lat == 0 and lon == 0):
        city_id, district_id = geo.locate_point(session, lat, lon)
        return Located(round(lat, 7), round(lon, 7), city_id, district_id, "page")
    if address and address.strip():
        found = places.address_suggestions(session, address, limit=1)
        if found:
            place = found[0]
            if place.kind == "city":
                city = catalog.find_city(session, place.city_slug)
                return Located(None, None, city.id if city else None, None, "city")
            city_id, district_id = geo.locate_point(session, place.lat, place.lon)
            return Located(place.lat, place.lon, city_id, district_id, "address")
    return Located(None, None, None, None, "none")


def read_prices(prices: list[PriceIn]) -> dict[str, dict]:
    """{unit: {"amount_minor", "currency"}}: the lowest price per unit the item states;
    PriceError when none can be read (never a guess)."""
    found: list[normalize.Price] = []
    problems: list[str] = []
    for price in prices:
        try:
            if price.amount is not None:
                found.append(normalize.price_from_offer(price.amount, price.currency, price.unit_code,
                                                        unit_text=price.text))
            elif price.text:
                found.extend(normalize.parse_price_text(price.text))
        except normalize.PriceError as exc:
            problems.append(exc.reason)
    out: dict[str, dict] = {}
    for p in found:
        current = out.get(p.unit)
        if current is None or (current["currency"] == p.currency and p.amount_minor < current["amount_minor"]):
            out[p.unit] = {"amount_minor": p.amount_minor, "currency": p.currency}
    if not out:
        raise normalize.PriceError(problems[0] if problems else tr("цена не указана"))
    return out


def _from_price(prices: dict[str, dict]) -> tuple[int, str, str]:
    unit = next(u for u in UNIT_ORDER if u in prices)
    return prices[unit]["amount_minor"], prices[unit]["currency"], unit


def access_batch_run(session: Session, key: ServiceKey, batch: BatchIn) -> MarketRun | None:
    """The run a batch belongs to: a run's own key posts only to that run; a named key may
    name a run of the batch's source or none. PermissionDenied (403) otherwise."""
    run_id = batch.run_id if batch.run_id is not None else key.run_id
    if key.run_id is not None and run_id != key.run_id:
        raise PermissionDenied(tr("Этот ключ выдан для другого обхода"))
    if run_id is None:
        return None
    run = session.get(MarketRun, run_id)
    if run is None or run.source_id != batch.source_id:
        raise InvalidInput("run_id", tr("обход не найден у этого источника"))
    if run.status != RunStatus.running.value:
        raise InvalidInput("run_id", tr("этот обход уже завершён"))
    return run


def do_ingest_batch(session: Session, raw_key: str | None, batch: BatchIn,
                    now: datetime | None = None) -> BatchResult:
    """Upserts the batch's items by (source, external id) and adds its counts to its run.
    An item that cannot be read is answered with its reason and counted as the run's
    error; the others are stored."""
    key = access_key(session, raw_key, INGEST_SCOPE, now)
    run = access_batch_run(session, key, batch)
    now = now or utcnow()
    vocabulary = {a.code: a.name_ru for a in catalog.list_amenities(session)}
    ids = list(dict.fromkeys(item.external_id.strip() for item in batch.items))
    existing = {row[0].external_id: row for row in session.execute(
        select(MarketListing, geo.lat_of(MarketListing.location), geo.lon_of(MarketListing.location))
        .where(MarketListing.source_id == batch.source_id, MarketListing.external_id.in_(ids))
        .order_by(MarketListing.id).with_for_update(of=MarketListing))} if ids else {}
    results: list[ItemResult] = []
    seen: set[str] = set()
    item_errors: list[dict] = []
    for item in batch.items:
        external_id = item.external_id.strip()
        if external_id in seen:  # the same listing twice in one batch: stored once
            results.append(ItemResult(external_id=external_id, status="unchanged"))
            continue
        seen.add(external_id)
        try:
            prices = read_prices(item.prices)
        except normalize.PriceError as exc:
            reason = tr("цена не распознана: {reason}", reason=exc.reason)
            results.append(ItemResult(external_id=external_id, status="error", reason=reason))
            item_errors.append({"url": item.url, "reason": reason})
            continue
        status = _upsert(session, batch.source_id, existing.get(external_id), external_id, item, prices,
                         vocabulary, now)
        results.append(ItemResult(external_id=external_id, status=status))
    stored = sum(r.status != "error" for r in results)
    errors = [e.model_dump() for e in batch.errors] + item_errors
    if run is not None:
        runs.do_add_to_run(session, run.id, pages=batch.pages, items=len(batch.items), stored=stored, errors=errors)
    return BatchResult(results=results, stored=stored, errors=len(errors))


def _upsert(session: Session, source_id: int, stored: tuple | None, external_id: str, item: ItemIn,
            prices: dict[str, dict], vocabulary: dict[str, str], now: datetime) -> str:
    """Creates or updates one listing (`stored`: the row with its lat and lon, or None)."""
    where = locate(session, item.lat, item.lon, item.address)
    amount, currency, unit = _from_price(prices)
    fields = dict(
        url=item.url.strip(), name=item.name.strip(), address=(item.address or "").strip() or None,
        located_by=where.located_by, city_id=where.city_id, district_id=where.district_id,
        price_minor=amount, currency=currency, unit=unit, prices=prices,
        terms=(item.terms or "").strip() or None,
        min_minutes=normalize.parse_min_duration(item.min_duration or item.terms or ""),
        cancellation=normalize.classify_cancellation(item.terms),
        amenities=normalize.map_amenities(item.amenities, vocabulary),
    )
    location = (f"SRID=4326;POINT({where.lon:.7f} {where.lat:.7f})"
                if where.lat is not None and math.isfinite(where.lat) else None)
    if stored is None:
        listing = MarketListing(source_id=source_id, external_id=external_id, location=location,
                                last_seen_at=now, **fields)
        session.add(listing)
        session.flush()
        _price_changes(session, listing.id, {}, prices, now)
        return "created"
    listing, old_lat, old_lon = stored
    old_location = f"SRID=4326;POINT({old_lon:.7f} {old_lat:.7f})" if old_lat is not None else None
    changed = any(getattr(listing, k) != v for k, v in fields.items()) or old_location != location \
        or listing.gone_at is not None
    _price_changes(session, listing.id, listing.prices or {}, prices, now)
    for k, v in fields.items():
        setattr(listing, k, v)
    if old_location != location:
        listing.location = location
    listing.last_seen_at, listing.gone_at = now, None
    return "updated" if changed else "unchanged"


def _price_changes(session: Session, listing_id: int, old: dict, new: dict, now: datetime) -> None:
    """A price history row per unit whose price changed (or appeared)."""
    for unit, price in new.items():
        if old.get(unit) != price:
            session.add(MarketPrice(listing_id=listing_id, unit=unit, currency=price["currency"],
                                    amount_minor=price["amount_minor"], seen_at=now))
