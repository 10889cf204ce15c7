from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from coworking_app.api.edge import EdgeRoute, responses
from coworking_app.services.admin.health import check_health
from coworking_app.services.ops.readiness import check_readiness

router = APIRouter(tags=["health"], route_class=EdgeRoute)


@router.get("/health", responses={**responses(), 503: {"description": "A dependency is down"}})
def health() -> JSONResponse:
    result = check_health()
    return JSONResponse(result, status_code=200 if result["status"] == "ok" else 503)


class ReadyChecks(BaseModel):
    """Each check: "ok" or a short error ("error: OperationalError", "error: at X, head is Y")."""

    database: str
    migrations: str
    redis_state: str
    redis_queue: str
    redis_cache: str


class Ready(BaseModel):
    status: str = "ready"
    checks: ReadyChecks


class NotReady(BaseModel):
    status: str = "not_ready"
    detail: str  # Russian: which checks failed
    checks: ReadyChecks


@router.get(
    "/ready", response_model=Ready, summary="Ready to take traffic (load balancers, Kubernetes)",
    description="Database reachable, its schema at the migrations' head, every Redis (Reflex state, "
                "RQ queues, cache) reachable; each check times out after 2 s. Liveness is `/health`.",
    responses={**responses(), 503: {"model": NotReady, "description": "A check failed (see `checks`)"}},
)
def ready() -> JSONResponse:
    result = check_readiness()
    return JSONResponse(result.body(), status_code=200 if result.ready else 503)
