"""Bookings after the panel: the test provider's payment page, the renter's "My bookings"
and the owner's "Bookings". Every handler re-checks the session and goes through services."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import RESOURCE_KIND_LABELS, format_money, format_stay, on_account_of, zone_name
from coworking_app.services.booking import bookings, waitlist
from coworking_app.services.booking.availability import WHOLE_KINDS
from coworking_app.services.payments import checkout, documents, payments
from coworking_app.services.catalog import owner_spaces
from coworking_app.services.finance import companies
from coworking_app.services.reviews import reviews
from coworking_app.services.catalog.spaces import list_resources
from coworking_app.settings import get_settings
from state.booking import choice_url
from state.inputs import parse_id
from state.page import Outcome, PageState
from coworking_app.i18n import Labels, N_, tr

REVIEW_LABELS = Labels({"pending": N_("Отзыв на модерации"), "approved": N_("Отзыв опубликован"),
                 "rejected": N_("Отзыв отклонён модератором")})
BADGE_COLORS = {"pending_payment": "amber", "paid": "blue", "confirmed": "green",
                "cancelled": "gray", "expired": "gray", "completed": "teal", "no_show": "red"}


@dataclass
class Option:
    value: str = ""
    label: str = ""


@dataclass
class BookingCard:
    id: int = 0
    space: str = ""
    space_href: str = ""
    resource: str = ""
    when: str = ""
    seats: str = ""
    status: str = ""
    status_label: str = ""
    color: str = "gray"
    total: str = ""
    note: str = ""
    renter: str = ""
    refund_now: str = ""
    can_pay: bool = False
    can_cancel: bool = False
    can_modify: bool = False
    can_accept: bool = False
    can_no_show: bool = False
    can_message: bool = False
    has_receipt: bool = False
    credit_notes: list[str] = dataclass_field(default_factory=list)  # refund ids
    can_review: bool = False
    review_id: int = 0  # the renter's review while it can still be edited (48 h)
    review_label: str = ""  # the status of the renter's review of this booking
    start_local: str = ""  # YYYY-MM-DDTHH:MM for the modify form
    end_local: str = ""
    whole: bool = False  # booked whole (meeting rooms, offices): the seats are not chosen
    on_account: str = ""  # "на счёт компании «Ромашка»": paid by the company's account
    penalties: list[str] = dataclass_field(default_factory=list)  # "Штраф за неявку: 600 ₽"
    can_check_in: bool = False  # the guest's QR code for the door (services/booking/checkin.py)
    series_href: str = ""  # an occurrence of a series: its card ("/cabinet/bookings?series=12")


def _when(view: bookings.BookingView) -> str:
    """The stay in the space's time ("15.12.2025 – 16.12.2025 (2 дня)" for whole days)."""
    return f"{format_stay(view.start, view.end)} ({zone_name(view.start)})"


def _penalty(p: dict, currency: str) -> str:
    kept = f"{p['label']}: {format_money(p['amount'], currency)}"
    return kept if p["status"] == "charged" else f"{kept} — {p['status_label'].lower()}"


def card(view: bookings.BookingView, company_names: dict[int, str] | None = None) -> BookingCard:
    note = ""
    if view.status == "pending_payment" and view.expires_at:
        note = tr("Оплатите до {expires_at:%H:%M}, иначе бронь снимется", expires_at=view.expires_at)
    elif view.balance_due and view.pending_change:
        change = view.pending_change
        note = (tr("Изменение на {start:%d.%m %H:%M}–{end:%H:%M}, мест: {seats} применится после доплаты {format_money}", start=change['start'], end=change['end'], seats=change['seats'], format_money=format_money(view.balance_due, view.currency)))
    elif view.refunded:
        note = tr("Возвращено: {format_money}", format_money=format_money(view.refunded, view.currency))
    if view.checked_in_at is not None:
        note = (note + " · " if note else "") + tr("Приход отмечен: {checked_in_at:%d.%m %H:%M}", checked_in_at=view.checked_in_at)
    if view.cancel_reason and view.status == "cancelled":
        note = (note + " · " if note else "") + tr("Причина: {cancel_reason}", cancel_reason=view.cancel_reason)
    return BookingCard(
        id=view.id, space=view.space_name, space_href=f"/spaces/{view.space_id}",
        resource=f"{view.resource_name} · {RESOURCE_KIND_LABELS.get(view.resource_type, '')}",
        when=_when(view), seats=tr("мест: {seats}", seats=view.seats), status=view.status,
        status_label=view.status_label, color=BADGE_COLORS.get(view.status, "gray"),
        total=format_money(view.total, view.currency), note=note,
        renter=f"{view.renter_name} · {view.renter_email}" if view.renter_name else "",
        refund_now=format_money(view.refund_if_cancelled_now, view.currency),
        can_pay="pay" in view.actions, can_cancel="cancel" in view.actions,
        can_modify="modify" in view.actions, can_accept="accept" in view.actions,
        can_no_show="no_show" in view.actions, has_receipt="receipt" in view.actions,
        can_message="message" in view.actions, can_review="review" in view.actions,
        can_check_in="check_in" in view.actions,
        credit_notes=[str(d) for d in view.credit_notes],
        start_local=f"{view.start:%Y-%m-%dT%H:%M}", end_local=f"{view.end:%Y-%m-%dT%H:%M}",
        whole=view.resource_type in WHOLE_KINDS,
        on_account=on_account_of((company_names or {}).get(view.company_id)) if view.company_id else "",
        penalties=[_penalty(p, view.currency) for p in view.penalties],
        series_href=f"/cabinet/bookings?series={view.series_id}" if view.series_id else "",
    )


@dataclass
class PriceLineView:
    label: str = ""
    amount: str = ""


@dataclass
class ChangePreview:
    """The modify dialog's preview of a change (bookings.ChangeQuote in words)."""

    ready: bool = False
    lines: list[PriceLineView] = dataclass_field(default_factory=list)
    total: str = ""  # the new price
    old_total: str = ""
    difference: str = ""  # "+600 ₽", "−300 ₽", "0 ₽"
    money: str = ""  # what happens to the money, a sentence
    tone: str = "gray"  # amber: to pay; green: money back; gray: no change
    approval: str = ""  # the owner confirms again
    error: str = ""  # why this change cannot be made (the price may still show)


def change_preview(q: bookings.ChangeQuote) -> ChangePreview:
    money = q.currency
    diff = q.difference
    sign = "+" if diff > 0 else "−" if diff < 0 else ""
    if q.unpaid:
        sentence, tone = tr("Бронь ещё не оплачена: после изменения к оплате будет {format_money}.", format_money=format_money(q.price.total, money)), "amber"
    elif q.to_pay:
        sentence, tone = (tr("К доплате: {format_money}. Изменение вступит в силу после оплаты — кнопка «Оплатить» в карточке брони.", format_money=format_money(q.to_pay, money)), "amber")
    elif diff < 0 and q.refund:
        share = tr("вся разница") if q.refund_percent == 100 else tr("{refund_percent} % разницы по условиям отмены", refund_percent=q.refund_percent)
        sentence, tone = tr("Вернём: {format_money} ({share}).", format_money=format_money(q.refund, money), share=share), "green"
    elif diff < 0:
        sentence, tone = (tr("Новая цена ниже, но по условиям отмены сейчас разница не возвращается."), "gray")
    else:
        sentence, tone = tr("Цена не меняется."), "gray"
    short = q.shortage()
    return ChangePreview(
        ready=True,
        lines=[PriceLineView(line.label, format_money(line.amount, q.price.currency)) for line in q.price.lines],
        total=format_money(q.price.total, money), old_total=format_money(q.old_total, money),
        difference=sign + format_money(abs(diff), money), money=sentence, tone=tone,
        approval=tr("После изменения бронь снова подтвердит владелец пространства.") if q.needs_approval else "",
        error=short.message if short is not None else "")


def my_companies(session, user) -> list[Option]:
    """The companies the person may book on the account of (value: the id, label: the name)."""
    return [Option(str(c.id), c.name) for c, _m in companies.my_companies(session, user)]


def _change_in_zone(session, user, booking_id: int, start: datetime, end: datetime,
                    seats: int | None) -> bookings.BookingChange:
    """The dialog's local times in the booking's zone (the space's), as a change."""
    booking, _role = bookings.access_booking(session, user, booking_id)
    zone = ZoneInfo(booking.timezone)  # the form shows the space's local time
    # (A ValidationError, a year out of range or 0 seats, is a refusal like any other.)
    return bookings.BookingChange(start=start.replace(tzinfo=zone), end=end.replace(tzinfo=zone), seats=seats)


class CheckoutState(PageState):
    """/checkout/<payment id> (the test provider's payment page): what is paid for line by
    line, the hold's countdown (services.payments.checkout), "Оплатить" / "Отклонить"; when
    the hold runs out, the page says so and offers the same choice again."""

    found: bool = False
    amount: str = ""
    title: str = ""
    space: str = ""
    resource: str = ""
    when: str = ""
    seats: str = ""
    status: str = ""  # of the payment: pending, succeeded, failed
    purpose: str = "booking"  # or "change": the balance of a dearer change
    lines: list[PriceLineView] = []
    total: str = ""
    vat_note: str = ""
    paid_before: str = ""  # a change: what the booking has cost so far
    policy_name: str = ""
    holding: bool = False  # an unpaid hold is counting down
    seconds_left: int = 0
    run: int = 0  # restarts the countdown (pages/components.countdown)
    expires_label: str = ""  # "до 14:35 (МСК)"
    lapsed: bool = False  # the hold ran out: nothing to pay here any more
    booking_status: str = ""
    rebook_href: str = ""  # the space page with the same choice
    busy: bool = False
    message: str = ""
    # "Оплатить на счёт компании": the person's companies (none: only the card)
    booking_id: int = 0
    companies: list[Option] = []
    account_company: str = ""

    def _payment_id(self) -> int:
        return parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]) or 0

    def _show(self, view: checkout.CheckoutView) -> None:
        b, price = view.booking, view.price
        money = view.currency
        self.amount = format_money(view.amount, money)
        self.space, self.resource = b.space_name, f"{b.resource_name} · {RESOURCE_KIND_LABELS.get(b.resource_type, '')}"
        self.title = f"{b.space_name}: {b.resource_name}, {_when(b)}"
        self.when, self.seats = _when(b), tr("мест: {seats}", seats=b.seats)
        self.status, self.purpose, self.booking_status = view.status, view.purpose, b.status
        self.lines = [PriceLineView(line.label, format_money(line.amount, price.currency)) for line in price.lines]
        self.total = format_money(price.total, price.currency)
        self.vat_note = (tr("в т.ч. НДС {value:g} %: {format_money}", value=price.vat_rate_bp / 100, format_money=format_money(price.vat, price.currency))
                         if price.vat_rate_bp and price.vat_included and price.vat else "")
        self.paid_before = format_money(view.paid_before, money) if view.purpose == "change" else ""
        self.policy_name = bookings.POLICY_NAMES.get(b.policy, "")
        self.holding = view.expires_at is not None and not view.lapsed
        self.seconds_left, self.run = view.seconds_left, self.run + 1
        self.expires_label = (tr("до {expires_at:%H:%M} ({zone_name})", expires_at=view.expires_at, zone_name=zone_name(view.expires_at))
                              if view.expires_at is not None else "")
        self.lapsed = view.lapsed
        self.booking_id = b.id
        start, end = b.start, b.end
        self.rebook_href = choice_url(
            b.space_id, b.resource_id, start.date().isoformat(),
            days=(end.date() - start.date()).days if view.day_based else 0,
            start=f"{start:%H:%M}", end=f"{end:%H:%M}", seats=b.seats,
            whole=b.resource_type in WHOLE_KINDS, addons=[a["code"] for a in b.addons])

    @rx.event
    async def load(self):
        payment_id = self._payment_id()
        self.found, self.message = False, ""
        done = await self._act(lambda s, _fx, u: (checkout.checkout_view(s, u, payment_id), my_companies(s, u)))
        if not done.ok or done.value[0].provider != "test":
            return
        view, mine = done.value
        self._show(view)
        self.companies = mine
        if self.account_company not in {o.value for o in mine}:
            self.account_company = mine[0].value if mine else ""
        self.found = True

    @rx.event
    async def hold_ran_out(self):
        """The countdown reached zero: the server's clock decides (an early call restarts
        the countdown with the time really left)."""
        payment_id = self._payment_id()
        done = await self._act(lambda s, fx, u: checkout.do_release_lapsed_hold(s, fx, u, payment_id))
        if done.ok:
            self._show(done.value)

    @rx.event
    async def complete(self, outcome: str):
        payment_id = self._payment_id()
        if self.lapsed or outcome not in ("succeeded", "declined"):
            return
        self.busy = True
        yield
        done = await self._act(lambda s, fx, u: checkout.do_complete_test_payment(
            s, fx, u, payment_id, str(outcome)).booking_id)
        self.busy = False
        if not done.ok:
            self.message = done.message
        elif outcome == "succeeded":
            yield rx.redirect(f"/cabinet/bookings?paid={done.value}")
        else:
            self.status, self.message = "failed", tr("Платёж отклонён. Можно попробовать ещё раз из кабинета, пока бронь держится.")

    @rx.var
    def account_label(self) -> str:
        """"на счёт компании «Ромашка»": the company chosen."""
        return on_account_of(next((o.label for o in self.companies if o.value == self.account_company), ""))

    @rx.event
    def choose_company(self, value: str):
        if value in {o.value for o in self.companies}:
            self.account_company = value
            self.message = ""

    @rx.event
    async def pay_on_account(self):
        """"Оплатить на счёт компании": no card; the company's weekly invoice pays it."""
        booking_id, company_id = self.booking_id, parse_id(self.account_company)
        if self.lapsed or not booking_id or company_id is None:
            return
        self.busy, self.message = True, ""
        yield
        done = await self._act(lambda s, fx, u: companies.do_pay_on_account(s, fx, u, booking_id, company_id).id)
        self.busy = False
        if not done.ok:
            self.message = done.message
            return
        yield rx.redirect(f"/cabinet/bookings?paid={done.value}&on_account=1")


class MyBookingsState(PageState):
    tab: str = "upcoming"
    cards: list[BookingCard] = []
    loading: bool = True
    message: str = ""
    error: str = ""
    feed_url: str = ""
    # cancel / modify dialogs (the owner's page adds reject and no_show)
    dialog: str = ""  # "" | cancel | modify | reject | no_show
    target: BookingCard = BookingCard()
    reason: str = ""
    # the modify dialog: the new time in the space's zone (ISO day, "HH:MM"), and its preview
    new_day: str = ""
    new_from: str = ""
    new_end_day: str = ""
    new_to: str = ""
    new_seats: str = ""
    preview: ChangePreview = ChangePreview()
    busy: bool = False
    # "На счёт компании": the person's companies and the one chosen in the dialog
    companies: list[Option] = []
    account_company: str = ""

    @rx.event
    async def load(self):
        self.loading, self.dialog, self.error = True, "", ""
        query = self.router.url.query_parameters
        paid = parse_id(query.get("paid", "")) if not query.get("series") else None  # a series' card says it
        self.message = ("" if not paid else
                        tr("Бронь № {paid} оплачена на счёт компании — картой платить не нужно.", paid=paid)
                        if query.get("on_account") else tr("Оплата прошла, бронь оформлена."))
        await self._reload()
        self.loading = False

    async def _reload(self) -> None:
        tab = self.tab

        def work(session, _effects, user):
            rows = bookings.list_bookings(session, user, bookings.BookingFilter(tab=tab))
            views = bookings.booking_views(session, rows, user)
            written = reviews.review_statuses(session, user, [v.id for v in views])
            return views, written, documents.calendar_feed_path(user), my_companies(session, user)
        done = await self._act(work)
        if not done.ok:
            self.cards, self.error = [], done.message
            return
        views, written, feed_path, mine = done.value
        self.companies = mine
        names = {int(o.value): o.label for o in mine}
        cards = [card(v, names) for v in views]
        for c in cards:
            review_id, status, editable = written.get(c.id, (0, "", False))
            c.review_label = REVIEW_LABELS.get(status, "")
            c.review_id = review_id if editable else 0
        self.cards, self.feed_url = cards, get_settings().base_url + feed_path

    @rx.event
    async def refresh(self):
        """A notice about a booking arrived (state/notifications.py): show its new state."""
        if not self.loading:
            await self._reload()

    @rx.event
    async def set_tab(self, value: str):
        self.tab = value if value in ("upcoming", "past", "cancelled") else "upcoming"
        await self._reload()

    @rx.event
    def open_dialog(self, kind: str, booking: dict):
        """Opens cancel/modify for one of the cards this page shows (the client sends the
        card, but only its id is used, looked up among the cards the server gave it)."""
        booking_id = parse_id(booking.get("id")) if isinstance(booking, dict) else None
        target = next((c for c in self.cards if c.id == booking_id), None)
        # (One handler for both pages: OwnerBookingsState's events for it run here, on the
        # vars it shares with this state. The writes check who may do what.)
        if target is None or kind not in ("cancel", "modify", "reject", "no_show", "account"):
            return
        if kind == "account" and self.account_company not in {o.value for o in self.companies}:
            self.account_company = self.companies[0].value if self.companies else ""
        self.target, self.dialog = target, kind
        self.error, self.reason, self.preview = "", "", ChangePreview()
        self.new_day, self.new_from = target.start_local[:10], target.start_local[11:16]
        self.new_end_day, self.new_to = target.end_local[:10], target.end_local[11:16]
        self.new_seats = target.seats.removeprefix(tr("мест: "))
        return MyBookingsState.preview_change if kind == "modify" else None

    @rx.event
    def close_dialog(self):
        self.dialog = ""

    @rx.event
    def dialog_open_changed(self, open_: bool):
        """Escape or a click outside closes a dialog on the page: the state follows."""
        if not open_:
            self.dialog = ""

    @rx.event
    async def set_field(self, name: str, value: str):
        if name in ("reason", "new_day", "new_from", "new_end_day", "new_to", "new_seats"):
            value = str(value)[:500]
            if name == "new_day" and self.new_end_day == self.new_day and value:
                self.new_end_day = value  # a one-day booking moves as a whole
            setattr(self, name, value)
            self.error = ""  # the complaint was about what is being changed now
            if name != "reason" and self.dialog == "modify":
                await self._preview()

    def _new_change(self) -> tuple[datetime, datetime, int | None] | str:
        """The dialog's new time (local, naive: the space's zone is the booking's) and
        seats, or what is wrong with them."""
        try:
            start = datetime.fromisoformat(f"{self.new_day}T{self.new_from}")
            end = datetime.fromisoformat(f"{self.new_end_day}T{self.new_to}")
        except ValueError:
            return tr("Укажите дату (дд.мм.гггг) и время начала и конца")
        seats_text = self.new_seats.strip()
        if seats_text and not (seats_text.isascii() and seats_text.isdigit() and len(seats_text) <= 5):
            return tr("Число мест — целое число от 1")
        return start, end, int(seats_text) if seats_text and not self.target.whole else None

    async def _preview(self) -> None:
        """The new price and what happens to the money, before "Сохранить"
        (bookings.quote_change: the same computation the change itself makes)."""
        booking_id, form = self.target.id, self._new_change()
        if isinstance(form, str):
            self.preview = ChangePreview(error=form)
            return
        start, end, seats = form
        done = await self._act(lambda s, _fx, u: bookings.quote_change(
            s, u, booking_id, _change_in_zone(s, u, booking_id, start, end, seats)))
        self.preview = change_preview(done.value) if done.ok else ChangePreview(error=done.message)

    @rx.event
    async def preview_change(self):
        await self._preview()

    async def _change(self, work) -> Outcome:
        """A change from a dialog or a card's button: a refusal is shown in self.error."""
        done = await self._act(work)
        self.error = done.message
        return done

    @rx.event
    async def confirm_cancel(self):
        booking_id = self.target.id
        self.busy = True
        yield
        reason = self.reason
        done = await self._change(
            lambda s, fx, u: bookings.do_cancel_booking(s, fx, u, booking_id, reason=reason))
        if done.ok:
            refund = done.value[1]
            self.message = (tr("Бронь № {booking_id} отменена. Возврат: {format_money}", booking_id=booking_id, format_money=format_money(refund)) if refund
                            else tr("Бронь № {booking_id} отменена.", booking_id=booking_id))
            self.dialog = ""
            yield rx.toast.success(self.message)
            await self._reload()
        self.busy = False

    @rx.event
    async def confirm_modify(self):
        booking_id, form = self.target.id, self._new_change()
        if isinstance(form, str):
            self.error = form
            return
        start, end, seats = form
        self.busy = True
        yield
        done = await self._change(lambda s, fx, u: bookings.do_modify_booking(
            s, fx, u, booking_id, _change_in_zone(s, u, booking_id, start, end, seats)))
        if done.ok:
            result = done.value
            difference = result[1]
            self.message = (tr("Изменение применится после доплаты {format_money} — кнопка «Оплатить»", format_money=format_money(difference))
                            if difference > 0 and result[0].pending_change
                            else tr("Бронь изменена, оплатите новую сумму") if difference > 0
                            else tr("Бронь изменена") + (tr(", часть суммы вернётся по условиям отмены")
                                                     if difference < 0 else ""))
            self.dialog = ""
            yield rx.toast.success(self.message)
            await self._reload()
        self.busy = False

    @rx.event
    def choose_company(self, value: str):
        if value in {o.value for o in self.companies}:
            self.account_company = value
            self.error = ""

    @rx.event
    async def confirm_pay_on_account(self):
        """"Оплатить на счёт компании" in the dialog: a refusal (the credit or the monthly
        limit, an overdue invoice) stays in the dialog."""
        booking_id, company_id = self.target.id, parse_id(self.account_company)
        if company_id is None:
            self.error = tr("Выберите компанию")
            return
        self.busy = True
        yield
        done = await self._change(lambda s, fx, u: companies.do_pay_on_account(s, fx, u, booking_id, company_id))
        self.busy = False
        if done.ok:
            name = next((o.label for o in self.companies if o.value == self.account_company), "")
            self.message = tr("Бронь № {booking_id} оплачена {on_account_of}", booking_id=booking_id, on_account_of=on_account_of(name))
            self.dialog = ""
            yield rx.toast.success(self.message)
            await self._reload()

    @rx.event
    async def pay(self, booking_id: int):
        booking_id = parse_id(booking_id)
        if booking_id is None:
            return None
        done = await self._change(lambda s, _fx, u: payments.do_start_payment(s, u, booking_id).payment_url)
        return rx.redirect(done.value) if done.ok else None

    @rx.event
    async def download(self, booking_id: int, kind: str):
        booking_id = parse_id(booking_id)
        if booking_id is None:
            return None

        def work(session, _effects, user):
            if kind == "ics":
                booking, _role = bookings.access_booking(session, user, booking_id)
                return documents.booking_ics(session, booking), f"booking-{booking.id}.ics"
            if kind.startswith("credit-note-"):
                refund = documents.access_credit_note(session, user, booking_id, parse_id(kind[12:]) or 0)
                note = documents.do_issue_credit_note(session, refund.id)
                return note.pdf, f"credit-note-CN-{note.number:06d}.pdf"
            booking = documents.access_receipt(session, user, booking_id)
            document = documents.do_issue_receipt(session, booking.id)
            return document.pdf, f"receipt-R-{document.number:06d}.pdf"
        done = await self._change(work)
        return rx.download(data=done.value[0], filename=done.value[1]) if done.ok else None


@dataclass
class OccupancyRow:
    time: str = ""
    booked: int = 0
    capacity: int = 1
    percent: int = 0


@dataclass
class WaitingRow:
    when: str = ""
    seats: str = ""
    status: str = ""


def waiting_row(e: waitlist.WaitlistEntryOut) -> WaitingRow:
    status = (tr("{position}-й в очереди", position=e.position) if e.status == "waiting" else
              tr("предложено: бронь № {booking_id}", booking_id=e.booking_id) if e.booking_id else tr("предложено"))
    return WaitingRow(f"{e.start:%H:%M}–{e.end:%H:%M}", tr("целиком") if e.whole else tr("мест: {seats}", seats=e.seats), status)


class OwnerBookingsState(MyBookingsState):
    spaces: list[Option] = []
    space_filter: str = "all"
    resource_filter: str = "all"
    status_filter: str = "all"
    date_from: str = ""
    date_to: str = ""
    resources: list[Option] = []
    day_resource: str = ""
    day: str = ""
    occupancy: list[OccupancyRow] = []
    waiting: list[WaitingRow] = []  # the day's waitlist of the resource

    @rx.event
    async def load_owner(self):
        self.loading = True

        def work(session, _effects, user):
            owned = owner_spaces.list_owner_spaces(session, user)
            return owned, [(s, r) for s in owned for r in list_resources(session, s.id)]
        done = await self._act(work)
        owned, resources = done.value if done.ok else ([], [])
        self.spaces = [Option(str(s.id), s.name) for s in owned]
        self.resources = [Option(str(r.id), f"{s.name}: {r.name}") for s, r in resources]
        if self.resources and not self.day_resource:
            self.day_resource = self.resources[0].value
        self.day = self.day or date.today().isoformat()
        await self._reload()
        await self._day_view()
        self.loading = False

    async def _reload(self) -> None:
        try:
            flt = bookings.BookingFilter(
                scope="owner", status=[] if self.status_filter == "all" else [self.status_filter],
                space_id=parse_id(self.space_filter), resource_id=parse_id(self.resource_filter),
                date_from=_date(self.date_from),
                date_to=_date(self.date_to))
        except ValidationError:
            self.error = tr("Проверьте фильтры")
            return
        done = await self._act(lambda s, _fx, u: bookings.booking_views(s, bookings.list_bookings(s, u, flt), u))
        self.cards = [card(v) for v in done.value] if done.ok else []

    async def _day_view(self) -> None:
        day = _date(self.day)
        self.occupancy, self.waiting = [], []
        resource_id = parse_id(self.day_resource)
        if day is None or resource_id is None:
            return
        done = await self._act(lambda s, _fx, u: bookings.owner_day_slots(s, u, resource_id, day))
        if not done.ok:
            return
        resource, slots = done.value
        line = await self._act(lambda s, _fx, u: waitlist.owner_waitlist(s, u, resource.space_id, day,
                                                                          resource_id=resource.id))
        self.waiting = [waiting_row(e) for e in line.value] if line.ok else []
        self.occupancy = [OccupancyRow(f"{s.start:%H:%M}", resource.capacity - s.free_seats,
                                       resource.capacity,
                                       round(100 * (resource.capacity - s.free_seats) / resource.capacity))
                          for s in slots]

    @rx.event
    async def set_filter(self, name: str, value: str):
        if name in ("space_filter", "resource_filter", "status_filter", "date_from", "date_to") \
                and isinstance(value, str):
            setattr(self, name, value[:20])
        await self._reload()

    @rx.event
    async def set_day_view(self, name: str, value: str):
        if name in ("day_resource", "day") and isinstance(value, str):
            setattr(self, name, value[:20])
        await self._day_view()

    @rx.event
    async def accept(self, booking_id: int):
        """"Принять": not destructive, so no question; the outcome is a toast."""
        booking_id = parse_id(booking_id)
        if booking_id is None:
            return
        done = await self._change(lambda s, fx, u: bookings.do_accept_booking(s, fx, u, booking_id))
        if done.ok:
            self.message = tr("Бронь № {booking_id} подтверждена: гость получил уведомление", booking_id=booking_id)
            yield rx.toast.success(self.message)
            await self._reload()
            await self._day_view()
        else:
            yield rx.toast.error(self.error)

    @rx.event
    async def confirm_owner_action(self):
        """"Отклонить" and "Неявка", after the owner confirmed in the dialog (a rejection
        with its reason: the guest reads it in the notice and the booking's history)."""
        action, booking_id, reason = self.dialog, self.target.id, self.reason
        operations = {
            "reject": lambda s, fx, u: bookings.do_reject_booking(s, fx, u, booking_id, reason),
            "no_show": lambda s, fx, u: bookings.do_mark_no_show(s, fx, u, booking_id),
        }
        if action not in operations or not booking_id:
            return
        self.busy = True
        yield
        done = await self._change(operations[action])
        if done.ok:
            self.message = (tr("Бронь № {booking_id} отклонена. Гостю вернётся {format_money}, причину он увидит в уведомлении", booking_id=booking_id, format_money=format_money(done.value[1])) if action == "reject"
                            else tr("Бронь № {booking_id}: отмечена неявка", booking_id=booking_id))
            self.dialog = ""
            yield rx.toast.success(self.message)
            await self._reload()
            await self._day_view()
        self.busy = False


def _date(value: str) -> date | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or date(2000, 1, 1) <= day <= date(2100, 12, 31) else None


