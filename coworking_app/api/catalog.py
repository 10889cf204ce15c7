from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from coworking_app.api.deps import DbSession
from coworking_app.api.edge import EdgeRoute, responses
from coworking_app.services.catalog import catalog
from coworking_app.services.common.fields import Line

router = APIRouter(tags=["catalog"], route_class=EdgeRoute, responses=responses(422))


@router.get("/cities")
def cities(session: DbSession) -> list[dict]:
    counts = catalog.count_published_by_city(session)
    return [
        {**asdict(c), "spaces_count": counts.get(c.id, 0)} for c in catalog.list_cities(session)
    ]


@router.get("/amenities")
def amenities(session: DbSession) -> list[dict]:
    return [asdict(a) for a in catalog.list_amenities(session)]


@router.get("/districts")
def districts(session: DbSession, city: Line(100) | None = None) -> list[dict]:
    city_id = catalog.require_city(session, city).id if city else None
    return [asdict(d) for d in catalog.list_districts(session, city_id)]


@router.get("/stops")
def stops(session: DbSession, city: Line(100) | None = None) -> list[dict]:
    city_id = catalog.require_city(session, city).id if city else None
    return [asdict(s) for s in catalog.list_stops(session, city_id)]
