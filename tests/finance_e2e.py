"""An owner's money in the running e2e app, for the finance browser tests: a space of a new
owner, stays of last month and one ahead, paid through the API with the test provider; the
completions and the monthly run as the cron would do them (in the app's environment,
tests/e2e_fixtures.e2e_python)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.e2e_fixtures import e2e_python

API = "/api/v1"
MSK = ZoneInfo("Europe/Moscow")
OWNER_PASSWORD = "Correct-Horse-42"  # tests/booking_helpers.new_user
PRICE = 240_000  # 2 400 ₽, 20 % VAT inside: 2 000 ₽ before VAT
COMMISSION = 30_000  # 15 % of the price before VAT (the default)
OWNER_SHARE = PRICE - COMMISSION  # 2 100 ₽
BANK = {"payee_name": "ИП Петров Пётр Петрович", "payee_inn": "500100732259", "bank_name": "АО «Тестовый банк»",
        "bank_bik": "044525974", "bank_account": "40702810500000012345",
        "bank_corr_account": "30101810145250000974"}

_SETUP = '''
import json
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo
from models import Booking
from tests.booking_auth import signed_in
from tests.booking_helpers import make_bookable
from tests.uow_helpers import transaction
MSK = ZoneInfo("Europe/Moscow")
space = make_bookable(vat_rate_bp=2000, name={name!r})
renter_id, renter = signed_in("renter")
ids = []
with transaction() as s:
    for day in {days!r}:
        start = datetime.combine(date.fromisoformat(day), time(10), tzinfo=MSK)
        booking = Booking(user_id=renter_id, space_id=space.space_id, resource_id=space.desk_id, start_at=start,
                          end_at=start + timedelta(hours=4), seats=1, status="pending_payment",
                          expires_at=datetime.now(timezone.utc) + timedelta(minutes=30), timezone="Europe/Moscow",
                          price={{"total": {price}, "vat": {price} // 6, "vat_rate_bp": 2000, "vat_included": True}},
                          total_minor={price}, currency="RUB", policy="flexible")
        s.add(booking)
        s.flush()
        ids.append(booking.id)
print(json.dumps({{"owner_id": space.owner_id, "owner_email": space.owner_email, "space_id": space.space_id,
                  "renter": renter, "bookings": ids}}))
'''

_SETTLE = '''
from coworking_app.services.booking.bookings import do_complete_past
from coworking_app.uow import run_use_case
from tests.uow_helpers import transaction
from models import Space
run_use_case(lambda s, fx: do_complete_past(s, fx))
with transaction() as s:  # out of search: later browser tests book the first Moscow result
    s.get(Space, {space_id}).status = "hidden"
print("ok")
'''


def last_month() -> date:
    first = datetime.now(MSK).date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def owner_with_stays(base: str, name: str, days: list[date]) -> dict:
    """A new owner's space (hidden from search afterwards) with a 4-hour stay on each day, each
    paid by a renter: {"owner_id", "owner_email", "space_id", "renter", "bookings"}."""
    world = json.loads(e2e_python(_SETUP.format(name=name, days=[d.isoformat() for d in days], price=PRICE))
                       .splitlines()[-1])
    for booking_id in world["bookings"]:
        r = httpx.post(f"{base}{API}/bookings/{booking_id}/pay", headers=world["renter"], timeout=20)
        assert r.status_code == 200, r.text
        r = httpx.post(f"{base}{API}/payments/test/{r.json()['payment_id']}/complete", headers=world["renter"],
                       timeout=20, json={"outcome": "succeeded"})
        assert r.status_code == 200, r.text
    return world


def complete_past_stays(space_id: int) -> None:
    """The periodic job completing stays that ended; the test space then leaves search."""
    e2e_python(_SETTLE.format(space_id=int(space_id)))


def run_owner_payout(owner_id: int, period: date) -> int:
    """One owner's monthly statement (the payout run's step for them); the payout's id."""
    return int(e2e_python(
        "from coworking_app.services.finance import payouts\nfrom coworking_app.uow import run_use_case\n"
        f"from datetime import date\nprint(run_use_case(lambda s, fx: payouts.do_run_owner_payout("
        f"s, fx, {int(owner_id)}, 'RUB', date.fromisoformat({period.isoformat()!r}))).id)").splitlines()[-1])


def run_payouts_job(period: date) -> dict:
    """What the worker does with the queued run ("Провести выплаты"): jobs.finance.run_payouts."""
    return json.loads(e2e_python(
        "import json\nfrom jobs.finance import run_payouts\n"
        f"print(json.dumps(run_payouts({period.isoformat()!r})))").splitlines()[-1])
