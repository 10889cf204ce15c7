"""Check-in (docs/booking.md, "Check-in"): the guest's arrival on a confirmed booking.

- **The QR code** of a booking holds a link `/checkin?t=<token>`, the token
  `c1.<booking id>.<expiry>.<signature>`: an HMAC-SHA256 with SECRET_KEY over the id and the
  expiry (the booking's end), so nobody can make one for another booking or stretch one past
  its booking. It is shown in "Мои брони", sent with the confirmation email and printed on
  the receipt. The space's staff (its owner; the network's operators and admins) scan it
  with a phone's camera: the link opens /checkin, which shows the booking and marks the
  arrival. A token of another space's booking is refused (403), an expired one (the
  booking is over) and a forged one too (422 on `token`).
- **Nearby**: the guest may check in themselves from "Мои брони" within CHECKIN_RADIUS_M of
  the space (the browser's geolocation; the distance is PostGIS's, on the sphere).
- Either way, from CHECKIN_EARLY before the start until the end; a second check-in changes
  nothing. The arrival goes into the booking's history ("check_in").
- **No-show release**: when the owner turned it on (`Space.no_show_release`), a confirmed
  booking nobody checked in for within `checkin_grace_minutes` of its start is marked a
  no-show by the minute job (the space's no-show fee kept, the rest refunded), which frees
  its seats for the waitlist (services/booking/waitlist.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlmodel import Session

from coworking_app.effects import Effects
from coworking_app.formatting import format_distance, format_stay, zone_name
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.booking import availability as av
from coworking_app.services.booking.booking_states import do_log_event
from coworking_app.services.booking.bookings import access_booking_for_renter, do_record_no_show
from coworking_app.services.booking.cover import PLAN_HOLD_SQL
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from coworking_app.settings import get_settings
from models import Booking, BookingStatus, Resource, Role, Space, User
from coworking_app.i18n import tr

S = BookingStatus
CHECKIN_EARLY = timedelta(hours=1)
CHECKIN_RADIUS_M = 300
TOKEN_VERSION = "c1"
_TOKEN = re.compile(r"^c1\.(\d{1,10})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$")


def _signature(booking_id: int, expires: int) -> str:
    mac = hmac.new(get_settings().secret_key.encode(), f"checkin:{booking_id}:{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")


def checkin_token(booking: Booking) -> str:
    """The booking's check-in token, valid until its end."""
    expires = int(booking.end_at.timestamp())
    return f"{TOKEN_VERSION}.{booking.id}.{expires}.{_signature(booking.id, expires)}"


def checkin_url(booking: Booking) -> str:
    """What the QR code holds: the staff's page with the token."""
    return f"{get_settings().base_url}/checkin?t={checkin_token(booking)}"


def check_token(token: str, *, now: datetime) -> int:
    """The booking id a genuine, unexpired token names."""
    found = _TOKEN.match((token or "").strip())
    if not found:
        raise InvalidInput("token", tr("Это не QR-код брони CoSpace"))
    booking_id, expires, signature = int(found[1]), int(found[2]), found[3]
    if not hmac.compare_digest(signature, _signature(booking_id, expires)):
        raise InvalidInput("token", tr("QR-код недействителен: его подделали или набрали с ошибкой"))
    if expires <= now.timestamp():
        raise InvalidInput("token", tr("QR-код просрочен: бронь уже закончилась"))
    return booking_id


class CheckinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=200)


class NearbyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


@dataclass(frozen=True)
class CheckinOut:
    booking_id: int
    guest: str
    space: str
    resource: str
    when: str  # local, with the zone
    seats: int
    checked_in_at: datetime | None  # in the space's zone; None: not yet
    method: str  # qr | geo; "" not yet
    already: bool  # checked in before this call


@dataclass(frozen=True)
class CheckinPass:
    """What the guest shows at the door."""

    booking_id: int
    url: str  # what the QR code holds
    valid_until: datetime  # in the space's zone
    checked_in_at: datetime | None


def checkin_pass(session: Session, user: User | None, booking_id: int) -> CheckinPass:
    """The guest's own QR link of a confirmed booking still ahead or running."""
    booking = access_booking_for_renter(session, user, booking_id, action="check_in")
    zone = ZoneInfo(booking.timezone)
    return CheckinPass(booking.id, checkin_url(booking), booking.end_at.astimezone(zone),
                       booking.checked_in_at.astimezone(zone) if booking.checked_in_at else None)


# --- marking the arrival -------------------------------------------------------------------


def _check_window(booking: Booking, now: datetime) -> None:
    if booking.status != S.confirmed:
        raise Conflict("status", tr("отметить приход можно только у подтверждённой брони"))
    if now < booking.start_at - CHECKIN_EARLY:
        raise Conflict("status", tr("отметиться можно не раньше чем за час до начала"))
    if now >= booking.end_at:
        raise Conflict("status", tr("бронь уже закончилась"))


def _do_check_in(session: Session, effects: Effects, booking: Booking, actor: User, role: str, method: str,
                 now: datetime) -> CheckinOut:
    already = booking.checked_in_at is not None
    if not already:
        _check_window(booking, now)
        booking.checked_in_at, booking.checkin_method, booking.checked_in_by = now, method, actor.id
        do_log_event(session, effects, booking, "check_in", booking.status, actor=actor, actor_role=role,
                     data={"method": method})
        session.flush()
    return _out(session, booking, already)


def _out(session: Session, booking: Booking, already: bool) -> CheckinOut:
    space, resource, guest = session.execute(
        select(Space.name, Resource.name, User.full_name).join(Resource, Resource.space_id == Space.id)
        .join(User, User.id == booking.user_id).where(Resource.id == booking.resource_id)).one()
    zone = ZoneInfo(booking.timezone)
    start = booking.start_at.astimezone(zone)
    return CheckinOut(booking.id, guest, space, resource,
                      f"{format_stay(start, booking.end_at.astimezone(zone))} ({zone_name(start)})", booking.seats,
                      booking.checked_in_at.astimezone(zone) if booking.checked_in_at else None,
                      booking.checkin_method or "", already)


def access_booking_by_token(session: Session, user: User | None, token: str, *,
                            now: datetime | None = None) -> tuple[Booking, str]:
    """The (locked) booking a scanned token names, for its space's staff: its owner, the
    network's operators and admins. Returns the booking and the scanner's role."""
    user = check_role(user, Role.owner, Role.operator, Role.admin)
    booking_id = check_token(token, now=now or av.utcnow())
    booking = session.get(Booking, booking_id, with_for_update=True)
    if booking is None:
        raise NotFound(tr("Бронь не найдена"))
    if user.has_role(Role.operator, Role.admin):
        return booking, "admin"
    owner_id = session.scalar(select(Space.owner_id).where(Space.id == booking.space_id))
    if owner_id != user.id:
        raise PermissionDenied(tr("Это бронь другого пространства: отметить приход может только его персонал"))
    return booking, "owner"


def checkin_preview(session: Session, user: User | None, token: str, *, now: datetime | None = None) -> CheckinOut:
    """What the staff's page shows before "Отметить приход"."""
    booking, _role = access_booking_by_token(session, user, token, now=now)
    return _out(session, booking, booking.checked_in_at is not None)


def do_check_in_by_token(session: Session, effects: Effects, user: User | None, token: str, *,
                         now: datetime | None = None) -> CheckinOut:
    now = now or av.utcnow()
    booking, role = access_booking_by_token(session, user, token, now=now)
    return _do_check_in(session, effects, booking, user, role, "qr", now)


def do_check_in_nearby(session: Session, effects: Effects, user: User | None, booking_id: int, where: NearbyIn, *,
                       now: datetime | None = None) -> CheckinOut:
    """The guest, standing within CHECKIN_RADIUS_M of the space, checks in themselves."""
    now = now or av.utcnow()
    booking = access_booking_for_renter(session, user, booking_id, action="check_in", now=now)
    if booking.checked_in_at is not None:
        return _out(session, booking, True)
    _check_window(booking, now)
    point = func.ST_SetSRID(func.ST_MakePoint(where.lon, where.lat), 4326)
    metres = session.scalar(select(func.ST_Distance(func.geography(Space.location), func.geography(point)))
                            .where(Space.id == booking.space_id))
    if metres is None or metres > CHECKIN_RADIUS_M:
        far = format_distance(metres) if metres else tr("{int} м", int=0)
        raise Conflict("lat", tr("Вы в {far} от пространства: отметиться можно на месте, не дальше {CHECKIN_RADIUS_M} м", far=far, CHECKIN_RADIUS_M=CHECKIN_RADIUS_M))
    return _do_check_in(session, effects, booking, user, "renter", "geo", now)


# --- no-show release ---------------------------------------------------------------------------


def do_release_no_shows(session: Session, effects: Effects, *, now: datetime | None = None, limit: int = 200) -> int:
    """Confirmed bookings of spaces with the release on, started more than their grace
    period ago, still running and not checked in: marked no-shows by the system."""
    now = now or av.utcnow()
    grace = func.make_interval(0, 0, 0, 0, 0, Space.checkin_grace_minutes)
    rows = session.scalars(
        select(Booking).join(Space, Space.id == Booking.space_id)
        .where(Booking.status == S.confirmed.value, Booking.checked_in_at.is_(None), Space.no_show_release,
               Booking.start_at > now - timedelta(days=2), Booking.start_at + grace <= now, Booking.end_at > now,
               ~PLAN_HOLD_SQL)  # a member's desk for the month is theirs whether they come or not
        .order_by(Booking.start_at).limit(limit).with_for_update(of=Booking, skip_locked=True))
    count = 0
    for booking in rows:
        do_record_no_show(session, effects, booking, actor=None, role="system",
                          reason=tr("гость не отметился вовремя: места освобождены"))
        count += 1
    session.flush()
    return count
