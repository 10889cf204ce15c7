"""Reviews: the public list, writing, editing, replying, reporting; moderation for staff.
Thin adapters over services.reviews.reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from coworking_app.api.deps import CurrentUser, DbSession, ReadSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.reviews import reviews as svc
from coworking_app.services.common.fields import Line

router = APIRouter(tags=["reviews"], route_class=EdgeRoute, responses=SIGNED_IN)
_CONFLICT = responses(409)


class RatingOut(BaseModel):
    average: float
    count: int
    distribution: dict[str, int]
    subratings: dict[str, float]


class ReviewPage(BaseModel):
    items: list[svc.ReviewOut]
    total: int
    page: int
    page_size: int
    rating: RatingOut


@router.get("/spaces/{space_id}/reviews", response_model=ReviewPage)
def space_reviews(space_id: PathId, session: ReadSession,
                  page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=50)] = 10) -> ReviewPage:
    items, total = svc.list_space_reviews(session, space_id, page=page, page_size=page_size)
    summary = svc.rating_summary(session, space_id)
    return ReviewPage(items=items, total=total, page=page, page_size=page_size,
                      rating=RatingOut(**summary.model_dump()))


class ReviewIn(BaseModel):
    # Any JSON here: the service checks each field and names the one that is wrong.
    rating: Any = None
    subratings: Any = None
    text: Any = None


class ReviewCreated(BaseModel):
    id: int
    booking_id: int
    status: str
    flags: list[str]
    created_at: datetime


def _created(review) -> ReviewCreated:
    return ReviewCreated(id=review.id, booking_id=review.booking_id, status=review.status,
                         flags=list(review.flags), created_at=review.created_at)


@router.post("/bookings/{booking_id}/review", status_code=status.HTTP_201_CREATED,
             response_model=ReviewCreated, responses=_CONFLICT)
def create_review(booking_id: PathId, body: ReviewIn, user: CurrentUser, uow: Uow) -> ReviewCreated:
    return _created(uow.run(lambda s, _fx: svc.do_create_review(
        s, user=user, booking_id=booking_id, rating=body.rating, subratings=body.subratings, text_=body.text)))


@router.patch("/reviews/{review_id}", response_model=ReviewCreated, responses=_CONFLICT)
def edit_review(review_id: PathId, body: ReviewIn, user: CurrentUser, uow: Uow) -> ReviewCreated:
    return _created(uow.run(lambda s, fx: svc.do_edit_review(
        s, fx, user=user, review_id=review_id, rating=body.rating, subratings=body.subratings, text_=body.text)))


class TextIn(BaseModel):
    text: Any = None


class ReasonIn(BaseModel):
    reason: Any = None


@router.post("/reviews/{review_id}/reply", status_code=status.HTTP_201_CREATED, responses=_CONFLICT)
def reply(review_id: PathId, body: TextIn, user: CurrentUser, uow: Uow) -> dict:
    review = uow.run(lambda s, fx: svc.do_reply(s, fx, user=user, review_id=review_id, text_=body.text))
    return {"id": review.id, "reply": review.reply_text, "reply_at": review.reply_at}


@router.post("/reviews/{review_id}/report", status_code=status.HTTP_201_CREATED, responses=_CONFLICT)
def report(review_id: PathId, body: ReasonIn, user: CurrentUser, uow: Uow) -> dict:
    row = uow.run(lambda s, _fx: svc.do_report_review(s, user=user, review_id=review_id, reason=body.reason))
    return {"id": row.id, "review_id": row.review_id}


# --- moderation (operators and admins) -----------------------------------------------------------


class ModerationPage(BaseModel):
    items: list[svc.ModerationItem]
    total: int
    page: int
    page_size: int


@router.get("/admin/moderation/reviews", response_model=ModerationPage)
def moderation_queue(user: CurrentUser, session: DbSession,
                     status_: Annotated[Line(20), Query(alias="status")] = "pending",
                     page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                     page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> ModerationPage:
    items, total = svc.list_moderation_reviews(session, user, view=status_, page=page, page_size=page_size)
    return ModerationPage(items=items, total=total, page=page, page_size=page_size)


def _decided(review) -> dict:
    return {"id": review.id, "status": review.status, "reject_reason": review.reject_reason}


@router.post("/admin/moderation/reviews/{review_id}/approve", responses=_CONFLICT)
def approve(review_id: PathId, user: CurrentUser, uow: Uow) -> dict:
    return _decided(uow.run(lambda s, fx: svc.do_moderate_review(s, fx, moderator=user, review_id=review_id,
                                                                 approve=True)))


@router.post("/admin/moderation/reviews/{review_id}/reject", responses=_CONFLICT)
def reject(review_id: PathId, body: ReasonIn, user: CurrentUser, uow: Uow) -> dict:
    return _decided(uow.run(lambda s, fx: svc.do_moderate_review(s, fx, moderator=user, review_id=review_id,
                                                                 approve=False, reason=body.reason)))


@router.post("/admin/moderation/reviews/{review_id}/dismiss-reports")
def dismiss_reports(review_id: PathId, user: CurrentUser, uow: Uow) -> dict:
    return {"id": review_id, "closed": uow.run(lambda s, _fx: svc.do_dismiss_reports(s, moderator=user,
                                                                                     review_id=review_id))}
