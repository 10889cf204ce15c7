"""The bot process: handlers, the outbox task, long polling or a webhook.

`python -m coworking_app.bot`. Without TELEGRAM_BOT_TOKEN it says so and exits 0 (no bot,
nothing fails). Bot API calls go to TELEGRAM_API_BASE (`{base}/bot{token}/{method}`: the
official server or a self-hosted telegram-bot-api; tests point it at a local fake).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.constants import ChatType
from telegram.ext import (Application, ApplicationBuilder, ApplicationHandlerStop, BaseUpdateProcessor,
                          CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, TypeHandler, filters)

from coworking_app import alerts, i18n, metrics
from coworking_app.logs import configure_logging
from coworking_app.observability import report, start_sentry
from coworking_app.bot import booking, cabinet, search, start
from coworking_app.bot.dialog import Dialogs, dialogs
from coworking_app.bot.outbox import Outbox
from coworking_app.bot.ui import parse_day, parse_int, parse_month, show
from coworking_app.services.accounts import ratelimit
from coworking_app.services.common.errors import RateLimited
from coworking_app.settings import Settings, get_settings
from coworking_app.i18n import tr

log = logging.getLogger("coworking_app.bot")

UPDATES_PER_MINUTE = 60  # from one chat; a person pressing buttons stays far below


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every inline button: `head:rest` callback data, short ids into the chat's dialogue."""
    query = update.callback_query
    try:
        await query.answer()
    except TelegramError:
        pass
    data = (query.data or "")[:64]
    head, _, rest = data.partition(":")
    if head == "noop":
        return
    # Any other button: a reason is no longer awaited, a link no longer about to be confirmed.
    await forget_pending(update, context, keep_reason=head in ("rej", "rjy", "cxy"), keep_link=head == "lk")
    number = parse_int(rest)
    simple = {
        "menu": lambda: start.menu(update, context),
        "help": lambda: start.help_command(update, context),
        "near": lambda: search.ask_location(update, context),
        "c": lambda: search.choose_city(update, context, number),
        "d": lambda: search.set_place(update, context, "d", number),
        "m": lambda: search.set_place(update, context, "m", number),
        "r": lambda: search.show_result(update, context, number or 0),
        "b": lambda: booking.choose_resource(update, context, number),
        "rs": lambda: booking.choose_month(update, context, number, None),
        "cal": lambda: booking.choose_month(update, context, None, parse_month(rest)),
        "day": lambda: booking.choose_start(update, context, parse_day(rest)),
        "st": lambda: booking.choose_end(update, context, number),
        "en": lambda: booking.choose_seats(update, context, number),
        "se": lambda: booking.set_seats(update, context, number),
        "ok": lambda: booking.confirm(update, context, rest),
        "lk": lambda: start.confirm_link(update, context),
        "resume": lambda: booking.resume(update, context),
        "my": lambda: cabinet.my_bookings(update, context, "past" if rest == "p" else "upcoming"),
        "bk": lambda: cabinet.show_booking(update, context, number),
        "cx": lambda: cabinet.ask_cancel(update, context, number),
        "cy": lambda: cabinet.cancel(update, context, number),
        "pay": lambda: cabinet.pay(update, context, number),
        "rc": lambda: cabinet.send_file(update, context, "rc", number),
        "ic": lambda: cabinet.send_file(update, context, "ic", number),
        "acc": lambda: cabinet.accept(update, context, number),
        "rej": lambda: cabinet.ask_reason(update, context, "reject", number),
        "rjy": lambda: cabinet.act_with_reason(update, context, "reject", number),
        "cxy": lambda: cabinet.act_with_reason(update, context, "cancel", number),
    }
    if head in simple:
        await simple[head]()
    elif head == "w":
        kind, _, page = rest.partition(":")
        if kind in ("all", "d", "m"):
            await search.choose_place(update, context, kind, parse_int(page) or 0)
    elif head == "f":
        what, _, value = rest.partition(":")
        if what == "go":
            await search.show_result(update, context, 0)
        elif what == "back":
            await search.show_filters(update, context)
        else:
            await search.set_filter(update, context, what, value)
    elif head == "ad":
        if rest == "ok":
            await booking.show_quote(update, context)
        else:
            await booking.choose_addons(update, context, parse_int(rest))
    else:
        await show(update, tr("Эта кнопка устарела. Откройте меню: /start"), new=True)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: the reason of a refusal or a cancellation when one was asked for (then
    confirmed with a button), otherwise the menu."""
    if await cabinet.got_reason(update, context, update.effective_message.text or ""):
        return
    await start.show_menu(update, tr("Я понимаю кнопки и команды. Где ищем коворкинг?"), new=True)


async def forget_pending(update: Update, context: ContextTypes.DEFAULT_TYPE, *, keep_reason: bool = False,
                         keep_link: bool = False) -> None:
    """What a question waits for ends when the person does something else: a reason asked for
    ("Отклонить"), a link shown for confirming (/start <code>)."""
    state = await dialogs(context).get(update.effective_chat.id)
    drop = [key for key, keep in (("awaiting", keep_reason), ("pending_code", keep_link)) if state.get(key) and not keep]
    if drop:
        for key in drop:
            state[key] = None
        await dialogs(context).save(update.effective_chat.id, state)


async def limit_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before every handler. Only private chats: in a group every member would act as the
    person linked (the operators' alert group gets alerts, never menus). At most
    UPDATES_PER_MINUTE updates a minute from one chat; the rest are dropped (a pressed button
    is told to wait), so a flood costs no queries. A command ends a reason being awaited."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        raise ApplicationHandlerStop
    # The update is answered in the language of the person's Telegram app (docs/i18n.md).
    user = update.effective_user
    i18n.set_language(i18n.negotiate(getattr(user, "language_code", None) or ""))
    try:
        await asyncio.to_thread(ratelimit.do_take, f"bot:chat:{chat.id}", UPDATES_PER_MINUTE, 60)
    except RateLimited:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(tr("Слишком часто: подождите минуту"), show_alert=False)
            except TelegramError:
                pass
        raise ApplicationHandlerStop
    except Exception:  # noqa: BLE001 (Redis away: the limit is skipped, the person still answered)
        log.warning("Chat limit not checked", exc_info=True)
        return
    message = update.message
    if message is not None and (message.text or "").startswith("/"):
        await forget_pending(update, context)


class OneAtATimePerChat(BaseUpdateProcessor):
    """Updates of different chats run concurrently; one chat's run in order, one at a time (a
    double tap never runs twice side by side, a dialogue is never read and written at once)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine) -> None:
        chat = getattr(update, "effective_chat", None)
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users <= 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


async def on_my(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cabinet.my_bookings(update, context)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything unexpected in a handler: logged, the operators alerted, the person told."""
    error = context.error
    log.error("Unhandled %s in the bot", type(error).__name__, exc_info=error)
    report(error)
    where = getattr(getattr(update, "callback_query", None), "data", None) or "message"
    await asyncio.to_thread(alerts.alert, "bot", tr("{kind} в боте ({where}): {error}", kind=type(error).__name__,
                                                       where=str(where)[:40], error=error)[:1000],
                            f"{type(error).__name__}:{str(where).partition(':')[0]}")
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await update.effective_chat.send_message(tr("Что-то пошло не так. Мы уже разбираемся; попробуйте ещё раз: /start"))
        except TelegramError:
            pass


def build(settings: Settings) -> Application:
    base = settings.telegram_api_base.rstrip("/")
    outbox_stop = asyncio.Event()

    async def post_init(application: Application) -> None:
        application.bot_data["dialogs"] = Dialogs(settings.redis_url)
        try:
            await application.bot.set_my_commands([
                BotCommand("start", tr("Меню: город, рядом со мной")), BotCommand("my", tr("Мои брони")),
                BotCommand("help", tr("Как пользоваться"))])
        except TelegramError as exc:
            log.warning("Commands not set: %s", exc)
        outbox = Outbox(application.bot)
        application.bot_data["outbox_task"] = asyncio.get_running_loop().create_task(outbox.run(outbox_stop))
        log.info("Bot @%s started", application.bot.username)

    async def post_stop(application: Application) -> None:
        outbox_stop.set()
        task = application.bot_data.get("outbox_task")
        if task is not None:
            await asyncio.wait([task], timeout=10)
        await application.bot_data["dialogs"].close()

    application = (ApplicationBuilder().token(settings.telegram_bot_token)
                   .base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
                   .concurrent_updates(OneAtATimePerChat(16)).post_init(post_init).post_stop(post_stop).build())
    application.add_handler(TypeHandler(Update, limit_chat), group=-1)
    new_messages = filters.UpdateType.MESSAGE  # not edits: a live location or an edited text is no new request
    application.add_handler(CommandHandler("start", start.start, filters=new_messages))
    application.add_handler(CommandHandler("help", start.help_command, filters=new_messages))
    application.add_handler(CommandHandler("my", on_my, filters=new_messages))
    application.add_handler(CallbackQueryHandler(on_callback))
    application.add_handler(MessageHandler(filters.LOCATION & new_messages, search.got_location))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & new_messages, on_text))
    application.add_error_handler(on_error)
    return application


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook call (X-Telegram-Bot-Api-Secret-Token)."""
    return hashlib.sha256(f"telegram-webhook:{settings.secret_key}".encode()).hexdigest()[:64]


def main() -> int:
    configure_logging()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    start_sentry("bot")
    metrics.serve_own_metrics()
    settings = get_settings()
    if not settings.telegram_bot_token:
        log.warning("TELEGRAM_BOT_TOKEN is empty: the Telegram bot is off (nothing else depends on it)")
        return 0
    application = build(settings)
    if settings.telegram_webhook_url:
        path = hashlib.sha256(settings.telegram_bot_token.encode()).hexdigest()[:32]
        application.run_webhook(listen=settings.telegram_webhook_listen, port=settings.telegram_webhook_port,
                                url_path=path, webhook_url=f"{settings.telegram_webhook_url.rstrip('/')}/{path}",
                                secret_token=webhook_secret(settings), allowed_updates=Update.ALL_TYPES)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
