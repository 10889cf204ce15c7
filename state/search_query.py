"""The /search URL query <-> filter form translation, and the "widen your search" links.

Pure functions, no state and no database: the URL query is what the REST API takes
(money in minor units), the form is what a person types (whole roubles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.common.validation import russian_message
from coworking_app.i18n import Labels, N_, tr

ANY = "any"  # Radix select items cannot have an empty value
DEFAULT_STOP_RADIUS = "1000"
SORT_CHOICES = [
    ("relevance", N_("По релевантности")),
    ("price", N_("Сначала дешевле")),
    ("rating", N_("По рейтингу")),
    ("distance", N_("Ближе к точке")),
    ("newest", N_("Сначала новые")),
]
DISTANCE = "distance"  # needs a point: a chosen metro station, or lat/lon in the URL
STOP_RADIUS_CHOICES = [("500", N_("500 м")), ("1000", N_("1 км")), ("1500", N_("1,5 км")), ("2000", N_("2 км")),
                       ("3000", N_("3 км"))]
FIELD_LABELS = Labels({
    "city": N_("Город"), "district": N_("Район"), "stop_id": N_("Метро"), "amenities": N_("Удобства"),
    "min_price": N_("Цена от"), "max_price": N_("Цена до"), "seats": N_("Мест"), "q": N_("Запрос"),
    "lat": N_("Широта"), "lon": N_("Долгота"), "radius_km": N_("Радиус"), "sort": N_("Сортировка"),
    "page": N_("Страница"), "price_unit": N_("Единица цены"), "stop_radius_m": N_("Радиус от метро"),
    "start": N_("Свободно с"), "end": N_("Свободно до"), "bbox": N_("Область карты"),
})
# The point: where it is, the radius around it and the name it was chosen by (a station,
# an address, "your location"); the name only labels it.
_POINT_KEYS = ("lat", "lon", "radius_km", "near")
RADIUS_CHOICES = [("1", N_("1 км")), ("2", N_("2 км")), ("3", N_("3 км")), ("5", N_("5 км")), ("10", N_("10 км")),
                  ("25", N_("25 км"))]
MAX_NEAR_LENGTH = 80


@dataclass
class Widen:
    label: str = ""
    href: str = ""


@dataclass
class SearchForm:
    """The filter form as typed; every field is a string, as inputs give them."""

    city: str = ANY
    district: str = ANY
    stop_id: str = ANY
    stop_radius_m: str = DEFAULT_STOP_RADIUS
    amenities: list[str] = field(default_factory=list)
    min_price: str = ""
    max_price: str = ""
    price_unit: str = "hour"
    seats: str = ""
    q: str = ""
    sort: str = "relevance"
    point: dict[str, str] = field(default_factory=dict)
    page: int = 1
    day: str = ""  # YYYY-MM-DD: free on this day ...
    time_from: str = ""  # ... from HH:MM
    time_to: str = ""  # ... to HH:MM, in the city's local time
    area: str = ""  # the map area searched ("Искать в этой области"): bbox


def has_point(query: dict[str, str]) -> bool:
    """Whether "closer to the point" can sort: a metro station or a lat/lon pair is set."""
    return bool(query.get("stop_id")) or bool(query.get("lat") and query.get("lon"))


def sort_choices(point: bool) -> list[tuple[str, str]]:
    """The sort options offered: distance only when there is a point to measure from."""
    return [(v, tr(label)) for v, label in SORT_CHOICES if point or v != DISTANCE]


def without_pointless_sort(query: dict[str, str]) -> dict[str, str]:
    """A URL asking for sort=distance with no point (an old link, a hand-edited URL, the
    station cleared) is searched by relevance instead of failing."""
    if query.get("sort") == DISTANCE and not has_point(query):
        return {k: v for k, v in query.items() if k != "sort"}
    return query


def search_url(query: dict[str, str]) -> str:
    return "/search" + ("?" + urlencode(query) if query else "")


def error_text(exc: Exception) -> tuple[str, str]:
    """(field, message) of a validation failure, for the callout above the results."""
    if isinstance(exc, InvalidInput):
        field_name, message = exc.field, exc.message
    elif isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field_name = str(first["loc"][0]) if first["loc"] else ""
        message = russian_message(first)
    else:
        field_name, message = "", str(exc)
    label = FIELD_LABELS.get(field_name)  # never the parameter name itself
    return field_name, f"{label}: {message}" if label else message


def roubles_to_minor(value: str) -> str | None:
    """"1 500,5" -> "150050"; junk is passed through so that validation names the field."""
    value = value.strip().replace(" ", "").replace(",", ".")
    if not value:
        return None
    try:
        return str(round(float(value) * 100))
    except ValueError:
        return value


def minor_to_roubles(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(int(value) // 100)
    except ValueError:
        return value


def _free_fields(query: dict[str, str]) -> tuple[str, str, str]:
    """(day, from, to) shown for the start/end of the URL (kept in their own offset)."""
    try:
        start = datetime.fromisoformat(query["start"])
        end = datetime.fromisoformat(query["end"])
    except (KeyError, ValueError):
        return "", "", ""
    end_label = "24:00" if end.date() > start.date() and end.strftime("%H:%M") == "00:00" else f"{end:%H:%M}"
    return start.date().isoformat(), f"{start:%H:%M}", end_label


def free_interval(form: SearchForm, zone: str) -> dict[str, str]:
    """start/end (ISO 8601 with the city's offset) for the form's day and hours; an
    unreadable value is passed on as typed, so that validation names the field."""
    if not form.day:
        return {}
    time_from, time_to = form.time_from or "00:00", form.time_to or "24:00"
    try:
        tz = ZoneInfo(zone)
        day = date.fromisoformat(form.day)
        start = datetime.combine(day, time.fromisoformat(time_from), tzinfo=tz)
        end = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) if time_to == "24:00"
               else datetime.combine(day, time.fromisoformat(time_to), tzinfo=tz))
    except ValueError:
        return {"start": f"{form.day}T{time_from}", "end": f"{form.day}T{time_to}"}
    return {"start": start.isoformat(), "end": end.isoformat()}


def form_from_query(query: dict[str, str]) -> SearchForm:
    try:
        page = max(1, int(query.get("page", "1")))
    except ValueError:
        page = 1
    day, time_from, time_to = _free_fields(query)
    return SearchForm(
        day=day, time_from=time_from, time_to=time_to,
        city=query.get("city", ANY),
        district=query.get("district", ANY),
        stop_id=query.get("stop_id", ANY),
        stop_radius_m=query.get("stop_radius_m", DEFAULT_STOP_RADIUS),
        amenities=[c for c in query.get("amenities", "").split(",") if c],
        min_price=minor_to_roubles(query.get("min_price")),
        max_price=minor_to_roubles(query.get("max_price")),
        price_unit=query.get("price_unit", "hour"),
        seats=query.get("seats", ""),
        q=query.get("q", ""),
        sort=query.get("sort", "relevance"),
        point={k: query[k] for k in _POINT_KEYS if k in query},
        page=page,
        area=query.get("bbox", ""),
    )


def query_from_form(form: SearchForm, zone: str = "Europe/Moscow") -> dict[str, str]:
    """The URL query for a form; defaults are left out so links stay short. `zone` is the
    chosen city's time zone, in which the free-time filter is typed."""
    query: dict[str, str] = free_interval(form, zone)
    for key in ("city", "district", "stop_id"):
        if getattr(form, key) != ANY:
            query[key] = getattr(form, key)
    if "stop_id" in query and form.stop_radius_m not in ("", DEFAULT_STOP_RADIUS):
        query["stop_radius_m"] = form.stop_radius_m
    query.update(form.point)
    if form.area:
        query["bbox"] = form.area
    if form.amenities:
        query["amenities"] = ",".join(form.amenities)
    for key in ("min_price", "max_price"):
        value = roubles_to_minor(getattr(form, key))
        if value is not None:
            query[key] = value
    if "min_price" in query or "max_price" in query or form.price_unit != "hour":
        query["price_unit"] = form.price_unit
    for key in ("seats", "q"):
        if getattr(form, key).strip():
            query[key] = getattr(form, key).strip()
    if form.sort != "relevance":
        query["sort"] = form.sort
    return without_pointless_sort(query)


def near_name(query: dict[str, str]) -> str:
    """The name the point was chosen by, as shown: one line, at most MAX_NEAR_LENGTH."""
    name = " ".join("".join(ch if ch.isprintable() else " " for ch in query.get("near", "")).split())
    return name[:MAX_NEAR_LENGTH]


def point_label(query: dict[str, str]) -> str:
    if "lat" not in query or "lon" not in query:
        return ""
    name = near_name(query)
    if "radius_km" in query:
        return tr("{radius_km} км от: {name}", radius_km=query['radius_km'], name=name) if name else tr("В радиусе {radius_km} км от точки", radius_km=query['radius_km'])
    return tr("Рядом: {name}", name=name) if name else tr("Рядом с точкой на карте")


def count_active_filters(query: dict[str, str]) -> int:
    """How many filters narrow the search (city and sorting do not count)."""
    keys = ("district", "stop_id", "amenities", "min_price", "max_price", "seats", "q", "lat",
            "start", "bbox")
    return sum(1 for k in keys if query.get(k))


_REMOVABLE = [
    ("q", N_("Без текстового запроса")), ("amenities", N_("Без фильтра удобств")),
    ("min_price", N_("Без нижней цены")), ("max_price", N_("Без верхней цены")),
    ("seats", N_("Любое число мест")), ("district", N_("Во всём городе")),
    ("stop_id", N_("Не только у метро")), ("radius_km", N_("Без радиуса")),
    ("start", N_("В любое время")), ("bbox", N_("Не только в области карты")),
]


def widen_links(query: dict[str, str]) -> list[Widen]:
    """One link per active filter that drops it (a radius grows instead), and a reset."""
    links = []
    for key, label in _REMOVABLE:
        if key not in query:
            continue
        rest = {k: v for k, v in query.items()
                if k not in (key, "page") and not (key == "start" and k == "end")}
        if key == "radius_km":
            try:
                radius = float(query["radius_km"])
            except ValueError:
                continue
            if 0 < radius < 50:
                wider = f"{min(100.0, radius * 3):g}"
                links.append(Widen(tr("Радиус {wider} км", wider=wider), search_url({**rest, "radius_km": wider})))
            continue
        if key == "stop_id":
            rest.pop("stop_radius_m", None)
        links.append(Widen(tr(label), search_url(rest)))
    if query:
        keep = {k: query[k] for k in ("city",) if k in query}
        links.append(Widen(tr("Сбросить все фильтры"), search_url(keep)))
    return links
