"""The waitlist on screen (rules: services/booking/waitlist.py): "Встать в лист ожидания" in the
booking panel when the chosen time has no seats, and the person's lines in "Мои брони"."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import format_stay, zone_name
from coworking_app.services.booking import waitlist
from coworking_app.settings import get_settings
from state.booking import BookingPanelState
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import tr


class WaitlistJoinState(BookingPanelState):
    """The panel's "Встать в лист ожидания": the panel's own choice (its request), in line."""

    joined: str = ""  # what the person reads after joining (or why they could not)
    in_line: bool = False  # joined: the button goes
    waiting_busy: bool = False

    @rx.event
    async def join(self):
        if not (await self._auth()).signed_in:
            yield rx.redirect("/login?next=" + quote(self.choice_url(), safe=""))
            return
        try:
            request = self._request()
        except ValidationError:
            request = None
        if request is None:
            self.joined = ""
            return
        line = waitlist.WaitlistRequest(resource_id=request.resource_id, start=request.start, end=request.end,
                                        seats=request.seats)
        self.waiting_busy = True
        yield

        def work(session, effects, user):
            entry = waitlist.do_join_waitlist(session, effects, user, line)
            return waitlist.positions(session, [entry.id])[entry.id]

        done = await self._act(work)
        self.waiting_busy = False
        self.in_line = done.ok
        if done.ok:
            minutes = get_settings().waitlist_hold_seconds // 60
            self.joined = (tr("Вы в листе ожидания, место в очереди: {value}. Если место освободится, мы придержим его для вас на {minutes} мин и сразу сообщим.", value=done.value, minutes=minutes))
        else:
            self.joined = done.sentence


@dataclass
class WaitRow:
    id: int = 0
    title: str = ""  # space: resource
    when: str = ""
    status: str = ""  # waiting | offered
    note: str = ""  # place in line, or the offer
    booking_id: int = 0  # the offer's hold, while it waits for its payment
    space_href: str = ""


def _row(e: waitlist.WaitlistEntryOut) -> WaitRow:
    when = f"{format_stay(e.start, e.end)} ({zone_name(e.start)})" + (tr(" · мест: {seats}", seats=e.seats) if e.seats > 1 and not e.whole else "")
    if e.status == "waiting":
        note = tr("Место в очереди: {position}", position=e.position)
    elif e.offer_expires_at is not None:
        note = tr("Место освободилось и держится за вами до {offer_expires_at:%H:%M} — оплатите бронь № {booking_id}", offer_expires_at=e.offer_expires_at, booking_id=e.booking_id)
    elif e.booking_status in ("paid", "confirmed", "completed"):
        note = tr("Забронировано: бронь № {booking_id}", booking_id=e.booking_id)
    else:
        note = tr("Предложение истекло: бронь не оплатили вовремя")
    payable = e.offer_expires_at is not None and e.booking_id is not None
    return WaitRow(e.id, f"{e.space_name}: {e.resource_name}", when, e.status, note,
                   e.booking_id if payable else 0, f"/spaces/{e.space_id}")


class MyWaitlistState(PageState):
    """"Лист ожидания" in "Мои брони": each line with its place, leaving it."""

    rows: list[WaitRow] = []

    @rx.event
    async def load(self):
        done = await self._act(lambda s, _fx, u: waitlist.my_waitlist(s, u))
        self.rows = [_row(e) for e in done.value] if done.ok else []

    @rx.event
    async def leave(self, entry_id: int):
        entry_id = parse_id(entry_id)
        if entry_id is None:
            return None
        done = await self._act(lambda s, _fx, u: waitlist.do_leave_waitlist(s, u, entry_id))
        if not done.ok:
            return done.toast()
        done = await self._act(lambda s, _fx, u: waitlist.my_waitlist(s, u))
        self.rows = [_row(e) for e in done.value] if done.ok else []
        return rx.toast.success(tr("Вы вышли из листа ожидания"))
