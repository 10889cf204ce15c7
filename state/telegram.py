"""Telegram on the site: the cabinet's card (link a chat through the bot, unlink it) and the
/telegram page, where a chat that asked the bot is linked to the person signed in.

Linking from the cabinet happens in Telegram: the person opens the bot's link and presses
"Старт", and the bot process links the chat. While the link is shown, the card asks every
few seconds whether that happened (until the code expires), so it turns to "Подключён" by
itself when the person comes back."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import reflex as rx

from coworking_app.formatting import day_pattern, format_moment
from coworking_app.services.common.qr import qr_data_uri
from coworking_app.services.messaging import telegram
from coworking_app.settings import get_settings
from state.notifications import NotificationPrefsState
from state.page import PageState
from coworking_app.i18n import N_, tr

POLL_SECONDS = 3.0  # how often the card asks whether the bot has linked the chat
NEW_CODE_HINT = N_("Попросите у бота новую ссылку: /start")


def _zone() -> str:
    return get_settings().report_timezone


def _until(moment: datetime) -> str:
    """"14:35 МСК": when a link code stops working."""
    return format_moment(moment, _zone(), "%H:%M", named=True)


class TelegramState(PageState):
    """The cabinet's "Telegram" card."""

    loaded: bool = False
    linked: bool = False
    name: str = ""  # the chat's name as Telegram gave it
    since: str = ""  # 03.12.2026
    link_url: str = ""  # https://t.me/<bot>?start=<code>, while a code is shown
    link_qr: str = ""  # the same link as a QR code (data: URI)
    link_until: str = ""  # 14:35 МСК
    link_expired: bool = False  # the shown code's 10 minutes are over
    error: str = ""
    busy: bool = False
    unlink_open: bool = False
    _link_expires: float = 0.0  # the shown code's expiry (epoch seconds)
    _link_nonce: int = 0  # the shown code; a newer one stops the previous one's watch

    def _show(self, chat: telegram.LinkedChat) -> None:
        self.linked = chat.chat_id is not None
        self.name = (chat.name or "Telegram") if self.linked else ""
        self.since = format_moment(chat.linked_at, _zone(), day_pattern()) if chat.linked_at else ""
        if self.linked:
            self._forget_link()
        self.loaded = True

    def _forget_link(self) -> None:
        self.link_url = self.link_qr = self.link_until = ""
        self.link_expired = False
        self._link_expires = 0.0
        self._link_nonce += 1

    async def _tell_preferences(self) -> None:
        """The notification switches' Telegram column is on only while a chat is linked."""
        (await self.get_state(NotificationPrefsState)).telegram_linked = self.linked

    @rx.event
    async def load(self):
        self.error, self.unlink_open, self.busy = "", False, False
        self._forget_link()
        done = await self._act(lambda _s, _fx, user: telegram.linked_chat(user))
        if done.ok:
            self._show(done.value)

    @rx.event
    async def create_link(self):
        """"Подключить Telegram" and "Получить новую ссылку": a fresh code for the bot."""
        if self.busy:
            return None
        self.busy, self.error = True, ""
        done = await self._act(lambda s, _fx, user: telegram.do_create_site_link(s, user))
        self.busy = False
        if not done.ok:
            self.error = done.message
            return None
        link = done.value
        self._forget_link()
        self.link_url, self.link_qr, self.link_until = link.url, qr_data_uri(link.url), _until(link.expires_at)
        self._link_expires = link.expires_at.timestamp()
        return TelegramState.watch

    @rx.event(background=True)
    async def watch(self):
        """While the link is shown (at most until its code expires): whether the bot has
        linked the chat."""
        async with self:
            nonce, expires, token = self._link_nonce, self._link_expires, await self._token()
        while datetime.now(timezone.utc).timestamp() < expires + POLL_SECONDS:
            await asyncio.sleep(POLL_SECONDS)
            async with self:
                if self._link_nonce != nonce or self.linked:
                    return
            done = await self._act_as_in_thread(token, lambda _s, _fx, user: telegram.linked_chat(user))
            if not done.ok:
                return
            if done.value.chat_id is not None:
                async with self:
                    if self._link_nonce == nonce:
                        self._show(done.value)
                        await self._tell_preferences()
                yield rx.toast.success(tr("Telegram подключён"))
                return
        async with self:
            if self._link_nonce == nonce and not self.linked:
                self.link_expired = True

    @rx.event
    def open_unlink(self, value: bool = True):
        self.unlink_open, self.error = value is True, ""

    @rx.event
    async def unlink(self):
        if self.busy:
            return None
        self.busy = True

        def work(session, _effects, user):
            telegram.do_unlink(session, user)
            return telegram.linked_chat(user)
        done = await self._act(work)
        self.busy = False
        if not done.ok:
            self.error = done.message
            return None
        self.unlink_open = False
        self._show(done.value)
        await self._tell_preferences()
        return rx.toast.success(tr("Telegram отключён"))


class TelegramLinkState(PageState):
    """/telegram?code=…: the chat that asked the bot, linked only when the person confirms
    (never on load: a link someone else sent must not attach their chat unseen)."""

    loading: bool = True
    chat_name: str = ""
    email: str = ""
    until: str = ""
    error: str = ""  # why the code cannot be used, with what to do
    done: bool = False
    busy: bool = False
    _code: str = ""

    @rx.event
    async def load(self):
        self.loading, self.done, self.busy, self.error, self.chat_name = True, False, False, "", ""
        self._code = str(self.router.url.query_parameters.get("code") or "")[:200]
        if not self._code:
            self.loading, self.error = False, tr("В ссылке нет кода подключения")
            return
        code = self._code

        def work(session, _effects, user):
            if user is None:  # a stranger is sent to sign-in and back (state/auth.py)
                return None
            return user.email, telegram.access_chat_link(session, user, code)
        done = await self._visit(work)
        self.loading = False
        if not done.ok:
            self.error = done.message
        elif done.value is not None:
            self.email, link = done.value
            self.chat_name, self.until = link.chat_name, _until(link.expires_at)

    @rx.event
    async def confirm(self):
        if self.busy or self.done or not self._code:
            return
        self.busy, code = True, self._code
        done = await self._act(lambda s, fx, user: telegram.do_confirm_chat_link(s, fx, user, code))
        self.busy = False
        if done.ok:
            self.done, self.chat_name = True, done.value.chat_name
        else:
            self.error = done.message

    @rx.event
    def cancel(self):
        return rx.redirect("/cabinet")

