"""Builders for the fixture world used by service and API tests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from functools import partial

from geoalchemy2 import Geometry
from sqlalchemy import cast, func, select
from sqlmodel import Session

from coworking_app.demo.seed import SeedReport, seed_reference
from coworking_app.services.accounts.signup import do_create_staff
from coworking_app.services.catalog.geo import lat_of, locate_point, lon_of
from coworking_app.services.catalog.spaces import do_refresh_space_summary
from models import City, District, Photo, Resource, Role, Space, Tariff, TransitStop

RANDOM_CENTER = (55.0302, 82.9204)  # Novosibirsk, Lenin square: random-point spaces
RANDOM_COUNT = 250


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)
    random_points: list[tuple[int, float, float]] = field(default_factory=list)
    district_slug: str = ""
    other_district_slug: str = ""
    stop_id: int = 0
    stop_latlon: tuple[float, float] = (0.0, 0.0)
    owner_id: int = 0  # the owner of every world space


def make_space(
    session: Session,
    *,
    name: str,
    lat: float,
    lon: float,
    amenities: list[str] | None = None,
    resources: list[tuple[str, int, dict[str, int]]] | None = None,
    status: str = "published",
    description: str = "",
    rating: float = 0.0,
    reviews: int = 0,
    photos: int = 0,
    owner_id: int | None = None,
) -> Space:
    city_id, district_id = locate_point(session, lat, lon)
    assert city_id is not None, f"{name}: point outside every city"
    city = session.get(City, city_id)
    space = Space(
        owner_id=owner_id, name=name, description=description, address=f"{city.name_ru}, тестовая ул., 1",
        location=f"SRID=4326;POINT({lon} {lat})", city_id=city_id, district_id=district_id,
        timezone=city.timezone, status=status, amenities=sorted(amenities or []),
        rating=rating, reviews_count=reviews,
        opening_hours={d: {"open": "09:00", "close": "21:00"}
                       for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    session.add(space)
    session.flush()
    for kind, capacity, prices in (resources if resources is not None
                                   else [("hot_desk", 10, {"hour": 30000})]):
        resource = Resource(space_id=space.id, kind=kind, name=f"{kind} {capacity}",
                            capacity=capacity, min_minutes=60, max_minutes=600)
        session.add(resource)
        session.flush()
        for unit, price in prices.items():
            session.add(Tariff(resource_id=resource.id, unit=unit, price_minor=price))
    for n in range(photos):
        session.add(Photo(space_id=space.id, position=n, storage_key=f"t/{space.id}-{n}.jpg",
                          thumb_key=f"t/{space.id}-{n}_t.jpg", width=10, height=10))
    session.flush()
    do_refresh_space_summary(session, space)
    session.flush()
    return space


def _inside(session: Session, district: District) -> tuple[float, float]:
    pt = session.execute(
        select(func.ST_Y(func.ST_PointOnSurface(cast(District.boundary, Geometry))),
               func.ST_X(func.ST_PointOnSurface(cast(District.boundary, Geometry))))
        .where(District.id == district.id)
    ).one()
    return float(pt[0]), float(pt[1])


def build_world(session: Session) -> World:
    seed_reference(session, SeedReport())
    world = World()
    # Every published space has an owner (services.catalog.spaces.is_bookable): the world's is this one.
    owner = do_create_staff(session, email="world-owner@example.com", password="World-Owner-Pass-42",
                            full_name="Владелец Мира", role=Role.owner)
    world.owner_id = owner.id
    owned = partial(make_space, owner_id=owner.id)
    moscow = session.scalar(select(City).where(City.slug == "moscow"))
    districts = session.scalars(
        select(District).where(District.city_id == moscow.id).order_by(District.id)
    ).all()
    d_a, d_b = districts[0], districts[1]
    world.district_slug, world.other_district_slug = d_a.slug, d_b.slug
    a_lat, a_lon = _inside(session, d_a)
    b_lat, b_lon = _inside(session, d_b)

    world.ids["alpha"] = owned(
        session, name="Альфа коворкинг", lat=a_lat, lon=a_lon,
        amenities=["wifi", "coffee", "parking"],
        resources=[("hot_desk", 20, {"hour": 30000, "day": 150000})],
        description="Уютный коворкинг с парковкой и кофе.", rating=4.5, reviews=10, photos=2,
    ).id
    world.ids["beta"] = owned(
        session, name="Бета офис", lat=b_lat, lon=b_lon, amenities=["wifi", "shower"],
        resources=[("meeting_room", 8, {"hour": 150000}), ("hot_desk", 4, {"day": 90000})],
        description="Офис с переговорной и душем.", rating=3.9, reviews=3,
    ).id
    world.ids["gamma"] = owned(
        session, name="Гамма лофт", lat=a_lat + 0.0005, lon=a_lon + 0.0005,
        amenities=["wifi", "coffee", "parking", "gym"],
        resources=[("private_office", 40, {"month": 9000000}), ("hot_desk", 12, {"hour": 60000})],
        description="Лофт для больших команд. Large team offices.", rating=4.9, reviews=40,
    ).id
    world.ids["hidden"] = owned(
        session, name="Скрытый коворкинг парковка", lat=a_lat, lon=a_lon,
        amenities=["wifi", "coffee", "parking"], status="hidden",
    ).id
    world.ids["draft"] = owned(
        session, name="Черновик коворкинг", lat=a_lat, lon=a_lon,
        amenities=["wifi", "coffee", "parking"], status="draft",
    ).id

    stop = session.scalar(
        select(TransitStop).where(TransitStop.city_id != moscow.id, TransitStop.kind == "metro")
        .order_by(TransitStop.id)
    )
    stop_lat, stop_lon = session.execute(
        select(lat_of(TransitStop.location), lon_of(TransitStop.location))
        .where(TransitStop.id == stop.id)
    ).one()
    world.stop_id, world.stop_latlon = stop.id, (stop_lat, stop_lon)
    world.ids["metro_text"] = owned(
        session, name="Дельта", lat=stop_lat + 0.002, lon=stop_lon,  # ~220 m north of the stop
        amenities=["wifi"],
        description="Современный коворкинг в двух минутах от метро. Coworking near the metro.",
    ).id

    rnd = random.Random(7)
    for n in range(RANDOM_COUNT):
        lat = RANDOM_CENTER[0] + rnd.uniform(-0.25, 0.25)
        lon = RANDOM_CENTER[1] + rnd.uniform(-0.4, 0.4)
        space = owned(
            session, name=f"Случайная точка {n}", lat=lat, lon=lon, amenities=["kitchen"],
            resources=[("hot_desk", rnd.randint(1, 30), {"hour": rnd.randrange(10000, 90000, 500)})],
            rating=round(rnd.uniform(0, 5), 2),
        )
        world.random_points.append((space.id, lat, lon))
    return world



def jpeg_bytes(color: tuple[int, int, int] = (120, 140, 160), size: tuple[int, int] = (640, 480)) -> bytes:
    """A small real JPEG: a space needs a photo before it goes to moderation."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()
