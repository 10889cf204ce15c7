"""Messages: the unread-message email sweep (every minute, from jobs/cron.py)."""

from __future__ import annotations

from coworking_app.uow import run_use_case
from coworking_app.services.messaging.messages import do_email_unread


def email_unread() -> str:
    return f"queued {run_use_case(do_email_unread)} email(s)"
