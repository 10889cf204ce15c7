"""The renter cabinet: profile, password, devices, two-factor authentication."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import reflex as rx

from coworking_app.formatting import format_moment
from coworking_app.services.accounts import identity, passwords, sessions, twofactor
from coworking_app.services.common.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from state.auth import AuthState


@dataclass
class DeviceView:
    id: int = 0
    label: str = ""
    seen: str = ""
    current: bool = False


def _device_label(user_agent: str) -> str:
    ua = user_agent or ""
    browser = next((b for b in ("Edg", "Firefox", "Chrome", "Safari") if b in ua), "Браузер")
    system = next((s for s in ("Android", "iPhone", "Windows", "Mac OS", "Linux") if s in ua), "")
    return f"{'Edge' if browser == 'Edg' else browser}{', ' + system if system else ''}"


class CabinetState(rx.State):
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

    async def _auth(self) -> AuthState:
        return await self.get_state(AuthState)

    @rx.event
    async def load(self):
        auth = await self._auth()
        try:
            def _work(session, effects):
                user, row = sessions.access_user_by_session_token(session, auth.session_token)
                self.full_name, self.phone = user.full_name, user.phone or ""
                self.language, self.totp_enabled = user.language, user.totp_enabled
                self.totp_off_refusal = (twofactor.disable_refusal(user) or "") if user.totp_enabled else ""
                self.devices = [
                    DeviceView(id=s.id, label=_device_label(s.user_agent) + (f" · {s.ip}" if s.ip else ""),
                               seen=format_moment(s.last_seen_at, get_settings().report_timezone, named=True),
                               current=s.id == row.id)
                    for s in sessions.list_sessions(session, user)
                ]
            run_use_case(_work)
        except NotAuthenticated:
            return rx.redirect("/login?next=/cabinet")

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
        auth = await self._auth()
        try:
            def _work(session, effects):
                user = auth._user(session)
                identity.do_update_profile(session, user, full_name=self.full_name,
                                           phone=self.phone, language=self.language)
                auth._show(user)
            run_use_case(_work)
            self.errors, self.profile_message = {}, "Сохранено"
        except InvalidInput as exc:
            self.errors, self.profile_message = {exc.field: exc.message}, ""
        except NotAuthenticated:
            return rx.redirect("/login?next=/cabinet")

    @rx.event
    async def change_password(self, _form: dict):
        auth = await self._auth()
        try:
            def _work(session, effects):
                user, row = sessions.access_user_by_session_token(session, auth.session_token)
                passwords.do_change_password(session, effects, user, current_password=self.current_password,
                                             new_password=self.new_password, keep_session_id=row.id)
            run_use_case(_work)
            self.current_password = self.new_password = ""
            self.password_message = "Пароль изменён, другие устройства вышли из аккаунта"
            return CabinetState.load
        except InvalidInput as exc:
            self.password_message = exc.message
        except NotAuthenticated:
            return rx.redirect("/login?next=/cabinet")

    @rx.event
    async def revoke(self, session_id: int):
        auth = await self._auth()
        try:
            def _work(session, effects):
                user = auth._user(session)
                sessions.do_sign_out(session, sessions.access_session_of_user(session, user, int(session_id)))
            run_use_case(_work)
        except (NotAuthenticated, NotFound, ValueError, TypeError):
            pass
        return CabinetState.load

    @rx.event
    async def sign_out_everywhere(self):
        auth = await self._auth()
        def _work(session, effects):
            try:
                sessions.do_sign_out_everywhere(session, auth._user(session))
            except NotAuthenticated:
                pass
        run_use_case(_work)
        return auth._signed_out("/login")

    @rx.event
    async def start_totp(self):
        auth = await self._auth()
        try:
            secret, _uri, svg = run_use_case(
                lambda session, _effects: twofactor.do_start_enrolment(session, auth._user(session)))
            self.totp_secret_shown = secret
            self.totp_qr = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        except (InvalidInput, NotAuthenticated) as exc:
            self.password_message = getattr(exc, "message", "")

    @rx.event
    async def confirm_totp(self, _form: dict):
        auth = await self._auth()
        try:
            def _work(session, effects):
                self.recovery_codes = twofactor.do_confirm_enrolment(session, auth._user(session),
                                                                     self.totp_code)
            run_use_case(_work)
            self.totp_enabled, self.totp_qr, self.totp_secret_shown, self.totp_code = True, "", "", ""
            self.errors, self.totp_message = {}, ""
        except InvalidInput as exc:
            self.errors = {exc.field: exc.message}
        except NotAuthenticated:
            return rx.redirect("/login?next=/cabinet")

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
        auth = await self._auth()
        self.errors, self.totp_message = {}, ""
        try:
            run_use_case(lambda session, _effects: twofactor.do_disable(
                session, auth._user(session), password=password, code=code))
        except InvalidInput as exc:
            self.errors = {exc.field: exc.message}
            return None
        except RateLimited as exc:
            self.errors = {"totp_off": exc.wait_text}
            return None
        except (Conflict, PermissionDenied) as exc:
            self.errors = {"totp_off": exc.message}
            return None
        except NotAuthenticated:
            return rx.redirect("/login?next=/cabinet")
        self.totp_enabled, self.totp_off_open, self.recovery_codes = False, False, []
        self.off_password = self.off_code = ""
        self.totp_message = "Двухфакторная защита выключена: для входа снова нужен только пароль"
        return None
