from __future__ import annotations

from coworking_app.services.admin.maintenance import do_refresh_planner_statistics
from coworking_app.services.admin.rollups import do_refresh_rollups
from coworking_app.uow import run_use_case


def refresh_planner_statistics() -> list[str]:
    return run_use_case(lambda s, _fx: do_refresh_planner_statistics(s))


def refresh_dashboard_rollups() -> str:
    """The dashboard's rollups take the booking changes noted since the last run."""
    done = run_use_case(lambda s, _fx: do_refresh_rollups(s))
    return (f"{'rebuilt: ' if done.rebuilt else ''}{done.changes} change(s), "
            f"{done.spaces} space(s) counted again, {done.cells} cell row(s)")


def flush_search_log() -> str:
    from coworking_app.services.catalog.search_log import do_flush_search_log

    return f"logged {run_use_case(lambda s, _fx: do_flush_search_log(s))} search(es)"
