"""The owner's plans of a space (/owner/spaces/<id>/plans): the plans with their members and
money, a form to add or change one, on sale or off. Rules: services/plans/plans.py and
purchases.owner_plan_figures."""

from __future__ import annotations

from dataclasses import dataclass, field

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import RESOURCE_KIND_LABELS
from coworking_app.services.plans import plans, purchases
from state.inputs import parse_id, parse_roubles
from state.page import PageState, refused
from coworking_app.i18n import N_, tr

KINDS = [("day_pass", N_("Пакет дней")), ("membership", N_("Абонемент на месяц")), ("credits", N_("Пакет часов переговорных"))]
TYPES = [("hot_desk", N_("Незакреплённое место")), ("fixed_desk", N_("Закреплённое место")), ("office", N_("Отдельный офис"))]


@dataclass
class Choice:
    id: str = ""
    label: str = ""
    checked: bool = False


@dataclass
class OwnerPlanRow:
    id: int = 0
    name: str = ""
    kind_label: str = ""
    price: str = ""
    per: str = ""
    terms: list[str] = field(default_factory=list)
    active: bool = True
    members: int = 0
    sold: int = 0
    revenue: str = "—"


def _number(value: str) -> int | None:
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


class OwnerPlansState(PageState):
    found: bool = False
    loaded: bool = False
    space_id: int = 0
    space: str = ""
    rows: list[OwnerPlanRow] = []
    places: list[Choice] = []  # the space's resources for the form
    # the form (editing_id 0: a new plan)
    editing_id: int = 0
    kind: str = "day_pass"
    membership_type: str = "hot_desk"
    name: str = ""
    description: str = ""
    price: str = ""
    days: str = "10"
    validity_days: str = "60"
    credit_hours: str = "0"
    max_active: str = "1"
    renews: bool = True
    errors: dict[str, str] = {}
    message: str = ""
    busy: bool = False

    def _path_id(self) -> int:
        parts = str(self.router.url.path).rstrip("/").split("/")
        return (parse_id(parts[-2]) if len(parts) >= 2 else None) or 0

    def _fill(self, editor: plans.PlanEditor, figures: list[purchases.PlanFigures]) -> None:
        by_plan = {f.plan_id: f for f in figures}
        self.space_id, self.space, self.found, self.loaded = editor.space_id, editor.space, True, True
        chosen = {c.id for c in self.places if c.checked}
        self.places = [Choice(str(i), f"{name} ({RESOURCE_KIND_LABELS.get(kind, kind).lower()})", str(i) in chosen)
                       for i, name, kind in editor.resources]
        self.rows = [OwnerPlanRow(p.id, p.name, p.kind_label, p.price, p.per, p.terms, p.active,
                                  by_plan[p.id].members if p.id in by_plan else 0,
                                  by_plan[p.id].sold if p.id in by_plan else 0,
                                  by_plan[p.id].revenue if p.id in by_plan else "—") for p in editor.plans]

    async def _reload(self) -> bool:
        space_id = self.space_id or self._path_id()
        done = await self._act(lambda s, _fx, u: (plans.plan_editor(s, u, space_id), purchases.owner_plan_figures(s, u)))
        if done.ok:
            self._fill(*done.value)
        return done.ok

    @rx.event
    async def load(self):
        self.found, self.loaded, self.space_id, self.message, self.errors = False, False, 0, "", {}
        self._clear()
        if not await self._reload():
            self.loaded = True

    def _clear(self) -> None:
        self.editing_id, self.kind, self.membership_type, self.name, self.description = 0, "day_pass", "hot_desk", "", ""
        self.price, self.days, self.validity_days, self.credit_hours, self.max_active = "", "10", "60", "0", "1"
        self.renews, self.errors = True, {}
        self.places = [Choice(c.id, c.label, False) for c in self.places]

    # --- the form --------------------------------------------------------------------------

    @rx.event
    def set_kind(self, value: str):
        if value in dict(KINDS):
            self.kind = value

    @rx.event
    def set_membership_type(self, value: str):
        if value in dict(TYPES):
            self.membership_type = value

    @rx.event
    def set_field(self, name: str, value: str):
        if name in ("name", "description", "price", "days", "validity_days", "credit_hours", "max_active"):
            setattr(self, name, str(value)[:1000])
            self.errors = {k: v for k, v in self.errors.items() if k != name}

    @rx.event
    def set_renews(self, value: bool):
        self.renews = bool(value)

    @rx.event
    def toggle_place(self, place_id: str, checked: bool):
        self.places = [Choice(c.id, c.label, bool(checked) if c.id == place_id else c.checked) for c in self.places]

    @rx.event
    def new_plan(self):
        self._clear()
        self.message = ""

    @rx.event
    async def edit(self, plan_id: int):
        plan_id = parse_id(plan_id)
        space_id = self.space_id
        done = await self._act(lambda s, _fx, u: plans.access_plan_for_owner(s, u, space_id, plan_id or 0)[1])
        if not done.ok:
            self.message = done.sentence
            return
        p = done.value
        self.editing_id, self.kind, self.membership_type = p.id, p.kind, p.membership_type or "hot_desk"
        self.name, self.description = p.name, p.description
        self.price = f"{p.price_minor / 100:g}".replace(".", ",")
        self.days, self.validity_days = str(p.days or ""), str(p.validity_days or "")
        self.credit_hours, self.max_active = str(p.credit_minutes // 60), str(p.max_active_bookings)
        self.renews, self.errors, self.message = p.renews, {}, ""
        self.places = [Choice(c.id, c.label, int(c.id) in p.resource_ids) for c in self.places]

    def _input(self) -> plans.PlanIn | None:
        errors = {}
        price = parse_roubles(self.price)
        if price is None:
            errors["price_minor"] = tr("Укажите цену в рублях, например 12000")
        numbers = {}
        for name, label, needed in (("days", tr("число дней"), self.kind == "day_pass"),
                                    ("validity_days", tr("срок в днях"), self.kind != "membership"),
                                    ("credit_hours", tr("число часов"), False), ("max_active", tr("число"), True)):
            value = _number(getattr(self, name)) if str(getattr(self, name)).strip() else None
            if value is None and (needed or str(getattr(self, name)).strip()):
                errors[name] = tr("Укажите {label} цифрами", label=label)
            numbers[name] = value
        if errors:
            self.errors = errors
            return None
        try:
            return plans.PlanIn(
                kind=self.kind, membership_type=self.membership_type if self.kind == "membership" else None,
                name=self.name, description=self.description, price_minor=price,
                days=numbers["days"] if self.kind == "day_pass" else None,
                validity_days=numbers["validity_days"] if self.kind != "membership" else None,
                credit_hours=numbers["credit_hours"] or 0, max_active_bookings=numbers["max_active"] or 1,
                resource_ids=[int(c.id) for c in self.places if c.checked], renews=self.renews)
        except ValidationError as exc:
            problem = refused(exc)
            self.errors = {_form_field(problem.field): problem.message}
            return None

    @rx.event
    async def save(self):
        if self.busy:
            return
        data = self._input()
        if data is None:
            return
        self.busy = True
        yield
        space_id, plan_id = self.space_id, self.editing_id

        def work(s, fx, u):
            if plan_id:
                return plans.do_update_plan(s, fx, u, space_id, plan_id, data)
            return plans.do_create_plan(s, fx, u, space_id, data)
        done = await self._act(work)
        self.busy = False
        if not done.ok:
            self.errors = {_form_field(done.field): done.sentence}
            return
        self.message = (tr("Абонемент «{name}» сохранён", name=done.value.name) if plan_id
                        else tr("Абонемент «{name}» добавлен и уже продаётся", name=done.value.name))
        self._clear()
        await self._reload()

    @rx.event
    async def toggle_active(self, plan_id: int, active: bool):
        plan_id, space_id = parse_id(plan_id), self.space_id
        done = await self._act(lambda s, fx, u: plans.do_set_plan_active(s, fx, u, space_id, plan_id or 0, bool(active)))
        if not done.ok:
            self.message = done.sentence
            return
        self.message = (tr("«{name}» снова продаётся", name=done.value.name) if done.value.active
                        else tr("«{name}» снят с продажи; купленные абонементы действуют до конца срока", name=done.value.name))
        await self._reload()


def _form_field(field: str) -> str:
    """The form's name of a field a service named."""
    return {"price_minor": "price_minor", "max_active_bookings": "max_active", "membership_type": "kind"}.get(field, field)


@dataclass
class FigureRow:
    plan_id: int = 0
    space: str = ""
    name: str = ""
    kind_label: str = ""
    members: int = 0
    sold: int = 0
    revenue: str = ""


class PlanFiguresState(PageState):
    """The analytics' "Абонементы": per plan, members now and the last 30 days' sales."""

    figures: list[FigureRow] = []

    @rx.event
    async def load(self):
        done = await self._act(lambda s, _fx, u: purchases.owner_plan_figures(s, u))
        self.figures = [FigureRow(f.plan_id, f.space, f.name, f.kind_label, f.members, f.sold, f.revenue)
                        for f in done.value] if done.ok else []
