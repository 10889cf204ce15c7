"""/admin/finance tabs "Счета компаний" and "Сверка" (state/admin_invoices.py)."""

from __future__ import annotations

import reflex as rx

from pages.components import empty_state, scroll_table
from state.admin_invoices import INVOICE_FILTERS, AdminInvoicesState, CompanyRow, InvoiceRow, ReconItem, ReconRun
from state.lang import t, tc

GRAY = rx.color("gray", 11)
LABEL_STYLE = {"font_size": "var(--font-size-2)", "font_weight": "500"}


def _invoice(i: InvoiceRow) -> rx.Component:
    s = AdminInvoicesState
    return rx.table.row(
        rx.table.cell(rx.link(i.number, href=i.pdf_url, is_external=True, white_space="nowrap",
                              aria_label=t("Счёт в PDF"))),
        rx.table.cell(rx.vstack(rx.text(i.company, weight="medium"), rx.text(i.period, size="1", color=GRAY),
                                spacing="0")),
        rx.table.cell(i.amount, white_space="nowrap", text_align="right"),
        rx.table.cell(i.due, white_space="nowrap"),
        rx.table.cell(rx.badge(i.status_label, color_scheme=i.tone, variant="soft", high_contrast=True,
                               custom_attrs={"data-testid": "invoice-status"})),
        rx.table.cell(rx.cond(s.is_admin & i.payable,
                              rx.button(t("Оплачен"), size="1", variant="soft", on_click=s.ask_paid(i.id),
                                        custom_attrs={"data-testid": "invoice-paid"}))),
        custom_attrs={"data-testid": "invoice-row", "data-id": i.id},
    )


def _company(c: CompanyRow) -> rx.Component:
    s = AdminInvoicesState
    editing = s.limit_company == c.id
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(c.name, weight="medium"), rx.text(t("ИНН") + " " + c.inn, size="1", color=GRAY),
                                spacing="0")),
        rx.table.cell(c.email),
        rx.table.cell(rx.cond(
            editing,
            rx.form(rx.hstack(
                rx.input(value=s.limit_value, on_change=s.set_limit_value, placeholder=t("в рублях"), width="120px", name="limit",
                         aria_label=t("Новый кредитный лимит, ₽"), auto_focus=True,
                         custom_attrs={"data-testid": "limit-input"}),
                rx.button(t("Сохранить"), size="1", type="submit"),
                rx.button(t("Отмена"), size="1", variant="soft", color_scheme="gray", type="button",
                          on_click=s.cancel_limit),
                spacing="2", align="center"), on_submit=s.save_limit, reset_on_submit=False),
            rx.text(c.limit, white_space="nowrap"))),
        rx.table.cell(rx.cond(s.is_admin & ~editing,
                              rx.button(t("Изменить лимит"), size="1", variant="ghost", on_click=s.edit_limit(c.id)))),
        custom_attrs={"data-testid": "company-row"},
    )


def invoices_tab() -> rx.Component:
    s = AdminInvoicesState
    return rx.vstack(
        rx.select.root(
            rx.select.trigger(aria_label=t("Какие счета показать"), custom_attrs={"data-testid": "invoice-filter"}),
            rx.select.content(*[rx.select.item(t(text), value=value) for value, text in INVOICE_FILTERS]),
            value=s.invoice_filter, on_change=s.set_invoice_filter, size="2"),
        rx.cond(
            s.invoice_rows.length() > 0,
            scroll_table([tc("invoice", "Счёт"), t("Компания, период"), t("Сумма"), t("Оплатить до"), t("Статус"), ""],
                   rx.foreach(s.invoice_rows, _invoice), "invoices-table", t("Счета компаний")),
            empty_state("receipt-text", t("Счетов нет"),
                        rx.text(t("Компании получают счета по понедельникам за брони на счёт компании прошлой недели."),
                                size="2", color=GRAY, text_align="center")),
        ),
        rx.heading(t("Компании и кредитные лимиты"), size="3", margin_top="8px"),
        rx.text(t("Лимит — сколько компания может быть должна: неоплаченные счета и брони, ещё не вошедшие в счёт."),
                size="1", color=GRAY),
        rx.cond(s.limit_error != "", rx.text(s.limit_error, size="1", color=rx.color("red", 11), role="alert")),
        rx.cond(
            s.company_rows.length() > 0,
            scroll_table([t("Компания"), t("Email для счетов"), t("Кредитный лимит"), ""], rx.foreach(s.company_rows, _company),
                   "companies-table", t("Компании")),
            rx.text(t("Компаний пока нет."), size="2", color=GRAY),
        ),
        spacing="3", width="100%",
    )


def paid_dialog() -> rx.Component:
    s = AdminInvoicesState
    wrong = s.paying_error != ""
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title(t("Оплата счёта")),
        rx.dialog.description(s.paying_title, size="2", color=GRAY),
        rx.form(rx.vstack(
            rx.el.label(t("Номер платёжного поручения"), html_for="invoice-reference", style=LABEL_STYLE),
            rx.input(value=s.paying_reference, on_change=s.set_paying_reference, id="invoice-reference", name="reference",
                     placeholder=t("Например: п/п № 512 от 09.12.2026"), width="100%", auto_focus=True,
                     color_scheme=rx.cond(wrong, "red", "gray"),
                     custom_attrs={"data-testid": "invoice-reference", "aria-invalid": rx.cond(wrong, "true", "false"),
                                   "aria-describedby": "invoice-reference-error"}),
            rx.cond(wrong, rx.text(s.paying_error, size="1", color=rx.color("red", 11), role="alert",
                                   id="invoice-reference-error")),
            rx.flex(rx.dialog.close(rx.button(t("Отмена"), type="button", variant="soft", color_scheme="gray",
                                              on_click=s.close_paid)),
                    rx.button(t("Записать оплату"), type="submit", custom_attrs={"data-testid": "invoice-paid-confirm"}),
                    spacing="3", justify="end", width="100%"),
            spacing="3", width="100%", margin_top="12px"), on_submit=s.confirm_paid, reset_on_submit=False),
        max_width="480px",
    ), open=s.paying_id > 0, on_open_change=lambda _open: s.close_paid())


def _item(i: ReconItem) -> rx.Component:
    return rx.table.row(rx.table.cell(i.kind), rx.table.cell(i.subject), rx.table.cell(rx.code(i.reference, variant="ghost")),
                        rx.table.cell(i.ledger, text_align="right"), rx.table.cell(i.ours, text_align="right"),
                        rx.table.cell(i.provider, text_align="right"))


def _run(r: ReconRun) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.text(r.provider, weight="bold"), rx.badge(r.status_label, color_scheme=r.tone, variant="soft", high_contrast=True),
                  rx.spacer(), rx.text(r.when, size="1", color=GRAY), width="100%", align="center", wrap="wrap"),
        rx.text(r.summary, size="2"),
        rx.cond(r.error != "", rx.callout(r.error, icon="triangle-alert", color_scheme="red", size="1")),
        rx.cond(r.rows.length() > 0,
                scroll_table([t("Расхождение"), t("Что"), t("Номер у провайдера"), t("В книге"), t("У нас"), t("У провайдера")],
                       rx.foreach(r.rows, _item), "recon-items", t("Расхождения"))),
        spacing="2", width="100%"), width="100%", custom_attrs={"data-testid": "recon-run"})


def reconciliation_tab() -> rx.Component:
    s = AdminInvoicesState
    return rx.vstack(
        rx.hstack(
            rx.text(t("Каждую ночь деньги в книге сверяются с записями Stripe и ЮKassa: платежи и возвраты по номерам, суммы, остатки."), size="2", color=GRAY),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), t("Сверить сейчас"), size="2", variant="soft",
                      on_click=s.run_reconciliation, disabled=s.recon_queued,
                      custom_attrs={"data-testid": "recon-run-now"}),
            width="100%", align="center", wrap="wrap", spacing="3"),
        rx.cond(s.runs.length() > 0, rx.vstack(rx.foreach(s.runs, _run), spacing="3", width="100%"),
                empty_state("git-compare", t("Сверок ещё не было"),
                            rx.text(t("Первая пройдёт ночью или по кнопке «Сверить сейчас»."), size="2", color=GRAY,
                                    text_align="center"))),
        spacing="3", width="100%",
    )
