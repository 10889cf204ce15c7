"""/owner/finance: the owner's money (state/owner_finance.py)."""

from __future__ import annotations

import reflex as rx

from pages.components import NOT_LIVE, empty_state, private_form, section
from pages.layout import page_frame
from state.owner_finance import BANK_FIELDS, LineRow, OwnerFinanceState, StatementRow
from state.lang import given, t

GRAY = rx.color("gray", 11)
STATUS_COLORS = {"pending": "blue", "paid": "green", "failed": "red", "rolled_over": "amber"}


def _card(icon: str, label: str, value, hint, test_id: str, *, accent: bool = False) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.icon(icon, size=16, color=rx.color("accent", 10), aria_hidden="true"),
                      rx.text(label, size="1", color=GRAY), align="center", spacing="2"),
            rx.text(value, size=rx.breakpoints(initial="5", md="6"), weight="bold",
                    color=rx.color("accent", 11) if accent else rx.color("gray", 12),
                    custom_attrs={"data-testid": f"{test_id}-value"}),
            rx.text(hint, size="1", color=rx.color("gray", 10)),
            spacing="1", min_width="0",
        ),
        width="100%", min_width="0", custom_attrs={"data-testid": test_id},
    )


def _cards() -> rx.Component:
    s = OwnerFinanceState
    return rx.grid(
        _card("hourglass", t("Ожидает завершения броней"), s.pending,
              t("ваша доля оплаченных броней, которые ещё не прошли"), "finance-pending"),
        _card("wallet", t("Доступно к выплате"), s.available, t("завершённые брони, ещё не выплаченные"),
              "finance-available", accent=True),
        _card("send", t("В пути"), s.in_transit,
              rx.cond(s.has_in_transit, t("отправлено в банк, ждёт зачисления"), t("сейчас ничего не отправлено")),
              "finance-in-transit"),
        _card("calendar-clock", t("Следующая выплата"), s.next_payout,
              t("за прошлый месяц, от ") + s.minimum + t(" и при указанных реквизитах"), "finance-next"),
        columns=rx.breakpoints(initial="2", lg="4"), spacing="3", width="100%",
    )


def _line(row: LineRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.day, white_space="nowrap"),
        rx.table.cell(rx.vstack(rx.text(row.label, size="2"),
                                rx.text(row.account_label, size="1", color=rx.color("gray", 10)),
                                spacing="0")),
        rx.table.cell(row.booking, white_space="nowrap"),
        rx.table.cell(row.space),
        rx.table.cell(row.gross, text_align="right", white_space="nowrap"),
        rx.table.cell(row.commission, text_align="right", white_space="nowrap"),
        rx.table.cell(rx.text(row.net, weight="bold", color=rx.cond(row.plus, rx.color("green", 11),
                                                                     rx.color("red", 11))),
                      text_align="right", white_space="nowrap"),
        custom_attrs={"data-testid": "finance-line", "data-account": row.account},
    )


def _line_compact(row: LineRow) -> rx.Component:
    """A line on a phone: what and when on the left, the amount on the right."""
    return rx.hstack(
        rx.vstack(
            rx.text(row.label, size="2", weight="medium"),
            rx.text(row.day, " · ", row.account_label, size="1", color=rx.color("gray", 10)),
            rx.cond(row.booking != "", rx.text(t("Бронь "), row.booking, " · ", row.space, size="1", color=GRAY)),
            spacing="0", min_width="0", flex="1",
        ),
        rx.text(row.net, weight="bold", white_space="nowrap",
                color=rx.cond(row.plus, rx.color("green", 11), rx.color("red", 11))),
        width="100%", align="start", spacing="3", padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        custom_attrs={"data-testid": "finance-line-compact"},
    )


def _lines() -> rx.Component:
    s = OwnerFinanceState
    headers = [(t("Дата"), "left"), (t("Операция"), "left"), (t("Бронь"), "left"), (t("Пространство"), "left"),
               (t("Сумма брони"), "right"), (t("Комиссия"), "right"), (t("Вам"), "right")]
    return section(
        t("Операции"),
        rx.cond(
            s.lines.length() > 0,
            rx.vstack(
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, text_align=a)
                                                   for h, a in headers])),
                    rx.table.body(rx.foreach(s.lines, _line)),
                    size="1", variant="surface", width="100%",
                    aria_label=t("Операции по балансу"),
                ), overflow_x="auto", width="100%", display=rx.breakpoints(initial="none", sm="block")),
                rx.vstack(rx.foreach(s.lines, _line_compact), spacing="0", width="100%",
                          display=rx.breakpoints(initial="flex", sm="none")),
                rx.text(t("Оплата брони попадает в «ожидает завершения»; когда бронь прошла, ваша доля переходит в «доступно к выплате». Комиссия считается от цены без НДС."), size="1", color=GRAY),
                spacing="2", width="100%",
            ),
            empty_state("receipt", t("Операций пока нет"),
                        rx.text(t("Когда гости оплатят брони ваших пространств, здесь появится каждая сумма."),
                                size="2", color=GRAY, text_align="center")),
        ),
        test_id="finance-lines",
    )


def _statement(row: StatementRow) -> rx.Component:
    s = OwnerFinanceState
    busy = s.downloading == "statement-" + row.id.to_string()
    return rx.flex(
        rx.vstack(
            rx.hstack(rx.text(row.period, weight="medium", size="3"),
                      rx.badge(row.status_label, variant="soft", high_contrast=True,
                               color_scheme=rx.match(row.status, *STATUS_COLORS.items(), "gray"),
                               custom_attrs={"data-testid": "statement-status"}),
                      spacing="2", align="center", wrap="wrap"),
            rx.text(t("Отчёт № "), row.number, size="1", color=rx.color("gray", 10)),
            rx.cond(row.note != "", rx.text(row.note, size="1", color=GRAY)),
            spacing="1", min_width="0", flex="1",
        ),
        rx.hstack(
            rx.text(row.amount, weight="bold", size="3", white_space="nowrap"),
            rx.button(rx.cond(busy, rx.spinner(size="1"), rx.icon("file-down", size=14)), "PDF",
                      size="2", variant="soft", disabled=busy, on_click=s.download_statement(row.id),
                      aria_label=t("PDF — отчёт за ") + row.period,
                      custom_attrs={"data-testid": "statement-pdf"}),
            spacing="3", align="center",
        ),
        width="100%", align="center", justify="between", spacing="3", wrap="wrap", padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        custom_attrs={"data-testid": "statement"},
    )


def _statements() -> rx.Component:
    s = OwnerFinanceState
    return section(
        t("Выписки и выплаты"),
        rx.cond(
            s.statements.length() > 0,
            rx.vstack(rx.foreach(s.statements, _statement), spacing="0", width="100%"),
            rx.text(t("Первая выписка придёт 1-го числа месяца после первой завершённой брони."), size="2",
                    color=GRAY, custom_attrs={"data-testid": "statements-empty"}),
        ),
        test_id="finance-statements",
    )


def _bank_field(name: str, label: str, placeholder: str, hint: str) -> rx.Component:
    s = OwnerFinanceState
    wrong = s.bank_error_field == name
    field_id = f"bank-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"font_size": "var(--font-size-2)", "font_weight": "500"}),
        rx.input(value=s.bank[name], on_change=lambda v: s.set_bank(name, v), id=field_id, name=name,
                 placeholder=placeholder, size="2", width="100%", auto_complete="off",
                 input_mode="numeric" if name not in ("payee_name", "bank_name") else "text",
                 color_scheme=rx.cond(wrong, "red", "gray"),
                 custom_attrs={"data-testid": field_id, "aria-invalid": rx.cond(wrong, "true", "false"),
                               "aria-describedby": f"{field_id}-error"}),
        rx.cond(wrong, rx.text(s.bank_error, size="1", color=rx.color("red", 11), id=f"{field_id}-error",
                               role="alert", custom_attrs={"data-testid": "bank-field-error", "data-field": name}),
                rx.text(hint, size="1", color=rx.color("gray", 10)) if given(hint) else rx.fragment()),
        spacing="1", width="100%", min_width="0",
    )


def _bank_form() -> rx.Component:
    s = OwnerFinanceState
    return private_form(
        rx.vstack(
            rx.grid(*[_bank_field(name, t(label), t(example), t(hint) if hint else "") for name, label, example, hint in BANK_FIELDS],
                    columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
            rx.cond((s.bank_error != "") & (s.bank_error_field == ""),
                    rx.callout(s.bank_error, icon="triangle-alert", color_scheme="red", size="1", width="100%",
                               role="alert", custom_attrs={"data-testid": "bank-error"})),
            rx.flex(
                rx.cond(s.bank_on_file, rx.button(t("Отмена"), type="button", variant="soft", color_scheme="gray",
                                                  on_click=s.cancel_bank)),
                rx.button(rx.cond(s.saving, rx.spinner(size="2"), rx.icon("save", size=14)), t("Сохранить реквизиты"),
                          type="submit", disabled=s.saving | NOT_LIVE, custom_attrs={"data-testid": "bank-save"}),
                spacing="3", justify="end", width="100%", wrap="wrap",
            ),
            spacing="3", width="100%",
        ),
        on_submit=s.save_bank, width="100%", custom_attrs={"data-testid": "bank-form"},
    )


def _bank_item(item) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(item[0], min_width="140px"),
                             rx.data_list.value(item[1], custom_attrs={"data-testid": "bank-value"}))


def _bank() -> rx.Component:
    s = OwnerFinanceState
    return section(
        t("Банковские реквизиты"),
        rx.cond(
            s.editing_bank,
            rx.vstack(
                rx.text(rx.cond(s.bank_on_file, t("Новые реквизиты заменят сохранённые. "),
                                t("Без реквизитов выплата переносится на следующий месяц. ")),
                        t("Мы проверим ИНН, БИК и контрольные ключи счетов."), size="2", color=GRAY),
                _bank_form(), spacing="3", width="100%"),
            rx.vstack(
                rx.data_list.root(rx.foreach(s.bank_shown, _bank_item), size="2",
                                  orientation=rx.breakpoints(initial="vertical", sm="horizontal")),
                rx.text(t("Номер счёта показан не целиком, чтобы его не подсмотрели."), size="1",
                        color=rx.color("gray", 10)),
                rx.button(rx.icon("pencil", size=14), t("Изменить реквизиты"), variant="soft", size="2",
                          on_click=s.edit_bank, custom_attrs={"data-testid": "bank-edit"}),
                spacing="3", width="100%", custom_attrs={"data-testid": "bank-on-file"},
            ),
        ),
        test_id="finance-bank",
    )


def _header() -> rx.Component:
    s = OwnerFinanceState
    return rx.flex(
        rx.vstack(
            rx.heading(t("Финансы"), size="6"),
            rx.text(t("Комиссия платформы — "), rx.text.span(s.commission, weight="medium",
                                                           custom_attrs={"data-testid": "finance-commission"}),
                    t(" от цены брони без НДС"), size="2", color=GRAY),
            spacing="1",
        ),
        rx.spacer(),
        rx.hstack(
            rx.cond(s.currencies.length() > 1,
                    rx.segmented_control.root(rx.foreach(s.currencies, lambda c: rx.segmented_control.item(
                        c, value=c)), value=s.currency, on_change=s.set_currency, size="2",
                        aria_label=t("Валюта"), custom_attrs={"data-testid": "finance-currency"})),
            rx.button(rx.cond(s.downloading == "xlsx", rx.spinner(size="2"), rx.icon("file-spreadsheet", size=14)),
                      t("Скачать Excel"), variant="soft", size="2", on_click=s.download_operations,
                      disabled=(s.downloading != "") | (s.lines.length() == 0),
                      custom_attrs={"data-testid": "finance-xlsx"}),
            spacing="2", align="center", wrap="wrap",
        ),
        width="100%", align="end", spacing="3", wrap="wrap",
    )


def owner_finance_page() -> rx.Component:
    s = OwnerFinanceState
    return page_frame(rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("Мои пространства"), align="center", spacing="1"),
                href="/owner", size="2"),
        rx.cond(
            s.allowed,
            rx.vstack(
                _header(),
                rx.cond(s.load_error != "",
                        rx.callout(s.load_error, icon="triangle-alert", color_scheme="red", size="1", width="100%",
                                   role="alert")),
                rx.cond(
                    s.loading,
                    rx.vstack(rx.grid(*[rx.skeleton(height="104px") for _ in range(4)],
                                      columns=rx.breakpoints(initial="2", lg="4"), spacing="3", width="100%"),
                              rx.skeleton(height="240px", width="100%"), spacing="3", width="100%"),
                    rx.vstack(
                        _cards(),
                        _lines(),
                        rx.grid(_statements(), _bank(), columns=rx.breakpoints(initial="1", lg="2"), spacing="4",
                                width="100%", align="start"),
                        spacing="4", width="100%",
                    ),
                ),
                spacing="4", width="100%",
            ),
            empty_state("shield-alert", t("Раздел для владельцев пространств"),
                        rx.text(t("Здесь владельцы видят, сколько заработали и когда получат выплату."), size="2",
                                color=GRAY, text_align="center")),
        ),
        spacing="3", width="100%",
    ))
