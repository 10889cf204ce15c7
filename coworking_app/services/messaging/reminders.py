"""Booking reminders: a confirmed booking gets one 24 h and one 1 h before its start, as
scheduled jobs (jobs.notifications.remind) that the booking's later changes cancel or move.
The state machine schedules them with every history row (booking_states.do_log_event).
An unpaid hold gets a warning when HOLD_WARNING is left to pay (`do_warn_expiring_holds`,
every minute from jobs.cron: in the app and in Telegram, not by email).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.services.messaging.notifications import booking_payload, do_notify
from models import Booking, BookingStatus, Channel, User
from coworking_app import i18n
from coworking_app.i18n import tr

REMINDERS = {"24h": 24 * 3600, "1h": 3600}  # before the start
HOLD_WARNING = timedelta(minutes=5)  # an unpaid hold is warned about when this much is left


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
    user = session.get(User, booking.user_id)
    with i18n.use(user.language):  # worded for the renter
        payload = {**booking_payload(session, booking),
                   "lead_ru": tr("через 24 часа") if lead == "24h" else tr("через час"),
                   "lead_en": "in 24 hours" if lead == "24h" else "in an hour"}
    rows = do_notify(session, effects, user, "booking_reminder", payload,
                     dedupe=f"booking_reminder_{lead}:{booking.id}:{start_iso}", booking_id=booking.id)
    return f"sent {len(rows)}"


def do_warn_expiring_holds(session: Session, effects: Effects, *, now: datetime | None = None) -> int:
    """Unpaid holds with at most HOLD_WARNING left: "N minutes left to pay", once per hold
    (the notice's dedupe key), in the app and in Telegram (an email would come too late to
    matter). Returns how many holds were warned."""
    now = now or datetime.now(timezone.utc)
    holds = session.scalars(select(Booking).where(
        Booking.status == BookingStatus.pending_payment.value,
        Booking.expires_at > now, Booking.expires_at <= now + HOLD_WARNING).order_by(Booking.id).limit(1000)).all()
    warned = 0
    for booking in holds:
        minutes = max(1, int((booking.expires_at - now).total_seconds() // 60))
        user = session.get(User, booking.user_id)
        with i18n.use(user.language):
            payload = {**booking_payload(session, booking), "minutes": minutes}
        if do_notify(session, effects, user, "booking_hold_expiring", payload, dedupe=f"booking_hold_expiring:{booking.id}",
                     booking_id=booking.id, channels=(Channel.in_app, Channel.telegram)):
            warned += 1
    return warned
