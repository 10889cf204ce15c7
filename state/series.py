"""Recurring bookings on screen (rules: services/booking/series.py): "Повторять" in the booking
panel, the test provider's page for a series' one checkout (/checkout/series/<payment id>) and
the series in "Мои брони" (/cabinet/bookings?series=<id>): its dates, paying them all,
cancelling the future ones or a date range, moving them all to another time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote
from zoneinfo import ZoneInfo

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import BOOKING_STATUS_LABELS, format_money, format_stay, plural
from coworking_app.services.booking import series
from coworking_app.services.booking.availability import utcnow as series_now
from coworking_app.services.payments import checkout, payments
from state.booking import BookingPanelState
from state.inputs import parse_id, parse_step
from state.page import PageState
from state.test_payment import TestPaymentPage
from coworking_app.i18n import Labels, N_, tr

REPEATS = Labels({"none": N_("Не повторять"), "weekly": N_("Каждую неделю"), "daily": N_("Каждый день")})
RULES = {"weekly": "FREQ=WEEKLY", "daily": "FREQ=DAILY"}


class SeriesPanelState(BookingPanelState):
    """The panel's "Повторять": the same choice every week or day, N times, paid at once."""

    repeat: str = "none"
    repeat_count: int = 4

    @rx.var(cache=False)  # worded in the tab's language
    def repeat_times(self) -> str:
        return plural(self.repeat_count, "раз", "раза", "раз")

    @rx.event
    def set_repeat(self, value: str):
        if value in REPEATS:
            self.repeat = value

    @rx.event
    def change_repeat_count(self, delta: int):
        self.repeat_count = max(2, min(series.MAX_OCCURRENCES, self.repeat_count + parse_step(delta)))

    @rx.event
    async def book_series(self):
        if not (await self._auth()).signed_in:
            yield rx.redirect("/login?next=" + quote(self.choice_url(), safe=""))
            return
        try:
            one = self._request()
        except ValidationError:
            one = None
        if one is None or self.repeat not in RULES:
            self.error = tr("Выберите время")
            return
        if self.payer != "card":
            self.error_field, self.error = "company_id", tr("Повторяющиеся брони оплачиваются картой")
            return
        request = series.SeriesRequest(resource_id=one.resource_id, start=one.start, end=one.end, seats=one.seats,
                                       addons=one.addons, rrule=f"{RULES[self.repeat]};COUNT={self.repeat_count}")
        self.busy = True
        yield

        def work(session, effects, user):
            made = series.do_create_series(session, effects, user, request)
            return payments.do_start_series_payment(session, user, made.series_id).payment_url
        done = await self._act(work)
        self.busy = False
        if done.ok:
            yield rx.redirect(done.value)
        else:
            self.error_field, self.error = done.field, done.sentence


@dataclass
class LineRow:
    when: str = ""
    amount: str = ""


class SeriesCheckoutState(TestPaymentPage, PageState):
    """/checkout/series/<payment id>: the test provider's page for all of a series at once."""

    space: str = ""
    resource: str = ""
    amount: str = ""
    count: str = ""
    lines: list[LineRow] = []
    conflicts: str = ""  # "Не подошла 1 дата — ..."
    series_id: int = 0

    @rx.event
    async def load(self):
        payment_id = self._payment_id()
        self.found, self.message = False, ""
        done = await self._act(lambda s, _fx, u: checkout.series_checkout_view(s, u, payment_id))
        if not done.ok or done.value.provider != "test":
            return
        v = done.value
        self.space, self.resource, self.series_id = v.space, v.resource, v.series_id
        self.conflicts = _missed(v.conflicts)
        self.amount, self.status = format_money(v.amount, v.currency), v.status
        self.count = plural(len(v.lines), "бронь", "брони", "броней")
        self.lines = [LineRow(line.when, line.amount) for line in v.lines]
        self.found = True

    def _paid_url(self, payment) -> str:
        return f"/cabinet/bookings?series={self.series_id}&paid=1"

    def _declined_text(self) -> str:
        return tr("Платёж отклонён. Брони серии держатся за вами, пока не истечёт время на оплату — попробуйте ещё раз.")


@dataclass
class OccurrenceRow:
    id: int = 0
    when: str = ""
    status: str = ""
    status_label: str = ""
    amount: str = ""


@dataclass
class ConflictRow:
    when: str = ""
    reason: str = ""


class MySeriesState(PageState):
    """A series in "Мои брони" (?series=<id>)."""

    series_id: int = 0
    title: str = ""
    rule_text: str = ""
    rows: list[OccurrenceRow] = []
    conflicts: list[ConflictRow] = []
    to_pay: str = ""
    payable: bool = False
    future: int = 0
    note: str = ""
    note_color: str = "green"
    busy: bool = False
    range_from: str = ""
    range_to: str = ""
    new_start: str = "10:00"
    new_end: str = "12:00"

    def _fill(self, view: series.SeriesView) -> None:
        zone = ZoneInfo(view.timezone)
        self.series_id, self.title = view.id, f"{view.space}: {view.resource}"
        self.rows = [OccurrenceRow(b.id, format_stay(b.start_at.astimezone(zone), b.end_at.astimezone(zone)), b.status,
                                   BOOKING_STATUS_LABELS.get(b.status, b.status), format_money(b.total_minor, b.currency))
                     for b in view.bookings]
        self.conflicts = [ConflictRow(format_stay(c.start.astimezone(zone), c.end.astimezone(zone)),
                                      c.reason[:1].upper() + c.reason[1:]) for c in view.conflicts]
        self.to_pay = format_money(view.to_pay_minor, view.currency)
        self.payable, self.future = view.payable, view.future
        self.rule_text = _rule_text(view.rule)
        ahead = next((b for b in view.bookings if b.status in series.LIVE and b.start_at > series_now()), None)
        if ahead is not None:  # "Перенести" starts from the times the series has now
            self.new_start = f"{ahead.start_at.astimezone(zone):%H:%M}"
            self.new_end = f"{ahead.end_at.astimezone(zone):%H:%M}"

    async def _reload(self) -> bool:
        series_id = self.series_id
        done = await self._act(lambda s, _fx, u: series.series_view(s, u, series_id))
        if done.ok:
            self._fill(done.value)
        else:
            self.series_id = 0
        return done.ok

    @rx.event
    async def load(self):
        query = self.router.url.query_parameters
        self.series_id = parse_id(query.get("series", "")) or 0
        self.note, self.rows, self.conflicts = "", [], []
        if not self.series_id:
            return
        if await self._reload() and query.get("paid"):
            self.note, self.note_color = (tr("Оплата прошла: брони серии ваши.") if not self.payable else
                                          tr("Платёж обрабатывается — брони отметятся оплаченными через минуту.")), "green"

    @rx.event
    async def pay(self):
        series_id = self.series_id
        self.busy = True
        yield
        done = await self._act(lambda s, _fx, u: payments.do_start_series_payment(s, u, series_id).payment_url)
        self.busy = False
        if done.ok:
            yield rx.redirect(done.value)
        else:
            self.note, self.note_color = done.sentence, "red"

    @rx.event
    def set_range(self, which: str, value: str):
        if which == "from":
            self.range_from = str(value)[:10]
        elif which == "to":
            self.range_to = str(value)[:10]

    @rx.event
    def set_time(self, which: str, value: str):
        if which == "start":
            self.new_start = str(value)[:5]
        elif which == "end":
            self.new_end = str(value)[:5]

    @rx.event
    async def cancel(self, whole: bool):
        series_id = self.series_id
        try:
            change = series.SeriesCancel() if whole else series.SeriesCancel(
                date_from=date.fromisoformat(self.range_from), date_to=date.fromisoformat(self.range_to))
        except ValueError:
            self.note, self.note_color = tr("Выберите даты: с какого по какое число отменить"), "red"
            return
        done = await self._act(lambda s, fx, u: series.do_cancel_series(s, fx, u, series_id, change))
        if not done.ok:
            self.note, self.note_color = done.sentence, "red"
            return
        await self._reload()
        refund = tr(", вернём {format_money}", format_money=format_money(done.value.refunded_minor)) if done.value.refunded_minor else ""
        self.note, self.note_color = tr("Отменено: {plural}{refund}.", plural=plural(len(done.value.changed), 'бронь', 'брони', 'броней'), refund=refund), "green"

    @rx.event
    async def reschedule(self):
        series_id = self.series_id
        try:
            change = series.SeriesReschedule(start_time=self.new_start, end_time=self.new_end)
        except ValidationError:
            self.note, self.note_color = tr("Укажите время в виде ЧЧ:ММ"), "red"
            return
        done = await self._act(lambda s, fx, u: series.do_reschedule_series(s, fx, u, series_id, change))
        if not done.ok:
            self.note, self.note_color = done.sentence, "red"
            return
        await self._reload()
        moved = done.value
        text = tr("Перенесено: {plural}.", plural=plural(len(moved.changed), 'бронь', 'брони', 'броней'))
        if moved.conflicts:
            text += tr(" Не получилось: ") + "; ".join(c.reason for c in moved.conflicts[:3])
        self.note, self.note_color = text, "amber" if moved.conflicts else "green"


def _missed(count: int) -> str:
    """"Не подошла 1 дата — она в карточке серии в «Мои брони»" (or "" when all fit)."""
    if not count:
        return ""
    word = plural(count, "дата", "даты", "дат")
    verb, pronoun = (tr("подошла"), tr("она")) if word.endswith(tr(" дата")) else (tr("подошли"), tr("они"))
    return tr("Не {verb} {word} — {pronoun} в карточке серии в «Мои брони»", verb=verb, word=word, pronoun=pronoun)


def _rule_text(rule: str) -> str:
    upper = rule.upper()
    count = next((part.split("=", 1)[1] for part in upper.split(";") if part.startswith("COUNT=")), "")
    every = tr("каждую неделю") if "FREQ=WEEKLY" in upper else tr("каждый день") if "FREQ=DAILY" in upper else tr("каждый месяц")
    return tr("Повтор {every}", every=every) + (f", {plural(int(count), 'раз', 'раза', 'раз')}" if count.isdigit() else "")
