"""Notifications: who learns what, on which channel, in which language.

`do_notify` writes the rows in the caller's transaction (a transactional outbox): an in-app
row, shown at once (a realtime publish after commit, realtime.py), and an email row whose
id goes onto the batched "emails" list after commit, sent many at a time by
jobs.notifications.deliver_batch (delivery.py; both effects, coworking_app/effects.py;
`do_notify_many` writes many notices at once). Each event's texts and preference group:
templates.py; the person's switches: preferences.py.
Booking changes add their notices from the state machine (`queue_booking_notice`); the unit
of work writes them as the last step of the same transaction (`write_booking_notices`), so
every transition that matters to a person produces its notice together with the change.
Reminders before a booking's start: reminders.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import DEFAULT_ZONE, format_money, format_stay
from coworking_app.services.common.errors import NotAuthenticated, NotFound
from coworking_app.services.messaging.delivery import queue_emails
from coworking_app.services.messaging.preferences import channel_on, preferences
from coworking_app.services.messaging.templates import EVENT_GROUP, render
from models import Booking, Channel, DeliveryStatus, Notification, Resource, Space, User
from coworking_app import i18n
from coworking_app.i18n import tr


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


# Every channel: in-app, email, and Telegram for a person with a linked chat.
ALL_CHANNELS = (Channel.in_app, Channel.email, Channel.telegram)


def do_notify(session: Session, effects: Effects, user: User, event: str, payload: dict, *, dedupe: str,
              booking_id: int | None = None,
              channels: tuple[Channel, ...] = ALL_CHANNELS) -> list[int]:
    """The rows for one event to one person, in the caller's transaction; returns the ids
    of the rows written. The same `dedupe` (e.g. "booking_paid:42") never produces a
    second row."""
    return do_notify_many(session, effects, [Notice(user, event, payload, dedupe, booking_id)],
                          channels=channels)


def do_notify_many(session: Session, effects: Effects, notices: list[Notice], *,
                   channels: tuple[Channel, ...] = ALL_CHANNELS) -> list[int]:
    """The rows of many notices in one statement (do_notify of each); returns the ids of the
    rows written. In-app rows are published to the person's open tabs after commit, email
    rows go to the batched "emails" list (jobs.notifications.deliver_batch), Telegram rows
    (only for a person with a linked chat) wait for the bot process (services/messaging/telegram.py)."""
    now = datetime.now(timezone.utc)
    values = []
    for notice in notices:
        user, event = notice.user, notice.event
        group = EVENT_GROUP.get(event, "account")
        prefs = preferences(user)
        if group == "offers" and not prefs.offers:  # marketing goes only to those who opted in
            continue
        wanted = [channel for channel in channels if channel_on(prefs, channel.value, group)
                  and (channel != Channel.telegram or getattr(user, "telegram_chat_id", None))]
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
            effects.count("notifications", "in_app", "sent")
            effects.publish(row["user_id"], {"type": row["type"], "title": row["title"],
                                             "body": row["body"].split("\n", 1)[0],
                                             "booking_id": row["booking_id"]})
        elif row["channel"] == Channel.email.value:
            emails.append(row_id)
    if emails:
        queue_emails(effects, *emails)
    return ids


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
    if renter_event:
        user = session.get(User, booking.user_id)
        with i18n.use(user.language):  # the stay and the money worded for whoever reads them
            payload = booking_payload(session, booking)
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
        with i18n.use(owner.language):
            payload = booking_payload(session, booking)
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
        raise NotFound(tr("Уведомление не найдено"))
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
    """Called for every booking history row (after reminders.schedule_reminders): its
    notices, which the unit of work writes as the transaction's last step
    (`write_booking_notices`), so they see its final state (a cancellation's refund, say)
    and vanish with it on rollback (those of NOTICE_BY_JOB: by a job after commit)."""
    if action in NOTICE_BY_JOB or (action not in BOOKING_EVENTS and action != "cancel"):
        return
    if action == "expire" and getattr(booking, "series_id", None):
        return  # a series' unpaid dates lapse together: its card says so, not a notice per date
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
