"""/admin/finance: the ledger check, payouts, penalties and commissions (state/admin_finance.py)."""

from __future__ import annotations

import reflex as rx

from pages.admin import admin_nav, no_access
from pages.admin_invoices import invoices_tab, paid_dialog, reconciliation_tab
from pages.components import empty_state, scroll_table
from state.admin_finance import PAYOUT_FILTERS, PENALTY_FILTERS, AdminFinanceState, DiffRow, PayoutRow, PenaltyRow
from pages.layout import page_frame
from state.lang import t

GRAY = rx.color("gray", 11)
PAYOUT_COLORS = {"pending": "blue", "paid": "green", "failed": "red", "rolled_over": "amber"}
LABEL_STYLE = {"font_size": "var(--font-size-2)", "font_weight": "500"}


def _select(value, on_change, label: str, test_id: str, *items) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, custom_attrs={"data-testid": test_id}),
        rx.select.content(*items),
        value=value, on_change=on_change, size="2")


def _options(options: list[tuple[str, str]]) -> list[rx.Component]:
    return [rx.select.item(t(text), value=value) for value, text in options]


def _month_options() -> rx.Component:
    return rx.foreach(AdminFinanceState.months, lambda o: rx.select.item(o[1], value=o[0]))


# --- the ledger check ------------------------------------------------------------------------------


def _difference(d: DiffRow) -> rx.Component:
    return rx.table.row(rx.table.cell(d.kind), rx.table.cell(rx.code(d.reference, variant="ghost")),
                        rx.table.cell(d.kept, text_align="right"), rx.table.cell(d.counted, text_align="right"),
                        custom_attrs={"data-testid": "ledger-difference"})


def _ledger() -> rx.Component:
    s = AdminFinanceState
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.cond(
                    ~s.checked,
                    rx.hstack(rx.spinner(size="2"), rx.text(t("Проверяем книгу…"), size="2"), align="center"),
                    rx.cond(
                        s.balanced,
                        rx.hstack(rx.icon("circle-check", color=rx.color("green", 10), size=20, aria_hidden="true"),
                                  rx.text(t("Книга сходится"), weight="bold", size="3"), align="center",
                                  custom_attrs={"data-testid": "ledger-balanced"}),
                        rx.hstack(rx.icon("circle-alert", color=rx.color("red", 10), size=20, aria_hidden="true"),
                                  rx.text(t("Книга не сходится: расхождений "), s.differences.length(), weight="bold",
                                          size="3", color=rx.color("red", 11)),
                                  align="center", custom_attrs={"data-testid": "ledger-unbalanced"}),
                    ),
                ),
                rx.text(s.check_summary, size="1", color=rx.color("gray", 10)),
                rx.spacer(),
                rx.button(rx.cond(s.checking, rx.spinner(size="1"), rx.icon("refresh-cw", size=14)),
                          t("Проверить сейчас"), size="2", variant="soft", on_click=s.check_ledger,
                          disabled=s.checking, custom_attrs={"data-testid": "ledger-check"}),
                spacing="3", align="center", wrap="wrap", width="100%",
            ),
            rx.cond(s.differences.length() > 0,
                    scroll_table([t("Что не так"), t("Где"), t("Записано, коп."), t("По проводкам, коп.")],
                           rx.foreach(s.differences, _difference), "ledger-differences", t("Расхождения книги"))),
            spacing="3", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "ledger"},
    )


# --- payouts -----------------------------------------------------------------------------------------


def _payout(p: PayoutRow) -> rx.Component:
    s = AdminFinanceState
    # Who, how much and what state first: on a phone the rest scrolls.
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(p.owner, size="2", weight="medium"),
                                rx.text(p.owner_email, size="1", color=rx.color("gray", 10)), spacing="0")),
        rx.table.cell(rx.vstack(rx.text(p.amount, weight="bold", white_space="nowrap"),
                                rx.text(p.breakdown, size="1", color=rx.color("gray", 10), min_width="180px"),
                                spacing="0")),
        rx.table.cell(rx.vstack(
            rx.badge(p.status_label, variant="soft", color_scheme=rx.match(p.status, *PAYOUT_COLORS.items(), "gray"),
                     high_contrast=True, custom_attrs={"data-testid": "payout-status"}),
            rx.cond(p.note != "", rx.text(p.note, size="1", color=GRAY, max_width="240px")),
            spacing="1")),
        rx.table.cell(rx.hstack(
            rx.cond(s.is_admin & p.pending, rx.fragment(
                rx.button(t("Выплачено"), size="1", on_click=s.ask_payout("paid", p.id),
                          custom_attrs={"data-testid": "payout-paid"}),
                rx.button(t("Не прошла"), size="1", variant="soft", color_scheme="red",
                          on_click=s.ask_payout("failed", p.id), custom_attrs={"data-testid": "payout-failed"}),
            )),
            rx.icon_button(rx.icon("file-down", size=14), size="1", variant="soft", color_scheme="gray",
                           on_click=s.download_statement(p.id), aria_label=t("Отчёт № ") + p.number.to_string() + ", PDF",
                           title=t("Отчёт владельцу, PDF"), custom_attrs={"data-testid": "payout-pdf"}),
            spacing="2")),
        rx.table.cell(rx.vstack(rx.text(p.period, white_space="nowrap"),
                                rx.text(t("отчёт № "), p.number, size="1", color=rx.color("gray", 10)), spacing="0")),
        rx.table.cell(p.bank, white_space="nowrap"),
        custom_attrs={"data-testid": "payout-row", "data-id": p.id, "data-status": p.status},
    )


def _run_box() -> rx.Component:
    s = AdminFinanceState
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(t("Провести выплаты за месяц"), weight="bold", size="3"),
                rx.text(t("То же, что 1-го числа: отчёт каждому владельцу и перевод, если сумма не меньше минимальной и есть реквизиты. Кому уже заплатили за месяц, второй раз не заплатим."),
                        size="1", color=GRAY),
                spacing="1", flex="1", min_width="220px",
            ),
            rx.hstack(
                _select(s.run_month, s.set_run_month, t("Месяц выплаты"), "payout-run-month", _month_options()),
                rx.button(rx.cond(s.running, rx.spinner(size="2"), rx.icon("play", size=14)), t("Провести"),
                          on_click=s.run_payouts, disabled=s.running, custom_attrs={"data-testid": "payout-run"}),
                spacing="2", align="center", wrap="wrap",
            ),
            spacing="3", align="center", wrap="wrap", width="100%",
        ),
        width="100%",
    )


def _payouts_tab() -> rx.Component:
    s = AdminFinanceState
    return rx.vstack(
        rx.cond(s.is_admin, _run_box()),
        rx.flex(
            _select(s.status_filter, s.set_status_filter, t("Статус выплаты"), "payout-filter-status",
                    *_options(PAYOUT_FILTERS)),
            _select(s.month_filter, s.set_month_filter, t("Месяц"), "payout-filter-month",
                    rx.select.item(t("Все месяцы"), value="all"), _month_options()),
            rx.icon_button(rx.icon("refresh-cw", size=14), size="2", variant="soft", color_scheme="gray",
                           on_click=s.refresh, aria_label=t("Обновить список"), title=t("Обновить список"),
                           custom_attrs={"data-testid": "payout-refresh"}),
            spacing="2", wrap="wrap", align="center",
        ),
        rx.cond(
            s.payout_rows.length() > 0,
            scroll_table([t("Владелец"), t("Сумма"), t("Статус"), "", t("Месяц"), t("Счёт")], rx.foreach(s.payout_rows, _payout),
                   "payouts-table", t("Выплаты владельцам")),
            empty_state("banknote", t("Выплат нет"),
                        rx.text(t("Выплаты появляются после месячного расчёта: 1-го числа или по кнопке выше."),
                                size="2", color=GRAY, text_align="center")),
        ),
        spacing="3", width="100%",
    )


def _payout_dialog() -> rx.Component:
    s = AdminFinanceState
    paid = s.dialog == "paid"
    wrong = s.dialog_error != ""
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(rx.cond(paid, t("Выплата проведена банком"), t("Выплата не прошла"))),
        rx.dialog.description(s.dialog_title, size="2", color=GRAY),
        rx.form(
            rx.vstack(
                rx.el.label(rx.cond(paid, t("Номер платёжного поручения или референс банка"),
                                    t("Почему не прошла — владелец увидит это")),
                            html_for="payout-dialog-text", style=LABEL_STYLE),
                rx.cond(paid,
                        rx.input(value=s.dialog_text, on_change=s.set_dialog_text, id="payout-dialog-text", name="text",
                                 placeholder=t("п/п № 123 от 02.12.2026"), width="100%", auto_focus=True,
                                 color_scheme=rx.cond(wrong, "red", "gray"),
                                 custom_attrs={"data-testid": "payout-dialog-text",
                                               "aria-invalid": rx.cond(wrong, "true", "false"),
                                               "aria-describedby": "payout-dialog-error"}),
                        rx.text_area(value=s.dialog_text, on_change=s.set_dialog_text, id="payout-dialog-text", name="text",
                                     placeholder=t("Например: счёт получателя закрыт"), width="100%", rows="3",
                                     auto_focus=True, color_scheme=rx.cond(wrong, "red", "gray"),
                                     custom_attrs={"data-testid": "payout-dialog-text",
                                                   "aria-invalid": rx.cond(wrong, "true", "false"),
                                                   "aria-describedby": "payout-dialog-error"})),
                rx.cond(~paid, rx.text(t("Сумма вернётся на баланс владельца и уйдёт со следующей выплатой."),
                                       size="1", color=GRAY)),
                rx.cond(wrong, rx.text(s.dialog_error, size="1", color=rx.color("red", 11), role="alert",
                                       id="payout-dialog-error", custom_attrs={"data-testid": "payout-dialog-error"})),
                rx.flex(
                    rx.dialog.close(rx.button(t("Отмена"), type="button", variant="soft", color_scheme="gray",
                                              on_click=s.close_dialog)),
                    rx.button(rx.cond(s.dialog_busy, rx.spinner(size="2"), rx.fragment()),
                              rx.cond(paid, t("Отметить выплаченной"), t("Отметить: не прошла")), type="submit",
                              color_scheme=rx.cond(paid, "green", "red"), disabled=s.dialog_busy,
                              custom_attrs={"data-testid": "payout-dialog-confirm"}),
                    spacing="3", justify="end", width="100%", wrap="wrap",
                ),
                spacing="3", width="100%", margin_top="12px",
            ),
            on_submit=s.confirm_payout, reset_on_submit=False,
        ),
        max_width="520px", custom_attrs={"data-testid": "payout-dialog"},
    ), open=s.dialog != "", on_open_change=lambda _open: s.close_dialog())


# --- penalties ---------------------------------------------------------------------------------------


def _penalty(p: PenaltyRow) -> rx.Component:
    s = AdminFinanceState
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(p.booking, white_space="nowrap"),
                                rx.text(p.day, size="1", color=rx.color("gray", 10)), spacing="0")),
        rx.table.cell(p.amount, white_space="nowrap"),
        rx.table.cell(rx.vstack(
            rx.badge(p.status_label, variant="soft", high_contrast=True, color_scheme=rx.cond(p.charged, "amber", "gray"),
                     custom_attrs={"data-testid": "penalty-status"}),
            rx.cond(p.reason != "", rx.text(p.reason, size="1", color=GRAY, max_width="240px")),
            spacing="1")),
        rx.table.cell(rx.cond(s.is_admin & p.charged,
                              rx.button(t("Отменить штраф"), size="1", variant="soft", color_scheme="red",
                                        on_click=s.ask_waive(p.id), custom_attrs={"data-testid": "penalty-waive"}))),
        rx.table.cell(p.kind),
        rx.table.cell(p.space),
        custom_attrs={"data-testid": "penalty-row", "data-id": p.id},
    )


def _penalties_tab() -> rx.Component:
    s = AdminFinanceState
    return rx.vstack(
        _select(s.penalty_filter, s.set_penalty_filter, t("Статус штрафа"), "penalty-filter", *_options(PENALTY_FILTERS)),
        rx.cond(
            s.penalty_rows.length() > 0,
            scroll_table([t("Бронь"), t("Сумма"), t("Статус"), "", t("За что"), t("Пространство")],
                   rx.foreach(s.penalty_rows, _penalty), "penalties-table", t("Штрафы")),
            empty_state("scale", t("Штрафов нет"),
                        rx.text(t("Штраф удерживается при поздней отмене или неявке по правилам пространства."),
                                size="2", color=GRAY, text_align="center")),
        ),
        spacing="3", width="100%",
    )


def _waive_dialog() -> rx.Component:
    s = AdminFinanceState
    wrong = s.waive_error != ""
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(t("Отменить штраф")),
        rx.dialog.description(s.waive_title, size="2", color=GRAY),
        rx.form(
            rx.vstack(
                rx.el.label(t("Причина — попадёт в журнал аудита и в уведомление гостю"), html_for="waive-reason",
                            style=LABEL_STYLE),
                rx.text_area(value=s.waive_reason, on_change=s.set_waive_reason, id="waive-reason", name="reason", rows="3",
                             placeholder=t("Например: гость не смог прийти из-за закрытого метро"), width="100%",
                             auto_focus=True, color_scheme=rx.cond(wrong, "red", "gray"),
                             custom_attrs={"data-testid": "waive-reason",
                                           "aria-invalid": rx.cond(wrong, "true", "false"),
                                           "aria-describedby": "waive-error"}),
                rx.text(t("Удержанные деньги вернутся гостю тем же способом, каким он платил."), size="1", color=GRAY),
                rx.cond(wrong, rx.text(s.waive_error, size="1", color=rx.color("red", 11), role="alert",
                                       id="waive-error", custom_attrs={"data-testid": "waive-error"})),
                rx.flex(
                    rx.dialog.close(rx.button(t("Не отменять"), type="button", variant="soft", color_scheme="gray",
                                              on_click=s.close_waive)),
                    rx.button(rx.cond(s.waive_busy, rx.spinner(size="2"), rx.fragment()), t("Отменить штраф"),
                              type="submit", color_scheme="red", disabled=s.waive_busy,
                              custom_attrs={"data-testid": "waive-confirm"}),
                    spacing="3", justify="end", width="100%", wrap="wrap",
                ),
                spacing="3", width="100%", margin_top="12px",
            ),
            on_submit=s.confirm_waive, reset_on_submit=False,
        ),
        max_width="520px", custom_attrs={"data-testid": "waive-dialog"},
    ), open=s.waive_id > 0, on_open_change=lambda _open: s.close_waive())


# --- commission ---------------------------------------------------------------------------------------


def _commission_field(name: str, label: str, value, placeholder: str, **props) -> rx.Component:
    s = AdminFinanceState
    wrong = s.com_error_field == name
    return rx.vstack(
        rx.el.label(label, html_for=f"commission-{name}", style=LABEL_STYLE),
        rx.input(value=value, on_change=lambda v: s.set_commission_field(name, v), id=f"commission-{name}", name=name,
                 placeholder=placeholder, width="100%", color_scheme=rx.cond(wrong, "red", "gray"),
                 custom_attrs={"data-testid": f"commission-{name}", "aria-invalid": rx.cond(wrong, "true", "false"),
                               "aria-describedby": f"commission-{name}-error"}, **props),
        rx.cond(wrong, rx.text(s.com_error, size="1", color=rx.color("red", 11), role="alert",
                               id=f"commission-{name}-error", custom_attrs={"data-testid": "commission-error"})),
        spacing="1", width="100%", min_width="0",
    )


def _commission_tab() -> rx.Component:
    s = AdminFinanceState
    return rx.card(
        rx.vstack(
            rx.text(t("Комиссия владельца"), weight="bold", size="3"),
            rx.text(t("Стандартная комиссия — "), s.default_commission, t(" от цены брони без НДС. Новая ставка действует для денег, которые поступят с этой минуты; прошлые брони сохраняют свою."),
                    size="2", color=GRAY),
            rx.cond(
                s.is_admin,
                rx.form(
                    rx.vstack(
                        rx.grid(
                            _commission_field("owner", t("Владелец: ID или email"), s.com_owner, "owner@example.ru"),
                            _commission_field("percent", t("Комиссия, %"), s.com_percent, "12,5", input_mode="decimal"),
                            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
                        ),
                        rx.cond((s.com_error != "") & (s.com_error_field == ""),
                                rx.callout(s.com_error, icon="triangle-alert", color_scheme="red", size="1",
                                           role="alert", width="100%")),
                        rx.cond(s.com_result != "",
                                rx.callout(s.com_result, icon="circle-check", color_scheme="green", high_contrast=True, size="1",
                                           width="100%", custom_attrs={"data-testid": "commission-result"})),
                        rx.flex(
                            rx.button(t("Вернуть стандартную"), type="button", variant="soft", color_scheme="gray",
                                      on_click=s.reset_commission, disabled=s.com_saving,
                                      custom_attrs={"data-testid": "commission-reset"}),
                            rx.button(rx.cond(s.com_saving, rx.spinner(size="2"), rx.icon("save", size=14)),
                                      t("Сохранить"), type="submit", disabled=s.com_saving,
                                      custom_attrs={"data-testid": "commission-save"}),
                            spacing="3", justify="end", width="100%", wrap="wrap",
                        ),
                        spacing="3", width="100%",
                    ),
                    on_submit=s.save_commission, reset_on_submit=False, width="100%",
                ),
                rx.callout(t("Менять комиссию могут только администраторы."), icon="info", size="1", width="100%"),
            ),
            spacing="3", width="100%", max_width="720px",
        ),
        width="100%",
    )


# The panel's tabs; companies' invoices and the reconciliation with the payment providers have
# their own small state (state/admin_invoices.py, pages/admin_invoices.py).
TABS = [("payouts", t("Выплаты"), _payouts_tab), ("penalties", t("Штрафы"), _penalties_tab),
        ("commission", t("Комиссии"), _commission_tab), ("invoices", t("Счета компаний"), invoices_tab),
        ("reconciliation", t("Сверка"), reconciliation_tab)]


def admin_finance_page() -> rx.Component:
    s = AdminFinanceState
    return page_frame(rx.vstack(
        admin_nav("/admin/finance"),
        rx.hstack(rx.heading(t("Финансы"), size="6"),
                  rx.text(t("книга, выплаты владельцам, штрафы, комиссии, счета компаний, сверка"), size="2",
                          color=GRAY),
                  align="baseline", spacing="3", wrap="wrap"),
        rx.cond(
            s.allowed,
            rx.vstack(
                rx.cond(~s.is_admin & ~s.loading,
                        rx.callout(t("Вы видите финансы как оператор: проводить выплаты и отменять штрафы могут администраторы."), icon="eye", size="1", width="100%",
                                   custom_attrs={"data-testid": "finance-read-only"})),
                rx.cond(s.load_error != "", rx.callout(s.load_error, icon="triangle-alert", color_scheme="red",
                                                       size="1", width="100%", role="alert")),
                _ledger(),
                rx.cond(
                    s.loading,
                    rx.skeleton(height="260px", width="100%"),
                    rx.tabs.root(
                        rx.box(rx.tabs.list(*[rx.tabs.trigger(label, value=value,
                                                              custom_attrs={"data-testid": f"tab-{value}"})
                                              for value, label, _ in TABS]),
                               overflow_x="auto", width="100%"),
                        *[rx.tabs.content(body(), value=value, padding_top="12px") for value, _, body in TABS],
                        default_value="payouts", width="100%",
                    ),
                ),
                spacing="3", width="100%",
            ),
            no_access(),
        ),
        _payout_dialog(),
        _waive_dialog(),
        paid_dialog(),
        spacing="3", width="100%",
    ), wide=True)
