"""The JSON log format (coworking_app/logs.py): one object a line, the request id of the
context it was written in, the extras a caller passed, the exception as text."""

from __future__ import annotations

import json
import logging

from coworking_app.logs import JsonFormatter, RequestIdFilter, TextFormatter
from coworking_app.services.admin.audit import audit_context


def record(message: str, **extra) -> logging.LogRecord:
    rec = logging.LogRecord("coworking_app.test", logging.WARNING, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(rec, key, value)
    RequestIdFilter().filter(rec)
    return rec


def test_a_line_is_one_json_object_with_the_request_id_of_its_context():
    with audit_context(request_id="req-123"):
        rec = record("бронь %s", user_id=5, duration_ms=1.5)
    rec.args = ("42",)
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "бронь 42" and data["level"] == "WARNING" and data["logger"] == "coworking_app.test"
    assert data["request_id"] == "req-123" and data["user_id"] == 5 and data["duration_ms"] == 1.5
    assert data["time"].endswith("+00:00")


def test_outside_a_request_there_is_no_request_id_and_exceptions_are_kept():
    try:
        raise ValueError("плохо")
    except ValueError:
        import sys

        rec = record("упало")
        rec.exc_info = sys.exc_info()
    data = json.loads(JsonFormatter().format(rec))
    assert "request_id" not in data and "ValueError: плохо" in data["exception"]
    assert "упало" in TextFormatter().format(record("упало", route="/x"))
