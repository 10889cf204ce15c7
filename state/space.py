"""The /spaces/[space_id] page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import reflex as rx

from coworking_app.formatting import (
    RESOURCE_KIND_LABELS,
    UNIT_LABELS,
    WEEKDAY_LABELS,
    format_hours,
    format_minutes,
    format_money,
    format_price,
    format_rating,
    plural,
    zone_name,
)
from coworking_app.maps import MapPin, publish, render_map
from coworking_app.services.catalog.spaces import SpaceDetail, get_published_space, is_open_at
from state.inputs import parse_id
from state.page import PageState


@dataclass
class PhotoView:
    url: str = ""
    thumb: str = ""
    index: int = 0


@dataclass
class AmenityView:
    name: str = ""
    icon: str = ""


@dataclass
class TariffView:
    label: str = ""
    price: str = ""


@dataclass
class ResourceView:
    name: str = ""
    kind: str = ""
    capacity: str = ""
    duration: str = ""
    tariffs: list[TariffView] = field(default_factory=list)


@dataclass
class HoursView:
    day: str = ""
    hours: str = ""
    today: bool = False


@dataclass
class StopView:
    name: str = ""
    line: str = ""
    color: str = ""
    distance: str = ""


class SpaceState(PageState):
    found: bool = True
    bookable: bool = False  # services.catalog.spaces.is_bookable: the booking panel and "ask the host"
    loading: bool = True
    name: str = ""
    description: str = ""
    address: str = ""
    place: str = ""
    price: str = ""
    rating: str = ""
    capacity: str = ""
    timezone: str = ""
    open_now: bool = False
    photos: list[PhotoView] = []
    amenities: list[AmenityView] = []
    resources: list[ResourceView] = []
    hours: list[HoursView] = []
    stops: list[StopView] = []
    map_url: str = ""
    search_href: str = "/search"
    viewer_open: bool = False
    viewer_index: int = 0

    @rx.event
    def load(self):
        self.loading, self.viewer_open = True, False
        space_id = parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])
        found = self._read(lambda session: get_published_space(session, space_id)) if space_id else None
        if found is None or not found.ok:  # (NotFound: not public, or no such space)
            self.found, self.loading, self.name = False, False, ""
            return
        self._show(found.value)
        self.found, self.loading = True, False

    def _show(self, d: SpaceDetail) -> None:
        now = datetime.now(timezone.utc)
        self.name, self.description, self.address = d.name, d.description, d.address
        self.place = ", ".join(p for p in (d.district, d.city) if p)
        unit, price = next(
            ((u, p) for u, p in (("hour", d.price_hour_from), ("day", d.price_day_from),
                                 ("month", d.price_month_from)) if p is not None),
            (None, None),
        )
        self.price = format_price(price, d.currency, unit)
        self.rating = format_rating(d.rating, d.reviews_count)
        self.capacity = "до " + plural(d.max_capacity, "места", "мест", "мест")
        self.timezone = "местное время, " + zone_name(now.astimezone(ZoneInfo(d.timezone)))
        self.open_now = is_open_at(d, now)
        self.photos = [PhotoView(p.url, p.thumb_url, i) for i, p in enumerate(d.photos)]
        self.amenities = [AmenityView(a.name, a.icon) for a in d.amenities]
        self.resources = [
            ResourceView(
                name=r.name,
                kind=RESOURCE_KIND_LABELS.get(r.kind, r.kind),
                capacity=plural(r.capacity, "место", "места", "мест"),
                duration=f"от {format_minutes(r.min_minutes)} до {format_minutes(r.max_minutes)}",
                tariffs=[
                    TariffView(UNIT_LABELS[t.unit.value], format_money(t.price_minor, t.currency))
                    for t in r.tariffs
                ],
            )
            for r in d.resources
        ]
        today = now.astimezone(ZoneInfo(d.timezone)).weekday()
        self.hours = [
            HoursView(WEEKDAY_LABELS[h.day], format_hours(h.open, h.close), i == today)
            for i, h in enumerate(d.opening_hours)
        ]
        self.stops = [
            StopView(s.name, s.line, s.line_color,
                     f"{s.distance_m} м · ~{s.walk_minutes} мин пешком")
            for s in d.nearest_stops
        ]
        self.map_url = publish(render_map([MapPin(d.lat, d.lon, "●", d.name, d.address)],
                                          (d.lat, d.lon), zoom=15))
        self.search_href = f"/search?city={d.city_slug}"
        self.bookable = d.bookable

    @rx.event
    def open_photo(self, index: int):
        if self.photos:
            self.viewer_index = max(0, min(int(index), len(self.photos) - 1))
            self.viewer_open = True

    @rx.event
    def set_viewer_open(self, value: bool):
        self.viewer_open = bool(value)

    @rx.event
    def next_photo(self):
        if self.photos:
            self.viewer_index = (self.viewer_index + 1) % len(self.photos)

    @rx.event
    def prev_photo(self):
        if self.photos:
            self.viewer_index = (self.viewer_index - 1) % len(self.photos)

    @rx.var
    def viewer_url(self) -> str:
        if not self.photos:
            return ""
        return self.photos[min(self.viewer_index, len(self.photos) - 1)].url

    @rx.var
    def viewer_caption(self) -> str:
        return f"{self.viewer_index + 1} / {len(self.photos)}" if self.photos else ""

    @rx.var
    def cover_url(self) -> str:
        return self.photos[0].url if self.photos else ""
