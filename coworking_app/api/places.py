"""GET /api/v1/places: suggestions as people type an address or a landmark (our stations,
districts, cities and spaces: services/catalog/places.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from coworking_app.api.deps import Client, ReadSession
from coworking_app.api.edge import EdgeRoute, responses
from coworking_app.services.catalog import catalog, places
from coworking_app.services.common.fields import Line

router = APIRouter(tags=["catalog"], route_class=EdgeRoute, responses=responses(422, 429))


@router.get("/places", response_model=list[places.Place])
def suggest(
    session: ReadSession,
    client: Client,
    q: Annotated[Line(places.MAX_QUERY_LENGTH), Query(description="What was typed so far")],
    city: Annotated[Line(100) | None, Query(description="City slug or name: its places only")] = None,
    limit: Annotated[int, Query(ge=1, le=places.MAX_LIMIT)] = 8,
) -> list[places.Place]:
    city_id = catalog.require_city(session, city).id if city else None
    return places.do_suggest_for(session, client.ip, q, city_id=city_id, limit=limit)
