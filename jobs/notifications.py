"""Email delivery: batches of notification rows (the "emails" list, jobs/batches.py), and one
job per row that failed for now, retried with backoff."""

from __future__ import annotations

from coworking_app.uow import run_use_case
from coworking_app.services.messaging.mailer import TransientMailError
from coworking_app.services.messaging.delivery import (
    do_deliver_email,
    do_deliver_emails,
    do_requeue_lost_emails,
)
from coworking_app.services.messaging.reminders import do_send_reminder


def deliver_batch(notification_ids: list[int]) -> dict[str, int]:
    """A batch of the "emails" list (jobs.batches.drain): sent in one transaction; an email
    that fails for now gets its own `deliver` job (services.messaging.delivery.EMAIL_RETRY_INTERVALS:
    10 s, then RQ retries after 1 min, 5 min, 30 min, 2 h; then the row is `failed`)."""
    # Never run again (attempts=1): what it sent before a failure stays sent.
    return run_use_case(lambda s, fx: do_deliver_emails(s, fx, notification_ids), attempts=1)


def sweep_emails() -> int:
    """Every minute (jobs.cron): email rows whose id was lost on the way are queued again."""
    return run_use_case(do_requeue_lost_emails)


def deliver(notification_id: int) -> str:
    """One email row: a retry after the batch's try failed for now (or a job queued before
    emails were batched)."""
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

