"""Saved spaces ("Сохранить" on a space page, "Избранное" in the cabinet, /api/v1/me/favourites).

Anyone signed in may save any publicly visible space; saving twice, or removing a space
that is not saved, changes nothing (the buttons and the API are idempotent). A saved space
that later stops being public stays saved but is not listed until it is public again.
Nothing happens after the commit: these take a session only."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from coworking_app.services.catalog.cards import space_cards
from coworking_app.services.catalog.search import SpaceCard
from coworking_app.services.catalog.spaces import access_public_space
from coworking_app.services.common.errors import Conflict, NotAuthenticated
from models import Favourite, User
from coworking_app.i18n import tr

# Far more than a person compares; it keeps one account from filling the table.
MAX_SAVED = 500


def _signed_in(user: User | None) -> User:
    if user is None:
        raise NotAuthenticated(tr("Войдите, чтобы сохранять пространства"))
    return user


def is_saved(session: Session, user: User | None, space_id: int) -> bool:
    """Whether this person saved this space (a stranger has saved nothing)."""
    if user is None or not 0 < space_id < 2**31:
        return False
    return session.scalar(select(Favourite.space_id).where(
        Favourite.user_id == user.id, Favourite.space_id == space_id)) is not None


def do_save_space(session: Session, user: User | None, space_id: int) -> bool:
    """Saves a publicly visible space (NotFound for another); True. Saving it again is no
    change. Refused (409) when the person already has MAX_SAVED spaces."""
    user = _signed_in(user)
    space = access_public_space(session, space_id)
    if is_saved(session, user, space.id):
        return True
    count = session.scalar(select(func.count()).select_from(Favourite)
                           .where(Favourite.user_id == user.id)) or 0
    if count >= MAX_SAVED:
        raise Conflict("space_id", tr("Сохранить можно не больше {MAX_SAVED} пространств: уберите из избранного те, что уже не нужны", MAX_SAVED=MAX_SAVED))
    # Two tabs saving at once: the second insert finds the row and adds nothing.
    session.execute(insert(Favourite).values(user_id=user.id, space_id=space.id)
                    .on_conflict_do_nothing(index_elements=["user_id", "space_id"]))
    return True


def do_unsave_space(session: Session, user: User | None, space_id: int) -> bool:
    """Removes a space from the person's saved ones (public or not any more); False."""
    user = _signed_in(user)
    if 0 < space_id < 2**31:
        session.execute(delete(Favourite).where(Favourite.user_id == user.id,
                                                Favourite.space_id == space_id))
    return False


def list_saved_spaces(session: Session, user: User | None, *, limit: int = MAX_SAVED) -> list[SpaceCard]:
    """The person's saved spaces that are publicly visible, the latest saved first."""
    user = _signed_in(user)
    ids = list(session.scalars(select(Favourite.space_id).where(Favourite.user_id == user.id)
                               .order_by(Favourite.created_at.desc(), Favourite.space_id.desc())
                               .limit(limit)))
    return space_cards(session, ids)
