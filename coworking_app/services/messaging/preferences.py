"""Notification preferences: per group and channel on/off, and the opt-in for special offers,
stored in app_user.notification_prefs (the groups: templates.GROUPS)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from coworking_app.services.common.errors import InvalidInput, NotAuthenticated
from coworking_app.services.common.fields import Id, Line
from coworking_app.services.messaging.templates import GROUPS
from models import User
from coworking_app.i18n import tr


class Preferences(BaseModel):
    """Per group and channel on/off; offers are opt-in. Stored in app_user.notification_prefs."""

    model_config = ConfigDict(extra="forbid")

    email: dict[Line(40), bool] = {}
    in_app: dict[Line(40), bool] = {}
    telegram: dict[Line(40), bool] = {}  # sent only while a chat is linked (services/messaging/telegram.py)
    offers: bool = False
    offers_city_id: Id | None = None  # offers of one city only (none = every city)


def preferences(user: User) -> Preferences:
    stored = user.notification_prefs if isinstance(user.notification_prefs, dict) else {}
    city_id = stored.get("offers_city_id")
    return Preferences(
        email=_switches(stored.get("email")),
        in_app=_switches(stored.get("in_app")),
        telegram=_switches(stored.get("telegram")),
        offers=bool(stored.get("offers", False)),
        offers_city_id=city_id if isinstance(city_id, int) and 0 < city_id < 2**31 else None,
    )


def _switches(stored: object) -> dict[str, bool]:
    """Per group on/off from whatever the column holds (a dict per group; a single switch
    that older profile edits wrote; anything else counts as the defaults)."""
    if isinstance(stored, bool):
        return dict.fromkeys(GROUPS, stored)
    chosen = stored if isinstance(stored, dict) else {}
    return {g: bool(chosen.get(g, True)) for g in GROUPS}


def do_set_preferences(session: Session, user: User | None, prefs: Preferences) -> Preferences:
    if user is None:
        raise NotAuthenticated()
    if prefs.offers_city_id is not None and not 0 < prefs.offers_city_id < 2**31:
        raise InvalidInput("offers_city_id", tr("Такого города нет"))
    clean = Preferences(email={g: prefs.email.get(g, True) for g in GROUPS},
                        in_app={g: prefs.in_app.get(g, True) for g in GROUPS},
                        telegram={g: prefs.telegram.get(g, True) for g in GROUPS}, offers=prefs.offers,
                        offers_city_id=prefs.offers_city_id)
    user.notification_prefs = clean.model_dump()
    session.add(user)
    session.flush()
    return clean


def channel_on(prefs: Preferences, channel: str, group: str) -> bool:
    """Whether the person wants notices of this group on this channel (on unless switched off)."""
    switches = {"in_app": prefs.in_app, "email": prefs.email, "telegram": prefs.telegram}.get(channel, {})
    return switches.get(group, True)
