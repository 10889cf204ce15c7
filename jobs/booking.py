"""Booking jobs: thin adapters around services.booking.bookings and services.payments.documents."""

from __future__ import annotations

from coworking_app.uow import run_use_case
from coworking_app.services.booking.bookings import do_complete_past, do_expire_holds, do_follow_up_hold
from coworking_app.services.payments.documents import do_issue_credit_note, do_issue_receipt


def _check_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise ValueError(f"expected a positive integer id, got {value!r}")
    return value


def hold_created(booking_id: int) -> str:
    """Queued by every new hold: its notice, and its release scheduled at expiry."""
    booking_id = _check_id(booking_id)
    return run_use_case(lambda s, fx: do_follow_up_hold(s, fx, booking_id))


def expire_hold(booking_id: int) -> int:
    """Scheduled at a hold's expiry (RQ scheduler): releases it if still unpaid."""
    booking_id = _check_id(booking_id)
    return run_use_case(lambda s, fx: do_expire_holds(s, fx, booking_id=booking_id))


def sweep_bookings() -> dict[str, int]:
    """Every minute (jobs.cron): overdue holds the scheduled job missed, and completion."""
    expired = run_use_case(do_expire_holds)
    completed = run_use_case(do_complete_past)
    return {"expired": expired, "completed": completed}


def render_receipt(booking_id: int) -> int | None:
    booking_id = _check_id(booking_id)
    document = run_use_case(lambda s, _fx: do_issue_receipt(s, booking_id))
    return document.number if document else None


def render_credit_note(refund_id: int) -> int | None:
    refund_id = _check_id(refund_id)
    document = run_use_case(lambda s, _fx: do_issue_credit_note(s, refund_id))
    return document.number if document else None
