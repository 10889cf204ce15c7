"""/api/v1/waitlist: a place in line for a full resource (services/booking/waitlist.py), and an
owner's line per day."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.booking import waitlist
from coworking_app.services.common.fields import Day

router = APIRouter(tags=["waitlist"], route_class=EdgeRoute, responses=SIGNED_IN)


class Joined(BaseModel):
    id: int
    position: int


@router.post("/waitlist", status_code=status.HTTP_201_CREATED, response_model=Joined, responses=responses(409))
def join(body: waitlist.WaitlistRequest, user: CurrentUser, uow: Uow) -> Joined:
    """Joins the line for an interval with no free seats now (409 on `seats` while seats are
    free: book them instead). When seats free up, the first in line whose request fits gets a
    hold for WAITLIST_HOLD_SECONDS and a `waitlist_offer` notice."""
    def work(s, fx):
        entry = waitlist.do_join_waitlist(s, fx, user, body)
        return Joined(id=entry.id, position=waitlist.positions(s, [entry.id])[entry.id])
    return uow.run(work)


@router.get("/waitlist", response_model=list[waitlist.WaitlistEntryOut])
def mine(user: CurrentUser, session: DbSession) -> list[waitlist.WaitlistEntryOut]:
    """The caller's entries still ahead, with their place in line (0 once offered)."""
    return waitlist.my_waitlist(session, user)


@router.delete("/waitlist/{entry_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(409))
def leave(entry_id: PathId, user: CurrentUser, uow: Uow) -> Response:
    uow.run(lambda s, _fx: waitlist.do_leave_waitlist(s, user, entry_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/owner/spaces/{space_id}/waitlist", response_model=list[waitlist.WaitlistEntryOut])
def owner_line(space_id: PathId, user: CurrentUser, session: DbSession,
               day: Day = Query(description="The day, in the space's time zone")) -> list[waitlist.WaitlistEntryOut]:
    """Who waits for the space's resources on `day` (its owner, operators and admins)."""
    return waitlist.owner_waitlist(session, user, space_id, day)
