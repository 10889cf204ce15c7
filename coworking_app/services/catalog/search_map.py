"""The search map: every result of the search's filters inside the map's view, clustered on
the server for the view's zoom (`GET /api/v1/spaces/map` and the /search page's map).

Clustering is a grid in web-mercator space, the projection of the map's tiles, on the
integer coordinates space_search keeps (merc_x, merc_y: the world 2^30 wide). A cell is
CELL_PX screen pixels square at the requested zoom, a power of two in merc units, and never
smaller than 1/MAX_CELLS of the view's larger side, so a view asks for at most about
MAX_CELLS² cells whatever zoom it names. Cells are aligned to the world, not to the view, so
panning moves clusters with the map instead of regrouping them. The view's box is widened
to whole map cells (2^MAP_CELL_SHIFT units, 344 m at 55 N).

A cell with one space is that space, with its id, name and price; a cell with more is a
cluster with its count, the mean of its points and its cell's box (a click zooms there).
With filters the spaces themselves are grouped (GROUP BY on the shifted coordinates, the
list's own conditions); with none but the city, the per-cell counts of space_map_cell are
summed instead: a whole city is a few thousand rows, not every space in it.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app import metrics
from coworking_app.formatting import format_money
from coworking_app.services.catalog.geo import lat_of, lon_of
from coworking_app.services.catalog.search import (
    Bounds, SearchParams, merc_x, merc_y, search_filters, shown_price,
)
from models import PriceUnit, Space, SpaceMapCell as MC, SpaceSearch as SS
from models.space import MAP_CELL_SHIFT, MERC_SCALE

MAX_ZOOM = 20
CELL_PX = 64  # a cluster's cell on the screen, in CSS pixels (a pin is about 60 wide)
MAX_CELLS = 64  # cells along the view's longer side, at most
TILE_PX = 256


class MapParams(SearchParams):
    """The search's filters (SearchParams; `bbox` is the map's view, already narrowed to
    the searched area if any) and the map's zoom. Paging and sorting mean nothing here."""

    zoom: int = Field(12, ge=0, le=MAX_ZOOM, description="The map's zoom level (0-20)")


class MapCluster(BaseModel):
    lat: float
    lon: float
    count: int = Field(description="Spaces in the cluster (2 or more)")
    bbox: str = Field(description="Its cell, which holds its spaces: minLon,minLat,maxLon,maxLat")


class MapSpace(BaseModel):
    id: int
    name: str
    lat: float
    lon: float
    price_from: int | None = Field(description="Lowest price in `price_unit`, minor units")
    price_unit: PriceUnit | None
    currency: str
    price_label: str = Field(description="The price as a pin shows it (\"500 ₽\"), or \"\"")


class MapResults(BaseModel):
    total: int = Field(description="Spaces matching the filters inside the box")
    clusters: list[MapCluster]
    spaces: list[MapSpace]


def lon_of_x(x: float) -> float:
    return x / MERC_SCALE * 360.0 - 180.0


def lat_of_y(y: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / MERC_SCALE))))


def cell_shift(zoom: int, bounds: Bounds | None) -> int:
    """log2 of a cell's side in merc units (the world is 2^30 wide): CELL_PX pixels at this
    zoom, and at least 1/MAX_CELLS of the box's longer side (of the world without a box)."""
    shift = round(math.log2(CELL_PX * MERC_SCALE / (TILE_PX * 2 ** zoom)))
    if bounds is None:
        return max(shift, round(math.log2(MERC_SCALE / MAX_CELLS)))
    span = max(merc_x(bounds.max_lon) - merc_x(bounds.min_lon),
               merc_y(bounds.min_lat) - merc_y(bounds.max_lat))
    return max(shift, math.ceil(math.log2(max(span, 1) / MAX_CELLS)))


def map_box(bounds: Bounds | None) -> tuple[int, int, int, int] | None:
    """The box in merc units widened to whole map cells (2^MAP_CELL_SHIFT): x0, y0, x1, y1."""
    if bounds is None:
        return None
    step = 1 << MAP_CELL_SHIFT
    x0, x1 = merc_x(bounds.min_lon), merc_x(bounds.max_lon)
    y0, y1 = merc_y(bounds.max_lat), merc_y(bounds.min_lat)
    return (x0 // step * step, y0 // step * step, (x1 // step + 1) * step - 1,
            (y1 // step + 1) * step - 1)


def _fmt(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


@metrics.timed(metrics.SEARCH_DURATION, "map")
def search_map(session: Session, params: MapParams) -> MapResults:
    """Clusters and single spaces of the search's results inside params.bbox widened to whole
    map cells (module docstring); InvalidInput as for the list."""
    filters = search_filters(session, params.model_copy(update={"bbox": None}))
    shift = cell_shift(params.zoom, params.bounds)
    box = map_box(params.bounds)
    db = session.connection()
    if not filters.narrowed and shift >= MAP_CELL_SHIFT:
        groups = db.execute(_counted_cells(filters.city_id, box, shift)).all()
    else:
        groups = db.execute(_spaces_in_cells(filters, box, shift)).all()
    cell = 1 << shift
    clusters, single_ids = [], []
    total = 0
    for cell_x, cell_y, count, first_id, sum_x, sum_y in groups:
        count = int(count)
        total += count
        if count == 1:
            single_ids.append(first_id)
        else:  # the cell's box holds all its spaces: a click on the cluster zooms to it
            edges = (lon_of_x(cell_x * cell), lat_of_y((cell_y + 1) * cell),
                     lon_of_x((cell_x + 1) * cell), lat_of_y(cell_y * cell))
            clusters.append(MapCluster(
                lat=round(lat_of_y(int(sum_y) / count), 6), lon=round(lon_of_x(int(sum_x) / count), 6),
                count=count, bbox=",".join(_fmt(v) for v in edges)))
    clusters.sort(key=lambda c: -c.count)
    return MapResults(total=total, clusters=clusters,
                      spaces=_singles(db, single_ids, filters.unit))


def _spaces_in_cells(filters, box: tuple[int, int, int, int] | None, shift: int):
    """Cells of the grid with their spaces' count, smallest id and coordinate sums, from
    every matching space in the box (the (city_id, merc_x, merc_y) index)."""
    gx, gy = SS.merc_x.op(">>")(shift), SS.merc_y.op(">>")(shift)
    query = select(gx, gy, func.count(), func.min(SS.space_id), func.sum(SS.merc_x),
                   func.sum(SS.merc_y)).select_from(SS)
    if filters.needs_space:
        query = query.join(Space, Space.id == SS.space_id)
    conditions = list(filters.conditions)
    if box is not None:
        conditions += [SS.merc_x.between(box[0], box[2]), SS.merc_y.between(box[1], box[3])]
    if conditions:
        query = query.where(*conditions)
    return query.group_by(gx, gy)


def _counted_cells(city_id: int | None, box: tuple[int, int, int, int] | None, shift: int):
    """The same from space_map_cell, for a view with no filter but the city: the map cells
    (2^MAP_CELL_SHIFT) summed into the grid's (2^shift, shift >= MAP_CELL_SHIFT)."""
    up = shift - MAP_CELL_SHIFT
    gx, gy = MC.cx.op(">>")(up), MC.cy.op(">>")(up)
    query = select(gx, gy, func.sum(MC.spaces), func.min(MC.min_id), func.sum(MC.sum_x),
                   func.sum(MC.sum_y))
    if city_id is not None:
        query = query.where(MC.city_id == city_id)
    if box is not None:
        query = query.where(MC.cx.between(box[0] >> MAP_CELL_SHIFT, box[2] >> MAP_CELL_SHIFT),
                            MC.cy.between(box[1] >> MAP_CELL_SHIFT, box[3] >> MAP_CELL_SHIFT))
    return query.group_by(gx, gy)


def results_extent(session: Session, params: SearchParams) -> Bounds | None:
    """The box around every result of the filters (where the map first looks), None when
    nothing matches. From the counted cells when only a city (or box) is asked for."""
    filters = search_filters(session, params)
    if not filters.narrowed and params.bbox is None:
        query = select(func.min(MC.cx), func.min(MC.cy), func.max(MC.cx), func.max(MC.cy))
        if filters.city_id is not None:
            query = query.where(MC.city_id == filters.city_id)
        row = session.connection().execute(query).one()
        if row[0] is None:
            return None
        step = 1 << MAP_CELL_SHIFT
        x0, y0, x1, y1 = row[0] * step, row[1] * step, (row[2] + 1) * step, (row[3] + 1) * step
    else:
        query = select(func.min(SS.merc_x), func.min(SS.merc_y), func.max(SS.merc_x),
                       func.max(SS.merc_y)).select_from(SS)
        if filters.needs_space:
            query = query.join(Space, Space.id == SS.space_id)
        if filters.conditions:
            query = query.where(*filters.conditions)
        row = session.connection().execute(query).one()
        if row[0] is None:
            return None
        x0, y0, x1, y1 = row[0], row[1], row[2] + 1, row[3] + 1
    return Bounds(lon_of_x(x0), lat_of_y(y1), lon_of_x(x1), lat_of_y(y0))


def _singles(db, ids: list[int], unit: PriceUnit | None) -> list[MapSpace]:
    """The pins of single spaces: name, point and the "from" price (in the filtered unit, else
    the first unit the space rents by, as on its card)."""
    if not ids:
        return []
    rows = db.execute(
        select(SS.space_id, Space.name, lat_of(SS.location), lon_of(SS.location),
               SS.price_hour_from, SS.price_day_from, SS.price_month_from, Space.currency)
        .join(Space, Space.id == SS.space_id)
        .where(SS.space_id.in_(ids))
        .order_by(SS.space_id)
    ).all()
    out = []
    for space_id, name, lat, lon, hour, day, month, currency in rows:
        shown, price = shown_price(hour, day, month, unit)
        out.append(MapSpace(id=space_id, name=name, lat=round(lat, 6), lon=round(lon, 6), price_from=price,
                            price_unit=shown, currency=currency,
                            price_label=format_money(price, currency) if price is not None else ""))
    return out

