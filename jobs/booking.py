"""Booking jobs: thin adapters around services.booking.bookings and services.payments.documents."""

from __future__ import annotations

from coworking_app.uow import run_use_case
from coworking_app.services.booking.bookings import (
    do_complete_past,
    do_expire_holds,
    do_follow_up_holds,
    holds_without_follow_up,
)
from coworking_app.services.booking.checkin import do_release_no_shows
from coworking_app.services.booking.waitlist import do_offer_freed_seats, lines_waiting
from coworking_app.services.messaging.reminders import do_warn_expiring_holds
from coworking_app.services.payments.documents import do_issue_credit_note, do_issue_receipt


def _check_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise ValueError(f"expected a positive integer id, got {value!r}")
    return value


def follow_up_holds(booking_ids: list[int]) -> dict[int, str]:
    """A batch of the "holds" list (jobs.batches.drain): the holds' notices, their release
    scheduled (bookings.do_follow_up_holds)."""
    return run_use_case(lambda s, fx: do_follow_up_holds(s, fx, booking_ids))


def hold_created(booking_id: int) -> str:
    """The follow-up of one hold (a batch of one): what jobs queued before holds were batched
    run, and a way to run it by hand."""
    booking_id = _check_id(booking_id)
    return follow_up_holds([booking_id])[booking_id]


def release_expired_holds() -> int:
    """Scheduled by the holds' follow-up, one per HOLD_RELEASE_STEP seconds of expiry times:
    releases every hold overdue by then (bookings.do_expire_holds)."""
    return run_use_case(do_expire_holds)


def expire_hold(booking_id: int) -> int:
    """One hold's release: what jobs scheduled before releases were batched run."""
    booking_id = _check_id(booking_id)
    return run_use_case(lambda s, fx: do_expire_holds(s, fx, booking_id=booking_id))


def sweep_bookings() -> dict[str, int]:
    """Every minute (jobs.cron): overdue holds the release jobs missed, holds whose follow-up
    was lost (Redis lost the "holds" list, a batch failed), completion, no-shows released
    (checkin.do_release_no_shows) and the waitlists of resources someone waits for."""
    expired = run_use_case(do_expire_holds)
    lost = run_use_case(lambda s, _fx: holds_without_follow_up(s))
    followed = follow_up_holds(lost) if lost else {}
    completed = run_use_case(do_complete_past)
    released = run_use_case(do_release_no_shows)
    offered = offer_waitlist(run_use_case(lambda s, _fx: lines_waiting(s)))
    return {"expired": expired, "followed_up": len(followed), "completed": completed, "no_shows_released": released,
            "offered": offered}


def offer_waitlist(resource_ids: list[int]) -> int:
    """A batch of the "freed" list (jobs.batches.drain): resources where seats may have freed
    up; each one's waitlist is walked in a transaction of its own (waitlist.do_offer_freed_seats).
    Returns the entries offered a hold."""
    offered = 0
    for resource_id in sorted(set(resource_ids)):
        resource_id = _check_id(resource_id)
        offered += len(run_use_case(lambda s, fx: do_offer_freed_seats(s, fx, resource_id)))
    return offered


def warn_expiring_holds() -> int:
    """Every minute (jobs.cron): unpaid holds about to lapse get their warning."""
    return run_use_case(do_warn_expiring_holds)


def render_receipt(booking_id: int) -> int | None:
    booking_id = _check_id(booking_id)
    document = run_use_case(lambda s, _fx: do_issue_receipt(s, booking_id))
    return document.number if document else None


def render_credit_note(refund_id: int) -> int | None:
    refund_id = _check_id(refund_id)
    document = run_use_case(lambda s, _fx: do_issue_credit_note(s, refund_id))
    return document.number if document else None
