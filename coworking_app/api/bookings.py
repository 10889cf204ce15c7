"""Bookings, availability, payments, receipts and calendars: thin adapters over services."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from coworking_app import alerts
from coworking_app.api.deps import (
    Client,
    CurrentUser,
    DbSession,
    ReadSession,
    Uow,
    bearer_caller,
    header_user_id,
    in_worker_thread,
)
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.booking import bookings as svc
from coworking_app.services.payments import checkout, documents, payments, yookassa
from coworking_app.services.booking.availability import ResourceSlots, public_day_slots
from coworking_app.services.common.errors import InvalidInput, PermissionDenied
from coworking_app.services.common.fields import Day, Id, Text
from coworking_app.services.booking.pricing import PriceBreakdown
from coworking_app.uow import run_use_case
from coworking_app.i18n import tr

router = APIRouter(tags=["bookings"], route_class=EdgeRoute, responses=SIGNED_IN)
_CONFLICT = responses(409)
_PDF = {200: {"content": {"application/pdf": {}}, "description": "The PDF document"}}
_ICS = {200: {"content": {"text/calendar": {}}, "description": "An iCalendar file"}}


class Availability(BaseModel):
    space_id: int
    date: date
    timezone: str
    resources: list[ResourceSlots]


@router.get("/spaces/{space_id}/availability", response_model=Availability,
            responses=responses(404, 422))
def availability(session: ReadSession, space_id: PathId, date: Day,
                 resource_id: Id | None = None) -> Availability:
    space, resources = public_day_slots(session, space_id, date, resource_id)
    return Availability(space_id=space.id, date=date, timezone=space.timezone, resources=resources)


class Money(BaseModel):
    amount: int
    currency: str


class PriceOut(BaseModel):
    subtotal: int
    addons: int
    discount: int
    vat: int
    total: int
    currency: str
    breakdown: PriceBreakdown


class BookingCreated(BaseModel):
    id: int
    status: str
    expires_at: str | None
    price: PriceOut


def _price(breakdown: dict) -> PriceOut:
    b = PriceBreakdown.model_validate(breakdown)
    return PriceOut(subtotal=b.subtotal, addons=b.addons, discount=b.discount, vat=b.vat,
                    total=b.total, currency=b.currency, breakdown=b)


@router.post("/bookings/quote", response_model=PriceOut, responses=_CONFLICT)
def quote(session: DbSession, user: CurrentUser, body: svc.BookingRequest) -> PriceOut:
    """The exact price of a booking request, without holding anything."""
    q = svc.quote_booking(session, user, body)
    short = q.shortage()
    if short is not None:
        raise short
    return _price(q.price.model_dump())


@router.post("/bookings", status_code=status.HTTP_201_CREATED, response_model=BookingCreated,
             responses=_CONFLICT)
async def create_booking(body: svc.BookingRequest,
                         authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
                         ) -> JSONResponse:
    # The hot path: authentication and the booking share one session and one thread hop
    # (FastAPI runs every sync dependency in its own hop: 3 more per request).
    booking = await in_worker_thread(_create_booking, body, authorization)
    # BookingCreated's JSON, built from the stored breakdown (already JSON) rather than
    # validated into models and serialised again (the response_model documents it).
    price = booking.price
    return JSONResponse(status_code=status.HTTP_201_CREATED, content={
        "id": booking.id, "status": booking.status,
        "expires_at": booking.expires_at.isoformat() if booking.expires_at else None,
        "price": {**{k: price[k] for k in _PRICE_TOTALS}, "breakdown": price},
    })


_PRICE_TOTALS = ("subtotal", "addons", "discount", "vat", "total", "currency")


def _create_booking(body: svc.BookingRequest, authorization: str | None) -> svc.NewBooking:
    # Its own unit of work, begun as the token's user (one audit statement with BEGIN).
    return run_use_case(
        lambda s, fx: svc.do_create_booking(s, fx, bearer_caller(s, authorization), body),
        actor_id=header_user_id(authorization))


@router.get("/bookings", response_model=list[svc.BookingView])
def list_bookings(session: DbSession, user: CurrentUser,
                  flt: Annotated[svc.BookingFilter, Query()]) -> list[svc.BookingView]:
    return svc.booking_views(session, svc.list_bookings(session, user, flt), user)


# Before /bookings/{booking_id}: "12.ics" must not reach the integer route.
@router.get("/bookings/{booking_id}.ics", response_class=Response, responses=_ICS)
def booking_ics(session: DbSession, user: CurrentUser, booking_id: PathId) -> Response:
    booking, _role = svc.access_booking(session, user, booking_id)
    return Response(documents.booking_ics(session, booking), media_type="text/calendar",
                     headers={"Content-Disposition": f'attachment; filename="booking-{booking.id}.ics"'})


@router.get("/bookings/{booking_id}", response_model=svc.BookingView)
def get_booking(session: DbSession, user: CurrentUser, booking_id: PathId) -> svc.BookingView:
    booking, _role = svc.access_booking(session, user, booking_id)
    return svc.booking_views(session, [booking], user)[0]


class ChangeOut(BaseModel):
    booking: svc.BookingView
    difference: Money


class ChangeQuoteOut(BaseModel):
    """What PATCH /bookings/{id} with the same body would do now."""

    start: str  # the new interval in the space's time, with its offset
    end: str
    seats: int
    free_seats: int
    price: PriceOut  # the new price (same add-ons and promo code)
    old_total: int
    difference: int  # new total - old total
    to_pay: int  # to be paid before a dearer change of a paid booking applies
    refund: int  # given back at once for a cheaper change of a paid booking
    refund_percent: int  # of the difference, under the cancellation policy now
    applies_now: bool
    needs_approval: bool  # the owner confirms the changed booking again
    currency: str


@router.post("/bookings/{booking_id}/change-quote", response_model=ChangeQuoteOut, responses=_CONFLICT)
def change_quote(session: DbSession, user: CurrentUser, booking_id: PathId,
                 body: svc.BookingChange) -> ChangeQuoteOut:
    """The preview of a change: the new price and the difference (to pay, or to be refunded
    under the cancellation policy), computed as the change itself would be; writes nothing."""
    q = svc.quote_change(session, user, booking_id, body)
    short = q.shortage()
    if short is not None:
        raise short
    zone = q.interval.zone
    return ChangeQuoteOut(
        start=q.interval.start.astimezone(zone).isoformat(), end=q.interval.end.astimezone(zone).isoformat(),
        seats=q.seats, free_seats=q.free_seats, price=_price(q.price.model_dump()),
        old_total=q.old_total, difference=q.difference, to_pay=q.to_pay, refund=q.refund,
        refund_percent=q.refund_percent, applies_now=q.applies_now, needs_approval=q.needs_approval,
        currency=q.currency)


@router.patch("/bookings/{booking_id}", response_model=ChangeOut, responses=_CONFLICT)
def modify_booking(uow: Uow, user: CurrentUser, booking_id: PathId,
                   body: svc.BookingChange) -> ChangeOut:
    def work(s, fx):
        booking, difference = svc.do_modify_booking(s, fx, user, booking_id, body)
        return ChangeOut(booking=svc.booking_views(s, [booking], user)[0],
                         difference=Money(amount=difference, currency=booking.currency))
    return uow.run(work)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text(500) | None = None


class CancelOut(BaseModel):
    status: str
    refund: Money


@router.post("/bookings/{booking_id}/cancel", response_model=CancelOut, responses=_CONFLICT)
def cancel_booking(uow: Uow, user: CurrentUser, booking_id: PathId,
                   body: Reason | None = None) -> CancelOut:
    booking, refund = uow.run(lambda s, fx: svc.do_cancel_booking(s, fx, user, booking_id,
                                                                  reason=body.reason if body else None))
    return CancelOut(status=booking.status, refund=Money(amount=refund, currency=booking.currency))


@router.post("/bookings/{booking_id}/accept", response_model=svc.BookingView, responses=_CONFLICT)
def accept_booking(uow: Uow, user: CurrentUser, booking_id: PathId) -> svc.BookingView:
    return uow.run(lambda s, fx: svc.booking_views(s, [svc.do_accept_booking(s, fx, user, booking_id)], user)[0])


@router.post("/bookings/{booking_id}/reject", response_model=CancelOut, responses=_CONFLICT)
def reject_booking(uow: Uow, user: CurrentUser, booking_id: PathId,
                   body: Reason | None = None) -> CancelOut:
    booking, refund = uow.run(lambda s, fx: svc.do_reject_booking(s, fx, user, booking_id,
                                                                  body.reason if body else None))
    return CancelOut(status=booking.status, refund=Money(amount=refund, currency=booking.currency))


@router.post("/bookings/{booking_id}/no-show", response_model=svc.BookingView, responses=_CONFLICT)
def no_show(uow: Uow, user: CurrentUser, booking_id: PathId) -> svc.BookingView:
    return uow.run(lambda s, fx: svc.booking_views(s, [svc.do_mark_no_show(s, fx, user, booking_id)], user)[0])


class PaymentOut(BaseModel):
    payment_id: int
    payment_url: str
    amount: int
    currency: str
    provider: str
    status: str


def payment_out(payment) -> PaymentOut:
    return PaymentOut(payment_id=payment.id, payment_url=payment.payment_url,
                      amount=payment.amount_minor, currency=payment.currency,
                      provider=payment.provider, status=payment.status)


@router.post("/bookings/{booking_id}/pay", response_model=PaymentOut, responses=responses(409, 502))
def pay(uow: Uow, user: CurrentUser, booking_id: PathId) -> PaymentOut:
    return payment_out(uow.run(lambda s, _fx: payments.do_start_payment(s, user, booking_id)))


class TestOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["succeeded", "declined"]


@router.post("/payments/test/{payment_id}/complete", response_model=PaymentOut, responses=_CONFLICT)
def complete_test_payment(uow: Uow, user: CurrentUser, payment_id: PathId,
                          body: TestOutcome) -> PaymentOut:
    """The offline test provider's "pay" / "decline" buttons (no Stripe key configured)."""
    return payment_out(uow.run(
        lambda s, fx: checkout.do_complete_test_payment(s, fx, user, payment_id, body.outcome)))


@router.post("/payments/stripe/webhook", include_in_schema=False)
async def stripe_webhook(request: Request,
                         stripe_signature: Annotated[str | None, Header()] = None) -> dict:
    payload = await request.body()  # the raw bytes: the signature covers them exactly
    try:
        event = payments.check_stripe_event(payload, stripe_signature)
    except InvalidInput as exc:  # a delivery we refuse is a 400 (not the API's usual 422)
        await run_in_threadpool(alerts.alert, "payment_webhook",
                                tr("Stripe webhook отклонён: {message_}", message_=exc.message), f"stripe:{exc.field}")
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    outcome = await run_in_threadpool(
        run_use_case, lambda s, fx: payments.do_handle_stripe_event(s, fx, event))
    return {"received": True, "result": outcome}


@router.post("/payments/yookassa/notifications", include_in_schema=False)
async def yookassa_notification(request: Request, client: Client) -> dict:
    """YooKassa's HTTP notifications: nothing in them is believed but the object's id,
    which is read back from the API (services/payments/yookassa.py). Any answer but 200
    makes YooKassa deliver again (for 24 hours)."""
    payload = await request.body()
    try:
        notice = await run_in_threadpool(yookassa.check_yookassa_notification, payload, client.ip)
    except (InvalidInput, PermissionDenied) as exc:  # a refused delivery: 400 or 403
        await run_in_threadpool(alerts.alert, "payment_webhook",
                                tr("Уведомление ЮKassa отклонено ({ip}): {message_}", ip=client.ip, message_=exc.message),
                                f"yookassa:{type(exc).__name__}")
        status_code = 403 if isinstance(exc, PermissionDenied) else 400
        return JSONResponse(status_code=status_code, content={"detail": exc.message})

    outcome = await run_in_threadpool(
        run_use_case, lambda s, fx: yookassa.do_handle_yookassa_notification(s, fx, notice))
    return {"received": True, "result": outcome}


def _pdf(document, filename: str) -> Response:
    return Response(document.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })


@router.get("/bookings/{booking_id}/receipt.pdf", response_class=Response, responses={**_PDF, **_CONFLICT})
def receipt(session: DbSession, user: CurrentUser, booking_id: PathId) -> Response:
    booking = documents.access_receipt(session, user, booking_id)
    document = documents.do_issue_receipt(session, booking.id)
    return _pdf(document, f"receipt-R-{document.number:06d}.pdf")


@router.get("/bookings/{booking_id}/credit-notes/{refund_id}.pdf", response_class=Response,
            responses={**_PDF, **_CONFLICT})
def credit_note(session: DbSession, user: CurrentUser, booking_id: PathId, refund_id: PathId) -> Response:
    """The credit note of one refund (ids in the booking's `credit_notes`)."""
    refund = documents.access_credit_note(session, user, booking_id, refund_id)
    document = documents.do_issue_credit_note(session, refund.id)
    return _pdf(document, f"credit-note-CN-{document.number:06d}.pdf")


class FeedOut(BaseModel):
    url: str


@router.get("/me/calendar", response_model=FeedOut)
def my_feed(user: CurrentUser, request: Request) -> FeedOut:
    """The private iCal feed URL to paste into Google/Outlook/Apple calendars."""
    return FeedOut(url=str(request.base_url).rstrip("/") + documents.calendar_feed_path(user))


@router.get("/calendar/{feed_id}.ics", include_in_schema=False)
def feed(session: ReadSession, feed_id: Annotated[str, Path(max_length=80)]) -> Response:
    user = documents.access_feed_user(session, feed_id)
    return Response(documents.feed_ics(session, user), media_type="text/calendar")
