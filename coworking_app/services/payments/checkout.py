"""The checkout page (/checkout/<payment id>): what is being paid for, line by line, and
how long the hold still keeps the seats.

The hold's length is BOOKING_HOLD_SECONDS (settings.booking_hold_seconds), fixed on the
booking as `expires_at` when it is made; the page counts down to that moment. When it has
passed, the page asks `do_release_lapsed_hold`, which releases the hold at once (instead of
waiting for the release job) and says so; the person may then book the same choice again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.booking import availability as av
from coworking_app.services.booking.bookings import BookingView, booking_views, do_expire_holds
from coworking_app.services.booking.pricing import PriceBreakdown
from coworking_app.services.payments.payments import access_payment_for_payer
from models import BookingStatus, PaymentStatus, User

S = BookingStatus


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
    payment, booking = access_payment_for_payer(session, user, payment_id)
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
    payment, booking = access_payment_for_payer(session, user, payment_id)
    if (payment.purpose == "booking" and booking.status == S.pending_payment
            and booking.expires_at is not None and booking.expires_at <= now):
        do_expire_holds(session, effects, now=now, booking_id=booking.id)
    return checkout_view(session, user, payment_id, now=now)
