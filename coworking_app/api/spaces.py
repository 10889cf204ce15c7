from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from coworking_app.api.deps import ReadSession
from coworking_app.api.edge import EdgeRoute, PathId, responses
from coworking_app.db import read_scope
from coworking_app.services.catalog.search import SearchPage, SearchParams, search_spaces
from coworking_app.services.catalog.search_log import record_search
from coworking_app.services.catalog.search_map import MapParams, MapResults, search_map
from coworking_app.services.catalog.spaces import SpaceDetail, get_published_space

router = APIRouter(tags=["spaces"], route_class=EdgeRoute, responses=responses(422))


@router.get("/spaces", response_model=SearchPage)
def list_spaces(params: Annotated[SearchParams, Query()]) -> Response:
    # The hot path: the session opens here rather than in a dependency (one thread hop
    # instead of two), and the service's validated SearchPage is serialised once, in Rust,
    # instead of being validated and encoded again by FastAPI.
    with read_scope() as session:
        page = search_spaces(session, params)
    record_search(params, page.total)
    return Response(page.model_dump_json(), media_type="application/json")


@router.get("/spaces/map", response_model=MapResults)
def map_of_spaces(params: Annotated[MapParams, Query()]) -> Response:
    """Every result of the filters inside `bbox` (the map's view), clustered for `zoom`:
    clusters with their count, single spaces with their id, name and price."""
    with read_scope() as session:
        found = search_map(session, params)
    return Response(found.model_dump_json(), media_type="application/json")


@router.get("/spaces/{space_id}", response_model=SpaceDetail, responses=responses(404))
def space_detail(session: ReadSession, space_id: PathId) -> SpaceDetail:
    return get_published_space(session, space_id)
