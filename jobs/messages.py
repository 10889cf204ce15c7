"""Messages: the unread-message email sweep (every minute, from jobs/cron.py)."""

from __future__ import annotations

from coworking_app.db import run_in_transaction
from coworking_app.services.messages import do_email_unread


def email_unread() -> str:
    return f"queued {run_in_transaction(lambda s: do_email_unread(s))} email(s)"
