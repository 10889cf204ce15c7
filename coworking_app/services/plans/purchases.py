"""Buying plans and living with them (docs/plans.md): a purchase and its payment, the
membership's monthly renewal (an invoice-and-pay link: the next month waits for its payment
from RENEW_AHEAD before the month ends until RENEW_GRACE after), cancelling the renewal
(the month already paid runs to its end), periods ending, and what people see: the renter's
plans with what is left and the history, the owner's members and plan revenue.

Who may: anyone signed in who may book buys a plan of a space that takes bookings; a
purchase, its payment and its renewal are its buyer's alone (others get 404)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import (
    MEMBERSHIP_TYPE_LABELS,
    PLAN_KIND_LABELS,
    PURCHASE_STATUS_LABELS,
    format_money,
)
from coworking_app.services.accounts.permissions import check_can_book, check_role
from coworking_app.services.booking import availability as av
from coworking_app.services.booking.bookings import do_expire_holds
from coworking_app.services.booking.cover import days_word, hours_text, usable_purchases
from coworking_app.services.catalog.spaces import is_bookable, is_public
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound
from coworking_app.services.common.fields import StrictId
from coworking_app.services.finance import ledger
from coworking_app.services.messaging.notifications import do_notify
from coworking_app.services.payments import payments
from coworking_app.services.plans.plans import HELD_KINDS
from coworking_app.services.plans.settle import PLANS_PAGE, do_hold_resource, local_midnight, new_period
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
    Role,
    Space,
    User,
)
from coworking_app.i18n import tr

P = PurchaseStatus
RENEW_AHEAD = timedelta(days=3)  # the next month's payment is asked for this long before the end
RENEW_GRACE = timedelta(days=3)  # ... and waits this long after it (a held desk stays held meanwhile)


class BuyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: StrictId
    resource_id: StrictId | None = None  # a fixed desk or office: which one


# --- access --------------------------------------------------------------------------------


def access_purchase(session: Session, user: User | None, purchase_id: int, *, for_update: bool = False) -> PlanPurchase:
    """The caller's own purchase; 404 for anyone else's."""
    user = check_can_book(user)
    purchase = (session.get(PlanPurchase, purchase_id, with_for_update=for_update)
                if 0 < purchase_id < 2**31 else None)
    if purchase is None or purchase.user_id != user.id:
        raise NotFound(tr("Абонемент не найден"))
    return purchase


def _plan_on_sale(session: Session, plan_id: int) -> tuple[Plan, Space]:
    plan = session.get(Plan, plan_id) if 0 < plan_id < 2**31 else None
    space = session.get(Space, plan.space_id) if plan is not None else None
    if plan is None or space is None or not is_public(space) or not plan.active:
        raise NotFound(tr("Абонемент не найден"))
    if not is_bookable(space):
        raise Conflict("plan_id", tr("Это пространство сейчас не продаёт абонементы"))
    return plan, space


# --- buying --------------------------------------------------------------------------------


def do_buy_plan(session: Session, effects: Effects, user: User | None, request: BuyRequest, *,
                now: datetime | None = None) -> Payment:
    """A purchase waiting for its payment (the provider's page at `payment_url`); a fixed
    desk or office is held meanwhile as a booking hold is. Asked again for the same plan
    (and desk) while the first still waits, the same purchase and checkout come back."""
    user = check_can_book(user)
    now = now or av.utcnow()
    plan, space = _plan_on_sale(session, request.plan_id)
    held = plan.membership_type in HELD_KINDS
    if held and request.resource_id is None:
        raise InvalidInput("resource_id", tr("выберите место, которое закрепить за вами"))
    if request.resource_id is not None and (not held or request.resource_id not in plan.resource_ids):
        raise InvalidInput("resource_id", tr("это место не входит в абонемент"))
    waiting = session.scalars(select(PlanPurchase).where(
        PlanPurchase.user_id == user.id, PlanPurchase.plan_id == plan.id, PlanPurchase.status == P.pending_payment.value,
        PlanPurchase.previous_id.is_(None), PlanPurchase.expires_at > now,
        PlanPurchase.resource_id.is_not_distinct_from(request.resource_id)).with_for_update()).first()
    if waiting is not None:
        return _open_payment(session, waiting, now=now)
    expires_at = now + timedelta(seconds=get_settings().booking_hold_seconds)
    start = local_midnight(now, space.timezone)
    purchase = new_period(plan, space, user.id, start, resource_id=request.resource_id, previous_id=None,
                             expires_at=expires_at)
    session.add(purchase)
    session.flush()
    if held:
        do_hold_resource(session, effects, purchase, user=user, status=BookingStatus.pending_payment.value,
                         expires_at=expires_at)
    effects.count("plans", "bought")
    return _open_payment(session, purchase, now=now)


def _open_payment(session: Session, purchase: PlanPurchase, *, now: datetime) -> Payment:
    pending = list(session.scalars(select(Payment).where(
        Payment.plan_purchase_id == purchase.id, Payment.status == PaymentStatus.pending.value)))
    existing = payments.reusable_checkout(session, pending, purchase.price_minor, now=now)
    if existing is not None:
        return existing
    provider = payments.get_provider(currency=purchase.currency)
    if provider.name == ledger.ON_ACCOUNT:
        raise Conflict("provider", tr("абонемент оплачивается картой"))
    attempt = session.scalar(select(func.count()).select_from(Payment)
                             .where(Payment.plan_purchase_id == purchase.id)) or 0
    return payments.do_open_checkout(session, Payment(
        plan_purchase_id=purchase.id, provider=provider.name, purpose="plan",
        idempotency_key=f"plan-{purchase.id}-{attempt + 1}-{secrets.token_hex(4)}",
        amount_minor=purchase.price_minor, currency=purchase.currency), provider)


def do_start_plan_payment(session: Session, user: User | None, purchase_id: int, *,
                          now: datetime | None = None) -> Payment:
    """The checkout of one's own purchase that waits for payment: a new one, or a
    membership's next month ("Оплатить продление")."""
    now = now or av.utcnow()
    purchase = access_purchase(session, user, purchase_id, for_update=True)
    if purchase.status == P.active.value:
        raise Conflict("status", tr("абонемент уже оплачен"))
    if purchase.status != P.pending_payment.value or (purchase.expires_at and purchase.expires_at <= now):
        raise Conflict("status", tr("срок оплаты прошёл — купите абонемент заново"))
    return _open_payment(session, purchase, now=now)


# --- renewal and the end of a period -------------------------------------------------------


def _successor(session: Session, purchase_id: int) -> PlanPurchase | None:
    return session.scalars(select(PlanPurchase).where(PlanPurchase.previous_id == purchase_id)).first()


def do_cancel_renewal(session: Session, effects: Effects, user: User | None, purchase_id: int, *,
                      now: datetime | None = None) -> PlanPurchase:
    """The membership is not renewed: the month already paid runs to its end (its desk stays
    held till then); a next month waiting for payment is dropped."""
    now = now or av.utcnow()
    purchase = access_purchase(session, user, purchase_id, for_update=True)
    if purchase.kind != PlanKind.membership.value or purchase.status != P.active.value:
        raise Conflict("status", tr("продление отключается у действующего абонемента на месяц"))
    if not purchase.renews:
        raise Conflict("status", tr("продление уже отключено"))
    purchase.renews, purchase.cancelled_at = False, now
    if purchase.stripe_subscription_id:  # Stripe charges no further month (refused: 502, nothing changes)
        payments.get_provider("stripe").set_cancel_at_period_end(purchase.stripe_subscription_id, True)
    following = _successor(session, purchase.id)
    if following is not None and following.status == P.pending_payment.value:
        _drop_unpaid(session, effects, following, now=now)
    effects.count("plans", "renewal_cancelled")
    session.flush()
    return purchase


def do_resume_renewal(session: Session, effects: Effects, user: User | None, purchase_id: int, *,
                      now: datetime | None = None) -> PlanPurchase:
    """Renewal switched back on while the month runs (the plan still on sale)."""
    now = now or av.utcnow()
    purchase = access_purchase(session, user, purchase_id, for_update=True)
    if purchase.kind != PlanKind.membership.value or purchase.status != P.active.value or purchase.ends_at <= now:
        raise Conflict("status", tr("продление включается у действующего абонемента на месяц"))
    if purchase.renews:
        raise Conflict("status", tr("продление уже включено"))
    following = _successor(session, purchase.id)
    if following is not None and following.status != P.cancelled.value:
        raise Conflict("status", tr("следующий месяц уже оформлен"))
    plan = session.get(Plan, purchase.plan_id)
    if not plan.active:
        raise Conflict("status", tr("этот абонемент больше не продаётся — продлить его нельзя"))
    if following is not None:  # the dropped next month makes way for a new one
        following.previous_id = None
    purchase.renews, purchase.cancelled_at = True, None
    if purchase.stripe_subscription_id:
        payments.get_provider("stripe").set_cancel_at_period_end(purchase.stripe_subscription_id, False)
    effects.count("plans", "renewal_resumed")
    session.flush()
    return purchase


def _drop_unpaid(session: Session, effects: Effects, purchase: PlanPurchase, *, now: datetime) -> None:
    """An unpaid purchase given up: its checkouts closed, its held desk released."""
    purchase.status = P.cancelled.value
    for payment in session.scalars(select(Payment).where(
            Payment.plan_purchase_id == purchase.id, Payment.status == PaymentStatus.pending.value)):
        payments.do_close_checkout(session, payment)
    if purchase.hold_booking_id:
        hold = session.get(Booking, purchase.hold_booking_id, with_for_update=True)
        if hold is not None and hold.status == BookingStatus.pending_payment.value:
            hold.expires_at = min(hold.expires_at or now, now)
            do_expire_holds(session, effects, now=now, booking_id=hold.id)


def do_issue_renewals(session: Session, effects: Effects, *, now: datetime | None = None) -> int:
    """Memberships ending within RENEW_AHEAD that renew: the next month waits for its payment
    (its desk held), and the member is told with a link to pay. Safe to run again."""
    now = now or av.utcnow()
    following = aliased(PlanPurchase)
    due = list(session.scalars(
        select(PlanPurchase).where(
            PlanPurchase.status == P.active.value, PlanPurchase.renews, PlanPurchase.ends_at <= now + RENEW_AHEAD,
            PlanPurchase.ends_at > now, PlanPurchase.stripe_subscription_id.is_(None),
            ~select(following.id).where(following.previous_id == PlanPurchase.id).exists())
        .order_by(PlanPurchase.ends_at).limit(200).with_for_update(skip_locked=True)))
    for current in due:
        plan, space = session.get(Plan, current.plan_id), session.get(Space, current.space_id)
        if not plan.active or not is_bookable(space):
            current.renews = False  # no longer sold: the month runs out
            continue
        nxt = new_period(plan, space, current.user_id, current.ends_at, resource_id=current.resource_id,
                            previous_id=current.id, expires_at=current.ends_at + RENEW_GRACE)
        session.add(nxt)
        session.flush()
        user = session.get(User, current.user_id)
        if nxt.resource_id is not None:
            try:
                do_hold_resource(session, effects, nxt, user=user, status=BookingStatus.pending_payment.value,
                                 expires_at=nxt.expires_at)
            except Conflict:
                pass  # taken for next month: the payment is refunded if it comes and the desk is still taken
        zone = ZoneInfo(space.timezone)
        do_notify(session, effects, user, "plan_renewal_due", {
            "name": nxt.name, "space": space.name, "amount": format_money(nxt.price_minor, nxt.currency),
            "from": f"{nxt.starts_at.astimezone(zone):%d.%m.%Y}",
            "until": f"{nxt.expires_at.astimezone(zone):%d.%m.%Y %H:%M}", "link": PLANS_PAGE},
            dedupe=f"plan_renewal_due:{nxt.id}")
        effects.count("plans", "renewal_issued")
    session.flush()
    return len(due)


def do_end_periods(session: Session, effects: Effects, *, now: datetime | None = None) -> int:
    """Periods that are over end; purchases not paid in time are given up."""
    now = now or av.utcnow()
    count = 0
    for purchase in session.scalars(select(PlanPurchase).where(
            PlanPurchase.status == P.active.value, PlanPurchase.ends_at <= now)
            .limit(500).with_for_update(skip_locked=True)):
        purchase.status = P.ended.value
        effects.count("plans", "ended")
        count += 1
    for purchase in session.scalars(select(PlanPurchase).where(
            PlanPurchase.status == P.pending_payment.value, PlanPurchase.expires_at <= now)
            .limit(500).with_for_update(skip_locked=True)):
        _drop_unpaid(session, effects, purchase, now=now)
        effects.count("plans", "lapsed")
        count += 1
    session.flush()
    return count


# --- what the renter sees ------------------------------------------------------------------


@dataclass(frozen=True)
class UsageLine:
    when: str
    text: str
    booking_id: int | None


@dataclass(frozen=True)
class PurchaseView:
    id: int
    space_id: int
    space: str
    name: str
    kind_label: str
    status: str
    status_label: str
    period: str  # "04.12.2026 – 03.01.2027"
    left: str  # "осталось 7 дней из 10", "6 ч переговорных из 8 ч", "без ограничений"
    held: str  # the desk or office held for the period, "" if none
    amount: str
    renews: bool
    renewal: str  # the next month, in words ("" when none)
    can_cancel_renewal: bool
    can_resume_renewal: bool
    payable_id: int  # a purchase of this chain waiting for payment that may be paid now (0: none)
    paid: bool  # its receipt may be downloaded
    history: list[UsageLine] = field(default_factory=list)


def _period(purchase: PlanPurchase, zone: ZoneInfo) -> str:
    last = purchase.ends_at - timedelta(seconds=1)
    return f"{purchase.starts_at.astimezone(zone):%d.%m.%Y} – {last.astimezone(zone):%d.%m.%Y}"


def left_text(purchase: PlanPurchase) -> str:
    parts = []
    if purchase.unlimited:
        parts.append(tr("рабочее место без ограничений"))
    elif purchase.days_total:
        parts.append(tr("осталось {days_word} из {days_total}", days_word=days_word(purchase.days_left), days_total=purchase.days_total))
    if purchase.minutes_total:
        parts.append(tr("переговорные: {hours_text} из {hours_text2}", hours_text=hours_text(purchase.minutes_left), hours_text2=hours_text(purchase.minutes_total)))
    return "; ".join(parts) or tr("место закреплено за вами")


def _usage_text(row: PlanUsage) -> str:
    amounts = []
    if row.days:
        amounts.append(days_word(abs(row.days)))
    if row.minutes:
        amounts.append(hours_text(abs(row.minutes)))
    what = tr(" и ").join(amounts)
    if row.kind == "grant":
        return tr("Начислено: {what}", what=what) if what else tr("Абонемент начал действовать")
    if row.kind == "use":
        return tr("Бронь № {booking_id}: списано {what}", booking_id=row.booking_id, what=what) if what else tr("Бронь № {booking_id} по абонементу", booking_id=row.booking_id)
    return tr("Бронь № {booking_id} отменена: возвращено {what}", booking_id=row.booking_id, what=what)


def my_plans(session: Session, user: User | None, *, now: datetime | None = None) -> list[PurchaseView]:
    """The person's plans, newest first: paid ones and those waiting for payment (a purchase
    never paid is left out), each with what is left and its history."""
    user = check_can_book(user)
    now = now or av.utcnow()
    purchases = list(session.scalars(select(PlanPurchase).where(
        PlanPurchase.user_id == user.id, PlanPurchase.status != P.cancelled.value)
        .order_by(PlanPurchase.id.desc()).limit(50)))
    if not purchases:
        return []
    spaces = {s.id: s for s in session.scalars(select(Space).where(Space.id.in_({p.space_id for p in purchases})))}
    held_ids = {p.resource_id for p in purchases if p.resource_id}
    names = dict(session.execute(select(Resource.id, Resource.name).where(Resource.id.in_(held_ids))).all()) if held_ids else {}
    by_previous = {p.previous_id: p for p in purchases if p.previous_id}
    usage: dict[int, list[PlanUsage]] = {}
    for row in session.scalars(select(PlanUsage).where(PlanUsage.purchase_id.in_([p.id for p in purchases]))
                               .order_by(PlanUsage.id.desc())):
        usage.setdefault(row.purchase_id, []).append(row)
    views = []
    for p in purchases:
        if p.previous_id and p.status == P.pending_payment.value:
            continue  # shown as its month's renewal
        space = spaces[p.space_id]
        zone = ZoneInfo(space.timezone)
        nxt = by_previous.get(p.id)
        payable = p if p.status == P.pending_payment.value else nxt
        payable_id = payable.id if (payable is not None and payable.status == P.pending_payment.value
                                    and (payable.expires_at is None or payable.expires_at > now)) else 0
        renewal = ""
        if nxt is not None and nxt.status == P.pending_payment.value:
            renewal = (tr("Следующий месяц ({period}) ждёт оплаты до {astimezone:%d.%m.%Y}: {format_money}", period=_period(nxt, zone), astimezone=nxt.expires_at.astimezone(zone), format_money=format_money(nxt.price_minor, nxt.currency)))
        elif nxt is not None and nxt.status == P.active.value:
            renewal = tr("Следующий месяц оплачен: {period}", period=_period(nxt, zone))
        elif p.renews and p.status == P.active.value and p.stripe_subscription_id:
            renewal = (tr("Продлится с {astimezone:%d.%m.%Y}: {format_money} спишутся с карты автоматически", astimezone=p.ends_at.astimezone(zone), format_money=format_money(p.price_minor, p.currency)))
        elif p.renews and p.status == P.active.value:
            renewal = (tr("Продлится с {astimezone:%d.%m.%Y}: за {days} дня до конца месяца придёт ссылка на оплату {format_money}", astimezone=p.ends_at.astimezone(zone), days=RENEW_AHEAD.days, format_money=format_money(p.price_minor, p.currency)))
        elif p.kind == PlanKind.membership.value and p.status == P.active.value:
            renewal = tr("Продление отключено: абонемент действует до {value}", value=_period(p, zone).split(' – ')[1])
        kind = PLAN_KIND_LABELS[p.kind] + (f" · {MEMBERSHIP_TYPE_LABELS[p.membership_type]}" if p.membership_type else "")
        views.append(PurchaseView(
            id=p.id, space_id=p.space_id, space=space.name, name=p.name, kind_label=kind, status=p.status,
            status_label=PURCHASE_STATUS_LABELS[p.status], period=_period(p, zone), left=left_text(p),
            held=names.get(p.resource_id, "") if p.resource_id else "", amount=format_money(p.price_minor, p.currency),
            renews=p.renews, renewal=renewal,
            can_cancel_renewal=p.kind == PlanKind.membership.value and p.status == P.active.value and p.renews,
            can_resume_renewal=(p.kind == PlanKind.membership.value and p.status == P.active.value and not p.renews
                                and (nxt is None or nxt.status == P.cancelled.value)),
            payable_id=payable_id, paid=p.paid_at is not None,
            history=[UsageLine(f"{row.created_at.astimezone(zone):%d.%m.%Y %H:%M}", _usage_text(row), row.booking_id)
                     for row in usage.get(p.id, [])[:20]]))
    return views


# --- what the owner sees -------------------------------------------------------------------


@dataclass(frozen=True)
class PlanFigures:
    plan_id: int
    space: str
    name: str
    kind_label: str
    members: int  # people with a paid period running now
    sold: int  # periods paid in the last 30 days
    revenue: str  # what they brought in the last 30 days (refunds deducted), e.g. "24 000 ₽"
    revenue_minor: int
    currency: str


def owner_plan_figures(session: Session, user: User | None, *, now: datetime | None = None) -> list[PlanFigures]:
    """Per plan of the owner's spaces (every space for operators and admins): members now and
    the last 30 days' sales and money."""
    user = check_role(user, Role.owner, Role.operator, Role.admin)
    now = now or av.utcnow()
    since = now - timedelta(days=30)
    spaces = select(Space.id).where(Space.deleted_at.is_(None))
    if not user.is_staff:
        spaces = spaces.where(Space.owner_id == user.id)
    members = (select(PlanPurchase.plan_id, func.count(func.distinct(PlanPurchase.user_id)).label("n"))
               .where(PlanPurchase.status == P.active.value, PlanPurchase.starts_at <= now, PlanPurchase.ends_at > now)
               .group_by(PlanPurchase.plan_id).subquery())
    money = (select(PlanPurchase.plan_id, func.count(func.distinct(PlanPurchase.id)).label("sold"),
                    func.sum(Payment.amount_minor - Payment.refunded_minor).label("amount"))
             .join(Payment, Payment.plan_purchase_id == PlanPurchase.id)
             .where(Payment.status == PaymentStatus.succeeded.value, Payment.succeeded_at >= since,
                    PlanPurchase.status != P.cancelled.value)
             .group_by(PlanPurchase.plan_id).subquery())
    rows = session.execute(
        select(Plan.id, Space.name, Plan.name, Plan.kind, Plan.membership_type, Plan.currency,
               func.coalesce(members.c.n, 0), func.coalesce(money.c.sold, 0), func.coalesce(money.c.amount, 0))
        .join(Space, Space.id == Plan.space_id)
        .outerjoin(members, members.c.plan_id == Plan.id).outerjoin(money, money.c.plan_id == Plan.id)
        .where(Plan.space_id.in_(spaces))
        .order_by(Space.name, Plan.id).limit(500)).all()
    return [PlanFigures(plan_id, space, name,
                        PLAN_KIND_LABELS[kind] + (f" · {MEMBERSHIP_TYPE_LABELS[mtype]}" if mtype else ""),
                        int(n), int(sold), format_money(int(amount), currency), int(amount), currency)
            for plan_id, space, name, kind, mtype, currency, n, sold, amount in rows]


def plan_choices(session: Session, user: User | None, space_id: int, *, now: datetime | None = None,
                 ) -> list[tuple[int, str]]:
    """The booking panel's choice: the person's running plans in this space, with what is
    left ("10 дней — осталось 7 дней из 10"); none for strangers."""
    if user is None:
        return []
    now = now or av.utcnow()
    return [(p.id, f"{p.name} — {left_text(p)}") for p in usable_purchases(session, user.id, space_id, now=now)
            if p.hold_booking_id is None or p.minutes_total]
