"""RQ tasks: thin adapters that open a session and call a service."""

from __future__ import annotations

from rq import Queue

from coworking_app.db import get_rq_redis

DEFAULT_QUEUE = "default"
# Crawls take minutes and run one at a time in their own worker (`make run` starts it), so
# that bookings' follow-ups never wait behind one (docs/market.md).
MARKET_QUEUE = "market"
# Backups and the media copy run for minutes too: in the same worker as crawls (`make run`,
# docker-compose's market-worker listen on both), never in the bookings' way.
OPS_QUEUE = "ops"


def get_queue(name: str = DEFAULT_QUEUE) -> Queue:
    return Queue(name, connection=get_rq_redis(), default_timeout=300)
