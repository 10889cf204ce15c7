"""Account mail (email verification, password reset): `notification` email rows written in
the transaction that issues the token, sent after commit by the same delivery job, with
the same retries and send-time dedupe, as every other notice. Security mail ignores the
person's mail preferences: it always goes."""

from __future__ import annotations

import logging
import secrets

from sqlmodel import Session

from coworking_app.effects import Effects
from models import Channel, DeliveryStatus, Notification, User

log = logging.getLogger("coworking.outbox")


def do_queue_email(session: Session, effects: Effects, user: User, *, subject: str, body: str, kind: str) -> Notification:
    row = Notification(user_id=user.id, type=kind[:40], channel=Channel.email.value,
                       title=subject[:200], body=body, payload={},
                       dedupe_key=f"{kind}:{user.id}:{secrets.token_hex(8)}",
                       status=DeliveryStatus.pending.value)
    session.add(row)
    session.flush()
    log.info("mail queued: %s to user %s (%s)", kind, user.id, subject)
    effects.queue_job("jobs.notifications.deliver", row.id, job_id=f"notification-{row.id}",
                      retry_intervals=(10, 60, 300, 1800, 7200))
    return row
