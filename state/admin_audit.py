"""/admin/audit (the audit log with filters and a diff of each change) and /admin/reports
(scheduled reports and background exports with their progress)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import (
    AUDIT_ACTION_LABELS,
    AUDIT_ENTITY_LABELS,
    audit_field_label,
    format_audit_value,
    format_moment,
)
from coworking_app.services.admin import audit, exports
from coworking_app.settings import get_settings
from models import AUDIT_ENTITIES
from state.auth import invalid
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import Labels, N_, tr

ENTITY_LABELS = AUDIT_ENTITY_LABELS
ACTION_LABELS = AUDIT_ACTION_LABELS
PAGE_SIZE = 50


@dataclass
class AuditRow:
    id: int = 0
    at: str = ""
    actor: str = ""
    entity: str = ""
    action: str = ""
    color: str = "gray"
    where: str = ""
    changes: list[list[str]] = dataclass_field(default_factory=list)  # [field, old, new] of an update
    summary: str = ""  # the fields of a created or deleted row, on one line


def _actor(item: audit.AuditItem) -> str:
    if item.actor_email or item.actor_id:
        return item.actor_email or f"#{item.actor_id}"
    if item.actor_kind.startswith("job:"):
        return tr("задача ") + item.actor_kind.removeprefix("job:")
    return {"system": tr("система"), "anonymous": tr("без входа")}.get(item.actor_kind, item.actor_kind)


def _row(item: audit.AuditItem) -> AuditRow:
    """An entry as the screens say it: field names, statuses and kinds in Russian, money in
    roubles, moments in the panel's zone (coworking_app/formatting.py)."""
    actor = _actor(item)
    where = " · ".join(x for x in (item.ip and f"IP {item.ip}", item.request_id and tr("запрос {value}", value=item.request_id[:12])) if x)
    zone = get_settings().report_timezone

    def show(name: str, value) -> str:
        return format_audit_value(item.entity, name, value, zone)

    fields = sorted(item.changes.items(), key=lambda kv: audit_field_label(kv[0]))
    return AuditRow(
        id=item.id, at=format_moment(item.at, zone, seconds=True, named=True), actor=actor,
        entity=f"{ENTITY_LABELS.get(item.entity, item.entity)} № {item.entity_id}",
        action=ACTION_LABELS.get(item.action, item.action),
        color={"create": "green", "update": "blue", "delete": "red"}.get(item.action, "gray"), where=where,
        changes=[] if item.action != "update" else
        [[audit_field_label(name), show(name, values[0]), show(name, values[1])] for name, values in fields],
        summary="" if item.action == "update" else " · ".join(
            f"{audit_field_label(name)}: {show(name, values[1] if item.action == 'create' else values[0])}"
            for name, values in fields))


class AuditState(PageState):
    entity: str = ""
    entity_id: str = ""
    actor_id: str = ""
    action: str = ""
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    rows: list[AuditRow] = []
    total: int = 0
    allowed: bool = True
    loading: bool = True
    error: str = ""

    @rx.var(cache=False)  # worded in the tab's language
    def entity_choices(self) -> list[list[str]]:
        return [[e, ENTITY_LABELS[e]] for e in AUDIT_ENTITIES]

    @rx.var(cache=False)  # worded in the tab's language
    def pages(self) -> int:
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    @rx.event
    async def load(self):
        query = self.router.url.query_parameters
        if query.get("entity") in AUDIT_ENTITIES:
            self.entity = query["entity"]
            self.entity_id = str(parse_id(query.get("entity_id", "")) or "")
        self.loading = True
        yield
        await self._reload()
        self.loading = False

    async def _reload(self) -> None:
        try:
            flt = audit.AuditFilter(entity=self.entity or None, entity_id=parse_id(self.entity_id),
                                    actor_id=parse_id(self.actor_id), action=self.action or None,
                                    date_from=self.date_from or None, date_to=self.date_to or None,
                                    page=self.page, page_size=PAGE_SIZE)
        except ValidationError as exc:
            self.error = invalid(exc)
            return
        done = await self._act(lambda s, _fx, u: audit.list_audit(s, u, flt))
        self.allowed, self.error = not done.denied, "" if done.denied else done.message
        if not done.ok:
            self.rows = []
            return
        items, self.total = done.value
        self.rows = [_row(i) for i in items]

    @rx.event
    async def set_filter(self, name: str, value: str):
        value = str(value)[:40]
        if name in ("entity", "action"):
            value = "" if value == "all" else value
        if name not in ("entity", "entity_id", "actor_id", "action", "date_from", "date_to"):
            return
        setattr(self, name, value)
        self.page = 1
        await self._reload()

    @rx.event
    async def go_page(self, step: int):
        target = self.page + (1 if step > 0 else -1)
        if 1 <= target <= self.pages:
            self.page = target
            await self._reload()


@dataclass
class ReportRow:
    id: int = 0
    title: str = ""
    kind: str = ""
    fmt: str = ""
    status: str = ""
    progress: int = 0
    rows: int = 0
    when: str = ""
    error: str = ""
    ready: bool = False


KIND_LABELS = Labels({"daily": N_("Ежедневный"), "weekly": N_("Еженедельный"), "monthly": N_("Ежемесячный"), "export": N_("Выгрузка")})


class ReportsState(PageState):
    reports: list[ReportRow] = []
    allowed: bool = True
    loading: bool = True
    polling: bool = False

    @rx.var
    def running(self) -> bool:
        return any(r.status in ("queued", "running") for r in self.reports)

    async def _reload(self) -> None:
        done = await self._act(lambda s, _fx, u: exports.list_reports(s, u))
        self.allowed, infos = done.ok, done.value or []
        self.reports = [ReportRow(
            id=r.id, title=r.title, kind=KIND_LABELS.get(r.kind, r.kind), fmt=r.fmt.upper(), status=r.status,
            progress=r.progress, rows=r.rows, error=r.error or "", ready=r.ready,
            when=format_moment(r.created_at, get_settings().report_timezone)) for r in infos]

    @rx.event
    async def load(self):
        self.loading = True
        yield
        await self._reload()
        self.loading = False
        if self.running and not self.polling:
            yield ReportsState.poll

    @rx.event(background=True)
    async def poll(self):
        """While an export runs, refresh its progress every 2 seconds."""
        async with self:
            if self.polling:
                return
            self.polling = True
        try:
            for _ in range(900):
                await asyncio.sleep(2)
                async with self:
                    await self._reload()
                    if not self.running:
                        break
        finally:
            async with self:
                self.polling = False

    @rx.event
    async def download(self, report_id: int):
        report_id = parse_id(report_id)
        if report_id is None:
            return
        done = await self._act(lambda s, _fx, u: exports.report_download(exports.access_report_file(s, u, report_id)))
        return rx.download(data=done.value.content, filename=done.value.filename) if done.ok else done.toast()
