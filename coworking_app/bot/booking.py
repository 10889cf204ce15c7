"""Booking in the chat: the resource, a month calendar (past, closed and full days
disabled), the free start and end times of the day, seats, add-ons, the exact price, then
"Оплатить": the same payment page as the web (Stripe Checkout or the test provider). The
booking is the web's: the same services, and it shows in the cabinet."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from coworking_app.bot import calls
from coworking_app.bot.dialog import dialogs
from coworking_app.bot.start import ask_to_sign_in, show_menu
from coworking_app.bot.ui import Row, chunks, month_grid, show, site
from coworking_app.formatting import (ADDON_UNIT_LABELS, POLICY_LABELS, RESOURCE_KIND_LABELS, format_money,
                                      format_stay)
from coworking_app.services.booking import availability, bookings
from coworking_app.services.booking.pricing import AddonChoice
from coworking_app.services.catalog import owner_spaces, spaces
from coworking_app.services.common.errors import ServiceError
from coworking_app.services.payments import payments
from coworking_app.i18n import tr

MONTHS_AHEAD = 6
MAX_SEATS_BUTTONS = 8
SEAT_STEPS = (10, 12, 15, 20, 25, 30, 40, 50, 75, 100)


def _resources(session, space_id: int):
    """The space's resources bookable by the hour (what the chat offers: a day's times); those
    rented only by the day or month are booked on the site."""
    detail = spaces.get_published_space(session, space_id)
    hourly = [(r.id, r.name, r.kind, r.capacity, r.tariffs) for r in detail.resources
              if any(t.unit == "hour" for t in r.tariffs)]
    return detail.name, detail.bookable, hourly, len(detail.resources)


async def choose_resource(update: Update, context: ContextTypes.DEFAULT_TYPE, space_id: int | None) -> None:
    try:
        name, bookable, resources, every = await calls.read(lambda s: _resources(s, space_id or 0))
    except ServiceError as exc:
        await show(update, exc.message, [[(tr("« В меню"), "menu")]], new=True)
        return
    if not bookable or not every:
        await show(update, tr("«{name}» пока не принимает брони через CoSpace.", name=name), [[(tr("« В меню"), "menu")]], new=True)
        return
    if not resources:
        await show(update, tr("В «{name}» места сдаются по дням и месяцам: такие брони оформляются на сайте.", name=name),
                   [[(tr("Забронировать на сайте"), site(f"/spaces/{space_id}"))], [(tr("« В меню"), "menu")]], new=True)
        return
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    state.update(space_id=space_id, space_name=name, resource_id=None, day=None, start=None, end=None,
                 book_seats=1, addons=[], awaiting=None)
    await dialogs(context).save(chat_id, state)
    if len(resources) == 1:
        await choose_month(update, context, resources[0][0], None, new=True)
        return
    rows: list[Row] = []
    for resource_id, label, kind, capacity, tariffs in resources:
        price = min((t.price_minor for t in tariffs if t.unit == "hour"), default=None)
        suffix = tr(" · от {format_money}/ч", format_money=format_money(price, tariffs[0].currency)) if price is not None else ""
        rows.append([(f"{label} · {RESOURCE_KIND_LABELS.get(kind, kind)}{suffix}", f"rs:{resource_id}")])
    rows.append([(tr("« В меню"), "menu")])
    await show(update, tr("{name}: что бронируем?", name=name), rows, new=True)


def _month(session, space_id: int, resource_id: int, month: date | None, seats: int):
    """The resource's name, the space's today, the month shown (this one unless a month within
    MONTHS_AHEAD was asked for) and its days with free time."""
    found = availability.resource_of_space(session, space_id, resource_id)
    if found is None or not spaces.is_bookable(found[0]):
        return None
    space, resource = found
    today = availability.utcnow().astimezone(ZoneInfo(space.timezone)).date()
    if month is None or not today.replace(day=1) <= month <= _last_month(today):
        month = today.replace(day=1)
    first = max(month, today)
    last = date(month.year + (month.month == 12), month.month % 12 + 1, 1) - timedelta(days=1)
    free = set(availability.month_free_days(session, space, resource, first, last, seats)) if first <= last else set()
    return resource.name, today, month, free


def _last_month(today: date) -> date:
    return (today.replace(day=1) + timedelta(days=31 * MONTHS_AHEAD)).replace(day=1)


async def choose_month(update: Update, context: ContextTypes.DEFAULT_TYPE, resource_id: int | None,
                       month: date | None, *, new: bool = False) -> None:
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    space_id = state.get("space_id")
    resource_id = resource_id or state.get("resource_id")
    if not space_id or not resource_id:
        await show(update, tr("Выберите коворкинг заново: /start"))
        return
    seats = state.get("book_seats") or 1
    found = await calls.read(lambda s: _month(s, space_id, resource_id, month, seats))
    if found is None:
        await show(update, tr("Это место больше не бронируется. Выберите другое: /start"))
        return
    name, today, month, free = found
    last_month = _last_month(today)
    state.update(resource_id=resource_id, resource_name=name)
    await dialogs(context).save(chat_id, state)
    rows = month_grid(month, free, today, day_prefix="day:", nav_prefix="cal:", last_month=last_month)
    rows.append([(tr("« В меню"), "menu")])
    note = "" if free else tr("\nВ этом месяце свободных дней нет: посмотрите следующий.")
    await show(update, tr("{get}, {name}.\nВыберите день (точкой отмечены занятые и закрытые).{note}", get=state.get('space_name'), name=name, note=note), rows, new=new)


def _day(session, space_id: int, resource_id: int, day: date, seats: int):
    found = availability.resource_of_space(session, space_id, resource_id)
    if found is None or not spaces.is_bookable(found[0]):
        return None
    space, resource = found
    slots = availability.day_slots(session, space, [resource], day)[0].slots
    starts = [s.start for s in availability.start_choices(slots, seats)
              if availability.end_choices(slots, resource, s.start, seats)]
    return slots, starts, resource


async def choose_start(update: Update, context: ContextTypes.DEFAULT_TYPE, day: date | None) -> None:
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    day = day or (date.fromisoformat(state["day"]) if state.get("day") else None)
    if day is None or not state.get("resource_id"):
        await show(update, tr("Выберите день заново: /start"))
        return
    found = await calls.read(lambda s: _day(s, state["space_id"], state["resource_id"], day, state.get("book_seats") or 1))
    starts = found[1] if found else []
    if not starts:
        await show(update, tr("На {day:%d.%m} свободного времени нет. Выберите другой день.", day=day),
                   [[(tr("« Календарь"), f"cal:{day:%Y%m}")]])
        return
    state.update(day=day.isoformat(), starts=[s.isoformat() for s in starts], start=None, end=None)
    await dialogs(context).save(chat_id, state)
    rows = [[(f"{s:%H:%M}", f"st:{i}") for i, s in pair] for pair in chunks(list(enumerate(starts)), 4)]
    rows.append([(tr("« Календарь"), f"cal:{day:%Y%m}")])
    await show(update, tr("{day:%d.%m.%Y}: во сколько начинаем? Показано свободное время.", day=day), rows)


async def choose_end(update: Update, context: ContextTypes.DEFAULT_TYPE, index: int | None) -> None:
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    starts = state.get("starts") or []
    if index is None or index >= len(starts):
        await choose_start(update, context, None)
        return
    start = datetime.fromisoformat(starts[index])
    found = await calls.read(lambda s: _day(s, state["space_id"], state["resource_id"], start.date(),
                                            state.get("book_seats") or 1))
    if not found:
        await show(update, tr("Это место больше не бронируется: /start"))
        return
    slots, _starts, resource = found
    ends = availability.end_choices(slots, resource, start, state.get("book_seats") or 1)
    if not ends:
        await show(update, tr("С {start:%H:%M} время уже заняли. Выберите другое.", start=start), [[(tr("« Время"), "day:" + f"{start:%Y%m%d}")]])
        return
    state.update(start=start.isoformat(), ends=[e.isoformat() for e in ends], end=None)
    await dialogs(context).save(chat_id, state)
    rows = [[(("24:00" if e.hour == 0 and e.minute == 0 else f"{e:%H:%M}"), f"en:{i}") for i, e in pair]
            for pair in chunks(list(enumerate(ends)), 4)]
    rows.append([(tr("« Время начала"), f"day:{start:%Y%m%d}")])
    await show(update, tr("{start:%d.%m.%Y}, с {start:%H:%M}. До скольки?", start=start), rows)


def _capacity(session, space_id: int, resource_id: int, start: datetime, end: datetime):
    """Whether the resource is booked whole, the seats free through the whole chosen time,
    and the add-ons that apply to it."""
    found = availability.resource_of_space(session, space_id, resource_id)
    if found is None:
        return None
    space, resource = found
    slots = availability.day_slots(session, space, [resource], start.astimezone(ZoneInfo(space.timezone)).date())[0].slots
    free = min((slot.free_seats for slot in slots if start <= slot.start < end), default=0)
    addons = [(a.code, a.name, a.unit, a.price_minor, space.currency) for a in owner_spaces.list_addons(session, space.id)
              if not a.resource_kinds or resource.kind in a.resource_kinds]
    return availability.is_whole(resource), free, addons


def seat_options(free: int) -> list[int]:
    """1 to 8 one by one, then in steps a team would choose, up to the seats free."""
    return [n for n in (*range(1, MAX_SEATS_BUTTONS + 1), *SEAT_STEPS) if n <= free]


async def choose_seats(update: Update, context: ContextTypes.DEFAULT_TYPE, index: int | None) -> None:
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    ends = state.get("ends") or []
    if index is None or index >= len(ends) or not state.get("start"):
        await choose_end(update, context, None)
        return
    state["end"] = ends[index]
    start, end = datetime.fromisoformat(state["start"]), datetime.fromisoformat(state["end"])
    found = await calls.read(lambda s: _capacity(s, state["space_id"], state["resource_id"], start, end))
    if found is None:
        await show(update, tr("Это место больше не бронируется: /start"))
        return
    whole, free, addons = found
    state.update(addon_options=addons, max_seats=free, book_seats=1)
    await dialogs(context).save(chat_id, state)
    if whole or free <= 1:
        await choose_addons(update, context, None)
        return
    rows = [[(str(n), f"se:{n}") for n in row] for row in chunks(seat_options(free), 4)]
    await show(update, tr("Сколько мест? На это время свободно {free}.", free=free), rows)


async def set_seats(update: Update, context: ContextTypes.DEFAULT_TYPE, seats: int | None) -> None:
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    if seats is None or not 1 <= seats <= (state.get("max_seats") or 1):
        await show(update, tr("Выберите число мест кнопкой."))
        return
    state["book_seats"] = seats
    await dialogs(context).save(chat_id, state)
    await choose_addons(update, context, None)


async def choose_addons(update: Update, context: ContextTypes.DEFAULT_TYPE, toggle: int | None) -> None:
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    options = state.get("addon_options") or []
    if not options:
        await show_quote(update, context)
        return
    chosen = list(state.get("addons") or [])
    if toggle is not None and toggle < len(options):
        code = options[toggle][0]
        chosen = [c for c in chosen if c != code] if code in chosen else chosen + [code]
        state["addons"] = chosen
        await dialogs(context).save(chat_id, state)
    rows = [[(("✓ " if code in chosen else "") + f"{name} — {format_money(price, currency)} "
              f"{ADDON_UNIT_LABELS.get(unit, '')}", f"ad:{i}")]
            for i, (code, name, unit, price, currency) in enumerate(options)]
    rows.append([(tr("Дальше: цена"), "ad:ok")])
    await show(update, tr("Добавить что-нибудь к брони?"), rows)


def _chosen(state: dict) -> bool:
    """A resource and a time are chosen: the price can be shown."""
    return bool(state.get("resource_id") and state.get("start") and state.get("end"))


def _day_of(state: dict) -> str:
    """The button back to the chosen day's times."""
    return f"day:{datetime.fromisoformat(state['start']):%Y%m%d}"


def _request(state: dict) -> bookings.BookingRequest:
    return bookings.BookingRequest(
        resource_id=state["resource_id"], start=datetime.fromisoformat(state["start"]),
        end=datetime.fromisoformat(state["end"]), seats=state.get("book_seats") or 1,
        addons=[AddonChoice(code=c, quantity=1) for c in state.get("addons") or []])


def _quote(session, user, request: bookings.BookingRequest):
    quote = bookings.quote_booking(session, user, request)
    short = quote.shortage()
    if short is not None:
        raise short
    return quote


def quote_text(state: dict, quote) -> str:
    p = quote.price
    start, end = datetime.fromisoformat(state["start"]), datetime.fromisoformat(state["end"])
    lines = [f"{state.get('space_name')}, {state.get('resource_name')}", format_stay(start, end),
             tr("Мест: {seats}", seats=quote.seats), ""]
    lines += [f"{line.label}: {format_money(line.amount, p.currency)}" for line in p.lines]
    lines.append(tr("Итого: {format_money}", format_money=format_money(p.total, p.currency)))
    lines.append(tr("\nУсловия отмены: {get}", get=POLICY_LABELS.get(quote.space.cancellation_policy, '')).rstrip(": "))
    if not quote.space.instant_book:
        lines.append(tr("Бронь подтверждает владелец после оплаты; при отказе деньги вернутся полностью."))
    return "\n".join(lines)


async def show_quote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    if not _chosen(state):
        await show(update, tr("Выберите коворкинг и время заново: /start"))
        return
    try:
        request = _request(state)
        quote = await calls.read_as_person(chat_id, lambda s, u: _quote(s, u, request))
    except ServiceError as exc:
        await show(update, f"{exc.message}", [[(tr("« Выбрать другое время"), _day_of(state))]])
        return
    except ValueError:
        await show(update, tr("Выбор устарел. Начните заново: /start"))
        return
    # "Оплатить" names this very choice: a button under an older price books nothing.
    state["draft"] = secrets.token_hex(4)
    await dialogs(context).save(chat_id, state)
    await show(update, quote_text(state, quote), [
        [(tr("Оплатить"), f"ok:{state['draft']}")], [(tr("« Изменить время"), _day_of(state))],
        [(tr("Отмена"), "menu")]])


def _book(session, effects, user, request: bookings.BookingRequest):
    if user is None:
        return None
    booking = bookings.do_create_booking(session, effects, user, request)
    if booking.status != "pending_payment":
        return booking.id, booking.status, None, None
    payment = payments.do_start_payment(session, user, booking.id)
    return booking.id, booking.status, payment.payment_url, booking.expires_at


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: str) -> None:
    """"Оплатить" under the price: books the choice that price was for, once."""
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    if draft and draft == state.get("booked"):
        await show(update, tr("Эта бронь уже оформлена."), [[(tr("Мои брони"), "my")]])
        return
    if not _chosen(state) or not draft or draft != state.get("draft"):
        await show(update, tr("Эта цена устарела: выбор с тех пор изменился. Выберите время заново: /start"))
        return
    if not await dialogs(context).once(chat_id, f"book:{draft}"):
        await show(update, tr("Эта бронь уже оформлена."), [[(tr("Мои брони"), "my")]])
        return
    try:
        request = _request(state)
        made = await calls.as_person(chat_id, lambda s, fx, u: _book(s, fx, u, request))
    except ServiceError as exc:
        await show(update, tr("Не получилось забронировать: {message_}", message_=exc.message),
                   [[(tr("« Выбрать другое время"), _day_of(state))]])
        return
    if made is None:  # not linked yet: sign in on the site, then "Продолжить"
        await ask_to_sign_in(update, context)
        return
    booking_id, status, url, expires = made
    state.update(start=None, end=None, starts=None, ends=None, draft=None, booked=draft)
    await dialogs(context).save(chat_id, state)
    if url is None:
        await show(update, tr("Бронь № {booking_id} оформлена. Она уже в «Моих бронях» и в личном кабинете на сайте.", booking_id=booking_id),
                   [[(tr("Мои брони"), "my")]])
        return
    until = tr(" до {astimezone:%H:%M}", astimezone=expires.astimezone(request.start.tzinfo)) if expires else ""
    await show(update, tr("Бронь № {booking_id} создана и ждёт оплаты{until}. Оплата на защищённой странице, как на сайте; после оплаты пришлю подтверждение сюда.", booking_id=booking_id, until=until),
               [[(tr("Оплатить"), site(url))], [(tr("Мои брони"), "my")]])


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """"Продолжить" after signing in on the site: back to the price of the booking being made."""
    state = await dialogs(context).get(update.effective_chat.id)
    if _chosen(state):
        await show_quote(update, context)
        return
    await show_menu(update)
