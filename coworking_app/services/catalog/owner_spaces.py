"""Owners run their spaces: create, edit, soft-delete, submit for review, resources, tariffs,
add-ons, promo codes and closed days.

Every entry point takes the acting user and goes through an `access_*` helper that fetches
the row and checks ownership in one place. Another owner's row answers "not found", so ids
of drafts never leak.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coworking_app.services.booking.availability import WHOLE_KINDS, Closure
from coworking_app.effects import Effects
from coworking_app.services.catalog import catalog
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.catalog.cache import drop_space_pages
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound
from coworking_app.services.common.fields import (
    Day,
    Latitude,
    Line,
    Longitude,
    Moment,
    MoneyMinor,
    StrictMoneyMinor,
    Text,
)
from coworking_app.services.catalog.geo import lat_of, lon_of, place_of_point
from coworking_app.services.catalog.spaces import access_public_space, do_refresh_space_summary
from models import (
    Addon,
    AddonUnit,
    Booking,
    CancellationPolicy,
    Photo,
    PriceUnit,
    PromoCode,
    PromoKind,
    Resource,
    ResourceKind,
    Role,
    CLOSURE_MAX_DAYS,
    CLOSURE_REASON_MAX,
    Space,
    SpaceClosure,
    SpaceStatus,
    Tariff,
    User,
    holds_seats_sql,
)
from coworking_app.i18n import Labels, N_, tr

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
OWNER_EDITABLE_STATUSES = {SpaceStatus.draft.value, SpaceStatus.pending_review.value,
                           SpaceStatus.published.value, SpaceStatus.hidden.value}


# --- input models (shared by the REST API and the Reflex editor) ---------------------


class SpaceFields(BaseModel):
    """Fields an owner may set; every one optional so that PATCH can send any subset."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line(160, min_length=2) | None = None
    description: Text(5000) | None = None
    # For English readers (empty: they see the Russian): docs/i18n.md.
    name_en: Line(160) | None = None
    description_en: Text(5000) | None = None
    address: Line(255, min_length=3) | None = None
    # The pin: the city, district and time zone follow from it (never set by hand).
    lat: Latitude | None = None
    lon: Longitude | None = None
    # Optional, and only the city's own zone (it follows the pin): kept for API clients
    # that send it.
    timezone: Line(64) | None = None
    amenities: list[Line(40)] | None = Field(None, max_length=40)
    opening_hours: dict[str, Any] | None = None
    # Booking rules
    # Strict: "yes", 1 or "2200" are not what these fields hold (a client sending them has a bug).
    instant_book: StrictBool | None = None
    cancellation_policy: CancellationPolicy | None = None
    vat_rate_bp: StrictInt | None = Field(None, ge=0, le=5000)
    prices_include_vat: StrictBool | None = None
    no_show_fee_percent: StrictInt | None = Field(None, ge=0, le=100)
    # Check-in (services/booking/checkin.py): release no-shows after the grace period.
    no_show_release: StrictBool | None = None
    checkin_grace_minutes: StrictInt | None = Field(None, ge=5, le=240)


class SpaceCreate(SpaceFields):
    name: Line(160, min_length=2)
    address: Line(255, min_length=3)
    lat: Latitude
    lon: Longitude


class ResourceFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: ResourceKind | None = None
    name: Line(120, min_length=1) | None = None
    capacity: StrictInt | None = Field(None, ge=1, le=1000)
    min_minutes: StrictInt | None = Field(None, ge=30, le=60 * 24 * 366)
    max_minutes: StrictInt | None = Field(None, ge=30, le=60 * 24 * 366)


class ResourceCreate(ResourceFields):
    kind: ResourceKind
    name: Line(120, min_length=1)
    capacity: StrictInt = Field(1, ge=1, le=1000)
    min_minutes: StrictInt = Field(60, ge=30, le=60 * 24 * 366)
    max_minutes: StrictInt = Field(60 * 24 * 31, ge=30, le=60 * 24 * 366)


class TariffInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    unit: PriceUnit
    price_minor: StrictMoneyMinor
    currency: str = Field("RUB", pattern=r"^[A-Z]{3}$")

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


# --- checks ---------------------------------------------------------------------------


def check_timezone(value: str) -> str:
    try:
        if value not in available_timezones():
            raise ZoneInfoNotFoundError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("timezone", tr("Неизвестный часовой пояс: укажите его как в базе IANA, например Europe/Moscow")) from exc
    return value


DAY_NAMES = Labels({"mon": N_("понедельник"), "tue": N_("вторник"), "wed": N_("среда"), "thu": N_("четверг"), "fri": N_("пятница"),
             "sat": N_("суббота"), "sun": N_("воскресенье")})
HOURS_GRID_MINUTES = 30  # bookings start and end on this grid (availability.GRID_MINUTES)


def check_opening_hours(hours: dict[str, Any]) -> dict[str, Any]:
    """{"mon": {"open": "09:00", "close": "21:00"} | null, ...}: every weekday; times on the
    30-minute grid; open before close ("24:00" closes at midnight), or open equal to close
    for round the clock ("00:00"–"00:00": the editor's "круглосуточно")."""
    unknown = set(hours) - set(DAYS)
    if unknown:
        raise InvalidInput("opening_hours", tr("Часы работы: дни недели — mon, tue, wed, thu, fri, sat, sun"))
    clean: dict[str, Any] = {}
    for day in DAYS:
        slot = hours.get(day)
        name = DAY_NAMES[day]
        if slot is None:
            clean[day] = None
            continue
        if not isinstance(slot, dict) or set(slot) != {"open", "close"}:
            raise InvalidInput("opening_hours", tr("Часы работы, {name}: укажите открытие и закрытие или выходной", name=name))
        opens, closes = slot["open"], slot["close"]
        if not all(isinstance(t, str) and _TIME.match(t) for t in (opens, closes)):
            raise InvalidInput("opening_hours", tr("Часы работы, {name}: время в виде ЧЧ:ММ, например 09:00", name=name))
        if any(int(t[3:]) % HOURS_GRID_MINUTES for t in (opens, closes)):
            raise InvalidInput("opening_hours", tr("Часы работы, {name}: время с шагом 30 минут (например 09:00 или 09:30), а не {opens}–{closes}", name=name, opens=opens, closes=closes))
        if opens > closes or (opens == closes and opens != "00:00") or opens == "24:00":
            raise InvalidInput("opening_hours", tr("Часы работы, {name}: открытие раньше закрытия (круглосуточно — 00:00–00:00)", name=name))
        clean[day] = {"open": opens, "close": closes}
    return clean


def check_amenities(session: Session, codes: list[str]) -> list[str]:
    known = {a.code for a in catalog.list_amenities(session)}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput("amenities", tr("Неизвестные удобства: {value}", value=', '.join(unknown)[:120]))
    return sorted(set(codes))


# --- access ---------------------------------------------------------------------------


def _owner(user: User | None) -> User:
    return check_role(user, Role.owner, Role.admin)


def access_space_for_owner(session: Session, user: User | None, space_id: int,
                           *, for_update: bool = False) -> Space:
    """The space if `user` owns it (operators and admins may act on any: the operator panel
    reuses the owner's editor); else NotFound / 401 / 403."""
    user = check_role(user, Role.owner, Role.operator, Role.admin)
    space = session.get(Space, space_id, with_for_update=for_update) if 0 < space_id < 2**31 else None
    if space is None or space.deleted_at is not None:
        raise NotFound(tr("Пространство не найдено"))
    if space.owner_id != user.id and not user.is_staff:
        raise NotFound(tr("Пространство не найдено"))
    return space


REVIEWED_FIELDS = ("name", "description", "name_en", "description_en", "address")


def mark_for_review(space: Space, user: User) -> None:
    """An owner's change of a published space's text or photos: the space stays visible and
    waits in the moderation queue ("изменения") until a moderator looks (docs/admin.md)."""
    if space.status == SpaceStatus.published.value and not user.is_staff:
        space.changed_for_review_at = datetime.now(timezone.utc)


def access_resource_for_owner(session: Session, user: User | None, resource_id: int) -> tuple[Space, Resource]:
    resource = session.get(Resource, resource_id) if 0 < resource_id < 2**31 else None
    if resource is None:
        check_role(user, Role.owner, Role.operator, Role.admin)
        raise NotFound(tr("Место не найдено"))
    space = access_space_for_owner(session, user, resource.space_id, for_update=True)
    return space, resource


def access_tariff_for_owner(session: Session, user: User | None, tariff_id: int) -> tuple[Space, Tariff]:
    tariff = session.get(Tariff, tariff_id) if 0 < tariff_id < 2**31 else None
    if tariff is None:
        check_role(user, Role.owner, Role.operator, Role.admin)
        raise NotFound(tr("Тариф не найден"))
    space, _resource = access_resource_for_owner(session, user, tariff.resource_id)
    return space, tariff


def list_owner_spaces(session: Session, user: User | None) -> list[Space]:
    user = _owner(user)
    return list(session.scalars(
        select(Space).where(Space.owner_id == user.id, Space.deleted_at.is_(None))
        .order_by(Space.updated_at.desc(), Space.id.desc())
    ))


def space_point(session: Session, space: Space) -> tuple[float, float]:
    """(lat, lon) of the space's pin."""
    return session.execute(select(lat_of(Space.location), lon_of(Space.location))
                           .where(Space.id == space.id)).one()


# --- changes --------------------------------------------------------------------------


def _apply(session: Session, space: Space, fields: SpaceFields) -> None:
    data = fields.model_dump(exclude_unset=True)
    if ("lat" in data) != ("lon" in data):
        raise InvalidInput("lon" if "lat" in data else "lat", tr("Укажите и широту, и долготу"))
    for key in ("name", "description", "name_en", "description_en", "address", "instant_book", "vat_rate_bp",
                "prices_include_vat", "no_show_fee_percent", "no_show_release", "checkin_grace_minutes"):
        if data.get(key) is not None:
            setattr(space, key, data[key])
    if data.get("cancellation_policy") is not None:
        space.cancellation_policy = CancellationPolicy(data["cancellation_policy"]).value
    if data.get("amenities") is not None:
        space.amenities = check_amenities(session, data["amenities"])
    if data.get("opening_hours") is not None:
        space.opening_hours = check_opening_hours(data["opening_hours"])
    if data.get("lat") is not None and data.get("lon") is not None:
        place = place_of_point(session, data["lat"], data["lon"])
        space.location = f"SRID=4326;POINT({data['lon']:.7f} {data['lat']:.7f})"
        space.city_id, space.district_id = place.city_id, place.district_id
        space.timezone = place.timezone  # the city's: never typed
    if data.get("timezone") is not None and check_timezone(data["timezone"]) != space.timezone:
        raise InvalidInput("timezone", tr("Часовой пояс задаётся городом пространства: {timezone}. Чтобы сменить его, перенесите точку в другой город", timezone=space.timezone))


def do_create_space(session: Session, user: User | None, fields: SpaceCreate) -> Space:
    user = _owner(user)
    space = Space(owner_id=user.id, name=fields.name, address=fields.address, location=None,
                  city_id=0, timezone="Europe/Moscow", status=SpaceStatus.draft.value,
                  opening_hours={d: None for d in DAYS})
    _apply(session, space, fields)
    session.add(space)
    session.flush()
    return space


def do_update_space(session: Session, effects: Effects, user: User | None, space_id: int,
                    fields: SpaceFields) -> Space:
    space = access_space_for_owner(session, user, space_id, for_update=True)
    before = [getattr(space, key) for key in REVIEWED_FIELDS]
    _apply(session, space, fields)
    if before != [getattr(space, key) for key in REVIEWED_FIELDS]:
        mark_for_review(space, user)
    space.updated_at = datetime.now(timezone.utc)
    session.flush()
    drop_space_pages(effects, space.id)
    return space


def do_delete_space(session: Session, effects: Effects, user: User | None, space_id: int) -> None:
    """Soft delete: hidden from everyone, kept for bookings and the audit trail."""
    space = access_space_for_owner(session, user, space_id, for_update=True)
    space.deleted_at = datetime.now(timezone.utc)
    space.status = SpaceStatus.hidden.value
    session.flush()
    drop_space_pages(effects, space.id)


DESCRIPTION_MIN = 30


def submission_gaps(session: Session, space: Space) -> list[tuple[str, str]]:
    """What a space still lacks before it can go to moderation (and be published): [(field,
    what to do)], empty when nothing. A published space must be bookable: opening hours,
    a resource with a tariff, photos, a description. The editor lists these; submitting
    and approving refuse while any is left."""
    gaps = []
    if len((space.description or "").strip()) < DESCRIPTION_MIN:
        gaps.append(("description", tr("Описание: расскажите о пространстве хотя бы в {DESCRIPTION_MIN} символах", DESCRIPTION_MIN=DESCRIPTION_MIN)))
    if not any((space.opening_hours or {}).get(day) for day in DAYS):
        gaps.append(("opening_hours", tr("Часы работы: укажите хотя бы один рабочий день (или «Круглосуточно»)")))
    priced = select(Tariff.id).join(Resource, Resource.id == Tariff.resource_id).where(Resource.space_id == space.id)
    if session.scalars(priced.limit(1)).first() is None:
        gaps.append(("resources", tr("Места и тарифы: добавьте место или переговорную и задайте цену")))
    if session.scalars(select(Photo.id).where(Photo.space_id == space.id).limit(1)).first() is None:
        gaps.append(("photos", tr("Фотографии: загрузите хотя бы одно фото")))
    return gaps


def check_ready_for_review(session: Session, space: Space) -> None:
    gaps = submission_gaps(session, space)
    if gaps:
        raise InvalidInput(gaps[0][0], tr("Чтобы отправить на модерацию, не хватает: ")
                           + "; ".join(message for _field, message in gaps))


def do_submit_for_review(session: Session, effects: Effects, user: User | None, space_id: int) -> Space:
    space = access_space_for_owner(session, user, space_id, for_update=True)
    if space.status not in (SpaceStatus.draft.value, SpaceStatus.hidden.value):
        label = {"pending_review": tr("уже на модерации"), "published": tr("уже опубликовано")}.get(space.status, space.status)
        raise InvalidInput("status", tr("Пространство {label}", label=label))
    check_ready_for_review(session, space)
    space.status = SpaceStatus.pending_review.value
    space.changed_for_review_at = None
    space.moderation_note = None  # the previous rejection stays in the audit log
    session.flush()
    drop_space_pages(effects, space.id)
    return space


def do_add_resource(session: Session, effects: Effects, user: User | None, space_id: int,
                    fields: ResourceCreate) -> Resource:
    space = access_space_for_owner(session, user, space_id, for_update=True)
    _check_duration(fields.min_minutes, fields.max_minutes)
    resource = Resource(space_id=space.id, kind=fields.kind.value, name=fields.name,
                        capacity=fields.capacity,
                        min_minutes=fields.min_minutes, max_minutes=fields.max_minutes)
    session.add(resource)
    session.flush()
    do_refresh_space_summary(session, space)
    drop_space_pages(effects, space.id)
    return resource


def do_update_resource(session: Session, effects: Effects, user: User | None, resource_id: int,
                       fields: ResourceFields) -> Resource:
    space, resource = access_resource_for_owner(session, user, resource_id)
    session.refresh(resource, with_for_update=True)  # bookings of it wait while we check
    data = fields.model_dump(exclude_unset=True, exclude_none=True)
    if "capacity" in data or "kind" in data:
        _check_held_seats_fit(session, resource, data.get("capacity", resource.capacity),
                              data["kind"].value if "kind" in data else resource.kind)
    for key, value in data.items():
        setattr(resource, key, value.value if key == "kind" else value)
    _check_duration(resource.min_minutes, resource.max_minutes)
    session.flush()
    do_refresh_space_summary(session, space)
    drop_space_pages(effects, space.id)
    return resource


def do_delete_resource(session: Session, effects: Effects, user: User | None, resource_id: int) -> None:
    space, resource = access_resource_for_owner(session, user, resource_id)
    if session.scalars(select(Booking.id).where(Booking.resource_id == resource.id).limit(1)).first():
        raise Conflict("resource", tr("у ресурса есть брони: его нельзя удалить, можно убрать тарифы"))
    session.delete(resource)
    session.flush()
    do_refresh_space_summary(session, space)
    drop_space_pages(effects, space.id)


def do_set_tariff(session: Session, effects: Effects, user: User | None, resource_id: int,
                  fields: TariffInput) -> Tariff:
    """Creates or replaces the resource's price for that unit, in the space's currency."""
    space, resource = access_resource_for_owner(session, user, resource_id)
    if fields.currency != space.currency:
        raise InvalidInput("currency", tr("Цена — в валюте пространства ({currency}), а не {currency2}", currency=space.currency, currency2=fields.currency))
    tariff = session.scalars(
        select(Tariff).where(Tariff.resource_id == resource.id, Tariff.unit == fields.unit.value)
    ).first() or Tariff(resource_id=resource.id, unit=fields.unit.value, price_minor=0)
    tariff.price_minor, tariff.currency = fields.price_minor, fields.currency
    session.add(tariff)
    session.flush()
    do_refresh_space_summary(session, space)
    drop_space_pages(effects, space.id)
    return tariff


def do_delete_tariff(session: Session, effects: Effects, user: User | None, tariff_id: int) -> None:
    space, tariff = access_tariff_for_owner(session, user, tariff_id)
    session.delete(tariff)
    session.flush()
    do_refresh_space_summary(session, space)
    drop_space_pages(effects, space.id)


def _check_held_seats_fit(session: Session, resource: Resource, capacity: int, kind: str) -> None:
    """A new capacity or kind must leave every future booking of the resource valid."""
    from sqlalchemy import text

    row = session.execute(text(f"""
        SELECT coalesce(max(booked_seats(:r, b.start_at, b.end_at)), 0), count(*)
        FROM booking b WHERE b.resource_id = :r AND b.end_at > now()
          AND {holds_seats_sql("b")}
    """), {"r": resource.id}).one()
    peak, future = row
    if peak > capacity:
        raise Conflict("capacity", tr("на будущие брони уже занято {peak} мест: вместимость не меньше {peak}", peak=peak))
    if future and (kind in WHOLE_KINDS) != (resource.kind in WHOLE_KINDS):
        raise Conflict("kind", tr("у ресурса есть будущие брони: тип бронирования (целиком или местами) менять нельзя"))


def _check_duration(min_minutes: int, max_minutes: int) -> None:
    if max_minutes < min_minutes:
        raise InvalidInput("max_minutes", tr("Максимальная длительность брони не может быть меньше минимальной"))


# --- add-ons and promo codes -------------------------------------------------------------


class AddonInput(BaseModel):
    """An add-on's name and price. `code` is its internal name in bookings and the API:
    made from the name when not given (`addon_code`), and never changed afterwards."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str | None = Field(None, pattern=r"^[a-z0-9_-]{1,32}$")
    name: Line(120, min_length=1)
    unit: AddonUnit
    price_minor: MoneyMinor
    resource_kinds: list[ResourceKind] = Field(default_factory=list, max_length=4)
    max_quantity: int = Field(10, ge=1, le=100)
    active: bool = True


def list_addons(session: Session, space_id: int, *, active_only: bool = True) -> list[Addon]:
    query = select(Addon).where(Addon.space_id == space_id)
    if active_only:
        query = query.where(Addon.active)
    return list(session.scalars(query.order_by(Addon.name)))


def list_public_addons(session: Session, space_id: int) -> list[Addon]:
    """The add-ons renters may choose for a publicly visible space (the booking panel)."""
    space = access_public_space(session, space_id)
    return list_addons(session, space.id)


_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))
ADDON_CODE_BASE = 28  # characters of the name in a code: room for "-999"


def addon_code(name: str, taken: set[str]) -> str:
    """The internal code of a new add-on: its name in Latin letters ("Шкафчик с замком" ->
    "shkafchik-s-zamkom"), cut short, with "-2", "-3"... when the space already has it;
    "addon" when nothing of the name is Latin or Cyrillic."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in name.lower())
    base = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")[:ADDON_CODE_BASE].strip("-") or "addon"
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


def do_set_addon(session: Session, user: User | None, space_id: int, fields: AddonInput) -> Addon:
    """Creates or replaces one of the space's add-ons: the one with `code` when given (API),
    else the one with this name (the editor's form: the same name again changes its price
    and switches it back on), else a new one with a code made from the name."""
    space = access_space_for_owner(session, user, space_id, for_update=True)  # new codes one at a time
    existing = list(session.scalars(select(Addon).where(Addon.space_id == space.id)))
    if fields.code is not None:
        addon = next((a for a in existing if a.code == fields.code), None)
    else:
        addon = next((a for a in existing if a.name.casefold() == fields.name.casefold()), None)
    if addon is None:
        code = fields.code or addon_code(fields.name, {a.code for a in existing})
        addon = Addon(space_id=space.id, code=code, name=fields.name, unit=fields.unit.value,
                      price_minor=fields.price_minor)
    addon.name, addon.unit, addon.price_minor = fields.name, fields.unit.value, fields.price_minor
    addon.resource_kinds = sorted({k.value for k in fields.resource_kinds})
    addon.max_quantity, addon.active = fields.max_quantity, fields.active
    session.add(addon)
    session.flush()
    return addon


def do_delete_addon(session: Session, user: User | None, space_id: int, code: str) -> None:
    """Switches the add-on off (bookings keep what they bought)."""
    space = access_space_for_owner(session, user, space_id, for_update=True)
    addon = session.scalars(select(Addon).where(Addon.space_id == space.id, Addon.code == code)).first()
    if addon is None:
        raise NotFound(tr("Опция не найдена"))
    addon.active = False
    session.flush()


class PromoInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[A-Za-z0-9_-]{3,32}$")
    kind: PromoKind
    value: int = Field(ge=1, le=2**31 - 1)
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    max_uses_total: int | None = Field(None, ge=1, le=10**6)
    max_uses_per_user: int | None = Field(1, ge=1, le=1000)
    min_amount_minor: MoneyMinor = 0


PROMO_MAX_YEARS = 3  # a promo code's dates lie at most this far ahead


def check_promo_period(valid_from: datetime | None, valid_until: datetime | None,
                       *, now: datetime | None = None) -> None:
    """A promo code's period: it starts before it ends, has not ended already, and neither
    edge lies more than PROMO_MAX_YEARS ahead (a code "until 9999" is a mistake, and such
    dates have no local time in every zone)."""
    now = now or datetime.now(timezone.utc)
    horizon = now.replace(year=now.year + PROMO_MAX_YEARS) if not (now.month == 2 and now.day == 29) \
        else now.replace(year=now.year + PROMO_MAX_YEARS, day=28)
    latest = f"{horizon:%d.%m.%Y}"
    if valid_from is not None and valid_from > horizon:
        raise InvalidInput("valid_from", tr("Начало действия — не позже {latest} (промокод заводят не больше чем на {PROMO_MAX_YEARS} года вперёд)", latest=latest, PROMO_MAX_YEARS=PROMO_MAX_YEARS))
    if valid_until is not None:
        if valid_until <= now:
            raise InvalidInput("valid_until", tr("Дата окончания уже прошла: выберите будущую дату"))
        if valid_until > horizon:
            raise InvalidInput("valid_until", tr("Промокод может действовать не дольше {PROMO_MAX_YEARS} лет: выберите дату окончания не позже {latest}", PROMO_MAX_YEARS=PROMO_MAX_YEARS, latest=latest))
        if valid_from is not None and valid_until <= valid_from:
            raise InvalidInput("valid_until", tr("Дата окончания должна быть позже даты начала"))


def do_create_promo(session: Session, user: User | None, space_id: int | None, fields: PromoInput) -> PromoCode:
    """A promo code for one of the owner's spaces, or (operators and admins, space_id None)
    the network."""
    if space_id is None:
        check_role(user, Role.operator, Role.admin)
        currency = "RUB"
    else:
        currency = access_space_for_owner(session, user, space_id).currency
    if fields.kind == PromoKind.percent and fields.value > 100:
        raise InvalidInput("value", tr("Скидка в процентах — от 1 до 100"))
    check_promo_period(fields.valid_from, fields.valid_until)
    if session.scalars(select(PromoCode.id).where(
            func.upper(PromoCode.code) == fields.code.upper())).first():
        raise Conflict("code", tr("Такой код уже есть: придумайте другой"))
    promo = PromoCode(code=fields.code.upper(), space_id=space_id, kind=fields.kind.value,
                      value=fields.value, currency=currency, valid_from=fields.valid_from,
                      valid_until=fields.valid_until, max_uses_total=fields.max_uses_total,
                      max_uses_per_user=fields.max_uses_per_user,
                      min_amount_minor=fields.min_amount_minor)
    session.add(promo)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the same code created concurrently
        raise Conflict("code", tr("Такой код уже есть: придумайте другой")) from exc
    return promo


# --- closed days ----------------------------------------------------------------------------


CLOSURE_AHEAD_YEARS = 2  # a closure's days lie at most this far ahead


class ClosureInput(BaseModel):
    """Days to close: one day (`last_day` omitted) or a range, inclusive, in the space's
    local calendar; and why (the guests whose bookings are cancelled read it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_day: Day
    last_day: Day | None = None
    reason: Line(CLOSURE_REASON_MAX * 5)  # the exact bounds: check_closure, in words


def local_today(space: Space, now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(space.timezone)).date()


def _years_ahead(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_closure(fields: ClosureInput, today: date) -> tuple[date, date, str]:
    """(first, last, reason) of days to close, or InvalidInput naming the field: not in the
    past, the last not before the first, within CLOSURE_AHEAD_YEARS, a reason of 2 to
    CLOSURE_REASON_MAX characters."""
    first, last = fields.first_day, fields.last_day or fields.first_day
    if first < today:
        raise InvalidInput("first_day", tr("Этот день уже прошёл: закрыть можно сегодняшний день или будущие"))
    if last < first:
        raise InvalidInput("last_day", tr("Последний закрытый день не может быть раньше первого"))
    horizon = _years_ahead(today, CLOSURE_AHEAD_YEARS)
    if last > horizon:
        raise InvalidInput("last_day" if fields.last_day else "first_day",
                           tr("Закрыть можно дни не дальше чем на {CLOSURE_AHEAD_YEARS} года вперёд: до {horizon:%d.%m.%Y}", CLOSURE_AHEAD_YEARS=CLOSURE_AHEAD_YEARS, horizon=horizon))
    if (last - first).days >= CLOSURE_MAX_DAYS:  # implied by the horizon; the table checks it too
        raise InvalidInput("last_day", tr("Закрыть можно не больше двух лет подряд"))
    reason = " ".join(fields.reason.split())
    if len(reason) < 2:
        raise InvalidInput("reason", tr("Напишите причину, например «Новогодние праздники» или «Ремонт»: её увидят гости, чьи брони придётся отменить"))
    if len(reason) > CLOSURE_REASON_MAX:
        raise InvalidInput("reason", tr("Причина — не длиннее {CLOSURE_REASON_MAX} символов (сейчас {len})", CLOSURE_REASON_MAX=CLOSURE_REASON_MAX, len=len(reason)))
    return first, last, reason


def closure_of(row: SpaceClosure) -> Closure:
    return Closure(row.first_day, row.last_day, row.reason)


def list_closures(session: Session, user: User | None, space_id: int, *,
                  now: datetime | None = None) -> tuple[Space, list[SpaceClosure]]:
    """The space's closures that have not ended yet, soonest first."""
    space = access_space_for_owner(session, user, space_id)
    return space, list(session.scalars(
        select(SpaceClosure).where(SpaceClosure.space_id == space.id,
                                   SpaceClosure.last_day >= local_today(space, now))
        .order_by(SpaceClosure.first_day)))


def access_closure_for_owner(session: Session, user: User | None, space_id: int,
                             closure_id: int) -> tuple[Space, SpaceClosure]:
    """One closure of one of the caller's spaces (locked with the space), else NotFound."""
    space = access_space_for_owner(session, user, space_id, for_update=True)
    closure = session.get(SpaceClosure, closure_id) if 0 < closure_id < 2**31 else None
    if closure is None or closure.space_id != space.id:
        raise NotFound(tr("Закрытые дни не найдены"))
    return space, closure


def do_add_closure(session: Session, user: User | None, space_id: int, fields: ClosureInput,
                   *, now: datetime | None = None) -> SpaceClosure:
    """Closes days of the space: from now on nothing can be booked on them (bookings already
    there stay until the owner cancels them: `bookings_on_closure`)."""
    space = access_space_for_owner(session, user, space_id, for_update=True)  # closures one at a time
    first, last, reason = check_closure(fields, local_today(space, now))
    clash = session.scalars(select(SpaceClosure).where(
        SpaceClosure.space_id == space.id, SpaceClosure.first_day <= last,
        SpaceClosure.last_day >= first).order_by(SpaceClosure.first_day)).first()
    if clash is not None:
        raise Conflict("first_day", tr("Эти дни уже закрыты: {period} («{reason}»). Выберите другие даты или сначала откройте те", period=closure_of(clash).period, reason=clash.reason))
    closure = SpaceClosure(space_id=space.id, first_day=first, last_day=last, reason=reason,
                           created_by=user.id if user else None)
    session.add(closure)
    session.flush()
    return closure


def do_delete_closure(session: Session, user: User | None, space_id: int, closure_id: int) -> None:
    """Opens the days again: they can be booked from now on. A closure that has ended stays:
    it is the record behind the bookings it cancelled."""
    space, closure = access_closure_for_owner(session, user, space_id, closure_id)
    if closure.last_day < local_today(space):
        raise Conflict("closure", tr("эти дни уже прошли: запись о закрытии остаётся в истории"))
    session.delete(closure)
    session.flush()


def closure_bounds(space: Space, closure: SpaceClosure) -> tuple[datetime, datetime]:
    """The closed days as [local midnight of the first, local midnight after the last)."""
    zone = ZoneInfo(space.timezone)
    start = datetime.combine(closure.first_day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(closure.last_day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def bookings_on_closure(session: Session, space: Space, closure: SpaceClosure) -> list[Booking]:
    """Bookings of the space that still hold seats (models.holds_seats_sql) at some moment of
    the closed days: the owner decides about each (cancel with a full refund)."""
    start, end = closure_bounds(space, closure)
    return list(session.scalars(
        select(Booking).where(Booking.space_id == space.id, Booking.start_at < end,
                              Booking.end_at > start, text(holds_seats_sql("booking")))
        .order_by(Booking.start_at, Booking.id)))
