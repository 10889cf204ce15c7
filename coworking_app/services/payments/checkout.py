"""The checkout page (/checkout/<payment id>): what is being paid for, line by line, and
how long the hold still keeps the seats.

The hold's length is BOOKING_HOLD_SECONDS (settings.booking_hold_seconds), fixed on the
booking as `expires_at` when it is made; the page counts down to that moment. When it has
passed, the page asks `do_release_lapsed_hold`, which releases the hold at once (instead of
waiting for the release job) and says so; the person may then book the same choice again.

A company's invoice paid by card with the test provider has its own page
(/checkout/invoice/<payment id>, `invoice_checkout_view`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.booking import availability as av
from coworking_app.services.booking.bookings import (
    BookingView,
    access_booking_for_renter,
    booking_views,
    do_expire_holds,
)
from coworking_app.services.booking.pricing import PriceBreakdown
from coworking_app.services.common.errors import NotFound
from coworking_app.services.finance.invoices import access_invoice_to_pay, company_of
from coworking_app.formatting import format_money, format_stay
from coworking_app.services.booking.series import access_series, series_bookings
from coworking_app.services.payments.payments import checkout_rows, do_apply_test_outcome
from coworking_app.services.plans.purchases import access_purchase
from models import Booking, BookingStatus, Payment, PaymentStatus, Resource, Space, User
from coworking_app.i18n import tr

S = BookingStatus


def access_payment_for_payer(session: Session, user: User | None, payment_id: int) -> Payment:
    """The (locked) payment for whoever pays it: the booking's renter, an admin of the
    company whose invoice it pays, the plan's buyer; 404 for anyone else."""
    payment = session.get(Payment, payment_id, with_for_update=True) if 0 < payment_id < 2**31 else None
    if payment is None:
        raise NotFound(tr("Платёж не найден"))
    if payment.invoice_id is not None:
        access_invoice_to_pay(session, user, payment.invoice_id)
    elif payment.plan_purchase_id is not None:
        access_purchase(session, user, payment.plan_purchase_id)
    else:
        access_booking_for_renter(session, user, payment.booking_id)  # 404 for others
    return payment


def do_complete_test_payment(session: Session, effects: Effects, user: User | None, payment_id: int,
                             outcome: str, *, now: datetime | None = None) -> Payment:
    """The test provider's page: the payer pressed "Оплатить" or "Отклонить"."""
    return do_apply_test_outcome(session, effects, access_payment_for_payer(session, user, payment_id), outcome,
                                 now=now)


@dataclass
class CheckoutView:
    payment_id: int
    provider: str  # "test": this page pays; Stripe pays on its own page
    status: str  # of the payment: pending, succeeded, failed
    purpose: str  # "booking", or "change": the balance of a dearer change
    amount: int  # what this payment charges, minor units
    currency: str
    booking: BookingView  # the booking as its renter sees it (space, resource, local times)
    price: PriceBreakdown  # what is paid for: the booking's price, or the change's new price
    paid_before: int  # for a change: what the booking has cost so far (its total)
    expires_at: datetime | None  # the hold's end (an unpaid booking), in the space's zone
    seconds_left: int  # until expires_at (0 once passed; 0 without a hold)
    lapsed: bool  # the hold ran out: this payment can no longer keep the booking

    @property
    def payable(self) -> bool:
        """The page may offer to pay: the payment waits and the hold (if any) still runs."""
        return self.status == PaymentStatus.pending.value and not self.lapsed

    @property
    def day_based(self) -> bool:
        """Whole days (local midnight to local midnight) rather than hours."""
        start, end = self.booking.start, self.booking.end
        return (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0) and end - start >= timedelta(days=1)


def checkout_view(session: Session, user: User | None, payment_id: int, *,
                  now: datetime | None = None) -> CheckoutView:
    """The checkout of one of the person's own payments (NotFound for anyone else's)."""
    now = now or av.utcnow()
    payment = access_payment_for_payer(session, user, payment_id)
    if payment.booking_id is None:
        raise NotFound(tr("Платёж не найден"))
    booking = session.get(Booking, payment.booking_id)
    view = booking_views(session, [booking], user, now=now)[0]
    if payment.purpose == "change" and payment.change:
        price = PriceBreakdown.model_validate(payment.change["price"])
        paid_before = booking.total_minor
    else:
        price, paid_before = PriceBreakdown.model_validate(booking.price), 0
    holding = payment.purpose == "booking" and booking.status == S.pending_payment and booking.expires_at
    expires_at = view.expires_at if holding else None
    left = max(0, int((booking.expires_at - now).total_seconds() + 0.999)) if holding else 0
    lapsed = bool(holding and left == 0) or (payment.purpose == "booking" and booking.status == S.expired)
    return CheckoutView(
        payment_id=payment.id, provider=payment.provider, status=payment.status,
        purpose=payment.purpose, amount=payment.amount_minor, currency=payment.currency,
        booking=view, price=price, paid_before=paid_before, expires_at=expires_at,
        seconds_left=left, lapsed=lapsed)


def do_release_lapsed_hold(session: Session, effects: Effects, user: User | None, payment_id: int, *,
                           now: datetime | None = None) -> CheckoutView:
    """The page's countdown reached zero: when the hold has really run out (the server's
    clock decides), the booking is released now (`expired`, its notice, the seats free for
    anyone); an early call changes nothing. The checkout as it is afterwards."""
    now = now or av.utcnow()
    payment = access_payment_for_payer(session, user, payment_id)
    booking = session.get(Booking, payment.booking_id) if payment.booking_id else None
    if (booking is not None and payment.purpose == "booking" and booking.status == S.pending_payment
            and booking.expires_at is not None and booking.expires_at <= now):
        do_expire_holds(session, effects, now=now, booking_id=booking.id)
    return checkout_view(session, user, payment_id, now=now)


@dataclass(frozen=True)
class InvoiceCheckoutView:
    payment_id: int
    provider: str
    status: str  # of the payment
    amount: int
    currency: str
    invoice_id: int
    number: int
    company_id: int
    company: str
    period_start: date
    period_end: date
    invoice_status: str  # issued | paid


def invoice_checkout_view(session: Session, user: User | None, payment_id: int) -> InvoiceCheckoutView:
    """The test provider's page for an invoice's card payment (its company's admins only)."""
    payment = access_payment_for_payer(session, user, payment_id)
    if payment.invoice_id is None:
        raise NotFound(tr("Платёж не найден"))
    invoice = access_invoice_to_pay(session, user, payment.invoice_id)
    return InvoiceCheckoutView(payment.id, payment.provider, payment.status, payment.amount_minor, payment.currency,
                               invoice.id, invoice.number, invoice.company_id, company_of(session, invoice).name,
                               invoice.period_start, invoice.period_end, invoice.status)


@dataclass(frozen=True)
class SeriesLine:
    when: str
    amount: str


@dataclass(frozen=True)
class SeriesCheckoutView:
    payment_id: int
    provider: str
    status: str  # of the payment
    amount: int  # the checkout's total
    currency: str
    series_id: int
    space: str
    resource: str
    lines: list[SeriesLine]
    conflicts: int  # dates of the series that did not fit


def series_checkout_view(session: Session, user: User | None, payment_id: int) -> SeriesCheckoutView:
    """The test provider's page for a series' one checkout (its renter only)."""
    payment = access_payment_for_payer(session, user, payment_id)
    booking = session.get(Booking, payment.booking_id) if payment.booking_id else None
    if booking is None or booking.series_id is None:
        raise NotFound(tr("Платёж не найден"))
    series = access_series(session, user, booking.series_id)
    rows = checkout_rows(session, payment) if payment.status == PaymentStatus.pending.value else [payment]
    bookings = {b.id: b for b in series_bookings(session, series)}
    space, resource = session.get(Space, series.space_id), session.get(Resource, series.resource_id)
    lines = [SeriesLine(format_stay(bookings[r.booking_id].start_at.astimezone(ZoneInfo(series.timezone)),
                                    bookings[r.booking_id].end_at.astimezone(ZoneInfo(series.timezone))),
                        format_money(r.amount_minor, r.currency)) for r in rows]
    return SeriesCheckoutView(payment.id, payment.provider, payment.status, sum(r.amount_minor for r in rows),
                              payment.currency, series.id, space.name, resource.name, lines, len(series.conflicts))


@dataclass(frozen=True)
class PlanCheckoutView:
    payment_id: int
    provider: str
    status: str  # of the payment
    amount: int
    currency: str
    purchase_id: int
    name: str
    space: str
    period: str
    held: str  # the desk or office the plan holds ("" if none)
    renewal: bool
    purchase_status: str  # pending_payment | active | ...


def plan_checkout_view(session: Session, user: User | None, payment_id: int, *,
                       now: datetime | None = None) -> PlanCheckoutView:
    """The test provider's page for a plan's payment (its buyer only)."""
    payment = access_payment_for_payer(session, user, payment_id)
    if payment.plan_purchase_id is None:
        raise NotFound(tr("Платёж не найден"))
    purchase = access_purchase(session, user, payment.plan_purchase_id)
    space = session.get(Space, purchase.space_id)
    held = session.get(Resource, purchase.resource_id).name if purchase.resource_id else ""
    zone = ZoneInfo(space.timezone)
    last = purchase.ends_at - timedelta(seconds=1)
    return PlanCheckoutView(
        payment.id, payment.provider, payment.status, payment.amount_minor, payment.currency, purchase.id,
        purchase.name, space.name,
        f"{purchase.starts_at.astimezone(zone):%d.%m.%Y} – {last.astimezone(zone):%d.%m.%Y}", held,
        purchase.previous_id is not None, purchase.status)
