"""The dashboards' money comes from the ledger's day figures (ledger_day_space, ledger_day_city),
kept by every posting. Here they are recounted from the journal itself, and the operator
dashboard and owner analytics are compared with that recount, after payments, completions,
refunds after completion, penalties and a company's on-account booking."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from coworking_app.services.admin import analytics
from coworking_app.services.booking.bookings import do_cancel_booking, do_complete_past
from coworking_app.services.finance import ledger
from coworking_app.services.finance.adjustments import do_admin_refund
from coworking_app.settings import get_settings
from coworking_app.uow import UnitOfWork, run_use_case
from models import User
from tests.booking_auth import signed_in
from tests.booking_helpers import in_days, local, make_bookable
from tests.ledger_helpers import book, pay
from tests.uow_helpers import transaction

RECOUNT = """
SELECT (e.effective_at AT TIME ZONE :tz)::date AS day, b.space_id, l.currency,
       coalesce(sum(l.amount_minor) FILTER (WHERE a.code LIKE 'cash:%' OR a.code LIKE 'unbilled:%'), 0),
       -coalesce(sum(l.amount_minor) FILTER (WHERE a.code LIKE 'owner_payable:%' OR a.code LIKE 'commission:%'
                 OR a.code LIKE 'penalties:%' OR a.code LIKE 'refunds:%' OR a.code LIKE 'vat_payable:%'), 0),
       -coalesce(sum(l.amount_minor) FILTER (WHERE a.code LIKE 'commission:%' OR a.code LIKE 'penalties:%'
                 OR a.code LIKE 'refunds:%'), 0)
  FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
  JOIN ledger_account a ON a.id = l.account_id JOIN booking b ON b.id = e.booking_id
 GROUP BY 1, 2, 3
"""


def _nonzero(rows) -> dict:
    return {tuple(r[:3]): tuple(int(v) for v in r[3:]) for r in rows if any(r[3:])}


def test_the_day_figures_equal_a_recount_of_the_journal_and_feed_the_dashboards(world):
    tz = get_settings().report_timezone
    space = make_bookable(vat_rate_bp=2000)
    renter_id, _ = signed_in()
    admin_id, _ = signed_in("admin")
    day = in_days(3)
    done = book(renter_id, space.desk_id, local(day, 10), local(day, 12))
    pay(renter_id, done)
    refunded = book(renter_id, space.desk_id, local(day, 13), local(day, 15))
    pay(renter_id, refunded)
    cancelled = book(renter_id, space.desk_id, local(day, 16), local(day, 18))
    pay(renter_id, cancelled)
    # The renter cancels 2 h before the start (flexible: half back, half kept as a fee).
    run_use_case(lambda s, fx: do_cancel_booking(s, fx, s.get(User, renter_id), cancelled,
                                                 now=local(day, 14)))
    run_use_case(lambda s, fx: do_complete_past(s, fx, now=local(day, 20)))
    run_use_case(lambda s, fx: do_admin_refund(s, fx, s.get(User, admin_id), refunded, 20_000, "кондиционер"))

    with transaction() as s:
        recount = _nonzero(s.execute(text(RECOUNT), {"tz": tz}).all())
        kept = _nonzero(s.execute(text(
            "SELECT day, space_id, currency, received_minor, earned_minor, commission_minor FROM ledger_day_space"
        )).all())
        assert kept == recount
        by_city = _nonzero(s.execute(text(
            "SELECT r.day, coalesce(s.city_id, 0), r.currency, sum(r.received_minor), sum(r.earned_minor), "
            "sum(r.commission_minor) FROM ledger_day_space r JOIN space s ON s.id = r.space_id GROUP BY 1, 2, 3"
        )).all())
        assert by_city == _nonzero(s.execute(text(
            "SELECT day, city_id, currency, received_minor, earned_minor, commission_minor FROM ledger_day_city"
        )).all())
        mine = {k: v for k, v in recount.items() if k[1] == space.space_id}
        # Two stays of 600 ₽ completed, the cancelled one kept 300 ₽, 200 ₽ went back after a stay.
        assert sum(v[1] for v in mine.values()) == 60_000 + 60_000 + 30_000 - 20_000
        assert sum(v[0] for v in mine.values()) == 3 * 60_000 - 30_000 - 20_000

        # The dashboards read the same figures, for the space and for the network.
        period = (min(k[0] for k in recount), max(k[0] for k in recount) + timedelta(days=1))
        scope = analytics.Scope(space_id=space.space_id)
        series = analytics.revenue_series(s, scope, period)
        assert sum(p.revenue_minor for p in series) == sum(v[1] for v in mine.values())
        assert {p.period: p.revenue_minor for p in series if p.revenue_minor} == \
            {k[0]: v[1] for k, v in mine.items() if v[1]}
        network = analytics.revenue_series(s, analytics.Scope(), period)
        assert sum(p.revenue_minor for p in network) == sum(
            v[1] for k, v in recount.items() if k[2] == "RUB" and period[0] <= k[0] <= period[1])
        top = analytics.top_spaces(s, analytics.Scope(owner_id=space.owner_id), period)
        assert [(t.space_id, t.revenue_minor) for t in top] == [(space.space_id, 130_000)]

    with UnitOfWork() as uow:
        assert ledger.ledger_check(uow.session).balanced
