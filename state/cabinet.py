"""The renter cabinet: profile, password, devices, two-factor authentication."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from coworking_app.formatting import format_moment
from coworking_app.services.accounts import identity, passwords, sessions as auth_sessions, twofactor
from coworking_app.services.common.qr import svg_data_uri
from coworking_app.settings import get_settings
from state.inputs import parse_id
from state.auth import AuthState
from state.page import PageState
from coworking_app.i18n import tr


@dataclass
class DeviceView:
    id: int = 0
    label: str = ""
    seen: str = ""
    current: bool = False


def _device_label(user_agent: str) -> str:
    ua = user_agent or ""
    browser = next((b for b in ("Edg", "Firefox", "Chrome", "Safari") if b in ua), tr("Браузер"))
    system = next((s for s in ("Android", "iPhone", "Windows", "Mac OS", "Linux") if s in ua), "")
    return f"{'Edge' if browser == 'Edg' else browser}{', ' + system if system else ''}"


class CabinetState(PageState):
    full_name: str = ""
    phone: str = ""
    language: str = "ru"
    profile_message: str = ""
    errors: dict[str, str] = {}
    current_password: str = ""
    new_password: str = ""
    password_message: str = ""
    devices: list[DeviceView] = []
    totp_enabled: bool = False
    totp_qr: str = ""  # data: URI of the enrolment QR code
    totp_secret_shown: str = ""
    totp_code: str = ""
    recovery_codes: list[str] = []
    # Turning two-factor off: the form opens on "Выключить 2FA" and asks for the password and a code.
    totp_off_open: bool = False
    totp_off_refusal: str = ""  # why it cannot be turned off (staff while it is required)
    off_password: str = ""
    off_code: str = ""
    totp_message: str = ""

    @rx.event
    async def load(self):
        done = await self._act_here(lambda s, _fx, user, here: (user, here.id, auth_sessions.list_sessions(s, user)))
        if not done.ok:
            return
        user, current_id, sessions = done.value
        self.full_name, self.phone = user.full_name, user.phone or ""
        self.language, self.totp_enabled = user.language, user.totp_enabled
        self.totp_off_refusal = (twofactor.disable_refusal(user) or "") if user.totp_enabled else ""
        self.devices = [
            DeviceView(id=s.id, label=_device_label(s.user_agent) + (f" · {s.ip}" if s.ip else ""),
                       seen=format_moment(s.last_seen_at, get_settings().report_timezone, named=True),
                       current=s.id == current_id)
            for s in sessions
        ]

    @rx.event
    def set_form(self, field: str, value: str):
        if field in ("full_name", "phone", "current_password", "new_password", "totp_code",
                     "off_password", "off_code"):
            setattr(self, field, str(value)[:1024])
            # A message about the old value must not stay under the new one (the turn-off
            # form's fields answer to the service's names).
            stale = {"off_password": ("current_password", "totp_off"),
                     "off_code": ("totp_code", "totp_off")}.get(field, (field,))
            if any(k in self.errors for k in stale):
                self.errors = {k: v for k, v in self.errors.items() if k not in stale}
            if field in ("full_name", "phone"):
                self.profile_message = ""
            elif field in ("current_password", "new_password"):
                self.password_message = ""

    @rx.event
    def set_language(self, value: str):
        self.language = "en" if value == "en" else "ru"
        self.profile_message = ""

    @rx.event
    async def save_profile(self, _form: dict):
        full_name, phone, language = self.full_name, self.phone, self.language

        def work(session, _effects, user):
            identity.do_update_profile(session, user, full_name=full_name, phone=phone, language=language)
            return user
        done = await self._act(work)
        self.errors, self.profile_message = done.errors, tr("Сохранено") if done.ok else ""
        if done.ok:
            (await self._auth())._show(done.value)  # the header's name
            return AuthState.switch_language(language)  # the pages speak the language chosen, at once

    @rx.event
    async def change_password(self, _form: dict):
        current, new = self.current_password, self.new_password
        done = await self._act_here(lambda s, fx, user, here: passwords.do_change_password(
            s, fx, user, current_password=current, new_password=new, keep_session_id=here.id))
        if not done.ok:
            self.password_message = done.message
            return None
        self.current_password = self.new_password = ""
        self.password_message = tr("Пароль изменён, другие устройства вышли из аккаунта")
        return CabinetState.load

    @rx.event
    async def revoke(self, session_id: int):
        session_id = parse_id(session_id)
        if session_id is not None:
            await self._act(lambda s, _fx, u: auth_sessions.do_sign_out(
                s, auth_sessions.access_session_of_user(s, u, session_id)))
        return CabinetState.load

    @rx.event
    async def sign_out_everywhere(self):
        await self._act(lambda s, _fx, u: auth_sessions.do_sign_out_everywhere(s, u))
        return (await self._auth())._signed_out("/login")

    @rx.event
    async def start_totp(self):
        done = await self._act(lambda s, _fx, u: twofactor.do_start_enrolment(s, u))
        if not done.ok:
            self.password_message = done.message
            return
        secret, _uri, svg = done.value
        self.totp_secret_shown = secret
        self.totp_qr = svg_data_uri(svg)

    @rx.event
    async def confirm_totp(self, _form: dict):
        code = self.totp_code
        done = await self._act(lambda s, _fx, u: twofactor.do_confirm_enrolment(s, u, code))
        self.errors = done.errors
        if done.ok:
            self.recovery_codes = done.value
            self.totp_enabled, self.totp_qr, self.totp_secret_shown, self.totp_code = True, "", "", ""
            self.totp_message = ""

    @rx.event
    def open_totp_off(self, open_: bool = True):
        self.totp_off_open = bool(open_)
        self.off_password = self.off_code = self.totp_message = ""
        self.errors = {}

    @rx.event
    async def disable_totp(self, form: dict):
        """"Выключить": the password and a code as submitted (autofill never fires on_change)."""
        form = form if isinstance(form, dict) else {}
        password = str(form.get("off_password") or self.off_password)[:1024]
        code = str(form.get("off_code") or self.off_code)[:64]
        self.errors, self.totp_message = {}, ""
        done = await self._act(lambda s, _fx, u: twofactor.do_disable(s, u, password=password, code=code))
        if not done.ok:
            # A refusal that names no input of the form (a rate limit, staff who must keep
            # it) is shown above the form.
            self.errors = {done.field if done.field in ("current_password", "totp_code") else "totp_off":
                           done.message}
            return None
        self.totp_enabled, self.totp_off_open, self.recovery_codes = False, False, []
        self.off_password = self.off_code = ""
        self.totp_message = tr("Двухфакторная защита выключена: для входа снова нужен только пароль")
        return None
