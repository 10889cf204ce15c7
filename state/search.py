"""The /search page: filters live in the URL query; the service does the searching."""

from __future__ import annotations

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import UNIT_CHOICES, format_money, plural
from coworking_app.maps import MapPin, publish, results_map
from coworking_app.services.catalog import catalog
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.catalog.search_log import record_search
from coworking_app.services.catalog.search import SearchParams, search_spaces
from state.search_query import (
    ANY, DISTANCE, STOP_RADIUS_CHOICES, SearchForm, Widen, count_active_filters, error_text,
    form_from_query, point_label, query_from_form, search_url, sort_choices, widen_links,
    without_pointless_sort,
)
from state.views import CardView, Option, card_view
from state.page import PageState

PAGE_SIZE = 20


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
    map_url: str = ""
    widen: list[Widen] = []
    active_filters: int = 0
    filters_open: bool = False  # the filter panel on phones; always shown on wider screens

    # Choices.
    city_options: list[Option] = []
    district_options: list[Option] = []
    stop_options: list[Option] = []
    amenity_options: list[Option] = []

    _query: dict[str, str] = {}
    _point: dict[str, str] = {}

    @rx.event
    def on_load(self):
        # The form shows the URL's filters at once; the results follow when the search is done.
        query = without_pointless_sort({k: v for k, v in self.router.url.query_parameters.items() if v})
        self._query = query
        self._set_form(form_from_query(query))
        self.active_filters = count_active_filters(query)
        self.loading = True
        yield
        try:
            self._search(query)
        finally:
            self.loading = False

    def _set_form(self, form: SearchForm) -> None:
        for key in ("city", "district", "stop_id", "stop_radius_m", "amenities", "min_price",
                    "max_price", "price_unit", "seats", "q", "sort", "page", "day", "time_from",
                    "time_to"):
            setattr(self, key, getattr(form, key))
        self._point = form.point
        self.point_label = point_label(form.point)

    def _form(self) -> SearchForm:
        return SearchForm(
            city=self.city, district=self.district, stop_id=self.stop_id,
            stop_radius_m=self.stop_radius_m, amenities=list(self.amenities),
            min_price=self.min_price, max_price=self.max_price, price_unit=self.price_unit,
            seats=self.seats, q=self.q, sort=self.sort, point=dict(self._point),
            day=self.day, time_from=self.time_from, time_to=self.time_to,
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
        self.summary = ("Найдено " if result.total_exact else "Найдено более ") + count
        if not result.items:
            self.widen = widen_links(query)
        pins = [
            MapPin(c.lat, c.lon, c.price_from and format_money(c.price_from, c.currency) or "•",
                   c.name, c.address, f"/spaces/{c.id}")
            for c in result.items
        ]
        point = (params.lat, params.lon) if params.lat is not None and params.lon is not None else None
        self.map_url = publish(results_map(pins, point, city and (city.lat, city.lon),
                                           params.radius_km))

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
            self.results, self.total, self.pages, self.map_url = [], 0, 0, ""
            self.summary = ""
            return None
        icons = {a.code: a for a in catalog.list_amenities(session)}
        city = catalog.find_city(session, params.city) if params.city else None
        return params, result, icons, city

    def _load_choices(self, session) -> None:
        cities = catalog.list_cities(session)
        self.city_options = [Option(c.slug, c.name_ru) for c in cities]
        city = catalog.find_city(session, self.city) if self.city != ANY else None
        city_id = city.id if city else None
        self.district_options = (
            [Option(d.slug, d.name_ru) for d in catalog.list_districts(session, city_id)]
            if city_id else []
        )
        self.stop_options = (
            [Option(str(s.id), f"{s.name_ru} ({s.line_name})")
             for s in catalog.list_stops(session, city_id)]
            if city_id else []
        )
        self.amenity_options = [Option(a.code, a.name_ru) for a in catalog.list_amenities(session)]

    # --- form events -------------------------------------------------------------

    def _navigate(self, query: dict[str, str]):
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
        return self.apply()

    @rx.event
    def go_to_page(self, page: int):
        query = dict(self._query)
        query["page"] = str(max(1, min(int(page), max(1, self.pages))))
        return self._navigate(query)

    @rx.var
    def sort_options(self) -> list[Option]:
        point = self.stop_id != ANY or self.point_label != ""  # a station, or lat/lon in the URL
        return [Option(v, label) for v, label in sort_choices(point)]

    @rx.var
    def stop_radius_options(self) -> list[Option]:
        return [Option(v, label) for v, label in STOP_RADIUS_CHOICES]

    @rx.var
    def unit_options(self) -> list[Option]:
        return [Option(v, label) for v, label in UNIT_CHOICES]

    @rx.var
    def has_prev(self) -> bool:
        return self.page > 1

    @rx.var
    def has_next(self) -> bool:
        return self.page < self.pages

    @rx.var
    def page_label(self) -> str:
        return f"Страница {self.page} из {max(self.pages, 1)}"
