"""/admin/tables: the operator's data tables."""

from __future__ import annotations

import reflex as rx

from coworking_app.formatting import ROLE_LABELS
from pages.admin import admin_nav, no_access
from pages.components import date_range, empty_state, pager
from pages.layout import page_frame
from state.admin_tables import AdminTableState, ColumnView, RowView
from state.lang import t

TABLE_LABELS = [("bookings", t("Брони")), ("spaces", t("Пространства")), ("users", t("Пользователи")),
                ("payments", t("Платежи"))]


def _choice(placeholder: str, name: str, value, choices) -> rx.Component:
    s = AdminTableState
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, aria_label={"status": t("Статус"), "type": t("Тип")}.get(name, placeholder), custom_attrs={"data-testid": f"filter-{name}"}),
        rx.select.content(rx.select.item(placeholder, value="all"),
                          rx.foreach(choices, lambda c: rx.select.item(c[1], value=c[0]))),
        value=rx.cond(value == "", "all", value), on_change=lambda v: s.set_filter(name, v), size="2",
    )


def _filters() -> rx.Component:
    s = AdminTableState
    return rx.flex(
        rx.input(placeholder=t("Поиск"), value=s.q, on_change=lambda v: s.set_filter("q", v), debounce_timeout=400,
                 size="2", width=rx.breakpoints(initial="100%", sm="200px"),
                 custom_attrs={"data-testid": "filter-q"}),
        rx.input(placeholder="ID", value=s.row_id, on_change=lambda v: s.set_filter("row_id", v), debounce_timeout=400,
                 size="2", width="90px", input_mode="numeric"),
        _choice(t("Все статусы"), "status", s.status, s.status_choices),
        _choice(t("Все типы"), "type", s.kind, s.type_choices),
        date_range(s.date_from, s.date_to, lambda v: s.set_filter("date_from", v),
                   lambda v: s.set_filter("date_to", v)),
        rx.button(rx.icon("x", size=14), t("Сбросить"), variant="ghost", size="2", color_scheme="gray",
                  on_click=s.reset_filters),
        rx.spacer(),
        rx.cond((s.table == "users") & s.is_admin,
                rx.button(rx.icon("user-plus", size=14), t("Новый пользователь"), size="2", on_click=s.start_create_user)),
        rx.button(rx.cond(s.exporting == "xlsx", rx.spinner(size="1"), rx.icon("file-spreadsheet", size=14)),
                  "Excel", variant="soft", size="2", disabled=s.exporting != "", on_click=s.export("xlsx"),
                  custom_attrs={"data-testid": "export-xlsx"}),
        rx.button(rx.cond(s.exporting == "pdf", rx.spinner(size="1"), rx.icon("file-text", size=14)),
                  "PDF", variant="soft", size="2", disabled=s.exporting != "", on_click=s.export("pdf"),
                  custom_attrs={"data-testid": "export-pdf"}),
        spacing="2", wrap="wrap", align="center", width="100%",
    )


def _header(column: ColumnView) -> rx.Component:
    s = AdminTableState
    arrow = rx.cond(s.sort == column.key, rx.icon("arrow-up", size=12),
                    rx.cond(s.sort == "-" + column.key, rx.icon("arrow-down", size=12), rx.fragment()))
    return rx.table.column_header_cell(
        rx.hstack(rx.text(column.label), arrow, spacing="1", align="center", cursor="pointer",
                  on_click=s.sort_by(column.key)),
        white_space="nowrap", text_align=rx.cond(column.numeric, "right", "left"),
    )


def _cell(cell) -> rx.Component:
    return rx.table.cell(
        rx.cond(cell[0] == "badge", rx.badge(cell[1], variant="soft", color_scheme="gray"), rx.text(cell[1])),
        white_space="nowrap", max_width="260px", overflow="hidden", text_overflow="ellipsis",
    )


def _row(row: RowView) -> rx.Component:
    s = AdminTableState
    return rx.table.row(
        rx.foreach(row.cells, _cell),
        rx.table.cell(rx.hstack(
            rx.cond(row.href != "", rx.link(rx.icon("external-link", size=14), href=row.href,
                                            aria_label=t("Открыть страницу"), title=t("Открыть страницу"))),
            rx.cond(row.actions.length() > 0, rx.menu.root(
                rx.menu.trigger(rx.icon_button(rx.icon("ellipsis", size=14), size="1", variant="soft",
                                               aria_label=t("Действия"), title=t("Действия"),
                                               custom_attrs={"data-testid": "row-actions"})),
                rx.menu.content(rx.foreach(row.actions, lambda a: rx.menu.item(
                    a[1], on_click=s.row_action(a[0], row.id), custom_attrs={"data-action": a[0]}))),
            )),
            spacing="1", justify="end",
        )),
        custom_attrs={"data-testid": "table-row", "data-id": row.id},
    )


def _action_dialog() -> rx.Component:
    s = AdminTableState
    needs_reason = (s.action == "cancel") | (s.action == "hide")
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(s.action_title),
        rx.cond(needs_reason, rx.vstack(
            rx.text(rx.cond(s.action == "hide", t("Владелец увидит причину."),
                            t("Причину увидят гость и владелец; оплата вернётся полностью.")), size="2",
                    color=rx.color("gray", 11)),
            rx.text_area(value=s.reason, on_change=s.set_reason, rows="3", width="100%",
                         placeholder=t("Причина"), custom_attrs={"data-testid": "action-reason"}),
            spacing="2", width="100%")),
        rx.cond(s.action == "roles", rx.vstack(
            *[rx.checkbox(t(label), checked=s.roles.contains(code), on_change=lambda on, c=code: s.toggle_role(c, on))
              for code, label in ROLE_LABELS.source().items()],
            spacing="2")),
        rx.cond(s.action == "create", rx.vstack(
            rx.input(placeholder="Email", value=s.new_user["email"], on_change=lambda v: s.set_new_user("email", v),
                     width="100%", custom_attrs={"data-testid": "new-user-email"}),
            rx.input(placeholder=t("Имя"), value=s.new_user["full_name"],
                     on_change=lambda v: s.set_new_user("full_name", v), width="100%"),
            rx.input(placeholder=t("Пароль (от 10 символов)"), type="password", value=s.new_user["password"],
                     on_change=lambda v: s.set_new_user("password", v), width="100%"),
            rx.select.root(rx.select.trigger(width="100%", aria_label=t("Роль")),
                           rx.select.content(*[rx.select.item(t(label), value=code) for code, label in ROLE_LABELS.source().items()]),
                           value=s.new_user["role"], on_change=lambda v: s.set_new_user("role", v)),
            rx.text(t("Email будет считаться подтверждённым; передайте пароль человеку лично."), size="1",
                    color=rx.color("gray", 10)),
            spacing="2", width="100%")),
        rx.cond((s.action == "block") | (s.action == "unblock"), rx.text(
            rx.cond(s.action == "block", t("Пользователь сразу выйдет со всех устройств и не сможет войти."),
                    t("Пользователь снова сможет войти.")), size="2", color=rx.color("gray", 11))),
        rx.cond(s.action_error != "", rx.callout(s.action_error, icon="triangle-alert", color_scheme="red",
                                                 size="1", margin_top="8px")),
        rx.flex(
            rx.button(t("Отмена"), variant="soft", color_scheme="gray", on_click=s.close_action),
            rx.button(rx.cond(s.acting, rx.spinner(size="2"), rx.fragment()), t("Подтвердить"),
                      color_scheme=rx.cond((s.action == "cancel") | (s.action == "hide") | (s.action == "block"),
                                           "red", "teal"),
                      disabled=s.acting, on_click=s.confirm_action, custom_attrs={"data-testid": "action-confirm"}),
            spacing="3", justify="end", margin_top="16px",
        ),
    ), open=s.action != "", on_open_change=lambda _open: s.close_action())


def _table() -> rx.Component:
    s = AdminTableState
    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(rx.foreach(s.columns, _header), rx.table.column_header_cell(""))),
                rx.table.body(rx.foreach(s.rows, _row)),
                size="1", variant="surface", width="100%",
            ),
            overflow_x="auto", width="100%",
        ),
        rx.flex(
            rx.text(t("Найдено: "), s.total, size="2", color=rx.color("gray", 11),
                    custom_attrs={"data-testid": "table-total"}),
            rx.cond(s.totals_text != "", rx.text(s.totals_text, size="2", weight="medium")),
            rx.spacer(),
            pager(s.page, s.pages, s.go_page),
            spacing="3", wrap="wrap", align="center", width="100%",
        ),
        spacing="2", width="100%",
    )


def tables_page() -> rx.Component:
    s = AdminTableState
    return page_frame(rx.vstack(
        admin_nav("/admin/tables"),
        rx.heading(t("Таблицы"), size="6"),
        rx.cond(
            s.allowed,
            rx.vstack(
                rx.box(rx.tabs.root(rx.tabs.list(*[rx.tabs.trigger(label, value=value,
                                                                   custom_attrs={"aria-controls": "admin-table"})
                                                   for value, label in TABLE_LABELS]),
                                    value=s.table, on_change=s.set_table, custom_attrs={"data-testid": "table-tabs"}),
                       overflow_x="auto", width="100%"),
                rx.vstack(
                    _filters(),
                    rx.cond(s.error != "", rx.callout(s.error, icon="triangle-alert", color_scheme="red", size="1")),
                    rx.cond(s.loading, rx.skeleton(height="320px", width="100%"),
                            rx.cond(s.total > 0, _table(),
                                    empty_state("search-x", t("Ничего не найдено"),
                                                rx.text(t("Измените фильтры."), size="2", color=rx.color("gray", 11))))),
                    id="admin-table", role="tabpanel", spacing="3", width="100%",
                ),
                _action_dialog(),
                spacing="3", width="100%",
            ),
            no_access(),
        ),
        spacing="3", width="100%",
    ), wide=True)
