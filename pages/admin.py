"""The operator panel: /admin (dashboard) and the owner's /owner/analytics (same widgets,
own spaces), plus the panel's navigation shared by every /admin page."""

from __future__ import annotations

import reflex as rx

from pages.components import date_range, empty_state, scroll_table
from pages.layout import ADMIN_LINKS, map_frame, page_frame
from state.admin_dashboard import DashboardState, KpiCard
from state.owner_plans import FigureRow, PlanFiguresState
from state.lang import LanguageState, t

def admin_nav(current: str) -> rx.Component:
    return rx.box(
        rx.flex(
            *[rx.link(rx.button(rx.icon(icon, size=14), label, size="2",
                                variant="solid" if href == current else "soft",
                                color_scheme="teal" if href == current else "gray"),
                      href=href, underline="none") for href, label, icon in ADMIN_LINKS],
            spacing="2", wrap="wrap",  # every section visible on a phone too, no sideways scroll
        ),
        width="100%", custom_attrs={"data-testid": "admin-nav"},
    )


def no_access() -> rx.Component:
    return empty_state("shield-alert", t("Недостаточно прав"),
                       rx.text(t("Раздел доступен операторам и администраторам."), size="2",
                               color=rx.color("gray", 11)))


def _kpi(card: KpiCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.icon(card.icon, size=16, color=rx.color("accent", 10)),
                      rx.text(card.label, size="1", color=rx.color("gray", 11)), align="center", spacing="2"),
            rx.text(card.value, size="6", weight="bold", custom_attrs={"data-testid": "kpi-value"}),
            rx.cond(card.hint != "", rx.text(card.hint, size="1", color=rx.color("gray", 10),
                                             custom_attrs={"data-testid": "kpi-hint"})),
            spacing="1",
        ),
        custom_attrs={"data-testid": "kpi", "data-kpi": card.key},
    )


def _chart(title: str, figure, test_id: str, *, empty: rx.Var | bool = False, span: int = 1) -> rx.Component:
    body = rx.plotly(data=figure, config={"displaylogo": False, "responsive": True}, locale=LanguageState.lang,
                     use_resize_handler=True, width="100%")
    return rx.card(
        rx.vstack(
            rx.text(title, weight="bold", size="3"),
            rx.cond(empty, rx.center(rx.text(t("Нет данных за период"), size="2", color=rx.color("gray", 10)),
                                     height="200px", width="100%"), body)
            if not isinstance(empty, bool) else body,
            spacing="2", width="100%",
        ),
        width="100%", min_width="0", custom_attrs={"data-testid": test_id},
        grid_column=rx.breakpoints(initial="span 1", lg=f"span {span}"),
    )


def _filters() -> rx.Component:
    s = DashboardState
    return rx.flex(
        rx.segmented_control.root(
            *[rx.segmented_control.item(label, value=value)
              for value, label in (("7", t("7 дней")), ("30", t("30 дней")), ("90", t("90 дней")), ("365", t("Год")))],
            value=s.preset, on_change=s.set_preset, size="1"),
        date_range(s.date_from, s.date_to, lambda v: s.set_period("from", v), lambda v: s.set_period("to", v)),
        rx.select.root(
            rx.select.trigger(placeholder=t("Все города"), aria_label=t("Город")),
            rx.select.content(rx.select.item(t("Все города"), value="all"),
                              rx.foreach(s.cities, lambda c: rx.select.item(c[1], value=c[0]))),
            value=rx.cond(s.city == "", "all", s.city), on_change=s.set_city, size="2",
        ),
        rx.input(placeholder=t("ID пространства"), value=s.space, on_change=s.set_space, debounce_timeout=500,
                 size="2", width="150px", input_mode="numeric", custom_attrs={"data-testid": "filter-space"}),
        rx.segmented_control.root(
            *[rx.segmented_control.item(label, value=value)
              for value, label in (("day", t("По дням")), ("week", t("По неделям")), ("month", t("По месяцам")))],
            value=s.granularity, on_change=s.set_granularity, size="1"),
        rx.spacer(),
        rx.hstack(
            rx.button(rx.cond(s.exporting == "xlsx", rx.spinner(size="1"), rx.icon("file-spreadsheet", size=14)),
                      "Excel", variant="soft", size="2", on_click=s.export("xlsx"), disabled=s.exporting != "",
                      custom_attrs={"data-testid": "dashboard-export-xlsx"}),
            rx.button(rx.cond(s.exporting == "pdf", rx.spinner(size="1"), rx.icon("file-text", size=14)),
                      "PDF", variant="soft", size="2", on_click=s.export("pdf"), disabled=s.exporting != ""),
            spacing="2",
        ),
        spacing="3", wrap="wrap", align="center", width="100%",
    )


def _figure_row(f: FigureRow) -> rx.Component:
    return rx.table.row(rx.table.cell(f.space), rx.table.row_header_cell(f.name), rx.table.cell(f.kind_label),
                        rx.table.cell(f.members), rx.table.cell(f.sold),
                        rx.table.cell(f.revenue, white_space="nowrap"), custom_attrs={"data-testid": "plan-figure"})


def plan_figures() -> rx.Component:
    """Plans: members now, periods sold and money in the last 30 days (when any plan exists)."""
    return rx.cond(PlanFiguresState.figures.length() > 0, rx.card(rx.vstack(
        rx.text(t("Абонементы: участники сейчас, продажи и выручка за 30 дней"), weight="bold", size="3"),
        scroll_table([t("Пространство"), t("Абонемент"), t("Вид"), t("Участников"), t("Продано"), t("Выручка")],
                     rx.foreach(PlanFiguresState.figures, _figure_row), "plan-figures", t("Абонементы")),
        spacing="2", width="100%"), width="100%"))


def _board() -> rx.Component:
    s = DashboardState
    grid = {"columns": rx.breakpoints(initial="1", md="2", lg="3"), "spacing": "3", "width": "100%"}
    return rx.vstack(
        rx.grid(rx.foreach(s.kpis, _kpi), columns=rx.breakpoints(initial="2", sm="3", lg="4"), spacing="3",
                width="100%"),
        rx.text(t("Сутки и месяцы — по времени "), s.report_zone, t(". «Получено» — деньги по дате платежа или возврата; «оплачено за визиты» — по дате начала брони."), size="1",
                color=rx.color("gray", 10), custom_attrs={"data-testid": "kpi-note"}),
        rx.grid(
            _chart(t("Загрузка по дням, %"), s.fig_occupancy, "chart-occupancy", span=2),
            _chart(t("Брони по статусам"), s.fig_statuses, "chart-statuses", empty=~s.has_bookings),
            _chart(t("Выручка: завершённые визиты и штрафы"), s.fig_revenue, "chart-revenue", empty=~s.has_bookings,
                   span=2),
            _chart(t("Топ пространств: оплачено за визиты периода"), s.fig_top, "chart-top", empty=~s.has_top),
            _chart(t("Загрузка по дням недели и часам, %"), s.fig_heatmap, "chart-heatmap", span=3),
            **grid,
        ),
        plan_figures(),
        rx.cond(~s.owner_view, rx.card(
            rx.vstack(rx.text(t("География поисков"), weight="bold", size="3"),
                      map_frame(s.map_url, "360px", "search-map"), spacing="2", width="100%"),
            width="100%")),
        spacing="3", width="100%",
    )


def dashboard_page() -> rx.Component:
    s = DashboardState
    return page_frame(rx.vstack(
        rx.cond(s.owner_view, rx.fragment(), admin_nav("/admin")),
        rx.hstack(
            rx.heading(rx.cond(s.owner_view, t("Аналитика моих пространств"), t("Панель оператора")), size="6"),
            rx.text(s.period_text, size="2", color=rx.color("gray", 10)),
            align="baseline", spacing="3", wrap="wrap",
        ),
        rx.cond(
            s.allowed,
            rx.vstack(
                _filters(),
                rx.cond(s.error != "", rx.callout(s.error, icon="triangle-alert", color_scheme="red", size="1")),
                rx.cond(s.loading, rx.grid(*[rx.skeleton(height="96px") for _ in range(8)],
                                           columns=rx.breakpoints(initial="2", lg="4"), spacing="3", width="100%"),
                        _board()),
                spacing="3", width="100%",
            ),
            no_access(),
        ),
        spacing="3", width="100%",
    ), wide=True)
