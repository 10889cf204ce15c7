"""In-app notifications and preferences: thin adapters over services.notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from coworking_app.api.deps import CurrentUser, DbSession
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services import notifications as svc
from coworking_app.services import offers
from coworking_app.services.accounts import check_role
from models import Role

router = APIRouter(tags=["notifications"], route_class=EdgeRoute, responses=SIGNED_IN)


class NotificationList(BaseModel):
    items: list[svc.NotificationOut]
    unread: int


@router.get("/notifications", response_model=NotificationList)
def list_notifications(session: DbSession, user: CurrentUser,
                       unread: Annotated[bool, Query()] = False,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> NotificationList:
    items, count = svc.list_notifications(session, user, unread_only=unread, limit=limit)
    return NotificationList(items=items, unread=count)


class Unread(BaseModel):
    unread: int


@router.post("/notifications/{notification_id}/read", response_model=Unread)
def mark_read(session: DbSession, user: CurrentUser,
              notification_id: PathId) -> Unread:
    svc.do_mark_read(session, user, notification_id)
    return Unread(unread=svc.list_notifications(session, user, limit=1)[1])


@router.post("/notifications/read-all", response_model=Unread)
def mark_all_read(session: DbSession, user: CurrentUser) -> Unread:
    svc.do_mark_all_read(session, user)
    return Unread(unread=0)


@router.get("/me/notification-preferences", response_model=svc.Preferences)
def get_preferences(user: CurrentUser) -> svc.Preferences:
    return svc.preferences(user)


@router.put("/me/notification-preferences", response_model=svc.Preferences)
def put_preferences(session: DbSession, user: CurrentUser, body: svc.Preferences) -> svc.Preferences:
    return svc.do_set_preferences(session, user, body)


@router.get("/admin/notifications/stats", response_model=dict[str, int])
def delivery_stats(session: DbSession, user: CurrentUser) -> dict[str, int]:
    """Email deliveries by status (pending, sent, failed) for the admin panel."""
    check_role(user, Role.admin, Role.operator)
    return svc.delivery_counts(session)


class OfferOut(BaseModel):
    id: int
    recipients: int


@router.post("/offers", status_code=201, response_model=OfferOut, responses=responses(409, 429))
def create_offer(session: DbSession, user: CurrentUser, body: offers.OfferInput) -> OfferOut:
    """Owners: an offer for one of their spaces; admins: for a city or everyone. Sent at once
    to the people who opted in to offers."""
    offer = offers.do_create_offer(session, user, body)
    return OfferOut(id=offer.id, recipients=offer.recipients)


_UNSUBSCRIBED = """<!doctype html><html lang="ru"><meta charset="utf-8">
<title>Отписка — CoSpace</title><body style="font-family:sans-serif;max-width:560px;margin:64px auto">
<h2>Вы отписались от специальных предложений</h2>
<p>Письма о ваших бронях будут приходить как прежде. Снова подписаться можно в личном кабинете.</p>
</body></html>"""


@router.api_route("/unsubscribe/{token}", methods=["GET", "POST"], response_class=HTMLResponse,
                  include_in_schema=False)
def unsubscribe(session: DbSession, token: Annotated[str, Path(max_length=80)]) -> HTMLResponse:
    """One click from an offer email, no sign-in (GET from the link, POST from mail
    clients' List-Unsubscribe-Post)."""
    offers.do_unsubscribe(session, token)
    return HTMLResponse(_UNSUBSCRIBED)
