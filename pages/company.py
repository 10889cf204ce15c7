"""/cabinet/company ("Компания") and /company/join (accepting an invitation); state:
state/company.py."""

from __future__ import annotations

import reflex as rx

from pages.auth import field_error
from pages.components import NOT_LIVE, empty_state, private_form, section
from pages.layout import page_frame
from state.invoice_payment import InvoicePayState as P
from state.company import (
    ROLES,
    CompanyBookingRow,
    CompanyState,
    InvitationRow,
    InvoiceRow,
    JoinCompanyState,
    MemberRow,
)
from state.lang import given, t, tc

S = CompanyState
MUTED = rx.color("gray", 11)


def _label(text: str, field_id: str) -> rx.Component:
    return rx.el.label(text, html_for=field_id, style={"font_size": "var(--font-size-2)", "font_weight": "500"})


def _hint(text) -> rx.Component:
    return rx.text(text, size="1", color=MUTED)


# --- a new company ----------------------------------------------------------------------


def _company_input(label: str, field: str, placeholder: str = "", hint: str = "", **props) -> rx.Component:
    error = S.errors.get(field, "")
    return rx.vstack(
        _label(label, f"company-{field}"),
        rx.input(value=getattr(S, field), id=f"company-{field}", name=field, placeholder=placeholder,
                 width="100%", on_change=lambda v: S.set_field(field, v),
                 color_scheme=rx.cond(error != "", "red", "teal"),
                 custom_attrs={"data-testid": f"company-{field}",
                               "aria-invalid": rx.cond(error != "", "true", "false"),
                               "aria-describedby": f"error-{field}"},
                 **props),
        _hint(hint) if given(hint) else rx.fragment(),
        field_error(error, field),
        spacing="1", width="100%", min_width="0",
    )


def _create_form() -> rx.Component:
    return private_form(
        rx.vstack(
            _company_input(t("Название"), "name", t("ООО «Ромашка» или ИП Петров Иван Иванович"),
                           auto_complete="organization"),
            rx.grid(
                _company_input(t("ИНН"), "inn", t("10 цифр у организации, 12 у ИП"), input_mode="numeric",
                               max_length=14),
                rx.cond(
                    S.kpp_needed,
                    _company_input(t("КПП"), "kpp", t("9 символов"), max_length=11),
                    rx.vstack(_label(t("КПП"), "company-kpp-none"),
                              rx.text(t("У ИП нет КПП"), size="2", color=MUTED, id="company-kpp-none",
                                      padding_y="6px"),
                              spacing="1", width="100%"),
                ),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            _company_input(t("Юридический адрес"), "address", t("101000, г. Москва, ул. Мясницкая, д. 2"),
                           auto_complete="street-address"),
            _company_input(t("Email для счетов"), "billing_email", "buh@example.ru",
                           hint=t("Сюда придут счета и напоминания об оплате"), type="email", auto_complete="email"),
            rx.vstack(
                rx.text(t("НДС"), size="2", weight="medium", id="company-vat-label"),
                rx.radio_group.root(
                    rx.flex(
                        rx.el.label(rx.flex(rx.radio_group.item(value="vat"), rx.text(t("Плательщик НДС"), size="2"),
                                            spacing="2", align="center")),
                        rx.el.label(rx.flex(rx.radio_group.item(value="no_vat"),
                                            rx.text(t("Без НДС (УСН, ИП на патенте)"), size="2"),
                                            spacing="2", align="center")),
                        spacing="4", wrap="wrap",
                    ),
                    value=S.vat_status, on_change=S.set_vat, name="vat_status",
                    custom_attrs={"aria-labelledby": "company-vat-label"},
                ),
                spacing="1", width="100%",
            ),
            field_error(S.errors.get("", ""), "company"),
            rx.flex(
                rx.button(rx.cond(S.busy, rx.spinner(size="2"), rx.icon("building-2", size=16)), t("Создать компанию"),
                          type="submit", size="3", disabled=NOT_LIVE | S.busy,
                          custom_attrs={"data-testid": "company-create"}),
                rx.cond(S.companies.length() > 0,
                        rx.button(t("Отмена"), type="button", variant="soft", color_scheme="gray", size="3",
                                  on_click=S.open_form(False))),
                spacing="3", wrap="wrap",
            ),
            spacing="3", width="100%",
        ),
        on_submit=S.create, width="100%", custom_attrs={"data-testid": "company-form"},
    )


def _no_company() -> rx.Component:
    return rx.grid(
        rx.card(rx.vstack(
            rx.icon("building-2", size=36, color=rx.color("accent", 9)),
            rx.heading(t("Бронируйте на счёт компании"), size="5"),
            rx.text(t("Сотрудники бронируют места без карты, а компания раз в неделю получает один счёт со всеми бронями — с реквизитами и НДС для бухгалтерии."), size="2"),
            rx.vstack(
                *[rx.hstack(rx.icon("check", size=16, color=rx.color("accent", 10), flex_shrink="0"),
                            rx.text(t, size="2"), align="start", spacing="2")
                  for t in (t("Приглашайте сотрудников по email и задавайте им месячные лимиты"),
                            t("Видите все брони сотрудников и счета в одном месте"),
                            t("Счёт приходит по понедельникам, оплата — банковским переводом за 14 дней"))],
                spacing="2",
            ),
            spacing="3",
        ), width="100%"),
        section(t("Новая компания"), _create_form(), test_id="company-new"),
        columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%", align="start",
    )


# --- the company's card --------------------------------------------------------------------


def _fact(label: str, value, test_id: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=MUTED),
        rx.text(value, size="2", weight="medium", word_break="break-word",
                custom_attrs={"data-testid": test_id} if test_id else {}),
        spacing="0", min_width="0",
    )


def _money_line(label: str, value, *, strong: bool = False, test_id: str = "") -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color=None if strong else MUTED, weight="bold" if strong else "regular"),
        rx.spacer(),
        rx.text(value, size="4" if strong else "2", weight="bold" if strong else "medium", white_space="nowrap",
                custom_attrs={"data-testid": test_id} if test_id else {}),
        width="100%", align="baseline",
    )


def _requisites() -> rx.Component:
    return section(
        t("Реквизиты"),
        rx.grid(
            _fact(t("ИНН"), S.inn_shown, "company-inn-shown"),
            _fact(t("КПП"), S.kpp_shown, "company-kpp-shown"),
            _fact(t("НДС"), S.vat_label),
            _fact(t("Email для счетов"), S.billing_shown),
            columns="2", spacing="3", width="100%",
        ),
        _fact(t("Юридический адрес"), S.address_shown),
        rx.text(t("Ваша роль: "), rx.cond(S.is_admin, t("администратор компании"), t("сотрудник")), size="1",
                color=MUTED),
        test_id="company-requisites",
    )


def _credit() -> rx.Component:
    return section(
        t("Кредит"),
        _money_line(t("Кредитный лимит"), S.credit_limit, test_id="company-limit"),
        _money_line(t("Ещё не выставлено в счёт"), S.unbilled),
        _money_line(t("Выставлено, не оплачено"), S.invoiced),
        _money_line(t("Всего к оплате"), S.owed, test_id="company-owed"),
        rx.separator(size="4"),
        _money_line(t("Доступно для броней"), S.available, strong=True, test_id="company-available"),
        rx.cond(S.available_low & ~S.overdue,
                _hint(t("Лимит почти исчерпан: оплатите выставленные счета, чтобы бронировать дальше."))),
        _hint(t("Лимит устанавливает CoSpace. Счёт за неделю приходит в понедельник, оплатить его нужно за 14 дней.")),
        test_id="company-credit",
    )


def _member(m: MemberRow) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(rx.text(m.name, size="2", weight="bold"),
                      rx.cond(m.me, rx.badge(t("вы"), variant="soft", color_scheme="gray")),
                      rx.badge(m.role_label, variant="soft",
                               color_scheme=rx.cond(m.role == "admin", "teal", "gray")),
                      spacing="2", align="center", wrap="wrap"),
            rx.text(m.email, size="1", color=MUTED, word_break="break-all"),
            spacing="1", min_width="0", flex=rx.breakpoints(initial="1 1 100%", md="1 1 240px"),
        ),
        rx.vstack(rx.text(t("Лимит в месяц"), size="1", color=MUTED),
                  rx.text(m.limit, size="2", white_space="nowrap"), spacing="0", width="120px"),
        rx.vstack(rx.text(t("Потрачено в этом месяце"), size="1", color=MUTED),
                  rx.text(m.spent, size="2", white_space="nowrap", custom_attrs={"data-testid": "member-spent"}),
                  spacing="0", width="170px"),
        rx.flex(
            rx.button(rx.icon("pencil", size=14), t("Лимит и роль"), size="1", variant="soft",
                      on_click=S.open_dialog("member", m.user_id),
                      aria_label=t("Лимит и роль: ") + m.name, custom_attrs={"data-testid": "member-edit"}),
            rx.cond(~m.me, rx.button(rx.icon("user-minus", size=14), t("Убрать"), size="1", variant="soft",
                                     color_scheme="red", on_click=S.open_dialog("remove", m.user_id),
                                     aria_label=t("Убрать из компании: ") + m.name)),
            spacing="2", wrap="wrap", justify=rx.breakpoints(initial="start", md="end"),
            width=rx.breakpoints(initial="100%", md="210px"),
        ),
        spacing="3", wrap="wrap", align="center", width="100%", padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}", custom_attrs={"data-testid": "company-member"},
    )


def _invitation(i: InvitationRow) -> rx.Component:
    return rx.flex(
        rx.vstack(rx.text(i.email, size="2", weight="medium", word_break="break-all"),
                  rx.text(i.role_label, t(" · лимит: "), i.limit, size="1", color=MUTED),
                  spacing="0", min_width="0", flex="1 1 220px"),
        rx.badge(i.status_label, color_scheme=i.color, custom_attrs={"data-testid": "invitation-status"}),
        rx.cond(i.open, rx.text(t("до "), i.expires, size="1", color=MUTED, white_space="nowrap")),
        rx.cond(i.open, rx.button(t("Отозвать"), size="1", variant="soft", color_scheme="red",
                                  on_click=S.revoke(i.id), aria_label=t("Отозвать приглашение: ") + i.email,
                                  custom_attrs={"data-testid": "invitation-revoke"})),
        spacing="3", wrap="wrap", align="center", width="100%", padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}", custom_attrs={"data-testid": "company-invitation"},
    )


def _invite_form() -> rx.Component:
    email_error = S.invite_errors.get("email", "")
    return private_form(
        rx.flex(
            rx.vstack(
                _label(t("Email сотрудника"), "invite-email"),
                rx.input(value=S.invite_email, id="invite-email", name="invite_email", type="email",
                         placeholder="ivan@example.ru", width="100%",
                         on_change=lambda v: S.set_invite("invite_email", v),
                         color_scheme=rx.cond(email_error != "", "red", "teal"),
                         custom_attrs={"data-testid": "invite-email",
                                       "aria-invalid": rx.cond(email_error != "", "true", "false"),
                                       "aria-describedby": "error-invite-email"}),
                spacing="1", flex="2 1 220px", min_width="0",
            ),
            rx.vstack(
                _label(t("Роль"), "invite-role"),
                rx.select.root(
                    rx.select.trigger(id="invite-role", width="100%", aria_label=t("Роль")),
                    rx.select.content(*[rx.select.item(label, value=value) for value, label in ROLES]),
                    value=S.invite_role, on_change=lambda v: S.set_invite("invite_role", v),
                ),
                spacing="1", flex="1 1 160px", min_width="0",
            ),
            rx.vstack(
                _label(t("Лимит в месяц, ₽"), "invite-limit"),
                rx.input(value=S.invite_limit, id="invite-limit", name="invite_limit", placeholder=t("без лимита"),
                         input_mode="decimal", width="100%", on_change=lambda v: S.set_invite("invite_limit", v),
                         custom_attrs={"data-testid": "invite-limit", "aria-describedby": "error-invite-limit"}),
                spacing="1", flex="1 1 140px", min_width="0",
            ),
            rx.button(rx.icon("send", size=16), t("Пригласить"), type="submit", disabled=NOT_LIVE,
                      custom_attrs={"data-testid": "invite-submit"}),
            spacing="3", wrap="wrap", align="end", width="100%",
        ),
        field_error(email_error, "invite-email"),
        field_error(S.invite_errors.get("monthly_limit_minor", ""), "invite-limit"),
        on_submit=S.invite, width="100%",
    )


def _invite_link() -> rx.Component:
    return rx.cond(
        S.invite_link != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("link", size=16)),
            rx.vstack(
                rx.text(t("Письмо со ссылкой отправлено. Можно переслать ссылку и самим — она действует 7 дней и сработает только для этого адреса:"), size="2"),
                rx.flex(
                    rx.input(value=S.invite_link, read_only=True, width="100%", aria_label=t("Ссылка-приглашение"),
                             custom_attrs={"data-testid": "invite-link"}),
                    rx.button(rx.icon("copy", size=14), t("Скопировать"), variant="soft", type="button",
                              on_click=[rx.set_clipboard(S.invite_link), rx.toast.success(t("Ссылка скопирована"))]),
                    spacing="2", width="100%", align="center",
                ),
                spacing="2", width="100%",
            ),
            color_scheme="green", width="100%",
        ),
    )


def _people() -> rx.Component:
    return section(
        t("Сотрудники"),
        rx.box(rx.foreach(S.members, _member), width="100%"),
        rx.heading(t("Пригласить сотрудника"), size="3", margin_top="8px"),
        _invite_form(),
        _invite_link(),
        rx.cond(S.invitations.length() > 0, rx.vstack(
            rx.heading(t("Приглашения"), size="3", margin_top="8px"),
            rx.box(rx.foreach(S.invitations, _invitation), width="100%"),
            spacing="2", width="100%",
        )),
        test_id="company-people",
    )


def _invoice(i: InvoiceRow) -> rx.Component:
    return rx.flex(
        rx.vstack(rx.text(t("Счёт "), i.number, size="2", weight="bold"),
                  rx.text(t("за "), i.period, size="1", color=MUTED), spacing="0", flex="1 1 200px"),
        rx.vstack(rx.text(i.amount, size="2", weight="bold", white_space="nowrap"),
                  rx.text(t("НДС: "), i.vat, size="1", color=MUTED, white_space="nowrap"), spacing="0",
                  min_width="120px"),
        rx.vstack(rx.text(t("Оплатить до"), size="1", color=MUTED), rx.text(i.due, size="2"), spacing="0",
                  min_width="100px"),
        rx.badge(i.status_label, color_scheme=i.color, custom_attrs={"data-testid": "invoice-status"}),
        rx.flex(
            rx.cond(i.payable, rx.button(
                rx.cond(P.paying_id == i.id, rx.spinner(size="1"), rx.icon("credit-card", size=14)),
                t("Оплатить картой"), size="1", disabled=P.paying_id != 0, on_click=P.pay(i.id),
                aria_label=t("Оплатить картой счёт ") + i.number, custom_attrs={"data-testid": "invoice-pay-card"})),
            rx.button(rx.icon("file-text", size=14), "PDF", size="1", variant="outline",
                      on_click=S.download_invoice(i.id), aria_label=t("Счёт ") + i.number + t(" в PDF")),
            spacing="2", wrap="wrap",
        ),
        spacing="3", wrap="wrap", align="center", width="100%", padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}", custom_attrs={"data-testid": "company-invoice"},
    )


def _invoices() -> rx.Component:
    return section(
        t("Счета"),
        rx.cond(P.note != "", rx.callout(P.note, icon="info", color_scheme=P.note_color, width="100%",
                                         role="status", custom_attrs={"data-testid": "invoice-pay-note"})),
        rx.cond(S.invoices.length() > 0, rx.box(rx.foreach(S.invoices, _invoice), width="100%"),
                _hint(t("Счетов пока нет. Первый придёт в понедельник после недели с бронями на счёт компании."))),
        rx.button(rx.icon("file-spreadsheet", size=14), t("Все операции по счёту в Excel"), size="1", variant="soft",
                  on_click=S.download_operations, custom_attrs={"data-testid": "company-operations"}),
        test_id="company-invoices",
    )


def _booking(b: CompanyBookingRow) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.link(rx.text(b.space, weight="bold", size="2"), href=b.space_href),
            rx.text(b.resource, size="1", color=MUTED),
            spacing="0", flex="2 1 220px", min_width="0",
        ),
        rx.vstack(rx.text(b.when, size="2"), rx.text(t("Бронь № "), b.id, " · ", b.member, size="1", color=MUTED),
                  spacing="0", flex="2 1 220px", min_width="0"),
        rx.text(b.total, size="2", weight="bold", white_space="nowrap"),
        rx.badge(b.status_label, color_scheme=b.color),
        spacing="3", wrap="wrap", align="center", width="100%", padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        custom_attrs={"data-testid": "company-booking", "data-booking": b.id},
    )


def _bookings() -> rx.Component:
    return section(
        rx.cond(S.is_admin, t("Брони сотрудников на счёт компании"), t("Мои брони на счёт компании")),
        rx.cond(S.bookings.length() > 0, rx.box(rx.foreach(S.bookings, _booking), width="100%"),
                _hint(t("Броней на счёт компании пока нет. При оплате брони выберите «На счёт компании»."))),
        test_id="company-bookings",
    )


def _dialogs() -> rx.Component:
    return rx.fragment(
        rx.dialog.root(rx.dialog.content(
            rx.dialog.title(S.target.name),
            rx.dialog.description(S.target.email, size="2", color=MUTED),
            rx.vstack(
                _label(t("Роль"), "member-role"),
                rx.select.root(
                    rx.select.trigger(id="member-role", width="100%", aria_label=t("Роль")),
                    rx.select.content(*[rx.select.item(label, value=value) for value, label in ROLES]),
                    value=S.edit_role, on_change=lambda v: S.set_edit("edit_role", v),
                ),
                _label(t("Лимит в месяц, ₽"), "member-limit"),
                rx.input(value=S.edit_limit, id="member-limit", placeholder=t("без лимита"), input_mode="decimal",
                         width="100%", on_change=lambda v: S.set_edit("edit_limit", v),
                         custom_attrs={"data-testid": "member-limit"}),
                _hint(t("Пусто — без лимита. Лимит считается по броням на счёт компании с начала месяца.")),
                rx.cond(S.dialog_error != "", rx.text(S.dialog_error, size="2", color=rx.color("red", 11),
                                                      role="alert")),
                spacing="2", width="100%", margin_top="12px",
            ),
            rx.flex(
                rx.dialog.close(rx.button(t("Отмена"), variant="soft", color_scheme="gray", on_click=S.close_dialog)),
                rx.button(t("Сохранить"), on_click=S.save_member, custom_attrs={"data-testid": "member-save"}),
                spacing="3", justify="end", margin_top="16px",
            ),
            max_width="440px",
        ), open=S.dialog == "member", on_open_change=S.dialog_open_changed),
        rx.alert_dialog.root(rx.alert_dialog.content(
            rx.alert_dialog.title(rx.cond(S.dialog == "leave", t("Выйти из компании ") + S.title_quoted + "?",
                                          t("Убрать ") + S.target.name + t(" из компании?"))),
            rx.alert_dialog.description(
                rx.cond(S.dialog == "leave",
                        t("Вы больше не сможете бронировать на счёт компании. Ваши брони, уже оплаченные с её счёта, останутся в её счетах."),
                        t("Сотрудник больше не сможет бронировать на счёт компании. Его брони, уже оплаченные с её счёта, останутся в счетах.")), size="2"),
            rx.cond(S.dialog_error != "", rx.text(S.dialog_error, size="2", color=rx.color("red", 11), role="alert",
                                                  margin_top="8px")),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(t("Не надо"), variant="soft", color_scheme="gray",
                                                 on_click=S.close_dialog)),
                rx.button(rx.cond(S.dialog == "leave", tc("company", "Выйти"), t("Убрать")), color_scheme="red",
                          on_click=S.remove_member),
                spacing="3", justify="end", margin_top="16px",
            ),
        ), open=(S.dialog == "remove") | (S.dialog == "leave"), on_open_change=S.dialog_open_changed),
    )


def _company() -> rx.Component:
    return rx.vstack(
        rx.cond(S.overdue, rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert", size=18)),
            rx.vstack(
                rx.text(t("У компании просрочен счёт"), weight="bold", size="3"),
                rx.text(t("Пока он не оплачен, бронировать на счёт компании нельзя. Оплатите счёт банковским переводом по реквизитам из PDF — после поступления денег брони снова откроются."),
                        size="2"),
                spacing="1",
            ),
            color_scheme="red", high_contrast=True, width="100%", role="alert",
            custom_attrs={"data-testid": "company-overdue"},
        )),
        rx.grid(_requisites(), _credit(), columns=rx.breakpoints(initial="1", md="2"), spacing="4",
                width="100%", align="start"),
        rx.cond(S.is_admin, rx.vstack(_people(), _invoices(), spacing="4", width="100%")),
        _bookings(),
        rx.cond(~S.is_admin, rx.button(t("Выйти из компании"), variant="ghost", color_scheme="red", size="1",
                                       on_click=S.open_dialog("leave", 0))),
        _dialogs(),
        spacing="4", width="100%",
    )


def company_page() -> rx.Component:
    return page_frame(rx.vstack(
        rx.flex(
            rx.vstack(
                rx.heading(rx.cond(S.title != "", S.title, t("Компания")), size="6",
                           custom_attrs={"data-testid": "company-title"}),
                rx.cond(S.companies.length() > 0, rx.text(t("Бронирование на счёт компании"), size="2", color=MUTED)),
                spacing="1", min_width="0",
            ),
            rx.spacer(),
            rx.cond(S.companies.length() > 1, rx.select.root(
                rx.select.trigger(aria_label=t("Компания"), max_width="100%",
                                  custom_attrs={"data-testid": "company-picker"}),
                rx.select.content(rx.foreach(S.companies, lambda o: rx.select.item(o.label, value=o.value))),
                value=S.company_id, on_change=S.choose,
            )),
            rx.cond((S.companies.length() > 0) & ~S.creating,
                    rx.button(rx.icon("plus", size=16), t("Ещё компания"), variant="soft", on_click=S.open_form(True),
                              custom_attrs={"data-testid": "company-add"})),
            width="100%", align="center", spacing="3", wrap="wrap",
        ),
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", width="100%",
                                          role="alert")),
        rx.cond(
            S.loading,
            rx.vstack(rx.skeleton(height="160px"), rx.skeleton(height="220px"), width="100%", spacing="3"),
            rx.cond(
                S.companies.length() == 0,
                _no_company(),
                rx.cond(S.creating, section(t("Новая компания"), _create_form(), test_id="company-new"), _company()),
            ),
        ),
        spacing="4", width="100%",
    ))


# --- /company/join ------------------------------------------------------------------------------


def join_company_page() -> rx.Component:
    j = JoinCompanyState
    return page_frame(rx.center(rx.card(
        rx.cond(
            j.loading,
            rx.vstack(rx.skeleton(height="28px", width="70%"), rx.skeleton(height="80px"), width="100%"),
            rx.cond(
                j.found,
                rx.vstack(
                    rx.icon("building-2", size=36, color=rx.color("accent", 9)),
                    rx.heading(t("Приглашение в компанию "), j.company, size="5",
                               custom_attrs={"data-testid": "join-title"}),
                    rx.text(t("Вы сможете бронировать рабочие места на счёт компании — без карты, компания оплатит их по счёту."), size="2"),
                    rx.vstack(
                        _fact(t("Роль"), j.role_label),
                        rx.cond(j.limit != "", _fact(t("Ваш лимит в месяц"), j.limit)),
                        _fact(t("Приглашение на адрес"), j.email),
                        spacing="2", width="100%",
                    ),
                    rx.cond(
                        j.refusal != "",
                        rx.vstack(
                            rx.callout(j.refusal, icon="circle-alert", color_scheme="red", width="100%",
                                       role="alert", custom_attrs={"data-testid": "join-refusal"}),
                            rx.cond(j.refusal.contains(t("войдите")),
                                    rx.button(t("Войти с другим адресом"), variant="soft", on_click=j.switch_account,
                                              custom_attrs={"data-testid": "join-switch"})),
                            spacing="3", width="100%", align="start",
                        ),
                        rx.cond(
                            j.member_already,
                            rx.link(rx.button(t("Открыть компанию")), href="/cabinet/company"),
                            rx.button(rx.cond(j.busy, rx.spinner(size="2"), rx.icon("check", size=16)),
                                      t("Принять приглашение в "), j.company, size="3", disabled=j.busy,
                                      on_click=j.accept, white_space="normal", height="auto", min_height="40px",
                                      custom_attrs={"data-testid": "join-accept"}),
                        ),
                    ),
                    spacing="4", align="start", width="100%",
                ),
                empty_state("link-2-off", t("Приглашение не найдено"),
                            rx.text(j.error, size="2", text_align="center", custom_attrs={"data-testid": "join-error"}),
                            rx.text(t("Проверьте, что ссылка скопирована целиком, или попросите администратора компании прислать новое приглашение."), size="2", color=MUTED,
                                    text_align="center"),
                            rx.link(rx.button(t("В личный кабинет"), variant="soft"), href="/cabinet")),
            ),
        ),
        width="100%", max_width="520px",
    ), width="100%", padding_y=rx.breakpoints(initial="8px", md="32px")))
