"""In-app notifications and preferences: thin adapters over services.messaging.notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.i18n import N_, tr
from coworking_app.services.messaging import delivery, notifications as svc, preferences
from coworking_app.services.messaging import offers
from coworking_app.services.accounts.permissions import check_role
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
def mark_read(uow: Uow, user: CurrentUser,
              notification_id: PathId) -> Unread:
    def work(s, _fx):
        svc.do_mark_read(s, user, notification_id)
        return svc.list_notifications(s, user, limit=1)[1]
    return Unread(unread=uow.run(work))


@router.post("/notifications/read-all", response_model=Unread)
def mark_all_read(uow: Uow, user: CurrentUser) -> Unread:
    uow.run(lambda s, _fx: svc.do_mark_all_read(s, user))
    return Unread(unread=0)


@router.get("/me/notification-preferences", response_model=preferences.Preferences)
def get_preferences(user: CurrentUser) -> preferences.Preferences:
    return preferences.preferences(user)


@router.put("/me/notification-preferences", response_model=preferences.Preferences)
def put_preferences(uow: Uow, user: CurrentUser, body: preferences.Preferences) -> preferences.Preferences:
    return uow.run(lambda s, _fx: preferences.do_set_preferences(s, user, body))


@router.get("/admin/notifications/stats", response_model=dict[str, int])
def delivery_stats(session: DbSession, user: CurrentUser) -> dict[str, int]:
    """Email deliveries by status (pending, sent, failed) for the admin panel."""
    check_role(user, Role.admin, Role.operator)
    return delivery.delivery_counts(session)


class OfferOut(BaseModel):
    id: int
    recipients: int


@router.post("/offers", status_code=201, response_model=OfferOut, responses=responses(409, 429))
def create_offer(uow: Uow, user: CurrentUser, body: offers.OfferInput) -> OfferOut:
    """Owners: an offer for one of their spaces; admins: for a city or everyone. Sent at once
    to the people who opted in to offers."""
    offer = uow.run(lambda s, fx: offers.do_create_offer(s, fx, user, body))
    return OfferOut(id=offer.id, recipients=offer.recipients)


_UNSUBSCRIBED = N_('<!doctype html><html lang="ru"><meta charset="utf-8">\n<title>Отписка — CoSpace</title><body style="font-family:sans-serif;max-width:560px;margin:64px auto">\n<h2>Вы отписались от специальных предложений</h2>\n<p>Письма о ваших бронях будут приходить как прежде. Снова подписаться можно в личном кабинете.</p>\n</body></html>')


@router.api_route("/unsubscribe/{token}", methods=["GET", "POST"], response_class=HTMLResponse,
                  include_in_schema=False)
def unsubscribe(uow: Uow, token: Annotated[str, Path(max_length=80)]) -> HTMLResponse:
    """One click from an offer email, no sign-in (GET from the link, POST from mail
    clients' List-Unsubscribe-Post)."""
    uow.run(lambda s, _fx: offers.do_unsubscribe(s, token))
    return HTMLResponse(tr(_UNSUBSCRIBED))
