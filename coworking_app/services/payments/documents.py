"""Receipts and credit notes (PDF, fpdf2 with an embedded DejaVu font for Cyrillic) and
calendar files (.ics per booking, a private iCal feed per user)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlmodel import Session

from coworking_app.formatting import (BOOKING_STATUS_LABELS as STATUS_LABELS, PLAN_KIND_LABELS, day_pattern,
                                      format_moment, format_money)
from coworking_app.services.booking.booking_states import booking_refusal
from coworking_app.services.booking.bookings import access_booking
from coworking_app.services.booking.checkin import checkin_url
from coworking_app.services.common.qr import qr_matrix
from coworking_app.services.common.errors import NotFound
from coworking_app.services.common.numbering import next_number
from coworking_app.services.common.pdf import DejaVuPdf
from coworking_app.services.finance.penalties import booking_penalties
from coworking_app.services.plans.purchases import access_purchase
from coworking_app.settings import get_settings
from models import (
    Booking,
    BookingStatus,
    Document,
    DocumentKind,
    Payment,
    PaymentStatus,
    PenaltyStatus,
    PlanPurchase,
    Refund,
    Resource,
    Space,
    User,
)
from coworking_app import i18n
from coworking_app.i18n import Labels, N_, tr

SELLER = N_("Коворкинг-маркетплейс")


def money(amount: int, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 100)
    return f"{sign}{whole:,}.{minor:02d} {currency}".replace(",", " ")


class _Pdf(DejaVuPdf):
    def __init__(self) -> None:
        super().__init__()
        self.add_page()
        self.set_font("DejaVu", size=10)

    def row(self, label: str, value: str, bold: bool = False) -> None:
        self.set_font("DejaVu", "B" if bold else "", 10)
        self.cell(120, 7, label)
        self.cell(0, 7, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime(day_pattern() + " %H:%M %Z (UTC%z)")


def _heading(pdf: _Pdf, title: str, zone: str, renter: User, space: Space) -> None:
    """A document's top: its title and number, the date, seller, buyer, the space."""
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, tr("Дата: {local}", local=_local(datetime.now(timezone.utc), zone)), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, tr("Продавец: {seller}", seller=tr(SELLER)), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, tr("Покупатель: {full_name} <{email}>", full_name=renter.full_name, email=renter.email), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(0, 7, space.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, tr("Адрес: {address}", address=space.address), new_x="LMARGIN", new_y="NEXT")


def _render(kind: str, number: int, booking: Booking, space: Space, resource: Resource,
            renter: User, amount: int, reference: str, refund: Refund | None,
            kept: list[tuple[str, int]] = ()) -> bytes:
    pdf = _Pdf()
    title = tr("Кассовый чек / Receipt") if kind == DocumentKind.receipt else tr("Возврат / Credit note")
    prefix = "R" if kind == DocumentKind.receipt else "CN"
    _heading(pdf, tr("{title} № {number}", title=title, number=f"{prefix}-{number:06d}"), booking.timezone,
             renter, space)
    pdf.cell(0, 6, tr("Бронь № {id}: {name}, мест: {seats}", id=booking.id, name=resource.name, seats=booking.seats),
             new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, tr("С {local}", local=_local(booking.start_at, booking.timezone)), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, tr("До {local}", local=_local(booking.end_at, booking.timezone)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    price = booking.price
    currency = booking.currency
    if kind == DocumentKind.receipt:
        for line in price.get("lines", []):
            pdf.row(line["label"], money(line["amount"], currency))
        pdf.row(tr("Итого / Total"), money(booking.total_minor, currency), bold=True)
        vat_label = (tr("в т.ч. НДС {value:g} %", value=price.get('vat_rate_bp', 0) / 100) if price.get("vat_included")
                     else tr("НДС {value:g} %", value=price.get('vat_rate_bp', 0) / 100))
        pdf.row(vat_label if price.get("vat_rate_bp") else tr("Без НДС"), money(price.get("vat", 0), currency))
        pdf.row(tr("Оплачено / Paid"), money(amount, currency), bold=True)
    else:
        pdf.row(tr("Возврат по брони № {id}: {value}", id=booking.id, value=refund.reason if refund else ''),
                money(amount, currency), bold=True)
        for label, fee in kept:  # what the policy kept: a late cancellation or a no-show
            pdf.row(tr("Удержано: {lower}", lower=label.lower()), money(fee, currency))
        rate = price.get("vat_rate_bp", 0)
        if rate:
            vat_part = amount - (2 * amount * 10_000 + 10_000 + rate) // (2 * (10_000 + rate))
            pdf.row(tr("в т.ч. НДС {value:g} %", value=rate / 100), money(vat_part, currency))
    pdf.ln(4)
    pdf.multi_cell(0, 6, tr("Оплата: {reference}", reference=reference) if kind == DocumentKind.receipt
                   else tr("Возврат: {reference}", reference=reference),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, tr("Статус брони: {get}", get=STATUS_LABELS.get(booking.status, booking.status)),
             new_x="LMARGIN", new_y="NEXT")
    if kind == DocumentKind.receipt:
        _checkin_qr(pdf, checkin_url(booking))
    return bytes(pdf.output())


def _checkin_qr(pdf: _Pdf, url: str, size: float = 40.0) -> None:
    """The booking's check-in QR code (services/booking/checkin.py), drawn module by module."""
    matrix = qr_matrix(url)
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 6, tr("QR-код для входа"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, tr("Покажите его на ресепшене: администратор отметит ваш приход. Код действует до конца брони."), new_x="LMARGIN", new_y="NEXT")
    x, y, cell = pdf.l_margin, pdf.get_y() + 2, size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            if dark:
                pdf.rect(x + column * cell, y + row * cell, cell, cell, style="F")
    pdf.set_y(y + size + 2)


PAYMENT_METHODS = Labels({"stripe": N_("банковской картой онлайн"), "yookassa": N_("онлайн через ЮKassa"),
                   "account": N_("на счёт компании (по счёту на оплату)"),
                   "test": N_("тестовая оплата (деньги не списывались)")})


def payment_description(payment: Payment, zone: str) -> str:
    """A payment as a person reads it: "банковской картой онлайн, 1 200 ₽, 15.12.2025 10:03,
    операция pi_3N…" (the provider's id only where a bank or support could use it)."""
    parts = [PAYMENT_METHODS.get(payment.provider, tr("онлайн")),
             format_money(payment.amount_minor, payment.currency),
             format_moment(payment.updated_at or payment.created_at, zone, named=True)]
    if payment.provider != "test" and payment.provider_payment_id:
        parts.append(tr("операция {provider_payment_id}", provider_payment_id=payment.provider_payment_id))
    return ", ".join(parts)


def _refund_description(session: Session, refund: Refund, zone: str) -> str:
    payment = session.get(Payment, refund.payment_id)
    way = {"test": tr("тестовый возврат (деньги не списывались)"),
           "account": tr("на счёт компании: уменьшает её следующий счёт на оплату")}.get(
        payment.provider if payment else "", tr("на карту, которой оплачена бронь"))
    parts = [way, format_moment(refund.created_at, zone, named=True)]
    if payment is not None and payment.provider != "test" and refund.provider_refund_id:
        parts.append(tr("операция {provider_refund_id}", provider_refund_id=refund.provider_refund_id))
    return ", ".join(parts)


def do_issue_receipt(session: Session, booking_id: int) -> Document | None:
    """The receipt for everything paid so far; a new one only when more has been paid.
    None for a booking with nothing paid."""
    booking = session.get(Booking, booking_id, with_for_update=True)
    if booking is None or booking.paid_minor <= 0:
        return None
    latest = session.scalars(select(Document).where(
        Document.booking_id == booking.id, Document.kind == DocumentKind.receipt.value)
        .order_by(Document.id.desc())).first()
    if latest is not None and latest.amount_minor == booking.paid_minor:
        return latest
    payments = list(session.scalars(select(Payment).where(
        Payment.booking_id == booking.id, Payment.status == PaymentStatus.succeeded.value)
        .order_by(Payment.id)))
    number = next_number(session, DocumentKind.receipt.value)
    renter = session.get(User, booking.user_id)
    with i18n.use(renter.language):  # the document speaks its buyer's language
        reference = "; ".join(payment_description(p, booking.timezone) for p in payments) or "—"
        pdf = _render(DocumentKind.receipt.value, number, booking, session.get(Space, booking.space_id),
                      session.get(Resource, booking.resource_id), renter, booking.paid_minor, reference, None)
    document = Document(booking_id=booking.id, kind=DocumentKind.receipt.value, number=number,
                        amount_minor=booking.paid_minor, currency=booking.currency, pdf=pdf)
    session.add(document)
    session.flush()
    return document


def do_issue_credit_note(session: Session, refund_id: int) -> Document | None:
    refund = session.get(Refund, refund_id)
    if refund is None:
        return None
    existing = session.scalars(select(Document).where(Document.refund_id == refund.id)).first()
    if existing is not None:
        return existing
    booking = session.get(Booking, refund.booking_id, with_for_update=True)
    number = next_number(session, DocumentKind.credit_note.value)
    renter = session.get(User, booking.user_id)
    with i18n.use(renter.language):
        kept = [(p.kind_label, p.amount_minor) for p in booking_penalties(session, [booking.id]).get(booking.id, [])
                if p.status == PenaltyStatus.charged]
        pdf = _render(DocumentKind.credit_note.value, number, booking, session.get(Space, booking.space_id),
                      session.get(Resource, booking.resource_id), renter, refund.amount_minor,
                      _refund_description(session, refund, booking.timezone), refund, kept)
    document = Document(booking_id=booking.id, refund_id=refund.id, kind=DocumentKind.credit_note.value,
                        number=number, amount_minor=refund.amount_minor, currency=refund.currency, pdf=pdf)
    session.add(document)
    session.flush()
    return document


def _render_plan_receipt(number: int, purchase: PlanPurchase, space: Space, renter: User, held: str,
                         reference: str) -> bytes:
    pdf = _Pdf()
    _heading(pdf, tr("Кассовый чек / Receipt № R-{number:06d}", number=number), space.timezone, renter, space)
    kind = PLAN_KIND_LABELS.get(purchase.kind, purchase.kind)
    pdf.multi_cell(0, 6, tr("Абонемент № {id}: «{name}» ({lower})", id=purchase.id, name=purchase.name, lower=kind.lower())
                   + (tr(", закреплено: {held}", held=held) if held else ""), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, tr("С {local}", local=_local(purchase.starts_at, space.timezone)), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, tr("До {local}", local=_local(purchase.ends_at, space.timezone)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    currency, rate = purchase.currency, purchase.vat_rate_bp
    pdf.row(tr("Абонемент «{name}»", name=purchase.name)[:60], money(purchase.price_minor, currency))
    pdf.row(tr("Итого / Total"), money(purchase.price_minor, currency), bold=True)
    vat = purchase.price_minor - (2 * purchase.price_minor * 10_000 + 10_000 + rate) // (2 * (10_000 + rate)) \
        if rate else 0
    pdf.row(tr("в т.ч. НДС {value:g} %", value=rate / 100) if rate else tr("Без НДС"), money(vat, currency))
    pdf.row(tr("Оплачено / Paid"), money(purchase.price_minor, currency), bold=True)
    pdf.ln(4)
    pdf.multi_cell(0, 6, tr("Оплата: {reference}", reference=reference), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def do_issue_plan_receipt(session: Session, purchase_id: int) -> Document | None:
    """The receipt of a paid plan period (one per purchase); None while it is not paid."""
    purchase = session.get(PlanPurchase, purchase_id, with_for_update=True)
    if purchase is None or purchase.paid_at is None:
        return None
    existing = session.scalars(select(Document).where(Document.plan_purchase_id == purchase.id)).first()
    if existing is not None:
        return existing
    space = session.get(Space, purchase.space_id)
    payments = list(session.scalars(select(Payment).where(
        Payment.plan_purchase_id == purchase.id, Payment.status == PaymentStatus.succeeded.value,
        Payment.refunded_minor == 0).order_by(Payment.id)))
    held = session.get(Resource, purchase.resource_id).name if purchase.resource_id else ""
    number = next_number(session, DocumentKind.receipt.value)
    renter = session.get(User, purchase.user_id)
    with i18n.use(renter.language):
        reference = "; ".join(payment_description(p, space.timezone) for p in payments) or "—"
        pdf = _render_plan_receipt(number, purchase, space, renter, held, reference)
    document = Document(plan_purchase_id=purchase.id, kind=DocumentKind.receipt.value, number=number,
                        amount_minor=purchase.price_minor, currency=purchase.currency, pdf=pdf)
    session.add(document)
    session.flush()
    return document


def access_plan_receipt(session: Session, user: User | None, purchase_id: int) -> PlanPurchase:
    """The caller's own paid purchase, whose receipt they download (issued on demand)."""
    purchase = access_purchase(session, user, purchase_id)
    if purchase.paid_at is None:
        raise NotFound(tr("Чек появится после оплаты"))
    return purchase


def access_receipt(session: Session, user: User | None, booking_id: int) -> Booking:
    """The booking whose receipt the caller may download: its renter, the owner of its space
    or an admin (bookings.access_booking), once something was paid (the booking policy's
    "receipt"); else 401/403/404. Writes nothing: the download then takes the current
    receipt with `do_issue_receipt`, which issues it now if the job has not run yet, so a
    download never waits for the queue."""
    booking, role = access_booking(session, user, booking_id)
    if booking_refusal(booking, role, "receipt", now=datetime.now(timezone.utc)) is not None:
        raise NotFound(tr("Чек появится после оплаты"))
    return booking


def access_credit_note(session: Session, user: User | None, booking_id: int, refund_id: int) -> Refund:
    """The refund whose credit note the caller may download: a refund of a booking they may
    see (bookings.access_booking); else 401/403/404. Writes nothing: the download takes the
    credit note with `do_issue_credit_note` (issued now if the job has not run yet)."""
    booking, _role = access_booking(session, user, booking_id)
    refund = session.get(Refund, refund_id) if 0 < refund_id < 2**31 else None
    if refund is None or refund.booking_id != booking.id:
        raise NotFound(tr("Документ не найден"))
    return refund


# --- calendars -------------------------------------------------------------------------------

CALENDAR_STATUSES = (BookingStatus.pending_payment, BookingStatus.paid, BookingStatus.confirmed,
                     BookingStatus.completed)


def _event(booking: Booking, space: Space, resource: Resource) -> Event:
    event = Event()
    event.add("uid", f"booking-{booking.id}@coworking")
    event.add("dtstamp", datetime.now(timezone.utc))
    event.add("dtstart", booking.start_at.astimezone(ZoneInfo(booking.timezone)))
    event.add("dtend", booking.end_at.astimezone(ZoneInfo(booking.timezone)))
    event.add("summary", f"{space.name}: {resource.name}")
    event.add("location", space.address)
    event.add("description", tr("Бронь № {id}, мест: {seats}. {base_url}/cabinet/bookings", id=booking.id, seats=booking.seats, base_url=get_settings().base_url))
    event.add("status", "CANCELLED" if booking.status == BookingStatus.cancelled else "CONFIRMED")
    return event


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Coworking marketplace//RU")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    return cal


def booking_ics(session: Session, booking: Booking) -> bytes:
    cal = _calendar(tr("Бронь"))
    cal.add_component(_event(booking, session.get(Space, booking.space_id),
                             session.get(Resource, booking.resource_id)))
    cal.add_missing_timezones()
    return cal.to_ical()


def calendar_token(user: User) -> str:
    """The feed URL's secret: an HMAC (SECRET_KEY) of the user id and of when the password
    last changed, so that a password change or reset, which ends every session, also gives
    a new feed URL (a leaked one stops working)."""
    key = get_settings().secret_key.encode()
    changed = user.password_changed_at.timestamp() if user.password_changed_at else ""
    return hmac.new(key, f"ical-feed:{user.id}:{changed}".encode(), hashlib.sha256).hexdigest()[:32]


def calendar_feed_path(user: User) -> str:
    return f"/api/v1/calendar/{user.id}-{calendar_token(user)}.ics"


def access_feed_user(session: Session, feed_id: str) -> User:
    user_part, _, token = feed_id.partition("-")
    ok = user_part.isascii() and user_part.isdigit() and 0 < len(user_part) < 10
    user = session.get(User, int(user_part)) if ok and int(user_part) < 2**31 else None
    if user is None or not hmac.compare_digest(token.encode(), calendar_token(user).encode()) or not user.is_active:
        raise NotFound(tr("Календарь не найден"))
    return user


def feed_ics(session: Session, user: User) -> bytes:
    cal = _calendar(tr("Мои брони"))
    rows = session.execute(
        select(Booking, Space, Resource).join(Space, Space.id == Booking.space_id)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(Booking.user_id == user.id, Booking.status.in_([s.value for s in CALENDAR_STATUSES]))
        .order_by(Booking.start_at.desc()).limit(500))
    for booking, space, resource in rows:
        cal.add_component(_event(booking, space, resource))
    cal.add_missing_timezones()
    return cal.to_ical()
