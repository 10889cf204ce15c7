"""The only sender of queued Telegram messages: notices of linked chats (notification rows on
the telegram channel, services/messaging/telegram.py) and operator alerts
(coworking_app/alerts.py). Other processes only queue; this task of the bot process sends.

Within Telegram's limits: about 30 messages a second overall and one a second per chat
(`SendLimiter`); a 429 pauses all sending for the `retry_after` Telegram gives and tries the
message again; a 403 (the person blocked the bot) unlinks the chat; a 400 fails the message
(trying again would not help); a network error tries again later with backoff. Rows stay in
the database until sent, so nothing is lost while the bot is down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from coworking_app import alerts, metrics
from coworking_app.bot import calls
from coworking_app.bot.ui import Row, clip, keyboard, with_links
from coworking_app.services.messaging import telegram
from coworking_app.settings import get_settings
from coworking_app.i18n import tr

log = logging.getLogger(__name__)

BATCH = 200  # 200 messages take Telegram's 30/s about 7 s: well inside the claim's lease
CHAT_BUDGET = 100  # seconds one round may spend on one chat (the claim's lease is 180)
RETRY_AFTER_TRIES = 3  # a message hit by 429 is tried this many times before it waits in the database


class SendLimiter:
    """Reserves a moment for each message: at most `per_second` overall, one per
    `chat_interval` seconds in one chat, none while Telegram asked us to pause."""

    def __init__(self, per_second: float = 30, chat_interval: float = 1.05) -> None:
        self._gap = 1 / per_second
        self._chat_interval = chat_interval
        self._next = 0.0
        self._chat_next: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def wait(self, chat_id: int) -> None:
        async with self._lock:
            now = time.monotonic()
            at = max(now, self._next, self._chat_next.get(chat_id, 0.0), self._paused_until)
            self._next = at + self._gap
            self._chat_next[chat_id] = at + self._chat_interval
            if len(self._chat_next) > 10_000:  # forget chats whose moment has passed
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        if at > now:
            await asyncio.sleep(at - now)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def buttons(message: telegram.Outgoing) -> list[Row]:
    """What a notice offers in the chat (the services said what happened; this is how the
    bot lets the person act on it)."""
    booking_id = message.booking_id
    if message.type == "owner_needs_approval" and booking_id:
        return [[(tr("Принять"), f"acc:{booking_id}"), (tr("Отклонить"), f"rej:{booking_id}")], [(tr("Бронь"), f"bk:{booking_id}")]]
    if message.type in ("booking_created", "booking_hold_expiring") and booking_id:
        return [[(tr("Оплатить"), f"pay:{booking_id}")], [(tr("Бронь"), f"bk:{booking_id}")]]
    if message.type.startswith(("booking_", "owner_")) and booking_id:
        return [[(tr("Бронь"), f"bk:{booking_id}"), (tr("Открыть на сайте"), message.link)]]
    if message.type == "telegram_linked":
        return [[(tr("Продолжить"), "resume")], [(tr("Меню"), "menu")]]
    return [[(tr("Открыть на сайте"), message.link)]]


class Outbox:
    def __init__(self, bot: Bot, limiter: SendLimiter | None = None) -> None:
        self.bot = bot
        self.limiter = limiter or SendLimiter()
        self.settings = get_settings()
        self.stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Sends what is due, then waits TELEGRAM_OUTBOX_POLL_SECONDS when there was nothing."""
        self.stop = stop
        while not stop.is_set():
            try:
                busy = await self.drain_once()
                busy = await self.send_alerts() or busy
            except Exception:  # noqa: BLE001 (the database or Redis away: try again in a moment)
                log.exception("Telegram outbox round failed")
                busy = False
            if not busy:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.telegram_outbox_poll_seconds)
                except asyncio.TimeoutError:
                    pass

    async def drain_once(self) -> bool:
        claimed = await calls.act(lambda s, fx: telegram.claim_outgoing(s, limit=BATCH))
        if not claimed:
            return False
        by_chat: dict[int, list[telegram.Outgoing]] = defaultdict(list)
        for message in claimed:
            by_chat[message.chat_id].append(message)
        started = time.monotonic()
        results = await asyncio.gather(*(self._send_chat(chat_id, messages, started)
                                         for chat_id, messages in by_chat.items()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):  # that chat's rows are tried again after the lease
                log.error("Sending to a chat failed", exc_info=result)
        return True

    async def _send_chat(self, chat_id: int, messages: list[telegram.Outgoing], started: float) -> None:
        """One chat's messages in order, each marked sent as soon as Telegram took it. Past
        CHAT_BUDGET seconds of this round (well inside the claim's lease), or when the bot is
        stopping, the rest are released for the next round instead of risking a second send."""
        for position, message in enumerate(messages):
            if self.stop.is_set() or time.monotonic() - started > CHAT_BUDGET:
                rest = [m.id for m in messages[position:]]
                await calls.act(lambda s, fx: telegram.do_release(s, rest))
                return
            rows = buttons(message)
            outcome = await self._send(chat_id, with_links(message.text, rows), keyboard(rows))
            metrics.NOTIFICATIONS.labels("telegram", outcome.partition(":")[0].replace("later", "retry")).inc()
            if outcome == "sent":
                await calls.act(lambda s, fx, m=message: telegram.do_mark_sent(s, [m.id]))
            elif outcome == "blocked":
                forgotten = await calls.act(lambda s, fx: telegram.do_forget_chat(s, chat_id))
                log.info("Chat %s blocked the bot: unlinked from %s account(s)", chat_id, forgotten)
                return  # the chat's other rows were cancelled with it
            elif outcome.startswith("failed"):
                await calls.act(lambda s, fx, m=message: telegram.do_mark_failed(s, m.id, outcome))
            else:  # "later: <seconds>: <error>"
                _, delay, error = outcome.split(":", 2)
                await calls.act(lambda s, fx, m=message: telegram.do_retry_later(s, m.id, error.strip(), float(delay)))

    async def _send(self, chat_id: int, text: str, markup) -> str:
        """"sent", "blocked", "failed: ..." or "later: <seconds>: <error>"."""
        last = "later: 0: not tried"
        for _ in range(RETRY_AFTER_TRIES):
            await self.limiter.wait(chat_id)
            try:
                with metrics.external_call("telegram", "send_message"):
                    await self.bot.send_message(chat_id, clip(text), reply_markup=markup,
                                                disable_web_page_preview=True)
                return "sent"
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                log.warning("Telegram asked to wait %.0f s", seconds)
                self.limiter.pause(seconds)
                last = f"later: {seconds}: 429 {exc}"
            except Forbidden:
                return "blocked"
            except ChatMigrated as exc:  # a group became a supergroup: a new id to configure
                return f"failed: the chat moved to {exc.new_chat_id}"
            except BadRequest as exc:
                if "chat not found" in str(exc).lower():
                    return "blocked"
                return f"failed: 400 {exc}"
            except TelegramError as exc:
                return f"later: 0: {type(exc).__name__}: {exc}"  # the service's backoff
        return last

    async def send_alerts(self) -> bool:
        chat_id = self.settings.telegram_alert_chat_id
        if not chat_id:
            return False
        queued = await asyncio.to_thread(alerts.take_alerts, 20)
        for index, item in enumerate(queued):
            text = f"⚠️ {item.get('kind', 'alert')} · {item.get('host', '')}\n{item.get('text', '')}"
            outcome = await self._send(chat_id, text, None)
            if outcome.startswith("later"):
                await asyncio.to_thread(alerts.put_back, queued[index:])
                log.warning("Alerts put back: %s", outcome)
                break
            if outcome != "sent":
                log.error("Alert not sent (%s): %s", outcome, text[:200])
        return bool(queued)
