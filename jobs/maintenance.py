from __future__ import annotations

from coworking_app.db import session_scope
from coworking_app.services.maintenance import do_refresh_planner_statistics


def refresh_planner_statistics() -> list[str]:
    with session_scope() as session:
        return do_refresh_planner_statistics(session)


def flush_search_log() -> str:
    from coworking_app.db import run_in_transaction
    from coworking_app.services.search_log import do_flush_search_log

    return f"logged {run_in_transaction(lambda s: do_flush_search_log(s))} search(es)"
