"""/api/v1/bookings/series: recurring bookings (services/booking/series.py), paid with one
checkout (payments.do_start_series_payment), cancelled or moved together."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel

from coworking_app.api.bookings import PaymentOut, payment_out
from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.booking import bookings as svc
from coworking_app.services.booking import series
from coworking_app.services.payments import payments

router = APIRouter(tags=["bookings"], route_class=EdgeRoute, responses=SIGNED_IN)


class Occurrence(BaseModel):
    id: int
    start: datetime
    end: datetime
    status: str
    total_minor: int
    currency: str
    expires_at: datetime | None


class ConflictOut(BaseModel):
    start: datetime
    end: datetime
    reason: str


class SeriesCreated(BaseModel):
    series_id: int
    bookings: list[Occurrence]
    conflicts: list[ConflictOut]
    total_minor: int
    currency: str


class SeriesOut(BaseModel):
    id: int
    space_id: int
    space: str
    resource: str
    rule: str
    bookings: list[svc.BookingView]
    conflicts: list[ConflictOut]
    to_pay_minor: int
    currency: str
    payable: bool
    future: int  # live bookings still ahead


class SeriesCancelled(BaseModel):
    cancelled: list[int]
    refunded_minor: int


class SeriesMoved(BaseModel):
    changed: list[int]
    conflicts: list[ConflictOut]


def _conflicts(items) -> list[ConflictOut]:
    return [ConflictOut(start=c.start, end=c.end, reason=c.reason) for c in items]


@router.post("/bookings/series", status_code=status.HTTP_201_CREATED, response_model=SeriesCreated,
             responses=responses(409))
def create(body: series.SeriesRequest, user: CurrentUser, uow: Uow) -> SeriesCreated:
    """Books every occurrence of an RFC 5545 rule (`rrule`, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=8,
    at most 52) at the request's local times in the space's zone. Occurrences that fit are held
    together (pay them with POST /bookings/series/{id}/pay); the others are listed in
    `conflicts` with their reason. 409 when none fits."""
    def work(s, fx):
        made = series.do_create_series(s, fx, user, body)
        return SeriesCreated(
            series_id=made.series_id, total_minor=made.total_minor, currency=made.currency,
            bookings=[Occurrence(id=b.id, start=b.start_at, end=b.end_at, status=b.status, total_minor=b.total_minor,
                                 currency=b.currency, expires_at=b.expires_at) for b in made.bookings],
            conflicts=_conflicts(made.conflicts))
    return uow.run(work)


@router.get("/bookings/series/{series_id}", response_model=SeriesOut)
def read(series_id: PathId, user: CurrentUser, session: DbSession) -> SeriesOut:
    view = series.series_view(session, user, series_id)
    return SeriesOut(id=view.id, space_id=view.space_id, space=view.space, resource=view.resource, rule=view.rule,
                     bookings=svc.booking_views(session, view.bookings, user), conflicts=_conflicts(view.conflicts),
                     to_pay_minor=view.to_pay_minor, currency=view.currency, payable=view.payable, future=view.future)


@router.post("/bookings/series/{series_id}/pay", response_model=PaymentOut, responses=responses(409, 502))
def pay(series_id: PathId, user: CurrentUser, uow: Uow) -> PaymentOut:
    """One checkout for every unpaid occurrence still held (the same one within 25 minutes);
    `amount` is the checkout's total."""
    def work(s, _fx):
        lead = payments.do_start_series_payment(s, user, series_id)
        return payment_out(lead).model_copy(update={
            "amount": sum(row.amount_minor for row in payments.checkout_rows(s, lead))})
    return uow.run(work)


@router.post("/bookings/series/{series_id}/cancel", response_model=SeriesCancelled, responses=responses(409, 502))
def cancel(series_id: PathId, body: series.SeriesCancel, user: CurrentUser, uow: Uow) -> SeriesCancelled:
    """Cancels every occurrence still ahead, or those of `date_from`–`date_to` (local days),
    each under the cancellation policy (its own refund). One occurrence alone: POST
    /bookings/{id}/cancel."""
    def work(s, fx):
        out = series.do_cancel_series(s, fx, user, series_id, body)
        return SeriesCancelled(cancelled=out.changed, refunded_minor=out.refunded_minor)
    return uow.run(work)


@router.post("/bookings/series/{series_id}/reschedule", response_model=SeriesMoved, responses=responses(409, 502))
def reschedule(series_id: PathId, body: series.SeriesReschedule, user: CurrentUser, uow: Uow) -> SeriesMoved:
    """Moves every occurrence still ahead to `start_time`–`end_time` (local) of its own day,
    as a change of each booking (a dearer one waits for its payment); those that cannot move
    stay and are listed in `conflicts`."""
    def work(s, fx):
        out = series.do_reschedule_series(s, fx, user, series_id, body)
        return SeriesMoved(changed=out.changed, conflicts=_conflicts(out.conflicts))
    return uow.run(work)
