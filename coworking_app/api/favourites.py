"""Saved spaces and "similar nearby": thin adapters over services.catalog.favourites and
services.catalog.similar (what the space page offers besides the space itself)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from coworking_app.api.deps import CurrentUser, DbSession, ReadSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.catalog import favourites, similar
from coworking_app.services.catalog.search import SpaceCard

router = APIRouter(tags=["favourites"], route_class=EdgeRoute)


class Saved(BaseModel):
    space_id: int
    saved: bool


@router.get("/me/favourites", response_model=list[SpaceCard], responses=SIGNED_IN)
def list_favourites(session: DbSession, user: CurrentUser) -> list[SpaceCard]:
    """The caller's saved spaces that are publicly visible, the latest saved first."""
    return favourites.list_saved_spaces(session, user)


@router.put("/me/favourites/{space_id}", response_model=Saved, responses={**SIGNED_IN, **responses(409)})
def save(uow: Uow, user: CurrentUser, space_id: PathId) -> Saved:
    """Saves a publicly visible space (404 for another); saving it again changes nothing."""
    uow.run(lambda s, _fx: favourites.do_save_space(s, user, space_id))
    return Saved(space_id=space_id, saved=True)


@router.delete("/me/favourites/{space_id}", response_model=Saved, responses=SIGNED_IN)
def unsave(uow: Uow, user: CurrentUser, space_id: PathId) -> Saved:
    """Removes a space from the saved ones; removing one that is not saved changes nothing."""
    uow.run(lambda s, _fx: favourites.do_unsave_space(s, user, space_id))
    return Saved(space_id=space_id, saved=False)


@router.get("/spaces/{space_id}/similar", response_model=list[SpaceCard], responses=responses(404, 422))
def similar_spaces(session: ReadSession, space_id: PathId) -> list[SpaceCard]:
    """A few publicly visible spaces like this one nearby: same city, a shared kind of
    place, the same price band, nearest first (`distance_m` from this space)."""
    return similar.similar_spaces(session, space_id)
