"""/cabinet/company ("Компания") and /company/join (an invitation): a person's companies,
created here, their requisites and credit, members and invitations for the company's
admins, invoices and the bookings on the company's account. Rules: services/finance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import reflex as rx

from coworking_app.formatting import (
    COMPANY_ROLE_LABELS,
    RESOURCE_KIND_LABELS,
    VAT_STATUS_LABELS,
    day_pattern,
    format_day,
    format_moment,
    format_money,
    format_stay,
    quoted,
    zone_name,
)
from coworking_app.services.accounts import sessions as auth_sessions
from coworking_app.services.booking.bookings import booking_views
from coworking_app.services.finance import companies, invoices
from coworking_app.services.finance.exports import PeriodFilter
from state.auth import login_url
from state.bookings import BADGE_COLORS
from state.inputs import parse_id, parse_roubles
from state.page import PageState
from state.views import Option
from coworking_app.i18n import Labels, N_, tr

COMPANY_FIELDS = ("name", "inn", "kpp", "address", "billing_email")
INVITATION_LABELS = Labels({"open": N_("Ждёт ответа"), "accepted": N_("Принято"), "revoked": N_("Отозвано"), "expired": N_("Истекло")})
INVITATION_COLORS = {"open": "amber", "accepted": "green", "revoked": "gray", "expired": "gray"}
ROLES = [("member", COMPANY_ROLE_LABELS["member"]), ("admin", COMPANY_ROLE_LABELS["admin"])]


@dataclass
class MemberRow:
    user_id: int = 0
    name: str = ""
    email: str = ""
    role: str = "member"
    role_label: str = ""
    limit: str = ""  # "10 000 ₽" or "без лимита"
    limit_value: str = ""  # for the edit form: roubles, "" without a limit
    spent: str = ""
    me: bool = False


@dataclass
class InvitationRow:
    id: int = 0
    email: str = ""
    role_label: str = ""
    limit: str = ""
    expires: str = ""
    status_label: str = ""
    color: str = "gray"
    open: bool = False


@dataclass
class InvoiceRow:
    id: int = 0
    number: str = ""
    period: str = ""
    amount: str = ""
    vat: str = ""
    due: str = ""
    status_label: str = ""
    color: str = "gray"
    payable: bool = False  # unpaid: its company's admins may pay it by card


@dataclass
class CompanyBookingRow:
    id: int = 0
    member: str = ""
    space: str = ""
    space_href: str = ""
    resource: str = ""
    when: str = ""
    total: str = ""
    status_label: str = ""
    color: str = "gray"


def _limit(minor: int | None, currency: str) -> str:
    return tr("без лимита") if minor is None else format_money(minor, currency)


def _roubles(minor: int | None) -> str:
    if minor is None:
        return ""
    return str(minor // 100) if minor % 100 == 0 else f"{minor / 100:.2f}".replace(".", ",")


def _invoice_row(i: invoices.InvoiceOut) -> InvoiceRow:
    return InvoiceRow(
        id=i.id, number=f"№ {i.number}", period=f"{format_day(i.period_start)} – {format_day(i.period_end)}",
        amount=format_money(i.amount_minor, i.currency),
        vat=format_money(i.vat_minor, i.currency) if i.vat_minor else tr("без НДС"),
        due=format_day(i.due_date), status_label=i.status_label,
        color="red" if i.overdue else "green" if i.status == "paid" else "amber", payable=i.status == "issued")


def _company_view(session, user, company_id: int):
    """Everything the page shows of one company, as its person may see it."""
    company, member = companies.access_company(session, user, company_id)
    out = companies.company_out(session, company, member)
    admin = member is not None and member.role == "admin"
    bills = invoices.company_invoices(session, user, company.id) if admin else []
    rows = companies.company_bookings(session, user, company.id)
    views = booking_views(session, rows, user)
    return out, admin, bills, list(zip([b.user_id for b in rows], views))


class CompanyState(PageState):
    loading: bool = True
    companies: list[Option] = []
    company_id: str = ""
    creating: bool = False  # the form for one more company (with none, it is always shown)
    # the form of a new company
    name: str = ""
    inn: str = ""
    kpp: str = ""
    address: str = ""
    billing_email: str = ""
    vat_status: str = "vat"
    errors: dict[str, str] = {}
    busy: bool = False
    # the company shown
    title: str = ""
    title_quoted: str = ""
    inn_shown: str = ""
    kpp_shown: str = ""
    address_shown: str = ""
    billing_shown: str = ""
    vat_label: str = ""
    credit_limit: str = ""
    owed: str = ""
    unbilled: str = ""
    invoiced: str = ""
    available: str = ""
    available_low: bool = False
    overdue: bool = False
    my_role: str = ""
    is_admin: bool = False
    members: list[MemberRow] = []
    invitations: list[InvitationRow] = []
    invoices: list[InvoiceRow] = []
    bookings: list[CompanyBookingRow] = []
    error: str = ""
    # inviting
    invite_email: str = ""
    invite_role: str = "member"
    invite_limit: str = ""
    invite_errors: dict[str, str] = {}
    invite_link: str = ""
    # a member's role and limit; removing a member
    dialog: str = ""  # "" | member | remove | leave
    target: MemberRow = MemberRow()
    edit_role: str = "member"
    edit_limit: str = ""
    dialog_error: str = ""

    @rx.var
    def kpp_needed(self) -> bool:
        """An ИП (a 12-digit ИНН) has no КПП: the field hides."""
        return len("".join(self.inn.split())) != 12

    @rx.event
    async def load(self):
        self.loading, self.error, self.invite_link, self.creating, self.dialog = True, "", "", False, ""
        wanted = parse_id(self.router.url.query_parameters.get("company", ""))
        await self._show(wanted)
        self.loading = False

    async def _show(self, wanted: int | None = None) -> None:
        done = await self._act(lambda s, _fx, u: [(c.id, c.name) for c, _m in companies.my_companies(s, u)])
        if not done.ok:
            self.companies, self.error = [], done.message
            return
        self.companies = [Option(str(i), name) for i, name in done.value]
        ids = [i for i, _ in done.value]
        current = wanted if wanted in ids else parse_id(self.company_id)
        if current not in ids:
            current = ids[0] if ids else None
        self.company_id = str(current) if current else ""
        if current:
            await self._card(current)

    async def _card(self, company_id: int) -> None:
        done = await self._act(lambda s, _fx, u: (u.id, _company_view(s, u, company_id)))
        if not done.ok:
            self.error = done.message
            return
        me, (c, admin, bills, rows) = done.value
        money = lambda v: format_money(v, c.currency)  # noqa: E731
        self.title, self.title_quoted = c.name, quoted(c.name)
        self.inn_shown, self.kpp_shown = c.inn, c.kpp or tr("нет (ИП)")
        self.address_shown, self.billing_shown = c.address, c.billing_email
        self.vat_label = VAT_STATUS_LABELS.get(c.vat_status, "")
        self.credit_limit = money(c.credit_limit_minor)
        self.owed = money(c.unbilled_minor + c.invoiced_unpaid_minor)
        self.unbilled, self.invoiced = money(c.unbilled_minor), money(c.invoiced_unpaid_minor)
        self.available = money(c.available_credit_minor)
        self.available_low = c.available_credit_minor * 10 < c.credit_limit_minor
        self.overdue, self.my_role, self.is_admin = c.overdue, c.my_role or "", admin
        self.members = [MemberRow(m.user_id, m.full_name, m.email, m.role, m.role_label,
                                  _limit(m.monthly_limit_minor, c.currency), _roubles(m.monthly_limit_minor),
                                  money(m.spent_this_month_minor), m.user_id == me) for m in c.members]
        now = datetime.now(timezone.utc)
        self.invitations = [InvitationRow(
            i.id, i.email, COMPANY_ROLE_LABELS[i.role], _limit(i.monthly_limit_minor, c.currency),
            format_moment(i.expires_at, fmt=day_pattern()) if i.expires_at > now else "—",
            INVITATION_LABELS[i.status], INVITATION_COLORS[i.status], i.status == "open") for i in c.invitations]
        self.invoices = [_invoice_row(i) for i in bills]
        names = {m.user_id: m.full_name for m in c.members}
        self.bookings = [CompanyBookingRow(
            v.id, tr("Вы") if user_id == me else names.get(user_id, tr("Бывший сотрудник")), v.space_name,
            f"/spaces/{v.space_id}", f"{v.resource_name} · {RESOURCE_KIND_LABELS.get(v.resource_type, '')}",
            f"{format_stay(v.start, v.end)} ({zone_name(v.start)})", format_money(v.total, v.currency),
            v.status_label, BADGE_COLORS.get(v.status, "gray")) for user_id, v in rows]

    @rx.event
    async def choose(self, value: str):
        company_id = parse_id(value)
        if company_id is not None and value in {o.value for o in self.companies}:
            self.company_id, self.invite_link, self.error, self.creating = value, "", "", False
            await self._card(company_id)

    # --- a new company -------------------------------------------------------------------

    @rx.event
    def set_field(self, field: str, value: str):
        if field in COMPANY_FIELDS:
            setattr(self, field, str(value)[:500])
            if field in self.errors or "" in self.errors:
                self.errors = {k: v for k, v in self.errors.items() if k not in (field, "")}

    @rx.event
    def set_vat(self, value: str):
        self.vat_status = "no_vat" if value == "no_vat" else "vat"

    @rx.event
    def open_form(self, open_: bool = True):
        self.creating, self.errors = bool(open_), {}

    @rx.event
    async def create(self, form: dict):
        form = form if isinstance(form, dict) else {}
        values = {f: str(form.get(f) or getattr(self, f))[:500].strip() for f in COMPANY_FIELDS}
        if len(values["inn"].replace(" ", "")) == 12:
            values["kpp"] = ""  # an ИП has no КПП (the field is hidden)
        vat = self.vat_status
        self.busy = True
        yield

        def work(session, _effects, user):
            data = companies.CompanyIn(name=values["name"], inn=values["inn"], kpp=values["kpp"] or None,
                                       address=values["address"], billing_email=values["billing_email"],
                                       vat_status=vat)
            return companies.do_create_company(session, user, data).id
        done = await self._act(work)
        self.busy = False
        if not done.ok:
            self.errors = {done.field if done.field in COMPANY_FIELDS else "": done.message}
            return
        for f in COMPANY_FIELDS:
            setattr(self, f, "")
        self.errors, self.creating, self.vat_status = {}, False, "vat"
        await self._show(done.value)
        yield rx.toast.success(tr("Компания {title_quoted} создана: вы её администратор", title_quoted=self.title_quoted))

    # --- invitations -------------------------------------------------------------------------

    @rx.event
    def set_invite(self, field: str, value: str):
        if field in ("invite_email", "invite_limit"):
            setattr(self, field, str(value)[:254])
            self.invite_errors = {}
        elif field == "invite_role" and value in ("member", "admin"):
            self.invite_role = value

    @rx.event
    async def invite(self, form: dict):
        form = form if isinstance(form, dict) else {}
        company_id = parse_id(self.company_id)
        email = str(form.get("invite_email") or self.invite_email)[:254].strip()
        limit_text = str(form.get("invite_limit") or self.invite_limit).strip()
        limit = parse_roubles(limit_text) if limit_text else None
        if limit_text and limit is None:
            self.invite_errors = {"monthly_limit_minor": tr("Лимит — сумма в рублях, например 15000")}
            return
        if company_id is None:
            return
        role = self.invite_role
        done = await self._act(lambda s, fx, u: companies.do_invite(
            s, fx, u, company_id, companies.InvitationIn(email=email, role=role, monthly_limit_minor=limit))[1])
        if not done.ok:
            self.invite_errors = {done.field if done.field in ("email", "monthly_limit_minor") else "email":
                                  done.message}
            return
        self.invite_link, self.invite_email, self.invite_limit, self.invite_errors = done.value, "", "", {}
        await self._card(company_id)
        yield rx.toast.success(tr("Приглашение отправлено на {email}", email=email))

    @rx.event
    async def revoke(self, invitation_id: int):
        company_id, invitation_id = parse_id(self.company_id), parse_id(invitation_id)
        if company_id is None or invitation_id is None:
            return
        done = await self._act(lambda s, _fx, u: companies.do_revoke_invitation(s, u, company_id, invitation_id))
        if done.ok:
            await self._card(company_id)
            yield rx.toast.success(tr("Приглашение отозвано: ссылка больше не действует"))
        else:
            yield done.toast()

    # --- members ---------------------------------------------------------------------------

    @rx.event
    def open_dialog(self, kind: str, user_id: int):
        member = next((m for m in self.members if m.user_id == parse_id(user_id)), None)
        if kind == "leave":
            self.dialog, self.dialog_error = "leave", ""
            return
        if member is None or kind not in ("member", "remove"):
            return
        self.target, self.dialog, self.dialog_error = member, kind, ""
        self.edit_role, self.edit_limit = member.role, member.limit_value

    @rx.event
    def close_dialog(self):
        self.dialog = ""

    @rx.event
    def dialog_open_changed(self, open_: bool):
        """Escape or a click outside closes a dialog on the page: the state follows."""
        if not open_:
            self.dialog = ""

    @rx.event
    def set_edit(self, field: str, value: str):
        if field == "edit_limit":
            self.edit_limit = str(value)[:20]
        elif field == "edit_role" and value in ("member", "admin"):
            self.edit_role = value
        self.dialog_error = ""

    @rx.event
    async def save_member(self):
        company_id, member_id = parse_id(self.company_id), self.target.user_id
        text = self.edit_limit.strip()
        limit = parse_roubles(text) if text else None
        if text and limit is None:
            self.dialog_error = tr("Лимит — сумма в рублях, например 15000; пусто — без лимита")
            return
        if company_id is None:
            return
        data = companies.MemberUpdate(role=self.edit_role, monthly_limit_minor=limit, clear_limit=limit is None)
        done = await self._act(lambda s, _fx, u: companies.do_update_member(s, u, company_id, member_id, data))
        if not done.ok:
            self.dialog_error = done.message
            return
        self.dialog = ""
        await self._card(company_id)
        yield rx.toast.success(tr("Сохранено: {name}", name=self.target.name))

    @rx.event
    async def remove_member(self):
        company_id, target_id = parse_id(self.company_id), self.target.user_id
        leaving = self.dialog == "leave"
        if company_id is None:
            return

        def work(session, _effects, user):
            companies.do_remove_member(session, user, company_id, user.id if leaving else target_id)
        done = await self._act(work)
        if not done.ok:
            self.dialog_error = done.message
            return
        self.dialog = ""
        if leaving:
            self.company_id = ""
            await self._show()
            yield rx.toast.success(tr("Вы вышли из компании"))
        else:
            await self._card(company_id)
            yield rx.toast.success(tr("{name} больше не в компании", name=self.target.name))

    # --- documents ----------------------------------------------------------------------------

    @rx.event
    async def download_invoice(self, invoice_id: int):
        invoice_id = parse_id(invoice_id)
        if invoice_id is None:
            return None
        done = await self._act(lambda s, _fx, u: invoices.access_invoice_pdf(s, u, invoice_id))
        if not done.ok:
            return done.toast()
        invoice = done.value
        return rx.download(data=invoice.pdf, filename=f"invoice-{invoice.number:06d}.pdf")

    @rx.event
    async def download_operations(self):
        company_id = parse_id(self.company_id)
        if company_id is None:
            return None
        done = await self._act(lambda s, _fx, u: invoices.company_operations_xlsx(
            s, u, company_id, PeriodFilter()))
        if not done.ok:
            return done.toast()
        return rx.download(data=done.value, filename=f"company-{company_id}-operations.xlsx")


class JoinCompanyState(PageState):
    """/company/join?token=...: whose invitation it is, and "Принять"."""

    loading: bool = True
    found: bool = False
    company: str = ""
    email: str = ""
    role_label: str = ""
    limit: str = ""
    refusal: str = ""  # why this account cannot accept it
    member_already: bool = False
    error: str = ""
    busy: bool = False

    def _token_in_url(self) -> str:
        return str(self.router.url.query_parameters.get("token", ""))[:80]

    @rx.event
    async def load(self):
        self.loading, self.error = True, ""
        token = self._token_in_url()
        if not (await self._auth()).signed_in:  # the private-page redirect takes them to sign-in
            return
        done = await self._act(lambda s, _fx, u: companies.access_invitation(s, u, token))
        self.loading, self.found = False, done.ok
        if not done.ok:
            self.error = done.message
            return
        p = done.value
        self.company, self.email, self.role_label = quoted(p.company), p.email, p.role_label
        self.limit = "" if p.monthly_limit_minor is None else format_money(p.monthly_limit_minor, p.currency)
        self.refusal, self.member_already = p.refusal, p.member_already

    @rx.event
    async def accept(self):
        token = self._token_in_url()
        self.busy = True
        yield
        done = await self._act(lambda s, _fx, u: companies.do_accept_invitation(s, u, token).id)
        self.busy = False
        if not done.ok:
            self.refusal = done.message
            return
        yield rx.toast.success(tr("Вы в компании {company}: бронируйте на её счёт", company=self.company))
        yield rx.redirect(f"/cabinet/company?company={done.value}")

    @rx.event
    async def switch_account(self):
        """"Войти с другим адресом": this device signs out and comes back to the invitation."""
        here = f"/company/join?token={self._token_in_url()}"
        await self._act_here(lambda s, _fx, _u, row: auth_sessions.do_sign_out(s, row))
        return (await self._auth())._signed_out(login_url(here))
