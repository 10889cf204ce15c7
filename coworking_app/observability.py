"""Error tracking with Sentry (SENTRY_DSN empty: off).

start_sentry(component) once per process: the app (FastAPI and Starlette integrations, the
Reflex event handlers through report()), the RQ worker (the RQ integration), the bot and the
CLI; logged errors become events (the logging integration). Every event carries the
environment, the release (APP_RELEASE), the component, the request id and the user's id,
never an email, a token, a cookie or an IP address (send_default_pii off, and _scrub below
removes the headers that carry them).
"""

from __future__ import annotations

import logging

import sentry_sdk
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.rq import RqIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

from coworking_app.services.admin.audit import current_request_id
from coworking_app.settings import get_settings

_SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "x-api-key", "stripe-signature",
                   "x-telegram-bot-api-secret-token"}
_started = False


def _scrub(event: dict, hint: dict) -> dict:
    request = event.get("request") or {}
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {k: ("[скрыто]" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}
    request.pop("cookies", None)
    request.pop("data", None)  # bodies carry passwords and personal data
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {}).setdefault("request_id", request_id)
    return event


def start_sentry(component: str) -> bool:
    """Turns Sentry on for this process when SENTRY_DSN is set; True if it did."""
    global _started
    settings = get_settings()
    if not settings.sentry_dsn:
        return False
    if not _started:
        sentry_sdk.init(
            dsn=settings.sentry_dsn,
            environment=settings.environment,
            release=settings.release or None,
            traces_sample_rate=settings.sentry_traces_sample_rate,
            send_default_pii=False,
            max_request_body_size="never",
            before_send=_scrub,
            integrations=[StarletteIntegration(), FastApiIntegration(), RqIntegration(),
                          LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        )
        _started = True
    sentry_sdk.set_tag("component", component)
    return True


def report(exc: BaseException, *, request_id: str | None = None, user_id: int | None = None) -> None:
    """An error the app handled itself (a 500's JSON answer, a Reflex handler's toast) sent
    with who and which request; a no-op without SENTRY_DSN."""
    if not _started:
        return
    with sentry_sdk.new_scope() as scope:
        if request_id:
            scope.set_tag("request_id", request_id)
        if user_id:
            scope.set_user({"id": str(user_id)})
        sentry_sdk.capture_exception(exc)


def flush(timeout: float = 2.0) -> None:
    if _started:
        sentry_sdk.flush(timeout)
