""""Мои брони" in the chat: upcoming and past bookings, one booking with what may be done to
it now (pay, cancel with the refund shown first, receipt PDF, .ics), and the owner's
"Принять"/"Отклонить" on bookings that wait for approval (the reason is asked for)."""

from __future__ import annotations

import time

from telegram import Update
from telegram.ext import ContextTypes

from coworking_app.bot import calls
from coworking_app.bot.dialog import dialogs
from coworking_app.bot.start import ask_to_sign_in
from coworking_app.bot.ui import Row, parse_int, show, site
from coworking_app.formatting import POLICY_LABELS, format_money, format_stay
from coworking_app.services.booking import bookings
from coworking_app.services.common.errors import ServiceError
from coworking_app.services.payments import documents, payments
from coworking_app.i18n import N_, tr

LIST_LIMIT = 10
MAX_REASON = 500
DONE = object()  # what `_run` gives back when it has already answered


async def _run(update: Update, context: ContextTypes.DEFAULT_TYPE, call, refusal: str = "",
               back: tuple[str, str] | None = (N_("« Мои брони"), "my"), new: bool = False):
    """The result of `call` (one of calls.*, which gives None for a chat not linked), or DONE
    when the chat was already answered: the service's refusal, or the way to sign in."""
    try:
        value = await call
    except ServiceError as exc:
        await show(update, f"{refusal}{exc.message}", [[back]] if back else None, new=new)
        return DONE
    if value is None:
        await ask_to_sign_in(update, context)
        return DONE
    return value


def _list(session, user, tab: str):
    if user is None:
        return None
    found = bookings.list_bookings(session, user, bookings.BookingFilter(tab=tab, limit=LIST_LIMIT))
    return bookings.booking_views(session, found, user)


async def my_bookings(update: Update, context: ContextTypes.DEFAULT_TYPE, tab: str = "upcoming") -> None:
    views = await _run(update, context, calls.read_as_person(update.effective_chat.id, lambda s, u: _list(s, u, tab)))
    if views is DONE:
        return
    other = ("past", tr("Прошедшие")) if tab == "upcoming" else ("upcoming", tr("Предстоящие"))
    rows: list[Row] = [[(f"№ {v.id} · {v.start:%d.%m %H:%M} · {v.space_name}"[:60], f"bk:{v.id}")] for v in views]
    rows.append([(other[1], f"my:{other[0][0]}"), (tr("« В меню"), "menu")])
    title = tr("Предстоящие брони") if tab == "upcoming" else tr("Прошедшие брони")
    empty = tr("Пока пусто.") if tab == "past" else tr("Предстоящих броней нет. Найдём коворкинг? /start")
    await show(update, f"{title}:" if views else f"{title}. {empty}", rows)


def _one(session, user, booking_id: int):
    if user is None:
        return None
    booking, _role = bookings.access_booking(session, user, booking_id)
    return bookings.booking_views(session, [booking], user)[0]


def booking_text(v) -> str:
    lines = [tr("Бронь № {id}: {status_label}", id=v.id, status_label=v.status_label), f"{v.space_name}, {v.resource_name}", v.space_address,
             format_stay(v.start, v.end), tr("Мест: {seats}", seats=v.seats), tr("Сумма: {format_money}", format_money=format_money(v.total, v.currency))]
    if v.paid:
        lines.append(tr("Оплачено: {format_money}", format_money=format_money(v.paid, v.currency)))
    if v.refunded:
        lines.append(tr("Возвращено: {format_money}", format_money=format_money(v.refunded, v.currency)))
    if v.expires_at and v.status == "pending_payment":
        lines.append(tr("Оплатите до {expires_at:%H:%M}, иначе бронь снимется.", expires_at=v.expires_at))
    if v.renter_name:
        lines.append(tr("Гость: {renter_name}", renter_name=v.renter_name))
    if v.cancel_reason:
        lines.append(tr("Причина: {cancel_reason}", cancel_reason=v.cancel_reason))
    lines.append(tr("Условия отмены: {get}", get=POLICY_LABELS.get(v.policy, v.policy)))
    return "\n".join(lines)


async def show_booking(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    view = await _run(update, context, calls.read_as_person(update.effective_chat.id, lambda s, u: _one(s, u, booking_id or 0)))
    if view is DONE:
        return
    rows: list[Row] = []
    if "pay" in view.actions:
        rows.append([(tr("Оплатить"), f"pay:{view.id}")])
    if "accept" in view.actions:
        rows.append([(tr("Принять"), f"acc:{view.id}"), (tr("Отклонить"), f"rej:{view.id}")])
    if "cancel" in view.actions:
        rows.append([(tr("Отменить бронь"), f"cx:{view.id}")])
    files: Row = []
    if view.paid:
        files.append((tr("Чек (PDF)"), f"rc:{view.id}"))
    files.append((tr("В календарь (.ics)"), f"ic:{view.id}"))
    rows.append(files)
    rows.append([(tr("На сайте"), site("/cabinet/bookings")), (tr("« Мои брони"), "my")])
    await show(update, booking_text(view), rows)


async def ask_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    view = await _run(update, context, calls.read_as_person(update.effective_chat.id, lambda s, u: _one(s, u, booking_id or 0)))
    if view is DONE:
        return
    if "cancel" not in view.actions:
        await show(update, tr("Эту бронь уже нельзя отменить."), [[(tr("« Бронь"), f"bk:{view.id}")]])
        return
    if view.renter_name is not None:  # the host or an admin: the guest is told why
        await ask_reason(update, context, "cancel", view.id)
        return
    refund = (tr("Вернём {format_money} по условиям «{get}».", format_money=format_money(view.refund_if_cancelled_now, view.currency), get=POLICY_LABELS.get(view.policy, view.policy)) if view.paid else tr("Оплаты не было: возвращать нечего."))
    await show(update, tr("Отменить бронь № {id} ({space_name}, {format_stay})?\n{refund}", id=view.id, space_name=view.space_name, format_stay=format_stay(view.start, view.end), refund=refund),
               [[(tr("Да, отменить"), f"cy:{view.id}"), (tr("Нет"), f"bk:{view.id}")]])


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    def work(session, effects, user):
        if user is None:
            return None
        booking, refund = bookings.do_cancel_booking(session, effects, user, booking_id or 0)
        return booking.id, format_money(refund, booking.currency)
    done = await _run(update, context, calls.as_person(update.effective_chat.id, work), tr("Не получилось отменить: "))
    if done is DONE:
        return
    await show(update, tr("Бронь № {value} отменена. Возврат: {value2}.", value=done[0], value2=done[1]), [[(tr("« Мои брони"), "my")]])


async def pay(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    def work(session, effects, user):
        return None if user is None else payments.do_start_payment(session, user, booking_id or 0).payment_url
    url = await _run(update, context, calls.as_person(update.effective_chat.id, work), tr("Оплатить не получится: "))
    if url is DONE:
        return
    await show(update, tr("Бронь № {booking_id}: оплата на защищённой странице, как на сайте.", booking_id=booking_id),
               [[(tr("Оплатить"), site(url))], [(tr("« Мои брони"), "my")]], new=True)


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
    found = await _run(update, context, calls.as_person(update.effective_chat.id, receipt if kind == "rc" else ics))
    if found is DONE:
        return
    data, name = found
    if not data:
        await show(update, tr("Чек появится после оплаты."), [[(tr("« Бронь"), f"bk:{booking_id}")]])
        return
    caption = tr("Чек по брони") if kind == "rc" else tr("Откройте файл, чтобы добавить бронь в календарь")
    await update.effective_chat.send_document(document=bytes(data), filename=name, caption=caption)


# --- owners ---------------------------------------------------------------------------------


async def accept(update: Update, context: ContextTypes.DEFAULT_TYPE, booking_id: int | None) -> None:
    def work(session, effects, user):
        return None if user is None else bookings.do_accept_booking(session, effects, user, booking_id or 0).id
    done = await _run(update, context, calls.as_person(update.effective_chat.id, work),
                      tr("Не получилось принять бронь № {booking_id}: ", booking_id=booking_id), back=None, new=True)
    if done is DONE:
        return
    await show(update, tr("Бронь № {done} принята: гость получит подтверждение.", done=done), [[(tr("Бронь"), f"bk:{done}")]], new=True)


REASON_SECONDS = 600  # a reason asked for is awaited this long; a later text is just a text
_REASON_ACTIONS = {  # kind: (what to write, the confirming button, its callback prefix)
    "reject": (N_("причину отказа"), N_("Да, отклонить"), "rjy"),
    "cancel": (N_("причину отмены"), N_("Да, отменить"), "cxy"),
}


async def ask_reason(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, booking_id: int | None) -> None:
    """"Отклонить" (or an owner's "Отменить"): the reason comes as the next text message."""
    if booking_id is None or kind not in _REASON_ACTIONS:
        return
    await dialogs(context).update(update.effective_chat.id, awaiting={"kind": kind, "id": booking_id, "at": time.time()},
                                  reason=None)
    await show(update, tr("Бронь № {booking_id}: напишите {value} одним сообщением — гость увидит её в уведомлении, а деньги вернутся ему полностью.", booking_id=booking_id, value=_REASON_ACTIONS[kind][0]), [[(tr("Не надо"), f"bk:{booking_id}")]], new=True)


async def got_reason(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """A text while a reason is awaited: kept, and the action asked to be confirmed. False when
    no reason is awaited (or the question is older than REASON_SECONDS)."""
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    awaiting = state.get("awaiting") if isinstance(state.get("awaiting"), dict) else None
    if awaiting is None or time.time() - float(awaiting.get("at") or 0) > REASON_SECONDS:
        return False
    kind, booking_id = awaiting.get("kind"), parse_int(str(awaiting.get("id")))
    if kind not in _REASON_ACTIONS or booking_id is None:
        return False
    reason = text.strip()[:MAX_REASON]
    if not reason:
        await update.effective_chat.send_message(tr("Напишите причину текстом."))
        return True
    state.update(awaiting=None, reason={"kind": kind, "id": booking_id, "text": reason})
    await dialogs(context).save(chat_id, state)
    _what, button, prefix = _REASON_ACTIONS[kind]
    verb = tr("Отклонить") if kind == "reject" else tr("Отменить")
    await show(update, tr("{verb} бронь № {booking_id}?\nПричина: «{reason}»\nГостю вернётся всё, что он оплатил.", verb=verb, booking_id=booking_id, reason=reason),
               [[(button, f"{prefix}:{booking_id}"), (tr("Нет"), f"bk:{booking_id}")]], new=True)
    return True


async def act_with_reason(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, booking_id: int | None) -> None:
    """"Да, отклонить" / "Да, отменить": with the reason written for this very booking."""
    chat_id = update.effective_chat.id
    state = await dialogs(context).get(chat_id)
    kept = state.get("reason") if isinstance(state.get("reason"), dict) else {}
    if booking_id is None or kept.get("kind") != kind or kept.get("id") != booking_id or not kept.get("text"):
        await ask_reason(update, context, kind, booking_id)
        return
    reason = str(kept["text"])
    state["reason"] = None
    await dialogs(context).save(chat_id, state)

    def work(session, effects, user):
        if user is None:
            return None
        if kind == "reject":
            booking, refund = bookings.do_reject_booking(session, effects, user, booking_id, reason)
        else:
            booking, refund = bookings.do_cancel_booking(session, effects, user, booking_id, reason=reason)
        return booking.id, format_money(refund, booking.currency)
    verb = tr("отклонить") if kind == "reject" else tr("отменить")
    done = await _run(update, context, calls.as_person(chat_id, work), tr("Не получилось {verb} бронь № {booking_id}: ", verb=verb, booking_id=booking_id),
                      back=None)
    if done is DONE:
        return
    await show(update, tr("Бронь № {value} {value2}. Гостю вернётся {value3}.", value=done[0], value2=tr('отклонена') if kind == 'reject' else tr('отменена'), value3=done[1]), [[(tr("« Мои брони"), "my")]])
