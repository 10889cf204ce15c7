"""The owner's "Рынок рядом" (/owner/spaces/<id>/market): what competitors around a space
charge, from services.market.listings.market_near_space (no queries here)."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import reflex as rx

from coworking_app.formatting import UNIT_LABELS, format_distance, format_money, plural
from coworking_app.maps import MapPin, publish, render_map
from coworking_app.services.market import listings
from state import charts
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import N_, tr

RADII = [("500", N_("500 м")), ("1000", N_("1 км")), ("2000", N_("2 км")), ("5000", N_("5 км")), ("10000", N_("10 км"))]


@dataclass
class UnitRow:
    label: str
    count: str
    quartiles: str  # "400 ₽ – 600 ₽"
    median: str
    spread: str  # "300 ₽ … 800 ₽"
    own: str
    standing: str  # "дешевле 60 % конкурентов"


@dataclass
class NeighbourRow:
    name: str
    url: str
    distance: str
    price: str


def _standing(percentile: int | None) -> str:
    if percentile is None:
        return "—"
    if percentile <= 25:
        return tr("дешевле {value} % конкурентов", value=100 - percentile)
    if percentile >= 75:
        return tr("дороже {percentile} % конкурентов", percentile=percentile)
    return tr("в середине рынка: дороже {percentile} %", percentile=percentile)


def _unit_row(u: listings.UnitStats) -> UnitRow:
    money = lambda v: format_money(v, u.currency)  # noqa: E731
    return UnitRow(label=tr("за {get}", get=UNIT_LABELS.get(u.unit, u.unit)) + ("" if u.currency == "RUB" else f", {u.currency}"),
                   count=str(u.count), quartiles=f"{money(u.q1)} – {money(u.q3)}", median=money(u.median),
                   spread=f"{money(u.min)} … {money(u.max)}", own=money(u.own_price) if u.own_price else "—",
                   standing=_standing(u.own_percentile))


def _distance(metres: int) -> str:
    return format_distance(metres)


class OwnerMarketState(PageState):
    space_id: int = 0
    space_name: str = ""
    radius: str = "2000"
    loading: bool = True
    found: bool = False
    summary: str = ""
    rows: list[UnitRow] = []
    nearest: list[NeighbourRow] = []
    figure: go.Figure = go.Figure()
    map_url: str = ""

    @rx.event
    async def load(self):
        parts = str(self.router.url.path).rstrip("/").split("/")
        self.space_id = (parse_id(parts[-2]) if len(parts) >= 2 else 0) or 0
        await self._show()

    @rx.event
    async def set_radius(self, value: str):
        if value in dict(RADII):
            self.radius = value
            await self._show()

    async def _show(self):
        self.loading = True
        space_id, radius = self.space_id, int(self.radius)
        done = await self._act(lambda s, _fx, u: listings.market_near_space(s, u, space_id, radius))
        self.loading, self.found = False, done.ok
        if not done.ok:
            self.rows, self.nearest, self.summary, self.map_url = [], [], done.message, ""
            return
        market = done.value
        self.space_name = market.space_name
        self.rows = [_unit_row(u) for u in market.units]
        self.nearest = [NeighbourRow(n.name, n.url, _distance(n.distance_m),
                                     f"{format_money(n.price_minor, n.currency)}/{UNIT_LABELS.get(n.unit, n.unit)}")
                        for n in market.nearest]
        radius_text = dict(RADII)[self.radius]
        self.summary = (tr("{plural} конкурентов в радиусе {radius_text}", plural=plural(market.count, 'предложение', 'предложения', 'предложений'), radius_text=radius_text) if market.count else
                        tr("В радиусе {radius_text} пока нет предложений конкурентов: попробуйте радиус больше.", radius_text=radius_text))
        self.figure = charts.market_prices(market.units)
        pins = [MapPin(n.lat, n.lon, format_money(n.price_minor, n.currency), n.name,
                       tr("{distance} · за {get}", distance=_distance(n.distance_m), get=UNIT_LABELS.get(n.unit, n.unit)), n.url)
                for n in market.nearest]
        pins.insert(0, MapPin(market.lat, market.lon, "★", market.space_name, tr("Ваше пространство")))
        self.map_url = publish(render_map(pins, (market.lat, market.lon), zoom=14, circle_m=radius))
