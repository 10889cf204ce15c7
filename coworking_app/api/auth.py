"""Sign-up, sign-in, tokens, password reset and the signed-in user's profile."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from coworking_app.api.deps import Client, CurrentUser, DbSession, SignedIn
from coworking_app.api.edge import EdgeRoute, responses
from coworking_app.services import accounts
from coworking_app.services.fields import Line

router = APIRouter(tags=["auth"], route_class=EdgeRoute, responses=responses(422, 429))
_SIGNED_IN = responses(401, 403)


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Line(320)
    password: str = Field(max_length=1024)
    full_name: Line(300)
    phone: Line(64) | None = None
    role: Literal["renter", "owner"] = "renter"


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


def _tokens(pair: accounts.TokenPair) -> TokensOut:
    return TokensOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                     expires_in=pair.expires_in)


@router.post("/auth/register", status_code=status.HTTP_201_CREATED, response_model=UserOut,
             responses=responses(409))
def register(body: RegisterIn, session: DbSession) -> UserOut:
    user = accounts.do_register(session, email=body.email, password=body.password,
                                full_name=body.full_name, phone=body.phone, role=body.role)
    return user_out(user)


@router.post("/auth/login", response_model=TokensOut, responses=_SIGNED_IN)
def login(body: LoginIn, session: DbSession, client: Client) -> TokensOut:
    user = accounts.authenticate(session, email=body.email, password=body.password,
                                 totp_code=body.totp_code, client=client)
    return _tokens(accounts.do_sign_in_api(session, user, client))


@router.post("/auth/refresh", response_model=TokensOut, responses=_SIGNED_IN)
def refresh(body: RefreshIn, session: DbSession) -> TokensOut:
    return _tokens(accounts.do_refresh_tokens(session, body.refresh_token))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN)
def logout(signed_in: SignedIn, session: DbSession) -> Response:
    accounts.do_sign_out(session, signed_in[1])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/logout-everywhere", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN)
def logout_everywhere(user: CurrentUser, session: DbSession) -> Response:
    accounts.do_sign_out_everywhere(session, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/password-reset/request", status_code=status.HTTP_202_ACCEPTED)
def password_reset_request(body: ResetRequestIn, session: DbSession, client: Client) -> dict:
    accounts.do_request_password_reset(session, body.email, client)
    return {"detail": "Если этот адрес зарегистрирован, ссылка для смены пароля уже в пути"}


@router.post("/auth/password-reset/confirm")
def password_reset_confirm(body: ResetConfirmIn, session: DbSession) -> dict:
    accounts.do_reset_password(session, body.token, body.new_password)
    return {"detail": "Пароль изменён, войдите с новым паролем"}


@router.post("/auth/verify-email")
def verify_email(body: VerifyIn, session: DbSession) -> dict:
    accounts.do_verify_email(session, body.token)
    return {"detail": "Email подтверждён"}


@router.get("/me", response_model=UserOut, responses=_SIGNED_IN)
def me(user: CurrentUser) -> UserOut:
    return user_out(user)


@router.patch("/me", response_model=UserOut, responses=_SIGNED_IN)
def patch_me(body: ProfilePatch, user: CurrentUser, session: DbSession) -> UserOut:
    accounts.do_update_profile(session, user, **body.model_dump(exclude_unset=True))
    return user_out(user)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN)
def change_password(body: PasswordChangeIn, signed_in: SignedIn, session: DbSession) -> Response:
    user, auth_session = signed_in
    accounts.do_change_password(session, user, current_password=body.current_password,
                                new_password=body.new_password, keep_session_id=auth_session.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
