from __future__ import annotations

from coworking_app.db import session_scope
from coworking_app.services.maintenance import do_refresh_planner_statistics


def refresh_planner_statistics() -> list[str]:
    with session_scope() as session:
        return do_refresh_planner_statistics(session)
