"""The operator panel's API (operators and admins; 403 for everyone else): dashboard
numbers, tables, exports and reports, moderation of spaces, row actions, the audit log.
Owners read their own spaces' analytics at /owner/analytics. Thin adapters over
services.admin.analytics, admin_tables, exports, space_moderation, user_admin and audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coworking_app.api.deps import CurrentUser, DbSession, Uow
from coworking_app.api.edge import SIGNED_IN, EdgeRoute, PathId, responses
from coworking_app.services.admin import admin_tables as tables
from coworking_app.services.admin import analytics, exports
from coworking_app.services.admin import audit as audit_svc
from coworking_app.services.catalog import space_moderation as moderation
from coworking_app.services.admin import user_admin
from coworking_app.services.accounts.permissions import check_role
from coworking_app.services.booking.bookings import do_cancel_booking
from coworking_app.services.common.errors import InvalidInput
from coworking_app.services.common.fields import Day, Line, Text
from coworking_app.services.catalog.spaces import do_set_space_status
from coworking_app.services.common.validation import first_message
from models import Role, SpaceStatus
from coworking_app.i18n import tr

router = APIRouter(tags=["admin"], route_class=EdgeRoute, responses=SIGNED_IN)
_CONFLICT = responses(409)
_FILES = {200: {"content": {exports.CONTENT_TYPES["xlsx"]: {}, "application/pdf": {}},
                "description": "The file"}}


# --- dashboard ---------------------------------------------------------------------------


class DashboardQuery(analytics.DashboardFilter):
    model_config = ConfigDict(populate_by_name=True)

    date_from: Day | None = Field(default=None, alias="from")
    date_to: Day | None = Field(default=None, alias="to")
    city_id: PathId | None = Field(default=None, alias="city")
    space_id: PathId | None = Field(default=None, alias="space")


class StatsOut(BaseModel):
    period_from: date
    period_to: date
    kpis: analytics.Kpis


def _stats(session, user, query: DashboardQuery, owner_view: bool) -> StatsOut:
    scope = analytics.access_analytics_scope(session, user, query, owner_view=owner_view)
    period = query.period()
    return StatsOut(period_from=period[0], period_to=period[1], kpis=analytics.kpis(session, scope, period))


@router.get("/admin/stats", response_model=StatsOut)
def admin_stats(query: Annotated[DashboardQuery, Query()], user: CurrentUser, session: DbSession) -> StatsOut:
    """The KPI numbers of the network (optionally one city or space) for the period."""
    return _stats(session, user, query, owner_view=False)


def _dashboard_out(board: analytics.Dashboard) -> dict:
    return {
        "period_from": board.period[0], "period_to": board.period[1], "kpis": board.kpis.model_dump(),
        "occupancy": [{"day": d.day, "pct": d.pct, "booked_hours": round(d.booked_hours, 2),
                       "open_hours": round(d.open_hours, 2)} for d in board.occupancy],
        "revenue": [{"period": p.period, "revenue_minor": p.revenue_minor, "bookings": p.bookings}
                    for p in board.revenue],
        "statuses": board.statuses,
        "top_spaces": [{"space_id": t.space_id, "name": t.name, "revenue_minor": t.revenue_minor,
                        "bookings": t.bookings} for t in board.top],
        "heatmap": board.heatmap,
        "searches": [{"lat": c.lat, "lon": c.lon, "searches": c.searches} for c in board.searches],
    }


@router.get("/admin/dashboard")
def admin_dashboard(query: Annotated[DashboardQuery, Query()], user: CurrentUser, session: DbSession) -> dict:
    """Every dashboard widget's data in one answer (what /admin draws)."""
    return _dashboard_out(analytics.dashboard(session, user, query, owner_view=False))


@router.get("/owner/analytics")
def owner_analytics(query: Annotated[DashboardQuery, Query()], user: CurrentUser, session: DbSession) -> dict:
    """The same widgets over the caller's own spaces only."""
    return _dashboard_out(analytics.dashboard(session, user, query, owner_view=True))


# --- tables ------------------------------------------------------------------------------


class TableQuery(tables.TableFilter):
    model_config = ConfigDict(populate_by_name=True)

    date_from: Day | None = Field(default=None, alias="from")
    date_to: Day | None = Field(default=None, alias="to")
    city_id: PathId | None = Field(default=None, alias="city")
    space_id: PathId | None = Field(default=None, alias="space")


class TableOut(BaseModel):
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    totals: dict[str, int]
    columns: list[dict[str, str]]


def _table(table: str, query: TableQuery, user, session) -> TableOut:
    page = tables.list_table(session, user, table, query)
    return TableOut(items=page.rows, total=page.total, page=page.page, page_size=page.page_size,
                    totals=page.totals,
                    columns=[{"key": c.key, "label": c.label, "kind": c.kind} for c in page.columns])


@router.get("/admin/bookings", response_model=TableOut)
def admin_bookings(query: Annotated[TableQuery, Query()], user: CurrentUser, session: DbSession) -> TableOut:
    """`status`: a booking status or `placed`; `type`: resource kind; `from`/`to`: start day;
    `created_from`/`created_to`; `q`: renter email or space name; `sort`: a column, `-` for descending."""
    return _table("bookings", query, user, session)


@router.get("/admin/spaces", response_model=TableOut)
def admin_spaces(query: Annotated[TableQuery, Query()], user: CurrentUser, session: DbSession) -> TableOut:
    """`status`: draft, pending_review, published, hidden; `type`: has a resource of that kind."""
    return _table("spaces", query, user, session)


@router.get("/admin/users", response_model=TableOut)
def admin_users(query: Annotated[TableQuery, Query()], user: CurrentUser, session: DbSession) -> TableOut:
    """`status`: active or blocked; `type`: a role."""
    return _table("users", query, user, session)


@router.get("/admin/payments", response_model=TableOut)
def admin_payments(query: Annotated[TableQuery, Query()], user: CurrentUser, session: DbSession) -> TableOut:
    """`status`: pending, succeeded, failed; `type`: provider."""
    return _table("payments", query, user, session)


def _file(file: exports.ExportFile) -> Response:
    return Response(content=file.content, media_type=file.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{file.filename}"'})


def _split_export_name(name: str) -> tuple[str, str]:
    stem, _, fmt = name.rpartition(".")
    if stem not in (*tables.TABLES, "dashboard"):
        raise InvalidInput("table", tr("Допустимые значения: {join}", join=', '.join((*tables.TABLES, 'dashboard'))))
    return stem, exports.check_format(fmt)


@router.get("/admin/export/{name}", response_class=Response, responses={**_FILES, **_CONFLICT})
def admin_export(name: Annotated[Line(40), Path()], query: Annotated[TableQuery, Query()],
                 user: CurrentUser, session: DbSession) -> Response:
    """`bookings.xlsx`, `payments.pdf`, ... with the table's filters (every matching row, up
    to EXPORT_SYNC_MAX_ROWS; more: POST /admin/exports), or `dashboard.xlsx|pdf` with
    `from`/`to`/`city`/`space`."""
    table, fmt = _split_export_name(name)
    if table == "dashboard":
        try:
            flt = DashboardQuery(date_from=query.date_from, date_to=query.date_to, city_id=query.city_id,
                                 space_id=query.space_id)
        except ValidationError as exc:  # 'to' before 'from': TableQuery does not check it
            raise InvalidInput("to", first_message(exc.errors())) from exc
        return _file(exports.export_dashboard(session, user, flt, fmt))
    return _file(exports.export_table(session, user, table, query, fmt))


@router.get("/owner/analytics/export/{name}", response_class=Response, responses={**_FILES, **_CONFLICT})
def owner_export(name: Annotated[Line(40), Path()], query: Annotated[DashboardQuery, Query()],
                 user: CurrentUser, session: DbSession) -> Response:
    """`dashboard.xlsx` or `dashboard.pdf` of the owner's own spaces."""
    table, fmt = _split_export_name(name)
    if table != "dashboard":
        raise InvalidInput("table", tr("Владелец может выгрузить только сводку (dashboard)"))
    return _file(exports.export_dashboard(session, user, query, fmt, owner_view=True))


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: Line(16)
    format: Line(4) = "xlsx"
    filters: TableQuery = Field(default_factory=TableQuery)


class ReportOut(BaseModel):
    id: int
    kind: str
    title: str
    format: str
    status: str
    progress: int
    rows: int
    error: str | None
    created_at: datetime
    download_url: str | None


def _report_out(r: exports.ReportInfo) -> ReportOut:
    return ReportOut(id=r.id, kind=r.kind, title=r.title, format=r.fmt, status=r.status, progress=r.progress,
                     rows=r.rows, error=r.error, created_at=r.created_at,
                     download_url=f"/api/v1/admin/reports/{r.id}/file" if r.ready else None)


@router.post("/admin/exports", response_model=ReportOut, status_code=status.HTTP_202_ACCEPTED,
             responses=_CONFLICT)
def queue_export(body: ExportIn, user: CurrentUser, uow: Uow) -> ReportOut:
    """A large export as a background job; poll GET /admin/reports/{id} for progress."""
    report = uow.run(lambda s, fx: exports.do_queue_export(s, fx, user, body.table, body.filters, body.format))
    return _report_out(exports.ReportInfo(report.id, report.kind, report.title, report.fmt, report.status,
                                          report.progress, report.rows, report.error, report.created_at,
                                          ready=False))


@router.get("/admin/reports", response_model=list[ReportOut])
def list_reports(user: CurrentUser, session: DbSession,
                 kind: Annotated[str | None, Query(pattern="^(daily|weekly|monthly|export)$")] = None) -> list[ReportOut]:
    return [_report_out(r) for r in exports.list_reports(session, user, kind=kind)]


@router.get("/admin/reports/{report_id}", response_model=ReportOut)
def report_status(report_id: PathId, user: CurrentUser, session: DbSession) -> ReportOut:
    r = exports.access_report_file(session, user, report_id)
    return _report_out(exports.ReportInfo(r.id, r.kind, r.title, r.fmt, r.status, r.progress, r.rows, r.error,
                                          r.created_at, ready=r.status == "done"))


@router.get("/admin/reports/{report_id}/file", response_class=Response, responses={**_FILES, **_CONFLICT})
def report_file(report_id: PathId, user: CurrentUser, session: DbSession) -> Response:
    return _file(exports.report_download(exports.access_report_file(session, user, report_id)))


# --- moderation and row actions --------------------------------------------------------


class SpaceQueueOut(BaseModel):
    items: list[moderation.QueuedSpace]
    total: int


@router.get("/admin/moderation/spaces", response_model=SpaceQueueOut)
def space_queue(user: CurrentUser, session: DbSession,
                view: Annotated[str, Query(pattern="^(pending|changed|all)$")] = "all",
                page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> SpaceQueueOut:
    """`pending`: new spaces submitted by owners; `changed`: published spaces whose text or
    photos changed since the last look."""
    items, total = moderation.list_space_queue(session, user, view=view, page=page)  # type: ignore[arg-type]
    return SpaceQueueOut(items=items, total=total)


class ReasonIn(BaseModel):
    reason: Text(2000) | None = None


class SpaceStatusOut(BaseModel):
    id: int
    status: str
    moderation_note: str | None


def _space_out(space) -> SpaceStatusOut:
    return SpaceStatusOut(id=space.id, status=space.status, moderation_note=space.moderation_note)


@router.post("/admin/moderation/spaces/{space_id}/approve", response_model=SpaceStatusOut,
             responses=_CONFLICT)
def approve_space(space_id: PathId, user: CurrentUser, uow: Uow) -> SpaceStatusOut:
    return _space_out(uow.run(lambda s, fx: moderation.do_approve_space(s, fx, user, space_id)))


@router.post("/admin/moderation/spaces/{space_id}/reject", response_model=SpaceStatusOut,
             responses=_CONFLICT)
def reject_space(space_id: PathId, body: ReasonIn, user: CurrentUser, uow: Uow) -> SpaceStatusOut:
    return _space_out(uow.run(lambda s, fx: moderation.do_reject_space(s, fx, user, space_id, body.reason)))


@router.post("/admin/spaces/{space_id}/hide", response_model=SpaceStatusOut, responses=_CONFLICT)
def hide_space(space_id: PathId, body: ReasonIn, user: CurrentUser, uow: Uow) -> SpaceStatusOut:
    return _space_out(uow.run(lambda s, fx: moderation.do_hide_space(s, fx, user, space_id, body.reason)))


class StatusIn(BaseModel):
    status: SpaceStatus


@router.post("/admin/spaces/{space_id}/status")
def set_space_status(space_id: PathId, body: StatusIn, user: CurrentUser, uow: Uow) -> dict:
    """Set any status directly (admins; data fixes and seeding)."""
    check_role(user, Role.admin)
    space = uow.run(lambda s, fx: do_set_space_status(s, fx, space_id, body.status))
    return {"id": space.id, "status": space.status}


class CancelIn(BaseModel):
    reason: Text(500) | None = None


@router.post("/admin/bookings/{booking_id}/cancel", responses=_CONFLICT)
def cancel_booking(booking_id: PathId, body: CancelIn, user: CurrentUser, uow: Uow) -> dict:
    """Cancel for the network with a full refund of what was paid."""
    check_role(user, Role.operator, Role.admin)
    booking, refunded = uow.run(lambda s, fx: do_cancel_booking(s, fx, user, booking_id, reason=body.reason))
    return {"id": booking.id, "status": booking.status, "refunded_minor": refunded}


class BlockIn(BaseModel):
    blocked: bool


class RolesIn(BaseModel):
    roles: list[Line(16)] = Field(max_length=4)


class UserOut(BaseModel):
    id: int
    email: str
    roles: list[str]
    blocked: bool


def _user_out(u) -> UserOut:
    return UserOut(id=u.id, email=u.email, roles=list(u.roles), blocked=not u.is_active)


@router.post("/admin/users/{user_id}/block", response_model=UserOut)
def block_user(user_id: PathId, body: BlockIn, user: CurrentUser, uow: Uow) -> UserOut:
    return _user_out(uow.run(lambda s, _fx: user_admin.do_set_user_blocked(s, user, user_id, body.blocked)))


@router.put("/admin/users/{user_id}/roles", response_model=UserOut)
def set_roles(user_id: PathId, body: RolesIn, user: CurrentUser, uow: Uow) -> UserOut:
    return _user_out(uow.run(lambda s, _fx: user_admin.do_set_user_roles(s, user, user_id, body.roles)))


class AccountIn(BaseModel):
    email: Line(254)
    password: str = Field(max_length=256)
    full_name: Line(120)
    role: Line(16)


@router.post("/admin/users", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             responses=_CONFLICT)
def create_account(body: AccountIn, user: CurrentUser, uow: Uow) -> UserOut:
    return _user_out(uow.run(lambda s, _fx: user_admin.do_create_account(
        s, user, email=body.email, password=body.password, full_name=body.full_name, role=body.role)))


# --- audit ---------------------------------------------------------------------------------


class AuditQuery(audit_svc.AuditFilter):
    model_config = ConfigDict(populate_by_name=True)

    date_from: Day | None = Field(default=None, alias="from")
    date_to: Day | None = Field(default=None, alias="to")


class AuditOut(BaseModel):
    items: list[audit_svc.AuditItem]
    total: int


@router.get("/admin/audit", response_model=AuditOut)
def audit_log(query: Annotated[AuditQuery, Query()], user: CurrentUser, session: DbSession) -> AuditOut:
    """Newest first; `changes` is {field: [old, new]}."""
    items, total = audit_svc.list_audit(session, user, query)
    return AuditOut(items=items, total=total)
