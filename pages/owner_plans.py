"""/owner/spaces/<id>/plans: the plans a space sells, their members and money, and the form to
add or change one (state/owner_plans.py)."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, section
from pages.layout import page_frame
from pages.not_found import not_found_content
from state.owner_plans import KINDS, TYPES, Choice, OwnerPlanRow, OwnerPlansState
from state.lang import given, t

S = OwnerPlansState
MUTED = rx.color("gray", 11)


def _error(name: str) -> rx.Component:
    return rx.cond(S.errors.contains(name), rx.text(S.errors[name], size="1", color=rx.color("red", 11),
                                                    id=f"plan-{name}-error", role="alert",
                                                    custom_attrs={"data-testid": "plan-form-error", "data-field": name}))


def _input(name: str, label: str, value, *, hint: str = "", mode: str = "text", placeholder: str = "") -> rx.Component:
    field_id = f"plan-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_size": "var(--font-size-2)", "font_weight": "500"}),
        rx.input(value=value, on_change=lambda v: S.set_field(name, v), id=field_id, input_mode=mode,
                 placeholder=placeholder, width="100%", auto_complete="off",
                 color_scheme=rx.cond(S.errors.contains(name), "red", "gray"),
                 custom_attrs={"data-testid": field_id, "aria-describedby": f"{field_id}-error",
                               "aria-invalid": rx.cond(S.errors.contains(name), "true", "false")}),
        _error(name),
        rx.text(hint, size="1", color=rx.color("gray", 10)) if given(hint) else rx.fragment(),
        spacing="1", width="100%", min_width="0",
    )


def _select(label: str, value, options: list[tuple[str, str]], on_change, test_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.select.root(
            rx.select.trigger(width="100%", aria_label=label, custom_attrs={"data-testid": test_id}),
            rx.select.content(*[rx.select.item(t(text), value=key) for key, text in options]),
            value=value, on_change=on_change,
        ),
        spacing="1", width="100%", min_width="0",
    )


def _place(c: Choice) -> rx.Component:
    return rx.checkbox(c.label, checked=c.checked, on_change=lambda v: S.toggle_place(c.id, v), size="2",
                       custom_attrs={"data-place": c.id})


def _form() -> rx.Component:
    membership = S.kind == "membership"
    return section(
        rx.cond(S.editing_id != 0, t("Изменить абонемент"), t("Новый абонемент")),
        rx.grid(
            _select(t("Что продаёте"), S.kind, KINDS, S.set_kind, "plan-kind"),
            rx.cond(membership, _select(t("Вид абонемента"), S.membership_type, TYPES, S.set_membership_type,
                                        "plan-membership-type")),
            _input("name", t("Название"), S.name, placeholder=t("Например, «10 дней» или «Резидент»")),
            _input("price", rx.cond(membership, t("Цена за месяц, ₽"), t("Цена пакета, ₽")), S.price, mode="decimal"),
            rx.cond(S.kind == "day_pass", _input("days", t("Дней в пакете"), S.days, mode="numeric")),
            rx.cond(~membership, _input("validity_days", t("Срок действия, дней"), S.validity_days, mode="numeric",
                                        hint=t("Считается со дня покупки"))),
            rx.cond(S.kind != "day_pass",
                    _input("credit_hours", rx.cond(membership, t("Часов переговорных в месяц"), t("Часов переговорных")),
                           S.credit_hours, mode="numeric")),
            _input("max_active", t("Броней по абонементу одновременно"), S.max_active, mode="numeric"),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
        ),
        _error("kind"),
        rx.vstack(
            rx.text(rx.match(S.kind,
                             ("credits", t("Какие переговорные")),
                             ("membership", rx.cond((S.membership_type == "hot_desk"), t("Какие места"),
                                                    t("Места, одно из которых закрепляется за участником"))),
                             t("Какие места")),
                    size="2", weight="medium"),
            rx.flex(rx.foreach(S.places, _place), spacing="3", wrap="wrap"),
            _error("resource_ids"),
            rx.cond(membership, rx.text(t("Часы переговорных абонемента действуют во всех переговорных пространства."),
                                        size="1", color=rx.color("gray", 10))),
            spacing="2", width="100%",
        ),
        _input("description", t("Описание (необязательно)"), S.description),
        rx.cond(membership, rx.hstack(rx.switch(checked=S.renews, on_change=S.set_renews, id="plan-renews"),
                                      rx.el.label(t("Продлевать каждый месяц"), html_for="plan-renews"),
                                      align="center", spacing="2")),
        rx.flex(
            rx.cond(S.editing_id != 0, rx.button(t("Отмена"), variant="soft", color_scheme="gray", on_click=S.new_plan)),
            rx.button(rx.cond(S.busy, rx.spinner(size="2"), rx.icon("save", size=14)),
                      rx.cond(S.editing_id != 0, t("Сохранить"), t("Добавить абонемент")),
                      on_click=S.save, disabled=S.busy, custom_attrs={"data-testid": "plan-save"}),
            spacing="3", justify="end", width="100%", wrap="wrap",
        ),
        test_id="plan-form",
    )


def _figure(label: str, value) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color=MUTED), rx.text(value, size="2", weight="medium"),
                     spacing="0", min_width="90px")


def _row(r: OwnerPlanRow) -> rx.Component:
    return rx.box(rx.vstack(
        rx.flex(
            rx.vstack(rx.text(r.name, weight="bold"), rx.text(r.kind_label, size="1", color=MUTED), spacing="0",
                      min_width="0"),
            rx.spacer(),
            rx.text(r.price, " ", r.per, weight="medium", white_space="nowrap"),
            width="100%", spacing="3",
        ),
        rx.foreach(r.terms, lambda t: rx.text("• ", t, size="1", color=MUTED)),
        rx.flex(
            _figure(t("Участников сейчас"), r.members),
            _figure(t("Продано за 30 дней"), r.sold),
            _figure(t("Выручка за 30 дней"), r.revenue),
            spacing="4", wrap="wrap", custom_attrs={"data-testid": "owner-plan-figures"},
        ),
        rx.flex(
            rx.badge(rx.cond(r.active, t("Продаётся"), t("Снят с продажи")), color_scheme=rx.cond(r.active, "green", "gray"),
                     high_contrast=True),
            rx.spacer(),
            rx.button(t("Изменить"), size="1", variant="soft", on_click=S.edit(r.id),
                      custom_attrs={"data-testid": "owner-plan-edit"}),
            rx.button(rx.cond(r.active, t("Снять с продажи"), t("Вернуть в продажу")), size="1", variant="soft",
                      color_scheme="gray", on_click=S.toggle_active(r.id, ~r.active),
                      custom_attrs={"data-testid": "owner-plan-toggle"}),
            spacing="2", align="center", width="100%", wrap="wrap",
        ),
        spacing="2", width="100%",
    ), padding="12px", border=f"1px solid {rx.color('gray', 5)}", border_radius="8px", width="100%",
        custom_attrs={"data-testid": "owner-plan"})


def owner_plans_page() -> rx.Component:
    return page_frame(rx.cond(
        ~S.loaded,
        rx.vstack(rx.skeleton(height="40px", width="50%"), rx.skeleton(height="240px"), width="100%", spacing="3"),
        rx.cond(
            S.found,
            rx.vstack(
                rx.link(rx.hstack(rx.icon("chevron-left", size=16), t("К пространству"), align="center", spacing="1"),
                        href="/owner/spaces/" + S.space_id.to_string(), size="2"),
                rx.heading(t("Абонементы: "), S.space, size="6", custom_attrs={"data-testid": "owner-plans-title"}),
                rx.text(t("Пакеты дней, абонементы на месяц и часы переговорных. Бронь по абонементу стоит гостю 0 ₽, деньги за абонемент приходят сразу при покупке."), size="2", color=MUTED),
                rx.cond(S.message != "", rx.callout(S.message, icon="info", width="100%", role="status",
                                                    custom_attrs={"data-testid": "owner-plans-message"})),
                rx.grid(
                    rx.vstack(
                        rx.cond(S.rows.length() > 0,
                                rx.vstack(rx.foreach(S.rows, _row), spacing="3", width="100%"),
                                rx.card(empty_state("ticket", t("Абонементов пока нет"),
                                                    rx.text(t("Добавьте первый: гости увидят его на странице пространства."), size="2", color=MUTED,
                                                            text_align="center")), width="100%")),
                        spacing="3", width="100%", min_width="0",
                    ),
                    _form(),
                    columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%", align_items="start",
                ),
                spacing="3", width="100%",
            ),
            not_found_content(t("Пространство не найдено"), t("Возможно, оно удалено или принадлежит другому владельцу.")),
        ),
    ), wide=True)
