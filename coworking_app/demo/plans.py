"""Demo plans (docs/plans.md): the first published space of the «Улей» chain sells a pack of
day passes, a hot-desk membership with meeting-room hours, a fixed-desk membership and a pack
of meeting-room hours; the demo renter holds a paid pack of days there, so `make run` shows
the plans on the space page, in the renter's "Абонементы" and in the booking panel.
Through the services, as a person would; idempotent (skipped once the space has plans)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.accounts.identity import find_user_by_email
from coworking_app.services.payments.payments import do_apply_test_outcome
from coworking_app.services.plans import plans, purchases
from models import Plan, Resource, Space

DEMO_PLANS_OWNER = "uley@demo.cospace.ru"
DEMO_RENTER_EMAIL = "renter@demo.cospace.ru"


def seed_demo_plans(session: Session, effects: Effects, *, now: datetime | None = None) -> int:
    """Returns how many plans it added (0 when seeded before)."""
    now = now or datetime.now(timezone.utc)
    owner = find_user_by_email(session, DEMO_PLANS_OWNER)
    if owner is None:
        return 0
    space = session.scalars(select(Space).where(Space.owner_id == owner.id, Space.status == "published")
                            .order_by(Space.id)).first()
    if space is None or session.scalar(select(Plan.id).where(Plan.space_id == space.id).limit(1)) is not None:
        return 0
    by_kind: dict[str, list[int]] = {}
    for resource in session.scalars(select(Resource).where(Resource.space_id == space.id).order_by(Resource.id)):
        by_kind.setdefault(resource.kind, []).append(resource.id)
    desks, rooms = by_kind.get("hot_desk", []), by_kind.get("meeting_room", [])
    wanted = [plans.PlanIn(kind="day_pass", name="10 дней", price_minor=900_000, days=10, validity_days=60,
                           resource_ids=desks, max_active_bookings=3,
                           description="Десять дней в открытом пространстве в любые дни за два месяца.")]
    wanted.append(plans.PlanIn(kind="membership", membership_type="hot_desk", name="Резидент", price_minor=1_500_000,
                               credit_hours=4 if rooms else 0, resource_ids=desks, max_active_bookings=5,
                               description="Любой свободный стол каждый день месяца."))
    if by_kind.get("fixed_desk"):
        wanted.append(plans.PlanIn(kind="membership", membership_type="fixed_desk", name="Свой стол",
                                   price_minor=2_200_000, credit_hours=8 if rooms else 0,
                                   resource_ids=by_kind["fixed_desk"][:1]))
    if rooms:
        wanted.append(plans.PlanIn(kind="credits", name="5 часов переговорных", price_minor=600_000, credit_hours=5,
                                   validity_days=90, resource_ids=rooms, max_active_bookings=2))
    made = [plans.do_create_plan(session, effects, owner, space.id, data) for data in wanted]
    renter = find_user_by_email(session, DEMO_RENTER_EMAIL)
    if renter is not None:
        payment = purchases.do_buy_plan(session, effects, renter, purchases.BuyRequest(plan_id=made[0].id), now=now)
        if payment.provider == "test":  # with real providers configured the demo renter buys it themself
            do_apply_test_outcome(session, effects, payment, "succeeded", now=now)
    return len(made)
