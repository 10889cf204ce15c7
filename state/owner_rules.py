"""The owner's booking rules for one space: approval, cancellation preset, VAT, add-ons;
the days the space is closed, with the bookings on them; the offer to past guests. Small
states of their own on the editor page; the services check ownership on every call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import format_moment, format_money, format_stay
from coworking_app.services.booking import bookings
from coworking_app.services.messaging import offers
from coworking_app.services.catalog import owner_editor, owner_spaces
from state.auth import invalid
from state.inputs import parse_id, parse_roubles
from state.page import PageState
from coworking_app.i18n import Labels, N_, tr

ADDON_UNITS = Labels({"booking": N_("за бронь"), "hour": N_("в час"), "seat": N_("за место")})
GRACE_CHOICES = ("15", "30", "45", "60", "90")  # minutes a guest may be late before the release


@dataclass
class AddonRow:
    code: str = ""
    name: str = ""
    label: str = ""  # its price and how it counts: "300 ₽ за бронь"


class BookingRulesState(PageState):
    space: int = 0
    instant_book: bool = True
    policy: str = "flexible"
    policy_terms: list[str] = []
    vat_percent: str = "0"
    vat_included: bool = True
    no_show_release: bool = False  # check-in: release a booking nobody checked in for
    grace: str = "30"  # minutes after the start
    addons: list[AddonRow] = []
    message: str = ""
    error: str = ""

    def _id(self) -> int:
        return parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]) or 0

    async def _run(self, action=None, done: str = ""):
        """`action(session, effects, user)` (if any), then the space's rules read again; the
        outcome."""
        self.space = space_id = self._id()

        def work(session, effects, user):
            if action is not None:
                action(session, effects, user)
            space = owner_spaces.access_space_for_owner(session, user, space_id)
            return space, owner_spaces.list_addons(session, space.id)
        outcome = await self._act(work)
        self.message, self.error = (done, "") if outcome.ok else ("", outcome.message)
        if not outcome.ok:
            return outcome
        space, addons = outcome.value
        self.instant_book, self.policy = space.instant_book, space.cancellation_policy
        self.vat_percent = f"{space.vat_rate_bp / 100:g}"
        self.vat_included = space.prices_include_vat
        self.no_show_release, self.grace = space.no_show_release, str(space.checkin_grace_minutes)
        self.addons = [AddonRow(a.code, a.name, f"{format_money(a.price_minor, space.currency)} "
                                                f"{ADDON_UNITS.get(a.unit, '')}") for a in addons]
        self.policy_terms = bookings.policy_terms(self.policy)
        return outcome

    @rx.event
    async def load(self):
        self.message = self.error = ""
        await self._run()

    @rx.event
    async def save(self, form: dict):
        vat_bp = parse_roubles(form.get("vat_percent", "0") or "0")  # percent x 100 = basis points
        if vat_bp is None:
            self.error = tr("НДС: укажите число процентов, например 22")
            return
        self.error = ""
        try:
            fields = owner_spaces.SpaceFields(instant_book=self.instant_book, cancellation_policy=self.policy,
                                              vat_rate_bp=vat_bp, prices_include_vat=self.vat_included,
                                              no_show_release=self.no_show_release,
                                              checkin_grace_minutes=int(self.grace))
        except ValidationError as exc:  # VAT out of range
            self.error = tr("НДС: от 0 до 50 %") if "vat" in str(exc) else invalid(exc)
            return
        space_id = self._id()
        await self._run(lambda s, fx, u: owner_spaces.do_update_space(s, fx, u, space_id, fields),
                        tr("Правила бронирования сохранены"))

    @rx.event
    def clear_error(self):
        """The owner is fixing the form: the old complaint goes (it would be stale)."""
        self.error = ""

    @rx.event
    def set_choice(self, name: str, value: str | bool):
        self.error = ""
        if name == "instant_book":
            self.instant_book = value is True
        elif name == "vat_included":
            self.vat_included = value is True
        elif name == "no_show_release":
            self.no_show_release = value is True
        elif name == "grace" and value in GRACE_CHOICES:
            self.grace = str(value)
        elif name == "policy" and isinstance(value, str) and value in bookings.POLICIES:
            self.policy = str(value)
            self.policy_terms = bookings.policy_terms(self.policy)

    @rx.event
    async def add_addon(self, form: dict):
        """A name and a price: its internal code is made by the service (owner_spaces.addon_code).
        The name of an existing add-on changes its price (and switches it back on)."""
        name, unit = str(form.get("name", ""))[:200].strip(), str(form.get("unit", "booking"))[:16]
        price = parse_roubles(form.get("price", ""))
        if not name:
            self.message, self.error = "", tr("Опция: напишите название, например «Монитор» или «Парковка»")
            return
        if price is None or not str(form.get("price", "")).strip():
            self.message, self.error = "", tr("Опция: цена в рублях, например 300 или 300,50")
            return
        known = {a.name.casefold() for a in self.addons}
        space_id = self._id()

        def action(session, _effects, user):
            fields = owner_spaces.AddonInput(name=name, unit=unit, price_minor=price)
            owner_spaces.do_set_addon(session, user, space_id, fields)

        outcome = await self._run(action, tr("Опция «{name}» обновлена", name=name) if name.casefold() in known
                                  else tr("Опция «{name}» добавлена", name=name))
        if outcome.from_model:  # the model's words do not name the field
            label = {"name": tr("название"), "price_minor": tr("цена"), "unit": tr("как считается цена")}.get(outcome.field, "")
            self.error = tr("Опция, {label}: {lower}", label=label, lower=outcome.message.lower()) if label else tr("Опция: {message_}", message_=outcome.message)

    @rx.event
    async def remove_addon(self, code: str):
        space_id, code = self._id(), str(code)[:32]
        await self._run(lambda s, _fx, u: owner_spaces.do_delete_addon(s, u, space_id, code), tr("Опция отключена"))


class GuestOfferState(PageState):
    """The editor's "Предложение гостям": an offer to the space's own past guests who opted
    in, at most once a week (services/messaging/offers.py says who and when; this only asks)."""

    space: int = 0
    available: bool = False
    unavailable: str = ""  # why this space sends no offers now
    recipients: int = 0
    next_at: str = ""  # when the next offer may go ("" = now)
    title: str = ""
    text: str = ""
    promo: str = ""
    error: str = ""
    error_field: str = ""
    sending: bool = False

    def _id(self) -> int:
        return parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]) or 0

    async def _refresh(self) -> None:
        self.space = space_id = self._id()

        def work(session, _effects, user):
            space = owner_spaces.access_space_for_owner(session, user, space_id)
            return offers.offer_reach(session, user, space.id), ZoneInfo(space.timezone)
        done = await self._act(work)
        self.available, self.unavailable = done.ok, done.message
        if done.ok:
            reach, zone = done.value
            self.recipients = reach.recipients
            self.next_at = format_moment(reach.next_at, zone) if reach.next_at else ""

    @rx.event
    async def load(self):
        self.error, self.error_field = "", ""
        await self._refresh()

    @rx.event
    def set_field(self, name: str, value: str):
        if name in ("title", "text", "promo"):
            setattr(self, name, str(value)[:2000])
            if self.error_field == name:
                self.error, self.error_field = "", ""

    @rx.event
    async def send(self):
        self.error, self.error_field = "", ""
        try:
            fields = offers.OfferInput(title=self.title, text=self.text, promo_code=self.promo.strip() or None,
                                       space_id=self.space)
        except ValidationError as exc:
            first = exc.errors()[0]
            self.error_field = str(first["loc"][0]) if first["loc"] else ""
            label = {"title": tr("Заголовок"), "text": tr("Текст"), "promo_code": tr("Промокод")}.get(self.error_field, "")
            self.error = (f"{label}: " if label else "") + invalid(exc).removeprefix(f"{self.error_field}: ")
            self.error_field = {"promo_code": "promo"}.get(self.error_field, self.error_field)
            return
        self.sending = True
        yield
        try:
            done = await self._act(lambda s, fx, u: offers.do_create_offer(s, fx, u, fields).recipients)
            self.error = done.message
            if done.ok:
                self.title = self.text = self.promo = ""
                yield rx.toast.success(tr("Предложение отправлено, получателей: {value}", value=done.value))
        finally:
            self.sending = False
        await self._refresh()


@dataclass
class ClosedBookingRow:
    """A booking still on closed days: who, what, when, and what cancelling returns."""

    id: int = 0
    label: str = ""  # "№ 123 · Иван Петров · Переговорная «Альфа»"
    when: str = ""  # "31.12.2026, 10:00–12:00"
    refund: str = ""  # "вернётся 1 500 ₽" / "не оплачена"
    can_cancel: bool = False


@dataclass
class ClosureRow:
    id: int = 0
    period: str = ""
    reason: str = ""
    bookings: list[ClosedBookingRow] = field(default_factory=list)


CLOSURE_FIELD_LABELS = Labels({"first_day": N_("Первый день"), "last_day": N_("Последний день"), "reason": N_("Причина")})


class ClosuresState(PageState):
    """The editor's "Закрытые дни": close one day or several (holidays, repairs), open them
    again, and cancel the bookings still on them with a full refund
    (owner_spaces closures, bookings.do_cancel_for_closure)."""

    space: int = 0
    first_day: str = ""  # as typed: дд.мм.гггг
    last_day: str = ""
    reason: str = ""
    closures: list[ClosureRow] = []
    message: str = ""
    error: str = ""
    error_field: str = ""  # first_day | last_day | reason | "" (the card)
    # Asked before doing: "open" a closure again, or "cancel" a booking on one.
    confirm_kind: str = ""
    confirm_closure: int = 0
    confirm_booking: int = 0
    confirm_text: str = ""
    busy: bool = False

    def _id(self) -> int:
        return parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]) or 0

    async def _refresh(self, action=None, done: str = ""):
        """`action(session, effects, user)` (if any), then the closures read again."""
        self.space = space_id = self._id()

        def work(session, effects, user):
            value = action(session, effects, user) if action is not None else None
            return value, owner_editor.space_closures(session, user, space_id)
        outcome = await self._act(work)
        if outcome.ok:
            self.message, self.error, self.error_field = done, "", ""
            self.closures = [_closure_row(c) for c in outcome.value[1]]
        else:
            self.message, self.error = "", outcome.message
            label = CLOSURE_FIELD_LABELS.get(outcome.field) if outcome.from_model else None
            if label:
                self.error = f"{label}: {outcome.message[0].lower()}{outcome.message[1:]}"
            self.error_field = outcome.field if outcome.field in CLOSURE_FIELD_LABELS else ""
        return outcome

    @rx.event
    async def load(self):
        self.message = self.error = self.error_field = ""
        self.confirm_kind = ""
        await self._refresh()

    @rx.event
    def set_field(self, name: str, value: str):
        if name in ("first_day", "last_day", "reason"):
            setattr(self, name, str(value)[:400])
            if self.error_field in (name, ""):
                self.error, self.error_field = "", ""

    def _day(self, name: str, label: str) -> date | None | bool:
        """The date typed into `name` (дд.мм.гггг, or ISO); None when empty; False (and the
        message next to the field) when it is not a date."""
        text = getattr(self, name).strip()
        if not text:
            return None
        try:
            return (datetime.strptime(text, "%d.%m.%Y") if "." in text else datetime.fromisoformat(text)).date()
        except ValueError:
            self.message, self.error_field = "", name
            self.error = tr("{label}: дата в виде дд.мм.гггг, например 31.12.2026", label=label)
            return False

    @rx.event
    async def close_days(self, _form: dict):
        first = self._day("first_day", tr("Первый день"))
        last = self._day("last_day", tr("Последний день")) if first is not False else False
        if first is False or last is False:
            return
        if first is None:
            self.message, self.error, self.error_field = "", tr("Укажите первый закрытый день"), "first_day"
            return
        space_id, reason = self._id(), self.reason

        def action(session, _effects, user):
            fields = owner_spaces.ClosureInput(first_day=first, last_day=last, reason=reason)
            return owner_editor.add_closure(session, user, space_id, fields)

        outcome = await self._refresh(action)
        if outcome.ok:
            closure = outcome.value[0]
            self.first_day = self.last_day = self.reason = ""
            self.message = (tr("Закрыто {period}. На эти дни есть брони — решите, отменить ли их", period=closure.period)
                            if closure.bookings else tr("Закрыто {period}: бронировать эти дни нельзя", period=closure.period))

    @rx.event
    def ask_open(self, closure_id: int):
        row = next((c for c in self.closures if c.id == parse_id(closure_id)), None)
        if row is not None:
            self.confirm_kind, self.confirm_closure, self.confirm_booking = "open", row.id, 0
            self.confirm_text = tr("Дни {period} снова можно будет бронировать.", period=row.period)

    @rx.event
    def ask_cancel(self, closure_id: int, booking_id: int):
        row = next((c for c in self.closures if c.id == parse_id(closure_id)), None)
        booking = next((b for b in row.bookings if b.id == parse_id(booking_id)), None) if row else None
        if booking is not None:
            self.confirm_kind, self.confirm_closure, self.confirm_booking = "cancel", row.id, booking.id
            self.confirm_text = (tr("{label}, {when}. Гость получит уведомление с причиной «{reason}»; {refund}.", label=booking.label, when=booking.when, reason=row.reason, refund=booking.refund))

    @rx.event
    def dismiss(self):
        self.confirm_kind = ""

    @rx.event
    async def confirm(self):
        kind, space_id = self.confirm_kind, self._id()
        closure_id, booking_id = self.confirm_closure, self.confirm_booking
        self.confirm_kind, self.busy = "", True
        yield
        try:
            if kind == "open":
                await self._refresh(lambda s, _fx, u: owner_spaces.do_delete_closure(s, u, space_id, closure_id),
                                    tr("Дни снова открыты для бронирования"))
            elif kind == "cancel":
                outcome = await self._refresh(lambda s, fx, u: bookings.do_cancel_for_closure(
                    s, fx, u, space_id, closure_id, booking_id)[1], "")
                if outcome.ok:
                    refund = outcome.value[0]
                    self.message = (tr("Бронь № {booking_id} отменена, гостю вернётся {format_money}", booking_id=booking_id, format_money=format_money(refund))
                                    if refund else tr("Бронь № {booking_id} отменена", booking_id=booking_id))
                    yield rx.toast.success(self.message)
        finally:
            self.busy = False


def _closure_row(closure: owner_editor.ClosureOut) -> ClosureRow:
    rows = []
    for b in closure.bookings:
        who = b.renter_name or b.renter_email or tr("гость")
        refund = (tr("гостю вернётся {format_money}", format_money=format_money(b.refund_if_cancelled_now, b.currency))
                  if b.refund_if_cancelled_now else tr("бронь не оплачена, возвращать нечего"))
        rows.append(ClosedBookingRow(
            id=b.id, label=f"№ {b.id} · {who} · {b.resource_name}", when=format_stay(b.start, b.end),
            refund=refund, can_cancel="cancel" in b.actions))
    return ClosureRow(closure.id, closure.period, closure.reason, rows)
