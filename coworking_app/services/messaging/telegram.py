"""Telegram: linking a chat to an account, the person behind a chat, and the bot's outbox.

Linking uses one-time codes (10 minutes, single use, only their keyed digest stored):
- made on the site for the person signed in (`do_create_site_link`): the deep link
  `https://t.me/<bot>?start=<code>` opens the bot, whose `/start <code>` links the chat
  (`do_link_chat`);
- made by the bot for a chat that is not linked (`do_create_chat_link`): the person opens
  `<site>/telegram?code=<code>`, signs in and confirms (`do_confirm_chat_link`), and the chat
  gets a "linked" notice. Confirming is a button, never the page load: a link someone else
  sent cannot attach their chat to your account unseen.
One chat belongs to one person: linking it to another account unlinks it from the first.

The outbox: notices on the telegram channel (notifications.do_notify writes them for people
with a linked chat, in the change's transaction) wait as `pending` rows. Only the bot
process sends them (coworking_app/bot/outbox.py): it claims a batch (`claim_outgoing`, a
lease in `retry_at` so two bot processes never take the same row), sends, and reports back
(`do_mark_sent`, `do_retry_later`, `do_forget_chat` when the person blocked the bot). Rows
stay until sent: nothing is lost while the bot is down.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.accounts import ratelimit
from coworking_app.services.accounts.security import digest
from coworking_app.services.common.errors import InvalidInput, NotAuthenticated
from coworking_app.services.common.text import clean_line
from coworking_app.services.messaging.notifications import do_notify
from coworking_app.settings import get_settings
from models import Channel, DeliveryStatus, Notification, TelegramLink, User
from coworking_app.i18n import tr

LINK_TTL = timedelta(minutes=10)
LINKS_PER_HOUR = 10  # codes one person (or one chat) may ask for in an hour
CODE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what Telegram carries in a /start parameter
MAX_TEXT = 4096  # Telegram's limit per message
MAX_ATTEMPTS = 8  # tries of one message before it is marked failed
LEASE = timedelta(seconds=180)  # a claimed row is not claimed again before this (a batch takes seconds)
RETRY_INTERVALS = (5, 30, 120, 600, 1800, 3600, 7200)  # seconds before each next try


@dataclass(frozen=True)
class LinkCode:
    code: str
    url: str
    expires_at: datetime


def bot_link(code: str) -> str:
    """The deep link that opens the bot with `/start <code>`."""
    return f"https://t.me/{get_settings().telegram_bot_username}?start={code}"


def site_link(code: str) -> str:
    """The site's page where a person confirms linking the chat that asked for `code`."""
    return f"{get_settings().base_url}/telegram?code={code}"


def _new_code() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 bits


def _now() -> datetime:
    return datetime.now(timezone.utc)


def do_create_site_link(session: Session, user: User | None) -> LinkCode:
    """A code for the person signed in: the bot's deep link links the chat that opens it."""
    if user is None:
        raise NotAuthenticated()
    ratelimit.do_take(f"telegram-link:user:{user.id}", LINKS_PER_HOUR, 3600,
                      tr("Слишком много кодов за час"))
    code, expires = _new_code(), _now() + LINK_TTL
    session.add(TelegramLink(code_digest=digest(code), user_id=user.id, expires_at=expires))
    session.flush()
    return LinkCode(code, bot_link(code), expires)


def do_create_chat_link(session: Session, chat_id: int, chat_name: str) -> LinkCode:
    """A code for a chat that is not linked: the site's page links it to whoever signs in
    and confirms."""
    check_private_chat(chat_id)
    ratelimit.do_take(f"telegram-link:chat:{chat_id}", LINKS_PER_HOUR, 3600,
                      tr("Слишком много ссылок за час"))
    code, expires = _new_code(), _now() + LINK_TTL
    session.add(TelegramLink(code_digest=digest(code), chat_id=chat_id, chat_name=_name(chat_name),
                             expires_at=expires))
    session.flush()
    return LinkCode(code, site_link(code), expires)


def _name(value: str | None) -> str:
    return clean_line(value or "", 100) or "Telegram"


def _usable(session: Session, code: str, *, side: str, lock: bool = True) -> TelegramLink:
    """The link row of a code still usable from this side ("user": made on the site, used
    by the bot; "chat": made by the bot, confirmed on the site); refusals name the field."""
    if not isinstance(code, str) or not CODE_RE.fullmatch(code):
        raise InvalidInput("code", tr("Код не подходит: получите новый"))
    query = select(TelegramLink).where(TelegramLink.code_digest == digest(code))
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None or (row.user_id if side == "user" else row.chat_id) is None:
        raise InvalidInput("code", tr("Такого кода нет: получите новый"))
    if row.used_at is not None:
        raise InvalidInput("code", tr("Этот код уже использован: получите новый"))
    if row.expires_at <= _now():
        raise InvalidInput("code", tr("Срок кода истёк (он действует 10 минут): получите новый"))
    return row


def check_private_chat(chat_id: int) -> None:
    """Only a person's own chat with the bot is linked: in a group every member would act
    as the account (Telegram gives groups negative ids)."""
    if not isinstance(chat_id, int) or chat_id <= 0:
        raise InvalidInput("chat", tr("Подключить можно только личный чат с ботом, не группу"))


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True)
class SiteLink:
    name: str
    email: str  # masked: a***@example.com


def access_site_link(session: Session, code: str) -> SiteLink:
    """Whose account a site-made code links to, for the bot to ask before linking (a link
    someone else sent would otherwise attach your chat to their account unseen)."""
    row = _usable(session, code, side="user", lock=False)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidInput("code", tr("Такого кода нет: получите новый"))
    return SiteLink(user.full_name, _masked(user.email))


def do_link_chat(session: Session, code: str, chat_id: int, chat_name: str) -> User:
    """The bot's `/start <code>`, once the person confirmed: links the chat to the person
    who made the code."""
    check_private_chat(chat_id)
    row = _usable(session, code, side="user")
    user = session.get(User, row.user_id, with_for_update=True)
    if user is None or not user.is_active:
        raise InvalidInput("code", tr("Такого кода нет: получите новый"))
    row.used_at, row.chat_id, row.chat_name = _now(), chat_id, _name(chat_name)
    _attach(session, user, chat_id, row.chat_name)
    return user


@dataclass(frozen=True)
class ChatLink:
    chat_name: str
    expires_at: datetime


def chat_link_open(session: Session, code: str) -> bool:
    """Whether a chat's code can still be confirmed on the site (the bot shows it again
    instead of making a new one)."""
    try:
        _usable(session, code, side="chat", lock=False)
    except InvalidInput:
        return False
    return True


def access_chat_link(session: Session, user: User | None, code: str) -> ChatLink:
    """What the site's confirmation page shows: whose chat asks to be linked."""
    if user is None:
        raise NotAuthenticated()
    row = _usable(session, code, side="chat", lock=False)
    return ChatLink(row.chat_name or "Telegram", row.expires_at)


def do_confirm_chat_link(session: Session, effects: Effects, user: User | None, code: str) -> ChatLink:
    """The person signed in on the site links the chat that made the code; the chat is told."""
    if user is None:
        raise NotAuthenticated()
    if user.is_staff:  # a chat an outsider made must never act with an operator's powers
        raise InvalidInput("code", tr("Сотрудники подключают Telegram только из личного кабинета: «Подключить Telegram», затем «Старт» в боте"))
    row = _usable(session, code, side="chat")
    row.used_at, row.user_id = _now(), user.id
    _attach(session, user, row.chat_id, row.chat_name or "Telegram")
    do_notify(session, effects, user, "telegram_linked", {"name": user.full_name, "link": "/cabinet"},
              dedupe=f"telegram_linked:{row.id}", channels=(Channel.telegram,))
    return ChatLink(row.chat_name or "Telegram", row.expires_at)


def _attach(session: Session, user: User, chat_id: int, chat_name: str) -> None:
    previous = session.scalars(select(User).where(User.telegram_chat_id == chat_id, User.id != user.id)
                               .with_for_update()).all()
    for other in previous:  # the chat moves to this person
        _detach(session, other)
    session.flush()
    if user.telegram_chat_id not in (None, chat_id):
        _cancel_pending(session, user.id)  # notices meant for the old chat
    user.telegram_chat_id, user.telegram_name, user.telegram_linked_at = chat_id, chat_name, _now()
    session.add(user)
    session.flush()


def _detach(session: Session, user: User) -> None:
    user.telegram_chat_id = user.telegram_name = user.telegram_linked_at = None
    session.add(user)
    _cancel_pending(session, user.id)


def _cancel_pending(session: Session, user_id: int) -> None:
    session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.channel == Channel.telegram.value,
        Notification.status == DeliveryStatus.pending.value,
    ).values(status=DeliveryStatus.cancelled.value, last_error=tr("чат отключён")))


def do_unlink(session: Session, user: User | None) -> None:
    """The cabinet's "Отключить Telegram" and `DELETE /me/telegram`."""
    if user is None:
        raise NotAuthenticated()
    _detach(session, user)
    session.flush()


@dataclass(frozen=True)
class LinkedChat:
    chat_id: int | None
    name: str | None
    linked_at: datetime | None
    bot_username: str


def linked_chat(user: User) -> LinkedChat:
    return LinkedChat(user.telegram_chat_id, user.telegram_name, user.telegram_linked_at,
                      get_settings().telegram_bot_username)


def user_of_chat(session: Session, chat_id: int) -> User | None:
    """The active person a chat is linked to (the bot acts as them), or None."""
    return session.scalars(select(User).where(User.telegram_chat_id == chat_id, User.is_active)).first()


# --- the outbox (sent by the bot process) -------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    id: int
    chat_id: int
    type: str
    text: str
    booking_id: int | None
    link: str  # the page of the site the notice is about (absolute URL)


def _text(title: str, body: str) -> str:
    text = f"{title}\n\n{body}" if body else title
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def claim_outgoing(session: Session, *, limit: int = 200, now: datetime | None = None) -> list[Outgoing]:
    """Up to `limit` Telegram rows due now, oldest first, leased to the caller for LEASE (a
    second bot process skips them: FOR UPDATE SKIP LOCKED), in one statement. Rows of people
    whose chat is gone meanwhile are cancelled."""
    now = now or _now()
    due = (select(Notification.id)
           .where(Notification.channel == Channel.telegram.value,
                  Notification.status == DeliveryStatus.pending.value,
                  (Notification.retry_at.is_(None)) | (Notification.retry_at <= now))
           .order_by(Notification.id).limit(max(1, min(limit, 500)))
           .with_for_update(skip_locked=True).subquery("due"))
    rows = session.execute(
        update(Notification).where(Notification.id == due.c.id, User.id == Notification.user_id)
        .values(retry_at=now + LEASE)
        .returning(Notification.id, User.telegram_chat_id, Notification.type, Notification.title,
                   Notification.body, Notification.booking_id, Notification.payload)
        .execution_options(synchronize_session=False)).all()
    base = get_settings().base_url
    claimed, gone = [], []
    for row_id, chat_id, kind, title, body, booking_id, payload in sorted(rows):
        if chat_id is None:
            gone.append(row_id)
            continue
        link = base + str((payload or {}).get("link") or "/cabinet")
        # The rendered text ends with the link (for email); the bot shows it as a button.
        claimed.append(Outgoing(row_id, chat_id, kind, _text(title, body.removesuffix(f"\n\n{link}")),
                                booking_id, link))
    if gone:
        session.execute(update(Notification).where(Notification.id.in_(gone)).values(
            status=DeliveryStatus.cancelled.value, last_error=tr("чат отключён"), retry_at=None))
    return claimed


def do_mark_sent(session: Session, notification_ids: list[int]) -> None:
    """Rows Telegram accepted (one statement for a batch)."""
    if not notification_ids:
        return
    session.execute(update(Notification).where(
        Notification.id.in_(notification_ids), Notification.status == DeliveryStatus.pending.value,
    ).values(status=DeliveryStatus.sent.value, sent_at=_now(), retry_at=None, last_error=None,
             attempts=Notification.attempts + 1))


def do_retry_later(session: Session, notification_id: int, error: str, delay_seconds: float = 0) -> str:
    """A try that failed for now: tried again after RETRY_INTERVALS (by the attempts so far)
    or `delay_seconds` (Telegram's retry_after) if longer, or marked failed after
    MAX_ATTEMPTS. Returns the row's status."""
    row = session.get(Notification, notification_id, with_for_update=True)
    if row is None or row.status != DeliveryStatus.pending.value:
        return "gone"
    row.attempts += 1
    row.last_error = error[:500]
    if row.attempts >= MAX_ATTEMPTS:
        row.status, row.retry_at = DeliveryStatus.failed.value, None
    else:
        backoff = RETRY_INTERVALS[min(row.attempts, len(RETRY_INTERVALS)) - 1]
        row.retry_at = _now() + timedelta(seconds=max(float(backoff), delay_seconds))
    session.flush()
    return row.status


def do_release(session: Session, notification_ids: list[int]) -> None:
    """Claimed rows the bot did not get to (it is stopping, or a chat's turn ran long): due
    again at once, for whichever process claims next."""
    if notification_ids:
        session.execute(update(Notification).where(
            Notification.id.in_(notification_ids), Notification.status == DeliveryStatus.pending.value,
        ).values(retry_at=None))


def do_mark_failed(session: Session, notification_id: int, error: str) -> None:
    """Telegram refused the message itself (a 400): trying again would not help."""
    session.execute(update(Notification).where(
        Notification.id == notification_id, Notification.status == DeliveryStatus.pending.value,
    ).values(status=DeliveryStatus.failed.value, last_error=error[:500], retry_at=None,
             attempts=Notification.attempts + 1))


def do_forget_chat(session: Session, chat_id: int) -> int:
    """The person blocked the bot (Telegram answered 403): the chat is unlinked and its
    waiting notices cancelled. Returns how many accounts it was linked to (0 or 1)."""
    users = session.scalars(select(User).where(User.telegram_chat_id == chat_id).with_for_update()).all()
    for user in users:
        _detach(session, user)
    session.flush()
    return len(users)
