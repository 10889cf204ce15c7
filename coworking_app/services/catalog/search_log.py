"""Where people search, for the dashboard's map (docs/admin.md).

A search adds one small JSON entry to a Redis list (no database write on the hot path);
the `flush-search-log` cron job moves the entries into the search_log table every minute.
The point is the searched point, else the transit stop, else the city centre. Only first
pages count, so paging through results is one search.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from sqlalchemy import insert
from sqlmodel import Session

from coworking_app import metrics
from coworking_app.db import get_cache_redis
from coworking_app.services.catalog import catalog
from coworking_app.services.catalog.search import SearchParams
from models import SearchLog
from coworking_app.i18n import tr

log = logging.getLogger(__name__)
BUFFER_KEY = "searchlog:buffer"
BUFFER_CAP = 200_000  # if the job stops, keep the newest entries only


def record_search(params: SearchParams, results: int, *, now: datetime | None = None) -> None:
    """Never raises: a lost log entry must not cost anyone their search."""
    if params.page != 1:
        return
    # The city as asked (a known one: an unknown city is refused before any search), so
    # the label's values stay the cities' names and slugs.
    metrics.SEARCHES.labels((params.city or "").strip().lower()[:40] or tr("без города")).inc()
    kind = "radius" if params.lat is not None else "metro" if params.stop_id else "text" if params.q else "city"
    entry = {"at": (now or datetime.now(timezone.utc)).isoformat(), "city": params.city, "lat": params.lat,
             "lon": params.lon, "stop_id": params.stop_id, "kind": kind, "results": results}
    try:
        pipe = get_cache_redis().pipeline(transaction=False)
        pipe.rpush(BUFFER_KEY, json.dumps(entry))
        pipe.ltrim(BUFFER_KEY, -BUFFER_CAP, -1)
        pipe.execute()
    except Exception:  # noqa: BLE001
        log.warning("search log entry lost (Redis unavailable)")


def _row(session: Session, entry: dict) -> dict | None:
    try:
        at = datetime.fromisoformat(entry["at"])
        city = catalog.find_city(session, str(entry["city"])) if entry.get("city") else None
        lat, lon = entry.get("lat"), entry.get("lon")
        if lat is None and entry.get("stop_id"):
            stop = catalog.get_stop(session, int(entry["stop_id"]))
            lat, lon = (stop.lat, stop.lon) if stop else (None, None)
        if lat is None and city is not None:
            lat, lon = city.lat, city.lon
        point = f"SRID=4326;POINT({float(lon):.6f} {float(lat):.6f})" if lat is not None else None
        return {"at": at, "city_id": city.id if city else None, "point": point,
                "kind": str(entry.get("kind", "city"))[:12], "results": int(entry.get("results", 0))}
    except (KeyError, TypeError, ValueError):
        return None  # a malformed entry is dropped, not retried forever


def do_flush_search_log(session: Session, *, batch: int = 5000) -> int:
    """Moves up to `batch` buffered searches into search_log; returns how many."""
    raw = get_cache_redis().lpop(BUFFER_KEY, batch) or []
    rows = []
    for item in raw:
        try:
            entry = json.loads(item)
        except ValueError:
            continue
        row = _row(session, entry) if isinstance(entry, dict) else None
        if row:
            rows.append(row)
    if rows:
        session.execute(insert(SearchLog), rows)
    return len(rows)
