"""GET /tiles/{z}/{x}/{y}.png: OpenStreetMap tiles for the sandboxed map frame
(services/catalog/tiles.py). Outside /api/v1 and the OpenAPI: it is part of the map, not the API."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from coworking_app.services.catalog.tiles import TileUnavailable, fetch_tile
from coworking_app.i18n import tr

router = APIRouter(include_in_schema=False)


@router.get("/tiles/{z:int}/{x:int}/{y:int}.png")
async def tile(z: int, x: int, y: int) -> Response:
    try:
        found = await fetch_tile(z, x, y)
    except TileUnavailable:
        return JSONResponse({"detail": tr("Карта сейчас недоступна, попробуйте позже")},
                            status_code=502, headers={"Cache-Control": "no-store"})
    return Response(found.content, media_type=found.media_type,
                    headers={"Cache-Control": found.cache_control})
