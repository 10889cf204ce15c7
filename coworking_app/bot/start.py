"""/start (with a code: linking the chat), the main menu, help, and the way a chat that is
not linked signs in on the site."""

from __future__ import annotations

import time

from telegram import Update
from telegram.ext import ContextTypes

from coworking_app.bot import calls
from coworking_app.bot.dialog import Dialogs, dialogs
from coworking_app.bot.ui import Row, show
from coworking_app.services.catalog import catalog
from coworking_app.services.common.errors import ServiceError
from coworking_app.services.messaging import telegram
from coworking_app.i18n import N_, tr

HELP = (
    N_("Я помогу найти и забронировать коворкинг.\n\n• Выберите город или нажмите «Рядом со мной» и отправьте геопозицию.\n• Уточните район или метро и фильтры, листайте варианты.\n• «Забронировать»: день в календаре, время, места, и ссылка на оплату.\n• «Мои брони»: отмена, чек и файл для календаря.\n\nЧтобы бронировать и получать уведомления, подключите аккаунт CoSpace: в личном кабинете на сайте нажмите «Подключить Telegram» или просто начните бронь здесь.\n\nКоманды: /start — меню, /my — мои брони, /help — эта справка.")
)


def _name(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return "Telegram"
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return (f"{name} (@{user.username})" if user.username else name) or "Telegram"


def _cities(session) -> list[tuple[int, str]]:
    counts = catalog.count_published_by_city(session)
    return [(c.id, c.name) for c in catalog.list_cities(session) if counts.get(c.id)]


async def menu_rows() -> list[Row]:
    cities = await calls.read(_cities)
    rows: list[Row] = [[(name, f"c:{city_id}") for city_id, name in cities[i:i + 2]]
                       for i in range(0, len(cities), 2)]
    rows.append([(tr("📍 Рядом со мной"), "near")])
    rows.append([(tr("Мои брони"), "my"), (tr("Помощь"), "help")])
    return rows


async def show_menu(update: Update, text: str = N_("Где ищем коворкинг?"), *, new: bool = False) -> None:
    await show(update, text, await menu_rows(), new=new)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    code = context.args[0] if context.args else ""
    if code:
        # Whose account first, then a button: a link someone else sent must not attach this
        # chat to their account unseen.
        try:
            account = await calls.read(lambda s: telegram.access_site_link(s, code))
        except ServiceError as exc:
            await show(update, tr("Не получилось подключить аккаунт. {message_}\nНовую ссылку можно получить в личном кабинете на сайте: «Подключить Telegram».", message_=exc.message),
                       await menu_rows(), new=True)
            return
        await dialogs(context).update(chat.id, pending_code=code)
        await show(update, tr("Подключить этот чат к аккаунту CoSpace «{name}» ({email})? Бот будет бронировать от его имени и присылать его уведомления.", name=account.name, email=account.email),
                   [[(tr("Подключить"), "lk"), (tr("Отмена"), "menu")]], new=True)
        return
    await show_menu(update, tr("Привет! Это CoSpace: коворкинги с бронированием по часам и дням.\n\nГде ищем коворкинг?"), new=True)


async def confirm_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """"Подключить" under /start <code>: the code kept in the dialogue is used now."""
    chat = update.effective_chat
    state = await dialogs(context).get(chat.id)
    code = state.pop("pending_code", None)
    await dialogs(context).save(chat.id, state)
    if not code:
        await show(update, tr("Ссылка уже использована. Новую можно получить в личном кабинете на сайте."),
                   await menu_rows())
        return
    try:
        person = await calls.act(lambda s, fx: telegram.do_link_chat(s, code, chat.id, _name(update)).full_name)
    except ServiceError as exc:
        await show(update, tr("Не получилось подключить аккаунт. {message_}\nНовую ссылку можно получить в личном кабинете на сайте: «Подключить Telegram».", message_=exc.message),
                   await menu_rows())
        return
    await show_menu(update, tr("Готово, {person}! Чат подключён к вашему аккаунту CoSpace: сюда будут приходить уведомления о бронях, а бронировать можно прямо здесь.\n\nГде ищем коворкинг?", person=person))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show(update, HELP, [[(tr("« В меню"), "menu")]], new=update.callback_query is None)


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_menu(update)


async def sign_in_rows(chat_id: int, name: str, store: Dialogs) -> tuple[str, list[Row]]:
    """A chat that is not linked: the text and the site's link that signs in and links it
    (the same link while it has a few minutes left; past the chat's links for this hour, the
    refusal)."""
    state = await store.get(chat_id)
    code, until = state.get("signin_code"), state.get("signin_until") or 0
    if not code or until - time.time() < 120 or not await calls.read(lambda s: telegram.chat_link_open(s, code)):
        try:
            link = await calls.act(lambda s, fx: telegram.do_create_chat_link(s, chat_id, name))
        except ServiceError as exc:
            return exc.message, [[(tr("« В меню"), "menu")]]
        code = link.code
        await store.update(chat_id, signin_code=code, signin_until=link.expires_at.timestamp())
    url = telegram.site_link(code)
    return (tr("Чтобы продолжить, войдите на сайте CoSpace: чат подключится к вашему аккаунту. Ссылка действует 10 минут. После входа вернитесь сюда и нажмите «Продолжить»."),
            [[(tr("Войти и подключить чат"), url)], [(tr("Продолжить"), "resume")], [(tr("« В меню"), "menu")]])


async def ask_to_sign_in(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text, rows = await sign_in_rows(update.effective_chat.id, _name(update), dialogs(context))
    await show(update, text, rows)
