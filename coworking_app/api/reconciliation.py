"""Provider reconciliation over REST for admins and operators: the latest run per provider
with its mismatches, and a run on demand (services/finance/reconciliation.py;
docs/operations.md, "Reconciliation")."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute
from coworking_app.services.common.fields import Day
from coworking_app.services.finance import reconciliation

router = APIRouter(tags=["finance"], route_class=EdgeRoute, responses=SIGNED_IN)


@router.get("/admin/finance/reconciliation", response_model=list[reconciliation.RunView])
def latest_reconciliation(user: CurrentUser, session: DbSession) -> list[reconciliation.RunView]:
    """The latest run per provider: its status (`ok`, `mismatches`, `failed` with the
    `error`), the figures per currency (the ledger's cash at the provider, what our
    payments hold, our and the provider's payments minus refunds in the period) and the
    mismatches (`missing_in_ledger`, `missing_at_provider`, `amount_differs`,
    `ledger_differs`)."""
    return reconciliation.access_reconciliation(session, user)


class ReconcileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: Day | None = Field(None, description="The period's first day; default: 31 days ago")
    provider: Literal["stripe", "yookassa", "test"] | None = Field(
        None, description="One provider; default: every configured one")


@router.post("/admin/finance/reconciliation/run", status_code=status.HTTP_202_ACCEPTED,
             response_model=reconciliation.ReconciliationRequest)
def run_reconciliation(body: ReconcileIn, user: CurrentUser, uow: Uow) -> reconciliation.ReconciliationRequest:
    """Queues a reconciliation now (as the nightly job does); GET shows the runs when done."""
    return uow.run(lambda s, fx: reconciliation.do_request_reconciliation(
        s, fx, user, since=body.since, provider=body.provider))
