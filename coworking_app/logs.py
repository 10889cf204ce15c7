"""Logs on stdout: one JSON object a line in production (LOG_FORMAT=json), text for people in
development. Every line carries the request id it was written under (a request's, or the
request that queued the job being run), so one id finds the request, its jobs and its audit
rows. Each process calls configure_logging() once at start: the app (coworking_app.py), the
RQ worker (coworking_app/worker.py), the bot and the CLI.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from coworking_app.services.admin.audit import current_request_id
from coworking_app.settings import get_settings

# Attributes every LogRecord has; anything else passed in `extra=` goes into the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and value is not None:
                entry[key] = value if isinstance(value, (str, int, float, bool)) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and v is not None}
        return f"{text} {' '.join(f'{k}={v}' for k, v in extra.items())}" if extra else text


_configured = False


def configure_logging(*, force: bool = False) -> None:
    """The root logger writes to stdout in the configured format (once per process)."""
    global _configured
    if _configured and not force:
        return
    _configured = True
    settings = get_settings()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if settings.logs_as_json else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "coworking", False)]:
        root.removeHandler(old)
    handler.coworking = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # Libraries' chatter at INFO (alembic's plugin list at every start) stays out.
    for name in ("alembic", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
