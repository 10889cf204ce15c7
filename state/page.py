"""PageState: the base of every page state, and the one way a handler runs a use case.

A handler builds the use case from service calls (no queries) and runs it with one of:

- `await self._act(work)`: `work(session, effects, user)` as the person signed in on the
  tab, checked against the database in the same unit of work (coworking_app/uow.py: one
  transaction, retried on serialization failures and deadlocks, effects after commit).
  A session that has ended raises SessionEnded, which takes the person to sign-in and
  back to the page (state/auth.py);
- `await self._act_here(work)`: `work(session, effects, user, auth_session)`, with the
  sign-in of this device;
- `await self._visit(work)`: the same for pages strangers open too (`user` is None);
- `self._run(work)`: `work(session, effects)` for nobody in particular (sign-up, sign-in,
  password reset);
- `self._read(work)`: `work(session)` on a read-only session without a transaction (the
  public pages: search, a space, the home page).

What comes back is an `Outcome`: the value, or the refusal as a message in the tab's
language and the field it names, ready for a form (`outcome.errors`) or a toast
(`outcome.toast()`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import reflex as rx
from pydantic import ValidationError
from sqlmodel import Session

from coworking_app.db import read_scope
from coworking_app.effects import Effects
from coworking_app.services.accounts.sessions import access_user_by_session_token
from coworking_app.services.common.errors import NotAuthenticated, PermissionDenied, RateLimited, ServiceError
from coworking_app.services.common.validation import first_message
from coworking_app.uow import run_use_case
from models import AuthSession, User
from state.auth import AuthState, SessionEnded, client_of

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a use case run from a page came to: `value` when `ok`, else the refusal."""

    ok: bool
    value: T | None = None
    message: str = ""  # the refusal, as the person reads it
    field: str = ""  # the input it is about ("" = the form as a whole)
    denied: bool = False  # signed in, but this person may not (an operator page for a renter)
    from_model: bool = False  # the form's model refused it: the message does not name the field
    reason: Exception | None = None  # the refusal as the service raised it (RateLimited: its wait)

    @property
    def errors(self) -> dict[str, str]:
        """For a form's per-field messages: {field: message}, {} when it went through."""
        return {} if self.ok else {self.field: self.message}

    @property
    def sentence(self) -> str:
        """The refusal as a sentence on its own (services word it to follow a field's name:
        "счёт уже оплачен" -> "Счёт уже оплачен")."""
        return self.message[:1].upper() + self.message[1:]

    def toast(self):
        """The refusal as an error toast (None when it went through)."""
        return None if self.ok else rx.toast.error(self.message)


def refused(exc: ServiceError | ValidationError, *, signed_in: bool = False) -> Outcome[Any]:
    """A refusal as a page shows it. For a use case run as the signed-in person an ended
    session is no refusal but SessionEnded; for one run by nobody in particular it is (a
    wrong password)."""
    if signed_in and isinstance(exc, NotAuthenticated):
        raise SessionEnded() from exc
    if isinstance(exc, ValidationError):
        problems = exc.errors()
        loc = problems[0].get("loc", ()) if problems else ()
        return Outcome(False, message=first_message(problems),
                       field=str(loc[0]) if loc and isinstance(loc[0], str) else "", from_model=True, reason=exc)
    message = exc.wait_text if isinstance(exc, RateLimited) else getattr(exc, "message", str(exc))
    return Outcome(False, message=message, field=getattr(exc, "field", "") or "",
                   denied=isinstance(exc, PermissionDenied), reason=exc)


def run(work: Callable[[Session, Effects], T], *, signed_in: bool = False) -> Outcome[T]:
    """`work(session, effects)` in a unit of work of its own; a refusal as an Outcome."""
    try:
        return Outcome(True, run_use_case(work))
    except (ServiceError, ValidationError) as exc:
        return refused(exc, signed_in=signed_in)


def run_as(token: str, work: Callable[..., T], *, optional: bool = False,
           device: bool = False) -> Outcome[T]:
    """Runs `work(session, effects, user)` in a unit of work of its own as the person signed in
    with this cookie token (with `optional`, a stranger runs it as user None; with `device`,
    work gets the sign-in of this device too: `work(session, effects, user, auth_session)`)."""
    def use_case(session: Session, effects: Effects) -> T:
        try:
            user, row = access_user_by_session_token(session, token)
        except NotAuthenticated:
            if not optional:
                raise
            user = row = None
        return work(session, effects, user, row) if device else work(session, effects, user)
    return run(use_case, signed_in=True)


class PageState(rx.State):
    """The base of the page states: the person of this tab, checked on every call."""

    async def _auth(self) -> AuthState:
        """Who is signed in on this tab (the header, sign-in and sign-out, the device)."""
        return await self.get_state(AuthState)

    async def _token(self) -> str:
        return (await self._auth()).session_token

    def _client_ip(self) -> str:
        """This tab's client address (the key of per-address limits)."""
        return client_of(self.router).ip

    async def _act(self, work: Callable[[Session, Effects, User], T]) -> Outcome[T]:
        """`work` as the signed-in person; SessionEnded when nobody is signed in any more."""
        return run_as(await self._token(), work)

    @staticmethod
    async def _act_as_in_thread(token: str, work: Callable[[Session, Effects, User], T]) -> Outcome[T]:
        """`_act` for work that waits on something slow outside the database (the crawler's
        test of one page, a child process): from a background handler, with the token read
        under `async with self`, in a worker thread, so that neither the event loop nor the
        state's lock waits for it."""
        return await asyncio.to_thread(run_as, token, work)

    async def _act_here(self, work: Callable[[Session, Effects, User, AuthSession], T]) -> Outcome[T]:
        """`_act` for what concerns this device's sign-in (the cabinet's device list, a
        password change that keeps this device signed in)."""
        return run_as(await self._token(), work, device=True)

    async def _visit(self, work: Callable[[Session, Effects, User | None], T]) -> Outcome[T]:
        """`work` for whoever opened the page: the signed-in person or None."""
        return run_as(await self._token(), work, optional=True)

    def _run(self, work: Callable[[Session, Effects], T]) -> Outcome[T]:
        """`work(session, effects)` for nobody in particular (sign-up, sign-in, reset)."""
        return run(work)

    def _read(self, work: Callable[[Session], T]) -> Outcome[T]:
        """`work(session)` on a read-only session (db.read_scope): public pages."""
        try:
            with read_scope() as session:
                return Outcome(True, work(session))
        except (ServiceError, ValidationError) as exc:
            return refused(exc)
