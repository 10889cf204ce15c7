"""Search in the chat: city → the whole city, a district or a metro station → filters
(seats, price, amenities) edited in place → result cards, one at a time: the photos as a
media group, then the card with "Забронировать", "Подробнее на сайте", "Следующий"."""

from __future__ import annotations

import logging

from telegram import InputMediaPhoto, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from coworking_app.bot import calls
from coworking_app.bot.dialog import dialogs
from coworking_app.bot.ui import MAX_CAPTION, Row, chunks, clip, keyboard, parse_int, show, site, with_links
from coworking_app.formatting import format_distance, format_price, format_rating
from coworking_app.services.catalog import catalog, search, spaces
from coworking_app.services.common.errors import ServiceError
from coworking_app.i18n import tr

log = logging.getLogger(__name__)

SEATS = (1, 2, 4, 10)
PRICES = (None, 30000, 60000, 100000)  # the most an hour may cost, minor units (None: any)
AMENITIES_SHOWN = 8
PLACES_PER_PAGE = 10
MAX_PHOTOS = 10
MAX_RESULT = 9_999  # search pages stop at 10 000: a crafted "r:" beyond gets "all shown"


# --- city and place ---------------------------------------------------------------------


def _city(session, city_id: int):
    return next((c for c in catalog.list_cities(session) if c.id == city_id), None)


async def choose_city(update: Update, context: ContextTypes.DEFAULT_TYPE, city_id: int | None) -> None:
    city = await calls.read(lambda s: _city(s, city_id)) if city_id else None
    if city is None:
        await show(update, tr("Такого города нет. Выберите из списка: /start"))
        return
    await dialogs(context).save(update.effective_chat.id, {
        "city_id": city.id, "city": city.slug, "city_name": city.name, "where": city.name, "seats": 1, "price": 0, "amenities": []})
    await show(update, tr("{name_ru}. Где искать?", name_ru=city.name), [
        [(tr("Весь город"), "w:all")], [(tr("По району"), "w:d:0"), (tr("По метро"), "w:m:0")], [(tr("« В меню"), "menu")]])


def _places(session, city_id: int, kind: str) -> list[tuple[int, str]]:
    if kind == "d":
        return [(d.id, d.name) for d in catalog.list_districts(session, city_id)]
    return [(s.id, f"{s.name} ({s.line})" if s.line_name else s.name)
            for s in catalog.list_stops(session, city_id) if s.kind == "metro"]


async def choose_place(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, page: int) -> None:
    state = await dialogs(context).get(update.effective_chat.id)
    if not state.get("city_id"):
        await show(update, tr("Сначала выберите город: /start"))
        return
    if kind == "all":
        state.update(district=None, stop_id=None, where=state.get("city_name") or state.get("where"))
        await dialogs(context).save(update.effective_chat.id, state)
        await show_filters(update, context)
        return
    places = await calls.read(lambda s: _places(s, state["city_id"], kind))
    if not places:
        await show(update, tr("Здесь пока нет ни районов, ни станций метро. Ищем по всему городу?"),
                   [[(tr("Весь город"), "w:all")], [(tr("« В меню"), "menu")]])
        return
    pages = chunks(places, PLACES_PER_PAGE)
    page = min(max(page, 0), len(pages) - 1)
    rows: list[Row] = [[(name, f"{kind}:{place_id}") for place_id, name in pair] for pair in chunks(pages[page], 2)]
    nav: Row = []
    if page > 0:
        nav.append((tr("‹ Назад"), f"w:{kind}:{page - 1}"))
    if page < len(pages) - 1:
        nav.append((tr("Ещё ›"), f"w:{kind}:{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append([(tr("Весь город"), "w:all"), (tr("« Города"), "menu")])
    what = tr("Район") if kind == "d" else tr("Станция метро")
    await show(update, tr("{what}: выберите из списка (страница {value} из {len}).", what=what, value=page + 1, len=len(pages)), rows)


async def set_place(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, place_id: int | None) -> None:
    state = await dialogs(context).get(update.effective_chat.id)
    places = dict(await calls.read(lambda s: _places(s, state.get("city_id") or 0, kind))) if state.get("city_id") else {}
    if place_id not in places:
        await show(update, tr("Такого места нет в списке. Начните заново: /start"))
        return
    if kind == "d":
        state.update(district=str(place_id), stop_id=None)
    else:
        state.update(stop_id=place_id, district=None)
    state["where"] = places[place_id]
    await dialogs(context).save(update.effective_chat.id, state)
    await show_filters(update, context)


# --- filters ------------------------------------------------------------------------------


def _amenities(session) -> list[tuple[str, str]]:
    return [(a.code, a.name) for a in catalog.list_amenities(session)[:AMENITIES_SHOWN]]


def _price_label(limit: int | None) -> str:
    return tr("любая") if limit is None else tr("до {value} ₽/ч", value=limit // 100)


async def show_filters(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state = await dialogs(context).get(update.effective_chat.id)
    amenities = await calls.read(_amenities)
    chosen = set(state.get("amenities") or [])
    seats, price = state.get("seats") or 1, state.get("price") or 0
    rows: list[Row] = [
        [(("✓ " if seats == n else "") + (f"{n}+" if n == SEATS[-1] else str(n)), f"f:s:{n}") for n in SEATS],
        [(("✓ " if price == i else "") + _price_label(limit), f"f:p:{i}") for i, limit in enumerate(PRICES)],
    ]
    rows += [[(("✓ " if code in chosen else "") + name, f"f:a:{i}") for i, (code, name) in pair]
             for pair in chunks(list(enumerate(amenities)), 2)]
    rows.append([(tr("Показать варианты"), "f:go")])
    rows.append([(tr("« Город"), f"c:{state.get('city_id')}") if state.get("city_id") else (tr("« В меню"), "menu")])
    where = state.get("where") or tr("рядом с вами")
    await show(update, tr("Поиск: {where}.\nМест: {seats}+ · цена {price_label}{value}.\nУточните фильтры или сразу смотрите варианты.", where=where, seats=seats, price_label=_price_label(PRICES[price]), value=' · ' + ', '.join((n for c, n in amenities if c in chosen)) if chosen else ''), rows)


async def set_filter(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str, value: str | None) -> None:
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    if what == "s" and parse_int(value) in SEATS:
        state["seats"] = parse_int(value)
    elif what == "p" and parse_int(value, high=len(PRICES) - 1) is not None:
        state["price"] = parse_int(value)
    elif what == "a":
        amenities = await calls.read(_amenities)
        index = parse_int(value, high=len(amenities) - 1)
        if index is not None:
            code = amenities[index][0]
            chosen = list(state.get("amenities") or [])
            state["amenities"] = [c for c in chosen if c != code] if code in chosen else chosen + [code]
    await dialogs(context).save(chat_id, state)
    await show_filters(update, context)


# --- near me ------------------------------------------------------------------------------


async def ask_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    button = KeyboardButton(tr("📍 Отправить геопозицию"), request_location=True)
    await update.effective_chat.send_message(
        tr("Отправьте геопозицию кнопкой ниже (или через скрепку → «Геопозиция»): покажу ближайшие коворкинги."),
        reply_markup=ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True))


async def got_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    location = update.effective_message.location
    if location is None or not (-90 <= location.latitude <= 90 and -180 <= location.longitude <= 180):
        await update.effective_chat.send_message(tr("Не удалось прочитать геопозицию. Попробуйте ещё раз: /start"))
        return
    await dialogs(context).save(update.effective_chat.id, {
        "lat": location.latitude, "lon": location.longitude, "where": tr("рядом с вами"),
        "seats": 1, "price": 0, "amenities": []})
    await update.effective_chat.send_message(tr("Ищу рядом с вами…"), reply_markup=ReplyKeyboardRemove())
    await show_result(update, context, 0, new=True)


# --- results --------------------------------------------------------------------------------


def _params(state: dict, index: int) -> search.SearchParams:
    price = PRICES[state.get("price") or 0] if 0 <= (state.get("price") or 0) < len(PRICES) else None
    near = state.get("lat") is not None and state.get("lon") is not None
    return search.SearchParams(
        city=None if near else state.get("city"), district=state.get("district"), stop_id=state.get("stop_id"),
        lat=state.get("lat") if near else None, lon=state.get("lon") if near else None,
        seats=state.get("seats") or None, amenities=list(state.get("amenities") or []),
        max_price=price, price_unit="hour" if price else None,
        sort=search.SortOrder.distance if near else search.SortOrder.rating, page=index + 1, page_size=1)


def _result(session, params: search.SearchParams):
    found = search.search_spaces(session, params)
    if not found.items:
        return found.total, None, None
    card = found.items[0]
    return found.total, card, spaces.get_published_space(session, card.id)


def card_text(card, detail, index: int, total: int) -> str:
    stop = detail.nearest_stops[0] if detail.nearest_stops else None
    lines = [f"{card.name}", f"{card.address}"]
    if stop is not None:
        lines.append(tr("🚇 {name}, {walk_minutes} мин пешком", name=stop.name, walk_minutes=stop.walk_minutes))
    if card.distance_m is not None:
        lines.append(tr("📍 {format_distance} от вас", format_distance=format_distance(card.distance_m)))
    lines.append(f"💳 {format_price(card.price_from, card.currency, card.price_unit)}")
    lines.append(f"⭐ {format_rating(card.rating, card.reviews_count)}" if card.reviews_count else tr("⭐ Пока без отзывов"))
    lines.append(tr("Мест в самом большом помещении: {max_capacity}", max_capacity=card.max_capacity))
    lines.append(tr("\nВариант {value} из {total}", value=index + 1, total=total))
    return "\n".join(lines)


async def show_result(update: Update, context: ContextTypes.DEFAULT_TYPE, index: int, *, new: bool = False) -> None:
    chat = update.effective_chat
    index = min(max(index, 0), MAX_RESULT)
    state = await dialogs(context).get(chat.id)
    if not state.get("city") and state.get("lat") is None:
        await show(update, tr("Сначала выберите город: /start"))
        return
    try:
        total, card, detail = await calls.read(lambda s: _result(s, _params(state, index)))
    except ServiceError as exc:
        await show(update, tr("Поиск не удался: {message_}", message_=exc.message), [[(tr("« Фильтры"), "f:back")]])
        return
    if card is None:
        text = (tr("Ничего не нашлось. Попробуйте убрать часть фильтров или выбрать другой район.")
                if index == 0 else tr("Это были все варианты."))
        await show(update, text, [[(tr("« Фильтры"), "f:back")], [(tr("« В меню"), "menu")]], new=new)
        return
    await _forget_card(context, chat.id, state)
    photos = [InputMediaPhoto(site(p.url), caption=clip(p.caption, MAX_CAPTION) if p.caption else None)
              for p in detail.photos[:MAX_PHOTOS]]
    sent_ids: list[int] = []
    if photos:
        try:
            if len(photos) == 1:  # a media group takes 2 to 10
                sent = [await chat.send_photo(photos[0].media, caption=photos[0].caption)]
            else:
                sent = await chat.send_media_group(photos)
            sent_ids = [m.message_id for m in sent]
        except TelegramError as exc:  # a photo Telegram could not fetch: the card still comes
            log.info("Photos of space %s not sent: %s", card.id, exc)
    rows: list[Row] = [[(tr("Забронировать"), f"b:{card.id}")], [(tr("Подробнее на сайте"), site(f"/spaces/{card.id}"))]]
    nav: Row = [(tr("« Фильтры"), "f:back")]
    if index + 1 < total:
        nav.append((tr("Следующий ›"), f"r:{index + 1}"))
    rows.append(nav)
    message = await chat.send_message(with_links(card_text(card, detail, index, total), rows), reply_markup=keyboard(rows),
                                      disable_web_page_preview=True)
    state.update(index=index, card_messages=sent_ids + [message.message_id], card_id=card.id)
    await dialogs(context).save(chat.id, state)


async def _forget_card(context: ContextTypes.DEFAULT_TYPE, chat_id: int, state: dict) -> None:
    """The previous card and its photos go away when the next one comes (no flood)."""
    ids = [i for i in state.get("card_messages") or [] if isinstance(i, int)]
    if ids:
        try:
            await context.bot.delete_messages(chat_id, ids)
        except TelegramError as exc:
            log.info("Old card messages not deleted: %s", exc)
        state["card_messages"] = []
