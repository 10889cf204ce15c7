"""A plan's money (docs/plans.md, "Money"): what its checkout asks for, what happens when the
payment arrives (the purchase starts; a membership's desk or office is held for its month),
and the ledger entries of plan money.

Like finance/settlement.py for invoices, this module calls no payment provider: payments.py
calls it (`do_settle_plan` from do_payment_succeeded) and refunds a payment it does not keep.

Ledger: a plan's money is earned when paid (its days and hours are not refunded): cash in,
the owner's share straight to `owner_payable`, the platform's commission (VAT apart) to
`commission` and `vat_payable`, split like a booking's (ledger.split) at the owner's rate. The
entry carries the space, so the dashboards' money counts it. A payment not kept is reversed
by `do_post_plan_refund` when it goes back."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import format_money
from coworking_app.services.booking import availability as av
from coworking_app.services.booking.booking_states import do_insert_booking, do_transition
from coworking_app.services.booking.pricing import PriceBreakdown, PriceLine
from coworking_app.services.common.errors import Conflict
from coworking_app.services.finance import ledger
from coworking_app.services.messaging.notifications import do_notify
from coworking_app.services.payments.charge import Charge, ReceiptItem
from coworking_app.settings import get_settings
from models import (
    Booking,
    BookingStatus,
    Payment,
    PaymentStatus,
    Plan,
    PlanKind,
    PlanPurchase,
    PlanUsage,
    PurchaseStatus,
    Resource,
    Space,
    User,
)
from coworking_app.i18n import tr

P = PurchaseStatus

S = BookingStatus
PLANS_PAGE = "/cabinet/plans"


def local_midnight(moment: datetime, zone: str) -> datetime:
    tz = ZoneInfo(zone)
    day = moment.astimezone(tz).date()
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def month_after(start: datetime, zone: str) -> datetime:
    """The same local time a month later (31 January -> 28/29 February), across DST."""
    local = start.astimezone(ZoneInfo(zone))
    return (local.replace(tzinfo=None) + relativedelta(months=1)).replace(tzinfo=ZoneInfo(zone))


def plan_charge(session: Session, payment: Payment) -> Charge:
    purchase = session.get(PlanPurchase, payment.plan_purchase_id)
    space = session.get(Space, purchase.space_id)
    renewal = tr(" (продление)") if purchase.previous_id else ""
    text = tr("{name}: абонемент «{name2}»{renewal}, № {id}", name=space.name, name2=purchase.name, renewal=renewal, id=purchase.id)
    return Charge(description=text, email=session.get(User, purchase.user_id).email,
                  return_path=f"{PLANS_PAGE}?paid={purchase.id}", cancel_path=f"{PLANS_PAGE}?cancelled={purchase.id}",
                  metadata={"plan_purchase_id": str(purchase.id), "payment_id": str(payment.id)},
                  items=(ReceiptItem(text[:128], payment.amount_minor, purchase.vat_rate_bp),),
                  refund_text=tr("Возврат оплаты абонемента № {id}", id=purchase.id),
                  recurring_monthly=(purchase.kind == PlanKind.membership.value and purchase.renews
                                     and purchase.previous_id is None))


def new_period(plan: Plan, space: Space, user_id: int, starts_at: datetime, *, resource_id: int | None,
                  previous_id: int | None, expires_at: datetime | None) -> PlanPurchase:
    """A purchase of `plan` from `starts_at` (a membership's month, a pack's validity), waiting
    for its payment until `expires_at`."""
    membership = plan.kind == PlanKind.membership.value
    ends_at = (month_after(starts_at, space.timezone) if membership
               else starts_at + timedelta(days=plan.validity_days))
    if not membership:  # a pack lasts to the local midnight after its last day
        ends_at = local_midnight(ends_at, space.timezone)
    return PlanPurchase(
        plan_id=plan.id, user_id=user_id, space_id=space.id, kind=plan.kind, membership_type=plan.membership_type,
        name=plan.name, status=P.pending_payment.value, starts_at=starts_at, ends_at=ends_at,
        days_total=plan.days or 0, days_left=plan.days or 0, minutes_total=plan.credit_minutes,
        minutes_left=plan.credit_minutes, unlimited=plan.membership_type == "hot_desk",
        resource_ids=list(plan.resource_ids), resource_id=resource_id,
        max_active_bookings=plan.max_active_bookings, renews=membership and plan.renews, previous_id=previous_id,
        price_minor=plan.price_minor, currency=plan.currency, vat_rate_bp=plan.vat_rate_bp, expires_at=expires_at)



# --- the desk or office a membership holds -------------------------------------------------


def do_hold_resource(session: Session, effects: Effects, purchase: PlanPurchase, *, user: User,
                     status: str, expires_at: datetime | None) -> int:
    """A booking of the whole of `purchase.resource_id` for the purchase's period (its price
    0, marked `plan_hold`): nobody else can book it meanwhile. Under the resource's lock, the
    same every booking of it takes; 409 when any seat of it is taken in the period."""
    resource = session.get(Resource, purchase.resource_id, with_for_update=True)
    space = session.get(Space, resource.space_id)
    taken = av.booked_seats(session, resource.id, purchase.starts_at, purchase.ends_at)
    if taken:
        raise Conflict("resource_id", tr("«{name}» уже занято в этот месяц — выберите другое место", name=resource.name))
    price = PriceBreakdown(
        subtotal=0, addons=0, discount=0, vat=0, total=0, currency=purchase.currency, tariff_unit="month",
        tariff_units=1, unit_price=0, seats_charged=resource.capacity, vat_rate_bp=purchase.vat_rate_bp,
        vat_included=space.prices_include_vat, plan=purchase.name, plan_hold=True,
        lines=[PriceLine(label=tr("{name}: закреплено по абонементу «{name2}»", name=resource.name, name2=purchase.name), amount=0)])
    booking_id = do_insert_booking(session, effects, dict(
        user_id=purchase.user_id, space_id=space.id, resource_id=resource.id, start_at=purchase.starts_at,
        end_at=purchase.ends_at, seats=resource.capacity, whole=av.is_whole(resource), status=status,
        expires_at=expires_at, timezone=space.timezone, price=price.model_dump(mode="json"), addons=[],
        total_minor=0, currency=purchase.currency, promo_id=None, policy=space.cancellation_policy,
        plan_purchase_id=purchase.id), actor=user, actor_role="renter", data={"plan_purchase_id": purchase.id})
    purchase.hold_booking_id = booking_id
    return booking_id


def _confirm_hold(session: Session, effects: Effects, purchase: PlanPurchase, *, now: datetime) -> bool:
    """The paid purchase's resource is held for its period: its pending hold confirmed, or
    (lapsed, or never made) a new one if the resource is still free. False when it is taken."""
    hold = session.get(Booking, purchase.hold_booking_id, with_for_update=True) if purchase.hold_booking_id else None
    if hold is not None and hold.status == S.pending_payment.value:
        session.get(Resource, hold.resource_id, with_for_update=True)
        free = hold.expires_at is None or hold.expires_at > now or not av.booked_seats(
            session, hold.resource_id, hold.start_at, hold.end_at, exclude_booking_id=hold.id)
        if not free:
            return False
        do_transition(session, effects, hold, "pay", actor=None, actor_role="provider", data={"amount": 0})
        do_transition(session, effects, hold, "confirm", actor=None, actor_role="system", reason=tr("абонемент оплачен"))
        hold.expires_at = None
        return True
    if hold is not None and hold.status in (S.paid.value, S.confirmed.value):
        return True
    try:
        do_hold_resource(session, effects, purchase, user=session.get(User, purchase.user_id),
                         status=S.confirmed.value, expires_at=None)
    except Conflict:
        return False
    return True


# --- the payment arrived -------------------------------------------------------------------


def do_settle_plan(session: Session, effects: Effects, payment: Payment, *, now: datetime) -> bool:
    """The money for a purchase arrived (posted to the ledger at once). True when it starts
    the purchase; False when it is not wanted (already paid, given up, or its desk taken
    meanwhile): the caller refunds it."""
    purchase = session.get(PlanPurchase, payment.plan_purchase_id, with_for_update=True)
    do_post_plan_money(session, effects, purchase, payment, payment.amount_minor, now=now)
    if (purchase.status != PurchaseStatus.pending_payment.value or payment.amount_minor != purchase.price_minor
            or payment.currency != purchase.currency):
        return False
    if purchase.resource_id is not None and not _confirm_hold(session, effects, purchase, now=now):
        return False
    purchase.status, purchase.paid_at, purchase.expires_at = PurchaseStatus.active.value, now, None
    session.add(PlanUsage(purchase_id=purchase.id, kind="grant", days=purchase.days_total,
                          minutes=purchase.minutes_total))
    space = session.get(Space, purchase.space_id)
    zone = ZoneInfo(space.timezone)
    do_notify(session, effects, session.get(User, purchase.user_id), "plan_paid", {
        "name": purchase.name, "space": space.name, "amount": format_money(payment.amount_minor, payment.currency),
        "period": f"{purchase.starts_at.astimezone(zone):%d.%m.%Y} – "
                  f"{(purchase.ends_at - timedelta(seconds=1)).astimezone(zone):%d.%m.%Y}",
        "link": PLANS_PAGE}, dedupe=f"plan_paid:{purchase.id}")
    effects.count("plans", "renewed" if purchase.previous_id else "paid")
    effects.queue_job("jobs.plans.render_plan_receipt", purchase.id, job_id=f"plan-receipt-{purchase.id}")
    session.flush()
    return True


# --- the ledger ----------------------------------------------------------------------------


def _lines(session: Session, purchase: PlanPurchase, provider: str, amount: int) -> tuple[list, int | None]:
    owner_id, city_id = session.execute(select(Space.owner_id, Space.city_id)
                                        .where(Space.id == purchase.space_id)).one()
    cur = purchase.currency
    platform_vat = get_settings().platform_vat_bp
    rate = 10_000 if owner_id is None else ledger.commission_rate(session, owner_id)
    parts = ledger.split(amount, commission_bp=rate, booking_vat_bp=0 if owner_id is None else purchase.vat_rate_bp,
                         platform_vat_bp=platform_vat)
    lines = [(ledger.cash(provider, cur), amount),
             (ledger.platform("commission", cur), -(parts.commission - parts.vat)),
             (ledger.platform("vat_payable", cur), -parts.vat)]
    if owner_id is not None:
        lines.append((ledger.owner_payable(owner_id, cur), -parts.owner))
    return lines, city_id


def do_post_plan_money(session: Session, effects: Effects, purchase: PlanPurchase, payment: Payment, amount: int, *,
                       now: datetime | None = None, refund: bool = False) -> None:
    """A plan's payment (or, `refund`, money given back) in the ledger."""
    lines, city_id = _lines(session, purchase, payment.provider, amount)
    if refund:
        lines = [(acct, -value) for acct, value in lines]
    ledger.do_post(session, effects, "plan_refund" if refund else "plan_payment", lines, effective_at=now,
                   plan_purchase_id=purchase.id, space_id=purchase.space_id, city_id=city_id,
                   memo=tr("абонемент «{name}», № {id}", name=purchase.name, id=purchase.id))


def do_post_plan_refund(session: Session, effects: Effects, payment: Payment, amount: int) -> None:
    do_post_plan_money(session, effects, session.get(PlanPurchase, payment.plan_purchase_id), payment, amount,
                       refund=True)


# --- a provider's own subscription (Stripe) --------------------------------------------------


def do_link_subscription(session: Session, payment: Payment, subscription_id: str) -> None:
    """The first month paid through a subscription checkout: the purchase remembers the
    subscription, whose later invoices renew it (and which its cancellation stops)."""
    if payment.plan_purchase_id is None or not subscription_id:
        return
    purchase = session.get(PlanPurchase, payment.plan_purchase_id, with_for_update=True)
    if purchase.status == P.active.value and purchase.stripe_subscription_id is None:
        purchase.stripe_subscription_id = subscription_id[:255]


def subscription_period(session: Session, subscription_id: str) -> PlanPurchase | None:
    """The latest paid period of a subscription (locked)."""
    return session.scalars(select(PlanPurchase).where(
        PlanPurchase.stripe_subscription_id == subscription_id[:255], PlanPurchase.status != P.cancelled.value)
        .order_by(PlanPurchase.id.desc()).limit(1).with_for_update()).first()


def do_open_provider_renewal(session: Session, effects: Effects, current: PlanPurchase, *, provider: str,
                             provider_payment_id: str, amount: int, currency: str, reference: str,
                             now: datetime) -> Payment | None:
    """A subscription's next month paid by the provider on its own (Stripe's `invoice.paid`):
    the next period and its payment row, which the caller settles like any payment. None when
    that month exists already (the same invoice told twice)."""
    key = f"{provider}-renewal-{reference}"[:80]
    if (session.scalar(select(Payment.id).where(Payment.idempotency_key == key)) is not None
            or session.scalar(select(PlanPurchase.id).where(PlanPurchase.previous_id == current.id)) is not None):
        return None
    plan, space = session.get(Plan, current.plan_id), session.get(Space, current.space_id)
    start = max(current.ends_at, local_midnight(now, space.timezone))
    nxt = new_period(plan, space, current.user_id, start, resource_id=current.resource_id,
                     previous_id=current.id, expires_at=None)
    nxt.price_minor, nxt.currency = amount, currency  # what the subscription charged
    nxt.stripe_subscription_id, nxt.renews = current.stripe_subscription_id, current.renews
    session.add(nxt)
    session.flush()
    payment = Payment(plan_purchase_id=nxt.id, provider=provider, purpose="plan", status=PaymentStatus.pending.value,
                      idempotency_key=key, provider_payment_id=provider_payment_id,
                      amount_minor=amount, currency=currency)
    session.add(payment)
    session.flush()
    effects.count("plans", "renewal_issued")
    return payment
