"""Check-in on screen (rules: services/booking/checkin.py): the guest's QR code and "Я на месте"
in "Мои брони", and the staff's page /checkin that a scanned code opens."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

import reflex as rx

from coworking_app.formatting import format_moment
from coworking_app.services.booking import checkin
from coworking_app.services.common.qr import qr_data_uri
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import Labels, N_, tr

# The browser's position, as [lat, lon], or {"error": code} (1: refused, 2: unknown, 3: too slow).
LOCATE_JS = """new Promise((done) => {
  if (!navigator.geolocation) { done({error: 2}); return; }
  navigator.geolocation.getCurrentPosition(
    (p) => done([p.coords.latitude, p.coords.longitude]),
    (e) => done({error: e.code}),
    {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
})"""
LOCATE_ERRORS = Labels({1: N_("Разрешите браузеру доступ к геопозиции, чтобы отметиться на месте"),
                 3: N_("Не удалось быстро определить, где вы: попробуйте ещё раз или покажите QR-код")})


def _arrived(out: checkin.CheckinOut) -> str:
    """"Приход отмечен: 10:05" (the space's local time), or "" before the arrival."""
    return tr("Приход отмечен: {checked_in_at:%H:%M}", checked_in_at=out.checked_in_at) if out.checked_in_at else ""


class CheckinPassState(PageState):
    """The dialog "Вход по QR" of a confirmed booking."""

    open: bool = False
    booking_id: int = 0
    qr: str = ""  # data: URI of the SVG
    valid_until: str = ""
    arrived: str = ""  # "Приход отмечен: 10:05"
    message: str = ""
    locating: bool = False

    @rx.event
    async def show(self, booking_id: int):
        booking_id = parse_id(booking_id)
        if booking_id is None:
            return None
        done = await self._act(lambda s, _fx, u: checkin.checkin_pass(s, u, booking_id))
        if not done.ok:
            return done.toast()
        p = done.value
        self.booking_id, self.qr = p.booking_id, qr_data_uri(p.url)
        self.valid_until = format_moment(p.valid_until, p.valid_until.tzinfo, named=True)
        self.arrived = tr("Приход отмечен: {checked_in_at:%H:%M}", checked_in_at=p.checked_in_at) if p.checked_in_at else ""
        self.message, self.locating, self.open = "", False, True
        return None

    @rx.event
    def open_changed(self, value: bool):
        self.open = bool(value)

    @rx.event
    def locate(self):
        self.locating, self.message = True, ""
        return rx.call_script(LOCATE_JS, callback=CheckinPassState.here)

    @rx.event
    async def here(self, result):
        self.locating = False
        if isinstance(result, dict) or not isinstance(result, list) or len(result) != 2:
            code = result.get("error") if isinstance(result, dict) else 2
            self.message = LOCATE_ERRORS.get(code, tr("Не удалось определить, где вы: покажите QR-код на ресепшене"))
            return
        try:
            where = checkin.NearbyIn(lat=float(result[0]), lon=float(result[1]))
        except (TypeError, ValueError):
            self.message = tr("Не удалось определить, где вы: покажите QR-код на ресепшене")
            return
        booking_id = self.booking_id
        done = await self._act(lambda s, fx, u: checkin.do_check_in_nearby(s, fx, u, booking_id, where))
        if done.ok:
            self.arrived = _arrived(done.value)
        else:
            self.message = done.sentence


class StaffCheckinState(PageState):
    """/checkin?t=<token>: what a scanned QR code names, and "Отметить приход"."""

    token: str = ""
    found: bool = False
    signed_out: bool = False
    guest: str = ""
    place: str = ""  # space: resource
    when: str = ""
    seats: int = 0
    arrived: str = ""
    error: str = ""
    busy: bool = False
    login_href: str = "/login"

    def _show(self, out: checkin.CheckinOut) -> None:
        self.found, self.guest, self.place = True, out.guest, f"{out.space}: {out.resource}"
        self.when, self.seats = out.when, out.seats
        self.arrived = _arrived(out)

    async def _look(self) -> None:
        self.found, self.error, self.arrived = False, "", ""
        if not self.token:
            return
        token = self.token
        done = await self._act(lambda s, _fx, u: checkin.checkin_preview(s, u, token))
        if done.ok:
            self._show(done.value)
        else:
            self.error = done.sentence

    @rx.event
    async def load(self):
        self.token = (self.router.url.query_parameters.get("t", "") or "")[:200]
        self.signed_out = not (await self._auth()).signed_in
        self.login_href = "/login?next=" + quote(f"/checkin?t={self.token}" if self.token else "/checkin", safe="")
        if not self.signed_out:
            await self._look()

    @rx.event
    async def lookup(self, form: dict):
        """The code typed or pasted: the token itself, or the whole link from the QR code."""
        text = str(form.get("token", "")).strip()[:500]
        found = re.search(r"[?&]t=([^&#\s]+)", text)
        self.token = unquote(found[1] if found else text)[:200]
        await self._look()

    @rx.event
    async def check_in(self):
        token = self.token
        self.busy = True
        yield
        done = await self._act(lambda s, fx, u: checkin.do_check_in_by_token(s, fx, u, token))
        self.busy = False
        if done.ok:
            self._show(done.value)
        else:
            self.error = done.sentence
