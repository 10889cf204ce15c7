"""Payments: one provider interface, Stripe, YooKassa (yookassa.py) and a built-in offline
test provider.

Settings choose the provider of a new payment (`provider_for`); by default Stripe when
STRIPE_SECRET_KEY is set, otherwise the test provider, whose payment
page (/checkout/<payment id>) has "pay" and "decline" buttons, so that `make run` shows
the whole flow without any account. Provider calls carry idempotency keys derived from our
own rows, so a retried request never charges or refunds twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import stripe
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from coworking_app import metrics
from coworking_app.effects import Effects
from coworking_app.services.booking import availability as av
from coworking_app.services.booking.booking_states import do_log_event, do_transition
from coworking_app.services.booking.bookings import access_booking_for_renter, do_apply_change
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound, ServiceError
from coworking_app.services.finance import ledger, settlement
from coworking_app.services.booking.series import access_series, series_bookings
from coworking_app.services.payments.charge import RECEIPT_ITEMS_MAX, Charge, ReceiptItem
from coworking_app.services.plans import settle as plan_settle
from coworking_app.settings import get_settings
from models import (
    BookingSeries,
    Booking,
    BookingStatus,
    Payment,
    PaymentStatus,
    Refund,
    Resource,
    Space,
    User,
    WebhookEvent,
)
from coworking_app.i18n import tr

log = logging.getLogger(__name__)
S = BookingStatus


CHECKOUT_LIFE_SECONDS = 30 * 60 + 60  # Stripe's shortest session life and a minute
# A pending payment whose checkout is older is not offered again (its page may be closed).
CHECKOUT_REUSE_SECONDS = 25 * 60


class ProviderError(ServiceError):
    """The payment provider refused or could not be reached (502 to API clients)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Checkout:
    session_id: str
    url: str
    payment_intent: str | None = None


class PaymentProvider(Protocol):
    name: str

    def create_checkout(self, *, payment: Payment, charge: Charge) -> Checkout: ...

    def refund(self, *, payment: Payment, amount: int, idempotency_key: str) -> str: ...

    def expire_checkout(self, session_id: str) -> None: ...


class TestProvider:
    """Offline provider: no money moves; the payer picks the outcome on our own page."""

    name = "test"

    def create_checkout(self, *, payment: Payment, charge: Charge) -> Checkout:
        kind = ("invoice/" if payment.invoice_id else "plan/" if payment.plan_purchase_id
                else "series/" if "series_id" in charge.metadata else "")
        page = f"/checkout/{kind}{payment.id}"
        return Checkout(session_id=f"test_cs_{secrets.token_hex(8)}", url=page)

    def refund(self, *, payment: Payment, amount: int, idempotency_key: str) -> str:
        # Idempotent like the real ones: the same key names the same refund.
        return f"test_re_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]}"

    def expire_checkout(self, session_id: str) -> None:
        return None


class StripeProvider:
    """Stripe Checkout Sessions and Refunds through the official library."""

    name = "stripe"

    def __init__(self, api_key: str, api_base: str = "") -> None:
        kwargs = {"base_addresses": {"api": api_base}} if api_base else {}
        self.client = stripe.StripeClient(api_key, max_network_retries=2, **kwargs)

    def create_checkout(self, *, payment: Payment, charge: Charge) -> Checkout:
        if charge.recurring_monthly:
            return self._subscription_checkout(payment, charge)
        base = get_settings().base_url
        try:
            with metrics.external_call("stripe", "checkout_create"):
                session = self.client.v1.checkout.sessions.create(
                    params={
                        "mode": "payment",
                        "client_reference_id": str(payment.booking_id or (f"invoice-{payment.invoice_id}"
                                                   if payment.invoice_id else f"plan-{payment.plan_purchase_id}")),
                        "line_items": [{
                            "quantity": 1,
                            "price_data": {"currency": payment.currency.lower(),
                                           "unit_amount": charge.total(payment),
                                           "product_data": {"name": charge.description[:250]}},
                        }],
                        "metadata": charge.metadata,
                        "payment_intent_data": {"metadata": charge.metadata},
                        # Stripe's shortest session life (30 min): a payment after the hold
                        # lapsed is kept if the seats are still free, refunded otherwise.
                        "expires_at": int(time.time()) + CHECKOUT_LIFE_SECONDS,
                        "success_url": f"{base}{charge.return_path}",
                        "cancel_url": f"{base}{charge.cancel_path}",
                    },
                    options={"idempotency_key": payment.idempotency_key},
                )
        except stripe.StripeError as exc:
            log.warning("stripe checkout failed: %s", exc)
            raise ProviderError(tr("платёжная система недоступна, попробуйте позже")) from exc
        # A StripeObject is no dict (stripe >= 15): `session.get(...)` raises AttributeError.
        return Checkout(session_id=session.id, url=session.url or "",
                        payment_intent=getattr(session, "payment_intent", None))

    def _subscription_checkout(self, payment: Payment, charge: Charge) -> Checkout:
        """A membership: Checkout in subscription mode, the month's price recurring monthly.
        Stripe charges the next months itself (`invoice.paid` webhooks renew the purchase)."""
        base = get_settings().base_url
        try:
            with metrics.external_call("stripe", "checkout_create"):
                session = self.client.v1.checkout.sessions.create(
                    params={
                        "mode": "subscription",
                        "client_reference_id": f"plan-{payment.plan_purchase_id}",
                        "line_items": [{
                            "quantity": 1,
                            "price_data": {"currency": payment.currency.lower(), "unit_amount": payment.amount_minor,
                                           "recurring": {"interval": "month"},
                                           "product_data": {"name": charge.description[:250]}},
                        }],
                        "metadata": charge.metadata,
                        "subscription_data": {"metadata": charge.metadata},
                        "customer_email": charge.email,
                        "expires_at": int(time.time()) + CHECKOUT_LIFE_SECONDS,
                        "success_url": f"{base}{charge.return_path}",
                        "cancel_url": f"{base}{charge.cancel_path}",
                    },
                    options={"idempotency_key": payment.idempotency_key},
                )
        except stripe.StripeError as exc:
            log.warning("stripe subscription checkout failed: %s", exc)
            raise ProviderError(tr("платёжная система недоступна, попробуйте позже")) from exc
        return Checkout(session_id=session.id, url=session.url or "", payment_intent=None)

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> None:
        """The subscription stops after the period paid (or, `cancel` False, goes on)."""
        try:
            with metrics.external_call("stripe", "subscription_update"):
                self.client.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": cancel})
        except stripe.StripeError as exc:
            log.warning("stripe subscription %s update failed: %s", subscription_id, exc)
            raise ProviderError(tr("платёжная система недоступна, попробуйте позже")) from exc

    def expire_checkout(self, session_id: str) -> None:
        """Best effort: a checkout that cannot be closed is harmless, because a payment
        that arrives for a superseded amount is refunded."""
        try:
            with metrics.external_call("stripe", "checkout_expire"):
                self.client.v1.checkout.sessions.expire(session_id)
        except stripe.StripeError as exc:
            log.info("could not expire checkout %s: %s", session_id, exc)

    def refund(self, *, payment: Payment, amount: int, idempotency_key: str) -> str:
        if not payment.provider_payment_id:
            raise ProviderError(tr("у платежа нет payment_intent, возврат невозможен"))
        try:
            with metrics.external_call("stripe", "refund_create"):
                refund = self.client.v1.refunds.create(
                    params={"payment_intent": payment.provider_payment_id, "amount": amount,
                            "metadata": payment_metadata(payment)},
                    options={"idempotency_key": idempotency_key},
                )
        except stripe.StripeError as exc:
            log.warning("stripe refund failed: %s", exc)
            raise ProviderError(tr("возврат не прошёл: платёжная система недоступна")) from exc
        return refund.id

    def balance_transactions(self, since: datetime) -> list:
        """The account's balance transactions created since `since` (newest first), each
        with its source (a charge, a refund, ...) expanded, every page through the
        library's auto-paging (services/finance/reconciliation.py reads them)."""
        params = {"created": {"gte": int(since.timestamp())}, "limit": 100, "expand": ["data.source"]}
        try:
            with metrics.external_call("stripe", "balance_transactions_list"):
                return list(self.client.v1.balance_transactions.list(params=params).auto_paging_iter())
        except stripe.StripeError as exc:
            log.warning("stripe balance transactions failed: %s", exc)
            raise ProviderError(tr("Stripe недоступен: не удалось получить его записи")) from exc


class AccountProvider:
    """A company's account (services/finance/companies.py): the booking is paid by the
    company's weekly invoice, so no money moves now; a refund lowers what the next
    invoice asks for."""

    name = ledger.ON_ACCOUNT

    def create_checkout(self, *, payment: Payment, charge: Charge) -> Checkout:
        raise ProviderError(tr("оплата на счёт компании не проходит через платёжную страницу"))

    def refund(self, *, payment: Payment, amount: int, idempotency_key: str) -> str:
        return f"account_re_{secrets.token_hex(8)}"

    def expire_checkout(self, session_id: str) -> None:
        return None


def provider_for(currency: str | None) -> str:
    """The provider that takes a new payment in `currency`: PAYMENT_PROVIDER_BY_CURRENCY,
    else PAYMENT_PROVIDER, else Stripe when its key is set, else the test provider."""
    settings = get_settings()
    chosen = settings.payment_provider_by_currency.get((currency or "").upper()) or settings.payment_provider
    return chosen or ("stripe" if settings.stripe_secret_key else "test")


def get_provider(name: str | None = None, *, currency: str | None = None) -> PaymentProvider:
    """`name`: the provider a payment was made with (its refunds go back through it);
    without it, the one that takes new payments in `currency`. A provider that is chosen
    but not configured is refused (502) in every environment, the test provider in
    production unless ALLOW_TEST_PAYMENTS."""
    if name == ledger.ON_ACCOUNT:
        return AccountProvider()
    settings = get_settings()
    name = name or provider_for(currency)
    if name == "stripe":
        if not settings.stripe_secret_key:
            raise ProviderError(tr("Stripe не настроен: задайте STRIPE_SECRET_KEY"))
        return StripeProvider(settings.stripe_secret_key, settings.stripe_api_base)
    if name == "yookassa":
        # Late import: the YooKassa module applies its notifications through this module.
        from coworking_app.services.payments.yookassa import YooKassaProvider
        return YooKassaProvider.from_settings(settings)
    if settings.environment == "production" and not settings.allow_test_payments:
        raise ProviderError(tr("оплата не настроена: задайте STRIPE_SECRET_KEY или YOOKASSA_SHOP_ID и YOOKASSA_SECRET_KEY"))
    return TestProvider()


# --- paying --------------------------------------------------------------------------------


def amount_due(booking: Booking) -> tuple[int, str]:
    """What the renter pays now and for what (the booking policy said they may pay)."""
    if booking.status == S.pending_payment:
        return booking.total_minor - booking.paid_minor, "booking"
    return booking.balance_due_minor, "change"


def payment_metadata(payment: Payment) -> dict[str, str]:
    """What ties a provider's object to our row: the payment, and the booking, invoice or plan."""
    if payment.invoice_id:
        target = {"invoice_id": str(payment.invoice_id)}
    elif payment.plan_purchase_id:
        target = {"plan_purchase_id": str(payment.plan_purchase_id)}
    else:
        target = {"booking_id": str(payment.booking_id)}
    return {**target, "payment_id": str(payment.id)}


def booking_charge(session: Session, payment: Payment) -> Charge:
    booking = session.get(Booking, payment.booking_id)
    space = session.get(Space, booking.space_id)
    text = tr("{name}, бронь №{id}", name=space.name, id=booking.id)
    return Charge(description=text, email=session.get(User, booking.user_id).email,
                  return_path=f"/cabinet/bookings?paid={booking.id}",
                  cancel_path=f"/cabinet/bookings?cancelled_payment={booking.id}",
                  metadata=payment_metadata(payment),
                  items=(ReceiptItem(text, payment.amount_minor, int(booking.price.get("vat_rate_bp", 0))),),
                  refund_text=tr("Возврат по брони №{id}", id=booking.id))


def charge_of(session: Session, payment: Payment) -> Charge:
    """What the payment asks for, as the providers show it (services/payments/charge.py)."""
    if payment.invoice_id:
        return settlement.invoice_charge(session, payment)
    if payment.plan_purchase_id:
        return plan_settle.plan_charge(session, payment)
    return booking_charge(session, payment)


def reusable_checkout(session: Session, pending: list[Payment], amount: int, *, now: datetime,
                      change: dict | None = None) -> Payment | None:
    """The newest of `pending` (payments waiting for the same thing) that may be offered
    again: same amount and change, checkout opened less than CHECKOUT_REUSE_SECONDS ago.
    The others are closed (`superseded`), so that at most one checkout stays open."""
    keep = None
    for payment in sorted(pending, key=lambda p: p.id, reverse=True):
        fresh = payment.created_at is None or (now - payment.created_at).total_seconds() < CHECKOUT_REUSE_SECONDS
        if keep is None and fresh and payment.amount_minor == amount and payment.change == change:
            keep = payment
            continue
        do_close_checkout(session, payment)
    return keep


def do_open_checkout(session: Session, payment: Payment, provider: PaymentProvider) -> Payment:
    """Saves the new `payment` and opens its checkout at `provider` (its page's address is
    `payment.payment_url`)."""
    session.add(payment)
    session.flush()
    checkout = provider.create_checkout(payment=payment, charge=charge_of(session, payment))
    payment.provider_session_id = checkout.session_id
    payment.provider_payment_id = checkout.payment_intent
    payment.payment_url = checkout.url
    session.flush()
    return payment


def do_start_payment(session: Session, user: User | None, booking_id: int,
                     *, now: datetime | None = None) -> Payment:
    """A payment for what the booking owes, or the pending one already made for it."""
    now = now or av.utcnow()
    booking = access_booking_for_renter(session, user, booking_id, action="pay", now=now)
    amount, purpose = amount_due(booking)
    change = booking.pending_change if purpose == "change" else None
    pending = list(session.scalars(select(Payment).where(
        Payment.booking_id == booking.id, Payment.status == PaymentStatus.pending.value,
        Payment.purpose == purpose)))
    existing = reusable_checkout(session, pending, amount, now=now, change=change)
    if existing is not None:
        return existing
    provider = get_provider(currency=booking.currency)
    attempt = session.scalar(select(func.count()).select_from(Payment)
                             .where(Payment.booking_id == booking.id)) or 0
    return do_open_checkout(session, Payment(
        booking_id=booking.id, provider=provider.name, purpose=purpose,
        # Unique per /pay attempt: the library's own retries of one call share it, but
        # Stripe also stores a 5xx under a key, so a key that failed once must not come
        # back on the renter's next try.
        idempotency_key=f"booking-{booking.id}-{purpose}-{attempt + 1}-{secrets.token_hex(4)}",
        amount_minor=amount, currency=booking.currency, change=change), provider)


def series_charge(session: Session, series: BookingSeries, rows: list[Payment]) -> Charge:
    """One checkout for a series' occurrences: a receipt line per booking, the total."""
    space = session.get(Space, series.space_id)
    bookings = {b.id: b for b in session.scalars(select(Booking).where(Booking.id.in_([r.booking_id for r in rows])))}
    total = sum(r.amount_minor for r in rows)
    text = tr("{name}, серия броней №{id}: {len} шт.", name=space.name, id=series.id, len=len(rows))
    items = tuple(ReceiptItem(tr("{name}, бронь №{booking_id}", name=space.name, booking_id=r.booking_id), r.amount_minor,
                              int(bookings[r.booking_id].price.get("vat_rate_bp", 0))) for r in rows)
    return Charge(description=text, email=session.get(User, series.user_id).email,
                  return_path=f"/cabinet/bookings?series={series.id}&paid=1",
                  cancel_path=f"/cabinet/bookings?series={series.id}&cancelled_payment=1",
                  metadata={"series_id": str(series.id), "payment_id": str(rows[0].id)},
                  items=items if len(items) <= RECEIPT_ITEMS_MAX else (ReceiptItem(text, total, items[0].vat_rate_bp),),
                  refund_text=tr("Возврат по серии броней №{id}", id=series.id), amount_minor=total)


def do_start_series_payment(session: Session, user: User | None, series_id: int, *,
                            now: datetime | None = None) -> Payment:
    """One checkout for every unpaid occurrence of the series still held: a payment row per
    booking (refunds and the ledger stay per booking), all on one provider session; the
    first row is the one returned. Asked again within CHECKOUT_REUSE_SECONDS for the same
    bookings and amounts, the same checkout."""
    now = now or av.utcnow()
    series = access_series(session, user, series_id, for_update=True)
    owing = [b for b in series_bookings(session, series)
             if b.status == S.pending_payment.value and b.expires_at and b.expires_at > now
             and b.total_minor - b.paid_minor > 0]
    if not owing:
        raise Conflict("status", tr("по этой серии нечего оплачивать"))
    for booking in owing:
        session.refresh(booking, with_for_update=True)
    amounts = {b.id: b.total_minor - b.paid_minor for b in owing}
    pending = list(session.scalars(select(Payment).where(
        Payment.booking_id.in_(list(amounts)), Payment.status == PaymentStatus.pending.value).order_by(Payment.id)))
    sessions = {p.provider_session_id for p in pending}
    fresh = all(p.created_at is None or (now - p.created_at).total_seconds() < CHECKOUT_REUSE_SECONDS for p in pending)
    if (len(pending) == len(owing) and len(sessions) == 1 and None not in sessions and fresh
            and {p.booking_id: p.amount_minor for p in pending} == amounts):
        return pending[0]
    closed: set[str | None] = set()
    for payment in pending:
        do_payment_failed(session, payment, "superseded")
        if payment.provider == "stripe" and payment.provider_session_id not in closed:
            closed.add(payment.provider_session_id)
            get_provider("stripe").expire_checkout(payment.provider_session_id)
    currency = owing[0].currency
    provider = get_provider(currency=currency)
    if provider.name == ledger.ON_ACCOUNT:
        raise Conflict("provider", tr("серия оплачивается картой"))
    tag = secrets.token_hex(4)
    rows = [Payment(booking_id=b.id, provider=provider.name, purpose="booking",
                    idempotency_key=f"series-{series.id}-{b.id}-{tag}", amount_minor=amounts[b.id], currency=currency)
            for b in owing]
    session.add_all(rows)
    session.flush()
    lead = rows[0]
    lead.idempotency_key = f"series-{series.id}-{tag}"  # the checkout's own key
    checkout = provider.create_checkout(payment=lead, charge=series_charge(session, series, rows))
    for row in rows:
        row.provider_session_id, row.provider_payment_id, row.payment_url = (
            checkout.session_id, checkout.payment_intent, checkout.url)
    session.flush()
    return lead


def do_apply_test_outcome(session: Session, effects: Effects, payment: Payment, outcome: str,
                          *, now: datetime | None = None) -> Payment:
    """The offline provider's payment page: the payer chose "succeeded" or "declined" for
    their (locked, access-checked: services/payments/checkout.py) payment."""
    if outcome not in ("succeeded", "declined"):
        raise InvalidInput("outcome", tr("Допустимые значения: succeeded, declined"))
    if payment.provider != "test":
        raise NotFound(tr("Платёж не найден"))
    if payment.status != PaymentStatus.pending.value:
        raise Conflict("status", tr("этот платёж уже завершён"))
    for row in checkout_rows(session, payment):  # a series' occurrences share the checkout
        if outcome == "succeeded":
            do_payment_succeeded(session, effects, row, provider_payment_id=f"test_pi_{payment.id}", now=now)
        else:
            do_payment_failed(session, row, "card declined (test)")
    session.flush()
    return payment


def checkout_rows(session: Session, payment: Payment) -> list[Payment]:
    """The (locked) payment rows one checkout pays: the payment itself, and for a series the
    other occurrences' rows still waiting on the same provider session."""
    if not payment.provider_session_id:
        return [payment]
    others = session.scalars(select(Payment).where(
        Payment.provider_session_id == payment.provider_session_id, Payment.id != payment.id,
        Payment.status == PaymentStatus.pending.value).order_by(Payment.id).with_for_update())
    return [payment, *others]


def do_payment_failed(session: Session, payment: Payment, reason: str) -> None:
    if payment.status == PaymentStatus.pending.value:
        payment.status = PaymentStatus.failed.value
        payment.failure = reason[:255]


def do_close_checkout(session: Session, payment: Payment) -> None:
    """An unpaid payment replaced by another or no longer wanted: ours is marked failed and
    the provider's checkout is closed, so nobody pays an out-of-date amount (if someone
    still manages to, do_payment_succeeded refunds it)."""
    do_payment_failed(session, payment, "superseded")
    if payment.provider == "stripe" and payment.provider_session_id:
        get_provider("stripe").expire_checkout(payment.provider_session_id)


def do_cancel_pending_payments(session: Session, booking: Booking) -> None:
    """Unpaid payments of a booking that changed or ended."""
    for payment in session.scalars(select(Payment).where(
            Payment.booking_id == booking.id, Payment.status == PaymentStatus.pending.value)):
        do_close_checkout(session, payment)


def do_mark_paid_without_payment(session: Session, effects: Effects, booking: Booking, *, actor: User) -> None:
    """A booking whose total is 0 (a 100 % promo) is paid as soon as it is made."""
    do_transition(session, effects, booking, "pay", actor=actor, actor_role="renter", data={"amount": 0})
    _after_paid(session, effects, booking)


def _after_paid(session: Session, effects: Effects, booking: Booking) -> None:
    space = session.get(Space, booking.space_id)
    booking.expires_at = None
    if space.instant_book:
        do_transition(session, effects, booking, "confirm", actor=None, actor_role="system",
                      reason=tr("мгновенное бронирование"))
    effects.queue_job("jobs.booking.render_receipt", booking.id,
                      job_id=f"receipt-{booking.id}-{booking.paid_minor}")


def _seats_still_free(session: Session, booking: Booking) -> bool:
    resource = session.get(Resource, booking.resource_id, with_for_update=True)
    taken = av.booked_seats(session, booking.resource_id, booking.start_at, booking.end_at,
                            exclude_booking_id=booking.id)
    return resource.capacity - taken >= booking.seats


def do_payment_succeeded(session: Session, effects: Effects, payment: Payment, *,
                         provider_payment_id: str | None,
                         now: datetime | None = None) -> None:
    """Money arrived. Idempotent: a second notice for the same payment changes nothing.

    The money is kept only when it pays exactly what the booking owes now: the booking's
    total (a hold that lapsed counts if its seats are still free) or the pending change it
    was made for (applied now, if its seats are free). Anything else (a superseded
    payment, a cancelled or expired booking, a change replaced by another) is refunded in
    full, automatically."""
    now = now or av.utcnow()
    if payment.status == PaymentStatus.succeeded.value:
        return
    # Replaced by a newer payment (a failure reported by the provider itself, such as an
    # expired checkout, may still be followed by its own success: events come out of order).
    superseded = payment.status != PaymentStatus.pending.value and payment.failure == "superseded"
    payment.status = PaymentStatus.succeeded.value
    payment.succeeded_at = now  # the payment date of the dashboards' "money received"
    payment.failure = None
    if provider_payment_id:
        payment.provider_payment_id = provider_payment_id
    if payment.invoice_id is not None:  # kept while the invoice waits for it, even from an older checkout
        if not settlement.do_settle_by_card(session, effects, payment, now=now):
            settlement.do_post_unwanted(session, effects, payment, now=now)
            do_refund_whole(session, effects, payment, reason=tr("счёт уже оплачен или изменился"))
        return
    if payment.plan_purchase_id is not None:  # posted at once; kept if the purchase still waits for it
        if not plan_settle.do_settle_plan(session, effects, payment, now=now):
            do_refund_whole(session, effects, payment, reason=tr("абонемент уже оплачен, не оплачен вовремя или место занято"))
        return
    booking = session.get(Booking, payment.booking_id, with_for_update=True)
    booking.paid_minor += payment.amount_minor
    # The money is in: posted now, before anything below refunds or applies it.
    ledger.do_post_booking(session, effects, booking, "payment", effective_at=now)
    if payment.purpose == "change":
        ok = (not superseded and booking.status in (S.paid, S.confirmed)
              and booking.pending_change is not None and booking.pending_change == payment.change
              and payment.amount_minor == booking.balance_due_minor)
        if ok and _change_fits(session, booking):
            space = session.get(Space, booking.space_id)
            do_apply_change(session, effects, booking, space, payment.change, actor=None, actor_role="provider")
            effects.queue_job("jobs.booking.render_receipt", booking.id,
                              job_id=f"receipt-{booking.id}-{booking.paid_minor}")
            return
        if ok:  # the seats went to someone else or the days were closed meanwhile: the change is off
            booking.pending_change, booking.balance_due_minor = None, 0
        _refund_unwanted(session, effects, booking, payment, tr("оплата изменения, которое уже не действует"))
        return
    owed = booking.total_minor - (booking.paid_minor - payment.amount_minor)
    lapsed = booking.status == S.pending_payment and booking.expires_at and booking.expires_at <= now
    if (superseded or booking.status != S.pending_payment or payment.amount_minor != owed
            or (lapsed and not _seats_still_free(session, booking))):
        _refund_unwanted(session, effects, booking, payment, tr("оплата пришла после снятия или изменения брони"))
        return
    do_transition(session, effects, booking, "pay", actor=None, actor_role="provider",
                  data={"amount": payment.amount_minor, "payment_id": payment.id})
    _after_paid(session, effects, booking)


def _change_fits(session: Session, booking: Booking) -> bool:
    """A paid change still fits when it was paid: enough seats, and no day of it closed by
    the owner since it was asked for."""
    resource = session.get(Resource, booking.resource_id, with_for_update=True)
    change = booking.pending_change
    start, end = datetime.fromisoformat(change["start"]), datetime.fromisoformat(change["end"])
    space = session.get(Space, booking.space_id)
    if av.is_closed_during(session, booking.space_id, space.timezone, start, end):
        return False
    taken = av.booked_seats(session, booking.resource_id, start, end, exclude_booking_id=booking.id)
    return resource.capacity - taken >= change["seats"]


def _refund_unwanted(session: Session, effects: Effects, booking: Booking, payment: Payment, reason: str) -> None:
    do_log_event(session, effects, booking, "late_payment", booking.status, actor=None,
                 actor_role="provider", data={"amount": payment.amount_minor, "payment_id": payment.id})
    do_refund_booking(session, effects, booking, payment.amount_minor, reason=reason, only=payment)


# --- refunds -------------------------------------------------------------------------------


def do_refund_payment(session: Session, payment: Payment, amount: int, *, reason: str) -> Refund:
    """Gives `amount` of the (locked) payment back through its provider and records it;
    the caller posts the ledger entry."""
    key = f"refund-{payment.id}-{payment.refunded_minor}-{amount}"
    provider_refund_id = get_provider(payment.provider).refund(payment=payment, amount=amount, idempotency_key=key)
    refund = Refund(payment_id=payment.id, booking_id=payment.booking_id, amount_minor=amount,
                    currency=payment.currency, provider_refund_id=provider_refund_id, reason=reason[:255])
    session.add(refund)
    payment.refunded_minor += amount
    return refund


def do_refund_booking(session: Session, effects: Effects, booking: Booking, amount: int, *, reason: str,
                      only: Payment | None = None, ledger_kind: str = "refund",
                      actor_id: int | None = None, penalty_id: int | None = None) -> list[Refund]:
    """Refunds `amount` across the booking's successful payments, newest first, through
    their provider; each refund gets a credit note, and the ledger follows (`ledger_kind`:
    the use case the entry is listed under, e.g. "cancellation")."""
    refunds: list[Refund] = []
    remaining = amount
    payments = [only] if only is not None else session.scalars(select(Payment).where(
        Payment.booking_id == booking.id, Payment.status == PaymentStatus.succeeded.value)
        .order_by(Payment.id.desc()).with_for_update())
    for payment in payments:
        available = payment.amount_minor - payment.refunded_minor
        if remaining <= 0 or available <= 0:
            continue
        part = min(available, remaining)
        refunds.append(do_refund_payment(session, payment, part, reason=reason))
        booking.refunded_minor += part
        remaining -= part
    session.flush()
    ledger.do_post_booking(session, effects, booking, ledger_kind, actor_id=actor_id, penalty_id=penalty_id)
    for refund in refunds:
        effects.queue_job("jobs.booking.render_credit_note", refund.id, job_id=f"credit-note-{refund.id}")
    return refunds


def do_refund_whole(session: Session, effects: Effects, payment: Payment, *, reason: str) -> Refund | None:
    """An invoice's or a plan's payment given back whole (what is left of it), with its
    ledger entry."""
    left = payment.amount_minor - payment.refunded_minor
    if left <= 0:
        return None
    refund = do_refund_payment(session, payment, left, reason=reason)
    session.flush()
    if payment.plan_purchase_id:
        plan_settle.do_post_plan_refund(session, effects, payment, left)
    else:
        settlement.do_post_refund(session, effects, payment, left)
    return refund


# --- Stripe webhooks -------------------------------------------------------------------------


def check_stripe_event(payload: bytes, signature: str | None) -> dict:
    """Verifies the Stripe-Signature header (HMAC-SHA256 over "<t>.<raw body>", timestamp
    within the tolerance) and returns the event. InvalidInput -> 400."""
    settings = get_settings()
    if not settings.stripe_webhook_secret:
        raise InvalidInput("Stripe-Signature", tr("Вебхуки Stripe не настроены"))
    if not signature:
        raise InvalidInput("Stripe-Signature", tr("Нет заголовка с подписью"))
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, settings.stripe_webhook_secret,
            settings.stripe_webhook_tolerance_seconds)
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise InvalidInput("Stripe-Signature", tr("Подпись не совпала")) from exc
    except ValueError as exc:
        raise InvalidInput("body", tr("Событие не в формате JSON")) from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or "type" not in event:
        raise InvalidInput("body", tr("Это не событие Stripe"))
    return event


def do_handle_stripe_event(session: Session, effects: Effects, event: dict, *, now: datetime | None = None) -> str:
    """Applies one verified event once. Returns what happened ("duplicate", "ignored", ...)."""
    inserted = session.execute(
        insert(WebhookEvent).values(id=event["id"][:255], provider="stripe",
                                    type=str(event["type"])[:80])
        .on_conflict_do_nothing(index_elements=["id"]).returning(WebhookEvent.id)
    ).first()
    if inserted is None:
        return "duplicate"
    kind = event["type"]
    obj = (event.get("data") or {}).get("object") or {}
    if kind in ("invoice.paid", "customer.subscription.deleted"):
        return _subscription_event(session, effects, kind, obj, now=now or av.utcnow())
    if kind not in ("checkout.session.completed", "checkout.session.async_payment_succeeded",
                    "checkout.session.expired", "checkout.session.async_payment_failed"):
        return "ignored"
    # One row, or a series' rows paid with one session.
    rows = list(session.scalars(select(Payment).where(
        Payment.provider_session_id == str(obj.get("id"))).order_by(Payment.id).with_for_update()))
    if not rows:
        log.warning("stripe event %s for an unknown checkout session", event["id"])
        return "unknown_session"
    payment = rows[0]
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("payment_status") != "paid":
            return "awaiting_payment"  # e.g. a bank transfer: the async event follows
        if (int(obj.get("amount_total") or 0) != sum(row.amount_minor for row in rows)
                or str(obj.get("currency", "")).upper() != payment.currency):
            log.error("stripe amount mismatch for payment %s", payment.id)
            return "amount_mismatch"
        for row in rows:
            do_payment_succeeded(session, effects, row,
                                 provider_payment_id=obj.get("payment_intent") or obj.get("invoice"), now=now)
        if obj.get("subscription") and payment.status == PaymentStatus.succeeded.value:
            plan_settle.do_link_subscription(session, payment, str(obj["subscription"]))
        return "paid"
    # expired or failed: harmless if the payment already succeeded (out of order)
    for row in rows:
        do_payment_failed(session, row, kind)
    return "failed"


def _subscription_event(session: Session, effects: Effects, kind: str, obj: dict, *, now: datetime) -> str:
    """A membership's Stripe subscription: a month paid by Stripe on its own (`invoice.paid`
    for a `subscription_cycle`: the next period starts, settled like any payment), or the
    subscription ended (no further months)."""
    subscription_id = str(obj.get("subscription") or (obj.get("id") if kind.startswith("customer.") else "") or "")
    current = plan_settle.subscription_period(session, subscription_id) if subscription_id else None
    if current is None:
        return "ignored" if kind == "invoice.paid" and obj.get("billing_reason") != "subscription_cycle" \
            else "unknown_subscription"
    if kind == "customer.subscription.deleted":
        current.renews = False
        return "subscription_ended"
    if obj.get("billing_reason") != "subscription_cycle":
        return "ignored"  # the first month: its checkout.session.completed pays it
    amount, currency = int(obj.get("amount_paid") or 0), str(obj.get("currency", "")).upper()
    if amount <= 0 or not obj.get("id"):
        return "ignored"
    payment = plan_settle.do_open_provider_renewal(
        session, effects, current, provider="stripe", provider_payment_id=str(obj.get("payment_intent") or obj["id"]),
        amount=amount, currency=currency, reference=str(obj["id"]), now=now)
    if payment is None:
        return "duplicate"
    do_payment_succeeded(session, effects, payment, provider_payment_id=payment.provider_payment_id, now=now)
    return "renewed"
