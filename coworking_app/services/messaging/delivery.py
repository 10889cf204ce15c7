"""Email delivery: the email rows that notifications.do_notify (and outbox.do_queue_email)
write are sent after commit, many at a time from the batched "emails" list
(jobs.notifications.deliver_batch), one row at a time when a try failed for now
(jobs.notifications.deliver, with backoff), and queued again when their id was lost on the
way (jobs.notifications.sweep_emails). The transports: mailer.py.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import Integer, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from coworking_app import metrics
from coworking_app.effects import Effects
from coworking_app.services.messaging import mailer
from models import Channel, DeliveryStatus, Invoice, Notification, Payout, User

log = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 6  # the first try and 5 retries
# Seconds before each retry of an email that failed for now: its own job
# (jobs.notifications.deliver), scheduled after the first, then RQ's retries of that job.
EMAIL_RETRY_INTERVALS = (10, 60, 300, 1800, 7200)


def queue_emails(effects: Effects, *notification_ids: int) -> None:
    """Email rows to send after commit: the batched "emails" list, sent many at a time by
    jobs.notifications.deliver_batch (do_deliver_emails)."""
    effects.queue_batched("emails", *notification_ids)


def do_deliver_email(session: Session, notification_id: int) -> str:
    """Sends one email row (a retry, jobs.notifications.deliver): "sent", "failed",
    "skipped: ..." or "retry: <error>" (the job raises then, after this transaction has
    recorded the attempt). The row is locked while sending, and a row already sent is
    skipped: a job run twice sends one email."""
    row = session.get(Notification, notification_id, with_for_update=True)
    if row is None or row.channel != Channel.email.value:
        return "skipped: no such email"
    if row.status != DeliveryStatus.pending.value:
        return f"skipped: already {row.status}"
    user = session.get(User, row.user_id)
    outcome, error = _send(_mail(session, row, user.email))
    row.attempts += 1
    if outcome == "sent":
        row.status, row.sent_at, row.last_error = DeliveryStatus.sent.value, datetime.now(timezone.utc), None
        return "sent"
    row.last_error = error[:500]
    if outcome == "failed" or row.attempts >= MAX_EMAIL_ATTEMPTS:
        row.status = DeliveryStatus.failed.value
        return "failed"
    return f"retry: {error}"


_N = Notification.__table__.c
_PENDING_EMAILS = (
    select(_N.id, _N.type, _N.title, _N.body, _N.html, _N.payload, _N.booking_id, _N.attempts, User.email)
    .join(User, User.id == _N.user_id)
    .where(_N.id == any_(bindparam("ids", type_=ARRAY(Integer))), _N.channel == Channel.email.value,
           _N.status == DeliveryStatus.pending.value)
    .order_by(_N.id)
    .with_for_update(of=Notification, skip_locked=True))


def do_deliver_emails(session: Session, effects: Effects, notification_ids: list[int]) -> dict[str, int]:
    """Sends a batch of email rows (the "emails" list, jobs.notifications.deliver_batch):
    those still pending, locked while sending (a row another job holds is skipped: that job
    sends it), and records the outcomes in two statements. A row already sent is skipped, so
    a batch run twice sends nothing twice. An email that fails for now is retried on its
    own: its attempt is recorded and its own job scheduled (jobs.notifications.deliver,
    EMAIL_RETRY_INTERVALS). Returns how many were sent, retried and failed."""
    rows = session.execute(_PENDING_EMAILS, {"ids": list(notification_ids)}).all()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    sent = []
    for row in rows:
        try:
            outcome, error = _send(_mail(session, row, row.email))
        except DBAPIError:
            raise
        except Exception as exc:  # noqa: BLE001  (a broken row must not take its batch with it)
            log.exception("email %s could not be built", row.id)
            outcome, error = "failed", f"{type(exc).__name__}: {exc}"
        counts[outcome] += 1
        if outcome == "sent":
            sent.append(row.id)
            continue
        retry = outcome == "retry" and row.attempts + 1 < MAX_EMAIL_ATTEMPTS
        session.execute(update(Notification).where(Notification.id == row.id).values(
            attempts=Notification.attempts + 1, last_error=error[:500],
            status=DeliveryStatus.pending.value if retry else DeliveryStatus.failed.value)
            .execution_options(synchronize_session=False))
        if retry:
            effects.queue_job("jobs.notifications.deliver", row.id, job_id=f"notification-{row.id}",
                              at=datetime.now(timezone.utc) + timedelta(seconds=EMAIL_RETRY_INTERVALS[0]),
                              retry_intervals=EMAIL_RETRY_INTERVALS[1:])
    if sent:
        session.execute(update(Notification).where(Notification.id == any_(bindparam("sent", type_=ARRAY(Integer))))
                        .values(status=DeliveryStatus.sent.value, sent_at=datetime.now(timezone.utc),
                                attempts=Notification.attempts + 1, last_error=None)
                        .execution_options(synchronize_session=False), {"sent": sent})
    return counts


def do_requeue_lost_emails(session: Session, effects: Effects, *, now: datetime | None = None,
                           limit: int = 1000) -> int:
    """Email rows never tried, written between a day and two minutes ago: their id was lost
    on the way (Redis lost the "emails" list, a batch failed); queued again. (A row waiting
    behind a long queue may be queued twice: the second try finds it sent.)"""
    now = now or datetime.now(timezone.utc)
    ids = list(session.scalars(
        select(Notification.id).where(Notification.status == DeliveryStatus.pending.value,
                                      Notification.channel == Channel.email.value,
                                      Notification.attempts == 0,
                                      Notification.created_at < now - timedelta(minutes=2),
                                      Notification.created_at > now - timedelta(days=1))
        .order_by(Notification.created_at).limit(limit)))
    if ids:
        queue_emails(effects, *ids)
    return len(ids)


def _mail(session: Session, row, to: str):
    """The mail of an email row (a Notification or a row with its columns)."""
    # documents -> bookings -> notifications -> delivery at module level: the receipt is imported here
    from coworking_app.services.payments.documents import do_issue_receipt

    attachments = []
    if row.type == "booking_paid" and row.booking_id:
        receipt = do_issue_receipt(session, row.booking_id)
        if receipt is not None:
            attachments.append(mailer.Attachment(f"receipt-R-{receipt.number:06d}.pdf", receipt.pdf))
    attachments.extend(_finance_attachments(session, row))
    to = (row.payload or {}).get("mail_to") or to  # an invoice goes to the company's billing address
    headers = {}
    if row.type == "special_offer" and row.payload.get("unsubscribe"):
        headers = {"List-Unsubscribe": f"<{row.payload['unsubscribe']}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return mailer.Mail(to=to, subject=row.title, text=row.body, html=row.html,
                       attachments=attachments, headers=headers)


def _finance_attachments(session: Session, row) -> list:
    """The PDF a finance notice carries: the payout statement or the invoice."""
    payload = row.payload or {}
    if row.type == "payout_statement" and payload.get("payout_id"):
        found = session.execute(select(Payout.number, Payout.pdf).where(Payout.id == payload["payout_id"])).first()
        if found and found.pdf:
            return [mailer.Attachment(f"payout-{found.number:06d}.pdf", found.pdf)]
    if row.type == "invoice_issued" and payload.get("invoice_id"):
        found = session.execute(select(Invoice.number, Invoice.pdf).where(Invoice.id == payload["invoice_id"])).first()
        if found and found.pdf:
            return [mailer.Attachment(f"invoice-{found.number:06d}.pdf", found.pdf)]
    return []


def _send(mail) -> tuple[str, str]:
    """("sent", ""), ("retry", error) for a failure for now, ("failed", error) for good."""
    try:
        mailer.send(mail)
    except mailer.TransientMailError as exc:
        metrics.NOTIFICATIONS.labels("email", "retry").inc()
        return "retry", str(exc)
    except mailer.MailError as exc:
        metrics.NOTIFICATIONS.labels("email", "failed").inc()
        return "failed", str(exc)
    metrics.NOTIFICATIONS.labels("email", "sent").inc()  # sent is sent, whatever the transaction does
    return "sent", ""


def delivery_counts(session: Session) -> dict[str, int]:
    """Email rows by status (for the admins' panel)."""
    rows = session.execute(select(Notification.status, func.count()).where(
        Notification.channel == Channel.email.value).group_by(Notification.status))
    return {status: count for status, count in rows}
