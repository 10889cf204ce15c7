"""Bookings after the panel: the test provider's payment page, the renter's "My bookings"
and the owner's "Bookings". Every handler re-checks the session and goes through services."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import RESOURCE_KIND_LABELS, format_money, format_stay, zone_name
from coworking_app.services.accounts import sessions
from coworking_app.services.booking import bookings
from coworking_app.services.payments import documents, payments
from coworking_app.services.catalog import owner_spaces
from coworking_app.services.reviews import reviews
from coworking_app.services.common.errors import InvalidInput, NotAuthenticated, NotFound, ServiceError
from coworking_app.services.catalog.spaces import list_resources
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from state.auth import AuthState, act_as
from state.inputs import parse_id

REVIEW_LABELS = {"pending": "Отзыв на модерации", "approved": "Отзыв опубликован",
                 "rejected": "Отзыв отклонён модератором"}
BADGE_COLORS = {"pending_payment": "amber", "paid": "blue", "confirmed": "green",
                "cancelled": "gray", "expired": "gray", "completed": "teal", "no_show": "red"}


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


def _when(view: bookings.BookingView) -> str:
    """The stay in the space's time ("15.12.2025 – 16.12.2025 (2 дня)" for whole days)."""
    return f"{format_stay(view.start, view.end)} ({zone_name(view.start)})"


def card(view: bookings.BookingView) -> BookingCard:
    note = ""
    if view.status == "pending_payment" and view.expires_at:
        note = f"Оплатите до {view.expires_at:%H:%M}, иначе бронь снимется"
    elif view.balance_due and view.pending_change:
        change = view.pending_change
        note = (f"Изменение на {change['start']:%d.%m %H:%M}–{change['end']:%H:%M}, мест: "
                f"{change['seats']} применится после доплаты {format_money(view.balance_due, view.currency)}")
    elif view.refunded:
        note = f"Возвращено: {format_money(view.refunded, view.currency)}"
    if view.cancel_reason and view.status == "cancelled":
        note = (note + " · " if note else "") + f"Причина: {view.cancel_reason}"
    return BookingCard(
        id=view.id, space=view.space_name, space_href=f"/spaces/{view.space_id}",
        resource=f"{view.resource_name} · {RESOURCE_KIND_LABELS.get(view.resource_type, '')}",
        when=_when(view), seats=f"мест: {view.seats}", status=view.status,
        status_label=view.status_label, color=BADGE_COLORS.get(view.status, "gray"),
        total=format_money(view.total, view.currency), note=note,
        renter=f"{view.renter_name} · {view.renter_email}" if view.renter_name else "",
        refund_now=format_money(view.refund_if_cancelled_now, view.currency),
        can_pay="pay" in view.actions, can_cancel="cancel" in view.actions,
        can_modify="modify" in view.actions, can_accept="accept" in view.actions,
        can_no_show="no_show" in view.actions, has_receipt="receipt" in view.actions,
        can_message="message" in view.actions, can_review="review" in view.actions,
        credit_notes=[str(d) for d in view.credit_notes],
        start_local=f"{view.start:%Y-%m-%dT%H:%M}", end_local=f"{view.end:%Y-%m-%dT%H:%M}",
    )


class _SignedIn(rx.State):
    """Shared helpers: the signed-in user of this browser, checked on every call."""

    async def _token(self) -> str:
        return (await self.get_state(AuthState)).session_token


class CheckoutState(_SignedIn):
    found: bool = False
    amount: str = ""
    title: str = ""
    status: str = ""
    busy: bool = False
    message: str = ""

    @rx.event
    async def load(self):
        token = await self._token()
        payment_id = parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])
        self.found, self.message = False, ""
        if payment_id is None:
            return
        try:
            def _work(session, effects):
                user, _ = sessions.access_user_by_session_token(session, token)
                payment, booking = payments.access_payment_for_payer(session, user, payment_id)
                if payment.provider != "test":
                    return
                view = bookings.booking_views(session, [booking], user)[0]
                self.amount = format_money(payment.amount_minor, payment.currency)
                self.title = f"{view.space_name}: {view.resource_name}, {_when(view)}"
                self.status = payment.status
                self.found = True
            run_use_case(_work)
        except (NotAuthenticated, NotFound):
            self.found = False

    @rx.event
    async def complete(self, outcome: str):
        token = await self._token()
        payment_id = parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]) or 0
        self.busy = True
        yield
        try:
            def work(session, effects):
                user, _ = sessions.access_user_by_session_token(session, token)
                return payments.do_complete_test_payment(session, effects, user, payment_id,
                                                         str(outcome)).booking_id
            booking_id = run_use_case(work)
            if outcome == "succeeded":
                yield rx.redirect(f"/cabinet/bookings?paid={booking_id}")
            else:
                self.status, self.message = "failed", "Платёж отклонён. Можно попробовать ещё раз из кабинета, пока бронь держится."
        except ServiceError as exc:
            self.message = getattr(exc, "message", str(exc))
        finally:
            self.busy = False


class MyBookingsState(_SignedIn):
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
    new_start: str = ""
    new_end: str = ""
    new_seats: str = ""
    busy: bool = False

    @rx.event
    async def load(self):
        self.loading = True
        paid = self.router.url.query_parameters.get("paid", "")
        self.message = "Оплата прошла, бронь оформлена." if paid else ""
        await self._reload()
        self.loading = False

    async def _reload(self) -> None:
        token = await self._token()
        try:
            def _work(session, effects):
                user, _ = sessions.access_user_by_session_token(session, token)
                rows = bookings.list_bookings(session, user, bookings.BookingFilter(tab=self.tab))
                cards = [card(v) for v in bookings.booking_views(session, rows, user)]
                written = reviews.review_statuses(session, user, [c.id for c in cards])
                for c in cards:
                    review_id, status, editable = written.get(c.id, (0, "", False))
                    c.review_label = REVIEW_LABELS.get(status, "")
                    c.review_id = review_id if editable else 0
                self.cards = cards
                self.feed_url = get_settings().base_url + documents.calendar_feed_path(user)
            run_use_case(_work)
        except NotAuthenticated:
            self.cards = []

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
        if target is None or kind not in ("cancel", "modify", "reject", "no_show"):
            return
        self.target, self.dialog = target, kind
        self.error, self.reason = "", ""
        self.new_start, self.new_end = target.start_local, target.end_local
        self.new_seats = target.seats.removeprefix("мест: ")

    @rx.event
    def close_dialog(self):
        self.dialog = ""

    @rx.event
    def set_field(self, name: str, value: str):
        if name in ("reason", "new_start", "new_end", "new_seats"):
            setattr(self, name, str(value)[:500])
            self.error = ""  # the complaint was about what is being changed now

    async def _act(self, work) -> tuple[bool, object]:
        """Runs work(session, effects, user) in a unit of work; a refusal becomes self.error."""
        token = await self._token()
        self.error = ""
        try:
            return True, act_as(token, work)
        except NotAuthenticated:
            self.error = "Войдите снова"
        except ServiceError as exc:
            self.error = getattr(exc, "message", str(exc))
        return False, None

    @rx.event
    async def confirm_cancel(self):
        booking_id = self.target.id
        self.busy = True
        yield
        ok, result = await self._act(
            lambda s, fx, u: bookings.do_cancel_booking(s, fx, u, booking_id, reason=self.reason))
        if ok:
            refund = result[1]
            self.message = (f"Бронь № {booking_id} отменена. Возврат: {format_money(refund)}" if refund
                            else f"Бронь № {booking_id} отменена.")
            self.dialog = ""
            yield rx.toast.success(self.message)
            await self._reload()
        self.busy = False

    @rx.event
    async def confirm_modify(self):
        booking_id = self.target.id
        try:
            start, end = datetime.fromisoformat(self.new_start), datetime.fromisoformat(self.new_end)
            seats = int(self.new_seats) if self.new_seats.strip() else None
        except (ValueError, TypeError, OverflowError):
            self.error = "Проверьте дату, время и число мест"
            return
        self.busy = True
        yield

        def work(session, effects, user):
            booking, _role = bookings.access_booking(session, user, booking_id)
            zone = ZoneInfo(booking.timezone)  # the form shows the space's local time
            try:
                change = bookings.BookingChange(start=start.replace(tzinfo=zone),
                                                end=end.replace(tzinfo=zone), seats=seats)
            except ValidationError as exc:
                raise InvalidInput("seats", "число мест от 1") from exc
            return bookings.do_modify_booking(session, effects, user, booking_id, change)
        ok, result = await self._act(work)
        if ok:
            difference = result[1]
            self.message = (f"Изменение применится после доплаты {format_money(difference)} — кнопка «Оплатить»"
                            if difference > 0 and result[0].pending_change
                            else "Бронь изменена, оплатите новую сумму" if difference > 0
                            else "Бронь изменена" + (", часть суммы вернётся по условиям отмены"
                                                     if difference < 0 else ""))
            self.dialog = ""
            await self._reload()
        self.busy = False

    @rx.event
    async def pay(self, booking_id: int):
        booking_id = parse_id(booking_id)
        if booking_id is None:
            return None
        ok, url = await self._act(lambda s, _fx, u: payments.do_start_payment(s, u, booking_id).payment_url)
        return rx.redirect(url) if ok else None

    @rx.event
    async def download(self, booking_id: int, kind: str):
        token = await self._token()
        booking_id = parse_id(booking_id)
        if booking_id is None:
            return None
        try:
            def _work(session, effects):
                user, _ = sessions.access_user_by_session_token(session, token)
                if kind == "ics":
                    booking, _role = bookings.access_booking(session, user, booking_id)
                    return rx.download(data=documents.booking_ics(session, booking),
                                       filename=f"booking-{booking.id}.ics")
                if kind.startswith("credit-note-"):
                    refund = documents.access_credit_note(session, user, booking_id, parse_id(kind[12:]) or 0)
                    note = documents.do_issue_credit_note(session, refund.id)
                    return rx.download(data=note.pdf, filename=f"credit-note-CN-{note.number:06d}.pdf")
                booking = documents.access_receipt(session, user, booking_id)
                document = documents.do_issue_receipt(session, booking.id)
                return rx.download(data=document.pdf, filename=f"receipt-R-{document.number:06d}.pdf")
            return run_use_case(_work)
        except ServiceError as exc:
            self.error = getattr(exc, "message", str(exc))
        return None


@dataclass
class Option:
    value: str = ""
    label: str = ""


@dataclass
class OccupancyRow:
    time: str = ""
    booked: int = 0
    capacity: int = 1
    percent: int = 0


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

    @rx.event
    async def load_owner(self):
        self.loading = True
        token = await self._token()
        try:
            def _work(session, effects):
                user, _ = sessions.access_user_by_session_token(session, token)
                owned = owner_spaces.list_owner_spaces(session, user)
                self.spaces = [Option(str(s.id), s.name) for s in owned]
                self.resources = [Option(str(r.id), f"{s.name}: {r.name}") for s in owned
                                  for r in list_resources(session, s.id)]
            run_use_case(_work)
        except ServiceError:
            self.spaces, self.resources = [], []
        if self.resources and not self.day_resource:
            self.day_resource = self.resources[0].value
        self.day = self.day or date.today().isoformat()
        await self._reload()
        await self._day_view()
        self.loading = False

    async def _reload(self) -> None:
        token = await self._token()
        try:
            flt = bookings.BookingFilter(
                scope="owner", status=[] if self.status_filter == "all" else [self.status_filter],
                space_id=parse_id(self.space_filter), resource_id=parse_id(self.resource_filter),
                date_from=_date(self.date_from),
                date_to=_date(self.date_to))
        except ValidationError:
            self.error = "Проверьте фильтры"
            return
        try:
            def _work(session, effects):
                user, _ = sessions.access_user_by_session_token(session, token)
                rows = bookings.list_bookings(session, user, flt)
                self.cards = [card(v) for v in bookings.booking_views(session, rows, user)]
            run_use_case(_work)
        except ServiceError:
            self.cards = []

    async def _day_view(self) -> None:
        day = _date(self.day)
        self.occupancy = []
        resource_id = parse_id(self.day_resource)
        if day is None or resource_id is None:
            return
        token = await self._token()
        try:
            def _work(session, effects):
                user, _ = sessions.access_user_by_session_token(session, token)
                return bookings.owner_day_slots(session, user, resource_id, day)
            resource, slots = run_use_case(_work)
        except ServiceError:
            return
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
        ok, _result = await self._act(lambda s, fx, u: bookings.do_accept_booking(s, fx, u, booking_id))
        if ok:
            self.message = f"Бронь № {booking_id} подтверждена: гость получил уведомление"
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
        ok, result = await self._act(operations[action])
        if ok:
            self.message = (f"Бронь № {booking_id} отклонена. Гостю вернётся {format_money(result[1])}, "
                            "причину он увидит в уведомлении" if action == "reject"
                            else f"Бронь № {booking_id}: отмечена неявка")
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


