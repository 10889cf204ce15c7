"""Units of work in tests, opened the way adapters open them (coworking_app/uow.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from coworking_app.uow import UnitOfWork


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work for setting up or reading back data: committed on success, rolled
    back on an error. Calls that cause effects (services taking an Effects) use
    `with UnitOfWork() as uow:` instead, whose effects run after its commit."""
    with UnitOfWork() as uow:
        yield uow.session
