""""Мои брони" in the chat: upcoming and past bookings, one booking with what may be done to
it now (pay, cancel with the refund shown first, receipt PDF, .ics), and the owner's
"Принять"/"Отклонить" on bookings that wait for approval (the reason is asked for)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from coworking_app.bot import calls
from coworking_app.bot.search import dialogs
from coworking_app.bot.start import ask_to_sign_in
from coworking_app.bot.ui import Row, show, site
from coworking_app.formatting import POLICY_LABELS, format_money, format_stay
from coworking_app.services.booking import bookings
from coworking_app.services.common.errors import ServiceError
from coworking_app.services.payments import documents, payments

LIST_LIMIT = 10
DONE = object()  # what `_run` gives back when it has already answered


async def _run(update: Update, call, refusal: str = "", back: tuple[str, str] = ("« Мои брони", "my")):
    """The result of `call` (one of calls.*, which gives None for a chat not linked), or DONE
    when the chat was already answered: the service's refusal, or the way to sign in."""
    try:
        value = await call
    except ServiceError as exc:
        await show(update, f"{refusal}{exc.message}", [[back]] if back else None)
        return DONE
    if value is None:
        await ask_to_sign_in(update)
        return DONE
    return value


def _list(session, user, tab: str):
    if user is None:
        return None
    found = bookings.list_bookings(session, user, bookings.BookingFilter(tab=tab, limit=LIST_LIMIT))
    return bookings.booking_views(session, found, user)


async def my_bookings(update: Update, context: ContextTypes.DEFAULT_TYPE, tab: str = "upcoming") -> None:
    views = await _run(update, calls.read_as_person(update.effective_chat.id, lambda s, u: _list(s, u, tab)))
    if views is DONE:
        return
    other = ("past", "Прошедшие") if tab == "upcoming" else ("upcoming", "Предстоящие")
    rows: list[Row] = [[(f"№ {v.id} · {v.start:%d.%m %H:%M} · {v.space_name}"[:60], f"bk:{v.id}")] for v in views]
    rows.append([(other[1], f"my:{other[0][0]}"), ("« В меню", "menu")])
    title = "Предстоящие брони" if tab == "upcoming" else "Прошедшие брони"
    empty = "Пока пусто." if tab == "past" else "Предстоящих броней нет. Найдём коворкинг? /start"
    await show(update, f"{title}:" if views else f"{title}. {empty}", rows)


def _one(session, user, booking_id: int):
    if user is None:
        return None
    booking, _role = bookings.access_booking(session, user, booking_id)
    return bookings.booking_views(session, [booking], user)[0]


def booking_text(v) -> str:
    lines = [f"Бронь № {v.id}: {v.status_label}", f"{v.space_name}, {v.resource_name}", v.space_address,
             format_stay(v.start, v.end), f"Мест: {v.seats}", f"Сумма: {format_money(v.total, v.currency)}"]
    if v.paid:
        lines.append(f"Оплачено: {format_money(v.paid, v.currency)}")
    if v.refunded:
        lines.append(f"Возвращено: {format_money(v.refunded, v.currency)}")
    if v.expires_at and v.status == "pending_payment":
        lines.append(f"Оплатите до {v.expires_at:%H:%M}, иначе бронь снимется.")
    if v.renter_name:
        lines.append(f"Гость: {v.renter_name}")
    if v.cancel_reason:
        lines.append(f"Причина: {v.cancel_reason}")
    lines.append(f"Условия отмены: {POLICY_LABELS.get(v.policy, v.policy)}")
    return "\n".join(lines)


async def show_booking(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    view = await _run(update, calls.read_as_person(update.effective_chat.id, lambda s, u: _one(s, u, booking_id or 0)))
    if view is DONE:
        return
    rows: list[Row] = []
    if "pay" in view.actions:
        rows.append([("Оплатить", f"pay:{view.id}")])
    if "accept" in view.actions:
        rows.append([("Принять", f"acc:{view.id}"), ("Отклонить", f"rej:{view.id}")])
    if "cancel" in view.actions:
        rows.append([("Отменить бронь", f"cx:{view.id}")])
    files: Row = []
    if view.paid:
        files.append(("Чек (PDF)", f"rc:{view.id}"))
    files.append(("В календарь (.ics)", f"ic:{view.id}"))
    rows.append(files)
    rows.append([("На сайте", site("/cabinet/bookings")), ("« Мои брони", "my")])
    await show(update, booking_text(view), rows)


async def ask_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    view = await _run(update, calls.read_as_person(update.effective_chat.id, lambda s, u: _one(s, u, booking_id or 0)))
    if view is DONE:
        return
    if "cancel" not in view.actions:
        await show(update, "Эту бронь уже нельзя отменить.", [[("« Бронь", f"bk:{view.id}")]])
        return
    refund = (f"Вернём {format_money(view.refund_if_cancelled_now, view.currency)} "
              f"по условиям «{POLICY_LABELS.get(view.policy, view.policy)}»." if view.paid else "Оплаты не было: возвращать нечего.")
    await show(update, f"Отменить бронь № {view.id} ({view.space_name}, {format_stay(view.start, view.end)})?\n{refund}",
               [[("Да, отменить", f"cy:{view.id}"), ("Нет", f"bk:{view.id}")]])


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    def work(session, effects, user):
        if user is None:
            return None
        booking, refund = bookings.do_cancel_booking(session, effects, user, booking_id or 0)
        return booking.id, format_money(refund, booking.currency)
    done = await _run(update, calls.as_person(update.effective_chat.id, work), "Не получилось отменить: ")
    if done is DONE:
        return
    await show(update, f"Бронь № {done[0]} отменена. Возврат: {done[1]}.", [[("« Мои брони", "my")]])


async def pay(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    def work(session, effects, user):
        return None if user is None else payments.do_start_payment(session, user, booking_id or 0).payment_url
    url = await _run(update, calls.as_person(update.effective_chat.id, work), "Оплатить не получится: ")
    if url is DONE:
        return
    await show(update, f"Бронь № {booking_id}: оплата на защищённой странице, как на сайте.",
               [[("Оплатить", site(url))], [("« Мои брони", "my")]])


async def send_file(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, booking_id: int | None) -> None:
    def receipt(session, effects, user):
        if user is None:
            return None
        booking = documents.access_receipt(session, user, booking_id or 0)
        document = documents.do_issue_receipt(session, booking.id)
        if document is None:
            return b"", ""
        return document.pdf, f"receipt-R-{document.number:06d}.pdf"

    def ics(session, effects, user):
        if user is None:
            return None
        booking, _role = bookings.access_booking(session, user, booking_id or 0)
        return documents.booking_ics(session, booking), f"booking-{booking.id}.ics"
    found = await _run(update, calls.as_person(update.effective_chat.id, receipt if kind == "rc" else ics))
    if found is DONE:
        return
    data, name = found
    if not data:
        await show(update, "Чек появится после оплаты.", [[("« Бронь", f"bk:{booking_id}")]])
        return
    caption = "Чек по брони" if kind == "rc" else "Откройте файл, чтобы добавить бронь в календарь"
    await update.effective_chat.send_document(document=bytes(data), filename=name, caption=caption)


# --- owners ---------------------------------------------------------------------------------


async def accept(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    def work(session, effects, user):
        return None if user is None else bookings.do_accept_booking(session, effects, user, booking_id or 0).id
    done = await _run(update, calls.as_person(update.effective_chat.id, work),
                      f"Не получилось принять бронь № {booking_id}: ", back=None)
    if done is DONE:
        return
    await show(update, f"Бронь № {done} принята: гость получит подтверждение.", [[("Бронь", f"bk:{done}")]])


async def ask_reject_reason(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    chat_id = update.effective_chat.id
    if booking_id is None:
        return
    await dialogs(context).update(chat_id, awaiting=f"reject:{booking_id}")
    await show(update, f"Бронь № {booking_id}: напишите причину отказа одним сообщением — гость увидит её "
                       "в уведомлении. Деньги вернутся ему полностью.", [[("Не отклонять", f"bk:{booking_id}")]])


async def reject(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int, reason: str) -> None:
    def work(session, effects, user):
        if user is None:
            return None
        booking, refund = bookings.do_reject_booking(session, effects, user, booking_id, reason)
        return booking.id, format_money(refund, booking.currency)
    done = await _run(update, calls.as_person(update.effective_chat.id, work),
                      f"Не получилось отклонить бронь № {booking_id}: ", back=None)
    if done is DONE:
        return
    await show(update, f"Бронь № {done[0]} отклонена. Гостю вернётся {done[1]}.", new=True)
