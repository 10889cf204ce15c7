"""/api/v1/checkin: the guest's arrival (services/booking/checkin.py) — the staff scan the
booking's QR code, or the guest checks in near the space."""

from __future__ import annotations

from fastapi import APIRouter

from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.booking import checkin

router = APIRouter(tags=["check-in"], route_class=EdgeRoute, responses=SIGNED_IN)


@router.post("/checkin/preview", response_model=checkin.CheckinOut, responses=responses(403))
def preview(body: checkin.CheckinIn, user: CurrentUser, session: DbSession) -> checkin.CheckinOut:
    """The booking a scanned code names, for the space's staff (nothing is marked)."""
    return checkin.checkin_preview(session, user, body.token)


@router.post("/checkin", response_model=checkin.CheckinOut, responses=responses(403, 409))
def check_in(body: checkin.CheckinIn, user: CurrentUser, uow: Uow) -> checkin.CheckinOut:
    """Marks the guest's arrival from the booking's QR code (its space's owner, operators,
    admins). A forged or expired code: 422 on `token`; another space's booking: 403; a second
    scan changes nothing (`already`)."""
    return uow.run(lambda s, fx: checkin.do_check_in_by_token(s, fx, user, body.token))


@router.get("/bookings/{booking_id}/checkin-pass", response_model=checkin.CheckinPass, responses=responses(409))
def checkin_pass(booking_id: PathId, user: CurrentUser, session: DbSession) -> checkin.CheckinPass:
    """The guest's QR link for a confirmed booking (404 for anyone else's)."""
    return checkin.checkin_pass(session, user, booking_id)


@router.post("/bookings/{booking_id}/check-in", response_model=checkin.CheckinOut, responses=responses(409))
def check_in_nearby(booking_id: PathId, body: checkin.NearbyIn, user: CurrentUser, uow: Uow) -> checkin.CheckinOut:
    """The guest checks in themselves, within 300 m of the space (409 on `lat` when farther)."""
    return uow.run(lambda s, fx: checkin.do_check_in_nearby(s, fx, user, booking_id, body))
