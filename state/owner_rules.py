"""The owner's booking rules for one space: approval, cancellation preset, VAT, add-ons.
Its own small state on the editor page; the services check ownership on every call."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import format_moment, format_money
from coworking_app.services.booking import bookings
from coworking_app.services.messaging import offers
from coworking_app.services.catalog import owner_spaces
from state.auth import invalid
from state.inputs import parse_id, parse_roubles
from state.page import PageState

ADDON_UNITS = {"booking": "за бронь", "hour": "в час", "seat": "за место"}


@dataclass
class AddonRow:
    code: str = ""
    label: str = ""


class BookingRulesState(PageState):
    space: int = 0
    instant_book: bool = True
    policy: str = "flexible"
    policy_terms: list[str] = []
    vat_percent: str = "0"
    vat_included: bool = True
    addons: list[AddonRow] = []
    message: str = ""
    error: str = ""

    def _id(self) -> int:
        return parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]) or 0

    async def _run(self, action=None, done: str = "") -> None:
        """`action(session, effects, user)` (if any), then the space's rules read again."""
        self.space = space_id = self._id()

        def work(session, effects, user):
            if action is not None:
                action(session, effects, user)
            space = owner_spaces.access_space_for_owner(session, user, space_id)
            return space, owner_spaces.list_addons(session, space.id)
        outcome = await self._act(work)
        self.message, self.error = (done, "") if outcome.ok else ("", outcome.message)
        if not outcome.ok:
            return
        space, addons = outcome.value
        self.instant_book, self.policy = space.instant_book, space.cancellation_policy
        self.vat_percent = f"{space.vat_rate_bp / 100:g}"
        self.vat_included = space.prices_include_vat
        self.addons = [AddonRow(a.code, f"{a.name} — {format_money(a.price_minor, space.currency)} "
                                        f"{ADDON_UNITS.get(a.unit, '')}") for a in addons]
        self.policy_terms = bookings.policy_terms(self.policy)

    @rx.event
    async def load(self):
        self.message = self.error = ""
        await self._run()

    @rx.event
    async def save(self, form: dict):
        vat_bp = parse_roubles(form.get("vat_percent", "0") or "0")  # percent x 100 = basis points
        if vat_bp is None:
            self.error = "НДС: укажите число процентов, например 22"
            return
        self.error = ""
        try:
            fields = owner_spaces.SpaceFields(instant_book=self.instant_book, cancellation_policy=self.policy,
                                              vat_rate_bp=vat_bp, prices_include_vat=self.vat_included)
        except ValidationError as exc:  # VAT out of range
            self.error = "НДС: от 0 до 50 %" if "vat" in str(exc) else invalid(exc)
            return
        space_id = self._id()
        await self._run(lambda s, fx, u: owner_spaces.do_update_space(s, fx, u, space_id, fields),
                        "Правила бронирования сохранены")

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
        elif name == "policy" and isinstance(value, str) and value in bookings.POLICIES:
            self.policy = str(value)
            self.policy_terms = bookings.policy_terms(self.policy)

    @rx.event
    async def add_addon(self, form: dict):
        price = parse_roubles(form.get("price", ""))
        try:
            if price is None:
                raise ValueError("price")
            fields = owner_spaces.AddonInput(
                code=str(form.get("code", "")).strip().lower(), name=str(form.get("name", "")),
                unit=str(form.get("unit", "booking")), price_minor=price)
        except ValueError as exc:
            self.error = ("Опция: код латиницей (a-z, 0-9, -), название и цена в рублях"
                          if "price" not in str(exc) else "Опция: цена в рублях, например 300")
            return

        space_id = self._id()
        await self._run(lambda s, _fx, u: owner_spaces.do_set_addon(s, u, space_id, fields), "Опция добавлена")

    @rx.event
    async def remove_addon(self, code: str):
        space_id, code = self._id(), str(code)[:32]
        await self._run(lambda s, _fx, u: owner_spaces.do_delete_addon(s, u, space_id, code), "Опция отключена")


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
            label = {"title": "Заголовок", "text": "Текст", "promo_code": "Промокод"}.get(self.error_field, "")
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
                yield rx.toast.success(f"Предложение отправлено, получателей: {done.value}")
        finally:
            self.sending = False
        await self._refresh()
