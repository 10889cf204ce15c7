"""Dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from coworking_app.db import read_scope, session_scope
from coworking_app.services.accounts import (
    Caller,
    ClientInfo,
    access_caller_by_bearer,
    access_user_by_access_token,
    access_user_by_bearer,
)
from coworking_app.services.errors import NotAuthenticated
from models import AuthSession, User


def _session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def _read_session() -> Iterator[Session]:
    with read_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(_session)]
ReadSession = Annotated[Session, Depends(_read_session)]  # GET routes that never write
_bearer = HTTPBearer(auto_error=False)


def client_info(request: Request) -> ClientInfo:
    return ClientInfo(ip=request.client.host if request.client else "",
                      user_agent=request.headers.get("user-agent", "")[:255])


Client = Annotated[ClientInfo, Depends(client_info)]


def _signed_in(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> tuple[User, AuthSession]:
    return access_user_by_access_token(session, _token(credentials))


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("Bearer access token required")
    return credentials.credentials


SignedIn = Annotated[tuple[User, AuthSession], Depends(_signed_in)]


def _current_user(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    return access_user_by_bearer(session, _token(credentials))


CurrentUser = Annotated[User, Depends(_current_user)]


def bearer_user(session: Session, authorization: str | None) -> User:
    """The same check as CurrentUser, called inside a route's own session: hot routes use
    it to run in one worker-thread hop instead of one per dependency."""
    return access_user_by_bearer(session, _header_token(authorization))


def bearer_caller(session: Session, authorization: str | None) -> Caller:
    """bearer_user for the booking route: who is calling, without an ORM user."""
    return access_caller_by_bearer(session, _header_token(authorization))


def _header_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("Bearer access token required")
    return token.strip()
