"""/admin/moderation: the review queue and reported conversations, for operators and admins
(services/reviews/reviews.py, services/messaging/messages.py)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

import reflex as rx

from coworking_app.formatting import format_moment, format_place
from coworking_app.services.messaging import messages
from coworking_app.services.catalog import space_moderation
from coworking_app.services.common.storage import get_storage
from coworking_app.services.reviews import reviews as svc
from coworking_app.settings import get_settings
from state.inputs import parse_id
from state.reviews import stars
from state.page import PageState
from coworking_app.i18n import Labels, N_, tr

FLAG_LABELS = Labels({"link": N_("ссылка"), "phone": N_("телефон"), "profanity": N_("ненормативная лексика")})


@dataclass
class QueueItem:
    id: int = 0
    space: str = ""
    space_href: str = ""
    author: str = ""
    stars: str = ""
    text: str = ""
    subratings: str = ""
    flags: list[str] = dataclass_field(default_factory=list)
    reports: list[str] = dataclass_field(default_factory=list)
    status: str = ""
    reason: str = ""
    when: str = ""


def _moment(value) -> str:
    """Moderators work in the operator panel's zone (the report zone), as every panel time."""
    return format_moment(value, get_settings().report_timezone, named=True)


def _item(m: svc.ModerationItem) -> QueueItem:
    return QueueItem(
        id=m.id, space=m.space, space_href=f"/spaces/{m.space_id}", author=m.author,
        stars=stars(m.rating), text=m.text,
        subratings=" · ".join(f"{svc.SUBRATING_LABELS[k]} {v}" for k, v in m.subratings.items()),
        flags=[FLAG_LABELS.get(f, f) for f in m.flags], reports=m.report_reasons, status=m.status,
        reason=m.reject_reason or "",
        when=_moment(m.created_at) + (tr(" · изменён") if m.edited else ""))


@dataclass
class ReportedThread:
    id: int = 0
    href: str = ""
    title: str = ""
    reasons: list[str] = dataclass_field(default_factory=list)
    when: str = ""


@dataclass
class SpaceItem:
    id: int = 0
    name: str = ""
    href: str = ""
    editor_href: str = ""
    place: str = ""
    owner: str = ""
    kind: str = ""  # "new" or "changed"
    description: str = ""
    photos: str = ""
    thumb: str = ""
    when: str = ""


def _space(q: space_moderation.QueuedSpace) -> SpaceItem:
    return SpaceItem(
        id=q.id, name=q.name, href=f"/spaces/{q.id}", editor_href=f"/owner/spaces/{q.id}",
        place=format_place(q.city, q.address), owner=q.owner_email, kind=q.kind,
        description=q.description[:600] + ("…" if len(q.description) > 600 else ""),
        photos=tr("фото: {photos}", photos=q.photos), thumb=get_storage().url(q.thumb_key) if q.thumb_key else "",
        when=_moment(q.since) if q.since else "")


VIEWS = ("spaces", *svc.MODERATION_VIEWS, "conversations")


class ModerationState(PageState):
    view: str = "spaces"
    items: list[QueueItem] = []
    spaces: list[SpaceItem] = []
    threads: list[ReportedThread] = []
    total: int = 0
    allowed: bool = True
    loading: bool = True
    # reject dialog
    rejecting: int = 0
    reason: str = ""
    error: str = ""
    busy_id: int = 0

    @rx.event
    async def load(self):
        wanted = self.router.url.query_parameters.get("view", "spaces")
        self.view = wanted if wanted in VIEWS else "spaces"
        self.loading = True
        await self._reload()
        self.loading = False

    async def _reload(self) -> None:
        view = self.view

        def work(session, _effects, user):
            if view == "spaces":
                return space_moderation.list_space_queue(session, user)
            if view == "conversations":
                threads = messages.list_reported_conversations(session, user)
                return threads, len(threads)
            return svc.list_moderation_reviews(session, user, view=view, page_size=50)
        done = await self._act(work)
        self.allowed = done.ok
        found, self.total = done.value if done.ok else ([], 0)
        self.spaces = [_space(q) for q in found] if view == "spaces" else []
        self.threads = [ReportedThread(t.id, f"/inbox/{t.id}", f"{t.space}: {t.renter} ↔ {t.owner}", t.reasons,
                                       _moment(t.reported_at)) for t in found] if view == "conversations" else []
        self.items = [_item(m) for m in found] if view not in ("spaces", "conversations") else []

    @rx.event
    async def set_view(self, value: str | list[str]):
        self.view = value if isinstance(value, str) and value in VIEWS else "spaces"
        await self._reload()

    @rx.event
    async def decide(self, action: str, target_id: int):
        """approve / dismiss (a review's reports) / resolve (a conversation's reports)."""
        target_id = parse_id(target_id)
        actions = {
            "approve": (lambda s, fx, u: svc.do_moderate_review(s, fx, moderator=u, review_id=target_id,
                                                                approve=True),
                        tr("Отзыв опубликован")),
            "dismiss": (lambda s, _fx, u: svc.do_dismiss_reports(s, moderator=u, review_id=target_id),
                        tr("Жалобы закрыты, отзыв остаётся")),
            "resolve": (lambda s, _fx, u: messages.do_resolve_conversation_reports(
                s, moderator=u, conversation_id=target_id), tr("Жалоба закрыта")),
            "approve_space": (lambda s, fx, u: space_moderation.do_approve_space(s, fx, u, target_id),
                              tr("Пространство опубликовано")),
        }
        if target_id is None or action not in actions:
            return
        async for event in self._decide(target_id, *actions[action]):
            yield event

    async def _decide(self, target_id: int, work, done: str):
        self.busy_id, self.error = target_id, ""
        yield
        try:
            outcome = await self._act(work)
            self.error = outcome.message
            if outcome.ok:
                self.rejecting = 0
                yield rx.toast.success(done)
                await self._reload()
            elif not self.rejecting:  # no dialog open to show it in (approve, dismiss, resolve)
                yield outcome.toast()
        finally:
            self.busy_id = 0

    @rx.event
    def start_reject(self, target_id: int):
        self.rejecting, self.reason, self.error = parse_id(target_id) or 0, "", ""

    @rx.event
    def set_reason(self, value: str):
        self.reason = str(value)[:600]
        self.error = ""  # the complaint was about the reason being typed now

    @rx.event
    def cancel_reject(self):
        self.rejecting = 0

    @rx.event
    async def confirm_reject(self):
        target_id, reason = self.rejecting, self.reason
        if not target_id:
            return
        if self.view == "spaces":
            work, done = (lambda s, fx, u: space_moderation.do_reject_space(s, fx, u, target_id, reason),
                          tr("Пространство отклонено, владелец получит причину"))
        else:
            work, done = (lambda s, fx, u: svc.do_moderate_review(
                s, fx, moderator=u, review_id=target_id, approve=False, reason=reason), tr("Отзыв отклонён"))
        async for event in self._decide(target_id, work, done):
            yield event
