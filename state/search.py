"""The /search page: filters live in the URL query; the service does the searching."""

from __future__ import annotations

import reflex as rx
from pydantic import ValidationError

from dataclasses import dataclass

from coworking_app.formatting import UNIT_CHOICES, plural
from coworking_app.services.catalog import catalog, places
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.catalog.search_log import record_search
from coworking_app.services.catalog.search import Bounds, SearchParams, format_bbox, parse_bbox, search_spaces
from coworking_app.services.catalog.search_map import MAX_ZOOM, MapParams, results_extent, search_map
from state.search_query import (
    ANY, DISTANCE, MAX_NEAR_LENGTH, RADIUS_CHOICES, STOP_RADIUS_CHOICES, SearchForm, Widen,
    count_active_filters, error_text, form_from_query, point_label, query_from_form, search_url,
    sort_choices, widen_links, without_pointless_sort,
)
from state.views import CardView, Option, card_view
from state.page import PageState
from coworking_app.i18n import Labels, N_, tr

PAGE_SIZE = 20
RUSSIA = "30,53,84,61"  # Saint Petersburg to Novosibirsk: the map's view with no city
CITY_HALF_SPAN = (0.22, 0.13)  # degrees of longitude and latitude around a city's centre
POINT_HALF_SPAN = (0.03, 0.017)  # around a point without a radius: a walk
# The browser's geolocation, answered as {lat, lon} or {error}; the callback gets it.
LOCATE_JS = """new Promise((resolve) => {
  if (!navigator.geolocation) { resolve({error: "unavailable"}); return; }
  navigator.geolocation.getCurrentPosition(
    (p) => resolve({lat: p.coords.latitude, lon: p.coords.longitude}),
    (e) => resolve({error: e && e.code === 1 ? "denied" : (e && e.code === 3 ? "timeout" : "unavailable")}),
    {enableHighAccuracy: false, timeout: 10000, maximumAge: 60000});
})"""
GEO_MESSAGES = Labels({
    "denied": N_("Браузер не дал узнать, где вы: разрешите доступ к местоположению для этого сайта или выберите точку на карте."),
    "timeout": N_("Не удалось быстро определить, где вы. Попробуйте ещё раз или выберите точку на карте."),
    "unavailable": N_("Местоположение сейчас недоступно. Выберите точку на карте или найдите адрес."),
})
PLACE_KEYS = ("city", "district", "stop_id", "stop_radius_m", "lat", "lon", "radius_km", "bbox")
PLACE_KINDS = {"stop": "train-front", "district": "map", "city": "building-2", "space": "briefcase"}


@dataclass
class PlaceOption:
    """A suggestion of the address box, as shown."""

    index: int = 0
    label: str = ""
    detail: str = ""
    icon: str = "map-pin"


def _box(center_lat: float, center_lon: float, half: tuple[float, float]) -> str:
    return format_bbox(Bounds(max(-180.0, center_lon - half[0]), max(-85.0, center_lat - half[1]),
                              min(180.0, center_lon + half[0]), min(85.0, center_lat + half[1])))


def _radius_box(lat: float, lon: float, radius_km: float) -> str:
    """The box around a circle of radius_km (a little wider, so the circle shows whole)."""
    import math

    dlat = radius_km * 1.1 / 111.32
    dlon = dlat / max(0.1, math.cos(math.radians(lat)))
    return _box(lat, lon, (min(dlon, 29.0), min(dlat, 14.0)))


def _number(value: object, low: float, high: float) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


class SearchState(PageState):
    # Filter form, as typed.
    city: str = ANY
    district: str = ANY
    stop_id: str = ANY
    stop_radius_m: str = "1000"
    amenities: list[str] = []
    min_price: str = ""
    max_price: str = ""
    price_unit: str = "hour"
    seats: str = ""
    q: str = ""
    sort: str = "relevance"
    point_label: str = ""
    page: int = 1
    day: str = ""  # free-time filter: day, from, to (the city's local time)
    time_from: str = ""
    time_to: str = ""

    # Results.
    results: list[CardView] = []
    total: int = 0
    pages: int = 0
    summary: str = ""
    error: str = ""
    error_field: str = ""
    loading: bool = False
    widen: list[Widen] = []
    active_filters: int = 0
    filters_open: bool = False  # the filter panel on phones; always shown on wider screens

    # Choices.
    city_options: list[Option] = []
    district_options: list[Option] = []
    stop_options: list[Option] = []
    amenity_options: list[Option] = []

    # The map: what it shows (the state's clusters and pins of the current view), where it
    # is told to look (fit, taken when fit_key changes) and what the person did with it.
    map_clusters: list[dict] = []
    map_pins: list[dict] = []
    map_total: int = -1  # -1: not counted yet
    map_loading: bool = False
    map_error: str = ""
    map_fit: str = RUSSIA
    map_fit_key: int = 0
    map_moved: bool = False  # panned or zoomed by the person: "Искать в этой области"
    area_active: bool = False  # the results are limited to a map area (bbox in the URL)
    point_latlon: list[float] = []
    radius_m: float = 0.0
    radius: str = ANY
    highlighted: int = 0
    highlight_lat: float | None = None
    highlight_lon: float | None = None
    geo_message: str = ""
    locating: bool = False
    place_q: str = ""
    place_options: list[PlaceOption] = []
    place_message: str = ""

    _query: dict[str, str] = {}
    _point: dict[str, str] = {}
    _area: str = ""  # the searched map area (bbox), as in the URL
    _keep_view_now: bool = False
    _view_bbox: str = ""
    _view_zoom: int = 11
    _keep_view: bool = False  # the next load keeps the map where the person put it
    _card_points: dict[str, list[float]] = {}
    _places: list[dict] = []

    @rx.event
    def on_load(self):
        # The form shows the URL's filters at once; the results follow when the search is done.
        query = without_pointless_sort({k: v for k, v in self.router.url.query_parameters.items() if v})
        self._query = query
        self._set_form(form_from_query(query))
        self.active_filters = count_active_filters(query)
        self.loading = True
        self._set_map_from(query)
        yield
        try:
            self._search(query)
        finally:
            self.loading = False
        if not self._keep_view_now:
            return
        self._keep_view_now = False
        self._refresh_map()

    def _set_form(self, form: SearchForm) -> None:
        for key in ("city", "district", "stop_id", "stop_radius_m", "amenities", "min_price",
                    "max_price", "price_unit", "seats", "q", "sort", "page", "day", "time_from",
                    "time_to"):
            setattr(self, key, getattr(form, key))
        self._point = form.point
        self.point_label = point_label(form.point)
        self._area = form.area

    def _form(self) -> SearchForm:
        return SearchForm(
            city=self.city, district=self.district, stop_id=self.stop_id,
            stop_radius_m=self.stop_radius_m, amenities=list(self.amenities),
            min_price=self.min_price, max_price=self.max_price, price_unit=self.price_unit,
            seats=self.seats, q=self.q, sort=self.sort, point=dict(self._point),
            day=self.day, time_from=self.time_from, time_to=self.time_to, area=self._area,
        )

    def _search(self, query: dict[str, str]) -> None:
        self.error, self.error_field, self.widen = "", "", []
        found = self._read(lambda session: self._search_in(session, query))
        if not found.ok or found.value is None:
            return
        params, result, icons, city = found.value
        self.results = [card_view(card, icons) for card in result.items]
        self.total = result.total
        self.pages = (result.total + PAGE_SIZE - 1) // PAGE_SIZE
        count = plural(result.total, "пространство", "пространства", "пространств")
        self.summary = (tr("Найдено ") if result.total_exact else tr("Найдено более ")) + count
        if not result.items:
            self.widen = widen_links(query)
        self._card_points = {str(c.id): [c.lat, c.lon] for c in result.items}

    def _search_in(self, session, query: dict[str, str]):
        """The page's choices and the results (None when the query is refused: self.error)."""
        self._load_choices(session)
        try:
            params = SearchParams.model_validate({"page_size": PAGE_SIZE, **query})
            result = search_spaces(session, params)
            last = max(1, -(-result.total // PAGE_SIZE))
            if not result.items and params.page > last:
                # A page past the end (an old link, "page=99"): show the last one.
                params = params.model_copy(update={"page": last})
                result = search_spaces(session, params)
                self.page = last
                self._query = {**self._query, "page": str(last)} if last > 1 else \
                    {k: v for k, v in self._query.items() if k != "page"}
            record_search(params, result.total)
        except (InvalidInput, ValidationError) as exc:
            self.error_field, self.error = error_text(exc)
            self.results, self.total, self.pages = [], 0, 0
            self.summary = ""
            self.map_clusters, self.map_pins, self.map_total = [], [], 0
            return None
        icons = {a.code: a for a in catalog.list_amenities(session)}
        city = catalog.find_city(session, params.city) if params.city else None
        return params, result, icons, city

    def _load_choices(self, session) -> None:
        cities = catalog.list_cities(session)
        self.city_options = [Option(c.slug, c.name) for c in cities]
        city = catalog.find_city(session, self.city) if self.city != ANY else None
        city_id = city.id if city else None
        self.district_options = (
            [Option(d.slug, d.name) for d in catalog.list_districts(session, city_id)]
            if city_id else []
        )
        self.stop_options = (
            [Option(str(s.id), f"{s.name} ({s.line})")
             for s in catalog.list_stops(session, city_id)]
            if city_id else []
        )
        self.amenity_options = [Option(a.code, a.name) for a in catalog.list_amenities(session)]

    # --- form events -------------------------------------------------------------

    def _navigate(self, query: dict[str, str]):
        # A new filter keeps the map where the person has it; a new place (city, district,
        # station, point, area) moves it there, unless a handler said otherwise.
        if not self._keep_view:
            self._keep_view = all(query.get(k) == self._query.get(k) for k in PLACE_KEYS)
        return rx.redirect(search_url(query))

    def _query_from_form(self) -> dict[str, str]:
        found = self._read(lambda session: catalog.find_city(session, self.city) if self.city != ANY else None)
        city = found.value if found.ok else None
        return query_from_form(self._form(), city.timezone if city else "Europe/Moscow")

    @rx.event
    def apply(self):
        return self._navigate(self._query_from_form())

    @rx.event
    def submit(self, form_data: dict):
        return self._navigate(self._query_from_form())

    @rx.event
    def set_free(self, name: str, value: str):
        """Day and hours of the free-time filter (validated by the search service)."""
        if name in ("day", "time_from", "time_to") and isinstance(value, str):
            setattr(self, name, value[:10])

    @rx.event
    def set_city(self, value: str):
        self.city = str(value)[:100]
        self.district, self.stop_id = ANY, ANY
        # Another city: the point and the map area of the last one mean nothing there.
        self._area, self._point, self.point_label = "", {}, ""
        if self.sort == DISTANCE and self.stop_id == ANY:
            self.sort = "relevance"
        return self.apply()

    @rx.event
    def set_district(self, value: str):
        self.district = str(value)[:100]
        return self.apply()

    @rx.event
    def set_stop(self, value: str):
        self.stop_id = str(value)[:20]
        if self.stop_id == ANY and self.sort == DISTANCE and "lat" not in self._point:
            self.sort = "relevance"
        return self.apply()

    @rx.event
    def set_stop_radius(self, value: str):
        self.stop_radius_m = str(value)[:6]
        return self.apply()

    @rx.event
    def set_sort(self, value: str):
        self.sort = str(value)[:20]
        self._keep_view = True
        return self.apply()

    @rx.event
    def set_price_unit(self, value: str):
        self.price_unit = str(value)[:10]
        return self.apply()

    @rx.event
    def toggle_amenity(self, code: str, checked: bool):
        code = str(code)[:32]
        current = [c for c in self.amenities if c != code]
        self.amenities = current + [code] if checked else current
        return self.apply()

    @rx.event
    def set_q(self, value: str):
        self.q = str(value)[:250]

    @rx.event
    def set_min_price(self, value: str):
        self.min_price = str(value)[:12]

    @rx.event
    def set_max_price(self, value: str):
        self.max_price = str(value)[:12]

    @rx.event
    def set_seats(self, value: str):
        self.seats = str(value)[:6]

    @rx.event
    def toggle_filters(self):
        self.filters_open = not self.filters_open

    @rx.event
    def clear_point(self):
        self._point = {}
        self.point_label = ""
        if self.sort == "distance":
            self.sort = "relevance"
        self._keep_view = True
        return self.apply()

    @rx.event
    def go_to_page(self, page: int):
        query = dict(self._query)
        query["page"] = str(max(1, min(int(page), max(1, self.pages))))
        self._keep_view = True
        return self._navigate(query)

    # --- the map ------------------------------------------------------------------

    def _set_map_from(self, query: dict[str, str]) -> None:
        """Map state for the URL's query: the point and its radius, the searched area, and,
        unless the person's own move led here, where the map looks."""
        lat = _number(query.get("lat"), -90, 90)
        lon = _number(query.get("lon"), -180, 180)
        radius = _number(query.get("radius_km"), 0.001, 100)
        self.point_latlon = [lat, lon] if lat is not None and lon is not None else []
        self.radius_m = radius * 1000 if radius and self.point_latlon else 0.0
        self.radius = query.get("radius_km", ANY) if self.point_latlon else ANY
        self.area_active = bool(query.get("bbox"))
        self.map_moved = False
        self.highlighted, self.highlight_lat, self.highlight_lon = 0, None, None
        if self._keep_view:
            self._keep_view, self._keep_view_now = False, True
            return
        self.map_fit = self._fit_for(query)
        self.map_fit_key += 1  # the map moves there and reports its view (map_view)

    def _fit_for(self, query: dict[str, str]) -> str:
        try:
            if query.get("bbox"):
                return format_bbox(parse_bbox(query["bbox"]))
        except InvalidInput:
            pass
        if self.point_latlon:
            lat, lon = self.point_latlon
            radius = self.radius_m / 1000
            return _radius_box(lat, lon, radius) if radius else _box(lat, lon, POINT_HALF_SPAN)
        filters = {k: v for k, v in query.items() if k not in ("page", "sort", "near")}
        found = self._read(lambda session: results_extent(session, SearchParams.model_validate(filters)))
        if found.ok and found.value is not None:
            box = found.value
            # A single space (or a few in one spot) is shown with its street, not at zoom 20.
            lat, lon = (box.min_lat + box.max_lat) / 2, (box.min_lon + box.max_lon) / 2
            if box.max_lon - box.min_lon < 2 * POINT_HALF_SPAN[0]:
                return _box(lat, lon, POINT_HALF_SPAN)
            return format_bbox(box)
        if query.get("city"):
            city = self._read(lambda session: catalog.find_city(session, query["city"]))
            if city.ok and city.value is not None:
                return _box(city.value.lat, city.value.lon, CITY_HALF_SPAN)
        return RUSSIA

    def _map_query(self) -> dict[str, str] | None:
        """The map's request: the list's filters, the view narrowed to the searched area and
        the zoom; None when the view lies outside the area (nothing to show)."""
        query = {k: v for k, v in self._query.items() if k not in ("page", "sort", "near")}
        view = None
        try:
            view = parse_bbox(self._view_bbox) if self._view_bbox else None
            area = parse_bbox(query["bbox"]) if query.get("bbox") else None
        except InvalidInput:
            return None
        box = view.intersect(area) if view and area else (view or area)
        if view and area and box is None:
            return None
        query.pop("bbox", None)
        if box is not None:
            query["bbox"] = format_bbox(box)
        query["zoom"] = str(self._view_zoom)
        return query

    def _refresh_map(self) -> None:
        query = self._map_query()
        if query is None:
            self.map_clusters, self.map_pins, self.map_total, self.map_error = [], [], 0, ""
            return
        found = self._read(lambda session: search_map(session, MapParams.model_validate(query)))
        if not found.ok or found.value is None:
            # The list shows what is wrong with the filters; the map just stays empty.
            self.map_clusters, self.map_pins, self.map_total = [], [], 0
            self.map_error = "" if self.error else found.message
            return
        result = found.value
        self.map_error = ""
        self.map_total = result.total
        self.map_clusters = [c.model_dump(mode="json") for c in result.clusters]
        self.map_pins = [p.model_dump(mode="json") for p in result.spaces]

    @rx.event
    def map_view(self, view: dict):
        """The map moved (or was told where to look): its clusters and pins for the view."""
        if not isinstance(view, dict):
            return
        bbox = view.get("bbox")
        try:
            self._view_bbox = format_bbox(parse_bbox(bbox)) if bbox else ""
        except InvalidInput:
            self._view_bbox = ""
        zoom = _number(view.get("zoom"), 0, MAX_ZOOM)
        self._view_zoom = int(zoom) if zoom is not None else self._view_zoom
        if view.get("user") is True:
            self.map_moved = True
        self.map_loading = True
        yield
        try:
            self._refresh_map()
        finally:
            self.map_loading = False

    @rx.event
    def search_area(self):
        """"Искать в этой области": the results of the visible part of the map."""
        if not self._view_bbox:
            return rx.toast.info(tr("Приблизьте карту: область слишком большая для поиска"))
        query = {k: v for k, v in self._query.items() if k != "page"}
        query["bbox"] = self._view_bbox
        self._keep_view = True
        return self._navigate(query)

    @rx.event
    def clear_area(self):
        query = {k: v for k, v in self._query.items() if k not in ("bbox", "page")}
        self._keep_view = True
        return self._navigate(query)

    def _with_point(self, lat: float, lon: float, name: str, *, keep_view: bool) -> dict[str, str]:
        query = {k: v for k, v in self._query.items() if k not in ("lat", "lon", "near", "page")}
        query["lat"], query["lon"] = f"{lat:.6f}", f"{lon:.6f}"
        if name:
            query["near"] = name[:MAX_NEAR_LENGTH]
        self._keep_view = keep_view
        return query

    @rx.event
    def map_pick(self, where: dict):
        """A click on the map: the person's point, where the map is."""
        lat = _number(where.get("lat") if isinstance(where, dict) else None, -90, 90)
        lon = _number(where.get("lon") if isinstance(where, dict) else None, -180, 180)
        if lat is None or lon is None:
            return
        self.geo_message = ""
        return self._navigate(self._with_point(lat, lon, "", keep_view=True))

    @rx.event
    def locate(self):
        """"Рядом со мной": asks the browser where the person is (located answers)."""
        self.geo_message = ""
        self.locating = True
        return rx.call_script(LOCATE_JS, callback=SearchState.located)

    @rx.event
    def located(self, answer: dict):
        self.locating = False
        lat = _number(answer.get("lat") if isinstance(answer, dict) else None, -90, 90)
        lon = _number(answer.get("lon") if isinstance(answer, dict) else None, -180, 180)
        if lat is None or lon is None:
            error = answer.get("error") if isinstance(answer, dict) else None
            self.geo_message = GEO_MESSAGES.get(str(error), GEO_MESSAGES["unavailable"])
            return
        self.geo_message = ""
        # Near the person wherever they are: the point stands for the city and its parts.
        self._query = {k: v for k, v in self._query.items()
                       if k not in ("city", "district", "stop_id", "stop_radius_m", "bbox")}
        return self._navigate(self._with_point(lat, lon, tr("вы здесь"), keep_view=False))

    @rx.event
    def dismiss_geo_message(self):
        self.geo_message = ""

    @rx.event
    def set_radius(self, value: str):
        query = {k: v for k, v in self._query.items() if k not in ("radius_km", "page")}
        if str(value) != ANY and self.point_latlon:
            query["radius_km"] = str(value)[:6]
        return self._navigate(query)

    @rx.event
    def set_place_q(self, value: str):
        """The address box: suggestions from our stations, districts and spaces."""
        typed = self.place_q = str(value)[:places.MAX_QUERY_LENGTH]
        city_slug, client_ip = self._query.get("city"), self._client_ip()

        def suggest(session):
            city = catalog.find_city(session, city_slug) if city_slug else None
            return places.do_suggest_for(session, client_ip, typed, city_id=city.id if city else None)

        found = self._read(suggest)
        if not found.ok:
            self.place_options, self._places, self.place_message = [], [], found.message
            return
        self._places = [p.model_dump() for p in found.value or []]
        self.place_options = [PlaceOption(i, p["label"], p["detail"], PLACE_KINDS.get(p["kind"], "map-pin"))
                              for i, p in enumerate(self._places)]
        typed = len(self.place_q.strip()) >= places.MIN_QUERY_LENGTH
        self.place_message = tr("Ничего не нашлось: попробуйте станцию метро, район или адрес") \
            if typed and not self.place_options else ""

    @rx.event
    def choose_place(self, index: int):
        try:
            place = self._places[int(index)]
        except (IndexError, TypeError, ValueError):
            return
        self.place_q, self.place_options, self._places, self.place_message = "", [], [], ""
        query = dict(self._query)
        if place["kind"] == "city":  # a city is a filter, not a point
            query = {k: v for k, v in query.items()
                     if k not in ("lat", "lon", "near", "radius_km", "district", "stop_id",
                                  "stop_radius_m", "bbox", "page")}
            query["city"] = place["city_slug"]
            return self._navigate(without_pointless_sort(query))
        if query.get("city") and query["city"] != place["city_slug"]:
            query["city"] = place["city_slug"]
            for key in ("district", "stop_id", "stop_radius_m"):
                query.pop(key, None)
        self._query = query
        return self._navigate(self._with_point(place["lat"], place["lon"], place["label"],
                                               keep_view=False))

    @rx.event
    def close_places(self):
        self.place_options, self._places, self.place_message = [], [], ""

    @rx.event
    def card_enter(self, space_id: int):
        """A result card under the pointer: its pin (or its cluster) stands out."""
        try:
            self.highlighted = int(space_id)
        except (TypeError, ValueError):
            return
        where = self._card_points.get(str(self.highlighted))
        self.highlight_lat, self.highlight_lon = (where[0], where[1]) if where else (None, None)

    @rx.event
    def card_leave(self):
        self.highlighted, self.highlight_lat, self.highlight_lon = 0, None, None

    @rx.event
    def pin_clicked(self, space_id: int):
        """A pin clicked: its card stands out and comes into view (when on this page)."""
        try:
            space_id = int(space_id)
        except (TypeError, ValueError):
            return
        self.highlighted = space_id
        self.highlight_lat = self.highlight_lon = None
        if str(space_id) in self._card_points:
            return rx.call_script(
                f"document.getElementById('card-{space_id}')"
                "?.scrollIntoView({block: 'center', behavior: 'smooth'})")

    @rx.var(cache=False)  # worded in the tab's language
    def radius_options(self) -> list[Option]:
        return [Option(v, tr(label)) for v, label in RADIUS_CHOICES]

    @rx.var(cache=False)  # worded in the tab's language
    def map_summary(self) -> str:
        if self.map_total < 0:
            return ""
        if self.map_total == 0:
            return tr("На карте здесь ничего нет")
        return tr("На карте: ") + plural(self.map_total, "пространство", "пространства", "пространств")

    @rx.var
    def sort_options(self) -> list[Option]:
        point = self.stop_id != ANY or self.point_label != ""  # a station, or lat/lon in the URL
        return [Option(v, label) for v, label in sort_choices(point)]

    @rx.var(cache=False)  # worded in the tab's language
    def stop_radius_options(self) -> list[Option]:
        return [Option(v, tr(label)) for v, label in STOP_RADIUS_CHOICES]

    @rx.var(cache=False)  # worded in the tab's language
    def unit_options(self) -> list[Option]:
        return [Option(v, tr(label)) for v, label in UNIT_CHOICES]

    @rx.var
    def has_prev(self) -> bool:
        return self.page > 1

    @rx.var
    def has_next(self) -> bool:
        return self.page < self.pages

    @rx.var(cache=False)  # worded in the tab's language
    def page_label(self) -> str:
        return tr("Страница {page} из {max}", page=self.page, max=max(self.pages, 1))
