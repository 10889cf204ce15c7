"""The bell: unread count and notices of the signed-in person, updated in real time.

Every page load counts the unread notices and, once per browser tab, starts a background
task that listens on the person's Redis channel (`services.messaging.realtime.channel_name`).
A notice committed by any process (web, API, RQ worker) is published there, so the tab
shows a toast and the new count at once. The task ends when the tab goes away or the
person signs out.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import reflex as rx
import redis.asyncio as aioredis

from coworking_app.formatting import format_moment, split_links
from coworking_app.services.messaging import messages
from coworking_app.services.messaging import notifications as svc, preferences, realtime, telegram, templates
from coworking_app.settings import get_settings
from state.bookings import MyBookingsState, OwnerBookingsState
from state.inbox import InboxBadgeState, InboxState
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import tr


@dataclass
class TextPart:
    text: str = ""
    href: str = ""  # a local path: the part is a link to our own page


@dataclass
class NoticeView:
    id: int = 0
    title: str = ""
    parts: list[TextPart] = field(default_factory=list)  # the text, its own links clickable
    when: str = ""
    read: bool = False


# Notices of the person's own action in this tab: counted by the bell, no toast (the page
# they are sent to says it; "ждёт оплаты" would still show after they paid).
NO_TOAST = frozenset({"booking_created"})


def notice_view(n: svc.NotificationOut, base_url: str) -> NoticeView:
    return NoticeView(n.id, n.title, [TextPart(text, href) for text, href in split_links(n.body, base_url)],
                      format_moment(n.created_at, n.timezone), n.read)


LISTENER_STALE_SECONDS = 30  # a listener loops at least every 10 s (its get_message timeout)
BELL_LIMIT = 6  # notices in the bell's dropdown; "Показать все" opens the page with 50


class NotificationState(PageState):
    unread: int = 0
    items: list[NoticeView] = []  # /cabinet/notifications
    latest: list[NoticeView] = []  # the bell's dropdown
    bell_loaded: bool = False
    last_delay_ms: int = -1  # commit of the last notice -> this tab's listener (measured)
    _user_id: int = 0
    # The websocket (sid) whose tab the running listener serves, and when it last looped. A
    # reconnect (maybe to another instance, the old one dead) brings a new sid: the new page
    # load starts a listener there, and the old one, if alive, sees it is no longer the tab's.
    _listener_sid: str = ""
    _listener_beat: float = 0.0

    async def _load(self, *, with_items: bool = False, latest: bool = False) -> None:
        """The bell's and the inbox badge's counts, with the page's list or the dropdown's
        latest notices: nothing for a stranger."""
        limit = 50 if with_items else BELL_LIMIT if latest else 1

        def work(session, _effects, user):
            if user is None:
                return None
            items, unread = svc.list_notifications(session, user, limit=limit)
            return user.id, items, unread, messages.unread_total(session, user)
        done = await self._visit(work)
        if not done.ok or done.value is None:
            self.unread, self.items, self.latest, self._user_id = 0, [], [], 0
            (await self.get_state(InboxBadgeState)).messages_unread = 0
            return
        self._user_id, items, self.unread, messages_unread = done.value
        (await self.get_state(InboxBadgeState)).messages_unread = messages_unread
        base_url = get_settings().base_url
        if with_items:
            self.items = [notice_view(n, base_url) for n in items]
        if latest or with_items:
            self.latest = [notice_view(n, base_url) for n in items[:BELL_LIMIT]]
            self.bell_loaded = True

    @rx.event
    async def start(self):
        """on_load of every page: the count for the bell, and the listener for this tab."""
        await self._load(with_items=False)
        if self._user_id and not self._listener_alive():
            return NotificationState.listen
        return None

    def _listener_alive(self) -> bool:
        """A listener serves this tab's current websocket and looped recently."""
        return (self._listener_sid == self.router.session.session_id
                and time.time() - self._listener_beat < LISTENER_STALE_SECONDS)

    @rx.event
    async def load_page(self):
        await self._load(with_items=True)

    @rx.event
    async def bell_opened(self, value: bool):
        """The bell's dropdown opened: its latest notices, read afresh."""
        if value is True:
            await self._load(latest=True)

    @rx.event
    async def mark_read(self, notification_id: int):
        notification_id = parse_id(notification_id)
        if notification_id is None:
            return
        if (await self._act(lambda s, _fx, u: svc.do_mark_read(s, u, notification_id))).ok:
            await self._load(with_items=bool(self.items), latest=True)

    @rx.event
    async def mark_all_read(self):
        if (await self._act(lambda s, _fx, u: svc.do_mark_all_read(s, u))).ok:
            await self._load(with_items=bool(self.items), latest=True)

    @rx.event(background=True)
    async def listen(self):
        async with self:
            if self._listener_alive() or not self._user_id:
                return
            sid = self.router.session.session_id
            self._listener_sid, self._listener_beat, user_id = sid, time.time(), self._user_id
        client = aioredis.from_url(get_settings().cache_redis_url)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(realtime.channel_name(user_id))
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
                async with self:
                    signed_in_as, still_mine = self._user_id, self._listener_sid == sid
                    if still_mine:
                        self._listener_beat = time.time()
                if signed_in_as != user_id or not still_mine or not self._tab_connected():
                    break
                if message is None:
                    continue
                try:
                    notice = json.loads(message["data"])
                    kind = str(notice.get("type", ""))
                except (TypeError, ValueError, AttributeError):
                    continue
                if kind.startswith("message_"):
                    async for event in self._on_message(notice, kind):
                        yield event
                    continue
                async with self:
                    self.unread += 1  # recounted from the database on every page load
                    self.bell_loaded = False  # the dropdown reads its list again when opened
                    committed = notice.get("committed_at")
                    if isinstance(committed, (int, float)):
                        self.last_delay_ms = max(0, round((time.time() - committed) * 1000))
                if kind not in NO_TOAST:
                    # One toast per booking: a later notice replaces the earlier one.
                    booking_id = notice.get("booking_id")
                    same = {"id": f"booking-{booking_id}"} if isinstance(booking_id, int) else {}
                    yield rx.toast.info(str(notice.get("title", ""))[:200],
                                        description=str(notice.get("body", ""))[:300], duration=6000,
                                        **same)
                # An open bookings page shows the new status too.
                if kind.startswith("booking_"):
                    yield MyBookingsState.refresh
                elif kind.startswith("owner_"):
                    yield OwnerBookingsState.refresh
        except (OSError, aioredis.RedisError, asyncio.CancelledError):
            pass
        finally:
            await pubsub.aclose()
            await client.aclose()
            async with self:
                if self._listener_sid == sid:
                    self._listener_sid = ""

    async def _on_message(self, notice: dict, kind: str):
        """A message in one of the person's conversations: the inbox badge, a toast unless
        that conversation is open in this tab, and the open inbox or conversation updated."""
        conversation_id = notice.get("conversation_id")
        async with self:
            inbox = await self.get_state(InboxState)
            open_here = bool(inbox.conversation_id) and inbox.conversation_id == conversation_id
            if kind == "message_new" and not open_here:
                (await self.get_state(InboxBadgeState)).messages_unread += 1
            committed = notice.get("committed_at")
            if isinstance(committed, (int, float)):
                self.last_delay_ms = max(0, round((time.time() - committed) * 1000))
        if kind == "message_new" and not open_here:
            yield rx.toast.info(str(notice.get("title", ""))[:200],
                                description=str(notice.get("body", ""))[:300], duration=6000)
        if isinstance(conversation_id, int):
            yield InboxState.on_message(conversation_id)

    def _tab_connected(self) -> bool:
        """False once the browser tab that started the listener has gone."""
        token = self.router.session.client_token
        namespace = _event_namespace()
        return namespace is None or token in namespace.token_to_sid


_served_by: list[rx.App] = []  # the app, handed over by coworking_app/coworking_app.py


def serve_from(app: rx.App) -> None:
    """The app module hands its App over once it exists: the listener asks it whether a tab
    is still connected. (Importing the app from here would be a loop: the app imports the
    pages, the pages import the states.)"""
    _served_by[:] = [app]


def _event_namespace():
    return _served_by[0].event_namespace if _served_by else None


@dataclass
class PreferenceRow:
    group: str = ""
    label: str = ""
    email: bool = True
    in_app: bool = True
    telegram: bool = True


CHANNELS = ("email", "in_app", "telegram")


class NotificationPrefsState(PageState):
    """The cabinet's "Notifications" card: per group and channel, and offers (opt-in). The
    Telegram column works while a chat is linked (state/telegram.py keeps `telegram_linked`
    up to date when the person links or unlinks one)."""

    rows: list[PreferenceRow] = []
    offers: bool = False
    telegram_linked: bool = False
    message: str = ""
    _offers_city_id: int | None = None  # set through the API; kept when the cabinet saves

    @rx.event
    async def load(self):
        done = await self._act(lambda _s, _fx, u: (preferences.preferences(u), telegram.linked_chat(u)))
        if not done.ok:
            return
        prefs, chat = done.value
        self.rows = [PreferenceRow(g, label, prefs.email[g], prefs.in_app[g], prefs.telegram[g])
                     for g, label in templates.GROUPS.items()]
        self.offers, self.message, self._offers_city_id = prefs.offers, "", prefs.offers_city_id
        self.telegram_linked = chat.chat_id is not None

    @rx.event
    async def toggle(self, group: str, channel: str, value: bool):
        if channel not in CHANNELS or group not in templates.GROUPS:
            return
        self.rows = [PreferenceRow(r.group, r.label, *[
            (value is True) if (r.group == group and channel == c) else getattr(r, c) for c in CHANNELS])
            for r in self.rows]
        await self._save()

    @rx.event
    async def set_offers(self, value: bool):
        self.offers = value is True
        await self._save()

    async def _save(self) -> None:
        prefs = preferences.Preferences(email={r.group: r.email for r in self.rows},
                                        in_app={r.group: r.in_app for r in self.rows},
                                        telegram={r.group: r.telegram for r in self.rows}, offers=self.offers,
                                        offers_city_id=self._offers_city_id)
        done = await self._act(lambda s, _fx, u: preferences.do_set_preferences(s, u, prefs))
        self.message = tr("Сохранено") if done.ok else done.message
