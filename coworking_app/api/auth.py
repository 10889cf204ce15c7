"""Sign-up, sign-in, tokens, password reset and the signed-in user's profile."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from coworking_app.api.deps import Client, CurrentUser, SignedIn, Uow
from coworking_app.api.edge import EdgeRoute, responses
from coworking_app.services.accounts import identity, lifecycle, passwords, sessions, signup, twofactor
from coworking_app.services.common.errors import PermissionDenied
from coworking_app.settings import get_settings
from coworking_app.services.common.fields import Line
from coworking_app.i18n import N_, tr

router = APIRouter(tags=["auth"], route_class=EdgeRoute, responses=responses(422, 429))
_SIGNED_IN = responses(401, 403)


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Line(320)
    password: str = Field(max_length=1024)
    full_name: Line(300)
    phone: Line(64) | None = None
    role: Literal["renter", "owner"] = "renter"


class SignUpAccepted(BaseModel):
    detail: str


class SignUpConfirmIn(BaseModel):
    """The code from the mail with the address it went to, or the link's token."""
    model_config = ConfigDict(extra="forbid")
    email: str = Field("", max_length=320)
    code: str = Field("", max_length=32)
    token: str = Field("", max_length=200)


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket: str = Field(max_length=200)


class UserOut(BaseModel):
    id: int
    email: str
    full_name: str
    phone: str | None
    roles: list[str]
    language: str
    email_verified: bool
    totp_enabled: bool


def user_out(user) -> UserOut:
    return UserOut(id=user.id, email=user.email, full_name=user.full_name, phone=user.phone,
                   roles=list(user.roles), language=user.language,
                   email_verified=user.email_verified_at is not None,
                   totp_enabled=user.totp_enabled)


class LoginIn(BaseModel):
    email: Line(320)
    password: str = Field(max_length=1024)
    totp_code: Line(64) | None = None


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshIn(BaseModel):
    refresh_token: Line(200)


class ResetRequestIn(BaseModel):
    email: Line(320)


class ResetConfirmIn(BaseModel):
    token: Line(200)
    new_password: str = Field(max_length=1024)


class VerifyIn(BaseModel):
    token: Line(200)


class ProfilePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: Line(300) | None = None
    phone: Line(64) | None = None
    language: Literal["ru", "en"] | None = None
    notification_prefs: dict[Line(40), bool] | None = None


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class TwoFactorOffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(max_length=1024)
    totp_code: Line(64)


def _tokens(pair: sessions.TokenPair) -> TokensOut:
    return TokensOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                     expires_in=pair.expires_in)


SIGN_UP_SENT = (N_("Мы отправили письмо на этот адрес: откройте ссылку из него или отправьте код на /auth/register/confirm"))


@router.post("/auth/register", status_code=status.HTTP_202_ACCEPTED, response_model=SignUpAccepted,
             responses=responses(429))
def register(body: RegisterIn, uow: Uow, client: Client) -> SignUpAccepted:
    """Sign-up, step 1. The same answer whether or not the address is taken: a free one
    gets a code and a link, a taken one a note to its owner."""
    uow.run(lambda s, fx: signup.do_request_sign_up(
        s, fx, email=body.email, password=body.password, full_name=body.full_name, phone=body.phone,
        role=body.role, client=client))
    return SignUpAccepted(detail=SIGN_UP_SENT)


@router.post("/auth/register/confirm", response_model=TokensOut, responses=responses(409, 429))
def register_confirm(body: SignUpConfirmIn, uow: Uow, client: Client) -> TokensOut:
    """Sign-up, step 2: the code (with the address) or the link's token creates the
    account, its email verified, and signs it in."""
    def work(s, fx):
        user, _next = signup.do_confirm_sign_up(s, email=body.email, code=body.code, token=body.token)
        return sessions.do_sign_in_api(s, fx, user, client)
    return _tokens(uow.run(work))


@router.post("/auth/login", response_model=TokensOut, responses=_SIGNED_IN)
def login(body: LoginIn, uow: Uow, client: Client) -> TokensOut:
    def work(s, fx):
        user = sessions.authenticate(s, email=body.email, password=body.password,
                                     totp_code=body.totp_code, client=client)
        return sessions.do_sign_in_api(s, fx, user, client)
    return _tokens(uow.run(work))


@router.post("/auth/refresh", response_model=TokensOut, responses=_SIGNED_IN)
def refresh(body: RefreshIn, uow: Uow) -> TokensOut:
    return _tokens(uow.run(lambda s, _fx: sessions.do_refresh_tokens(s, body.refresh_token)))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN)
def logout(signed_in: SignedIn, uow: Uow) -> Response:
    uow.run(lambda s, _fx: sessions.do_sign_out(s, signed_in[1]))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/logout-everywhere", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN)
def logout_everywhere(user: CurrentUser, uow: Uow) -> Response:
    uow.run(lambda s, _fx: sessions.do_sign_out_everywhere(s, user))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the web pages' session cookie --------------------------------------------------------
# HttpOnly, so no page script can read the token; set from a one-time ticket the sign-in
# handler issued on the server, and cleared at sign-out. Not part of the public API.


def _same_origin(request: Request) -> None:
    """Only the site's own pages may call: a JSON POST (a cross-site form cannot send one
    without a CORS preflight) whose Origin is this site. With SameSite=Strict on the
    cookie, this stops cross-site sign-in and sign-out (CSRF)."""
    origin = request.headers.get("origin", "")
    own = {urlsplit(get_settings().base_url).netloc, request.headers.get("host", "")}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" or not origin or urlsplit(origin).netloc not in own:
        raise PermissionDenied(tr("Запрос не с этого сайта"))


def _secure_cookie(request: Request) -> bool:
    return request.url.scheme == "https" or get_settings().base_url.startswith("https://")


@router.post("/auth/ui-session", status_code=status.HTTP_204_NO_CONTENT, include_in_schema=False)
def ui_session_start(body: TicketIn, request: Request) -> Response:
    _same_origin(request)
    token = sessions.do_take_cookie_ticket(body.ticket)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.set_cookie(sessions.SESSION_COOKIE, token, max_age=get_settings().session_days * 86400,
                        path="/", httponly=True, samesite="strict", secure=_secure_cookie(request))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/auth/ui-session/end", status_code=status.HTTP_204_NO_CONTENT, include_in_schema=False)
def ui_session_end(request: Request, uow: Uow) -> Response:
    _same_origin(request)
    uow.run(lambda s, _fx: sessions.do_sign_out_by_token(s, request.cookies.get(sessions.SESSION_COOKIE)))
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(sessions.SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_secure_cookie(request))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/auth/password-reset/request", status_code=status.HTTP_202_ACCEPTED)
def password_reset_request(body: ResetRequestIn, uow: Uow, client: Client) -> dict:
    uow.run(lambda s, fx: passwords.do_request_password_reset(s, fx, body.email, client))
    return {"detail": tr("Если этот адрес зарегистрирован, ссылка для смены пароля уже в пути")}


@router.post("/auth/password-reset/confirm")
def password_reset_confirm(body: ResetConfirmIn, uow: Uow) -> dict:
    uow.run(lambda s, fx: passwords.do_reset_password(s, fx, body.token, body.new_password))
    return {"detail": tr("Пароль изменён, войдите с новым паролем")}


@router.post("/auth/verify-email")
def verify_email(body: VerifyIn, uow: Uow) -> dict:
    uow.run(lambda s, _fx: lifecycle.do_verify_email(s, body.token))
    return {"detail": tr("Email подтверждён")}


@router.get("/me", response_model=UserOut, responses=_SIGNED_IN)
def me(user: CurrentUser) -> UserOut:
    return user_out(user)


@router.patch("/me", response_model=UserOut, responses=_SIGNED_IN)
def patch_me(body: ProfilePatch, user: CurrentUser, uow: Uow) -> UserOut:
    uow.run(lambda s, _fx: identity.do_update_profile(s, user, **body.model_dump(exclude_unset=True)))
    return user_out(user)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN)
def change_password(body: PasswordChangeIn, signed_in: SignedIn, uow: Uow) -> Response:
    user, auth_session = signed_in
    uow.run(lambda s, fx: passwords.do_change_password(s, fx, user, current_password=body.current_password,
                                                       new_password=body.new_password,
                                                       keep_session_id=auth_session.id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/two-factor/disable", response_model=UserOut, responses=responses(401, 403, 409))
def disable_two_factor(body: TwoFactorOffIn, user: CurrentUser, uow: Uow) -> UserOut:
    """Turns two-factor sign-in off: the current password and a current code from the
    authenticator app (or an unused recovery code). 409 when it is off; 403 for operators and
    admins while it is required of them; 429 after too many attempts."""
    uow.run(lambda s, _fx: twofactor.do_disable(s, user, password=body.current_password, code=body.totp_code))
    return user_out(user)
