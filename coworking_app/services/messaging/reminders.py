"""Booking reminders: a confirmed booking gets one 24 h and one 1 h before its start, as
scheduled jobs (jobs.notifications.remind) that the booking's later changes cancel or move.
The state machine schedules them with every history row (booking_states.do_log_event).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.messaging.notifications import booking_payload, do_notify
from models import Booking, User

REMINDERS = {"24h": 24 * 3600, "1h": 3600}  # before the start


def _reminder_ids(booking: Booking) -> list[str]:
    return [f"reminder-{booking.id}-{lead}" for lead in REMINDERS]


def schedule_reminders(effects: Effects, booking: Booking, action: str) -> None:
    """Confirmed bookings get reminders 24 h and 1 h before the start (only those still
    ahead: a booking made 30 minutes before its start gets neither); a cancelled, rejected
    or no-show booking loses them; a changed one gets them again for its new start."""
    if action in ("cancel", "reject", "no_show", "expire") or (action == "modify" and booking.status != "confirmed"):
        effects.cancel_jobs(*_reminder_ids(booking))
        return
    confirmed = action in ("confirm", "accept") or (action == "modify" and booking.status == "confirmed")
    if not confirmed:
        return
    now = datetime.now(timezone.utc)
    for lead, seconds in REMINDERS.items():
        at = booking.start_at - timedelta(seconds=seconds)
        job_id = f"reminder-{booking.id}-{lead}"
        if at > now:
            effects.queue_job("jobs.notifications.remind", booking.id, lead,
                              booking.start_at.isoformat(), at=at, job_id=job_id)
        else:
            effects.cancel_jobs(job_id)


def do_send_reminder(session: Session, effects: Effects, booking_id: int, lead: str, start_iso: str) -> str:
    """The reminder job: only for a booking still confirmed and still starting then."""
    booking = session.get(Booking, booking_id)
    if booking is None or lead not in REMINDERS:
        return "skipped: no such booking"
    if booking.status != "confirmed" or booking.start_at.isoformat() != start_iso:
        return f"skipped: booking is {booking.status}"
    payload = {**booking_payload(session, booking),
               "lead_ru": "через 24 часа" if lead == "24h" else "через час",
               "lead_en": "in 24 hours" if lead == "24h" else "in an hour"}
    user = session.get(User, booking.user_id)
    rows = do_notify(session, effects, user, "booking_reminder", payload,
                     dedupe=f"booking_reminder_{lead}:{booking.id}:{start_iso}", booking_id=booking.id)
    return f"sent {len(rows)}"
