"""A large synthetic set of published spaces for benchmarks (COPY, ~100k rows in seconds)."""

from __future__ import annotations

import math
import random

from sqlalchemy import func, select, text
from sqlmodel import Session

from coworking_app.demo.seed import AMENITIES, BRANDS
from coworking_app.services.catalog.geo import lat_of, lon_of
from models import City, Space

_SPREAD_KM = {"moscow": 9.0, "saint-petersburg": 7.0, "novosibirsk": 6.0}
_WEIGHTS = {"moscow": 0.5, "saint-petersburg": 0.3, "novosibirsk": 0.2}
_WORDS = ["коворкинг", "офис", "переговорная", "лофт", "кабинет", "рабочее место",
          "open space", "студия", "бизнес-центр", "креативное пространство"]


def seed_scale(session: Session, count: int, seed: int = 1) -> int:
    rnd = random.Random(seed)
    cities = {c.slug: c for c in session.scalars(select(City))}
    if not cities:
        raise RuntimeError("run seed-demo first: synthetic spaces need the cities")
    centers = {
        slug: (lat, lon)
        for slug, lat, lon in session.execute(
            select(City.slug, lat_of(City.center), lon_of(City.center))
        )
    }
    slugs = [s for s in _WEIGHTS if s in cities]
    weights = [_WEIGHTS[s] for s in slugs]
    codes = [a[0] for a in AMENITIES]
    first_id = (session.scalar(select(func.max(Space.id))) or 0) + 1

    raw = session.connection().connection.driver_connection
    columns = (
        "name, description, address, location, city_id, timezone, opening_hours, status, "
        "amenities, price_hour_from, price_day_from, price_month_from, currency, "
        "max_capacity, rating, reviews_count"
    )
    hours = '{"mon": {"open": "09:00", "close": "21:00"}, "tue": {"open": "09:00", "close": "21:00"}, ' \
        '"wed": {"open": "09:00", "close": "21:00"}, "thu": {"open": "09:00", "close": "21:00"}, ' \
        '"fri": {"open": "09:00", "close": "21:00"}, "sat": null, "sun": null}'
    with raw.cursor() as cur:
        with cur.copy(f"COPY space ({columns}) FROM STDIN") as copy:
            for n in range(count):
                slug = rnd.choices(slugs, weights)[0]
                city = cities[slug]
                lat0, lon0 = centers[slug]
                spread = _SPREAD_KM[slug] * 1000
                dy, dx = rnd.gauss(0, spread / 2), rnd.gauss(0, spread / 2)
                lat = lat0 + dy / 111_320
                lon = lon0 + dx / (111_320 * math.cos(math.radians(lat0)))
                hour = rnd.randrange(100, 900, 10) * 100
                words = " ".join(rnd.sample(_WORDS, 3))
                copy.write_row((
                    f"{rnd.choice(BRANDS)} {n + first_id}",
                    f"Синтетическое пространство: {words}. Synthetic workspace for benchmarks.",
                    f"{city.name_ru}, тестовая ул., {rnd.randint(1, 200)}",
                    f"SRID=4326;POINT({lon:.6f} {lat:.6f})",
                    city.id, city.timezone, hours,
                    "published" if rnd.random() < 0.95 else "hidden",
                    sorted(set(rnd.sample(codes, rnd.randint(2, 10)))),
                    hour, hour * 6, hour * 80 if rnd.random() < 0.8 else None, "RUB",
                    rnd.randint(1, 80), round(rnd.uniform(3.0, 5.0), 2), rnd.randint(0, 300),
                ))
    params = {"first": first_id}
    session.execute(text(
        "UPDATE space s SET district_id = d.id FROM district d "
        "WHERE s.id >= :first AND ST_Covers(d.boundary, s.location)"
    ), params)
    session.execute(text(
        "INSERT INTO resource (space_id, kind, name, capacity, min_minutes, max_minutes) "
        "SELECT id, 'hot_desk', 'Открытое пространство', max_capacity, 60, 44640 "
        "FROM space WHERE id >= :first"
    ), params)
    for unit, column in (("hour", "price_hour_from"), ("day", "price_day_from"),
                         ("month", "price_month_from")):
        session.execute(text(
            f"INSERT INTO tariff (resource_id, unit, price_minor, currency) "
            f"SELECT r.id, '{unit}', s.{column}, 'RUB' FROM resource r JOIN space s "
            f"ON s.id = r.space_id WHERE s.id >= :first AND s.{column} IS NOT NULL"
        ), params)
    session.execute(text("ANALYZE space"))
    session.execute(text("ANALYZE resource"))
    session.execute(text("ANALYZE tariff"))
    return count
