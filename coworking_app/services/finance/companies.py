"""Company accounts: a company's members book "на счёт компании" without a card, within its
credit limit and their own monthly limit, and the company pays by weekly invoice
(services/finance/invoices.py). docs/finance.md.

- Whoever creates a company is its admin; admins invite members by email (a signed link,
  valid COMPANY_INVITATION_DAYS days, accepted by the account with that email), set
  members' monthly limits, and see every member's bookings and the invoices.
- A booking on account is paid at once by the company (a Payment of the provider
  "account"): the ledger puts it on the company's unbilled receivable. The credit limit
  bounds what the company owes (unbilled plus invoiced, unpaid); an overdue invoice closes
  booking on account until it is paid.
- Credit limits are set by the network's admins (a new company gets COMPANY_CREDIT_LIMIT_MINOR).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import COMPANY_ROLE_LABELS, format_money
from coworking_app.services.accounts.identity import check_email, find_user_by_email
from coworking_app.services.accounts.permissions import check_can_book, check_role
from coworking_app.services.accounts.security import digest
from coworking_app.services.booking.bookings import access_booking_for_renter
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from coworking_app.services.common.fields import Line, MoneyMinor
from coworking_app.services.common.text import check_chars
from coworking_app.services.finance import ledger, requisites
from coworking_app.services.messaging import mailer
from coworking_app.services.messaging.notifications import do_notify
from coworking_app.services.payments.payments import amount_due, do_payment_succeeded
from coworking_app.settings import get_settings
from models import (
    Booking,
    Channel,
    Company,
    CompanyInvitation,
    CompanyMember,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Role,
    User,
)
from coworking_app.i18n import N_, tr


class CompanyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line(200, min_length=1) = Field(description=N_("Legal name: ООО «Ромашка»"))
    inn: Line(12, min_length=1)
    kpp: Line(9) | None = None
    address: Line(500, min_length=1)
    billing_email: Line(254, min_length=1)
    vat_status: str = Field("vat", pattern="^(vat|no_vat)$")


class CompanyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line(200, min_length=1) | None = None
    address: Line(500, min_length=1) | None = None
    billing_email: Line(254, min_length=1) | None = None
    kpp: Line(9) | None = None
    vat_status: str | None = Field(None, pattern="^(vat|no_vat)$")


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Line(254, min_length=1)
    role: str = Field("member", pattern="^(admin|member)$")
    monthly_limit_minor: MoneyMinor | None = None


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None = Field(None, pattern="^(admin|member)$")
    monthly_limit_minor: MoneyMinor | None = None
    clear_limit: bool = False


# --- creating and reading ----------------------------------------------------------------


def _text(field: str, value: str) -> str:
    value = check_chars(field, (value or "").strip())
    if not value:
        raise InvalidInput(field, tr("Заполните это поле"))
    return value


def do_create_company(session: Session, user: User | None, data: CompanyIn) -> Company:
    """A company with the caller as its admin. ИНН and КПП are checked (check digits; an
    organisation needs a КПП, an ИП has none)."""
    user = check_role(user, Role.renter, Role.owner, Role.operator, Role.admin)
    inn, kpp = requisites.check_inn_kpp(data.inn, data.kpp or None)
    company = Company(name=_text("name", data.name), inn=inn, kpp=kpp, address=_text("address", data.address),
                      billing_email=check_email(data.billing_email).lower(), vat_status=data.vat_status,
                      credit_limit_minor=get_settings().company_credit_limit_minor, created_by=user.id)
    session.add(company)
    session.flush()
    session.add(CompanyMember(company_id=company.id, user_id=user.id, role="admin"))
    session.flush()
    return company


def _member(session: Session, company_id: int, user_id: int) -> CompanyMember | None:
    return session.get(CompanyMember, (company_id, user_id))


def access_company(session: Session, user: User | None, company_id: int, *, admin: bool = False,
                   lock: bool = False) -> tuple[Company, CompanyMember | None]:
    """The company and the caller's membership; `admin`: only its admins (and the network's
    admins). Others get 404: a company's existence is nobody else's business."""
    if user is None:
        check_role(user, Role.renter)
    company = session.get(Company, company_id, with_for_update=lock) if 0 < company_id < 2**31 else None
    member = _member(session, company_id, user.id) if company else None
    staff = user.has_role(Role.admin, Role.operator)
    if company is None or (member is None and not staff):
        raise NotFound(tr("Компания не найдена"))
    if admin and not staff and member.role != "admin":
        raise PermissionDenied(tr("Это может только администратор компании"))
    if admin and staff and member is None and not user.has_role(Role.admin):
        raise PermissionDenied(tr("Изменять компанию могут её администраторы"))
    return company, member


def do_update_company(session: Session, user: User | None, company_id: int, data: CompanyUpdate) -> Company:
    company, _ = access_company(session, user, company_id, admin=True, lock=True)
    if data.name is not None:
        company.name = _text("name", data.name)
    if data.address is not None:
        company.address = _text("address", data.address)
    if data.billing_email is not None:
        company.billing_email = check_email(data.billing_email).lower()
    if data.vat_status is not None:
        company.vat_status = data.vat_status
    if "kpp" in data.model_fields_set:
        _, company.kpp = requisites.check_inn_kpp(company.inn, data.kpp or None)
    session.flush()
    return company


def do_set_credit_limit(session: Session, user: User | None, company_id: int, limit: int) -> Company:
    """The network's admins decide how much a company may owe."""
    check_role(user, Role.admin)
    company = session.get(Company, company_id, with_for_update=True) if 0 < company_id < 2**31 else None
    if company is None:
        raise NotFound(tr("Компания не найдена"))
    if limit < 0:
        raise InvalidInput("credit_limit_minor", tr("Лимит не может быть отрицательным"))
    company.credit_limit_minor = limit
    session.flush()
    return company


# --- what the company owes ----------------------------------------------------------------


def company_today(company: Company, now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(company.timezone)).date()


def overdue_invoices(session: Session, company: Company, *, now: datetime | None = None) -> list[Invoice]:
    return list(session.scalars(select(Invoice).where(
        Invoice.company_id == company.id, Invoice.status == InvoiceStatus.issued.value,
        Invoice.due_date < company_today(company, now)).order_by(Invoice.due_date)))


def owed(session: Session, company: Company) -> tuple[int, int]:
    """(not invoiced yet, invoiced and unpaid), from the ledger."""
    found = ledger.balances(session, [ledger.unbilled(company.id, company.currency),
                                      ledger.receivable(company.id, company.currency)])
    return (found[ledger.unbilled(company.id, company.currency).code],
            found[ledger.receivable(company.id, company.currency).code])


def month_start_utc(company: Company, now: datetime | None = None) -> datetime:
    zone = ZoneInfo(company.timezone)
    local = (now or datetime.now(timezone.utc)).astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def member_spent_this_month(session: Session, company: Company, user_id: int, *, now: datetime | None = None) -> int:
    """What a member's bookings on the company's account hold this month (paid minus refunded)."""
    return int(session.scalar(
        select(func.coalesce(func.sum(Payment.amount_minor - Payment.refunded_minor), 0))
        .join(Booking, Booking.id == Payment.booking_id)
        .where(Payment.provider == ledger.ON_ACCOUNT, Payment.status == PaymentStatus.succeeded.value,
               Booking.company_id == company.id, Booking.user_id == user_id,
               Payment.succeeded_at >= month_start_utc(company, now))) or 0)


def check_can_charge(session: Session, company: Company, member: CompanyMember, amount: int, currency: str,
                     *, now: datetime | None = None) -> None:
    """Refuses a charge the company's account cannot take now (409 on `company_id`)."""
    if currency != company.currency:
        raise Conflict("company_id", tr("Счёт компании ведётся в {currency}, а бронь — в {currency2}", currency=company.currency, currency2=currency))
    late = overdue_invoices(session, company, now=now)
    if late:
        raise Conflict("company_id", tr("У компании просрочен счёт № {number}: бронировать на счёт можно после его оплаты", number=late[0].number))
    unbilled, invoiced = owed(session, company)
    room = company.credit_limit_minor - unbilled - invoiced
    if amount > room:
        raise Conflict("company_id", tr("Не хватает кредитного лимита компании: доступно {format_money}, нужно {format_money2}", format_money=format_money(max(room, 0), currency), format_money2=format_money(amount, currency)))
    if member.monthly_limit_minor is not None:
        left = member.monthly_limit_minor - member_spent_this_month(session, company, member.user_id, now=now)
        if amount > left:
            raise Conflict("company_id", tr("Превышен ваш месячный лимит на счёт компании: осталось {format_money}", format_money=format_money(max(left, 0), currency)))


def do_pay_on_account(session: Session, effects: Effects, user: User | None, booking_id: int,
                      company_id: int, *, now: datetime | None = None) -> Booking:
    """Pays what the booking owes from the company's account: no card, the company's
    weekly invoice pays it. Within the credit limit and the member's monthly limit, and
    never with an overdue invoice."""
    user = check_can_book(user)
    now = now or datetime.now(timezone.utc)
    # The company row is locked first: two members' charges take turns on its limit.
    company, member = access_company(session, user, company_id, lock=True)
    if member is None:
        raise NotFound(tr("Компания не найдена"))
    booking = access_booking_for_renter(session, user, booking_id, action="pay", now=now)
    if booking.company_id not in (None, company.id):
        raise Conflict("company_id", tr("Эта бронь уже оплачивается другой компанией"))
    amount, purpose = amount_due(booking)
    check_can_charge(session, company, member, amount, booking.currency, now=now)
    booking.company_id = company.id
    payment = Payment(booking_id=booking.id, provider=ledger.ON_ACCOUNT, purpose=purpose,
                      idempotency_key=f"account-{booking.id}-{purpose}-{booking.paid_minor}-{amount}",
                      amount_minor=amount, currency=booking.currency,
                      change=booking.pending_change if purpose == "change" else None)
    session.add(payment)
    session.flush()
    do_payment_succeeded(session, effects, payment, provider_payment_id=f"account-{company.id}-{payment.id}",
                         now=now)
    session.flush()
    return booking


# --- members and invitations ------------------------------------------------------------


def invitation_token(invitation: CompanyInvitation) -> str:
    """The link's token: the invitation's id and a signature of it (SECRET_KEY), so the
    mail can be written again by a job without the token being stored anywhere."""
    signed = digest(f"company-invitation:{invitation.id}:{invitation.email.lower()}:"
                    f"{invitation.expires_at.isoformat()}")[:40]
    return f"{invitation.id}-{signed}"


def invitation_link(invitation: CompanyInvitation) -> str:
    return f"{get_settings().base_url}/company/join?token={invitation_token(invitation)}"


def do_invite(session: Session, effects: Effects, user: User | None, company_id: int,
              data: InvitationIn) -> tuple[CompanyInvitation, str]:
    """A company admin invites someone by email; returns the invitation and its link (also
    mailed). A person already a member, or already invited, is refused."""
    company, _ = access_company(session, user, company_id, admin=True, lock=True)
    email = check_email(data.email)
    invitee = find_user_by_email(session, email)
    if invitee is not None and _member(session, company.id, invitee.id) is not None:
        raise Conflict("email", tr("Этот человек уже в компании"))
    if session.scalar(select(CompanyInvitation.id).where(
            CompanyInvitation.company_id == company.id, func.lower(CompanyInvitation.email) == email.lower(),
            CompanyInvitation.accepted_at.is_(None), CompanyInvitation.revoked_at.is_(None),
            CompanyInvitation.expires_at > datetime.now(timezone.utc))):
        raise Conflict("email", tr("Приглашение на этот адрес уже отправлено"))
    # An expired open invitation of the same address is closed, so the new one may exist.
    for old in session.scalars(select(CompanyInvitation).where(
            CompanyInvitation.company_id == company.id, func.lower(CompanyInvitation.email) == email.lower(),
            CompanyInvitation.accepted_at.is_(None), CompanyInvitation.revoked_at.is_(None))):
        old.revoked_at = datetime.now(timezone.utc)
    session.flush()
    days = get_settings().company_invitation_days
    invitation = CompanyInvitation(
        company_id=company.id, email=email, role=data.role, monthly_limit_minor=data.monthly_limit_minor,
        token_digest="pending", invited_by=user.id,
        expires_at=(datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0))
    session.add(invitation)
    session.flush()
    invitation.token_digest = hashlib.sha256(invitation_token(invitation).encode()).hexdigest()
    session.flush()
    effects.queue_job("jobs.finance.send_company_invitation", invitation.id,
                      job_id=f"company-invitation-{invitation.id}", retry_intervals=(30, 300, 1800))
    if invitee is not None:
        do_notify(session, effects, invitee, "company_invitation", {
            "company": company.name, "inviter": user.full_name, "days": days,
            "link": f"/company/join?token={invitation_token(invitation)}"},
            dedupe=f"company_invitation:{invitation.id}", channels=(Channel.in_app,))
    # (the email goes out by the invitation's own job, to the address invited, whether or
    # not it has an account)
    return invitation, invitation_link(invitation)


def do_send_invitation_mail(session: Session, invitation_id: int) -> str:
    invitation = session.get(CompanyInvitation, invitation_id)
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        return "skipped: no open invitation"
    company = session.get(Company, invitation.company_id)
    inviter = session.get(User, invitation.invited_by) if invitation.invited_by else None
    days = get_settings().company_invitation_days
    text = (tr("{value} приглашает вас бронировать рабочие места на счёт компании {name} в CoSpace.\n\nЧтобы принять приглашение, откройте ссылку (она действует {days} дн.) и войдите или зарегистрируйтесь с адресом {email}:\n{invitation_link}\n", value=inviter.full_name if inviter else 'Администратор', name=company.name, days=days, email=invitation.email, invitation_link=invitation_link(invitation)))
    try:
        mailer.send(mailer.Mail(to=invitation.email, subject=tr("Приглашение в компанию {name}", name=company.name), text=text))
    except mailer.TransientMailError as exc:
        return f"retry: {exc}"
    return "sent"


def _invitation_by_token(session: Session, token: str) -> CompanyInvitation:
    head, _, _sig = (token or "").partition("-")
    invitation = session.get(CompanyInvitation, int(head), with_for_update=True) \
        if head.isdigit() and 0 < int(head) < 2**31 else None
    if invitation is None or not hmac.compare_digest(invitation_token(invitation), token):
        raise NotFound(tr("Приглашение не найдено: проверьте ссылку"))
    return invitation


def do_accept_invitation(session: Session, user: User | None, token: str) -> Company:
    """The invited person joins: the signed-in account's email must be the one invited."""
    user = check_role(user, Role.renter, Role.owner, Role.operator, Role.admin)
    invitation = _invitation_by_token(session, token)
    if invitation.revoked_at is not None:
        raise Conflict("token", tr("Приглашение отозвано"))
    if invitation.accepted_at is not None:
        raise Conflict("token", tr("Приглашение уже принято"))
    if invitation.expires_at <= datetime.now(timezone.utc):
        raise Conflict("token", tr("Срок приглашения истёк: попросите администратора компании прислать новое"))
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied(tr("Приглашение отправлено на {email}: войдите с этим адресом", email=invitation.email))
    invitation.accepted_at = datetime.now(timezone.utc)
    if _member(session, invitation.company_id, user.id) is None:
        session.add(CompanyMember(company_id=invitation.company_id, user_id=user.id, role=invitation.role,
                                  monthly_limit_minor=invitation.monthly_limit_minor))
    session.flush()
    return session.get(Company, invitation.company_id)


@dataclass(frozen=True)
class InvitationPreview:
    """What the invitation page says before "Принять": whose invitation it is, and whether
    this account can accept it (`refusal`: why not, as do_accept_invitation would say)."""

    company: str
    email: str
    role_label: str
    monthly_limit_minor: int | None
    currency: str
    member_already: bool
    refusal: str


def access_invitation(session: Session, user: User | None, token: str) -> InvitationPreview:
    """The invitation behind a link, for the signed-in person who opened it (404 for a
    wrong link)."""
    user = check_role(user, Role.renter, Role.owner, Role.operator, Role.admin)
    invitation = _invitation_by_token(session, token)
    company = session.get(Company, invitation.company_id)
    member = _member(session, company.id, user.id) is not None
    refusal = ""
    if invitation.revoked_at is not None:
        refusal = tr("Приглашение отозвано администратором компании")
    elif invitation.accepted_at is not None:
        refusal = tr("Приглашение уже принято")
    elif invitation.expires_at <= datetime.now(timezone.utc):
        refusal = tr("Срок приглашения истёк: попросите администратора компании прислать новое")
    elif user.email.lower() != invitation.email.lower():
        refusal = tr("Приглашение отправлено на {email}: войдите с этим адресом", email=invitation.email)
    return InvitationPreview(company.name, invitation.email, COMPANY_ROLE_LABELS[invitation.role],
                             invitation.monthly_limit_minor, company.currency, member, refusal)


def do_revoke_invitation(session: Session, user: User | None, company_id: int, invitation_id: int) -> None:
    company, _ = access_company(session, user, company_id, admin=True)
    invitation = session.get(CompanyInvitation, invitation_id, with_for_update=True)
    if invitation is None or invitation.company_id != company.id:
        raise NotFound(tr("Приглашение не найдено"))
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = datetime.now(timezone.utc)
    session.flush()


def _admins_left(session: Session, company_id: int, without: int) -> int:
    return int(session.scalar(select(func.count()).select_from(CompanyMember).where(
        CompanyMember.company_id == company_id, CompanyMember.role == "admin",
        CompanyMember.user_id != without)) or 0)


def do_update_member(session: Session, user: User | None, company_id: int, member_id: int,
                     data: MemberUpdate) -> CompanyMember:
    company, _ = access_company(session, user, company_id, admin=True, lock=True)
    member = _member(session, company.id, member_id)
    if member is None:
        raise NotFound(tr("Сотрудник не найден"))
    if data.role is not None and data.role != member.role:
        if member.role == "admin" and not _admins_left(session, company.id, member.user_id):
            raise Conflict("role", tr("В компании должен остаться хотя бы один администратор"))
        member.role = data.role
    if data.clear_limit:
        member.monthly_limit_minor = None
    elif data.monthly_limit_minor is not None:
        member.monthly_limit_minor = data.monthly_limit_minor
    session.flush()
    return member


def do_remove_member(session: Session, user: User | None, company_id: int, member_id: int) -> None:
    """An admin removes a member, or a member leaves. Their bookings already on the account
    stay on its invoices."""
    company, me = access_company(session, user, company_id, admin=member_id != user.id if user else True,
                                 lock=True)
    member = _member(session, company.id, member_id)
    if member is None:
        raise NotFound(tr("Сотрудник не найден"))
    if member.role == "admin" and not _admins_left(session, company.id, member.user_id):
        raise Conflict("user_id", tr("В компании должен остаться хотя бы один администратор"))
    session.delete(member)
    session.flush()


# --- views --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberOut:
    user_id: int
    full_name: str
    email: str
    role: str
    role_label: str
    monthly_limit_minor: int | None
    spent_this_month_minor: int


@dataclass(frozen=True)
class InvitationOut:
    id: int
    email: str
    role: str
    monthly_limit_minor: int | None
    expires_at: datetime
    status: str  # open | accepted | revoked | expired


@dataclass(frozen=True)
class CompanyOut:
    id: int
    name: str
    inn: str
    kpp: str | None
    address: str
    billing_email: str
    vat_status: str
    currency: str
    credit_limit_minor: int
    unbilled_minor: int
    invoiced_unpaid_minor: int
    available_credit_minor: int
    overdue: bool
    my_role: str | None
    members: list[MemberOut]
    invitations: list[InvitationOut]


def _invitation_status(inv: CompanyInvitation, now: datetime) -> str:
    if inv.accepted_at:
        return "accepted"
    if inv.revoked_at:
        return "revoked"
    return "expired" if inv.expires_at <= now else "open"


def company_out(session: Session, company: Company, member: CompanyMember | None, *,
                now: datetime | None = None) -> CompanyOut:
    """The company as its people see it; members and invitations only for its admins (and staff)."""
    now = now or datetime.now(timezone.utc)
    unbilled, invoiced = owed(session, company)
    sees_all = member is None or member.role == "admin"
    members: list[MemberOut] = []
    invitations: list[InvitationOut] = []
    if sees_all:
        for m, name, email in session.execute(
                select(CompanyMember, User.full_name, User.email).join(User, User.id == CompanyMember.user_id)
                .where(CompanyMember.company_id == company.id).order_by(CompanyMember.role, User.full_name)):
            members.append(MemberOut(m.user_id, name, email, m.role, COMPANY_ROLE_LABELS[m.role],
                                     m.monthly_limit_minor,
                                     member_spent_this_month(session, company, m.user_id, now=now)))
        invitations = [InvitationOut(i.id, i.email, i.role, i.monthly_limit_minor, i.expires_at,
                                     _invitation_status(i, now))
                       for i in session.scalars(select(CompanyInvitation).where(
                           CompanyInvitation.company_id == company.id).order_by(CompanyInvitation.id.desc())
                           .limit(100))]
    return CompanyOut(
        id=company.id, name=company.name, inn=company.inn, kpp=company.kpp, address=company.address,
        billing_email=company.billing_email, vat_status=company.vat_status, currency=company.currency,
        credit_limit_minor=company.credit_limit_minor, unbilled_minor=unbilled, invoiced_unpaid_minor=invoiced,
        available_credit_minor=max(company.credit_limit_minor - unbilled - invoiced, 0),
        overdue=bool(overdue_invoices(session, company, now=now)), my_role=member.role if member else None,
        members=members, invitations=invitations)


def my_companies(session: Session, user: User | None) -> list[tuple[Company, CompanyMember]]:
    """The companies the person belongs to (the checkout offers paying on their account)."""
    if user is None:
        return []
    return [(c, m) for c, m in session.execute(
        select(Company, CompanyMember).join(CompanyMember, CompanyMember.company_id == Company.id)
        .where(CompanyMember.user_id == user.id).order_by(Company.name))]


def company_bookings(session: Session, user: User | None, company_id: int, *, limit: int = 200) -> list[Booking]:
    """Every member's bookings on the company's account (its admins); a member sees their own."""
    company, member = access_company(session, user, company_id)
    query = (select(Booking).where(Booking.company_id == company.id)
             .order_by(Booking.start_at.desc()).limit(min(limit, 1000)))
    if member is not None and member.role != "admin":
        query = query.where(Booking.user_id == user.id)
    return list(session.scalars(query))


def list_companies(session: Session, user: User | None, *, limit: int = 500) -> list[Company]:
    check_role(user, Role.admin, Role.operator)
    return list(session.scalars(select(Company).order_by(Company.name).limit(min(limit, 2000))))
