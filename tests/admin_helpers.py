"""Builders shared by the operator-panel tests (tests/services/admin/: test_admin_api.py, test_audit.py,
test_exports.py): staff accounts, bookings written straight to the database for moments the
API refuses (today's past hours, yesterday), and readers of the append-only audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import text

from coworking_app.db import get_engine
from coworking_app.services.finance import ledger
from models import Booking, Payment, Refund
from tests.booking_helpers import Bookable, local
from tests.uow_helpers import transaction

MSK = ZoneInfo("Europe/Moscow")
DESK_HOUR = 30000  # make_bookable(): hot desk 300 RUB/h per seat
ROOM_HOUR = 150000  # meeting room for 6, booked whole: 1500 RUB/h
SEATS = 10 + 6  # hot desk capacity + meeting room capacity
OPEN_HOURS = 14  # 08:00-22:00 every day


def msk_now() -> datetime:
    return datetime.now(MSK)


def msk_today() -> date:
    return msk_now().date()


@dataclass
class Row:
    """What the test knows about a booking it made (for computing expectations by hand)."""

    id: int
    start: datetime
    end: datetime
    seats: int
    status: str
    paid: int
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.paid - self.refunded


def insert_booking(b: Bookable, user_id: int, *, room: bool = False, start: datetime, end: datetime,
                   seats: int = 1, status: str = "confirmed", paid: int | None = None, refunded: int = 0,
                   created_at: datetime | None = None) -> Row:
    """A booking of the space's hot desk (or whole meeting room) written to the database as
    the booking service would have left it: price from the tariffs, `paid` = the total,
    created two days before it starts (or before now, whichever is earlier)."""
    hours = (end - start).total_seconds() / 3600
    seats = 6 if room else seats
    total = int(round(hours * (ROOM_HOUR if room else DESK_HOUR * seats)))
    paid = total if paid is None else paid
    created_at = created_at or min(start, datetime.now(timezone.utc)) - timedelta(days=2)
    with transaction() as s:
        booking = Booking(user_id=user_id, space_id=b.space_id, resource_id=b.room_id if room else b.desk_id,
                          start_at=start, end_at=end, seats=seats, whole=room, status=status,
                          timezone="Europe/Moscow", price={"total_minor": total}, total_minor=total,
                          currency="RUB", policy="flexible", paid_minor=paid, refunded_minor=refunded,
                          created_at=created_at)
        s.add(booking)
        s.flush()
        if paid > 0:  # its money in the ledger, as the services would have posted it
            payment = Payment(booking_id=booking.id, provider="test", idempotency_key=f"insert-{booking.id}",
                              amount_minor=paid, currency="RUB", status="succeeded", succeeded_at=created_at)
            s.add(payment)
            booking.status = "confirmed"  # paid when it was made...
            ledger.do_post_booking(s, None, booking, "payment", effective_at=created_at)
            payment.refunded_minor, booking.status = refunded, status  # ...and as it is now
            if refunded:
                s.add(Refund(payment_id=payment.id, booking_id=booking.id, amount_minor=refunded, currency="RUB"))
            ledger.do_post_booking(s, None, booking, "completion" if status == "completed" else "adjustment",
                                   effective_at=end if status == "completed" else max(created_at, min(
                                       start, datetime.now(timezone.utc))))
        return Row(booking.id, start, end, seats, status, paid, refunded)


def overlap_hours(start: datetime, end: datetime, day: date, open_h: int = 8, close_h: int = 22) -> float:
    """Hours of [start, end) inside `day`'s opening hours (Moscow)."""
    lo, hi = max(start, local(day, open_h)), min(end, local(day, close_h))
    return max(0.0, (hi - lo).total_seconds() / 3600)


def pct(booked_seat_hours: float, open_seat_hours: float) -> float:
    return round(min(100.0, 100 * booked_seat_hours / open_seat_hours), 1)


# --- the audit log --------------------------------------------------------------------------


def audit_max_id() -> int:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()


def audit_rows_after(after_id: int) -> list[dict]:
    """Every audit row written after `after_id`, oldest first (the log is append-only and
    outlives test runs, so only rows after a known id are this test's)."""
    with get_engine().connect() as conn:
        rows = conn.execute(text(
            "SELECT id, at, actor_id, actor_kind, entity, entity_id, action, changes, request_id, ip "
            "FROM audit_log WHERE id > :after ORDER BY id"), {"after": after_id}).mappings().all()
    return [dict(r) for r in rows]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def fields(response) -> list[str]:
    """The field names a 422/409 answer points at."""
    detail = response.json()["detail"]
    return [str(item["loc"][-1]) for item in detail] if isinstance(detail, list) else []

