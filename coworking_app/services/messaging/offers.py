"""Special offers, sent only to people who opted in, with a one-click unsubscribe.

- An owner writes about one of their *published* spaces, and it goes only to that space's
  own past guests (people with a completed stay there): no broadcast to strangers, so no
  moderation queue is needed. At most one offer per space a week (OWNER_OFFER_INTERVAL),
  counted in the `offer` table, so the limit survives restarts; the space row is locked
  while it is checked, so two sends at once cannot both pass.
- An admin writes for a city or the whole network (operators' own channel).
docs/notifications.md, "Special offers"."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import format_moment
from coworking_app.services.catalog import catalog
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from coworking_app.services.common.fields import Id, Line, Moment, Text
from coworking_app.services.messaging.notifications import do_notify
from coworking_app.services.messaging.preferences import preferences
from coworking_app.services.catalog.owner_spaces import access_space_for_owner
from coworking_app.services.catalog.spaces import is_bookable
from coworking_app.settings import get_settings
from models import Booking, BookingStatus, Offer, Role, Space, User
from coworking_app.i18n import tr


class OfferInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Line(120, min_length=3)
    text: Text(2000, min_length=10)
    promo_code: Line(32) | None = None
    city: Line(100) | None = None  # admins: a city slug/name, or none = all
    space_id: Id | None = None  # owners: one of their spaces
    valid_until: Moment | None = None


def unsubscribe_token(user_id: int) -> str:
    key = get_settings().secret_key.encode()
    digest = hmac.new(key, f"unsubscribe-offers:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{user_id}-{digest}"


def unsubscribe_url(user_id: int) -> str:
    return f"{get_settings().base_url}/api/v1/unsubscribe/{unsubscribe_token(user_id)}"


def do_unsubscribe(session: Session, token: str) -> User:
    """One click from a mail, no sign-in: the HMAC token names the person."""
    user_part, _, _digest = token.partition("-")
    ok = user_part.isascii() and user_part.isdigit() and 0 < len(user_part) < 10
    user = session.get(User, int(user_part)) if ok and int(user_part) < 2**31 else None
    if user is None or not hmac.compare_digest(token.encode(), unsubscribe_token(user.id).encode()):
        raise NotFound(tr("Ссылка недействительна"))
    prefs = dict(user.notification_prefs or {})
    prefs["offers"] = False
    user.notification_prefs = prefs
    session.add(user)
    session.flush()
    return user


OWNER_OFFER_INTERVAL = timedelta(days=7)  # one offer per space a week


def _audience(session: Session, city_id: int | None, *, guests_of: int | None = None) -> list[User]:
    """Active people who opted in to offers and, for a city's offer, chose that city
    (or no city) in their preferences; for a space's offer (`guests_of`), only those who
    stayed there (a completed booking)."""
    query = select(User).where(User.is_active, User.notification_prefs["offers"].as_boolean())
    if guests_of is not None:
        query = query.where(select(Booking.id).where(
            Booking.user_id == User.id, Booking.space_id == guests_of,
            Booking.status == BookingStatus.completed.value).exists())
    out = []
    for user in session.scalars(query):
        prefs = preferences(user)
        chosen = (user.notification_prefs or {}).get("offers_city_id")
        if prefs.offers and (guests_of is not None or city_id is None or chosen in (None, city_id)):
            out.append(user)
    return out


def _next_offer_at(session: Session, space_id: int) -> datetime | None:
    """When the space may send its next offer (None: now)."""
    last = session.scalar(select(func.max(Offer.created_at)).where(Offer.space_id == space_id))
    return last + OWNER_OFFER_INTERVAL if last is not None else None


def access_space_for_offer(session: Session, user: User | None, space_id: int) -> Space:
    """One of the caller's published spaces, locked: offers are sent about those only."""
    space = access_space_for_owner(session, user, space_id, for_update=True)
    if not is_bookable(space):
        raise Conflict("space_id", tr("Предложения рассылают только по опубликованным пространствам"))
    return space


@dataclass
class OfferReach:
    """What the owner's form shows before sending: who would get it, and when it may go."""

    recipients: int
    next_at: datetime | None  # None: an offer may go now


def offer_reach(session: Session, user: User | None, space_id: int, *, now: datetime | None = None) -> OfferReach:
    space = access_space_for_offer(session, user, space_id)
    now = now or datetime.now(timezone.utc)
    next_at = _next_offer_at(session, space.id)
    return OfferReach(recipients=len(_audience(session, None, guests_of=space.id)),
                      next_at=next_at if next_at is not None and next_at > now else None)


def do_create_offer(session: Session, effects: Effects, user: User | None, fields: OfferInput) -> Offer:
    """Stores the offer and writes its notices to the audience (email + in-app), in one
    transaction; the emails go out through the delivery jobs."""
    author = check_role(user, Role.owner, Role.admin)
    now = datetime.now(timezone.utc)
    space: Space | None = None
    city_id = None
    if fields.space_id is not None:
        if fields.city:
            raise InvalidInput("city", tr("Предложение пространства уходит его гостям: город не указывают"))
        space = access_space_for_offer(session, author, fields.space_id)
        next_at = _next_offer_at(session, space.id)
        if next_at is not None and next_at > now:
            raise RateLimited(int((next_at - now).total_seconds()) + 1,
                              tr("По этому пространству уже было предложение на этой неделе: следующее можно отправить с {format_moment}", format_moment=format_moment(next_at, ZoneInfo(space.timezone))))
    elif not author.has_role(Role.admin):
        raise PermissionDenied(tr("Владельцы пишут предложения для своих пространств: выберите пространство"))
    if fields.city:
        city_id = catalog.require_city(session, fields.city).id
    if fields.valid_until and fields.valid_until <= now:
        raise InvalidInput("valid_until", tr("Дата окончания уже прошла"))
    offer = Offer(author_id=author.id, title=fields.title, text=fields.text, promo_code=fields.promo_code,
                  city_id=city_id, space_id=space.id if space else None, valid_until=fields.valid_until)
    session.add(offer)
    session.flush()
    payload = {"title": fields.title, "text": fields.text, "promo": fields.promo_code or "",
               "space": space.name if space else "", "link": f"/spaces/{space.id}" if space else "/search",
               "until": fields.valid_until.strftime("%d.%m.%Y") if fields.valid_until else ""}
    audience = _audience(session, city_id, guests_of=space.id if space else None)
    for person in audience:
        do_notify(session, effects, person, "special_offer", {**payload, "unsubscribe": unsubscribe_url(person.id)},
                  dedupe=f"special_offer:{offer.id}")
    offer.recipients = len(audience)
    session.flush()
    return offer
