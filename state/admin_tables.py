"""/admin/tables: bookings, spaces, users and payments with server-side filters, sorting and
pages (services.admin.admin_tables), exports (services.admin.exports) and row actions (cancel a
booking with a refund, hide a space, block a user, change roles)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timezone
from types import SimpleNamespace

import reflex as rx
from pydantic import ValidationError

from coworking_app.formatting import (
    PAYMENT_PROVIDER_LABELS,
    PAYMENT_STATUS_LABELS,
    RESOURCE_KIND_LABELS,
    ROLE_LABELS,
    SPACE_STATUS_LABELS,
    format_money,
)
from coworking_app.services.admin import admin_tables as tables
from coworking_app.services.admin import exports, user_admin
from coworking_app.services.catalog import space_moderation
from coworking_app.services.booking.booking_states import STATUS_LABELS, booking_refusal
from coworking_app.services.booking.bookings import do_cancel_booking
from coworking_app.settings import get_settings
from state.inputs import parse_id
from state.page import PageState
from coworking_app.i18n import N_, tr

STATUS_CHOICES = {
    "bookings": [("placed", N_("Оформленные")), *STATUS_LABELS.items()],
    "spaces": list(SPACE_STATUS_LABELS.items()),
    "users": [("active", N_("Активные")), ("blocked", N_("Заблокированные"))],
    "payments": list(PAYMENT_STATUS_LABELS.items()),
}
TYPE_CHOICES = {
    "bookings": list(RESOURCE_KIND_LABELS.items()),
    "spaces": list(RESOURCE_KIND_LABELS.items()),
    "users": list(ROLE_LABELS.items()),
    "payments": list(PAYMENT_PROVIDER_LABELS.items()),
}


@dataclass
class ColumnView:
    key: str = ""
    label: str = ""
    numeric: bool = False


@dataclass
class RowView:
    id: int = 0
    cells: list[list[str]] = dataclass_field(default_factory=list)  # [kind, text] per column
    actions: list[list[str]] = dataclass_field(default_factory=list)  # [action, label]
    href: str = ""


def _cell(column: tables.Column, row: dict) -> list[str]:
    """[kind, text]: statuses as badges; every text as in the exports (services.admin.admin_tables)."""
    return ["badge" if column.kind == "status" else "text", tables.format_cell(column, row)]


AUDIT_ENTITY = {"bookings": "booking", "spaces": "space", "users": "user", "payments": "payment"}


def _actions(table: str, row: dict, is_admin: bool) -> tuple[list[list[str]], str]:
    acts, href = _own_actions(table, row, is_admin)
    return [*acts, ["history", tr("История изменений")]], href


def _own_actions(table: str, row: dict, is_admin: bool) -> tuple[list[list[str]], str]:
    if table == "bookings":
        booking = SimpleNamespace(status=row["status"], start_at=row.get("start_at"), end_at=row.get("end_at"),
                                  expires_at=row.get("expires_at"))
        cancellable = booking.end_at is not None and booking_refusal(
            booking, "admin", "cancel", now=datetime.now(timezone.utc)) is None
        return ([["cancel", tr("Отменить с возвратом")]] if cancellable else []), ""
    if table == "spaces":
        acts = [["edit", tr("Редактировать")]]
        if row["status"] == "published":
            acts.append(["hide", tr("Скрыть из поиска")])
        return acts, f"/spaces/{row['id']}" if row["status"] == "published" else f"/owner/spaces/{row['id']}"
    if table == "users":
        acts = [["unblock", tr("Разблокировать")]] if row["blocked"] else [["block", tr("Заблокировать")]]
        if is_admin:
            acts.append(["roles", tr("Изменить роли")])
        return acts, ""
    return [["booking", tr("Открыть бронь")]], ""


class AdminTableState(PageState):
    table: str = "bookings"
    q: str = ""
    status: str = ""
    kind: str = ""
    date_from: str = ""
    date_to: str = ""
    row_id: str = ""
    sort: str = "-id"
    page: int = 1
    page_size: int = 25
    columns: list[ColumnView] = []
    rows: list[RowView] = []
    total: int = 0
    totals_text: str = ""
    allowed: bool = True
    loading: bool = True
    error: str = ""
    is_admin: bool = False
    exporting: str = ""
    # the row-action dialog
    action: str = ""
    action_id: int = 0
    action_title: str = ""
    reason: str = ""
    roles: list[str] = []
    action_error: str = ""
    acting: bool = False
    new_user: dict[str, str] = {"email": "", "full_name": "", "password": "", "role": "operator"}

    @rx.var(cache=False)  # worded in the tab's language
    def status_choices(self) -> list[list[str]]:
        return [[value, tr(label)] for value, label in STATUS_CHOICES.get(self.table, [])]

    @rx.var(cache=False)  # worded in the tab's language
    def type_choices(self) -> list[list[str]]:
        return [list(c) for c in TYPE_CHOICES.get(self.table, [])]

    @rx.var
    def pages(self) -> int:
        return max(1, (self.total + self.page_size - 1) // self.page_size)

    def _filter(self) -> tables.TableFilter:
        return tables.TableFilter(
            id=parse_id(self.row_id), status=self.status or None, type=self.kind or None,
            date_from=self.date_from or None, date_to=self.date_to or None, q=self.q or None,
            sort=self.sort, page=self.page, page_size=self.page_size)

    @rx.event
    async def load(self):
        wanted = self.router.url.query_parameters.get("t", self.table)
        self.table = wanted if wanted in tables.TABLES else "bookings"
        self.loading = True
        yield
        await self._reload()
        self.loading = False

    async def _reload(self) -> None:
        table = self.table
        # (the filter is built in the use case: a bad one is refused like any other input)
        done = await self._act(lambda s, _fx, u: (tables.list_table(s, u, table, self._filter()),
                                                  u.has_role("admin")))
        self.allowed, self.error = not done.denied, "" if done.denied else done.message
        if done.denied:
            self.rows, self.total = [], 0
        if not done.ok:
            return
        page, self.is_admin = done.value
        is_admin = self.is_admin
        self.columns = [ColumnView(c.key, c.label, c.kind in ("money", "id", "number")) for c in page.columns]
        views = []
        for row in page.rows:
            actions, href = _actions(table, row, is_admin)
            views.append(RowView(id=row["id"], cells=[_cell(c, row) for c in page.columns],
                                 actions=actions, href=href))
        self.rows, self.total = views, page.total
        labels = {c.key: c.label for c in page.columns}
        self.totals_text = " · ".join(f"{labels[k]}: {format_money(v)}" for k, v in page.totals.items())

    @rx.event
    async def set_table(self, value: str | list[str]):
        if isinstance(value, str) and value in tables.TABLES and value != self.table:
            self.table, self.status, self.kind, self.sort, self.page, self.row_id = value, "", "", "-id", 1, ""
            await self._reload()

    @rx.event
    async def set_filter(self, name: str, value: str):
        value = str(value)[:100]
        if name == "status":
            self.status = "" if value == "all" else value
        elif name == "type":
            self.kind = "" if value == "all" else value
        elif name in ("q", "date_from", "date_to", "row_id"):
            setattr(self, name, value)
        else:
            return
        self.page = 1
        await self._reload()

    @rx.event
    async def reset_filters(self):
        self.q = self.status = self.kind = self.date_from = self.date_to = self.row_id = ""
        self.page, self.sort = 1, "-id"
        await self._reload()

    @rx.event
    async def sort_by(self, key: str):
        if key not in [c.key for c in self.columns]:
            return
        self.sort = key if self.sort == f"-{key}" else f"-{key}"
        await self._reload()

    @rx.event
    async def go_page(self, step: int):
        target = self.page + (1 if step > 0 else -1)
        if 1 <= target <= self.pages:
            self.page = target
            await self._reload()

    @rx.event
    async def export(self, fmt: str):
        if fmt not in exports.FORMATS:
            return
        table = self.table
        try:
            flt = self._filter()
        except ValidationError:
            yield rx.toast.error(tr("Проверьте фильтры"))
            return
        self.exporting = fmt
        yield
        try:
            if self.total > get_settings().export_sync_max_rows:
                done = await self._act(lambda s, fx, u: exports.do_queue_export(s, fx, u, table, flt, fmt))
                if done.ok:
                    yield rx.toast.info(tr("Строк много: файл готовится в фоне, он появится в «Отчётах»"))
                    yield rx.redirect("/admin/reports")
                    return
            else:
                done = await self._act(lambda s, _fx, u: exports.export_table(s, u, table, flt, fmt))
                if done.ok:
                    yield rx.download(data=done.value.content, filename=done.value.filename)
                    return
            yield done.toast()
        finally:
            self.exporting = ""

    # --- row actions ---------------------------------------------------------------

    @rx.event
    async def row_action(self, action: str, row_id: int):
        row_id = parse_id(row_id) or 0
        if not row_id:
            return
        if action == "edit":
            yield rx.redirect(f"/owner/spaces/{row_id}")
            return
        if action == "history":
            yield rx.redirect(f"/admin/audit?entity={AUDIT_ENTITY[self.table]}&entity_id={row_id}")
            return
        if action == "booking":
            self.table, self.row_id, self.status, self.kind, self.page = "bookings", str(row_id), "", "", 1
            await self._reload()
            return
        titles = {"cancel": tr("Отменить бронь № {row_id} с полным возвратом", row_id=row_id), "hide": tr("Скрыть пространство из поиска"),
                  "block": tr("Заблокировать пользователя"), "unblock": tr("Разблокировать пользователя"),
                  "roles": tr("Роли пользователя")}
        if action not in titles:
            return
        self.action, self.action_id, self.action_title = action, row_id, titles[action]
        self.reason, self.action_error = "", ""
        if action == "roles":
            row = next((r for r in self.rows if r.id == row_id), None)
            shown = {label: code for code, label in ROLE_LABELS.items()}
            self.roles = [shown[x.strip()] for x in (row.cells[3][1].split(",") if row else []) if x.strip() in shown]

    @rx.event
    def start_create_user(self):
        self.action, self.action_id, self.action_title, self.action_error = "create", 0, tr("Новый пользователь"), ""
        self.new_user = {"email": "", "full_name": "", "password": "", "role": "operator"}

    @rx.event
    def set_new_user(self, name: str, value: str):
        if name in self.new_user:
            self.new_user = {**self.new_user, name: str(value)[:254]}

    @rx.event
    def set_reason(self, value: str):
        self.reason = str(value)[:500]
        self.action_error = ""  # the complaint was about the reason being typed now

    @rx.event
    def toggle_role(self, role: str, on: bool):
        if role in ROLE_LABELS:
            self.roles = [r for r in ROLE_LABELS if (r in self.roles and r != role) or (r == role and on)]

    @rx.event
    def close_action(self):
        self.action, self.action_id = "", 0

    @rx.event
    async def confirm_action(self):
        action, target, reason, roles = self.action, self.action_id, self.reason, list(self.roles)
        new_user = dict(self.new_user)
        work = {
            "cancel": lambda s, fx, u: do_cancel_booking(s, fx, u, target, reason=reason),
            "hide": lambda s, fx, u: space_moderation.do_hide_space(s, fx, u, target, reason),
            "block": lambda s, _fx, u: user_admin.do_set_user_blocked(s, u, target, True),
            "unblock": lambda s, _fx, u: user_admin.do_set_user_blocked(s, u, target, False),
            "roles": lambda s, _fx, u: user_admin.do_set_user_roles(s, u, target, roles),
            "create": lambda s, _fx, u: user_admin.do_create_account(s, u, **new_user),
        }.get(action)
        if work is None or (not target and action != "create"):
            return
        self.acting, self.action_error = True, ""
        yield
        try:
            done = await self._act(work)
            self.action_error = done.message
            if not done.ok:
                return
            self.action, self.action_id = "", 0
            yield rx.toast.success({
                "cancel": tr("Бронь № {target} отменена, оплата возвращена; гость и владелец увидят причину",
                             target=target),
                "hide": tr("Пространство скрыто из поиска, владелец увидит причину"),
                "block": tr("Пользователь заблокирован и вышел со всех устройств"),
                "unblock": tr("Пользователь разблокирован"), "roles": tr("Роли сохранены"),
                "create": tr("Пользователь создан")}[action])
            await self._reload()
        finally:
            self.acting = False
