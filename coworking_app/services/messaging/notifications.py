"""Notifications: who learns what, on which channel, in which language.

`do_notify` writes the rows in the caller's transaction (a transactional outbox): an in-app
row, shown at once (a realtime publish after commit), and an email row whose id goes onto the
batched "emails" list after commit, sent many at a time by jobs.notifications.deliver_batch
(both effects, coworking_app/effects.py; `do_notify_many` writes many notices at once).
Booking changes add their notices from the state machine (`queue_booking_notice`); the unit
of work writes them as the last step of the same transaction (`write_booking_notices`), so
every transition that matters to a person produces its notice together with the change.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Integer, any_, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from coworking_app.services.messaging import mailer
from coworking_app.services.common.errors import InvalidInput, NotAuthenticated, NotFound
from coworking_app.effects import Effects
from coworking_app.formatting import DEFAULT_ZONE, format_money, format_stay
from coworking_app.services.common.fields import Id, Line
from coworking_app.settings import get_settings
from models import Booking, Channel, DeliveryStatus, Notification, Resource, Space, User

log = logging.getLogger(__name__)

GROUPS = {  # preference groups shown in the cabinet
    "booking": "Мои брони",
    "owner": "Брони гостей (для владельцев)",
    "reviews": "Отзывы",
    "messages": "Сообщения",
    "account": "Аккаунт и безопасность",
}
EVENT_GROUP = {
    "booking_created": "booking", "booking_paid": "booking", "booking_confirmed": "booking",
    "booking_rejected": "booking", "booking_changed": "booking", "booking_cancelled": "booking",
    "booking_hold_expired": "booking", "booking_reminder": "booking",
    "booking_review_request": "booking",
    "owner_new_booking": "owner", "owner_needs_approval": "owner",
    "owner_cancelled_by_renter": "owner",
    "space_approved": "owner", "space_rejected": "owner", "space_hidden": "owner",
    "special_offer": "offers",
    "review_approved": "reviews", "review_rejected": "reviews", "review_replied": "reviews",
    "owner_new_review": "reviews",
    "message_unread": "messages",
    "password_changed": "account", "new_sign_in": "account",
}

# (subject, text) per event and language; Jinja2 with the payload as variables.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "booking_created": {
        "ru": ("Бронь № {{ id }} ждёт оплаты",
               "{{ space }}: {{ resource }}, {{ when }}, мест: {{ seats }}.\n"
               "Итого {{ total }}. Оплатите до {{ expires }}, иначе бронь снимется."),
        "en": ("Booking #{{ id }} awaits payment",
               "{{ space }}: {{ resource }}, {{ when }}, seats: {{ seats }}.\n"
               "Total {{ total }}. Pay by {{ expires }} or the hold is released."),
    },
    "booking_paid": {
        "ru": ("Бронь № {{ id }} оплачена",
               "{{ space }}: {{ resource }}, {{ when }}, мест: {{ seats }}.\n"
               "Оплачено {{ total }}. Чек во вложении и в личном кабинете."),
        "en": ("Booking #{{ id }} is paid",
               "{{ space }}: {{ resource }}, {{ when }}, seats: {{ seats }}.\n"
               "Paid {{ total }}. The receipt is attached and in your account."),
    },
    "booking_confirmed": {
        "ru": ("Бронь № {{ id }} подтверждена", "{{ space }}: {{ resource }}, {{ when }}. Ждём вас!"),
        "en": ("Booking #{{ id }} is confirmed", "{{ space }}: {{ resource }}, {{ when }}. See you!"),
    },
    "booking_rejected": {
        "ru": ("Бронь № {{ id }} отклонена",
               "{{ space }} не может принять бронь на {{ when }}.{% if reason %} Причина: {{ reason }}.{% endif %}"
               " Деньги вернутся полностью: {{ refund }}."),
        "en": ("Booking #{{ id }} was declined",
               "{{ space }} cannot take the booking for {{ when }}.{% if reason %} Reason: {{ reason }}.{% endif %}"
               " Full refund: {{ refund }}."),
    },
    "booking_changed": {
        "ru": ("Бронь № {{ id }} изменена", "Теперь: {{ space }}, {{ resource }}, {{ when }}, мест: {{ seats }}."),
        "en": ("Booking #{{ id }} changed", "Now: {{ space }}, {{ resource }}, {{ when }}, seats: {{ seats }}."),
    },
    "booking_cancelled": {
        "ru": ("Бронь № {{ id }} отменена",
               "{{ space }}, {{ when }}.{% if reason %} Причина: {{ reason }}.{% endif %} Возврат: {{ refund }}."),
        "en": ("Booking #{{ id }} cancelled",
               "{{ space }}, {{ when }}.{% if reason %} Reason: {{ reason }}.{% endif %} Refund: {{ refund }}."),
    },
    "booking_hold_expired": {
        "ru": ("Бронь № {{ id }} снята", "Оплата не пришла вовремя: {{ space }}, {{ when }}. Места освобождены."),
        "en": ("Booking #{{ id }} released", "No payment in time: {{ space }}, {{ when }}. The seats are free again."),
    },
    "owner_new_booking": {
        "ru": ("Новая бронь № {{ id }}", "{{ renter }}: {{ resource }}, {{ when }}, мест: {{ seats }}, {{ total }}."),
        "en": ("New booking #{{ id }}", "{{ renter }}: {{ resource }}, {{ when }}, seats: {{ seats }}, {{ total }}."),
    },
    "owner_needs_approval": {
        "ru": ("Бронь № {{ id }} ждёт вашего решения",
               "{{ renter }} оплатил(а) {{ resource }}, {{ when }}. Примите или отклоните её в кабинете."),
        "en": ("Booking #{{ id }} needs your approval",
               "{{ renter }} paid for {{ resource }}, {{ when }}. Accept or decline it in your account."),
    },
    "booking_reminder": {
        "ru": ("Напоминание: бронь № {{ id }} {{ lead_ru }}",
               "{{ space }}: {{ resource }}, {{ when }}, мест: {{ seats }}.\nАдрес: {{ address }}."),
        "en": ("Reminder: booking #{{ id }} {{ lead_en }}",
               "{{ space }}: {{ resource }}, {{ when }}, seats: {{ seats }}.\nAddress: {{ address }}."),
    },
    "booking_review_request": {
        "ru": ("Как прошло в {{ space }}?",
               "Спасибо, что были у нас: {{ resource }}, {{ when }}. Оцените пространство — отзыв поможет другим."),
        "en": ("How was {{ space }}?",
               "Thanks for coming: {{ resource }}, {{ when }}. Rate the space: your review helps others."),
    },
    "password_changed": {
        "ru": ("Пароль CoSpace изменён",
               "Пароль вашего аккаунта только что изменён, остальные устройства вышли из аккаунта.\n"
               "Если это были не вы, сбросьте пароль по ссылке «Забыли пароль?» на странице входа."),
        "en": ("Your CoSpace password was changed",
               "Your password was just changed and other devices were signed out.\n"
               "If it was not you, reset it with \"Forgot password?\" on the sign-in page."),
    },
    "new_sign_in": {
        "ru": ("Вход с нового устройства",
               "В ваш аккаунт вошли с устройства: {{ device }} (IP {{ ip }}).\n"
               "Если это были не вы, смените пароль и завершите чужие сеансы в личном кабинете."),
        "en": ("New sign-in to CoSpace",
               "Someone signed in from: {{ device }} (IP {{ ip }}).\n"
               "If it was not you, change your password and sign out other devices in your account."),
    },
    "special_offer": {
        "ru": ("{{ title }}",
               "{{ text }}{% if promo %}\nПромокод: {{ promo }}{% endif %}"
               "{% if until %}\nДействует до {{ until }}.{% endif %}"
               "\n\nОтписаться от предложений: {{ unsubscribe }}"),
        "en": ("{{ title }}",
               "{{ text }}{% if promo %}\nPromo code: {{ promo }}{% endif %}"
               "{% if until %}\nValid until {{ until }}.{% endif %}"
               "\n\nUnsubscribe from offers: {{ unsubscribe }}"),
    },
    "review_approved": {
        "ru": ("Ваш отзыв о «{{ space }}» опубликован", "Спасибо! Отзыв прошёл модерацию и виден всем."),
        "en": ("Your review of {{ space }} is published", "Thank you! The review passed moderation."),
    },
    "review_rejected": {
        "ru": ("Отзыв о «{{ space }}» не опубликован",
               "Модератор отклонил отзыв. Причина: {{ reason }}.\nОтзыв можно исправить в течение 48 часов после написания."),
        "en": ("Your review of {{ space }} was not published",
               "A moderator declined it. Reason: {{ reason }}.\nYou can edit it within 48 hours of writing it."),
    },
    "review_replied": {
        "ru": ("Владелец «{{ space }}» ответил на ваш отзыв", "Ответ виден на странице пространства."),
        "en": ("{{ space }} replied to your review", "The reply is on the space page."),
    },
    "owner_new_review": {
        "ru": ("Новый отзыв о «{{ space }}»: {{ rating }} из 5",
               "Отзыв опубликован. Ответить можно на странице пространства."),
        "en": ("New review of {{ space }}: {{ rating }} of 5", "You can reply on the space page."),
    },
    "message_unread": {
        "ru": ("Непрочитанные сообщения: {{ space }}",
               "{{ sender }}: {{ preview }}{% if more %}\n…и ещё сообщений: {{ more }}{% endif %}"),
        "en": ("Unread messages: {{ space }}",
               "{{ sender }}: {{ preview }}{% if more %}\n…and {{ more }} more{% endif %}"),
    },
    "owner_cancelled_by_renter": {
        "ru": ("Бронь № {{ id }} отменена гостем", "{{ renter }}: {{ resource }}, {{ when }}."),
        "en": ("Booking #{{ id }} cancelled by the guest", "{{ renter }}: {{ resource }}, {{ when }}."),
    },
    "space_approved": {
        "ru": ("«{{ space }}» опубликовано", "Модератор проверил пространство{% if changes %} и ваши изменения{% endif %}. "
               "Оно видно в поиске."),
        "en": ("{{ space }} is published", "A moderator checked the space{% if changes %} and your changes{% endif %}. "
               "It is visible in search."),
    },
    "space_rejected": {
        "ru": ("«{{ space }}» не прошло модерацию", "Причина: {{ reason }}.\n"
               "Исправьте описание или фото в кабинете владельца и отправьте на проверку снова."),
        "en": ("{{ space }} did not pass moderation", "Reason: {{ reason }}.\n"
               "Fix the description or photos in your owner cabinet and submit it again."),
    },
    "space_hidden": {
        "ru": ("«{{ space }}» скрыто из поиска", "Причина: {{ reason }}.\n"
               "Исправьте пространство и отправьте на проверку снова."),
        "en": ("{{ space }} was hidden from search", "Reason: {{ reason }}.\n"
               "Fix the space and submit it for review again."),
    },
}

_text_env = Environment(undefined=StrictUndefined, autoescape=False)
_html_env = Environment(undefined=StrictUndefined, autoescape=select_autoescape(default=True))
_HTML_LAYOUT = _html_env.from_string(
    "<!doctype html><html><body style=\"font-family:sans-serif;color:#1c2024\">"
    "<h2 style=\"color:#0d9488\">{{ subject }}</h2>"
    "{% for line in lines %}<p>{{ line }}</p>{% endfor %}"
    "<p><a href=\"{{ link }}\">{{ link_label }}</a></p></body></html>")


@lru_cache(maxsize=256)
def _compiled(source: str):
    """Templates are compiled once per process (compiling costs more than rendering)."""
    return _text_env.from_string(source)


def render(event: str, language: str, payload: dict) -> tuple[str, str, str]:
    """(subject, text, html) of one event in the user's language (ru when unknown)."""
    subject_t, body_t = TEMPLATES[event].get(language) or TEMPLATES[event]["ru"]
    subject = _compiled(subject_t).render(**payload)
    text = _compiled(body_t).render(**payload)
    link = get_settings().base_url + payload.get("link", "/cabinet/bookings")
    html = _HTML_LAYOUT.render(subject=subject, lines=text.split("\n"), link=link,
                               link_label="Open CoSpace" if language == "en" else "Открыть CoSpace")
    return subject, text + f"\n\n{link}", html


# --- preferences -----------------------------------------------------------------------


class Preferences(BaseModel):
    """Per group and channel on/off; offers are opt-in. Stored in app_user.notification_prefs."""

    model_config = ConfigDict(extra="forbid")

    email: dict[Line(40), bool] = {}
    in_app: dict[Line(40), bool] = {}
    offers: bool = False
    offers_city_id: Id | None = None  # offers of one city only (none = every city)


def preferences(user: User) -> Preferences:
    stored = user.notification_prefs if isinstance(user.notification_prefs, dict) else {}
    city_id = stored.get("offers_city_id")
    return Preferences(
        email=_switches(stored.get("email")),
        in_app=_switches(stored.get("in_app")),
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
        raise InvalidInput("offers_city_id", "Такого города нет")
    clean = Preferences(email={g: prefs.email.get(g, True) for g in GROUPS},
                        in_app={g: prefs.in_app.get(g, True) for g in GROUPS}, offers=prefs.offers,
                        offers_city_id=prefs.offers_city_id)
    user.notification_prefs = clean.model_dump()
    session.add(user)
    session.flush()
    return clean


# --- writing -----------------------------------------------------------------------------


_NOTICE = Notification.__table__
_NOTICE_COLUMNS = ("user_id", "booking_id", "type", "channel", "title", "body", "html", "payload",
                   "dedupe_key", "attempts", "status", "sent_at")
# Every row of a call in one statement with one parameter, the rows as JSON: a short
# statement, prepared once per connection, whatever the number of rows. (A multi-row VALUES
# list is a new statement for psycopg to parse at every size, and array parameters are
# escaped element by element: each cost a third of the CPU of writing a batch of holds'
# notices, measured.)
_INSERT_NOTICES = text(
    f"INSERT INTO notification ({', '.join(_NOTICE_COLUMNS)}) SELECT {', '.join(_NOTICE_COLUMNS)} "
    "FROM json_to_recordset(CAST(:rows AS json)) AS r("
    + ", ".join(f"{c} {_NOTICE.c[c].type.compile(dialect=postgresql.dialect())}" for c in _NOTICE_COLUMNS)
    + ") ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key, id")


@dataclass(frozen=True, slots=True)
class Notice:
    """One event to one person: `user` is a User or anything with its id, language and
    notification_prefs (a row of a set-based query); the same `dedupe` (e.g.
    "booking_paid:42") never produces a second row."""

    user: Any
    event: str
    payload: dict
    dedupe: str
    booking_id: int | None = None


def do_notify(session: Session, effects: Effects, user: User, event: str, payload: dict, *, dedupe: str,
              booking_id: int | None = None,
              channels: tuple[Channel, ...] = (Channel.in_app, Channel.email)) -> list[int]:
    """The rows for one event to one person, in the caller's transaction; returns the ids
    of the rows written. The same `dedupe` (e.g. "booking_paid:42") never produces a
    second row."""
    return do_notify_many(session, effects, [Notice(user, event, payload, dedupe, booking_id)],
                          channels=channels)


def do_notify_many(session: Session, effects: Effects, notices: list[Notice], *,
                   channels: tuple[Channel, ...] = (Channel.in_app, Channel.email)) -> list[int]:
    """The rows of many notices in one statement (do_notify of each); returns the ids of the
    rows written. In-app rows are published to the person's open tabs after commit, email
    rows go to the batched "emails" list (jobs.notifications.deliver_batch)."""
    now = datetime.now(timezone.utc)
    values = []
    for notice in notices:
        user, event = notice.user, notice.event
        group = EVENT_GROUP.get(event, "account")
        prefs = preferences(user)
        if group == "offers" and not prefs.offers:  # marketing goes only to those who opted in
            continue
        wanted = [channel for channel in channels
                  if (prefs.in_app if channel == Channel.in_app else prefs.email).get(group, True)]
        if not wanted:
            continue
        subject, text, html = render(event, user.language, notice.payload)
        for channel in wanted:
            in_app = channel == Channel.in_app
            values.append({
                "user_id": user.id, "booking_id": notice.booking_id, "type": event, "channel": channel.value,
                "title": subject[:200], "body": text, "html": "" if in_app else html,
                "payload": notice.payload, "dedupe_key": f"{notice.dedupe}:{user.id}:{channel.value}",
                "attempts": 0,
                # In-app rows are delivered by being stored.
                "status": DeliveryStatus.sent.value if in_app else DeliveryStatus.pending.value,
                "sent_at": now if in_app else None,
            })
    if not values:
        return []
    # One statement for every row; a key already there (the same event again) is skipped.
    rows = json.dumps(values, ensure_ascii=False, default=datetime.isoformat)
    created = dict(session.connection().execute(_INSERT_NOTICES, {"rows": rows}).all())
    ids, emails = [], []
    for row in values:
        row_id = created.pop(row["dedupe_key"], None)
        if row_id is None:  # there already (or twice in this call)
            continue
        ids.append(row_id)
        if row["channel"] == Channel.in_app.value:  # the person's open tabs show it at once
            effects.publish(row["user_id"], {"type": row["type"], "title": row["title"],
                                             "body": row["body"].split("\n", 1)[0],
                                             "booking_id": row["booking_id"]})
        else:
            emails.append(row_id)
    if emails:
        queue_emails(effects, *emails)
    return ids


def queue_emails(effects: Effects, *notification_ids: int) -> None:
    """Email rows to send after commit: the batched "emails" list, sent many at a time by
    jobs.notifications.deliver_batch (do_deliver_emails)."""
    effects.queue_batched("emails", *notification_ids)


def booking_payload(session: Session, booking: Booking) -> dict:
    space = session.get(Space, booking.space_id)
    resource = session.get(Resource, booking.resource_id)
    renter = session.get(User, booking.user_id)
    return payload_of_booking(booking, space=space.name, address=space.address, resource=resource.name,
                              renter=renter.full_name if renter else "")


def payload_of_booking(booking, *, space: str, address: str, resource: str, renter: str) -> dict:
    """A booking notice's template variables: `booking` is a Booking or a row with its
    columns (id, timezone, start_at, end_at, seats, total_minor, currency, refunded_minor,
    expires_at, cancel_reason)."""
    zone = _zone(booking.timezone)
    start, end = booking.start_at.astimezone(zone), booking.end_at.astimezone(zone)
    when = format_stay(start, end)
    return {
        "id": booking.id, "space": space, "resource": resource, "when": when,
        "seats": booking.seats, "total": format_money(booking.total_minor, booking.currency),
        "refund": format_money(booking.refunded_minor, booking.currency),
        "expires": booking.expires_at.astimezone(zone).strftime("%H:%M") if booking.expires_at else "",
        "reason": booking.cancel_reason or "", "renter": renter,
        "address": address,
        "link": "/cabinet/bookings",
    }


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# action of the state machine -> (event for the renter, event for the owner)
BOOKING_EVENTS: dict[str, tuple[str | None, str | None]] = {
    "create": ("booking_created", None),
    "pay": ("booking_paid", "owner_new_booking"),
    "accept": ("booking_confirmed", None),
    "reject": ("booking_rejected", None),
    "modify": ("booking_changed", None),
    "expire": ("booking_hold_expired", None),
    "complete": ("booking_review_request", None),
}


def do_notify_booking(session: Session, effects: Effects, booking: Booking, action: str, *,
                      actor_role: str) -> None:
    """Notices for one booking change (called by the state machine, same transaction)."""
    renter_event, owner_event = BOOKING_EVENTS.get(action, (None, None))
    if action == "cancel":
        renter_event = "booking_cancelled"
        owner_event = "owner_cancelled_by_renter" if actor_role == "renter" else None
    if renter_event is None and owner_event is None:
        return
    payload = booking_payload(session, booking)
    if renter_event:
        user = session.get(User, booking.user_id)
        suffix = ""
        if renter_event == "booking_changed":  # a change can happen many times: count them
            suffix = ":" + str(session.scalar(select(func.count()).select_from(Notification)
                                              .where(Notification.booking_id == booking.id)) or 0)
        do_notify(session, effects, user, renter_event, payload, dedupe=f"{renter_event}:{booking.id}{suffix}",
                  booking_id=booking.id)
    space = session.get(Space, booking.space_id)
    if owner_event and space.owner_id:
        owner = session.get(User, space.owner_id)
        if owner_event == "owner_new_booking" and not space.instant_book:
            owner_event = "owner_needs_approval"
        do_notify(session, effects, owner, owner_event, {**payload, "link": "/owner/bookings"},
                  dedupe=f"{owner_event}:{booking.id}", booking_id=booking.id)


# --- reading -----------------------------------------------------------------------------


class NotificationOut(BaseModel):
    id: int
    type: str
    title: str
    body: str
    created_at: datetime
    read: bool
    # The zone the text's times are written in (the booking's space; Moscow otherwise):
    # show created_at in it too, so "Оплатите до 11:01" and the stamp agree.
    timezone: str = DEFAULT_ZONE


def list_notifications(session: Session, user: User | None, *, unread_only: bool = False,
                       limit: int = 50) -> tuple[list[NotificationOut], int]:
    """The person's in-app notices, newest first, and the unread count (the bell)."""
    if user is None:
        raise NotAuthenticated()
    base = select(Notification).where(Notification.user_id == user.id,
                                      Notification.channel == Channel.in_app.value)
    unread = session.scalar(select(func.count()).select_from(
        base.where(Notification.read_at.is_(None)).subquery())) or 0
    if unread_only:
        base = base.where(Notification.read_at.is_(None))
    rows = session.execute(base.add_columns(Booking.timezone)
                           .outerjoin(Booking, Booking.id == Notification.booking_id)
                           .order_by(Notification.id.desc()).limit(max(1, min(limit, 200))))
    return [NotificationOut(id=n.id, type=n.type, title=n.title, body=n.body,
                            created_at=n.created_at, read=n.read_at is not None,
                            timezone=zone or DEFAULT_ZONE) for n, zone in rows], unread


def do_mark_read(session: Session, user: User | None, notification_id: int) -> None:
    if user is None:
        raise NotAuthenticated()
    row = session.get(Notification, notification_id) if 0 < notification_id < 2**31 else None
    if row is None or row.user_id != user.id or row.channel != Channel.in_app.value:
        raise NotFound("Уведомление не найдено")
    row.read_at = row.read_at or datetime.now(timezone.utc)
    session.flush()


def do_mark_all_read(session: Session, user: User | None) -> int:
    if user is None:
        raise NotAuthenticated()
    result = session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.channel == Channel.in_app.value,
        Notification.read_at.is_(None)).values(read_at=datetime.now(timezone.utc)))
    return result.rowcount or 0


# --- from the state machine ----------------------------------------------------------------


# Actions whose notices a job writes after commit instead of the change's transaction. A new
# hold: bookings are made at a rate no other change has (the notice was a fifth of a
# booking's CPU, measured), and its notice ("pay by 14:30") matters only while the hold
# lasts. The holds' batched follow-up writes it, many holds at a time
# (services.booking.bookings.do_follow_up_holds).
NOTICE_BY_JOB = frozenset({"create"})


def queue_booking_notice(session: Session, effects: Effects, booking: Booking, action: str, *,
                         actor_role: str) -> None:
    """Called for every booking history row: its reminders, and its notices, which the unit
    of work writes as the transaction's last step (`write_booking_notices`), so they see its
    final state (a cancellation's refund, say) and vanish with it on rollback (those of
    NOTICE_BY_JOB: by a job after commit)."""
    _schedule_reminders(effects, booking, action)
    if action in NOTICE_BY_JOB or (action not in BOOKING_EVENTS and action != "cancel"):
        return
    # Keep the space and resource referenced until commit: the identity map holds rows only
    # weakly, and they are loaded now anyway (this saves two SELECTs per booking change).
    related = (session.get(Space, booking.space_id), session.get(Resource, booking.resource_id))
    effects.add_booking_notice(booking, action, actor_role=actor_role, keep=related)


def write_booking_notices(session: Session, effects: Effects) -> None:
    """The notices queue_booking_notice added: the unit of work's commit step, in the
    transaction (coworking_app/uow.py)."""
    pending = list(effects.booking_notices)
    effects.booking_notices.clear()
    for notice in pending:
        do_notify_booking(session, effects, notice.booking, notice.action, actor_role=notice.actor_role)


# --- delivery ------------------------------------------------------------------------------

MAX_EMAIL_ATTEMPTS = 6  # the first try and 5 retries
# Seconds before each retry of an email that failed for now: its own job
# (jobs.notifications.deliver), scheduled after the first, then RQ's retries of that job.
EMAIL_RETRY_INTERVALS = (10, 60, 300, 1800, 7200)


def do_deliver_email(session: Session, notification_id: int) -> str:
    """Sends one email row (a retry, jobs.notifications.deliver): "sent", "failed",
    "skipped: ..." or "retry: <error>" (the job raises then, after this transaction has
    recorded the attempt). The row is locked while sending, and a row already sent is
    skipped: a job run twice sends one email."""
    row = session.get(Notification, notification_id, with_for_update=True)
    if row is None or row.channel != Channel.email.value:
        return "skipped: no such email"
    if row.status != DeliveryStatus.pending.value:
        return f"skipped: already {row.status}"
    user = session.get(User, row.user_id)
    outcome, error = _send(_mail(session, row, user.email))
    row.attempts += 1
    if outcome == "sent":
        row.status, row.sent_at, row.last_error = DeliveryStatus.sent.value, datetime.now(timezone.utc), None
        return "sent"
    row.last_error = error[:500]
    if outcome == "failed" or row.attempts >= MAX_EMAIL_ATTEMPTS:
        row.status = DeliveryStatus.failed.value
        return "failed"
    return f"retry: {error}"


_N = Notification.__table__.c
_PENDING_EMAILS = (
    select(_N.id, _N.type, _N.title, _N.body, _N.html, _N.payload, _N.booking_id, _N.attempts, User.email)
    .join(User, User.id == _N.user_id)
    .where(_N.id == any_(bindparam("ids", type_=ARRAY(Integer))), _N.channel == Channel.email.value,
           _N.status == DeliveryStatus.pending.value)
    .order_by(_N.id)
    .with_for_update(of=Notification, skip_locked=True))


def do_deliver_emails(session: Session, effects: Effects, notification_ids: list[int]) -> dict[str, int]:
    """Sends a batch of email rows (the "emails" list, jobs.notifications.deliver_batch):
    those still pending, locked while sending (a row another job holds is skipped: that job
    sends it), and records the outcomes in two statements. A row already sent is skipped, so
    a batch run twice sends nothing twice. An email that fails for now is retried on its
    own: its attempt is recorded and its own job scheduled (jobs.notifications.deliver,
    EMAIL_RETRY_INTERVALS). Returns how many were sent, retried and failed."""
    rows = session.execute(_PENDING_EMAILS, {"ids": list(notification_ids)}).all()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    sent = []
    for row in rows:
        try:
            outcome, error = _send(_mail(session, row, row.email))
        except DBAPIError:
            raise
        except Exception as exc:  # noqa: BLE001  (a broken row must not take its batch with it)
            log.exception("email %s could not be built", row.id)
            outcome, error = "failed", f"{type(exc).__name__}: {exc}"
        counts[outcome] += 1
        if outcome == "sent":
            sent.append(row.id)
            continue
        retry = outcome == "retry" and row.attempts + 1 < MAX_EMAIL_ATTEMPTS
        session.execute(update(Notification).where(Notification.id == row.id).values(
            attempts=Notification.attempts + 1, last_error=error[:500],
            status=DeliveryStatus.pending.value if retry else DeliveryStatus.failed.value)
            .execution_options(synchronize_session=False))
        if retry:
            effects.queue_job("jobs.notifications.deliver", row.id, job_id=f"notification-{row.id}",
                              at=datetime.now(timezone.utc) + timedelta(seconds=EMAIL_RETRY_INTERVALS[0]),
                              retry_intervals=EMAIL_RETRY_INTERVALS[1:])
    if sent:
        session.execute(update(Notification).where(Notification.id == any_(bindparam("sent", type_=ARRAY(Integer))))
                        .values(status=DeliveryStatus.sent.value, sent_at=datetime.now(timezone.utc),
                                attempts=Notification.attempts + 1, last_error=None)
                        .execution_options(synchronize_session=False), {"sent": sent})
    return counts


def do_requeue_lost_emails(session: Session, effects: Effects, *, now: datetime | None = None,
                           limit: int = 1000) -> int:
    """Email rows never tried, written between a day and two minutes ago: their id was lost
    on the way (Redis lost the "emails" list, a batch failed); queued again. (A row waiting
    behind a long queue may be queued twice: the second try finds it sent.)"""
    now = now or datetime.now(timezone.utc)
    ids = list(session.scalars(
        select(Notification.id).where(Notification.status == DeliveryStatus.pending.value,
                                      Notification.channel == Channel.email.value,
                                      Notification.attempts == 0,
                                      Notification.created_at < now - timedelta(minutes=2),
                                      Notification.created_at > now - timedelta(days=1))
        .order_by(Notification.created_at).limit(limit)))
    if ids:
        queue_emails(effects, *ids)
    return len(ids)


def _mail(session: Session, row, to: str):
    """The mail of an email row (a Notification or a row with its columns)."""
    # documents -> bookings -> notifications at module level: the receipt is imported here
    from coworking_app.services.payments.documents import do_issue_receipt

    attachments = []
    if row.type == "booking_paid" and row.booking_id:
        receipt = do_issue_receipt(session, row.booking_id)
        if receipt is not None:
            attachments.append(mailer.Attachment(f"receipt-R-{receipt.number:06d}.pdf", receipt.pdf))
    headers = {}
    if row.type == "special_offer" and row.payload.get("unsubscribe"):
        headers = {"List-Unsubscribe": f"<{row.payload['unsubscribe']}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return mailer.Mail(to=to, subject=row.title, text=row.body, html=row.html,
                       attachments=attachments, headers=headers)


def _send(mail) -> tuple[str, str]:
    """("sent", ""), ("retry", error) for a failure for now, ("failed", error) for good."""
    try:
        mailer.send(mail)
    except mailer.TransientMailError as exc:
        return "retry", str(exc)
    except mailer.MailError as exc:
        return "failed", str(exc)
    return "sent", ""


def delivery_counts(session: Session) -> dict[str, int]:
    """Email rows by status (for the admins' panel)."""
    rows = session.execute(select(Notification.status, func.count()).where(
        Notification.channel == Channel.email.value).group_by(Notification.status))
    return {status: count for status, count in rows}


# --- real time -------------------------------------------------------------------------------


def channel_name(user_id: int) -> str:
    """The Redis pub/sub channel a signed-in browser tab listens on (state/notifications.py).
    Pub/sub ignores Redis database numbers, so the channel carries the database name: two
    deployments (or the test and e2e databases) sharing one Redis never hear each other."""
    database = get_settings().database_url.rsplit("/", 1)[-1].split("?", 1)[0]
    return f"notify:{database}:{user_id}"


# --- reminders -------------------------------------------------------------------------------

REMINDERS = {"24h": 24 * 3600, "1h": 3600}  # before the start


def _reminder_ids(booking: Booking) -> list[str]:
    return [f"reminder-{booking.id}-{lead}" for lead in REMINDERS]


def _schedule_reminders(effects: Effects, booking: Booking, action: str) -> None:
    """Confirmed bookings get reminders 24 h and 1 h before the start (only those still
    ahead: a booking made 30 minutes before its start gets neither); a cancelled, rejected
    or no-show booking loses them; a changed one gets them again for its new start."""
    from datetime import timedelta

    if action in ("cancel", "reject", "no_show", "expire") or (action == "modify" and booking.status != "confirmed"):
        effects.cancel_jobs(*_reminder_ids(booking))
        return
    confirmed = action in ("confirm", "accept") or (action == "modify" and booking.status == "confirmed")
    if not confirmed:
        return
    now = datetime.now(timezone.utc)
    for lead, seconds in REMINDERS.items():
        at = booking.start_at - timedelta(seconds=seconds)
        job_id = f"reminder-{booking.id}-{lead}"
        if at > now:
            effects.queue_job("jobs.notifications.remind", booking.id, lead,
                              booking.start_at.isoformat(), at=at, job_id=job_id)
        else:
            effects.cancel_jobs(job_id)


def do_send_reminder(session: Session, effects: Effects, booking_id: int, lead: str, start_iso: str) -> str:
    """The reminder job: only for a booking still confirmed and still starting then."""
    booking = session.get(Booking, booking_id)
    if booking is None or lead not in REMINDERS:
        return "skipped: no such booking"
    if booking.status != "confirmed" or booking.start_at.isoformat() != start_iso:
        return f"skipped: booking is {booking.status}"
    payload = {**booking_payload(session, booking),
               "lead_ru": "через 24 часа" if lead == "24h" else "через час",
               "lead_en": "in 24 hours" if lead == "24h" else "in an hour"}
    user = session.get(User, booking.user_id)
    rows = do_notify(session, effects, user, "booking_reminder", payload,
                     dedupe=f"booking_reminder_{lead}:{booking.id}:{start_iso}", booking_id=booking.id)
    return f"sent {len(rows)}"
