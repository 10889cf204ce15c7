"""Account mail that must not make the request that asked for it slower for some
addresses than for others: sent from here, after the request has answered."""

from __future__ import annotations

from coworking_app.uow import run_use_case
from coworking_app.services.accounts.signup import do_purge_sign_up_requests, do_send_sign_up_mail
from coworking_app.services.accounts.passwords import do_send_password_reset
from coworking_app.services.messaging.mailer import TransientMailError


def send_sign_up_mail(request_id: int) -> str:
    if not isinstance(request_id, int) or isinstance(request_id, bool) or not 0 < request_id < 2**31:
        raise ValueError(f"expected a sign-up request id, got {request_id!r}")
    outcome = run_use_case(lambda s, _fx: do_send_sign_up_mail(s, request_id))
    if outcome.startswith("retry"):
        raise TransientMailError(outcome)  # RQ tries again later
    return outcome


def send_password_reset(email: str) -> str:
    if not isinstance(email, str) or not 0 < len(email) <= 254:
        raise ValueError("expected an email address")
    return run_use_case(lambda s, fx: do_send_password_reset(s, fx, email))


def purge_sign_up_requests() -> int:
    """Nightly (jobs/cron.py): expired sign-ups are forgotten."""
    return run_use_case(lambda s, _fx: do_purge_sign_up_requests(s))
