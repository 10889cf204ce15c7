"""The price of a booking, as a breakdown shown before payment and stored on the booking.

price = tariff (cheapest applicable of hour/day/month) x seats + add-ons - discount, then VAT
(the space's rate; prices entered tax-inclusive or exclusive). Integer minor units only:
every division rounds half up, in one helper.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field, StrictInt
from sqlalchemy import func, select, text
from sqlmodel import Session

from coworking_app.formatting import plural
from coworking_app.services.booking.availability import Interval, ResourceLimits, is_whole
from coworking_app.services.booking.cover import Cover
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.common.fields import Line
from models import (
    HOLDING_STATUSES,
    Addon,
    AddonUnit,
    Booking,
    BookingStatus,
    PriceUnit,
    PromoCode,
    PromoKind,
    Resource,
    Tariff,
    User,
)
from coworking_app.i18n import format_number, tr

DAYS_PER_MONTH = 30


def div_round(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, in integers (no floats near money)."""
    return (2 * numerator + denominator) // (2 * denominator)


class AddonChoice(BaseModel):
    code: Line(32, min_length=1)
    quantity: StrictInt = Field(1, ge=1, le=100)


class PriceLine(BaseModel):
    label: str
    amount: int


class PriceBreakdown(BaseModel):
    subtotal: int  # tariff x seats
    addons: int
    discount: int
    vat: int  # the VAT inside the total (inclusive) or added to it (exclusive)
    total: int
    currency: str
    tariff_unit: str
    tariff_units: int  # hours x 2 (half hours), days or months, see `lines`
    unit_price: int
    seats_charged: int
    vat_rate_bp: int
    vat_included: bool
    promo_code: str | None = None
    lines: list[PriceLine] = []
    # A plan (services/booking/cover.py): what it paid of the subtotal, its name, and why a
    # chosen plan did not pay (the booking then costs as usual).
    plan_covered: int = 0
    plan: str | None = None
    plan_note: str | None = None
    plan_hold: bool = False  # the desk or office a membership holds for its month


class SpacePrices(Protocol):
    """What pricing reads of a space (a Space row or services.booking.bookings.BookableSpace)."""

    id: int
    currency: str
    vat_rate_bp: int
    prices_include_vat: bool


# A resource's tariffs as {unit: price in minor units}, a column of the statement that loads
# the resource (services.booking.bookings: one round trip instead of two on every quote and booking).
TARIFF_PRICES = (select(func.coalesce(func.jsonb_object_agg(Tariff.unit, Tariff.price_minor),
                                      text("'{}'::jsonb")))
                 .where(Tariff.resource_id == Resource.id).correlate(Resource)
                 .scalar_subquery().label("tariff_prices"))


def _tariff_options(tariffs: dict[str, int], interval: Interval) -> list[tuple[int, str, int, int, str]]:
    """(cost per seat, unit, quantity, unit price, label) for each applicable tariff."""
    options = []
    hour = tariffs.get(PriceUnit.hour.value)
    if hour is not None and not interval.day_based:
        half_hours = interval.minutes // 30
        cost = div_round(hour * half_hours, 2)
        label = tr("{num} ч × {money}", num=_num(half_hours / 2), money=_money(hour))
        options.append((cost, PriceUnit.hour.value, half_hours, hour, label))
    day = tariffs.get(PriceUnit.day.value)
    if day is not None:
        options.append((day * interval.days, PriceUnit.day.value, interval.days,
                        day, tr("{days} дн. × {money}", days=interval.days, money=_money(day))))
    month = tariffs.get(PriceUnit.month.value)
    if month is not None:
        months = -(-interval.days // DAYS_PER_MONTH)
        options.append((month * months, PriceUnit.month.value, months,
                        month, tr("{months} мес. × {money}", months=months, money=_money(month))))
    return options


def _num(value: float) -> str:
    return format_number(value, "0.##")


def _money(minor: int) -> str:
    """Unit prices inside line labels: "280", "1 500,50" (the currency is on the total)."""
    whole, cents = divmod(minor, 100)
    return f"{whole:,}".replace(",", " ") + (f",{cents:02d}" if cents else "")


def _seats(n: int) -> str:
    return plural(n, "место", "места", "мест")


def _addon_label(addon: Addon, quantity: int, interval: Interval, seats: int) -> str:
    """Every factor of the amount in the label: "Второй монитор: 300 × 2 места"."""
    factors = [_money(addon.price_minor)]
    if quantity > 1:
        factors.append(tr("{quantity} шт.", quantity=quantity))
    if addon.unit == AddonUnit.hour.value:
        factors.append(tr("{num} ч", num=_num(interval.minutes / 60)))
    elif addon.unit == AddonUnit.seat.value:
        factors.append(_seats(seats))
    return addon.name if len(factors) == 1 else f"{addon.name}: " + " × ".join(factors)


def check_addons(session: Session, space: SpacePrices, resource: ResourceLimits,
                 choices: list[AddonChoice]) -> list[tuple[Addon, int]]:
    if not choices:
        return []
    codes = [c.code for c in choices]
    if len(set(codes)) != len(codes):
        raise InvalidInput("addons", tr("каждая опция указывается один раз"))
    known = {a.code: a for a in session.scalars(
        select(Addon).where(Addon.space_id == space.id, Addon.code.in_(codes), Addon.active)
    )}
    chosen = []
    for choice in choices:
        addon = known.get(choice.code)
        if addon is None:
            raise InvalidInput("addons", tr("нет такой опции: {value}", value=choice.code[:32]))
        if addon.resource_kinds and resource.kind not in addon.resource_kinds:
            raise InvalidInput("addons", tr("«{name}» недоступна для «{name2}»", name=addon.name, name2=resource.name))
        if choice.quantity > addon.max_quantity:
            raise InvalidInput("addons", tr("«{name}»: не больше {max_quantity}", name=addon.name, max_quantity=addon.max_quantity))
        chosen.append((addon, choice.quantity))
    return chosen


def _addon_amount(addon: Addon, quantity: int, interval: Interval, seats: int) -> int:
    if addon.unit == AddonUnit.hour.value:
        return div_round(addon.price_minor * quantity * interval.minutes, 60)
    if addon.unit == AddonUnit.seat.value:
        return addon.price_minor * quantity * seats
    return addon.price_minor * quantity


def promo_uses(session: Session, promo: PromoCode, *, user_id: int | None = None,
               exclude_booking_id: int | None = None) -> int:
    """Bookings that count against a promo's limits: held, paid or used, not expired or
    cancelled (a cancelled booking gives its use back)."""
    counted = [s.value for s in HOLDING_STATUSES] + [BookingStatus.completed.value,
                                                     BookingStatus.no_show.value]
    query = select(func.count()).select_from(Booking).where(
        Booking.promo_id == promo.id, Booking.status.in_(counted))
    if user_id is not None:
        query = query.where(Booking.user_id == user_id)
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    return session.scalar(query) or 0


def access_promo(session: Session, space: SpacePrices, user: User | None, code: str, amount: int,
                 currency: str, *, now: datetime, lock: bool,
                 exclude_booking_id: int | None = None) -> PromoCode:
    """The promo code if it applies to this space, user and amount right now. With
    `lock`, the promo row stays locked until commit so that two bookings cannot both take
    its last use."""
    if user is None:
        raise InvalidInput("promo_code", tr("войдите, чтобы применить промокод"))
    query = select(PromoCode).where(func.upper(PromoCode.code) == code.strip().upper())
    if lock:
        query = query.with_for_update()
    promo = session.scalars(query).first()
    if promo is None or (promo.space_id is not None and promo.space_id != space.id):
        raise InvalidInput("promo_code", tr("такого промокода нет"))
    if promo.valid_from and now < promo.valid_from:
        raise InvalidInput("promo_code", tr("промокод ещё не действует"))
    if promo.valid_until and now >= promo.valid_until:
        raise InvalidInput("promo_code", tr("срок действия промокода истёк"))
    if promo.kind == PromoKind.fixed.value and promo.currency != currency:
        raise InvalidInput("promo_code", tr("промокод в другой валюте"))
    if amount < promo.min_amount_minor:
        raise InvalidInput("promo_code",
                           tr("промокод действует от {value:g} {currency}", value=promo.min_amount_minor / 100, currency=currency))
    if promo.max_uses_total is not None and promo_uses(
            session, promo, exclude_booking_id=exclude_booking_id) >= promo.max_uses_total:
        raise InvalidInput("promo_code", tr("промокод уже использован максимальное число раз"))
    if promo.max_uses_per_user is not None and promo_uses(
            session, promo, user_id=user.id,
            exclude_booking_id=exclude_booking_id) >= promo.max_uses_per_user:
        raise InvalidInput("promo_code", tr("вы уже использовали этот промокод"))
    return promo


def quote(session: Session, *, space: SpacePrices, resource: ResourceLimits, tariffs: dict[str, int],
          user: User | None, interval: Interval, seats: int, addons: list[AddonChoice],
          promo_code: str | None, now: datetime, lock_promo: bool = False,
          exclude_booking_id: int | None = None, cover: Cover | None = None, plan_note: str | None = None,
          ) -> tuple[PriceBreakdown, list[dict], PromoCode | None]:
    """The breakdown, the add-on lines to store, and the promo applied (if any). `tariffs`:
    the resource's TARIFF_PRICES. `cover`: a plan pays the tariff's part (add-ons are paid
    as usual); `plan_note`: why the chosen plan does not pay."""
    options = _tariff_options(tariffs, interval)
    if not options:
        raise InvalidInput("end", tr("для такой длительности у ресурса нет тарифа")
                           if not interval.day_based else tr("у ресурса нет дневного или месячного тарифа"))
    cost, unit, quantity, unit_price, label = min(options, key=lambda o: (o[0], o[1]))
    seats_charged = 1 if is_whole(resource) else seats
    subtotal = cost * seats_charged
    currency = space.currency
    lines = [PriceLine(label=f"{resource.name}: {label}" + (f" × {_seats(seats_charged)}"
                                                            if seats_charged > 1 else ""),
                       amount=subtotal)]
    covered = subtotal if cover is not None else 0
    if cover is not None:
        lines.append(PriceLine(label=cover.label, amount=-covered))
    addon_rows = []
    addons_total = 0
    for addon, qty in check_addons(session, space, resource, addons):
        amount = _addon_amount(addon, qty, interval, seats)
        addons_total += amount
        addon_rows.append({"code": addon.code, "name": addon.name, "unit": addon.unit,
                           "quantity": qty, "price_minor": addon.price_minor, "amount": amount})
        lines.append(PriceLine(label=_addon_label(addon, qty, interval, seats), amount=amount))
    gross = subtotal - covered + addons_total
    promo = None
    discount = 0
    if promo_code and promo_code.strip():
        promo = access_promo(session, space, user, promo_code, gross, currency, now=now,
                             lock=lock_promo, exclude_booking_id=exclude_booking_id)
        discount = (div_round(gross * promo.value, 100) if promo.kind == PromoKind.percent.value
                    else min(promo.value, gross))
        lines.append(PriceLine(label=tr("Промокод {upper}", upper=promo.code.upper()), amount=-discount))
    net = gross - discount
    rate = space.vat_rate_bp
    if space.prices_include_vat:
        total = net
        vat = net - div_round(net * 10_000, 10_000 + rate)
    else:
        vat = div_round(net * rate, 10_000)
        total = net + vat
        if vat:
            lines.append(PriceLine(label=tr("НДС {value:g} %", value=rate / 100), amount=vat))
    breakdown = PriceBreakdown(
        subtotal=subtotal, addons=addons_total, discount=discount, vat=vat, total=total,
        currency=currency, tariff_unit=unit, tariff_units=quantity, unit_price=unit_price,
        seats_charged=seats_charged, vat_rate_bp=rate, vat_included=space.prices_include_vat,
        promo_code=promo.code.upper() if promo else None, lines=lines,
        plan_covered=covered, plan=cover.name if cover else None, plan_note=plan_note,
    )
    return breakdown, addon_rows, promo
