"""Account mail (email verification, password reset): rows in `outbox_email`, written in
the transaction that issues the token and sent after commit by an RQ job through the same
transports as every other mail (services/mailer.py)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlmodel import Session

from coworking_app.services.tasks import enqueue_after_commit
from models import OutboxEmail

log = logging.getLogger("coworking.outbox")


def do_queue_email(session: Session, *, to: str, subject: str, body: str, kind: str) -> OutboxEmail:
    row = OutboxEmail(to_email=to, subject=subject[:200], body=body, kind=kind[:40])
    session.add(row)
    session.flush()
    log.info("outbox: %s to %s (%s)", kind, to, subject)
    enqueue_after_commit(session, "jobs.notifications.deliver_account_mail", row.id,
                         job_id=f"account-mail-{row.id}", retry_intervals=[10, 60, 300, 1800])
    return row


def do_deliver_account_mail(session: Session, row_id: int) -> str:
    """Sends one row once ("sent", "skipped: ...", or "retry: ..." for the job to raise)."""
    from coworking_app.services import mailer

    row = session.get(OutboxEmail, row_id, with_for_update=True)
    if row is None:
        return "skipped: no such mail"
    if row.sent_at is not None:
        return "skipped: already sent"
    try:
        mailer.send(mailer.Mail(to=row.to_email, subject=row.subject, text=row.body))
    except mailer.TransientMailError as exc:
        return f"retry: {exc}"
    except mailer.MailError as exc:
        log.error("account mail %s failed for good: %s", row.id, exc)
        row.sent_at = datetime.now(timezone.utc)  # not retried; logged for the admins
        return "failed"
    row.sent_at = datetime.now(timezone.utc)
    return "sent"
