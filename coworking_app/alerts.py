"""Operator alerts: critical errors for the operators' Telegram chat (TELEGRAM_ALERT_CHAT_ID).

Any process (the web app, an RQ worker, the bot itself) calls `alert(kind, text, key)` where
something critical happened: an unhandled exception answered 500, a job that failed after its
last retry, a payment webhook refused. The alert goes onto a Redis list (the RQ database: it
must work while PostgreSQL is the thing that fails), and only the bot process sends it
(coworking_app/bot/outbox.py). The same `key` (what went wrong where, never the variable
part of a message) is queued at most once per ALERT_WINDOW seconds; the list keeps at most
ALERT_BACKLOG alerts, so a bot that is down for long does not let it grow. A Redis failure
here is logged and swallowed: an alert must never become an error of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
from datetime import datetime, timezone

from coworking_app.db import get_rq_redis
from coworking_app.i18n import tr

log = logging.getLogger(__name__)

ALERTS_LIST = "telegram:alerts"
ALERT_WINDOW = 600  # seconds: one message per distinct error per 10 minutes
ALERT_BACKLOG = 500
MAX_ALERT_TEXT = 3500  # well under Telegram's 4096 with the header


def alert(kind: str, text: str, key: str) -> bool:
    """Queues one alert unless the same `key` was queued in the last ALERT_WINDOW seconds;
    True when queued."""
    fingerprint = hashlib.sha256(f"{kind}\n{key}".encode()).hexdigest()[:32]
    body = json.dumps({"kind": kind, "text": text[:MAX_ALERT_TEXT], "host": socket.gethostname(),
                       "at": datetime.now(timezone.utc).isoformat()}, ensure_ascii=False)
    try:
        redis = get_rq_redis()
        if not redis.set(f"telegram:alert-seen:{fingerprint}", 1, nx=True, ex=ALERT_WINDOW):
            return False
        pipe = redis.pipeline()
        pipe.lpush(ALERTS_LIST, body)
        pipe.ltrim(ALERTS_LIST, 0, ALERT_BACKLOG - 1)
        pipe.execute()
        return True
    except Exception:  # noqa: BLE001 (an alert never becomes an error of its own)
        log.warning("Could not queue the alert %s: %s", kind, key, exc_info=True)
        return False


def take_alerts(limit: int = 20) -> list[dict]:
    """The oldest queued alerts, removed from the list (the bot process sends them)."""
    redis = get_rq_redis()
    pipe = redis.pipeline()
    pipe.lrange(ALERTS_LIST, -limit, -1)
    pipe.ltrim(ALERTS_LIST, 0, -limit - 1)
    raw, _ = pipe.execute()
    out = []
    for item in reversed(raw):
        try:
            out.append(json.loads(item))
        except ValueError:
            continue
    return out


def put_back(alerts: list[dict]) -> None:
    """Alerts that could not be sent now go back to the front of the queue (oldest first)."""
    if alerts:
        redis = get_rq_redis()
        redis.rpush(ALERTS_LIST, *[json.dumps(a, ensure_ascii=False) for a in reversed(alerts)])


def job_failed(job, exc_type, exc_value, traceback) -> bool:
    """RQ's exception handler (`rq worker --exception-handler coworking_app.alerts.job_failed`):
    a job that failed for the last time (no retries left) is an alert; RQ's own handling
    goes on either way (returns True)."""
    try:
        retrying = bool(job.should_retry)
        name = job.func_name
    except Exception:  # noqa: BLE001 (a job that cannot be read is still a failed job)
        retrying, name = False, "?"
    if not retrying:
        error = f"{getattr(exc_type, '__name__', exc_type)}: {str(exc_value)[:500]}"
        alert("job", tr("Задача {name} ({job_id}) не выполнена после последней попытки: {error}",
                        name=name, job_id=job.id, error=error),
              f"{name}:{getattr(exc_type, '__name__', exc_type)}")
    return True
