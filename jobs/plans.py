"""Plan jobs: every 10 minutes (`rq cron`, jobs/cron.py) memberships due for renewal get their
next month to pay and periods that are over end (unpaid ones are given up); a paid period's
receipt PDF. Thin adapters over services/plans/purchases.py and payments/documents.py."""

from __future__ import annotations

from coworking_app.services.payments.documents import do_issue_plan_receipt
from coworking_app.services.plans import purchases
from coworking_app.uow import run_use_case


def run_plan_periods() -> dict:
    """Renewals asked for, then periods ended; each in its own transaction."""
    issued = run_use_case(lambda s, fx: purchases.do_issue_renewals(s, fx))
    ended = run_use_case(lambda s, fx: purchases.do_end_periods(s, fx))
    return {"renewals_issued": issued, "ended": ended}


def render_plan_receipt(purchase_id: int) -> int | None:
    """The receipt PDF of a paid plan period (queued when its payment arrives)."""
    if not isinstance(purchase_id, int) or isinstance(purchase_id, bool) or not 0 < purchase_id < 2**31:
        raise ValueError(f"expected a purchase id, got {purchase_id!r}")
    document = run_use_case(lambda s, _fx: do_issue_plan_receipt(s, purchase_id))
    return document.number if document else None
