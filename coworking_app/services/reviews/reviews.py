"""Reviews and ratings: who may review, moderation, the owner's reply, abuse reports, and
each space's aggregate kept in step with its approved reviews.

Rules in one place:
- a review belongs to one completed booking of its author, written within 30 days after the
  booking's end, once (the unique booking_id makes a second one a 409);
- every new or edited review waits for a moderator; only approved reviews are shown and
  counted; an automatic pre-check flags links, phone numbers and profanity for the moderator;
- the author may edit within 48 hours of writing it (it goes back to moderation);
- the space's owner may reply once, publicly, to an approved review;
- `do_refresh_space_rating` recomputes the aggregate from the approved reviews in the same
  transaction as any change of status or content, under a lock on the space row, so
  concurrent moderators cannot leave a stale count.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from coworking_app.services.messaging.notifications import do_notify
from coworking_app.effects import Effects
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.booking.booking_states import REVIEWED
from coworking_app.services.booking.bookings import refusal
from coworking_app.services.catalog.cache import drop_space_pages
from coworking_app.services.catalog.spaces import access_public_space
from coworking_app.services.common.text import check_plain_text
from coworking_app.services.common.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from models import (
    SUBRATINGS,
    Booking,
    Resource,
    Review,
    ReviewReport,
    ReviewStatus,
    Role,
    Space,
    SpaceRating,
    User,
)
from coworking_app.i18n import Labels, N_, tr

EDIT_WINDOW = timedelta(hours=48)  # after the review was written
TEXT_MIN, TEXT_MAX = 10, 3000
REPLY_MAX = 2000
REASON_MAX = 500
SUBRATING_LABELS = Labels({"wifi": "Wi-Fi", "quietness": N_("Тишина"), "comfort": N_("Комфорт"),
                    "location": N_("Расположение"), "staff": N_("Персонал")})

# --- the automatic pre-check ------------------------------------------------------------------

_LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(ru|рф|com|net|org|io|me|su|info|biz)\b)", re.I)
_PHONE = re.compile(r"(?<!\d)(\+?\d[\s\-()]*){10,}(?!\d)")
# Stems, matched at the start of a word; a moderator decides, this only draws attention.
_PROFANITY = re.compile(
    r"\b(ху[йеияю]|пизд|еба[нл]|ёба[нл]|ебу|бля[дт]?|сук[аи]|мудак|гандон|пидор|залуп|"
    r"fuck|shit|bitch|cunt|asshole|dick)", re.I)


def precheck(text_: str) -> list[str]:
    """What a moderator should look at: "link", "phone", "profanity" (in that order)."""
    flags = []
    if _LINK.search(text_):
        flags.append("link")
    if _PHONE.search(text_):
        flags.append("phone")
    if _PROFANITY.search(text_):
        flags.append("profanity")
    return flags


# --- input ------------------------------------------------------------------------------------


class ReviewInput(BaseModel):
    rating: int
    subratings: dict[str, int] = {}
    text: str


def check_review_input(rating: object, subratings: object, text_: object) -> ReviewInput:
    """Validated and normalised input, or InvalidInput naming the field."""
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput("rating", tr("Оценка — целое число от 1 до 5"))
    clean: dict[str, int] = {}
    if subratings is not None:
        if not isinstance(subratings, dict):
            raise InvalidInput("subratings", tr("Ожидается объект {название: оценка}"))
        for name, value in subratings.items():
            if name not in SUBRATINGS:
                raise InvalidInput(f"subratings.{name}",
                                   tr("Неизвестный критерий; допустимы: ") + ", ".join(SUBRATINGS))
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                raise InvalidInput(f"subratings.{name}", tr("Оценка — целое число от 1 до 5"))
            clean[name] = value
    body = check_plain_text("text", text_, minimum=TEXT_MIN, maximum=TEXT_MAX, what=tr("Отзыв"))
    return ReviewInput(rating=rating, subratings=clean, text=body)


# --- eligibility -------------------------------------------------------------------------------


def access_booking_for_review(session: Session, user: User | None, booking_id: int,
                              *, now: datetime | None = None) -> Booking:
    """The caller's completed booking still open for a review: 404 when there is no such
    booking, 403 when it is someone else's, not completed, or the 30 days have passed, 409
    when it has its review already (the booking policy, bookings.refusal, which the
    "Оставить отзыв" button follows too)."""
    if user is None:
        raise NotAuthenticated()
    booking = session.get(Booking, booking_id) if 0 < booking_id < 2**31 else None
    if booking is None:
        raise NotFound(tr("Бронь не найдена"))
    if booking.user_id != user.id:
        raise PermissionDenied(tr("Отзыв может оставить только гость этой брони"))
    reviewed = session.scalar(select(Review.id).where(Review.booking_id == booking.id)) is not None
    reason = refusal(user, booking, "review", now=now or datetime.now(timezone.utc), host_id=None,
                     reviewed=reviewed)
    if reason == REVIEWED:
        raise Conflict("booking_id", tr("Отзыв на эту бронь уже оставлен"))
    if reason is not None:
        raise PermissionDenied(reason[0].upper() + reason[1:])
    return booking


# --- writing ------------------------------------------------------------------------------------


def do_create_review(session: Session, *, user: User | None, booking_id: int, rating: object,
                     subratings: object, text_: object) -> Review:
    booking = access_booking_for_review(session, user, booking_id)
    data = check_review_input(rating, subratings, text_)
    resource = session.get(Resource, booking.resource_id)
    review = Review(
        booking_id=booking.id, space_id=booking.space_id, user_id=user.id,
        resource_kind=resource.kind, stay_date=booking.start_at.astimezone(ZoneInfo(booking.timezone)).date(),
        rating=data.rating, text=data.text, flags=precheck(data.text),
        status=ReviewStatus.pending.value, **data.subratings)
    try:
        with session.begin_nested():  # two tabs submitting at once: the second gets 409
            session.add(review)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("booking_id", tr("Отзыв на эту бронь уже оставлен")) from exc
    return review


def access_own_review(session: Session, user: User | None, review_id: int, *,
                      for_update: bool = True) -> Review:
    """The caller's own review (404 for anyone else's: their existence is not disclosed)."""
    if user is None:
        raise NotAuthenticated()
    review = session.get(Review, review_id, with_for_update=for_update) if 0 < review_id < 2**31 else None
    if review is None or review.user_id != user.id:
        raise NotFound(tr("Отзыв не найден"))
    return review


def do_edit_review(session: Session, effects: Effects, *, user: User | None, review_id: int, rating: object,
                   subratings: object, text_: object, now: datetime | None = None) -> Review:
    """Within 48 hours of writing; the edited review is moderated again (and leaves the
    space's rating until approved)."""
    review = access_own_review(session, user, review_id)
    if (now or datetime.now(timezone.utc)) > review.created_at + EDIT_WINDOW:
        raise PermissionDenied(tr("Отзыв можно изменить в течение 48 часов после публикации"))
    data = check_review_input(rating, subratings, text_)
    was_approved = review.status == ReviewStatus.approved.value
    review.rating, review.text, review.flags = data.rating, data.text, precheck(data.text)
    for name in SUBRATINGS:
        setattr(review, name, data.subratings.get(name))
    review.status, review.reject_reason = ReviewStatus.pending.value, None
    review.moderated_by = review.moderated_at = None
    review.edited_at = datetime.now(timezone.utc)
    session.add(review)
    session.flush()
    if was_approved:
        do_refresh_space_rating(session, effects, review.space_id)
    return review


def access_review_for_moderation(session: Session, moderator: User | None, review_id: int) -> Review:
    check_role(moderator, Role.operator, Role.admin)
    review = session.get(Review, review_id, with_for_update=True) if 0 < review_id < 2**31 else None
    if review is None:
        raise NotFound(tr("Отзыв не найден"))
    return review


def do_moderate_review(session: Session, effects: Effects, *, moderator: User | None, review_id: int, approve: bool,
                       reason: object = None) -> Review:
    """Approve (shown and counted) or reject with a reason told to the author. Either
    decision also closes the review's open abuse reports."""
    review = access_review_for_moderation(session, moderator, review_id)
    if approve:
        clean_reason = None
    else:
        clean_reason = check_plain_text("reason", reason, minimum=3, maximum=REASON_MAX,
                                         what=tr("Причина отклонения"))
    previous = review.status
    now = datetime.now(timezone.utc)
    review.status = ReviewStatus.approved.value if approve else ReviewStatus.rejected.value
    review.reject_reason = clean_reason
    review.moderated_by, review.moderated_at = moderator.id, now
    session.add(review)
    session.execute(update(ReviewReport).where(ReviewReport.review_id == review.id,
                                               ReviewReport.resolved_at.is_(None))
                    .values(resolved_at=now, resolved_by=moderator.id))
    session.flush()
    if previous != review.status:
        do_refresh_space_rating(session, effects, review.space_id)
        space = session.get(Space, review.space_id)
        author = session.get(User, review.user_id)
        version = (review.edited_at or review.created_at).isoformat()
        payload = {"space": space.name, "reason": clean_reason or "", "link": f"/spaces/{space.id}"}
        event = "review_approved" if approve else "review_rejected"
        do_notify(session, effects, author, event, payload, dedupe=f"{event}:{review.id}:{version}")
        if approve and space.owner_id and previous == ReviewStatus.pending.value:
            owner = session.get(User, space.owner_id)
            do_notify(session, effects, owner, "owner_new_review",
                      {**payload, "rating": review.rating, "link": f"/spaces/{space.id}#reviews"},
                      dedupe=f"owner_new_review:{review.id}:{version}")
    return review


def do_reply(session: Session, effects: Effects, *, user: User | None, review_id: int, text_: object) -> Review:
    """The space owner's one public reply to an approved review."""
    if user is None:
        raise NotAuthenticated()
    review = session.get(Review, review_id, with_for_update=True) if 0 < review_id < 2**31 else None
    if review is None or review.status != ReviewStatus.approved.value:
        raise NotFound(tr("Отзыв не найден"))
    space = session.get(Space, review.space_id)
    if space is None or space.owner_id != user.id:
        raise PermissionDenied(tr("Ответить может только владелец пространства"))
    if review.reply_text is not None:
        raise Conflict("text", tr("На этот отзыв уже есть ответ"))
    review.reply_text = check_plain_text("text", text_, minimum=2, maximum=REPLY_MAX, what=tr("Ответ"))
    review.reply_at = datetime.now(timezone.utc)
    session.add(review)
    session.flush()
    do_notify(session, effects, session.get(User, review.user_id), "review_replied",
              {"space": space.name, "link": f"/spaces/{space.id}#reviews"},
              dedupe=f"review_replied:{review.id}")
    return review


def do_report_review(session: Session, *, user: User | None, review_id: int, reason: object) -> ReviewReport:
    """Anyone signed in (but the author) may report an approved review once."""
    if user is None:
        raise NotAuthenticated()
    review = session.get(Review, review_id) if 0 < review_id < 2**31 else None
    if review is None or review.status != ReviewStatus.approved.value:
        raise NotFound(tr("Отзыв не найден"))
    if review.user_id == user.id:
        raise PermissionDenied(tr("Нельзя пожаловаться на свой отзыв"))
    clean = check_plain_text("reason", reason, minimum=3, maximum=REASON_MAX, what=tr("Причина жалобы"))
    report = ReviewReport(review_id=review.id, user_id=user.id, reason=clean)
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("review_id", tr("Вы уже пожаловались на этот отзыв")) from exc
    return report


def do_dismiss_reports(session: Session, *, moderator: User | None, review_id: int) -> int:
    """The moderator keeps the review as it is: its open reports are closed."""
    review = access_review_for_moderation(session, moderator, review_id)
    result = session.execute(update(ReviewReport).where(
        ReviewReport.review_id == review.id, ReviewReport.resolved_at.is_(None))
        .values(resolved_at=datetime.now(timezone.utc), resolved_by=moderator.id))
    return result.rowcount or 0


# --- the aggregate ----------------------------------------------------------------------------

_AGGREGATE_SQL = text(f"""
    SELECT count(*) AS n, coalesce(avg(rating), 0) AS average,
           {", ".join(f"count(*) FILTER (WHERE rating = {k}) AS d{k}" for k in range(1, 6))},
           {", ".join(f"avg({s}) AS {s}_avg, count({s}) AS {s}_n" for s in SUBRATINGS)}
    FROM review WHERE space_id = :space_id AND status = 'approved'
""")


def do_refresh_space_rating(session: Session, effects: Effects, space_id: int) -> SpaceRating:
    """Recompute from the approved reviews: the aggregate is exact by construction. The
    space row is locked first, so two transactions changing reviews of one space run one
    after the other and the second sees the first's review. The space's cached page (it
    shows the rating) is dropped after commit."""
    session.execute(text("SELECT 1 FROM space WHERE id = :id FOR NO KEY UPDATE"), {"id": space_id})
    row = session.execute(_AGGREGATE_SQL, {"space_id": space_id}).mappings().one()
    count, average = int(row["n"]), round(float(row["average"]), 4)
    distribution = {str(k): int(row[f"d{k}"]) for k in range(1, 6)}
    subratings = {s: {"average": round(float(row[f"{s}_avg"]), 4), "count": int(row[f"{s}_n"])}
                  for s in SUBRATINGS if row[f"{s}_n"]}
    aggregate = session.get(SpaceRating, space_id)
    if aggregate is None:
        aggregate = SpaceRating(space_id=space_id)
    aggregate.count, aggregate.average = count, average
    aggregate.distribution, aggregate.subratings = distribution, subratings
    session.add(aggregate)
    space = session.get(Space, space_id)
    space.rating, space.reviews_count = round(average, 2), count
    session.add(space)
    session.flush()
    drop_space_pages(effects, space_id)
    return aggregate


# --- reading ------------------------------------------------------------------------------------


class RatingSummary(BaseModel):
    average: float
    count: int
    distribution: dict[str, int]
    subratings: dict[str, float]  # average per sub-rating that has any


def rating_summary(session: Session, space_id: int) -> RatingSummary:
    aggregate = session.get(SpaceRating, space_id)
    if aggregate is None or aggregate.count == 0:
        return RatingSummary(average=0.0, count=0, distribution={str(k): 0 for k in range(1, 6)},
                             subratings={})
    return RatingSummary(average=round(aggregate.average, 2), count=aggregate.count,
                         distribution={str(k): int(aggregate.distribution.get(str(k), 0)) for k in range(1, 6)},
                         subratings={k: round(v["average"], 2) for k, v in aggregate.subratings.items()})


class ReviewOut(BaseModel):
    id: int
    author: str  # first name and the initial of the surname
    rating: int
    subratings: dict[str, int]
    text: str
    stay_date: str  # YYYY-MM-DD, local to the space
    resource_kind: str
    created_at: datetime
    edited: bool
    reply: str | None
    reply_at: datetime | None


def _short_name(full_name: str) -> str:
    parts = full_name.split()
    if not parts:
        return tr("Гость")
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[1][0]}."


def _out(review: Review, author_name: str) -> ReviewOut:
    return ReviewOut(
        id=review.id, author=_short_name(author_name), rating=review.rating,
        subratings={s: getattr(review, s) for s in SUBRATINGS if getattr(review, s) is not None},
        text=review.text, stay_date=review.stay_date.isoformat(), resource_kind=review.resource_kind,
        created_at=review.created_at, edited=review.edited_at is not None, reply=review.reply_text,
        reply_at=review.reply_at)


def list_space_reviews(session: Session, space_id: int, *, page: int = 1,
                       page_size: int = 10) -> tuple[list[ReviewOut], int]:
    """Approved reviews of a published space, newest first."""
    access_public_space(session, space_id)
    page, page_size = max(1, page), max(1, min(page_size, 50))
    where = (Review.space_id == space_id, Review.status == ReviewStatus.approved.value)
    total = session.scalar(select(func.count()).select_from(Review).where(*where)) or 0
    rows = session.execute(
        select(Review, User.full_name).join(User, User.id == Review.user_id).where(*where)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .offset((page - 1) * page_size).limit(page_size)).all()
    return [_out(review, name) for review, name in rows], total


class ModerationItem(BaseModel):
    id: int
    space_id: int
    space: str
    author_id: int
    author: str
    rating: int
    subratings: dict[str, int]
    text: str
    status: str
    flags: list[str]
    reject_reason: str | None
    open_reports: int
    report_reasons: list[str]
    created_at: datetime
    edited: bool


MODERATION_VIEWS = ("pending", "reported", "approved", "rejected")


def list_moderation_reviews(session: Session, moderator: User | None, *, view: str = "pending",
                            page: int = 1, page_size: int = 20) -> tuple[list[ModerationItem], int]:
    """The moderation queue: pending reviews oldest first, or reviews with open reports,
    or the decided ones newest first."""
    check_role(moderator, Role.operator, Role.admin)
    if view not in MODERATION_VIEWS:
        raise InvalidInput("status", tr("Допустимо: ") + ", ".join(MODERATION_VIEWS))
    page, page_size = max(1, page), max(1, min(page_size, 100))
    open_reports = (select(func.count()).where(ReviewReport.review_id == Review.id,
                                               ReviewReport.resolved_at.is_(None))
                    .correlate(Review).scalar_subquery())
    reasons = (select(func.array_agg(ReviewReport.reason)).where(
        ReviewReport.review_id == Review.id, ReviewReport.resolved_at.is_(None))
        .correlate(Review).scalar_subquery())
    query = select(Review, Space.name, User.full_name, open_reports, reasons) \
        .join(Space, Space.id == Review.space_id).join(User, User.id == Review.user_id)
    if view == "reported":
        query = query.where(select(ReviewReport.id).where(
            ReviewReport.review_id == Review.id, ReviewReport.resolved_at.is_(None)).exists())
        order = [Review.id]
    elif view == "pending":
        query, order = query.where(Review.status == view), [Review.updated_at, Review.id]
    else:
        query, order = query.where(Review.status == view), [Review.moderated_at.desc(), Review.id.desc()]
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(*order).offset((page - 1) * page_size).limit(page_size)).all()
    return [ModerationItem(
        id=r.id, space_id=r.space_id, space=space_name, author_id=r.user_id, author=author,
        rating=r.rating, subratings={s: getattr(r, s) for s in SUBRATINGS if getattr(r, s) is not None},
        text=r.text, status=r.status, flags=list(r.flags), reject_reason=r.reject_reason,
        open_reports=int(count or 0), report_reasons=list(why or []), created_at=r.created_at,
        edited=r.edited_at is not None) for r, space_name, author, count, why in rows], total



def review_statuses(session: Session, user: User, booking_ids: list[int]) -> dict[int, tuple[int, str, bool]]:
    """booking id -> (review id, status, still editable) of the user's reviews of these bookings."""
    if not booking_ids:
        return {}
    rows = session.execute(select(Review.booking_id, Review.id, Review.status, Review.created_at).where(
        Review.booking_id.in_(booking_ids), Review.user_id == user.id)).all()
    now = datetime.now(timezone.utc)
    return {booking_id: (review_id, status, now <= created + EDIT_WINDOW)
            for booking_id, review_id, status, created in rows}


def viewer_owns_space(session: Session, user: User | None, space_id: int) -> bool:
    space = session.get(Space, space_id) if user is not None and 0 < space_id < 2**31 else None
    return space is not None and space.owner_id == user.id
