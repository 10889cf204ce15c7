"""Moderation of spaces (docs/admin.md).

- An owner submits a draft: `pending_review`. Approve publishes it; reject sends it back to
  `draft` with the reason, which the owner sees in the editor and in a notification.
- An owner's change of a published space's name, description, address or photos keeps it
  published (renters are not locked out by a typo fix) and puts it in the queue as
  "changed". Approve clears the mark; reject hides the space until the owner fixes it
  and submits it again.
- Staff may hide any published space with a reason (a table row action).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlmodel import Session

from coworking_app.services.messaging.notifications import do_notify
from coworking_app.effects import Effects
from coworking_app.formatting import SPACE_STATUS_LABELS
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.catalog.cache import drop_space_pages
from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound
from coworking_app.services.catalog.owner_spaces import submission_gaps
from coworking_app.services.common.text import check_chars
from models import City, Photo, Role, Space, SpaceStatus, User
from coworking_app.i18n import Labels, N_, tr
from coworking_app.services.catalog.geo import local_name

QueueView = Literal["pending", "changed", "all"]
STATUS_WORDS = Labels({"draft": N_("черновик"), "pending_review": N_("ждёт модерации"), "published": N_("опубликовано"),
                "hidden": N_("скрыто")})


class QueuedSpace(BaseModel):
    id: int
    name: str
    address: str
    city: str
    owner_email: str
    status: str
    kind: str  # "new" (pending_review) or "changed" (published, edited)
    description: str
    photos: int
    thumb_key: str | None
    since: datetime | None
    note: str | None


def list_space_queue(session: Session, user: User | None, *, view: QueueView = "all",
                     page: int = 1, page_size: int = 50) -> tuple[list[QueuedSpace], int]:
    """Spaces waiting for a moderator, oldest first."""
    check_role(user, Role.operator, Role.admin)
    pending = Space.status == SpaceStatus.pending_review.value
    changed = (Space.status == SpaceStatus.published.value) & Space.changed_for_review_at.is_not(None)
    condition = {"pending": pending, "changed": changed}.get(view, or_(pending, changed))
    condition = condition & Space.deleted_at.is_(None)
    total = session.scalar(select(func.count()).select_from(Space).where(condition)) or 0
    photos = (select(func.count()).select_from(Photo).where(Photo.space_id == Space.id)
              .correlate(Space).scalar_subquery())
    cover = (select(Photo.thumb_key).where(Photo.space_id == Space.id).order_by(Photo.position)
             .limit(1).correlate(Space).scalar_subquery())
    since = func.coalesce(Space.changed_for_review_at, Space.updated_at)
    rows = session.execute(
        select(Space, local_name(City), User.email, photos, cover)
        .join(City, City.id == Space.city_id).outerjoin(User, User.id == Space.owner_id)
        .where(condition).order_by(since, Space.id)
        .offset((max(page, 1) - 1) * page_size).limit(page_size)
    ).all()
    return [QueuedSpace(
        id=s.id, name=s.name, address=s.address, city=city, owner_email=email or "", status=s.status,
        kind="new" if s.status == SpaceStatus.pending_review.value else "changed",
        description=s.description, photos=int(n), thumb_key=thumb,
        since=s.changed_for_review_at or s.updated_at, note=s.moderation_note,
    ) for s, city, email, n, thumb in rows], total


def _locked(session: Session, space_id: int) -> Space:
    space = session.get(Space, space_id, with_for_update=True) if 0 < space_id < 2**31 else None
    if space is None or space.deleted_at is not None:
        raise NotFound(tr("Пространство не найдено"))
    return space


def _label(space: Space) -> str:
    return SPACE_STATUS_LABELS.get(space.status, space.status)


def check_reason(reason: str | None) -> str:
    reason = check_chars("reason", (reason or "").strip(), multiline=True)
    if len(reason) < 5:
        raise InvalidInput("reason", tr("Объясните решение владельцу: причина — не короче 5 символов"))
    if len(reason) > 500:
        raise InvalidInput("reason", tr("Причина — не длиннее 500 символов"))
    return reason


def _notify_owner(session: Session, effects: Effects, space: Space, event: str, payload: dict) -> None:
    owner = session.get(User, space.owner_id) if space.owner_id else None
    if owner is not None:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        do_notify(session, effects, owner, event, {"space": space.name, "link": f"/owner/spaces/{space.id}", **payload},
                  dedupe=f"{event}:{space.id}:{stamp}")


def _decide(session: Session, effects: Effects, space: Space, status: SpaceStatus, note: str | None,
            event: str, payload: dict) -> Space:
    """The new status, the note the owner sees (None clears it), no pending re-review, the
    owner's notification and the cached page dropped: one place for approve, reject and hide."""
    space.status = status.value
    space.changed_for_review_at = None
    space.moderation_note = note
    session.add(space)
    session.flush()
    drop_space_pages(effects, space.id)
    _notify_owner(session, effects, space, event, payload)
    return space


def do_approve_space(session: Session, effects: Effects, moderator: User | None, space_id: int) -> Space:
    check_role(moderator, Role.operator, Role.admin)
    space = _locked(session, space_id)
    changes = space.status == SpaceStatus.published.value and space.changed_for_review_at is not None
    if space.status != SpaceStatus.pending_review.value and not changes:
        raise Conflict("status", tr("Одобрять нечего: пространство {get}", get=STATUS_WORDS.get(space.status, space.status)))
    if not changes:  # a new space must be bookable once published
        gaps = submission_gaps(session, space)
        if gaps:
            raise Conflict(gaps[0][0], tr("Опубликовать нельзя, не хватает: ") + "; ".join(m for _f, m in gaps))
        if space.owner_id is None:
            raise Conflict("owner", tr("Опубликовать нельзя: у пространства нет владельца"))
    return _decide(session, effects, space, SpaceStatus.published, None, "space_approved", {"changes": changes})


def do_reject_space(session: Session, effects: Effects, moderator: User | None, space_id: int, reason: str | None) -> Space:
    check_role(moderator, Role.operator, Role.admin)
    reason = check_reason(reason)
    space = _locked(session, space_id)
    if space.status == SpaceStatus.pending_review.value:
        status = SpaceStatus.draft
    elif space.status == SpaceStatus.published.value and space.changed_for_review_at is not None:
        status = SpaceStatus.hidden
    else:
        raise Conflict("status", tr("Отклонять нечего: пространство {get}", get=STATUS_WORDS.get(space.status, space.status)))
    return _decide(session, effects, space, status, reason, "space_rejected", {"reason": reason})


def do_hide_space(session: Session, effects: Effects, staff: User | None, space_id: int, reason: str | None) -> Space:
    """Take a published space out of search (a table row action); the owner learns why."""
    check_role(staff, Role.operator, Role.admin)
    reason = check_reason(reason)
    space = _locked(session, space_id)
    if space.status != SpaceStatus.published.value:
        raise Conflict("status", tr("Скрыть можно только опубликованное пространство, а это {get}", get=STATUS_WORDS.get(space.status, space.status)))
    return _decide(session, effects, space, SpaceStatus.hidden, reason, "space_hidden", {"reason": reason})
