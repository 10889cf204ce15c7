"""The home page: search box, cities, featured spaces."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import reflex as rx

from coworking_app.formatting import plural
from coworking_app.services.catalog import catalog
from coworking_app.services.catalog.search import SearchParams, SortOrder, search_spaces
from state.page import PageState
from state.views import CardView, Option, card_view

FEATURED_COUNT = 6


@dataclass
class CityCard:
    slug: str = ""
    name: str = ""
    count: str = ""
    href: str = ""


class HomeState(PageState):
    cities: list[CityCard] = []
    city_options: list[Option] = []
    featured: list[CardView] = []
    loading: bool = True
    q: str = ""
    city: str = "moscow"

    @rx.event
    def load(self):
        found = self._read(lambda session: (
            catalog.count_published_by_city(session), catalog.list_cities(session),
            {a.code: a for a in catalog.list_amenities(session)},
            search_spaces(session, SearchParams(sort=SortOrder.rating, page_size=FEATURED_COUNT))))
        counts, cities, icons, featured = found.value
        self.cities = [
            CityCard(c.slug, c.name,
                     plural(counts.get(c.id, 0), "пространство", "пространства", "пространств"),
                     f"/search?city={c.slug}")
            for c in cities
        ]
        self.city_options = [Option(c.slug, c.name) for c in cities]
        self.featured = [card_view(card, icons) for card in featured.items]
        self.loading = False

    @rx.event
    def set_q(self, value: str):
        self.q = str(value)[:200]

    @rx.event
    def set_city(self, value: str):
        self.city = str(value)[:100]

    @rx.event
    def search(self, form_data: dict | None = None):
        query = {"city": self.city} if self.city else {}
        if self.q.strip():
            query["q"] = self.q.strip()
        return rx.redirect("/search?" + urlencode(query))
