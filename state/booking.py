"""The booking panel on a space page: calendar, time pickers on the grid, seats, add-ons,
promo code, live price, cancellation terms, "Book and pay". Rules live in the services."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import RESOURCE_KIND_LABELS, format_money, on_account_of
from coworking_app.services.accounts import identity
from coworking_app.services.booking import availability, bookings
from coworking_app.services.catalog import owner_spaces
from coworking_app.services.finance import companies
from coworking_app.services.payments import payments
from coworking_app.services.plans import purchases
from coworking_app.services.common.errors import InvalidInput, ServiceError
from coworking_app.services.booking.pricing import AddonChoice
from coworking_app.services.catalog.spaces import find_bookable_space, list_resources
from coworking_app.settings import get_settings
from models import Resource, Space
from state.inputs import parse_id, parse_step
from state.page import PageState
from coworking_app.i18n import Labels, N_, tr

MONTHS = [N_("Январь"), N_("Февраль"), N_("Март"), N_("Апрель"), N_("Май"), N_("Июнь"), N_("Июль"), N_("Август"), N_("Сентябрь"),
          N_("Октябрь"), N_("Ноябрь"), N_("Декабрь")]


@dataclass
class ResourceOption:
    id: str = ""
    label: str = ""


@dataclass
class TimeOption:
    value: str = ""  # ISO 8601 with the space's offset: unambiguous on DST nights
    label: str = ""


@dataclass
class DayCell:
    iso: str = ""
    label: str = ""
    state: str = "blank"  # blank | free | full (open, no seats) | closed | past | selected


@dataclass
class AddonOption:
    code: str = ""
    label: str = ""
    checked: bool = False


@dataclass
class Line:
    label: str = ""
    amount: str = ""


def choice_url(space_id: int, resource_id: int | str, day: str, *, days: int = 0, start: str = "",
               end: str = "", seats: int = 1, whole: bool = False, addons: list[str] | None = None) -> str:
    """A choice of the booking panel as the space page's URL: what "Book" keeps through
    sign-in and what "Забронировать снова" offers after a hold ran out (the panel restores
    it on load, `BookingPanelState._restore`). `day` ISO; `days` for whole days, else the
    local times "10:00" / "13:00"."""
    query = {"resource": str(resource_id), "day": day}
    if days:
        query["days"] = str(days)
    elif start and end:
        query["from"], query["to"] = start, end
    if seats > 1 and not whole:
        query["seats"] = str(seats)
    if addons:
        query["addons"] = ",".join(addons)
    return f"/spaces/{space_id}?" + urlencode(query)


def _error_message(exc: ServiceError) -> tuple[str, str]:
    field = getattr(exc, "field", "") or ""
    return field, getattr(exc, "message", str(exc))


class BookingPanelState(PageState):
    space_id: int = 0
    timezone: str = "Europe/Moscow"
    resources: list[ResourceOption] = []
    resource_id: str = ""
    whole: bool = False
    day_mode_allowed: bool = False
    mode: str = "hours"  # hours | days
    capacity: int = 1
    month: str = ""  # YYYY-MM shown in the calendar
    month_label: str = ""
    cells: list[DayCell] = []
    day: str = ""
    days: int = 1
    starts: list[TimeOption] = []
    ends: list[TimeOption] = []
    start: str = ""
    end: str = ""
    seats: int = 1
    addons: list[AddonOption] = []
    promo: str = ""
    lines: list[Line] = []
    total: str = ""
    vat_note: str = ""
    free_note: str = ""
    full: bool = False  # the day has no free time: its open hours are offered for the waitlist
    show_taken: bool = False  # the person asked to see taken times too (to wait for one)
    policy_name: str = ""
    policy_terms: list[str] = []
    approval_note: str = ""
    error: str = ""
    error_field: str = ""
    promo_error: str = ""  # shown under the promo field; gone as soon as the code is edited
    promo_note: str = ""  # "Промокод … применён": the discount is in the lines
    hold_minutes: int = 15  # settings.booking_hold_seconds: how long "Book" keeps the seats unpaid
    _promo_user_id: int = 0  # who applied the code (server-side only)
    busy: bool = False
    # How "Book" pays: "card" (the provider's page) or a company's id ("на счёт компании");
    # the choice is offered to members of companies only.
    payers: list[ResourceOption] = []
    payer: str = "card"
    # The person's plans in this space (services/plans/): "" = none chosen, pay as usual.
    plan_options: list[ResourceOption] = []
    plan: str = ""
    plan_note: str = ""  # why the chosen plan does not pay for this choice
    by_plan: bool = False  # the plan pays all of it: "Book" books without a payment
    _plan_user_id: int = 0

    # --- loading ---------------------------------------------------------------------

    @rx.event
    def load(self):
        space_id = parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])
        self.error, self.error_field, self.lines, self.total = "", "", [], ""
        found = self._read(lambda s: _panel(s, space_id)) if space_id is not None else None
        if found is None or not found.ok or found.value is None:
            self.resources = []
            return None
        space, rows, addons = found.value
        self.space_id, self.timezone = space.id, space.timezone
        self.resources = [ResourceOption(str(r.id), f"{r.name} · {RESOURCE_KIND_LABELS.get(r.kind, r.kind)}")
                          for r in rows]
        self.addons = [AddonOption(a.code, f"{a.name} — {format_money(a.price_minor, space.currency)}"
                                   f"{_ADDON_UNITS.get(a.unit, '')}") for a in addons]
        self.policy_name = bookings.POLICY_NAMES[space.cancellation_policy]
        self.policy_terms = bookings.policy_terms(space.cancellation_policy)
        self.approval_note = ("" if space.instant_book else
                              tr("Бронь подтверждает владелец после оплаты; при отказе деньги вернутся полностью."))
        today = self._today()
        self.day, self.month, self.days, self.seats, self.promo, self.mode = today.isoformat(), today.strftime("%Y-%m"), 1, 1, "", "hours"
        self.promo_error, self.promo_note = "", ""
        self.hold_minutes = max(1, round(get_settings().booking_hold_seconds / 60))
        if self.resources:
            self.resource_id = self.resources[0].id
            self._refresh(keep_times=False)
            if self._restore(self.router.url.query_parameters):
                return rx.scroll_to("booking-panel")
            self._skip_to_free_day(today)
        return None

    @rx.event
    async def load_payers(self):
        """The person's companies, for paying on a company's account (nothing for strangers)."""
        self.payers = []
        if not (await self._auth()).signed_in:
            return
        done = await self._visit(lambda s, _fx, u: [(c.id, c.name) for c, _m in companies.my_companies(s, u)])
        if done.ok and done.value:
            self.payers = [ResourceOption("card", tr("Картой"))] + [
                ResourceOption(str(i), on_account_of(name)[:1].upper() + on_account_of(name)[1:])
                for i, name in done.value]
        if self.payer not in {p.id for p in self.payers}:
            self.payer = "card"

    @rx.event
    async def load_plans(self):
        """The person's running plans in this space (the first is chosen: that is what they
        are for); nothing for strangers."""
        self.plan_options, self.plan, self._plan_user_id = [], "", 0
        if not (await self._auth()).signed_in or not self.space_id:
            return
        space_id = self.space_id
        done = await self._visit(lambda s, _fx, u: (u.id if u else 0, purchases.plan_choices(s, u, space_id)))
        if not done.ok or not done.value[1]:
            return
        self._plan_user_id = done.value[0]
        self.plan_options = [ResourceOption(str(i), label) for i, label in done.value[1]] + [
            ResourceOption("none", tr("Без абонемента, по обычной цене"))]
        self.plan = self.plan_options[0].id
        self._refresh()

    @rx.event
    def set_plan(self, value: str):
        if value in {p.id for p in self.plan_options}:
            self.plan = value
            self._refresh()

    @rx.event
    def set_payer(self, value: str):
        if value in {p.id for p in self.payers}:
            self.payer = value
            if self.error_field == "company_id":
                self.error, self.error_field = "", ""

    # --- the choice in the URL (kept through sign-in and sign-up) ----------------------

    def choice_url(self) -> str:
        """The current choice as the space page's URL (see `_restore`)."""
        labels = {o.value: o.label for o in self.starts}
        ends = {o.value: o.label for o in self.ends}
        hourly = self.mode != "days" and self.start in labels and self.end in ends
        return choice_url(
            self.space_id, self.resource_id, self.day, days=self.days if self.mode == "days" else 0,
            start=labels[self.start] if hourly else "", end=ends[self.end] if hourly else "",
            seats=self.seats, whole=self.whole, addons=[a.code for a in self.addons if a.checked])

    def _restore(self, query: dict[str, str]) -> bool:
        """The choice from the URL (after sign-in, or a shared link). Each value is checked
        against what can be booked now; a bad or stale one is left at its default, silently."""
        if not query.get("day"):
            return False
        if query.get("resource") in {r.id for r in self.resources}:
            self.resource_id = query["resource"]
            self._refresh(keep_times=False)
        try:
            day = date.fromisoformat(str(query.get("day", ""))[:10])
        except ValueError:
            return False
        today = self._today()
        if not today <= day <= today + timedelta(days=366):
            return False
        self.day, self.month = day.isoformat(), day.strftime("%Y-%m")
        if query.get("days") and self.day_mode_allowed:
            self.mode, self.days = "days", _int_in(query["days"], 1, 62, 1)
        if not self.whole:
            self.seats = _int_in(query.get("seats", "1"), 1, self.capacity, 1)
        codes = set(str(query.get("addons", "")).split(","))
        self.addons = [AddonOption(a.code, a.label, a.code in codes) for a in self.addons]
        self._refresh(keep_times=False)
        if self.mode == "hours":
            start = next((o.value for o in self.starts if o.label == query.get("from")), "")
            if not start and query.get("from"):  # a taken time (a link to wait for it): offered too
                self.show_taken = True
                self._refresh(keep_times=False)
                start = next((o.value for o in self.starts if o.label == query.get("from")), "")
            if start:
                self.start = start
                self._refresh(keep_times=True)
                end = next((o.value for o in self.ends if o.label == query.get("to")), "")
                if end:
                    self.end = end
                    self._refresh(keep_times=True)
        return True

    def _skip_to_free_day(self, today: date) -> None:
        """Late in the evening (or on a full day) today has no start left: open the panel on
        the next day, within two weeks, that has one."""
        for ahead in range(1, 15):
            if (self.starts and not self.full) or self.mode != "hours":
                return
            day = today + timedelta(days=ahead)
            self.day, self.month = day.isoformat(), day.strftime("%Y-%m")
            self._refresh(keep_times=False)
        if not self.starts or self.full:  # nothing free soon: show today, with its message
            self.day, self.month = today.isoformat(), today.strftime("%Y-%m")
            self._refresh(keep_times=False)

    def _today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()

    def _resource(self, session) -> tuple[Space, Resource] | None:
        resource_id = parse_id(self.resource_id)
        if resource_id is None:
            return None
        return availability.resource_of_space(session, self.space_id, resource_id)

    def _refresh(self, *, keep_times: bool = True) -> None:
        """Calendar, time options and price for the current choices."""
        self._read(lambda session: self._refresh_in(session, keep_times))

    def _refresh_in(self, session, keep_times: bool) -> None:
        found = self._resource(session)
        if found is None:
            return
        space, resource = found
        self.whole = availability.is_whole(resource)
        self.capacity = resource.capacity
        self.day_mode_allowed = resource.kind in availability.DAY_BOOKABLE_KINDS
        if not self.day_mode_allowed:
            self.mode = "hours"
        self.seats = resource.capacity if self.whole else max(1, min(self.seats, resource.capacity))
        self._calendar(session, space, resource)
        self._times(session, space, resource, keep_times)
        self._quote(session)

    def _calendar(self, session, space: Space, resource: Resource) -> None:
        year, month = (int(p) for p in self.month.split("-"))
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        free = set(availability.month_free_days(session, space, resource, first, last,
                                                seats=self.seats))
        # Open but taken: chosen to join the waitlist. Closed days cannot be chosen.
        open_days = {w[0] for w in availability.open_windows(session, space, first, last)}
        today = self._today()
        cells = [DayCell() for _ in range(first.weekday())]
        for n in range(1, last.day + 1):
            d = date(year, month, n)
            state = ("selected" if d.isoformat() == self.day else
                     "past" if d < today else "free" if d in free else "full" if d in open_days else "closed")
            cells.append(DayCell(d.isoformat(), str(n), state))
        self.cells = cells
        self.month_label = f"{tr(MONTHS[month - 1])} {year}"

    def _times(self, session, space: Space, resource: Resource, keep: bool) -> None:
        if self.mode == "days":
            self.starts, self.ends = [], []
            return
        day = date.fromisoformat(self.day)
        slots = availability.day_slots(session, space, [resource], day)[0].slots
        # Only starts that some end fits (the minimum duration before closing time): at
        # 20:30 in a space closing at 21:00 an hour's booking has no end left.
        needed = self.seats
        ok = [s for s in availability.start_choices(slots, needed)
              if availability.end_choices(slots, resource, s.start, needed)]
        # A day with no free time, or taken times asked for: the hours as the space is open,
        # for the waitlist (the quote then says there are no seats, and the panel offers to
        # wait for them).
        self.full = not ok
        if self.full or self.show_taken:
            needed = 0
            ok = [s for s in availability.start_choices(slots, 0) if availability.end_choices(slots, resource, s.start, 0)]
        self.starts = [TimeOption(s.start.isoformat(), s.start.strftime("%H:%M")) for s in ok]
        if not keep or self.start not in {o.value for o in self.starts}:
            self.start = self.starts[0].value if self.starts else ""
        ends = [TimeOption(end.isoformat(), end.strftime("%H:%M")) for end in
                availability.end_choices(slots, resource, datetime.fromisoformat(self.start),
                                         needed)] if self.start else []
        self.ends = ends
        if not keep or self.end not in {o.value for o in ends}:
            self.end = ends[min(len(ends) - 1, 1)].value if ends else ""

    def _request(self) -> bookings.BookingRequest | None:
        if self.mode == "days":
            zone = ZoneInfo(self.timezone)
            first = date.fromisoformat(self.day)
            start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
            end = datetime.combine(first + timedelta(days=self.days), datetime.min.time(), tzinfo=zone)
        else:
            if not self.start or not self.end:
                return None
            start, end = datetime.fromisoformat(self.start), datetime.fromisoformat(self.end)
        return bookings.BookingRequest(
            resource_id=parse_id(self.resource_id) or 0, start=start, end=end, seats=self.seats,
            addons=[AddonChoice(code=a.code, quantity=1) for a in self.addons if a.checked],
            promo_code=self.promo.strip() or None, plan_id=parse_id(self.plan) if self.plan != "none" else None)

    def _quote(self, session, user=None) -> None:
        self.error, self.error_field, self.lines, self.total, self.vat_note, self.free_note = "", "", [], "", "", ""
        self.promo_note, self.plan_note, self.by_plan = "", "", False
        if user is None and self._promo_user_id and self.promo.strip():
            # A code applied while signed in keeps counting when the dates or seats change
            # ("Book" checks the person and the code again).
            user = identity.find_user(session, self._promo_user_id)
        if user is None and self._plan_user_id and self.plan not in ("", "none"):
            user = identity.find_user(session, self._plan_user_id)  # "Book" checks the person again
        request = self._request()
        if request is None:
            self.error = tr("На этот день свободного времени нет — выберите другой день")
            return
        try:
            q = bookings.quote_booking(session, user, request)
        except InvalidInput as exc:
            if exc.field != "promo_code":
                self.error_field, self.error = _error_message(exc)
                return
            # The price without the code, and what is wrong with the code under its field.
            self.promo_error = _sentence(exc.message)
            try:
                q = bookings.quote_booking(session, user, request.model_copy(update={"promo_code": None}))
            except ServiceError as again:
                self.error_field, self.error = _error_message(again)
                return
        except ServiceError as exc:
            self.error_field, self.error = _error_message(exc)
            return
        p = q.price
        self.plan_note = tr("Абонемент не подходит: {plan_note}", plan_note=p.plan_note) if p.plan_note else ""
        self.by_plan = bool(p.plan_covered) and p.total == 0
        self.promo_note = (tr("Промокод {promo_code} применён: скидка {format_money}", promo_code=p.promo_code, format_money=format_money(p.discount, p.currency))
                           if p.promo_code and p.discount else "")
        self.lines = [Line(l.label, format_money(l.amount, p.currency)) for l in p.lines]
        self.total = format_money(p.total, p.currency)
        if p.vat_rate_bp:
            self.vat_note = (tr("в т.ч. НДС {value:g} %: ", value=p.vat_rate_bp / 100) if p.vat_included
                             else tr("НДС {value:g} % включён в итог: ", value=p.vat_rate_bp / 100)) + format_money(p.vat, p.currency)
        short = q.shortage()
        if short is not None:
            self.error_field, self.error = short.field, short.message
        elif not self.whole:
            self.free_note = tr("Свободно мест на это время: {free_seats} из {capacity}", free_seats=q.free_seats, capacity=self.capacity)

    # --- choices ---------------------------------------------------------------------

    @rx.event
    def choose_resource(self, value: str):
        if parse_id(value) is not None:
            self.resource_id = str(value)
            self._refresh(keep_times=False)

    @rx.event
    def set_mode(self, value: str | list[str]):
        self.mode = "days" if value == "days" and self.day_mode_allowed else "hours"
        self._refresh(keep_times=False)

    @rx.event
    def choose_day(self, iso: str):
        try:
            chosen = date.fromisoformat(str(iso))
        except ValueError:
            return
        if chosen < self._today():
            return
        self.day = chosen.isoformat()
        self._refresh(keep_times=True)

    @rx.event
    def shift_month(self, delta: int):
        year, month = (int(p) for p in self.month.split("-"))
        step = parse_step(delta)
        if not step:
            return
        month += step
        year, month = (year + (month - 1) // 12, (month - 1) % 12 + 1)
        today = self._today()
        if (year, month) < (today.year, today.month):
            return
        self.month = f"{year:04d}-{month:02d}"
        self._refresh()

    @rx.event
    def toggle_taken(self):
        """"Показать занятое время": every open hour, to join the waitlist for a taken one."""
        self.show_taken = not self.show_taken
        self._refresh(keep_times=True)

    @rx.event
    def set_start(self, value: str):
        if _is_time(value):
            self.start = value
            self._refresh()

    @rx.event
    def set_end(self, value: str):
        if _is_time(value):
            self.end = value
            self._refresh()

    @rx.event
    def change_seats(self, delta: int):
        if not self.whole:
            self.seats = max(1, min(self.capacity, self.seats + parse_step(delta)))
            self._refresh()

    @rx.event
    def change_days(self, delta: int):
        self.days = max(1, min(62, self.days + parse_step(delta)))
        self._refresh()

    @rx.event
    def toggle_addon(self, code: str, checked: bool):
        self.addons = [AddonOption(a.code, a.label, checked is True if a.code == code else a.checked)
                       for a in self.addons]
        self._refresh()

    @rx.event
    def set_promo(self, value: str):
        self.promo = str(value)[:32]
        self.promo_error = ""  # the old code's message no longer applies
        if not self.promo.strip():
            self._refresh()  # the price without any code again

    @rx.event
    async def promo_key(self, key: str):
        """Enter in the promo field applies the code, as the button does."""
        if key == "Enter":
            await self._apply_promo()

    @rx.event
    async def apply_promo(self):
        await self._apply_promo()

    async def _apply_promo(self) -> None:
        def work(session, _effects, user):
            self.promo_error, self._promo_user_id = "", user.id if user else 0
            self._quote(session, user)
        await self._visit(work)

    # --- booking -----------------------------------------------------------------------

    @rx.event
    async def book(self):
        sign_in = rx.redirect("/login?next=" + quote(self.choice_url(), safe=""))
        if not (await self._auth()).signed_in:
            # Sign-in (or sign-up from there) comes back to this page with the same choice.
            yield sign_in
            return
        try:
            request = self._request()
        except ValidationError:
            self.error = tr("Проверьте дату, время и число мест")
            return
        if request is None:
            self.error = tr("Выберите время")
            return
        self.busy = True
        yield
        company_id = parse_id(self.payer) if self.payer != "card" else None

        def work(session, effects, user):
            if user is None:
                return sign_in
            booking = bookings.do_create_booking(session, effects, user, request)
            if booking.status != "pending_payment":
                return rx.redirect("/cabinet/bookings")
            if company_id is not None:
                # Refused (a limit, an overdue invoice): nothing is booked, the card remains.
                companies.do_pay_on_account(session, effects, user, booking.id, company_id)
                return rx.redirect(f"/cabinet/bookings?paid={booking.id}&on_account=1")
            return rx.redirect(payments.do_start_payment(session, user, booking.id).payment_url)
        try:
            done = await self._visit(work)  # a session that ended meanwhile: sign-in, same choice
            if done.ok:
                yield done.value
            elif done.field == "promo_code":
                self.promo_error = _sentence(done.message)
            else:
                self.error_field, self.error = done.field, done.message
                # (taken meanwhile, gone, refused by the provider: the times as they are now)
                self._read(self._times_again)
        finally:
            self.busy = False

    def _times_again(self, session) -> None:
        found = self._resource(session)
        if found:
            self._times(session, *found, keep=True)


def _sentence(message: str) -> str:
    """A service's refusal ("такого промокода нет") as a sentence under a field."""
    return message[:1].upper() + message[1:]


def _int_in(value: object, low: int, high: int, default: int) -> int:
    """A whole number from a URL within [low, high]; the default for anything else."""
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        return default
    number = int(text)
    return number if low <= number <= high else default


def _is_time(value: object) -> bool:
    """A slot value: an ISO 8601 time with an offset, as the pickers send."""
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


_ADDON_UNITS = Labels({"booking": "", "hour": N_(" в час"), "seat": N_(" за место")})


def _panel(session, space_id: int) -> tuple[Space, list[Resource], list] | None:
    """The space (public and owned: services.catalog.spaces), its resources and add-ons."""
    space = find_bookable_space(session, space_id)
    if space is None:
        return None
    return space, list_resources(session, space.id), owner_spaces.list_addons(session, space.id)
