"""Finance over REST: owners' earnings and payouts, admins' payouts, ledger check, penalties
and reconciliation (services/finance; docs/finance.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from coworking_app.api.bookings import PaymentOut, payment_out
from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.booking.bookings import BookingView, booking_views
from coworking_app.services.common.fields import Day, Id, Line, MoneyMinor, Text
from coworking_app.services.finance import adjustments, companies, invoices, ledger, payouts
from coworking_app.services.finance.exports import PeriodFilter
from coworking_app.services.finance.penalties import PenaltyOut, booking_penalties
from models import PenaltyStatus

router = APIRouter(tags=["finance"], route_class=EdgeRoute, responses=SIGNED_IN)
_PDF = {200: {"content": {"application/pdf": {}}, "description": "The PDF document"}}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX = {200: {"content": {XLSX_TYPE: {}}, "description": "The Excel file"}}
_CONFLICT = responses(409)
Currency = Annotated[str | None, Query(pattern="^[A-Z]{3}$", description="ISO 4217, e.g. RUB")]


def _file(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"})


# --- owners ------------------------------------------------------------------------------------


@router.get("/owner/finance", response_model=payouts.OwnerFinanceOut)
def owner_finance(user: CurrentUser, session: DbSession, period: Annotated[PeriodFilter, Query()],
                  currency: Currency = None) -> payouts.OwnerFinanceOut:
    """The owner's balance: `pending_minor` (their share of paid bookings not completed yet),
    `available_minor` (their share of completed bookings not paid out yet), the next payout
    date and the lines that make up the balance, newest first."""
    return payouts.owner_finance(session, user, currency=currency, period=period)


@router.get("/owner/finance/operations.xlsx", response_class=Response, responses=_XLSX)
def owner_operations(user: CurrentUser, session: DbSession, period: Annotated[PeriodFilter, Query()],
                     currency: Currency = None) -> Response:
    content = payouts.owner_operations_xlsx(session, user, currency=currency, period=period)
    return _file(content, XLSX_TYPE, "operations.xlsx")


@router.put("/owner/finance/bank-details", response_model=payouts.BankDetailsOut)
def set_bank_details(body: payouts.BankDetailsIn, user: CurrentUser, uow: Uow) -> payouts.BankDetailsOut:
    """The owner's bank details for payouts (checked: ИНН, БИК, the accounts' keys); shown masked."""
    return uow.run(lambda s, _fx: payouts.do_set_bank_details(s, user, body))


@router.get("/owner/payouts", response_model=list[payouts.PayoutOut])
def owner_payouts(user: CurrentUser, session: DbSession) -> list[payouts.PayoutOut]:
    return [payouts.payout_out(p) for p in payouts.list_owner_payouts(session, user)]


@router.get("/owner/payouts/{payout_id}/statement.pdf", response_class=Response, responses=_PDF)
def payout_statement(payout_id: PathId, user: CurrentUser, session: DbSession) -> Response:
    payout = payouts.access_payout_pdf(session, user, payout_id)
    return _file(payout.pdf, "application/pdf", f"payout-{payout.number:06d}.pdf")


# --- admins ------------------------------------------------------------------------------------


class DifferenceOut(BaseModel):
    kind: str
    reference: str
    kept_minor: int
    counted_minor: int


class LedgerCheckOut(BaseModel):
    balanced: bool
    accounts_checked: int
    entries_checked: int
    differences: list[DifferenceOut]


@router.get("/admin/finance/ledger/check", response_model=LedgerCheckOut)
def ledger_check(user: CurrentUser, session: DbSession) -> LedgerCheckOut:
    """Every account's kept balance against the sum of its lines; every entry and every
    currency summing to zero."""
    check = ledger.access_ledger_check(session, user)
    return LedgerCheckOut(balanced=check.balanced, accounts_checked=check.accounts_checked,
                          entries_checked=check.entries_checked,
                          differences=[DifferenceOut(**d.__dict__) for d in check.differences])


class PayoutRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period_start: Day | None = Field(None, description="The month's first day; default: the last month")


class PayoutRunOut(BaseModel):
    period_start: date
    queued: bool


@router.post("/admin/finance/payouts/run", status_code=status.HTTP_202_ACCEPTED, response_model=PayoutRunOut)
def run_payouts(body: PayoutRunIn, user: CurrentUser, uow: Uow) -> PayoutRunOut:
    """Runs a month's payouts now (as the 1st of the month does); owners already paid for it are skipped."""
    period = uow.run(lambda s, fx: payouts.do_request_payout_run(s, fx, user, body.period_start))
    return PayoutRunOut(period_start=period, queued=True)


@router.get("/admin/finance/payouts", response_model=list[payouts.PayoutOut])
def admin_payouts(user: CurrentUser, session: DbSession,
                  flt: Annotated[payouts.PayoutFilter, Query()]) -> list[payouts.PayoutOut]:
    return [payouts.payout_out(p, name, email) for p, name, email in payouts.list_payouts(session, user, flt)]


class PaidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank_reference: Line(120, min_length=1)


class FailedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text(500, min_length=1)


@router.post("/admin/finance/payouts/{payout_id}/paid", response_model=payouts.PayoutOut, responses=_CONFLICT)
def payout_paid(payout_id: PathId, body: PaidIn, user: CurrentUser, uow: Uow) -> payouts.PayoutOut:
    """The bank sent the money: its reference is recorded, the payout is `paid`."""
    return uow.run(lambda s, fx: payouts.payout_out(
        payouts.do_mark_payout_paid(s, fx, user, payout_id, body.bank_reference)))


@router.post("/admin/finance/payouts/{payout_id}/failed", response_model=payouts.PayoutOut, responses=_CONFLICT)
def payout_failed(payout_id: PathId, body: FailedIn, user: CurrentUser, uow: Uow) -> payouts.PayoutOut:
    """The bank returned the transfer: the amount goes back to the owner's balance."""
    return uow.run(lambda s, fx: payouts.payout_out(
        payouts.do_mark_payout_failed(s, fx, user, payout_id, body.reason)))


class CommissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commission_bp: int | None = Field(None, ge=0, le=10_000,
                                      description="Basis points of the price before VAT (1500 = 15 %); null = the default")


class CommissionOut(BaseModel):
    owner_id: int
    commission_bp: int


@router.put("/admin/owners/{owner_id}/commission", response_model=CommissionOut)
def set_commission(owner_id: PathId, body: CommissionIn, user: CurrentUser, uow: Uow) -> CommissionOut:
    rate = uow.run(lambda s, _fx: payouts.do_set_commission(s, user, owner_id, body.commission_bp))
    return CommissionOut(owner_id=owner_id, commission_bp=rate)


# --- penalties and refunds by hand ------------------------------------------------------------


@router.get("/admin/finance/penalties", response_model=list[PenaltyOut])
def penalties(user: CurrentUser, session: DbSession,
              penalty_status: Annotated[PenaltyStatus | None, Query(alias="status")] = None) -> list[PenaltyOut]:
    return adjustments.list_penalties(session, user, status=penalty_status)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text(500, min_length=1)


@router.post("/admin/finance/penalties/{penalty_id}/waive", response_model=PenaltyOut,
             responses=_CONFLICT)
def waive_penalty(penalty_id: PathId, body: ReasonIn, user: CurrentUser, uow: Uow) -> PenaltyOut:
    """Waives a penalty with a reason (audited): the fee goes back to the renter."""
    def work(s, fx):
        penalty = adjustments.do_waive_penalty(s, fx, user, penalty_id, body.reason)
        return booking_penalties(s, [penalty.booking_id])[penalty.booking_id][-1]
    return uow.run(work)


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: MoneyMinor
    reason: Text(500, min_length=1)


class RefundOut(BaseModel):
    booking_id: int
    refunded_minor: int
    held_minor: int


@router.post("/admin/bookings/{booking_id}/refund", response_model=RefundOut)
def admin_refund(booking_id: PathId, body: RefundIn, user: CurrentUser, uow: Uow) -> RefundOut:
    """A goodwill refund of any booking holding money, also after it completed (the owner's
    share comes off their next payout)."""
    booking = uow.run(lambda s, fx: adjustments.do_admin_refund(s, fx, user, booking_id, body.amount_minor,
                                                                body.reason))
    return RefundOut(booking_id=booking.id, refunded_minor=booking.refunded_minor,
                     held_minor=booking.paid_minor - booking.refunded_minor)


# --- companies --------------------------------------------------------------------------------


@router.post("/companies", status_code=status.HTTP_201_CREATED, response_model=companies.CompanyOut)
def create_company(body: companies.CompanyIn, user: CurrentUser, uow: Uow) -> companies.CompanyOut:
    """A company account; the caller becomes its admin. An ИНН with a wrong check digit is
    refused (422 on `inn`), as is an organisation without a КПП."""
    def work(s, _fx):
        created = companies.do_create_company(s, user, body)
        return companies.company_out(s, *companies.access_company(s, user, created.id))
    return uow.run(work)


class CompanyBrief(BaseModel):
    id: int
    name: str
    role: str


@router.get("/companies", response_model=list[CompanyBrief])
def my_companies(user: CurrentUser, session: DbSession) -> list[CompanyBrief]:
    return [CompanyBrief(id=c.id, name=c.name, role=m.role) for c, m in companies.my_companies(session, user)]


@router.get("/companies/{company_id}", response_model=companies.CompanyOut)
def company(company_id: PathId, user: CurrentUser, session: DbSession) -> companies.CompanyOut:
    return companies.company_out(session, *companies.access_company(session, user, company_id))


@router.patch("/companies/{company_id}", response_model=companies.CompanyOut)
def update_company(company_id: PathId, body: companies.CompanyUpdate, user: CurrentUser,
                   uow: Uow) -> companies.CompanyOut:
    def work(s, _fx):
        companies.do_update_company(s, user, company_id, body)
        return companies.company_out(s, *companies.access_company(s, user, company_id))
    return uow.run(work)


class InvitationCreated(BaseModel):
    id: int
    email: str
    link: str


@router.post("/companies/{company_id}/invitations", status_code=status.HTTP_201_CREATED,
             response_model=InvitationCreated, responses=_CONFLICT)
def invite(company_id: PathId, body: companies.InvitationIn, user: CurrentUser, uow: Uow) -> InvitationCreated:
    """Invites a member by email (the link is mailed, and returned to share it another way)."""
    invitation, link = uow.run(lambda s, fx: companies.do_invite(s, fx, user, company_id, body))
    return InvitationCreated(id=invitation.id, email=invitation.email, link=link)


@router.delete("/companies/{company_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_invitation(company_id: PathId, invitation_id: PathId, user: CurrentUser, uow: Uow) -> Response:
    uow.run(lambda s, _fx: companies.do_revoke_invitation(s, user, company_id, invitation_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Line(80, min_length=3)


@router.post("/companies/invitations/accept", response_model=companies.CompanyOut, responses=_CONFLICT)
def accept_invitation(body: AcceptIn, user: CurrentUser, uow: Uow) -> companies.CompanyOut:
    def work(s, _fx):
        joined = companies.do_accept_invitation(s, user, body.token)
        return companies.company_out(s, *companies.access_company(s, user, joined.id))
    return uow.run(work)


@router.patch("/companies/{company_id}/members/{member_id}", response_model=companies.CompanyOut,
              responses=_CONFLICT)
def update_member(company_id: PathId, member_id: PathId, body: companies.MemberUpdate, user: CurrentUser,
                  uow: Uow) -> companies.CompanyOut:
    def work(s, _fx):
        companies.do_update_member(s, user, company_id, member_id, body)
        return companies.company_out(s, *companies.access_company(s, user, company_id))
    return uow.run(work)


@router.delete("/companies/{company_id}/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=_CONFLICT)
def remove_member(company_id: PathId, member_id: PathId, user: CurrentUser, uow: Uow) -> Response:
    uow.run(lambda s, _fx: companies.do_remove_member(s, user, company_id, member_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/companies/{company_id}/bookings", response_model=list[BookingView])
def company_bookings(company_id: PathId, user: CurrentUser, session: DbSession) -> list[BookingView]:
    """The bookings on the company's account: all members' for its admins, one's own for a member."""
    return booking_views(session, companies.company_bookings(session, user, company_id), user)


@router.get("/companies/{company_id}/invoices", response_model=list[invoices.InvoiceOut])
def company_invoices(company_id: PathId, user: CurrentUser, session: DbSession) -> list[invoices.InvoiceOut]:
    return invoices.company_invoices(session, user, company_id)


@router.get("/invoices/{invoice_id}.pdf", response_class=Response, responses=_PDF)
def invoice_pdf(invoice_id: PathId, user: CurrentUser, session: DbSession) -> Response:
    invoice = invoices.access_invoice_pdf(session, user, invoice_id)
    return _file(invoice.pdf, "application/pdf", f"invoice-{invoice.number:06d}.pdf")


@router.post("/invoices/{invoice_id}/pay", response_model=PaymentOut, responses=responses(403, 409, 502))
def pay_invoice(invoice_id: PathId, user: CurrentUser, uow: Uow) -> PaymentOut:
    """Opens a card payment for the whole of an unpaid invoice (its company's admins): the
    payer goes to `payment_url`; the invoice is paid when the provider confirms the money.
    Called again within 25 minutes, it returns the same payment."""
    return payment_out(uow.run(lambda s, _fx: invoices.do_start_invoice_payment(s, user, invoice_id)))


class OnAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company_id: Id


@router.post("/bookings/{booking_id}/pay-on-account", response_model=BookingView, responses=_CONFLICT)
def pay_on_account(booking_id: PathId, body: OnAccountIn, user: CurrentUser, uow: Uow) -> BookingView:
    """Pays what the booking owes from the company's account ("на счёт компании"), within
    its credit limit and the member's monthly limit; refused while an invoice is overdue."""
    return uow.run(lambda s, fx: booking_views(
        s, [companies.do_pay_on_account(s, fx, user, booking_id, body.company_id)], user)[0])


# --- companies and invoices for the network's admins ------------------------------------------


class CompanyRow(BaseModel):
    id: int
    name: str
    inn: str
    billing_email: str
    credit_limit_minor: int


@router.get("/admin/companies", response_model=list[CompanyRow])
def admin_companies(user: CurrentUser, session: DbSession) -> list[CompanyRow]:
    return [CompanyRow(id=c.id, name=c.name, inn=c.inn, billing_email=c.billing_email,
                       credit_limit_minor=c.credit_limit_minor) for c in companies.list_companies(session, user)]


class CreditLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credit_limit_minor: MoneyMinor


@router.put("/admin/companies/{company_id}/credit-limit", response_model=CompanyRow)
def set_credit_limit(company_id: PathId, body: CreditLimitIn, user: CurrentUser, uow: Uow) -> CompanyRow:
    c = uow.run(lambda s, _fx: companies.do_set_credit_limit(s, user, company_id, body.credit_limit_minor))
    return CompanyRow(id=c.id, name=c.name, inn=c.inn, billing_email=c.billing_email,
                      credit_limit_minor=c.credit_limit_minor)


@router.get("/admin/finance/invoices", response_model=list[invoices.InvoiceOut])
def admin_invoices(user: CurrentUser, session: DbSession,
                   flt: Annotated[invoices.InvoiceFilter, Query()]) -> list[invoices.InvoiceOut]:
    return invoices.list_invoices(session, user, flt)


class InvoicePaidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_reference: Line(120, min_length=1)


@router.post("/admin/finance/invoices/{invoice_id}/paid", response_model=invoices.InvoiceOut, responses=_CONFLICT)
def invoice_paid(invoice_id: PathId, body: InvoicePaidIn, user: CurrentUser, uow: Uow) -> invoices.InvoiceOut:
    """Records the company's bank transfer."""
    def work(s, fx):
        invoice = invoices.do_record_invoice_payment(s, fx, user, invoice_id, body.payment_reference)
        return invoices.invoice_out(invoice, invoices.company_of(s, invoice))
    return uow.run(work)


@router.get("/companies/{company_id}/operations", response_model=list[invoices.CompanyOperation])
def company_operations(company_id: PathId, user: CurrentUser, session: DbSession,
                       flt: Annotated[PeriodFilter, Query()]) -> list[invoices.CompanyOperation]:
    """The company account's history (its admins): charges, refunds, invoices, payments."""
    return invoices.company_operations(session, user, company_id, flt)


@router.get("/companies/{company_id}/operations.xlsx", response_class=Response, responses=_XLSX)
def company_operations_xlsx(company_id: PathId, user: CurrentUser, session: DbSession,
                            flt: Annotated[PeriodFilter, Query()]) -> Response:
    return _file(invoices.company_operations_xlsx(session, user, company_id, flt), XLSX_TYPE, "company-operations.xlsx")
