"""Dependencies shared by the routes."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from coworking_app.db import read_scope
from coworking_app.services.accounts.identity import ClientInfo
from coworking_app.services.accounts.sessions import (
    access_caller_by_bearer,
    access_user_by_access_token,
    access_user_by_bearer,
    token_user_id,
)
from coworking_app.services.accounts.permissions import Caller
from coworking_app.services.common.errors import NotAuthenticated
from coworking_app.services.accounts.security import client_address
from coworking_app.settings import get_settings
from coworking_app.uow import UnitOfWork
from models import AuthSession, User
from coworking_app.i18n import tr

T = TypeVar("T")


_bearer = HTTPBearer(auto_error=False)


def _unit_of_work(request: Request) -> Iterator[UnitOfWork]:
    """The request's unit of work, begun as the user of its access token if it carries a
    validly signed one (CurrentUser then checks that the token's session is live): the
    audit settings go once, with the first statement. (The header is read here, not through
    the HTTPBearer dependency: public routes must not be documented as needing a token.)"""
    with UnitOfWork(actor_id=header_user_id(request.headers.get("authorization"))) as uow:
        uow.begin()
        yield uow


# scope="function": the transaction commits (or rolls back) when the route returns, before
# the answer is sent. A failing commit is an error answer, never a 2xx for a change that was
# lost, and the client's next request sees what the last one wrote. A route that changes
# data runs its use case with `uow.run(lambda session, effects: ...)`: retried on a
# serialization failure or deadlock, its effects sent after the commit (coworking_app/uow.py).
Uow = Annotated[UnitOfWork, Depends(_unit_of_work, scope="function")]


async def _session(uow: Uow) -> Session:
    return uow.session  # begun by _unit_of_work (no I/O on the event loop here)


def _read_session() -> Iterator[Session]:
    with read_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(_session)]  # the request's unit of work's session
ReadSession = Annotated[Session, Depends(_read_session, scope="function")]  # GET routes that never write


def client_info(request: Request) -> ClientInfo:
    peer = request.client.host if request.client else ""
    return ClientInfo(ip=client_address(peer, request.headers.getlist("x-forwarded-for")),
                      user_agent=request.headers.get("user-agent", "")[:255])


Client = Annotated[ClientInfo, Depends(client_info)]


def _signed_in(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> tuple[User, AuthSession]:
    return access_user_by_access_token(session, _token(credentials))


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated(tr("Войдите: нужен токен доступа (Authorization: Bearer …)"))
    return credentials.credentials


SignedIn = Annotated[tuple[User, AuthSession], Depends(_signed_in)]


def _current_user(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    return access_user_by_bearer(session, _token(credentials))


CurrentUser = Annotated[User, Depends(_current_user)]


def _service_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    """The raw `Authorization: Bearer` value for routes machines call with a service key
    (services/market/keys.py checks it inside the route's unit of work)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        return None
    return credentials.credentials


ServiceKeyHeader = Annotated[str | None, Depends(_service_key)]


def bearer_user(session: Session, authorization: str | None) -> User:
    """The same check as CurrentUser, called inside a route's own session: hot routes use
    it to run in one worker-thread hop instead of one per dependency."""
    return access_user_by_bearer(session, _header_token(authorization))


def bearer_caller(session: Session, authorization: str | None) -> Caller:
    """bearer_user for the booking route: who is calling, without an ORM user."""
    return access_caller_by_bearer(session, _header_token(authorization))


def header_user_id(authorization: str | None) -> int | None:
    """token_user_id of an Authorization header (the booking route's own unit of work)."""
    scheme, _, token = (authorization or "").partition(" ")
    return token_user_id(token.strip()) if scheme.lower() == "bearer" else None


def _header_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated(tr("Войдите: нужен токен доступа (Authorization: Bearer …)"))
    return token.strip()


_executor: ThreadPoolExecutor | None = None


async def in_worker_thread(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` on this process's worker threads (API_THREADS of them), with the
    request's context variables (audit context). What FastAPI does for a sync route, at a
    quarter of the event loop's cost (anyio's limiter, cancel scope and backend lookups are
    a tenth of a booking's CPU, measured): for the busiest route."""
    global _executor
    if _executor is None:  # per process: granian forks its workers after importing this
        _executor = ThreadPoolExecutor(get_settings().api_threads, thread_name_prefix="api")
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_executor, context.run, function, *args)
