"""Real time: the Redis pub/sub channel of each signed-in person, on which the events their
open tabs show at once are published after commit (Effects.publish, sent by the unit of work:
coworking_app/uow.py) and heard (the bell, state/notifications.py).
"""

from __future__ import annotations

import json

from coworking_app.effects import Publish
from coworking_app.settings import get_settings


def channel_name(user_id: int) -> str:
    """The Redis pub/sub channel a signed-in browser tab listens on (state/notifications.py).
    Pub/sub ignores Redis database numbers, so the channel carries the database name: two
    deployments (or the test and e2e databases) sharing one Redis never hear each other."""
    database = get_settings().database_url.rsplit("/", 1)[-1].split("?", 1)[0]
    return f"notify:{database}:{user_id}"


def publish(pipe, publishes: list[Publish], *, committed_at: float) -> None:
    """Adds each event to a Redis pipeline (of the cache database) on its person's channel,
    as JSON with the commit's time (the bell measures the delay from it)."""
    for item in publishes:
        pipe.publish(channel_name(item.user_id), json.dumps(
            {**item.event, "committed_at": committed_at}, ensure_ascii=False))
