"""Email delivery: one job per notification row, retried with backoff on transient errors."""

from __future__ import annotations

from coworking_app.uow import run_use_case
from coworking_app.services.messaging.mailer import TransientMailError
from coworking_app.services.messaging.notifications import do_deliver_email, do_send_reminder

# RQ retries: 10 s, 1 min, 5 min, 30 min, 2 h; then the row is `failed` for the admins.
RETRY_INTERVALS = [10, 60, 300, 1800, 7200]


def deliver(notification_id: int) -> str:
    if not isinstance(notification_id, int) or isinstance(notification_id, bool) \
            or not 0 < notification_id < 2**31:
        raise ValueError(f"expected a notification id, got {notification_id!r}")
    outcome = run_use_case(lambda s, _fx: do_deliver_email(s, notification_id))
    if outcome.startswith("retry"):
        raise TransientMailError(outcome)  # the attempt is recorded; RQ tries again later
    return outcome


def remind(booking_id: int, lead: str, start_iso: str) -> str:
    """Scheduled with the confirmation for 24 h and 1 h before the start."""
    if not isinstance(booking_id, int) or isinstance(booking_id, bool) or not 0 < booking_id < 2**31:
        raise ValueError(f"expected a booking id, got {booking_id!r}")
    return run_use_case(lambda s, fx: do_send_reminder(s, fx, booking_id, str(lead), str(start_iso)))

