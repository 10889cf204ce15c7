"""Places as you type: metro stations and stops, districts, cities and our published spaces
(their names and addresses), from our own data only (no geocoder is reachable from the
servers). Used by the search page's address box, the owner editor's address box and
`GET /api/v1/places`.

Matching is by words, Russian-first: the text is lower-cased and ё is read as е, and every
word typed must begin a word of the place ("тверс" finds «Тверская», "пл рев" finds
«Площадь Революции», "елк" finds «Ёлки»). Ranking, best first:
  1. how it matched: the whole name, then the name's beginning, then a word of the name,
     then a word of a space's address;
  2. the kind: a city, a station, a district, a space;
  3. shorter names first, then alphabetical.
A city given narrows stations, districts and spaces to it; cities are always offered.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, literal_column, select
from sqlmodel import Session

from coworking_app.services.accounts import ratelimit
from coworking_app.services.catalog import catalog
from coworking_app.services.catalog.geo import lat_of, local_name, lon_of
from coworking_app.services.catalog.spaces import public_space_filter
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.common.text import check_chars
from models import City, District, Space
from coworking_app.i18n import Labels, N_, tr

MAX_QUERY_LENGTH = 100
MIN_QUERY_LENGTH = 2  # one letter would match half the city
MAX_LIMIT = 20
MAX_WORDS = 6
SPACE_CANDIDATES = 60  # spaces read per query before ranking (names first, then rating)
LOOKUPS_PER_MINUTE = 300  # per client address: about five minutes of steady typing a minute

PlaceKind = Literal["stop", "district", "city", "space"]
_KIND_ORDER = {"city": 0, "stop": 1, "district": 2, "space": 3}
_WORD = re.compile(r"[^\W_]+")
_STOP_KINDS = Labels({"metro": N_("метро"), "tram": N_("трамвай"), "bus": N_("автобус")})


class Place(BaseModel):
    """One suggestion: what to show (label, detail) and where it is."""

    kind: PlaceKind = Field(description="stop (metro, tram, bus), district, city or space")
    label: str = Field(description="The name as people write it")
    detail: str = Field(description="The line of a stop, the city of a district, a space's address")
    lat: float
    lon: float
    city_slug: str
    id: int | None = Field(None, description="The stop's, district's, city's or space's id")


def normalize(text: str) -> str:
    """Lower case with ё read as е: how names are compared."""
    return text.casefold().replace("ё", "е")


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def check_query(q: object) -> str:
    """The query stripped; InvalidInput naming `q` when it is not text, too long or holds
    control characters."""
    if q is None:
        return ""
    if not isinstance(q, str):
        raise InvalidInput("q", tr("Ожидается текст"))
    check_chars("q", q)
    q = q.strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidInput("q", tr("Не длиннее {MAX_QUERY_LENGTH} символов", MAX_QUERY_LENGTH=MAX_QUERY_LENGTH))
    return q


def _either(query_words: list[str], russian: str, english: str) -> int | None:
    """The better match of a reference row's two names (people type either)."""
    ranks = [r for r in (match_rank(query_words, russian), match_rank(query_words, english) if english else None)
             if r is not None]
    return min(ranks, default=None)


def match_rank(query_words: list[str], name: str, extra: str = "") -> int | None:
    """How well the typed words match a place named `name` (and described by `extra`, a
    space's address): 0 the whole name, 1 the name's beginning (its first words begin with
    the typed ones, in order), 2 words of the name, 3 words of the name and address; None
    when some typed word begins no word."""
    if not query_words:
        return None
    name_words = words(name)
    if name_words == query_words:
        return 0
    if len(query_words) <= len(name_words) and all(
            w.startswith(t) for w, t in zip(name_words, query_words)):
        return 1
    if all(any(w.startswith(t) for w in name_words) for t in query_words):
        return 2
    every = name_words + words(extra)
    if extra and all(any(w.startswith(t) for w in every) for t in query_words):
        return 3
    return None


def suggest_places(session: Session, q: str, *, city_id: int | None = None,
                   limit: int = 8) -> list[Place]:
    """Places whose names (or, for spaces, addresses) begin with the words of `q`, best first
    (module docstring). Fewer than MIN_QUERY_LENGTH letters give no suggestions."""
    q = check_query(q)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", tr("От 1 до {MAX_LIMIT}", MAX_LIMIT=MAX_LIMIT))
    query_words = words(q)[:MAX_WORDS]
    if sum(len(w) for w in query_words) < MIN_QUERY_LENGTH:
        return []
    cities = {c.id: c for c in catalog.list_cities(session)}
    if city_id is not None and city_id not in cities:
        raise InvalidInput("city", tr("Такого города нет"))

    found: list[tuple[tuple, Place]] = []

    def offer(rank: int | None, place: Place) -> None:
        if rank is not None:
            key = (rank, _KIND_ORDER[place.kind], len(place.label), normalize(place.label),
                   place.detail)
            found.append((key, place))

    for city in cities.values():
        offer(_either(query_words, city.name_ru, city.name_en),
              Place(kind="city", label=city.name, detail=tr("Город"), lat=city.lat, lon=city.lon,
                    city_slug=city.slug, id=city.id))
    for stop in catalog.list_stops(session, city_id):
        city = cities[stop.city_id]
        line = stop.line if stop.kind != "metro" or "линия" in stop.line_name.casefold() \
            else tr("{line_name} линия", line_name=stop.line)
        kind = "" if stop.kind == "metro" else _STOP_KINDS.get(stop.kind, "") + ", "
        offer(_either(query_words, stop.name_ru, stop.name_en),
              Place(kind="stop", label=stop.name, detail=f"{kind}{line}, {city.name}",
                    lat=stop.lat, lon=stop.lon, city_slug=city.slug, id=stop.id))
    for district in _districts(session, city_id):
        offer(match_rank(query_words, district.label), district)
    for space, address in _spaces(session, query_words, city_id):
        offer(match_rank(query_words, space.label, address), space)

    found.sort(key=lambda item: item[0])
    seen: set[tuple[str, str, str]] = set()
    places: list[Place] = []
    for _key, place in found:
        marker = (place.kind, normalize(place.label), normalize(place.detail))
        if marker not in seen:
            seen.add(marker)
            places.append(place)
        if len(places) == limit:
            break
    return places


def _districts(session: Session, city_id: int | None) -> list[Place]:
    """Every district (of the city), placed at a point inside its outline."""
    inside = func.ST_PointOnSurface(func.geometry(District.boundary))
    query = (select(District.id, local_name(District), local_name(City), City.slug,
                    func.ST_Y(inside), func.ST_X(inside))
             .join(City, City.id == District.city_id))
    if city_id is not None:
        query = query.where(District.city_id == city_id)
    return [Place(kind="district", label=name, detail=tr("район, {city_name}", city_name=city_name), lat=lat, lon=lon,
                  city_slug=slug, id=district_id)
            for district_id, name, city_name, slug, lat, lon in session.execute(query)]


# The normalised text of a space that suggestions search: the expression of the trigram
# index ix_space_place_text (migration c4d2e8a1f5b7), written the same way so that the
# planner uses it.
def space_place_text():
    return func.translate(func.lower(Space.name.op("||")(literal_column("' '")).op("||")(Space.address)),
                          literal_column("'ё'"), literal_column("'е'"))


def _spaces(session: Session, query_words: list[str],
            city_id: int | None) -> list[tuple[Place, str]]:
    """Published spaces whose name or address holds words beginning with the typed ones:
    (place, address). Every word is looked up in the trigram index (LIKE '%word%') and
    checked to begin a word (a regular expression); names that begin with the query first,
    then the best rated."""
    text = space_place_text()
    conditions = [public_space_filter()]
    for word in query_words:  # letters and digits only: nothing to escape
        conditions.append(text.like(f"%{word}%"))
        conditions.append(text.op("~")(f"(^|[^[:alnum:]]){word}"))
    if city_id is not None:
        conditions.append(Space.city_id == city_id)
    name_first = func.translate(func.lower(Space.name), literal_column("'ё'"),
                                literal_column("'е'")).like(f"{query_words[0]}%")
    rows = session.execute(
        select(Space.id, Space.name, Space.address, lat_of(Space.location), lon_of(Space.location),
               City.slug)
        .join(City, City.id == Space.city_id)
        .where(and_(*conditions))
        .order_by(name_first.desc(), Space.rating.desc(), Space.id)
        .limit(SPACE_CANDIDATES)
    ).all()
    return [(Place(kind="space", label=name, detail=address, lat=lat, lon=lon, city_slug=slug,
                   id=space_id), address)
            for space_id, name, address, lat, lon, slug in rows]


def do_suggest_for(session: Session, client_ip: str, q: str, *, city_id: int | None = None,
                   limit: int = 8) -> list[Place]:
    """`suggest_places` for one client address: every call counts against
    LOOKUPS_PER_MINUTE (the API and the search page's box alike)."""
    do_count_lookup(client_ip)
    return suggest_places(session, q, city_id=city_id, limit=limit)


def do_count_lookup(client_ip: str) -> None:
    """One suggestion lookup from this client address; RateLimited past LOOKUPS_PER_MINUTE."""
    ratelimit.do_take(f"places:{client_ip}", LOOKUPS_PER_MINUTE, 60,
                      message=tr("Слишком много запросов подсказок, подождите немного"))


_ABBREVIATION = re.compile(r"(?<!\w)[^\W\d_]{1,4}\.")  # "ул.", "д.", "пр." of a postal address


def address_suggestions(session: Session, text: str, *, client_ip: str | None = None,
                        limit: int = 6) -> list[Place]:
    """Places for a whole postal address as people write it (suggest_places): the whole text
    first; when nothing matches, without the city in front ("Москва, Чистые пр"), then each
    comma-separated part from the last, without abbreviations like "ул." and house numbers
    ("Москва, ул. Тверская, 7" finds «Тверская»). At most four lookups, counted as one
    against the client's limit (do_count_lookup) when `client_ip` is given."""
    if client_ip is not None:
        do_count_lookup(client_ip)
    text = str(text)[:MAX_QUERY_LENGTH]
    parts = [p.strip() for p in text.split(",") if p.strip()]
    cities = {normalize(c.name_ru) for c in catalog.list_cities(session)}
    tries = [text]
    if len(parts) > 1 and normalize(parts[0]) in cities:
        tries.append(", ".join(parts[1:]))
    for part in reversed(parts):
        bare = " ".join(w for w in _ABBREVIATION.sub(" ", part).split() if not any(ch.isdigit() for ch in w))
        if bare and normalize(bare) not in cities:
            tries.append(bare)
    for query in list(dict.fromkeys(tries))[:4]:
        found = suggest_places(session, query, limit=limit)
        if found:
            return found
    return []
