"""Plans (docs/plans.md): a space's plans for anyone, their management by its owner, buying
and paying them, the renter's own plans, the owner's figures. Rules: services/plans/."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from coworking_app.api.bookings import PaymentOut, payment_out
from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.payments import documents
from coworking_app.services.plans import plans, purchases
from coworking_app.services.plans.plans import PlanIn, PlanOut
from coworking_app.services.plans.purchases import BuyRequest, PlanFigures, PurchaseView

router = APIRouter(tags=["plans"], route_class=EdgeRoute, responses=SIGNED_IN)


@router.get("/spaces/{space_id}/plans", response_model=list[PlanOut], responses=responses(404, 422))
def space_plans(space_id: PathId, session: DbSession) -> list[PlanOut]:
    """The plans on sale at a published space (no sign-in needed)."""
    return plans.space_plans(session, space_id)


@router.post("/spaces/{space_id}/plans", status_code=status.HTTP_201_CREATED, response_model=PlanOut)
def create_plan(space_id: PathId, body: PlanIn, user: CurrentUser, uow: Uow) -> PlanOut:
    """A new plan of the caller's space (its owner, operators and admins)."""
    return uow.run(lambda s, fx: plans.do_create_plan(s, fx, user, space_id, body))


@router.put("/spaces/{space_id}/plans/{plan_id}", response_model=PlanOut)
def update_plan(space_id: PathId, plan_id: PathId, body: PlanIn, user: CurrentUser, uow: Uow) -> PlanOut:
    """Replaces a plan's terms (`active: false` takes it off sale). Purchases already made
    keep the terms they were bought on."""
    return uow.run(lambda s, fx: plans.do_update_plan(s, fx, user, space_id, plan_id, body))


@router.get("/owner/spaces/{space_id}/plans", response_model=list[PlanOut])
def owner_plans(space_id: PathId, user: CurrentUser, session: DbSession) -> list[PlanOut]:
    """Every plan of the caller's space, on sale or not."""
    return plans.owner_plans(session, user, space_id)


@router.get("/owner/plans/figures", response_model=list[PlanFigures])
def figures(user: CurrentUser, session: DbSession) -> list[PlanFigures]:
    """Per plan of the caller's spaces: members now, periods sold and money in the last 30 days."""
    return purchases.owner_plan_figures(session, user)


class Bought(PaymentOut):
    purchase_id: int


@router.post("/plans/purchases", status_code=status.HTTP_201_CREATED, response_model=Bought,
             responses=responses(409, 502))
def buy(body: BuyRequest, user: CurrentUser, uow: Uow) -> Bought:
    """Buys a plan: the purchase waits for its payment at `payment_url` (a fixed desk or
    office, `resource_id`, is held meanwhile) and starts when the provider confirms it."""
    def work(s, fx):
        payment = purchases.do_buy_plan(s, fx, user, body)
        return Bought(purchase_id=payment.plan_purchase_id, **payment_out(payment).model_dump())
    return uow.run(work)


@router.get("/plans/purchases", response_model=list[PurchaseView])
def mine(user: CurrentUser, session: DbSession) -> list[PurchaseView]:
    """The caller's plans with what is left, the renewal and the history."""
    return purchases.my_plans(session, user)


@router.post("/plans/purchases/{purchase_id}/pay", response_model=PaymentOut, responses=responses(409, 502))
def pay(purchase_id: PathId, user: CurrentUser, uow: Uow) -> PaymentOut:
    """The checkout of a purchase waiting for payment (a new one, or a membership's next month)."""
    return payment_out(uow.run(lambda s, _fx: purchases.do_start_plan_payment(s, user, purchase_id)))


class RenewalOff(BaseModel):
    id: int
    renews: bool


@router.post("/plans/purchases/{purchase_id}/cancel-renewal", response_model=RenewalOff, responses=responses(409))
def cancel_renewal(purchase_id: PathId, user: CurrentUser, uow: Uow) -> RenewalOff:
    """The membership is not renewed: the paid month runs to its end."""
    def work(s, fx):
        purchase = purchases.do_cancel_renewal(s, fx, user, purchase_id)
        return RenewalOff(id=purchase.id, renews=purchase.renews)
    return uow.run(work)


@router.post("/plans/purchases/{purchase_id}/resume-renewal", response_model=RenewalOff, responses=responses(409))
def resume_renewal(purchase_id: PathId, user: CurrentUser, uow: Uow) -> RenewalOff:
    """Renewal switched back on while the month runs."""
    def work(s, fx):
        purchase = purchases.do_resume_renewal(s, fx, user, purchase_id)
        return RenewalOff(id=purchase.id, renews=purchase.renews)
    return uow.run(work)


@router.get("/plans/purchases/{purchase_id}/receipt.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The receipt (PDF)"}})
def receipt(purchase_id: PathId, user: CurrentUser, uow: Uow) -> Response:
    """The receipt of one's own paid plan period (issued now if its job has not run yet)."""
    def work(s, _fx):
        documents.access_plan_receipt(s, user, purchase_id)
        return documents.do_issue_plan_receipt(s, purchase_id)
    document = uow.run(work)
    return Response(document.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="receipt-R-{document.number:06d}.pdf"',
        "Cache-Control": "private, no-store"})
