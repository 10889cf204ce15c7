"""Outgoing mail. Rows wait in `outbox_email`; the notifications issue adds the sender job.

Until then development reads them with `python -m coworking_app.cli outbox` (and the log).
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from models import OutboxEmail

log = logging.getLogger("coworking.outbox")


def do_queue_email(session: Session, *, to: str, subject: str, body: str, kind: str) -> OutboxEmail:
    row = OutboxEmail(to_email=to, subject=subject[:200], body=body, kind=kind[:40])
    session.add(row)
    session.flush()
    log.info("outbox: %s to %s (%s)", kind, to, subject)
    return row
