"""Plans for renters (state/plans.py): the space page's "Абонементы", the test provider's page
for a plan and the cabinet's "Абонементы" (/cabinet/plans)."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, section, test_payment_card
from pages.layout import page_frame
from state.plans import HistoryLine, MyPlansState, PlanCard, PlanCheckoutState, PlanRow, SpacePlansState
from state.lang import t

MUTED = rx.color("gray", 11)


# --- the space page ------------------------------------------------------------------------


def _plan_card(card: PlanCard) -> rx.Component:
    s = SpacePlansState
    return rx.box(
        rx.form(
            rx.vstack(
                rx.flex(
                    rx.vstack(rx.text(card.name, weight="bold", size="3"),
                              rx.text(card.kind_label, size="1", color=MUTED), spacing="0", min_width="0"),
                    rx.spacer(),
                    rx.vstack(rx.text(card.price, weight="bold", size="3", white_space="nowrap",
                                      color=rx.color("accent", 11)),
                              rx.text(card.per, size="1", color=MUTED), spacing="0", align="end"),
                    width="100%", spacing="3",
                ),
                rx.foreach(card.terms, lambda t: rx.hstack(rx.icon("check", size=14, color=rx.color("accent", 10),
                                                                   flex_shrink="0", margin_top="3px"),
                                                           rx.text(t, size="2"), spacing="2", align="start")),
                rx.cond(card.description != "", rx.text(card.description, size="1", color=MUTED)),
                rx.el.input(type="hidden", name="plan_id", value=card.id),
                rx.cond(card.places.length() > 0, rx.vstack(
                    rx.text(t("Место, которое закрепим за вами"), size="1", weight="medium"),
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label=t("Место, которое закрепим за вами"),
                                          custom_attrs={"data-testid": "plan-place"}),
                        rx.select.content(rx.foreach(card.places, lambda o: rx.select.item(o.label, value=o.id))),
                        name="resource_id", default_value=card.places[0].id,
                    ),
                    spacing="1", width="100%")),
                rx.cond((s.error != "") & (s.error_plan == card.id),
                        rx.callout(s.error, icon="triangle-alert", color_scheme="red", size="1", width="100%",
                                   role="alert", custom_attrs={"data-testid": "plan-error"})),
                rx.button(rx.cond(s.buying == card.id, rx.spinner(size="2"), rx.icon("ticket", size=16)),
                          t("Купить"), type="submit", width="100%", variant="soft", disabled=s.buying != 0,
                          custom_attrs={"data-testid": "plan-buy"}),
                spacing="2", width="100%",
            ),
            on_submit=s.buy, reset_on_submit=False, width="100%",
        ),
        padding="12px", border=f"1px solid {rx.color('gray', 5)}", border_radius="8px", width="100%",
        custom_attrs={"data-testid": "plan-card"},
    )


def space_plans() -> rx.Component:
    """Shown when the space sells plans."""
    return rx.cond(
        SpacePlansState.cards.length() > 0,
        rx.box(section(
            t("Абонементы"),
            rx.text(t("Выгоднее, если вы приходите часто: бронируйте по абонементу без оплаты каждой брони."),
                    size="2", color=MUTED),
            rx.grid(rx.foreach(SpacePlansState.cards, _plan_card), columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3", width="100%"),
            test_id="space-plans",
        ), id="plans", scroll_margin_top="72px", width="100%"),
    )


# --- the test provider's page --------------------------------------------------------------


def plan_checkout_page() -> rx.Component:
    c = PlanCheckoutState
    return page_frame(test_payment_card(
        c, rx.fragment(rx.cond(c.renewal, t("Продление абонемента «"), t("Абонемент «")), c.name, t("»")),
        [(t("Пространство"), c.space, "plan-checkout-space"), (t("Период"), c.period, "plan-checkout-period"),
         (t("Закреплено за вами"), c.held, "plan-checkout-held", c.held != "")],
        prefix="plan-checkout", payable=(c.status == "pending") & (c.purchase_status == "pending_payment"),
        after=rx.vstack(
            rx.cond(c.purchase_status == "active",
                    rx.callout(t("Этот абонемент уже оплачен."), icon="circle-check", color_scheme="green", high_contrast=True,
                               width="100%")),
            rx.link(rx.button(t("К абонементам"), variant="soft"), href="/cabinet/plans"),
            spacing="3", width="100%",
        ),
        back=(t("К абонементам"), "/cabinet/plans"),
    ))


# --- the cabinet ---------------------------------------------------------------------------


def _history_line(h: HistoryLine) -> rx.Component:
    return rx.flex(rx.text(h.when, size="1", color=MUTED, white_space="nowrap", min_width="110px"),
                   rx.text(h.text, size="1"), spacing="2", wrap="wrap", custom_attrs={"data-testid": "plan-history-line"})


def _my_plan(r: PlanRow) -> rx.Component:
    m = MyPlansState
    status_color = rx.match(r.status, ("active", "green"), ("pending_payment", "amber"), "gray")
    return rx.card(rx.vstack(
        rx.flex(
            rx.vstack(
                rx.text(r.name, weight="bold", size="3"),
                rx.link(r.space, href=r.space_href, size="2"),
                rx.text(r.kind_label, size="1", color=MUTED),
                spacing="0", min_width="0",
            ),
            rx.spacer(),
            rx.badge(r.status_label, color_scheme=status_color, high_contrast=True,
                     custom_attrs={"data-testid": "plan-status"}),
            width="100%", spacing="3", align="start",
        ),
        rx.grid(
            rx.vstack(rx.text(t("Период"), size="1", color=MUTED), rx.text(r.period, size="2"), spacing="0"),
            rx.vstack(rx.text(t("Осталось"), size="1", color=MUTED),
                      rx.text(r.left, size="2", weight="medium", custom_attrs={"data-testid": "plan-left"}), spacing="0"),
            rx.cond(r.held != "", rx.vstack(rx.text(t("Закреплено"), size="1", color=MUTED), rx.text(r.held, size="2"),
                                            spacing="0")),
            rx.vstack(rx.text(t("Цена"), size="1", color=MUTED), rx.text(r.amount, size="2"), spacing="0"),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
        ),
        rx.cond(r.renewal != "", rx.text(r.renewal, size="2", custom_attrs={"data-testid": "plan-renewal"})),
        rx.flex(
            rx.cond(r.payable_id != 0,
                    rx.button(rx.cond(m.busy_id == r.payable_id, rx.spinner(size="2"), rx.icon("credit-card", size=16)),
                              rx.cond(r.status == "pending_payment", t("Оплатить"), t("Оплатить продление")),
                              on_click=m.pay(r.payable_id), disabled=m.busy_id != 0,
                              custom_attrs={"data-testid": "plan-pay"})),
            rx.cond(r.status == "active", rx.link(rx.button(rx.icon("calendar-plus", size=16), t("Забронировать"),
                                                            variant="soft"), href=r.space_href)),
            rx.cond(r.can_cancel_renewal,
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(rx.button(t("Отключить продление"), variant="soft", color_scheme="gray",
                                                          disabled=m.busy_id != 0,
                                                          custom_attrs={"data-testid": "plan-cancel-renewal"})),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title(t("Отключить продление?")),
                            rx.alert_dialog.description(
                                t("Оплаченный месяц действует до конца, следующий не начнётся. Пока месяц идёт, продление можно включить снова."), size="2"),
                            rx.flex(
                                rx.alert_dialog.cancel(rx.button(t("Оставить"), variant="soft", color_scheme="gray")),
                                rx.alert_dialog.action(rx.button(t("Отключить"), color_scheme="red",
                                                                 on_click=m.cancel_renewal(r.id),
                                                                 custom_attrs={"data-testid": "plan-cancel-confirm"})),
                                spacing="3", justify="end", margin_top="16px",
                            ),
                        ),
                    )),
            rx.cond(r.paid, rx.button(rx.icon("file-text", size=16), t("Чек (PDF)"), variant="soft", color_scheme="gray",
                                      on_click=m.receipt(r.id), custom_attrs={"data-testid": "plan-receipt"})),
            rx.cond(r.can_resume_renewal,
                    rx.button(t("Включить продление"), variant="soft", on_click=m.resume_renewal(r.id),
                              disabled=m.busy_id != 0, custom_attrs={"data-testid": "plan-resume-renewal"})),
            spacing="2", wrap="wrap",
        ),
        rx.cond(r.history.length() > 0, rx.el.details(
            rx.el.summary(rx.text(t("История"), size="2", as_="span"), cursor="pointer"),
            rx.vstack(rx.foreach(r.history, _history_line), spacing="1", padding_top="6px"),
            width="100%",
        )),
        spacing="3", width="100%",
    ), width="100%", custom_attrs={"data-testid": "my-plan"})


def my_plans_page() -> rx.Component:
    m = MyPlansState
    return page_frame(
        rx.vstack(
            rx.heading(t("Абонементы"), size="6", custom_attrs={"data-testid": "plans-title"}),
            rx.cond(m.note != "", rx.callout(m.note, icon="info", color_scheme=m.note_color, high_contrast=True, width="100%",
                                             role="status", custom_attrs={"data-testid": "plans-note"})),
            rx.cond(
                ~m.loaded,
                rx.vstack(rx.skeleton(height="160px", width="100%"), rx.skeleton(height="160px", width="100%"),
                          width="100%", spacing="3"),
                rx.cond(
                    m.rows.length() > 0,
                    rx.vstack(rx.foreach(m.rows, _my_plan), spacing="3", width="100%"),
                    empty_state("ticket", t("Абонементов пока нет"),
                                rx.text(t("Пакеты дней, абонементы на месяц и часы переговорных продаются на страницах пространств."), size="2", color=MUTED, text_align="center"),
                                rx.link(rx.button(t("Найти коворкинг")), href="/search")),
                ),
            ),
            spacing="4", width="100%", max_width="760px",
        ),
    )
