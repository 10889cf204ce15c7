"""The plans a space sells (docs/plans.md): the public list on the space's page and the API,
and the owner's management of them. Buying and using them: purchases.py, booking/cover.py."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlalchemy import select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import MEMBERSHIP_TYPE_LABELS, PLAN_KIND_LABELS, format_money, plural
from coworking_app.services.booking.cover import days_word, hours_text
from coworking_app.services.catalog.owner_spaces import access_space_for_owner
from coworking_app.services.catalog.spaces import access_public_space
from coworking_app.services.common.errors import InvalidInput, NotFound
from coworking_app.services.common.fields import Id, Line, StrictMoneyMinor, Text
from coworking_app.services.common.text import check_chars
from models import MembershipType, Plan, PlanKind, Resource, ResourceKind, Space
from coworking_app.i18n import tr

MAX_PLANS = 30  # per space
HELD_KINDS = {  # what a fixed membership may hold
    MembershipType.fixed_desk.value: (ResourceKind.fixed_desk.value, ResourceKind.hot_desk.value),
    MembershipType.office.value: (ResourceKind.private_office.value,),
}


class PlanIn(BaseModel):
    """A plan as the owner writes it (create and replace)."""

    model_config = ConfigDict(extra="forbid")

    kind: PlanKind
    membership_type: MembershipType | None = None
    name: Line(120, min_length=2)
    description: Text(1000) = ""
    price_minor: StrictMoneyMinor
    days: StrictInt | None = Field(None, ge=1, le=365)  # a day-pass pack's days
    validity_days: StrictInt | None = Field(None, ge=1, le=730)  # a pack's life
    credit_hours: StrictInt = Field(0, ge=0, le=1000)  # meeting-room hours (a pack's, or monthly)
    resource_ids: list[Id] = Field(default_factory=list, max_length=50)
    max_active_bookings: StrictInt = Field(1, ge=1, le=50)
    renews: StrictBool = True
    active: StrictBool = True


@dataclass(frozen=True)
class PlanOut:
    id: int
    space_id: int
    kind: str
    kind_label: str
    membership_type: str | None
    name: str
    description: str
    price_minor: int
    currency: str
    price: str  # "12 000 ₽"
    per: str  # "в месяц", "за пакет"
    terms: list[str]  # what it gives, in words
    days: int | None
    validity_days: int | None
    credit_hours: int
    resource_ids: list[int]
    resources: list[str]  # their names
    max_active_bookings: int
    renews: bool
    active: bool


def plan_terms(plan: Plan, names: list[str]) -> list[str]:
    """What the plan gives, one line each: "10 дней в течение 60 дней", "8 ч переговорных в месяц"."""
    lines = []
    where = ", ".join(names)
    if plan.kind == PlanKind.day_pass.value:
        lines.append(tr("{days_word} в течение {days_word2}", days_word=days_word(plan.days), days_word2=days_word(plan.validity_days)))
    elif plan.kind == PlanKind.credits.value:
        lines.append(tr("{hours_text} переговорных в течение {days_word}", hours_text=hours_text(plan.credit_minutes), days_word=days_word(plan.validity_days)))
    else:
        lines.append(MEMBERSHIP_TYPE_LABELS[plan.membership_type] + tr(" на месяц"))
        if plan.credit_minutes:
            lines.append(tr("{hours_text} переговорных каждый месяц", hours_text=hours_text(plan.credit_minutes)))
        lines.append(tr("продлевается каждый месяц, отменить можно в любой момент") if plan.renews
                     else tr("без автоматического продления"))
    if where:
        held = plan.membership_type in HELD_KINDS
        lines.append((tr("Одно из мест: ") if held else tr("Где действует: ")) + where)
    if plan.max_active_bookings > 1:
        lines.append(tr("до {plural} одновременно", plural=plural(plan.max_active_bookings, 'брони', 'броней', 'броней')))
    return lines


def _names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Resource.id, Resource.name).where(Resource.id.in_(ids))).all())


def plan_out(session: Session, plan: Plan, names: dict[int, str] | None = None) -> PlanOut:
    names = names if names is not None else _names(session, list(plan.resource_ids))
    listed = [names[i] for i in plan.resource_ids if i in names]
    return PlanOut(
        id=plan.id, space_id=plan.space_id, kind=plan.kind, kind_label=PLAN_KIND_LABELS[plan.kind],
        membership_type=plan.membership_type, name=plan.name, description=plan.description,
        price_minor=plan.price_minor, currency=plan.currency, price=format_money(plan.price_minor, plan.currency),
        per=tr("в месяц") if plan.kind == PlanKind.membership.value else tr("за пакет"),
        terms=plan_terms(plan, listed), days=plan.days, validity_days=plan.validity_days,
        credit_hours=plan.credit_minutes // 60, resource_ids=list(plan.resource_ids), resources=listed,
        max_active_bookings=plan.max_active_bookings, renews=plan.renews, active=plan.active)


def _outs(session: Session, plans: list[Plan]) -> list[PlanOut]:
    names = _names(session, sorted({i for p in plans for i in p.resource_ids}))
    return [plan_out(session, p, names) for p in plans]


def space_plans(session: Session, space_id: int) -> list[PlanOut]:
    """The plans on sale at a publicly visible space (anyone may read them)."""
    space = access_public_space(session, space_id)
    return _outs(session, list(session.scalars(select(Plan).where(Plan.space_id == space.id, Plan.active)
                                               .order_by(Plan.price_minor, Plan.id))))


def owner_plans(session: Session, user, space_id: int) -> list[PlanOut]:
    """Every plan of the owner's space, on sale or not."""
    space = access_space_for_owner(session, user, space_id)
    return _outs(session, list(session.scalars(select(Plan).where(Plan.space_id == space.id).order_by(Plan.id))))


@dataclass(frozen=True)
class PlanEditor:
    """The owner's page of a space's plans: the space, its resources to choose from, its plans."""

    space_id: int
    space: str
    currency: str
    resources: list[tuple[int, str, str]]  # (id, name, kind)
    plans: list[PlanOut]


def plan_editor(session: Session, user, space_id: int) -> PlanEditor:
    space = access_space_for_owner(session, user, space_id)
    resources = [(r.id, r.name, r.kind) for r in session.scalars(
        select(Resource).where(Resource.space_id == space.id).order_by(Resource.id))]
    return PlanEditor(space.id, space.name, space.currency, resources, owner_plans(session, user, space_id))


def access_plan_for_owner(session: Session, user, space_id: int, plan_id: int) -> tuple[Space, Plan]:
    space = access_space_for_owner(session, user, space_id, for_update=True)
    plan = session.get(Plan, plan_id, with_for_update=True) if 0 < plan_id < 2**31 else None
    if plan is None or plan.space_id != space.id:
        raise NotFound(tr("Абонемент не найден"))
    return space, plan


def check_plan(session: Session, space: Space, data: PlanIn) -> None:
    """The plan makes sense for this space: the fields its kind needs, resources of this
    space that suit it."""
    check_chars("name", data.name)
    check_chars("description", data.description)
    if data.price_minor <= 0:
        raise InvalidInput("price_minor", tr("укажите цену больше нуля"))
    kind = data.kind.value
    if kind == PlanKind.membership.value and data.membership_type is None:
        raise InvalidInput("membership_type", tr("выберите вид абонемента: незакреплённое место, закреплённое или офис"))
    if kind != PlanKind.membership.value and data.membership_type is not None:
        raise InvalidInput("membership_type", tr("вид абонемента указывается только для абонемента на месяц"))
    if kind == PlanKind.day_pass.value:
        if not data.days or not data.validity_days:
            raise InvalidInput("days", tr("укажите число дней и срок действия пакета"))
        if data.days > data.validity_days:
            raise InvalidInput("days", tr("дней в пакете не может быть больше, чем дней в сроке действия"))
    if kind == PlanKind.credits.value and (not data.credit_hours or not data.validity_days):
        raise InvalidInput("credit_hours", tr("укажите число часов и срок действия пакета"))
    if not data.resource_ids:
        raise InvalidInput("resource_ids", tr("выберите, на какие места или переговорные действует абонемент"))
    if len(set(data.resource_ids)) != len(data.resource_ids):
        raise InvalidInput("resource_ids", tr("каждое место указывается один раз"))
    kinds = dict(session.execute(select(Resource.id, Resource.kind).where(
        Resource.space_id == space.id, Resource.id.in_(data.resource_ids))).all()) if data.resource_ids else {}
    missing = [i for i in data.resource_ids if i not in kinds]
    if missing:
        raise InvalidInput("resource_ids", tr("в этом пространстве нет места № {value}", value=missing[0]))
    held = HELD_KINDS.get(data.membership_type.value if data.membership_type else "")
    if held is not None:
        wrong = [i for i in data.resource_ids if kinds[i] not in held]
        if wrong:
            raise InvalidInput("resource_ids", tr("для этого абонемента подходят только ")
                               + (tr("рабочие места") if data.membership_type == MembershipType.fixed_desk else tr("офисы")))
    if kind == PlanKind.credits.value and any(kinds[i] != ResourceKind.meeting_room.value for i in data.resource_ids):
        raise InvalidInput("resource_ids", tr("пакет часов действует только на переговорные"))
    if kind == PlanKind.day_pass.value or data.membership_type == MembershipType.hot_desk:
        if any(kinds[i] not in (ResourceKind.hot_desk.value, ResourceKind.fixed_desk.value) for i in data.resource_ids):
            raise InvalidInput("resource_ids", tr("пакет дней и незакреплённое место действуют только на рабочие места"))


def _apply(plan: Plan, space: Space, data: PlanIn) -> None:
    membership = data.kind == PlanKind.membership
    plan.kind = data.kind.value
    plan.membership_type = data.membership_type.value if data.membership_type else None
    plan.name, plan.description = data.name.strip(), data.description.strip()
    plan.price_minor, plan.currency, plan.vat_rate_bp = data.price_minor, space.currency, space.vat_rate_bp
    plan.days = data.days if data.kind == PlanKind.day_pass else None
    plan.validity_days = None if membership else data.validity_days
    plan.credit_minutes = data.credit_hours * 60
    plan.resource_ids = list(data.resource_ids)
    plan.max_active_bookings = data.max_active_bookings
    plan.renews = data.renews if membership else False
    plan.active = data.active


def do_create_plan(session: Session, effects: Effects, user, space_id: int, data: PlanIn) -> PlanOut:
    space = access_space_for_owner(session, user, space_id, for_update=True)
    check_plan(session, space, data)
    count = len(session.scalars(select(Plan.id).where(Plan.space_id == space.id)).all())
    if count >= MAX_PLANS:
        raise InvalidInput("name", tr("у пространства может быть не больше {MAX_PLANS} абонементов", MAX_PLANS=MAX_PLANS))
    plan = Plan(space_id=space.id, kind=data.kind.value, name="", price_minor=1, currency=space.currency,
                resource_ids=[])
    _apply(plan, space, data)
    session.add(plan)
    session.flush()
    effects.count("plans", "created")
    return plan_out(session, plan)


def do_update_plan(session: Session, effects: Effects, user, space_id: int, plan_id: int, data: PlanIn) -> PlanOut:
    """Replaces the plan's terms. Purchases already made keep the terms they were bought on."""
    space, plan = access_plan_for_owner(session, user, space_id, plan_id)
    check_plan(session, space, data)
    _apply(plan, space, data)
    session.flush()
    return plan_out(session, plan)


def do_set_plan_active(session: Session, effects: Effects, user, space_id: int, plan_id: int, active: bool) -> PlanOut:
    """On sale or off it (purchases already made run on)."""
    _space, plan = access_plan_for_owner(session, user, space_id, plan_id)
    plan.active = bool(active)
    session.flush()
    effects.count("plans", "on_sale" if plan.active else "off_sale")
    return plan_out(session, plan)
