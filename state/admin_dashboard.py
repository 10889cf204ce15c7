"""/admin (operators, admins: the network) and /owner/analytics (an owner: own spaces):
one dashboard, filters applied to every widget. Numbers come from services.admin.analytics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import plotly.graph_objects as go
import reflex as rx
from pydantic import ValidationError

from coworking_app import maps
from coworking_app.formatting import format_day, format_money, format_percent, zone_name
from coworking_app.services.admin import analytics, exports
from coworking_app.services.catalog import catalog
from state import charts
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import tr

PRESETS = {"7": 7, "30": 30, "90": 90, "365": 365}


@dataclass
class KpiCard:
    key: str = ""
    label: str = ""
    value: str = ""
    icon: str = ""
    hint: str = ""  # what exactly is counted, under the figure


def _kpi_cards(k: analytics.Kpis) -> list[KpiCard]:
    money = lambda minor: format_money(minor, k.currency)  # noqa: E731
    cards = [
        KpiCard("received_today", tr("Получено сегодня"), money(k.received_today_minor), "wallet",
                tr("оплаты за сегодня минус возвраты, по дате платежа")),
        KpiCard("received_month", tr("Получено за месяц"), money(k.received_month_minor), "banknote",
                tr("с 1-го числа по дате платежа, минус возвраты")),
        KpiCard("revenue_today", tr("Выручка сегодня"), money(k.revenue_today_minor), "calendar-check",
                tr("завершённые визиты и удержанные штрафы, минус возвраты после визита")),
        KpiCard("revenue_month", tr("Выручка за месяц"), money(k.revenue_month_minor), "calendar-range",
                tr("с 1-го числа: завершённые визиты и штрафы, минус возвраты")),
        KpiCard("bookings_today", tr("Новых броней сегодня"), str(k.bookings_today), "calendar-plus",
                tr("оформлены сегодня, без неоплаченных и истёкших")),
        KpiCard("active_now", tr("Активных броней сейчас"), str(k.active_now), "activity", tr("визит идёт сейчас")),
        KpiCard("occupancy_today", tr("Загрузка сегодня"), format_percent(k.occupancy_today_pct), "gauge",
                tr("занятые место-часы в часы работы")),
        KpiCard("cancellation_rate", tr("Отмены за период"), format_percent(k.cancellation_rate_pct), "circle-x",
                tr("доля отменённых среди броней с заездом в период")),
    ]
    if k.new_users_week is not None:  # the network view only
        cards.append(KpiCard("new_users", tr("Новых пользователей за 7 дней"), str(k.new_users_week), "user-plus"))
        cards.append(KpiCard("api_ms", tr("Ответ API за час"), "—" if k.api_avg_ms is None else tr("{api_avg_ms:.0f} мс", api_avg_ms=k.api_avg_ms),
                             "timer"))
    return cards


class DashboardState(PageState):
    owner_view: bool = False
    date_from: str = ""
    date_to: str = ""
    preset: str = "30"
    city: str = ""
    space: str = ""
    granularity: str = "day"
    cities: list[list[str]] = []
    kpis: list[KpiCard] = []
    fig_occupancy: go.Figure = go.Figure()
    fig_revenue: go.Figure = go.Figure()
    fig_statuses: go.Figure = go.Figure()
    fig_top: go.Figure = go.Figure()
    fig_heatmap: go.Figure = go.Figure()
    map_url: str = ""  # the search-density map (/maps/..., coworking_app/maps.py)
    has_bookings: bool = False
    has_top: bool = False
    period_text: str = ""
    report_zone: str = ""  # REPORT_TIMEZONE: the zone whose days the figures count in
    loading: bool = True
    allowed: bool = True
    error: str = ""
    exporting: str = ""

    @rx.event
    async def load(self):
        self.owner_view = self.router.url.path.startswith("/owner")
        self.loading = True
        if not self.date_to:
            self._apply_preset("30")
        yield
        await self._refresh()
        self.loading = False

    def _apply_preset(self, preset: str) -> None:
        days = PRESETS.get(preset, 30)
        end = analytics.today()
        self.preset, self.date_to, self.date_from = preset, end.isoformat(), (end - timedelta(days=days - 1)).isoformat()

    def _filter(self) -> analytics.DashboardFilter:
        return analytics.DashboardFilter(date_from=self.date_from or None, date_to=self.date_to or None,
                                         city_id=parse_id(self.city), space_id=parse_id(self.space),
                                         granularity=self.granularity)

    async def _refresh(self) -> None:
        owner_view = self.owner_view

        def work(session, _effects, user):
            flt = self._filter()  # a bad period is refused like any other input
            return catalog.list_cities(session), analytics.dashboard(session, user, flt, owner_view=owner_view)
        done = await self._act(work)
        self.allowed, self.error = not done.denied, "" if done.denied else done.message
        if not done.ok:
            return
        cities, board = done.value
        self.cities = [[str(c.id), c.name] for c in cities]
        self.kpis = _kpi_cards(board.kpis)
        self.report_zone = zone_name(datetime.now(analytics.report_zone()))
        self.fig_occupancy = charts.occupancy(board.occupancy)
        self.fig_revenue = charts.revenue(board.revenue)
        self.fig_statuses = charts.statuses(board.statuses)
        self.fig_top = charts.top_spaces(board.top)
        self.fig_heatmap = charts.heatmap(board.heatmap)
        self.has_bookings = bool(board.statuses)
        self.has_top = bool(board.top)
        start, end = board.period
        self.period_text = f"{format_day(start)} — {format_day(end)}"
        self.map_url = "" if self.owner_view else maps.publish(maps.density_map(
            [(c.lat, c.lon, c.searches) for c in board.searches]))

    @rx.event
    async def set_preset(self, value: str | list[str]):
        if isinstance(value, str) and value in PRESETS:
            self._apply_preset(value)
            await self._refresh()

    @rx.event
    async def set_period(self, which: str, value: str):
        try:
            day = date.fromisoformat(str(value)) if value else None
        except ValueError:
            return
        if which == "from":
            self.date_from = day.isoformat() if day else ""
        elif which == "to":
            self.date_to = day.isoformat() if day else ""
        self.preset = ""
        await self._refresh()

    @rx.event
    async def set_city(self, value: str):
        self.city = value if parse_id(value) else ""
        await self._refresh()

    @rx.event
    async def set_space(self, value: str):
        value = str(value).strip()
        self.space = value if parse_id(value) else ""
        if value and not self.space:
            self.error = tr("ID пространства — число")
            return
        await self._refresh()

    @rx.event
    async def set_granularity(self, value: str | list[str]):
        if value in ("day", "week", "month"):
            self.granularity = value
            await self._refresh()

    @rx.event
    async def export(self, fmt: str):
        if fmt not in exports.FORMATS:
            return
        try:
            flt, owner_view = self._filter(), self.owner_view
        except ValidationError:
            yield rx.toast.error(tr("Проверьте период"))
            return
        self.exporting = fmt
        yield
        try:
            done = await self._act(lambda s, _fx, u: exports.export_dashboard(s, u, flt, fmt, owner_view=owner_view))
            yield rx.download(data=done.value.content, filename=done.value.filename) if done.ok else done.toast()
        finally:
            self.exporting = ""
