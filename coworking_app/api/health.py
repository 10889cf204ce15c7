from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from coworking_app.api.edge import EdgeRoute, responses
from coworking_app.services.admin.health import check_health

router = APIRouter(tags=["health"], route_class=EdgeRoute)


@router.get("/health", responses={**responses(), 503: {"description": "A dependency is down"}})
def health() -> JSONResponse:
    result = check_health()
    return JSONResponse(result, status_code=200 if result["status"] == "ok" else 503)
