"""Demo data: three real cities with districts, metro, and 160 believable spaces.

`seed_demo` is idempotent: reference rows are upserted by natural key, spaces are
generated deterministically and skipped when a space with the same name and address
already exists, and photo files are only drawn when missing.
"""

from __future__ import annotations

import math
import zlib
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
import random
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.demo import geo_data
from coworking_app.demo.finance import seed_demo_finance
from coworking_app.demo.photos import write_photo
from coworking_app.demo.plans import seed_demo_plans
from coworking_app.services.accounts.signup import do_create_staff
from coworking_app.services.accounts.identity import find_user_by_email
from coworking_app.services.catalog.cache import drop_space_pages
from coworking_app.services.catalog.catalog import invalidate_reference_cache
from coworking_app.services.catalog.geo import haversine_m, locate_point
from coworking_app.services.common.storage import get_storage
from coworking_app.services.catalog.spaces import do_refresh_space_summary
from models import (
    Addon,
    AddonUnit,
    CancellationPolicy,
    Amenity,
    City,
    District,
    Photo,
    PriceUnit,
    Resource,
    ResourceKind,
    Role,
    Space,
    SpaceStatus,
    Tariff,
    TransitStop,
    User,
)

AMENITIES: list[tuple[str, str, str, str]] = [
    # code, Russian name, English name, lucide icon
    ("wifi", "Быстрый Wi‑Fi", "Fast Wi-Fi", "wifi"),
    ("coffee", "Кофе и чай", "Coffee and tea", "coffee"),
    ("printer", "Принтер и сканер", "Printer and scanner", "printer"),
    ("meeting_rooms", "Переговорные", "Meeting rooms", "presentation"),
    ("phone_booths", "Звонковые кабины", "Phone booths", "phone"),
    ("kitchen", "Кухня", "Kitchen", "utensils"),
    ("lockers", "Шкафчики", "Lockers", "lock"),
    ("parking", "Парковка", "Parking", "square-parking"),
    ("bike_parking", "Велопарковка", "Bike parking", "bike"),
    ("shower", "Душ", "Shower", "shower-head"),
    ("access_24_7", "Доступ 24/7", "24/7 access", "clock"),
    ("lounge", "Зона отдыха", "Lounge", "sofa"),
    ("monitors", "Мониторы", "Monitors", "monitor"),
    ("pet_friendly", "Можно с питомцами", "Pet friendly", "dog"),
    ("accessible", "Доступная среда", "Step-free access", "accessibility"),
    ("legal_address", "Юридический адрес", "Registered address", "mail"),
    ("terrace", "Терраса", "Terrace", "trees"),
    ("gym", "Спортзал", "Gym", "dumbbell"),
    ("kids_room", "Детская комната", "Kids room", "baby"),
]

BRANDS = [
    "Точка", "Улей", "Сфера", "Квартал", "Платформа", "Гараж", "Фабрика", "Маяк",
    "Периметр", "Атриум", "Лофт", "Станция", "Высота", "Орбита", "Крыша", "Этаж",
    "Контур", "Мастерская", "Бюро", "Резиденция", "Кампус", "Причал", "Депо", "Голос",
    "Циферблат", "Сад", "Ткацкая", "Пульс", "Вектор", "Цех",
]
SPACES_PER_CITY = {"moscow": 80, "saint-petersburg": 50, "novosibirsk": 30}
PRICE_FACTOR = {"moscow": 1.0, "saint-petersburg": 0.82, "novosibirsk": 0.62}

INTROS = [
    "{name} — коворкинг в {district_loc} с открытым пространством, переговорными и тихой зоной.",
    "Светлый коворкинг {name}: рабочие места для фрилансеров и команд, переговорные и тихая зона.",
    "{name} — пространство для работы и встреч в самом сердце района {district}.",
    "Коворкинг {name} занимает этаж бывшего промышленного здания: высокие потолки и панорамные окна.",
]
METRO_LINES = [
    "До метро «{metro}» {minutes} минут пешком.",
    "Ближайшая станция метро — «{metro}», около {minutes} минут пешком.",
]
EXTRAS = [
    "Есть кухня с кофемашиной и бесплатным чаем, быстрый интернет и принтер.",
    "Для команд — закрытые офисы на 2–12 человек с круглосуточным доступом.",
    "Переговорные с экраном и системой видеосвязи бронируются по часам.",
    "По вечерам проходят лекции, нетворкинг и встречи сообщества.",
    "Тихая зона без звонков, эргономичные кресла и регулируемые столы.",
    "Рядом кафе, фитнес и парковка; можно приходить с собакой.",
]
ENGLISH = "Coworking space with hot desks, fixed desks, meeting rooms and private offices."


@dataclass
class SeedReport:
    cities: int = 0
    districts: int = 0
    stops: int = 0
    amenities: int = 0
    spaces_created: int = 0
    spaces_assigned: int = 0  # earlier demo spaces handed to their chain's owner
    photos: int = 0
    reviews: int = 0


def seed_reference(session: Session, report: SeedReport) -> dict[str, City]:
    for position, (code, ru, en, icon) in enumerate(AMENITIES):
        amenity = session.get(Amenity, code) or Amenity(code=code, name_ru=ru, name_en=en)
        amenity.name_ru, amenity.name_en, amenity.icon, amenity.position = ru, en, icon, position
        session.add(amenity)
        report.amenities += 1

    cities: dict[str, City] = {}
    for data in geo_data.CITIES:
        city = session.scalar(select(City).where(City.slug == data["slug"])) or City(
            slug=data["slug"], name_ru="", name_en="", timezone="", center=None
        )
        lat, lon = data["center"]
        city.name_ru, city.name_en, city.timezone = data["name_ru"], data["name_en"], data["timezone"]
        city.center = f"SRID=4326;POINT({lon} {lat})"
        session.add(city)
        session.flush()
        cities[city.slug] = city
        report.cities += 1

        for d in geo_data.DISTRICTS[city.slug]:
            district = session.scalar(
                select(District).where(District.city_id == city.id, District.slug == d["slug"])
            ) or District(city_id=city.id, slug=d["slug"], name_ru="", name_en="", boundary=None)
            ring = list(d["polygon"]) + [d["polygon"][0]]
            district.name_ru, district.name_en = d["name_ru"], d["name_en"]
            district.boundary = "SRID=4326;POLYGON((" + ", ".join(
                f"{lon} {lat}" for lat, lon in ring
            ) + "))"
            session.add(district)
            report.districts += 1

        existing = {
            (s.name_ru, s.line_name): s
            for s in session.scalars(select(TransitStop).where(TransitStop.city_id == city.id))
        }
        for st in geo_data.METRO_STATIONS[city.slug]:
            stop = existing.get((st["name_ru"], st["line_name"])) or TransitStop(
                city_id=city.id, kind="metro", name_ru=st["name_ru"], line_name=st["line_name"],
                line_color="", location=None,
            )
            stop.name_en, stop.line_color = st.get("name_en", ""), st["line_color"]
            stop.location = f"SRID=4326;POINT({st['lon']} {st['lat']})"
            session.add(stop)
            report.stops += 1
    session.flush()
    invalidate_reference_cache()
    return cities


def _street_short(street: str) -> str:
    for prefix in ("ул. ", "пр-т ", "наб. ", "пер. ", "б-р ", "ш. ", "пл. "):
        if street.startswith(prefix):
            return street[len(prefix):]
    return street


def _hours(rnd: random.Random) -> dict:
    style = rnd.random()
    if style < 0.25:
        day = {"open": "00:00", "close": "00:00"}
        return {d: dict(day) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    opens = rnd.choice(["08:00", "09:00", "10:00"])
    closes = rnd.choice(["20:00", "21:00", "22:00"])
    week = {d: {"open": opens, "close": closes} for d in ("mon", "tue", "wed", "thu", "fri")}
    week["sat"] = {"open": "10:00", "close": "18:00"} if style < 0.8 else None
    week["sun"] = {"open": "11:00", "close": "17:00"} if style < 0.5 else None
    return week


def _price(rnd: random.Random, low: int, high: int, factor: float, step: int) -> int:
    """A price in kopecks rounded to `step` roubles."""
    roubles = rnd.uniform(low, high) * factor
    return int(max(step, round(roubles / step) * step) * 100)


def _resources(rnd: random.Random, factor: float, amenities: list[str]) -> list[tuple]:
    """[(kind, name, capacity, min_minutes, max_minutes, {unit: price_minor})]."""
    out = [
        (ResourceKind.hot_desk, "Открытое пространство", rnd.randint(12, 70), 60, 44640,
         {PriceUnit.hour: _price(rnd, 150, 450, factor, 10),
          PriceUnit.day: _price(rnd, 700, 1800, factor, 50),
          PriceUnit.month: _price(rnd, 9000, 22000, factor, 500)}),
    ]
    if rnd.random() < 0.7:
        out.append((ResourceKind.fixed_desk, "Фиксированное место", rnd.randint(4, 24), 1440, 44640,
                    {PriceUnit.day: _price(rnd, 1000, 2400, factor, 50),
                     PriceUnit.month: _price(rnd, 14000, 32000, factor, 500)}))
    if "meeting_rooms" in amenities:
        for i, cap in enumerate(sorted(rnd.sample([4, 6, 8, 10, 12, 16], rnd.randint(1, 2)))):
            out.append((ResourceKind.meeting_room, f"Переговорная {'АБВГ'[i]} на {cap} мест", cap,
                        30, 720, {PriceUnit.hour: _price(rnd, 700, 3500, factor * cap / 8, 50)}))
    if rnd.random() < 0.6:
        cap = rnd.choice([2, 4, 6, 8, 12])
        out.append((ResourceKind.private_office, f"Кабинет на {cap} человек", cap, 1440, 525600,
                    {PriceUnit.month: _price(rnd, 9000 * cap, 16000 * cap, factor, 1000)}))
    return out


def _nearest_metro(city_slug: str, lat: float, lon: float) -> tuple[str, float]:
    best = min(
        geo_data.METRO_STATIONS[city_slug],
        key=lambda s: haversine_m(lat, lon, s["lat"], s["lon"]),
    )
    return best["name_ru"], haversine_m(lat, lon, best["lat"], best["lon"])


# The demo network: each chain (brand) has one owner account, and every demo space belongs
# to a chain. The logins are listed in the README; these passwords are demo data only.
DEMO_PASSWORD = "Demo-Owner-Pass-2026"
CHAINS: list[tuple[str, str, str]] = [  # brand, owner's email, owner's name
    ("Точка", "owner@demo.cospace.ru", "Ирина Соколова"),
    ("Улей", "uley@demo.cospace.ru", "Андрей Пчелинцев"),
    ("Сфера", "sfera@demo.cospace.ru", "Марина Орлова"),
    ("Квартал", "kvartal@demo.cospace.ru", "Павел Гордеев"),
    ("Платформа", "platforma@demo.cospace.ru", "Ксения Белова"),
    ("Маяк", "mayak@demo.cospace.ru", "Олег Ветров"),
]
DEMO_OWNER_EMAIL = CHAINS[0][1]  # the first chain's owner: the login tests and the README use
DEMO_OWNER_PASSWORD = DEMO_PASSWORD
DEMO_RENTER = ("renter@demo.cospace.ru", "Demo-Renter-Pass-2026", "Алексей Гостев")
_CITY_OFFSET = {"moscow": 0, "saint-petersburg": 2, "novosibirsk": 4}


LEGACY_OWNER_NAME = "Демо Владелец"  # the one demo owner of earlier versions (5 spaces, any brand)


def seed_accounts(session: Session) -> tuple[dict[str, User], set[int]]:
    """The chains' owners and the demo renter (email verified, so they can book at once),
    created once. Returns the owners by brand, and the ids of those an earlier version
    seeded (its owner, named LEGACY_OWNER_NAME: renamed now, its spaces re-assigned)."""
    owners: dict[str, User] = {}
    legacy: set[int] = set()
    for brand, email, name in CHAINS:
        owner = find_user_by_email(session, email) or do_create_staff(
            session, email=email, password=DEMO_PASSWORD, full_name=name, role=Role.owner)
        if owner.full_name == LEGACY_OWNER_NAME:
            owner.full_name = name
            legacy.add(owner.id)
        owners[brand] = owner
    email, password, name = DEMO_RENTER
    if find_user_by_email(session, email) is None:
        do_create_staff(session, email=email, password=password, full_name=name, role=Role.renter)
    session.flush()
    return owners, legacy


def seed_spaces(session: Session, effects: Effects, cities: dict[str, City], report: SeedReport,
                owners: dict[str, User], legacy_owner_ids: set[int] = frozenset()) -> None:
    """The 160 demo spaces, each owned by its chain's owner. On a database seeded by an
    earlier version, a demo space without an owner (or with another demo owner) is handed
    to its chain and takes the chain's name, so a re-seeded database ends as a fresh one;
    a space already with its chain's owner is left as its owner edited it."""
    # Demo addresses are unique, so the address identifies a demo space across re-runs.
    existing = {address: (space_id, owner_id) for address, space_id, owner_id
                in session.execute(select(Space.address, Space.id, Space.owner_id))}
    demo_owner_ids = {owner.id for owner in owners.values()}
    names_used: set[str] = set()
    amenity_codes = [a[0] for a in AMENITIES]
    for city_slug, count in SPACES_PER_CITY.items():
        city = cities[city_slug]
        streets = geo_data.STREETS[city_slug]
        for i in range(count):
            # One generator per space, so a re-run regenerates exactly the same space.
            rnd = random.Random(f"{city_slug}-{i}")
            street = streets[i % len(streets)]
            house = rnd.randint(1, max(2, street["house_max"]))
            building = rnd.choice(["", "", f", стр. {rnd.randint(1, 5)}", f", корп. {rnd.randint(1, 3)}"])
            address = f"{city.name_ru}, {street['street']}, {house}{building}"
            # Within ~120 m of the street anchor, so the pin stays on or beside the street.
            angle, dist = rnd.uniform(0, 2 * math.pi), rnd.uniform(0, 120)
            lat = street["lat"] + dist * math.cos(angle) / 111_320
            lon = street["lon"] + dist * math.sin(angle) / (111_320 * math.cos(math.radians(street["lat"])))
            rnd.choice(BRANDS)  # an earlier version's brand: the draw keeps the rest of the space as before
            # Spaces on one street belong to different chains (a street has at most two spaces).
            brand = CHAINS[(i + _CITY_OFFSET[city_slug]) % len(CHAINS)][0]
            owner = owners[brand]
            # Brand plus place, as Russian coworking networks name their sites ("Ключ Чистые пруды").
            name = f"{brand} {_street_short(street['street'])}"
            if name in names_used:  # the chain's second site on the street: named by its house
                name = f"{brand} {_street_short(street['street'])}, {house}"
            suffix = 2
            while name in names_used:
                name = f"{brand} {_street_short(street['street'])}, {house} ({suffix})"
                suffix += 1
            names_used.add(name)
            amenities = sorted({"wifi", "coffee"} | set(rnd.sample(amenity_codes, rnd.randint(3, 9))))
            space_id, owner_id = existing.get(address, (None, None))
            if space_id is not None and (owner_id not in demo_owner_ids | {None} or
                                         owner_id == owner.id and owner_id not in legacy_owner_ids):
                continue  # in its chain already (or someone else's: never taken over)
            _city_id, district_id = locate_point(session, lat, lon)
            district_name = next(
                (d.name_ru for d in session.scalars(select(District).where(District.id == district_id))),
                city.name_ru,
            )
            metro, metro_dist = _nearest_metro(city_slug, lat, lon)
            description = " ".join([
                rnd.choice(INTROS).format(
                    name=name, district=district_name, district_loc=f"районе {district_name}",
                    street_short=_street_short(street["street"]),
                ),
                rnd.choice(METRO_LINES).format(metro=metro, minutes=max(2, round(metro_dist * 1.25 / 80)))
                if metro_dist <= 2500 else "Рядом остановки автобуса и бесплатная парковка.",
                *rnd.sample(EXTRAS, 2),
                ENGLISH,
            ])
            if space_id is not None:  # an earlier version's demo space joins its chain
                space = session.get(Space, space_id)
                space.owner_id, space.name, space.description = owner.id, name, description
                drop_space_pages(effects, space.id)
                report.spaces_assigned += 1
                continue
            space = Space(owner_id=owner.id,
                name=name, description=description, address=address,
                location=f"SRID=4326;POINT({lon:.7f} {lat:.7f})", city_id=city.id,
                district_id=district_id, timezone=city.timezone, opening_hours=_hours(rnd),
                status=SpaceStatus.published.value, amenities=amenities, currency="RUB",
            )
            session.add(space)
            session.flush()
            for kind, rname, cap, min_m, max_m, prices in _resources(rnd, PRICE_FACTOR[city_slug], amenities):
                resource = Resource(space_id=space.id, kind=kind.value, name=rname, capacity=cap,
                                    min_minutes=min_m, max_minutes=max_m)
                session.add(resource)
                session.flush()
                for unit, price in prices.items():
                    session.add(Tariff(resource_id=resource.id, unit=unit.value, price_minor=price, currency="RUB"))
            session.flush()
            do_refresh_space_summary(session, space)
            for n in range(rnd.randint(3, 10)):
                key = f"demo/{city_slug}/{i:03d}-{n + 1}.jpg"
                thumb = key.replace(".jpg", "_thumb.jpg")
                seed = rnd.randint(0, 2**31)
                write_photo(get_storage(), seed, key, thumb,
                            "meeting_room" if n % 4 == 3 else "open_space")
                session.add(Photo(space_id=space.id, position=n, storage_key=key, thumb_key=thumb,
                                  width=960, height=640, caption=""))
                report.photos += 1
            report.spaces_created += 1


DEMO_ADDONS = [
    ("monitor", "Второй монитор", AddonUnit.booking, 30000, ["hot_desk", "fixed_desk"]),
    ("locker", "Личный шкафчик", AddonUnit.booking, 15000, ["hot_desk", "fixed_desk"]),
    ("coffee", "Кофейный пакет", AddonUnit.seat, 25000, []),
    ("parking", "Парковка", AddonUnit.hour, 10000, []),
]


def seed_booking_extras(session: Session) -> None:
    """Booking rules and add-ons for the demo spaces (idempotent)."""
    has_addons = set(session.scalars(select(Addon.space_id).distinct()))
    policies = [p.value for p in CancellationPolicy]
    spaces = session.scalars(select(Space).where(Space.address.like("%, %"))
                             .order_by(Space.id).limit(400)).all()
    for n, space in enumerate(spaces):
        if space.id in has_addons:
            continue
        rnd = random.Random(f"booking-{space.id}")
        space.cancellation_policy = policies[n % 3]
        space.instant_book = n % 7 != 3  # a few spaces confirm each booking by hand
        if rnd.random() < 0.5:
            space.vat_rate_bp, space.prices_include_vat = 2200, True
        for code, name, unit, price, kinds in DEMO_ADDONS:
            if code == "parking" and rnd.random() < 0.5:
                continue
            session.add(Addon(space_id=space.id, code=code, name=name, unit=unit.value,
                              price_minor=price, resource_kinds=kinds))
    session.flush()


DEMO_GUESTS = ["Анна Смирнова", "Пётр Иванов", "Мария Кузнецова", "Дмитрий Соколов",
               "Елена Попова", "Игорь Лебедев", "Ольга Новикова", "Сергей Морозов"]
DEMO_REVIEWS = {
    5: ["Отличное место: быстрый Wi-Fi, тихо, удобные кресла. Кофе бесплатный и вкусный.",
        "Работаю здесь третий месяц — всё нравится. Администраторы всегда помогают, чисто и светло.",
        "Переговорная идеально подошла для встречи с клиентом: экран, доска, кондиционер.",
        "Уютно, рядом метро, много розеток. Буду приходить ещё."],
    4: ["Хорошее пространство, но к вечеру бывает шумно в общей зоне. Wi-Fi стабильный.",
        "Удобное расположение и приятный персонал. Хотелось бы больше мест у окна.",
        "Всё работает, кофе неплохой. Парковка во дворе платная, это стоит учесть."],
    3: ["Неплохо, но в переговорной было душно. Персонал вежливый, помогли с проектором.",
        "Место нормальное, но кресла жёсткие, а в пятницу не хватило свободных столов."],
}


def seed_demo_reviews(session: Session, effects: Effects) -> int:
    """Completed stays of demo guests and their approved reviews on some demo spaces, so the
    demo shows ratings as they really arise (idempotent: once per database)."""
    from coworking_app.services.reviews.reviews import do_refresh_space_rating
    from models import Booking, Resource, Review, User

    if session.scalar(select(Review.id).join(User, User.id == Review.user_id)
                      .where(User.email.like("guest%@demo.cospace.ru")).limit(1)) is not None:
        return 0
    guests = []
    for n, name in enumerate(DEMO_GUESTS, start=1):
        email = f"guest{n}@demo.cospace.ru"
        user = session.scalar(select(User).where(User.email == email))
        if user is None:  # authors only: they cannot sign in (no password)
            user = User(email=email, full_name=name, password_hash="!demo-guest", roles=["renter"])
            session.add(user)
            session.flush()
        guests.append(user)
    spaces = session.scalars(select(Space).where(Space.status == "published", Space.address.like("%, %"))
                             .order_by(Space.id).limit(60)).all()
    today = datetime.now(timezone.utc).date()
    written = 0
    for space in spaces:
        rnd = random.Random(f"reviews-{space.id}")
        resources = session.scalars(select(Resource).where(Resource.space_id == space.id)
                                    .order_by(Resource.id)).all()
        if not resources:
            continue
        zone = ZoneInfo(space.timezone)
        for guest in rnd.sample(guests, rnd.randint(0, 6)):
            resource = rnd.choice(resources)
            day = today - timedelta(days=rnd.randint(2, 28))
            start = datetime(day.year, day.month, day.day, rnd.choice([9, 10, 11, 14]), tzinfo=zone)
            booking = Booking(user_id=guest.id, space_id=space.id, resource_id=resource.id, start_at=start,
                              end_at=start + timedelta(hours=3), seats=1, status="completed",
                              whole=resource.kind in ("meeting_room", "private_office"),
                              timezone=space.timezone, price={}, total_minor=0, currency=space.currency,
                              policy=space.cancellation_policy)
            session.add(booking)
            session.flush()
            rating = rnd.choices([5, 4, 3], weights=[6, 3, 1])[0]
            subratings = {k: max(1, min(5, rating + rnd.choice([-1, 0, 0, 1]))) for k in
                          rnd.sample(["wifi", "quietness", "comfort", "location", "staff"], rnd.randint(0, 3))}
            session.add(Review(booking_id=booking.id, space_id=space.id, user_id=guest.id,
                               resource_kind=resource.kind, stay_date=day, rating=rating,
                               text=rnd.choice(DEMO_REVIEWS[rating]), status="approved",
                               moderated_at=datetime.now(timezone.utc), **subratings))
            written += 1
        session.flush()
        do_refresh_space_rating(session, effects, space.id)
    return written


def restore_demo_photos(session: Session, report: SeedReport) -> None:
    """Demo photo files missing from storage (a fresh checkout or an emptied MEDIA_ROOT with
    the database kept) are drawn again, so demo pages never show broken images."""
    storage = get_storage()
    for photo in session.scalars(select(Photo).where(Photo.storage_key.like("demo/%"))):
        if storage.exists(photo.storage_key) and storage.exists(photo.thumb_key):
            continue
        kind = "meeting_room" if photo.position % 4 == 3 else "open_space"
        write_photo(storage, zlib.crc32(photo.storage_key.encode()), photo.storage_key,
                    photo.thumb_key, kind)
        report.photos += 1


def seed_demo(session: Session, effects: Effects) -> SeedReport:
    """Effects: the cached pages of the spaces it changed."""
    report = SeedReport()
    cities = seed_reference(session, report)
    owners, legacy_owner_ids = seed_accounts(session)
    seed_spaces(session, effects, cities, report, owners, legacy_owner_ids)
    restore_demo_photos(session, report)
    seed_booking_extras(session)
    report.reviews = seed_demo_reviews(session, effects)
    seed_demo_finance(session, effects)  # after the reviews: it pays the demo guests' stays
    seed_demo_plans(session, effects)
    session.execute(text("ANALYZE space"))
    return report
