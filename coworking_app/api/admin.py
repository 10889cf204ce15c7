"""Admin actions available before the admin panel: publishing spaces (moderation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from coworking_app.api.deps import CurrentUser, DbSession
from coworking_app.services.accounts import check_role
from coworking_app.services.spaces import do_set_space_status
from models import Role, SpaceStatus

router = APIRouter(tags=["admin"])


class StatusIn(BaseModel):
    status: SpaceStatus


@router.post("/admin/spaces/{space_id}/status")
def set_space_status(space_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: StatusIn,
                     user: CurrentUser, session: DbSession) -> dict:
    check_role(user, Role.admin)
    space = do_set_space_status(session, space_id, body.status)
    return {"id": space.id, "status": space.status}
