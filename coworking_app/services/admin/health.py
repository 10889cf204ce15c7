"""Is the app able to serve: database and Redis reachable."""

from __future__ import annotations

import redis
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from coworking_app.db import get_engine
from coworking_app.settings import get_settings


def check_health() -> dict[str, str]:
    """{"status": "ok"|"error", "db": ..., "redis": ...}; each part "ok" or its error."""
    result = {"status": "ok", "db": "ok", "redis": "ok"}
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        result["db"] = f"error: {type(exc).__name__}"
    try:
        client = redis.Redis.from_url(
            get_settings().redis_url, socket_timeout=2, socket_connect_timeout=2
        )
        client.ping()
    except (redis.RedisError, OSError) as exc:
        result["redis"] = f"error: {type(exc).__name__}"
    if result["db"] != "ok" or result["redis"] != "ok":
        result["status"] = "error"
    return result
