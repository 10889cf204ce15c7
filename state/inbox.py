"""The inbox (/inbox), one conversation (/inbox/[conversation_id]) and "Ask the host".
New messages arrive through NotificationState's listener, which calls `on_message`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import reflex as rx

from coworking_app.formatting import day_pattern
from coworking_app.services.messaging import messages as svc
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import tr

# Times are shown in Moscow time: the network's home zone (the space's zone is not known
# for a whole inbox, and a person's own zone is not stored).
ZONE = ZoneInfo("Europe/Moscow")


def _when(moment: datetime) -> str:
    local, now = moment.astimezone(ZONE), datetime.now(timezone.utc).astimezone(ZONE)
    return f"{local:%H:%M}" if local.date() == now.date() else local.strftime(day_pattern() + " %H:%M")


@dataclass
class ConversationRow:
    id: int = 0
    href: str = ""
    other: str = ""
    space: str = ""
    about: str = ""  # "Вопрос до брони" | "Бронь № 12"
    last: str = ""
    when: str = ""
    unread: int = 0


@dataclass
class MessageRow:
    id: int = 0
    mine: bool = False
    text: str = ""
    when: str = ""
    image: str = ""  # thumbnail URL ("" = none)
    full: str = ""


def _row(c: svc.ConversationOut) -> ConversationRow:
    return ConversationRow(
        id=c.id, href=f"/inbox/{c.id}", other=c.other_name, space=c.space,
        about=tr("Бронь № {booking_id}", booking_id=c.booking_id) if c.booking_id else tr("Вопрос до брони"),
        last=c.last_message, when=_when(c.last_message_at), unread=c.unread)


class InboxBadgeState(rx.State):
    """The header's count of unread messages (state/notifications.py keeps it current)."""

    messages_unread: int = 0


class InboxState(PageState):
    rows: list[ConversationRow] = []
    q: str = ""
    loading: bool = True
    # the open conversation
    conversation_id: int = 0
    found: bool = True
    title: str = ""
    subtitle: str = ""
    space_href: str = ""
    messages: list[MessageRow] = []
    has_more: bool = False
    read_only: bool = False  # an operator reading a reported conversation
    draft: str = ""
    error: str = ""
    sending: bool = False

    # --- the list ---------------------------------------------------------------------------

    @rx.event
    async def load_list(self):
        self.conversation_id, self.loading = 0, True
        await self._reload_list()
        self.loading = False

    async def _reload_list(self) -> None:
        q = self.q
        done = await self._act(lambda s, _fx, u: svc.list_conversations(s, u, q=q, page_size=100)[0])
        self.rows = [_row(c) for c in done.value] if done.ok else []

    @rx.event
    async def search(self, value: str):
        self.q = str(value)[:100]
        await self._reload_list()

    # --- one conversation ---------------------------------------------------------------------

    @rx.event
    async def load_thread(self):
        self.loading, self.draft, self.error = True, "", ""
        self.conversation_id = parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]) or 0
        await self._reload_thread(mark_read=True)
        self.loading = False

    async def _reload_thread(self, *, mark_read: bool) -> None:
        conversation_id = self.conversation_id

        def work(session, _effects, user):
            thread = svc.list_messages(session, user, conversation_id, limit=100)
            unread = svc.do_mark_read(session, user=user, conversation_id=conversation_id) \
                if mark_read and thread.conversation is not None else None
            return user.id, thread, unread
        done = await self._act(work)
        if not done.ok:
            self.found, self.messages, self.title = False, [], ""
            return
        user_id, thread, unread = done.value
        self.found = True
        mine = thread.conversation
        self.read_only = mine is None
        if mine is not None:
            self.title = mine.other_name
            self.subtitle = f"{thread.space} · " + (tr("бронь № {booking_id}", booking_id=thread.booking_id) if thread.booking_id
                                                    else tr("вопрос до брони"))
        else:
            self.title = f"{thread.renter} ↔ {thread.owner}"
            self.subtitle = tr("{space} · открыта жалоба", space=thread.space)
        self.space_href = f"/spaces/{thread.space_id}"
        base = f"/api/v1/conversations/{conversation_id}/messages"
        self.messages = [MessageRow(
            id=m.id, mine=m.sender_id == user_id, text=m.text, when=_when(m.created_at),
            image=f"{base}/{m.id}/image?size=thumb" if m.has_image else "",
            full=f"{base}/{m.id}/image" if m.has_image else "") for m in thread.items]
        self.has_more = thread.has_more
        if unread is not None:
            (await self.get_state(InboxBadgeState)).messages_unread = unread

    @rx.event
    def set_draft(self, value: str):
        self.draft = str(value)[: svc.TEXT_MAX + 100]
        self.error = ""  # the refusal was about the old draft

    @rx.event
    async def send(self):
        async for event in self._send(None):
            yield event

    @rx.event
    async def send_image(self, files: list[rx.UploadFile]):
        if files:
            async for event in self._send(await files[0].read()):
                yield event

    async def _send(self, image: bytes | None):
        """The draft (and an image) as a new message of the open conversation."""
        if self.sending or not self.conversation_id:
            return
        conversation_id, draft = self.conversation_id, self.draft
        self.sending, self.error = True, ""
        yield
        try:
            done = await self._act(lambda s, fx, u: svc.do_send_message(
                s, fx, user=u, conversation_id=conversation_id, text_=draft, image=image))
            self.error = done.message
            if done.ok:
                self.draft = ""
                await self._reload_thread(mark_read=False)
        finally:
            self.sending = False

    @rx.event
    async def on_message(self, conversation_id: int):
        """From the real-time listener: a message was sent in `conversation_id`."""
        if self.conversation_id and self.conversation_id == parse_id(conversation_id):
            await self._reload_thread(mark_read=True)
        elif not self.conversation_id and self.router.url.path.rstrip("/") == "/inbox":
            await self._reload_list()

    # --- starting one ---------------------------------------------------------------------------

    @rx.event
    async def open_booking(self, booking_id: int):
        """"Message" on a booking card: its conversation, opened (created when first used)."""
        booking_id = parse_id(booking_id)
        if booking_id is None:
            return None
        done = await self._act(lambda s, _fx, u: svc.do_open_conversation(
            s, user=u, space_id=None, booking_id=booking_id))
        return rx.redirect(f"/inbox/{done.value.id}") if done.ok else done.toast()


class AskHostState(PageState):
    """The "Ask the host" dialog of the space page."""

    open: bool = False
    text: str = ""
    error: str = ""
    busy: bool = False

    @rx.event
    async def start(self):
        auth = await self._auth()
        if not auth.signed_in:
            return rx.redirect(f"/login?next={self.router.url.path}")
        self.open, self.error = True, ""
        return None

    @rx.event
    def set_open(self, value: bool):
        self.open = bool(value)

    @rx.event
    def set_text(self, value: str):
        self.text = str(value)[: svc.TEXT_MAX + 100]
        self.error = ""

    @rx.event
    async def send(self):
        space_id = parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])
        text = self.text
        self.busy, self.error = True, ""
        yield
        try:
            done = await self._act(lambda s, fx, u: svc.do_start_conversation(
                s, fx, user=u, space_id=space_id, text_=text))
            self.error = done.message
            if done.ok:
                self.open, self.text = False, ""
                yield rx.redirect(f"/inbox/{done.value[0].id}")
        finally:
            self.busy = False
