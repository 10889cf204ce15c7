"""Services called from the bot's event loop: each runs in a worker thread, in a unit of
work of its own (writes) or on a read-only session (reads), as every adapter does
(docs/architecture.md, "How to add an adapter")."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from sqlmodel import Session

from coworking_app.db import read_scope
from coworking_app.effects import Effects
from coworking_app.services.messaging import telegram
from coworking_app.uow import run_use_case

T = TypeVar("T")


def _read(work: Callable[[Session], T]) -> T:
    with read_scope() as session:
        return work(session)


async def read(work: Callable[[Session], T]) -> T:
    """`work(session)` on a read-only session."""
    return await asyncio.to_thread(_read, work)


async def act(work: Callable[[Session, Effects], T]) -> T:
    """`work(session, effects)` in a unit of work (committed, effects sent after commit)."""
    return await asyncio.to_thread(run_use_case, work)


async def as_person(chat_id: int, work: Callable[[Session, Effects, Any], T]) -> T:
    """`work(session, effects, user)` as the person the chat is linked to (None when it is
    not linked; the services refuse a stranger what needs a person)."""
    return await act(lambda s, fx: work(s, fx, telegram.user_of_chat(s, chat_id)))


async def read_as_person(chat_id: int, work: Callable[[Session, Any], T]) -> T:
    return await read(lambda s: work(s, telegram.user_of_chat(s, chat_id)))
