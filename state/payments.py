"""/cabinet/payments ("Платежи"): every payment, refund and penalty of the person's bookings
(services/finance/history.py), filtered by period and kind, exported to Excel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import format_money, format_moment
from coworking_app.services.finance import history
from coworking_app.settings import get_settings
from state.page import PageState
from coworking_app.i18n import N_, tr

KINDS = [("all", N_("Все операции")), ("payment", N_("Оплаты")), ("refund", N_("Возвраты")), ("penalty", N_("Штрафы"))]


@dataclass
class OperationView:
    key: str = ""
    at: str = ""
    kind: str = ""
    kind_label: str = ""
    booking: str = ""
    booking_href: str = ""
    space: str = ""
    amount: str = ""  # "−1 200 ₽", "+600 ₽", "удержано 600 ₽"
    tone: str = "gray"  # red: paid, green: back, amber: kept
    method: str = ""
    note: str = ""


def _view(o: history.RenterOperation, zone: str) -> OperationView:
    money = format_money(o.amount_minor, o.currency)
    amount = {"payment": "−" + money, "refund": "+" + money}.get(o.kind, tr("удержано ") + money)
    return OperationView(
        key=f"{o.kind}-{o.booking_id}-{o.at.timestamp()}", at=format_moment(o.at, zone),
        kind=o.kind, kind_label=o.kind_label, booking=f"№ {o.booking_id}",
        booking_href="/cabinet/bookings", space=o.space, amount=amount,
        tone={"payment": "gray", "refund": "green"}.get(o.kind, "amber"), method=o.method, note=o.note)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class PaymentsState(PageState):
    loading: bool = True
    date_from: str = ""
    date_to: str = ""
    kind: str = "all"
    rows: list[OperationView] = []
    summary: str = ""
    error: str = ""

    @rx.var
    def has_penalties(self) -> bool:
        return any(r.kind == "penalty" for r in self.rows)

    def _filter(self) -> history.OperationFilter | str:
        try:
            return history.OperationFilter(date_from=_day(self.date_from), date_to=_day(self.date_to),
                                           kind=None if self.kind == "all" else self.kind)
        except ValidationError:
            return tr("Проверьте даты периода")

    @rx.event
    async def load(self):
        self.loading = True
        await self._reload()
        self.loading = False

    async def _reload(self) -> None:
        flt = self._filter()
        if isinstance(flt, str):
            self.error, self.rows, self.summary = flt, [], ""
            return
        zone = get_settings().report_timezone
        done = await self._act(lambda s, _fx, u: history.renter_operations(s, u, flt, zone=zone))
        if not done.ok:
            self.error, self.rows, self.summary = done.message, [], ""
            return
        self.error = ""
        self.rows = [_view(o, zone) for o in done.value]
        parts = []
        for currency, (paid, back) in history.totals(done.value).items():
            text = tr("оплачено {format_money}", format_money=format_money(paid, currency))
            if back:
                text += tr(", возвращено {format_money}", format_money=format_money(back, currency))
            parts.append(text)
        self.summary = (tr("Итого: ") + "; ".join(parts)) if parts else ""

    @rx.event
    async def set_filter(self, name: str, value: str):
        if name in ("date_from", "date_to") and isinstance(value, str):
            setattr(self, name, value[:10])
        elif name == "kind" and value in dict(KINDS):
            self.kind = value
        else:
            return
        await self._reload()

    @rx.event
    async def clear_filters(self):
        self.date_from = self.date_to = ""
        self.kind = "all"
        await self._reload()

    @rx.event
    async def export(self):
        flt = self._filter()
        if isinstance(flt, str):
            return rx.toast.error(flt)
        zone = get_settings().report_timezone
        done = await self._act(lambda s, _fx, u: history.renter_operations_xlsx(s, u, flt, zone=zone))
        if not done.ok:
            return done.toast()
        return rx.download(data=done.value, filename="payments.xlsx")
