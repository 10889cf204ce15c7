from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from coworking_app.services.health import check_health

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> JSONResponse:
    result = check_health()
    return JSONResponse(result, status_code=200 if result["status"] == "ok" else 503)
