"""Special offers: written by an owner (one of their spaces) or an admin (a city or the
whole network), sent only to people who opted in, with a one-click unsubscribe."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlmodel import Session

from coworking_app.services import catalog
from coworking_app.services.accounts import check_role
from coworking_app.services.fields import Id, Line, Moment, Text
from coworking_app.services.errors import InvalidInput, NotFound, PermissionDenied
from coworking_app.services.notifications import do_notify, preferences
from coworking_app.services.owner_spaces import access_space_for_owner
from coworking_app.settings import get_settings
from models import Offer, Role, Space, User


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
        raise NotFound("Ссылка недействительна")
    prefs = dict(user.notification_prefs or {})
    prefs["offers"] = False
    user.notification_prefs = prefs
    session.add(user)
    session.flush()
    return user


def _audience(session: Session, city_id: int | None) -> list[User]:
    """Active people who opted in to offers and, for a city's offer, chose that city
    (or no city) in their preferences."""
    users = session.scalars(select(User).where(User.is_active,
                                               User.notification_prefs["offers"].as_boolean()))
    out = []
    for user in users:
        prefs = preferences(user)
        chosen = (user.notification_prefs or {}).get("offers_city_id")
        if prefs.offers and (city_id is None or chosen in (None, city_id)):
            out.append(user)
    return out


def do_create_offer(session: Session, user: User | None, fields: OfferInput) -> Offer:
    """Stores the offer and writes its notices to the audience (email + in-app), in one
    transaction; the emails go out through the delivery jobs."""
    author = check_role(user, Role.owner, Role.admin)
    space: Space | None = None
    city_id = None
    if fields.space_id is not None:
        space = access_space_for_owner(session, author, fields.space_id)
        city_id = space.city_id
    elif not author.has_role(Role.admin):
        raise PermissionDenied("Владельцы пишут предложения для своих пространств: укажите space_id")
    if fields.city:
        if space is not None:
            raise InvalidInput("city", "укажите либо space_id, либо city")
        city_id = catalog.require_city(session, fields.city).id
    if fields.valid_until and fields.valid_until <= datetime.now(timezone.utc):
        raise InvalidInput("valid_until", "дата в прошлом")
    offer = Offer(author_id=author.id, title=fields.title, text=fields.text, promo_code=fields.promo_code,
                  city_id=city_id, space_id=space.id if space else None, valid_until=fields.valid_until)
    session.add(offer)
    session.flush()
    payload = {"title": fields.title, "text": fields.text, "promo": fields.promo_code or "",
               "space": space.name if space else "", "link": f"/spaces/{space.id}" if space else "/search",
               "until": fields.valid_until.strftime("%d.%m.%Y") if fields.valid_until else ""}
    audience = _audience(session, city_id)
    for person in audience:
        do_notify(session, person, "special_offer", {**payload, "unsubscribe": unsubscribe_url(person.id)},
                  dedupe=f"special_offer:{offer.id}")
    offer.recipients = len(audience)
    session.flush()
    return offer
