"""Reviews on the space page (list, summary, owner's reply, reports) and the renter's review
form in "My bookings". Thin: every rule is in services/reviews/reviews.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import reflex as rx

from coworking_app.formatting import RESOURCE_KIND_LABELS, plural
from coworking_app.services.reviews import reviews as svc
from models import SUBRATINGS
from state.bookings import MyBookingsState
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import format_number, tr

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
        meta=tr("визит {stay:%d.%m.%Y} · {get}", stay=stay, get=RESOURCE_KIND_LABELS.get(r.resource_kind, r.resource_kind)),
        text=r.text, edited=r.edited,
        subratings=" · ".join(f"{svc.SUBRATING_LABELS[k]} {v}" for k, v in r.subratings.items()),
        reply=r.reply or "", has_reply=r.reply is not None)


def _comma(value: float) -> str:
    return format_number(value, "0.0")


class SpaceReviewsState(PageState):
    space_id: int = 0
    items: list[ReviewView] = []
    total: int = 0
    page: int = 1
    average: str = ""
    count_label: str = ""
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
        def work(session, _effects, user):
            (items, total), summary = (svc.list_space_reviews(session, space_id, page=1, page_size=PAGE_SIZE),
                                       svc.rating_summary(session, space_id))
            return items, total, summary, user is not None, svc.viewer_owns_space(session, user, space_id)
        done = await self._visit(work)
        if not done.ok:
            return
        items, self.total, summary, self.signed_in, self.viewer_is_owner = done.value
        self.items = [_view(r) for r in items]
        self._summary(summary)

    def _summary(self, summary: svc.RatingSummary) -> None:
        self.average = _comma(summary.average) if summary.count else ""
        self.count_label = (plural(summary.count, "отзыв", "отзыва", "отзывов") if summary.count
                            else tr("Нет отзывов"))
        most = max(summary.distribution.values()) if summary.count else 0
        self.bars = [BarView(f"{k} ★", n, round(100 * n / most) if most else 0)
                     for k, n in sorted(summary.distribution.items(), reverse=True)]
        self.subratings = [SubratingView(svc.SUBRATING_LABELS[k], _comma(v))
                           for k, v in summary.subratings.items() if k in svc.SUBRATING_LABELS]

    async def _page(self, page: int, page_size: int = PAGE_SIZE) -> list[svc.ReviewOut]:
        """Reviews of the space from `page` on (none when it has gone), self.total updated."""
        space_id = self.space_id
        done = await self._visit(lambda s, _fx, _u: svc.list_space_reviews(
            s, space_id, page=page, page_size=page_size))
        if not done.ok:
            return []
        items, self.total = done.value
        return items

    @rx.event
    async def load_more(self):
        if not self.space_id or not self.has_more:
            return
        self.loading_more = True
        items = await self._page(self.page + 1)
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
        kind, review_id, draft = self.dialog, self.target_id, self.draft
        self.busy, self.error = True, ""
        yield
        try:
            done = await self._act(
                lambda s, fx, u: svc.do_reply(s, fx, user=u, review_id=review_id, text_=draft)
                if kind == "reply" else svc.do_report_review(s, user=u, review_id=review_id, reason=draft))
            self.error = done.message
            if done.ok:
                self.dialog = ""
                self.notice = tr("Ответ опубликован") if kind == "reply" else tr("Жалоба отправлена модераторам")
                if kind == "reply":
                    self.items = [_view(r) for r in await self._page(1, PAGE_SIZE * self.page)]
        finally:
            self.busy = False


@dataclass
class SubratingInput:
    code: str = ""
    label: str = ""
    value: str = ""  # "" = not rated, "1".."5"


class ReviewFormState(PageState):
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
        done = await self._act(lambda s, _fx, u: svc.access_own_review(s, u, review_id, for_update=False))
        if not done.ok:
            return
        review = done.value
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
        if not self.rating:
            self.error = tr("Поставьте общую оценку от 1 до 5")
            return
        rating, booking_id, review_id, text = int(self.rating), self.booking_id, self.review_id, self.text
        subratings = {s.code: int(s.value) for s in self.subratings if s.value}
        self.busy, self.error = True, ""
        yield
        def work(session, effects, user):
            if review_id:
                return svc.do_edit_review(session, effects, user=user, review_id=review_id, rating=rating,
                                          subratings=subratings, text_=text)
            return svc.do_create_review(session, user=user, booking_id=booking_id, rating=rating,
                                        subratings=subratings, text_=text)
        try:
            done = await self._act(work)
            self.error = done.message
            if done.ok:
                self.open = False
                yield rx.toast.success(tr("Отзыв изменён и снова отправлен на проверку.") if review_id
                                       else tr("Спасибо! Отзыв появится после проверки модератором."))
                yield MyBookingsState.refresh
        finally:
            self.busy = False
