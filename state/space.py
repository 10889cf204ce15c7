"""The /spaces/[space_id] page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.vars.base import Var

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
from coworking_app.services.catalog import catalog, favourites
from coworking_app.services.catalog.similar import similar_spaces
from coworking_app.services.catalog.spaces import SpaceDetail, get_published_space, is_open_at
from state.auth import AuthState, login_url
from state.inputs import parse_id
from state.page import PageState
from state.views import CardView, card_view
from coworking_app.i18n import tr


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
    space_id: int = 0
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
    saved: bool = False  # in the signed-in person's favourites
    save_busy: bool = False
    similar: list[CardView] = []  # "Похожие рядом"

    @rx.event
    async def load(self):
        self.loading, self.viewer_open, self.similar, self.saved = True, False, [], False
        space_id = parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])
        found = self._read(lambda session: get_published_space(session, space_id)) if space_id else None
        if found is None or not found.ok:  # (NotFound: not public, or no such space)
            self.found, self.loading, self.name = False, False, ""
            return None
        self.space_id = found.value.id
        self._show(found.value)
        self.found, self.loading = True, False
        nearby = self._read(lambda session: (similar_spaces(session, space_id),
                                             {a.code: a for a in catalog.list_amenities(session)}))
        if nearby.ok:
            cards, icons = nearby.value
            self.similar = [card_view(c, icons) for c in cards]
        if not (await self.get_state(AuthState)).signed_in:
            return None
        # Back from sign-in after "Сохранить" (?save=1): saved now, as the person asked.
        wants = self.router.url.query_parameters.get("save") == "1"
        done = await self._visit(lambda s, _fx, u: (
            u is not None and (favourites.do_save_space(s, u, space_id) if wants
                               else favourites.is_saved(s, u, space_id))))
        self.saved = bool(done.ok and done.value)
        if wants and self.saved:
            # The address without ?save=1: a later reload does not save it again.
            return [rx.toast.success(tr("Сохранено в избранное"), description=tr("Список — в кабинете, «Избранное»")),
                    rx.call_function(Var(_js_expr=FORGET_SAVE_SCRIPT))]
        return None

    @rx.event
    async def toggle_save(self):
        """"Сохранить" / "Сохранено": a stranger goes to sign-in and comes back saving it."""
        space_id = self.space_id
        if not (await self.get_state(AuthState)).signed_in:
            return rx.redirect(login_url(f"/spaces/{space_id}?save=1"))
        saving = not self.saved
        self.save_busy = True
        done = await self._act(lambda s, _fx, u: (favourites.do_save_space if saving
                                                   else favourites.do_unsave_space)(s, u, space_id))
        self.save_busy = False
        if not done.ok:
            return done.toast()
        self.saved = saving
        return rx.toast.success(tr("Сохранено в избранное") if saving else tr("Убрано из избранного"))

    @rx.event
    def shared(self, outcome: str):
        """What the share button's script did (SHARE_SCRIPT): a toast saying so."""
        outcome = str(outcome)
        if outcome == "copied":
            return rx.toast.success(tr("Ссылка скопирована"), description=tr("Вставьте её в сообщение или письмо"))
        if outcome.startswith("failed"):
            return rx.toast.error(tr("Не удалось скопировать ссылку: скопируйте адрес страницы из адресной строки"))
        return None

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
        self.capacity = tr("до ") + plural(d.max_capacity, "места", "мест", "мест")
        self.timezone = tr("местное время, ") + zone_name(now.astimezone(ZoneInfo(d.timezone)))
        self.open_now = is_open_at(d, now)
        self.photos = [PhotoView(p.url, p.thumb_url, i) for i, p in enumerate(d.photos)]
        self.amenities = [AmenityView(a.name, a.icon) for a in d.amenities]
        self.resources = [
            ResourceView(
                name=r.name,
                kind=RESOURCE_KIND_LABELS.get(r.kind, r.kind),
                capacity=plural(r.capacity, "место", "места", "мест"),
                duration=tr("от {format_minutes} до {format_minutes2}", format_minutes=format_minutes(r.min_minutes), format_minutes2=format_minutes(r.max_minutes)),
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
                     tr("{distance_m} м · ~{walk_minutes} мин пешком", distance_m=s.distance_m, walk_minutes=s.walk_minutes))
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


FORGET_SAVE_SCRIPT = """() => {
  const url = new URL(window.location.href);
  url.searchParams.delete("save");
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
}"""

# The share button's script (pages/space.py): the phone's own share sheet where there is one
# (Web Share API on touch screens), otherwise the link into the clipboard; "copied",
# "shared", "cancelled" or "failed" goes to SpaceState.shared. The link is the page's own
# address without the booking choice in its query.
SHARE_SCRIPT = """async () => {
  const url = window.location.origin + window.location.pathname;
  const touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  if (touch && navigator.share) {
    try { await navigator.share({title: document.title, url: url}); return "shared"; }
    catch (e) { if (e && e.name === "AbortError") return "cancelled"; }
  }
  try { await navigator.clipboard.writeText(url); return "copied"; } catch (e) {}
  try {
    const area = document.createElement("textarea");
    area.value = url; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    const ok = document.execCommand("copy"); document.body.removeChild(area);
    if (ok) return "copied";
  } catch (e) {}
  return "failed";
}"""
