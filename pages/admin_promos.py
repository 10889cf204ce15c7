"""/admin/promos: promo codes of the network and of single spaces."""

from __future__ import annotations

import reflex as rx

from pages.admin import admin_nav, no_access
from pages.components import date_input, empty_state, section
from pages.layout import page_frame
from state.admin_promos import PromoRow, PromoState
from state.lang import t


def _field(label, name: str, value, **props) -> rx.Component:
    s = PromoState
    wrong = s.error_field == name
    return rx.vstack(
        rx.el.label(label, html_for=f"promo-{name}", style={"font_size": "var(--font-size-1)",
                                                            "color": "var(--gray-11)"}),
        date_input(value, lambda v: s.set_field(name, v), label=label, test_id=f"promo-{name}",
                   id=f"promo-{name}", width="100%")
        if props.get("type") == "date" else
        rx.input(value=value, on_change=lambda v: s.set_field(name, v), size="2", width="100%",
                 id=f"promo-{name}", color_scheme=rx.cond(wrong, "red", "gray"),
                 custom_attrs={"data-testid": f"promo-{name}", "aria-invalid": rx.cond(wrong, "true", "false")},
                 **props),
        rx.cond(wrong, rx.text(s.error, size="1", color=rx.color("red", 11),
                               custom_attrs={"data-testid": "promo-field-error"})),
        spacing="1", width="100%", min_width="0",
    )


def _form() -> rx.Component:
    s = PromoState
    return section(
        t("Новый промокод"),
        rx.grid(
            _field(t("Код"), "code", s.code, placeholder="SPRING10"),
            rx.vstack(
                rx.text(t("Скидка"), size="1", color=rx.color("gray", 11)),
                rx.select.root(rx.select.trigger(aria_label=t("Вид скидки")),
                               rx.select.content(rx.select.item(t("Процент"), value="percent"),
                                                 rx.select.item(t("Сумма, ₽"), value="fixed")),
                               value=s.kind, on_change=lambda v: s.set_field("kind", v), size="2"),
                spacing="1", width="100%"),
            _field(rx.cond(s.kind == "percent", t("Процент"), t("Сумма, ₽")), "value", s.value, input_mode="decimal"),
            _field(t("Действует до"), "until", s.until, type="date"),
            _field(t("Всего использований"), "max_total", s.max_total, input_mode="numeric", placeholder=t("без лимита")),
            _field(t("На человека"), "per_user", s.per_user, input_mode="numeric"),
            _field(t("Минимальная сумма, ₽"), "min_amount", s.min_amount, input_mode="decimal"),
            _field(t("ID пространства"), "space", s.space, input_mode="numeric", placeholder=t("вся сеть")),
            columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%",
        ),
        rx.cond((s.error != "") & (s.error_field == ""),
                rx.callout(s.error, icon="triangle-alert", color_scheme="red", size="1",
                           custom_attrs={"data-testid": "promo-error"})),
        rx.button(rx.cond(s.saving, rx.spinner(size="2"), rx.icon("plus", size=14)), t("Создать"), on_click=s.create,
                  disabled=s.saving, custom_attrs={"data-testid": "promo-create"}),
    )


def _row(p: PromoRow) -> rx.Component:
    s = PromoState
    busy = s.busy_id == p.id
    return rx.table.row(
        rx.table.cell(rx.code(p.code, variant="ghost", weight="bold")),
        rx.table.cell(p.discount),
        rx.table.cell(p.where),
        rx.table.cell(p.period, white_space="nowrap"),
        rx.table.cell(p.limits),
        rx.table.cell(p.uses, text_align="right"),
        rx.table.cell(rx.badge(rx.cond(p.active, t("действует"), t("не действует")),
                               color_scheme=rx.cond(p.active, "green", "gray"), variant="soft")),
        rx.table.cell(rx.hstack(
            rx.cond(p.active, rx.button(t("Завершить"), size="1", variant="soft", color_scheme="amber", disabled=busy,
                                        on_click=s.ask("end", p.id), custom_attrs={"data-testid": "promo-end"})),
            rx.cond(p.uses == 0, rx.button(t("Удалить"), size="1", variant="soft", color_scheme="red", disabled=busy,
                                           on_click=s.ask("delete", p.id),
                                           custom_attrs={"data-testid": "promo-delete"})),
            spacing="2", justify="end")),
        custom_attrs={"data-testid": "promo-row"},
    )


def _confirm() -> rx.Component:
    s = PromoState
    return rx.alert_dialog.root(rx.alert_dialog.content(
        rx.alert_dialog.title(rx.cond(s.confirming == "end", t("Завершить промокод "), t("Удалить промокод ")),
                              s.confirm_code, "?"),
        rx.alert_dialog.description(rx.cond(
            s.confirming == "end",
            t("С этой минуты новые брони код не примут; брони, уже оформленные с ним, сохранят скидку."),
            t("Кодом ещё никто не воспользовался: он исчезнет из списка (запись останется в журнале аудита).")),
            size="2"),
        rx.flex(
            rx.alert_dialog.cancel(rx.button(t("Не надо"), variant="soft", color_scheme="gray", on_click=s.cancel_ask)),
            rx.alert_dialog.action(rx.button(rx.cond(s.confirming == "end", t("Завершить"), t("Удалить")),
                                             color_scheme="red", on_click=s.act,
                                             custom_attrs={"data-testid": "promo-confirm"})),
            spacing="3", justify="end", margin_top="16px", wrap="wrap",
        ),
    ), open=s.confirming != "")


def promos_page() -> rx.Component:
    s = PromoState
    headers = [t("Код"), t("Скидка"), t("Где"), t("Срок"), t("Ограничения"), t("Броней"), t("Статус"), ""]
    return page_frame(rx.vstack(
        admin_nav("/admin/promos"),
        rx.heading(t("Промокоды"), size="6"),
        rx.cond(
            s.allowed,
            rx.vstack(
                _form(),
                rx.input(placeholder=t("Поиск по коду или пространству"), value=s.q, on_change=s.set_q,
                         debounce_timeout=400, size="2", width=rx.breakpoints(initial="100%", sm="320px")),
                rx.cond(s.loading, rx.skeleton(height="200px", width="100%"),
                        rx.cond(s.rows.length() > 0,
                                rx.box(rx.table.root(
                                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                                    rx.table.body(rx.foreach(s.rows, _row)), size="1", variant="surface",
                                    width="100%"), overflow_x="auto", width="100%"),
                                empty_state("ticket-percent", t("Промокодов нет"),
                                            rx.text(t("Создайте первый код формой выше."), size="2",
                                                    color=rx.color("gray", 11))))),
                spacing="3", width="100%",
            ),
            no_access(),
        ),
        _confirm(),
        spacing="3", width="100%",
    ), wide=True)
