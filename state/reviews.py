"""Reviews on the space page (list, summary, owner's reply, reports) and the renter's review
form in "My bookings". Thin: every rule is in services/reviews/reviews.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import reflex as rx

from coworking_app.db import read_scope
from coworking_app.formatting import RESOURCE_KIND_LABELS, plural
from coworking_app.services.accounts import sessions
from coworking_app.services.reviews import reviews as svc
from coworking_app.services.common.errors import NotAuthenticated, NotFound, ServiceError
from models import SUBRATINGS
from state.auth import AuthState, act_as, refusal
from state.inputs import parse_id

PAGE_SIZE = 5


@dataclass
class ReviewView:
    id: int = 0
    author: str = ""
    rating: int = 0
    stars: str = ""
    meta: str = ""  # "визит 21.11.2026 · Переговорная"
    text: str = ""
    subratings: str = ""
    edited: bool = False
    reply: str = ""
    has_reply: bool = False


@dataclass
class BarView:
    label: str = ""
    count: int = 0
    percent: int = 0


@dataclass
class SubratingView:
    label: str = ""
    value: str = ""


def stars(n: int) -> str:
    return "★" * n + "☆" * (5 - n)


def _view(r: svc.ReviewOut) -> ReviewView:
    stay = date.fromisoformat(r.stay_date)
    return ReviewView(
        id=r.id, author=r.author, rating=r.rating, stars=stars(r.rating),
        meta=f"визит {stay:%d.%m.%Y} · {RESOURCE_KIND_LABELS.get(r.resource_kind, r.resource_kind)}",
        text=r.text, edited=r.edited,
        subratings=" · ".join(f"{svc.SUBRATING_LABELS[k]} {v}" for k, v in r.subratings.items()),
        reply=r.reply or "", has_reply=r.reply is not None)


def _comma(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


class SpaceReviewsState(rx.State):
    space_id: int = 0
    items: list[ReviewView] = []
    total: int = 0
    page: int = 1
    average: str = ""
    count_label: str = "Нет отзывов"
    bars: list[BarView] = []
    subratings: list[SubratingView] = []
    viewer_is_owner: bool = False
    signed_in: bool = False
    loading_more: bool = False
    # reply / report dialogs
    dialog: str = ""  # "" | reply | report
    target_id: int = 0
    draft: str = ""
    error: str = ""
    notice: str = ""
    busy: bool = False

    @rx.var
    def has_more(self) -> bool:
        return len(self.items) < self.total

    @rx.event
    async def load(self):
        space_id = parse_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])
        self.items, self.total, self.page, self.dialog, self.notice = [], 0, 1, "", ""
        self.space_id = space_id or 0
        if space_id is None:
            return
        token = (await self.get_state(AuthState)).session_token
        try:
            with read_scope() as session:
                items, self.total = svc.list_space_reviews(session, space_id, page=1, page_size=PAGE_SIZE)
                summary = svc.rating_summary(session, space_id)
                try:
                    user, _ = sessions.access_user_by_session_token(session, token)
                except NotAuthenticated:
                    user = None
                self.signed_in = user is not None
                self.viewer_is_owner = svc.viewer_owns_space(session, user, space_id)
        except NotFound:
            return
        self.items = [_view(r) for r in items]
        self._summary(summary)

    def _summary(self, summary: svc.RatingSummary) -> None:
        self.average = _comma(summary.average) if summary.count else ""
        self.count_label = (plural(summary.count, "отзыв", "отзыва", "отзывов") if summary.count
                            else "Нет отзывов")
        most = max(summary.distribution.values()) if summary.count else 0
        self.bars = [BarView(f"{k} ★", n, round(100 * n / most) if most else 0)
                     for k, n in sorted(summary.distribution.items(), reverse=True)]
        self.subratings = [SubratingView(svc.SUBRATING_LABELS[k], _comma(v))
                           for k, v in summary.subratings.items() if k in svc.SUBRATING_LABELS]

    @rx.event
    def load_more(self):
        if not self.space_id or not self.has_more:
            return
        self.loading_more = True
        try:
            with read_scope() as session:
                items, self.total = svc.list_space_reviews(session, self.space_id, page=self.page + 1,
                                                           page_size=PAGE_SIZE)
        except NotFound:
            items = []
        known = {r.id for r in self.items}
        self.items = self.items + [_view(r) for r in items if r.id not in known]
        self.page += 1
        self.loading_more = False

    @rx.event
    def open_dialog(self, kind: str, review_id: int):
        review_id = parse_id(review_id)
        if kind not in ("reply", "report") or review_id is None:
            return
        if not self.signed_in:
            return rx.redirect(f"/login?next=/spaces/{self.space_id}")
        self.dialog, self.target_id, self.draft, self.error = kind, review_id, "", ""
        return None

    @rx.event
    def close_dialog(self):
        self.dialog = ""

    @rx.event
    def set_draft(self, value: str):
        self.draft = str(value)[:3000]
        self.error = ""

    @rx.event
    async def submit(self):
        token = (await self.get_state(AuthState)).session_token
        kind, review_id, draft = self.dialog, self.target_id, self.draft
        self.busy, self.error = True, ""
        yield
        try:
            act_as(token, lambda s, fx, u: svc.do_reply(s, fx, user=u, review_id=review_id, text_=draft)
                   if kind == "reply" else svc.do_report_review(s, user=u, review_id=review_id, reason=draft))
            self.dialog = ""
            self.notice = "Ответ опубликован" if kind == "reply" else "Жалоба отправлена модераторам"
            if kind == "reply":
                with read_scope() as session:
                    items, self.total = svc.list_space_reviews(session, self.space_id, page=1,
                                                               page_size=PAGE_SIZE * self.page)
                self.items = [_view(r) for r in items]
        except ServiceError as exc:
            self.error = refusal(exc)
        finally:
            self.busy = False


@dataclass
class SubratingInput:
    code: str = ""
    label: str = ""
    value: str = ""  # "" = not rated, "1".."5"


class ReviewFormState(rx.State):
    """The "Leave a review" dialog of My bookings."""

    open: bool = False
    booking_id: int = 0
    review_id: int = 0  # editing this review (0: writing a new one)
    title: str = ""
    rating: str = ""
    subratings: list[SubratingInput] = []
    text: str = ""
    error: str = ""
    busy: bool = False

    @rx.var
    def text_count(self) -> str:
        return f"{len(self.text.strip())} / {svc.TEXT_MAX}"

    @rx.event
    def start(self, booking_id: int, title: str):
        booking_id = parse_id(booking_id)
        if booking_id is None:
            return
        self.booking_id, self.review_id, self.title = booking_id, 0, str(title)[:200]
        self.rating, self.text, self.error, self.open = "", "", "", True
        self.subratings = [SubratingInput(code, svc.SUBRATING_LABELS[code], "") for code in SUBRATINGS]

    @rx.event
    async def start_edit(self, review_id: int, title: str):
        """The same dialog, filled with the renter's review (editable for 48 hours)."""
        review_id = parse_id(review_id)
        if review_id is None:
            return
        token = (await self.get_state(AuthState)).session_token
        try:
            with read_scope() as session:
                user, _ = sessions.access_user_by_session_token(session, token)
                review = svc.access_own_review(session, user, review_id, for_update=False)
        except ServiceError:
            return
        self.booking_id, self.review_id, self.title = review.booking_id, review.id, str(title)[:200]
        self.rating, self.text, self.error, self.open = str(review.rating), review.text, "", True
        self.subratings = [SubratingInput(code, svc.SUBRATING_LABELS[code],
                                          str(getattr(review, code) or "")) for code in SUBRATINGS]

    @rx.event
    def set_open(self, value: bool):
        self.open = bool(value)

    @rx.event
    def set_rating(self, value: str | list[str]):
        self.rating = value if isinstance(value, str) and value in ("1", "2", "3", "4", "5") else ""
        self.error = ""  # "Поставьте оценку" (or the text's message) must not outlive the fix

    @rx.event
    def set_subrating(self, code: str, value: str | list[str]):
        value = value if isinstance(value, str) and value in ("1", "2", "3", "4", "5") else ""
        self.subratings = [SubratingInput(s.code, s.label, value if s.code == code else s.value)
                           for s in self.subratings]
        self.error = ""

    @rx.event
    def set_text(self, value: str):
        self.text = str(value)[: svc.TEXT_MAX + 100]
        self.error = ""

    @rx.event
    async def submit(self):
        from state.bookings import MyBookingsState

        token = (await self.get_state(AuthState)).session_token
        if not self.rating:
            self.error = "Поставьте общую оценку от 1 до 5"
            return
        rating, booking_id, review_id, text = int(self.rating), self.booking_id, self.review_id, self.text
        subratings = {s.code: int(s.value) for s in self.subratings if s.value}
        self.busy, self.error = True, ""
        yield
        try:
            def work(session, effects, user):
                if review_id:
                    return svc.do_edit_review(session, effects, user=user, review_id=review_id, rating=rating,
                                              subratings=subratings, text_=text)
                return svc.do_create_review(session, user=user, booking_id=booking_id, rating=rating,
                                            subratings=subratings, text_=text)
            act_as(token, work)
            self.open = False
            yield rx.toast.success("Отзыв изменён и снова отправлен на проверку." if review_id
                                   else "Спасибо! Отзыв появится после проверки модератором.")
            yield MyBookingsState.refresh
        except ServiceError as exc:
            self.error = refusal(exc)
        finally:
            self.busy = False
