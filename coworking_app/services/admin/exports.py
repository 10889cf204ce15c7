"""Excel and PDF files of the operator tables and the dashboard, small ones at once and large
ones as RQ jobs with progress (ReportFile rows), plus the scheduled daily/weekly/monthly
reports (docs/admin.md).

Excel (XlsxWriter): a header row, frozen panes and an autofilter; ids and counts as
integers, money as numbers in roubles with a currency format, moments as Excel dates in
the report zone. PDF (fpdf2, DejaVu for Cyrillic): title, the filters applied, the table
and its totals.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import xlsxwriter
from fpdf import FPDF
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session

from coworking_app.services.common.errors import Conflict, InvalidInput, NotFound, ServiceError
from coworking_app.effects import Effects
from coworking_app.formatting import BOOKING_STATUS_LABELS, format_money, local_moment
from coworking_app.services.admin import admin_tables as tables, analytics
from coworking_app.services.accounts.permissions import check_role
from coworking_app.settings import PROJECT_ROOT, get_settings
from models import City, ReportFile, ReportStatus, Role, Space, User
from coworking_app import i18n
from coworking_app.i18n import Labels, N_, tr

FONT_DIR = PROJECT_ROOT / "assets" / "fonts"
FORMATS = ("xlsx", "pdf")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
PDF_MAX_ROWS = 5000  # a longer PDF is not something anyone reads: export Excel instead
TABLE_TITLES = Labels({"bookings": N_("Брони"), "spaces": N_("Пространства"), "users": N_("Пользователи"), "payments": N_("Платежи")})


@dataclass
class ExportFile:
    filename: str
    content_type: str
    content: bytes


def _local(value: datetime) -> datetime:
    return local_moment(value, analytics.report_zone()).replace(tzinfo=None)


# --- Excel -------------------------------------------------------------------------------


def render_xlsx(sheets: list[tuple[str, list[tables.Column], Iterable[dict[str, Any]], dict[str, int]]],
                *, title: str, subtitle: str, progress: Callable[[int], None] | None = None) -> bytes:
    """One worksheet per (name, columns, rows, totals): title and filters on rows 1-2, the
    header on row 4 (frozen), data below, a bold totals row at the end."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#E6F4F1", "bottom": 1, "text_wrap": True})
    money = book.add_format({"num_format": '#,##0.00 "₽"'})
    money_bold = book.add_format({"num_format": '#,##0.00 "₽"', "bold": True})
    moment = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    decimal = book.add_format({"num_format": "0.0"})
    done = 0
    for name, columns, rows, totals in sheets:
        sheet = book.add_worksheet(name[:31])
        sheet.write(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
        sheet.write(1, 0, subtitle)
        for c, column in enumerate(columns):
            sheet.write(3, c, column.label, header)
            sheet.set_column(c, c, {"id": 8, "money": 14, "datetime": 17, "date": 12, "bool": 8,
                                    "number": 10}.get(column.kind, 24))
        sheet.freeze_panes(4, 0)
        r = 4
        for row in rows:
            for c, column in enumerate(columns):
                value = tables.cell_value(column, row)
                if value is None:
                    continue
                if isinstance(value, str) and (column.labels is not None or column.kind != "text"):
                    sheet.write_string(r, c, value)  # a label: the same words as the screens
                elif column.kind == "money":
                    sheet.write_number(r, c, int(value) / 100, money)
                elif column.kind == "datetime" and isinstance(value, datetime):
                    sheet.write_datetime(r, c, _local(value), moment)
                elif column.kind == "date" and isinstance(value, date):
                    sheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), day)
                elif column.kind in ("id", "number"):
                    sheet.write_number(r, c, value, decimal if isinstance(value, float) else None)
                elif column.kind == "bool":
                    sheet.write_string(r, c, tr("да") if value else tr("нет"))
                else:
                    sheet.write_string(r, c, str(value))
            r += 1
            done += 1
            if progress and done % 1000 == 0:
                progress(done)
        if r > 4:
            sheet.autofilter(3, 0, r - 1, len(columns) - 1)
        if totals:
            sheet.write(r, 0, tr("Итого"), bold)
            for c, column in enumerate(columns):
                if column.key in totals:
                    sheet.write_number(r, c, totals[column.key] / 100, money_bold)
    book.close()
    return buffer.getvalue()


# --- PDF ---------------------------------------------------------------------------------


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="L", format="A4")
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(True, margin=12)
        self.doc_title = title
        self.set_title(title)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("DejaVu", "", 7)
        self.cell(0, 5, tr("{doc_title} — стр. {page_no}", doc_title=self.doc_title, page_no=self.page_no()), align="R")


def _pdf_table(pdf: _Pdf, columns: list[tables.Column], rows: Iterable[dict[str, Any]], totals: dict[str, int]) -> int:
    weights = [{"id": 0.6, "money": 1.2, "datetime": 1.3, "bool": 0.7, "number": 0.7, "status": 1.1}.get(c.kind, 1.6)
               for c in columns]
    pdf.set_font("DejaVu", "", 7)
    count = 0
    with pdf.table(col_widths=weights, line_height=4.5, first_row_as_headings=True,
                   text_align=["RIGHT" if c.kind in ("money", "id", "number") else "LEFT" for c in columns],
                   ) as table:
        heading = table.row()
        for column in columns:
            heading.cell(column.label)
        for row in rows:
            line = table.row()
            for column in columns:
                line.cell(tables.format_cell(column, row)[:60])
            count += 1
    if totals:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 9)
        labels = {c.key: c.label for c in columns}
        summary = "; ".join(f"{labels[k]}: {format_money(v)}" for k, v in totals.items())
        pdf.multi_cell(0, 5, tr("Итого (строк: {count}): {summary}", count=count, summary=summary), new_x="LMARGIN", new_y="NEXT")
    return count


def render_pdf(sections: list[tuple[str, list[tables.Column], Iterable[dict[str, Any]], dict[str, int]]],
               *, title: str, subtitle: str, intro: list[str] | None = None) -> bytes:
    pdf = _Pdf(title)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, subtitle, new_x="LMARGIN", new_y="NEXT")
    for line in intro or []:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    for name, columns, rows, totals in sections:
        pdf.ln(3)
        if len(sections) > 1:
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(0, 6, name, new_x="LMARGIN", new_y="NEXT")
        _pdf_table(pdf, columns, rows, totals)
    return bytes(pdf.output())


# --- tables --------------------------------------------------------------------------------


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput("format", tr("Формат файла: xlsx или pdf"))
    return fmt


def _stamp(now: datetime | None = None) -> str:
    return _local(now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M")


def _subtitle(table: str, flt: tables.TableFilter, now: datetime | None = None) -> str:
    moment = _local(now or datetime.now(timezone.utc)).strftime("%d.%m.%Y %H:%M")
    return tr("Фильтры: {describe}. Сформировано {moment} ({report_timezone}).", describe=flt.describe(table), moment=moment, report_timezone=get_settings().report_timezone)


def _table_file(session: Session, user: User, table: str, flt: tables.TableFilter, fmt: str,
                total: int, totals: dict[str, int], progress: Callable[[int], None] | None = None) -> ExportFile:
    columns = list(tables.SPECS[table].columns)
    rows = tables.iter_table(session, user, table, flt)
    title = f"{TABLE_TITLES[table]} — CoSpace"
    if fmt == "xlsx":
        content = render_xlsx([(TABLE_TITLES[table], columns, rows, totals)], title=title,
                              subtitle=_subtitle(table, flt), progress=progress)
    else:
        if total > PDF_MAX_ROWS:
            raise Conflict("format", tr("В PDF помещается не больше {PDF_MAX_ROWS} строк, а подходит {total}: сузьте фильтры или выгрузите Excel", PDF_MAX_ROWS=PDF_MAX_ROWS, total=total))
        content = render_pdf([(TABLE_TITLES[table], columns, rows, totals)], title=title, subtitle=_subtitle(table, flt))
    return ExportFile(f"{table}-{_stamp()}.{fmt}", CONTENT_TYPES[fmt], content)


def export_table(session: Session, user: User | None, table: str, flt: tables.TableFilter, fmt: str) -> ExportFile:
    """Every row matching the filters (not just the page), at once. Over
    settings.export_sync_max_rows rows: 409, run it as a job (`do_queue_export`)."""
    check_format(fmt)
    counted = tables.list_table(session, user, table, flt.model_copy(update={"page": 1, "page_size": 1}))
    limit = get_settings().export_sync_max_rows
    if counted.total > limit:
        raise Conflict("rows", tr("Подходит строк: {total}. Выгрузки больше {limit} строк готовятся в фоне: закажите отчёт (POST /api/v1/admin/exports)", total=counted.total, limit=limit))
    return _table_file(session, user, table, flt, fmt, counted.total, counted.totals)


# --- background exports -----------------------------------------------------------------


def do_queue_export(session: Session, effects: Effects, user: User | None, table: str, flt: tables.TableFilter,
                    fmt: str) -> ReportFile:
    """A ReportFile row in `queued`, and the job that fills it (after commit)."""
    user = check_role(user, Role.operator, Role.admin)
    check_format(fmt)
    tables.check_table_query(table, flt)
    report = ReportFile(kind="export", title=f"{TABLE_TITLES[table]}: {flt.describe(table)}"[:200], table_name=table,
                        fmt=fmt, params=flt.model_dump(mode="json", exclude={"page", "page_size"}),
                        created_by=user.id)
    session.add(report)
    session.flush()
    effects.queue_job("jobs.reports.run_export", report.id, job_id=f"export-{report.id}", timeout=1800)
    return report


@contextmanager
def _own_transaction() -> Iterator[Session]:
    """One short unit of work of the export job (its steps cause no effects)."""
    from coworking_app.uow import UnitOfWork  # (the unit of work imports services)

    with UnitOfWork() as uow:
        yield uow.session


def _set(session_factory, report_id: int, **values) -> None:
    with session_factory() as session:
        session.execute(update(ReportFile).where(ReportFile.id == report_id).values(**values))


def run_export(report_id: int, *, session_factory=None) -> str:
    """The job's work: stream the rows into the file, writing progress (its own short
    transactions, so the panel sees it move), then the file; `failed` with a message on a
    refused request. Re-running a finished export does nothing."""
    session_factory = session_factory or _own_transaction
    with session_factory() as session:
        report = session.get(ReportFile, report_id)
        if report is None or report.kind != "export":
            return "missing"
        if report.status == ReportStatus.done.value:
            return "done already"
        user = session.get(User, report.created_by) if report.created_by else None
        table, fmt, params = report.table_name, report.fmt, dict(report.params)
        language = user.language if user else None
    with i18n.use(language):  # the file is worded for whoever asked for it
        _set(session_factory, report_id, status=ReportStatus.running.value, progress=0)
        try:
            flt = tables.TableFilter(**params, page=1, page_size=1)
            # A transaction of its own: iter_table streams through a server-side cursor, which
            # PostgreSQL allows only inside a transaction block (not on the autocommit read_scope).
            with session_factory() as session:
                counted = tables.list_table(session, user, table, flt)
                total = max(counted.total, 1)

                def progress(done: int) -> None:
                    _set(session_factory, report_id, progress=min(99, done * 100 // total), rows=done)

                file = _table_file(session, user, table, flt, fmt, counted.total, counted.totals, progress)
        except (ServiceError, ValueError) as exc:
            _set(session_factory, report_id, status=ReportStatus.failed.value,
                 error=str(getattr(exc, "message", exc))[:500], finished_at=datetime.now(timezone.utc))
            return "failed"
        except Exception:
            # Anything else (the database went away, a bug): the panel must not show "running"
            # forever. RQ keeps the traceback in its failed-job registry.
            _set(session_factory, report_id, status=ReportStatus.failed.value,
                 error=tr("внутренняя ошибка, попробуйте ещё раз"), finished_at=datetime.now(timezone.utc))
            raise
        _set(session_factory, report_id, status=ReportStatus.done.value, progress=100, rows=counted.total,
             content=file.content, filename=file.filename, finished_at=datetime.now(timezone.utc))
        return "done"


# --- the dashboard and scheduled reports ----------------------------------------------------

_KPI_LABELS = (
    ("active_now", N_("Активных броней сейчас"), "number"), ("bookings_today", N_("Новых броней сегодня"), "number"),
    ("received_today_minor", N_("Получено сегодня (оплаты минус возвраты, по дате платежа)"), "money"),
    ("received_month_minor", N_("Получено за месяц (по дате платежа)"), "money"),
    ("revenue_today_minor", N_("Выручка сегодня (завершённые визиты и штрафы)"), "money"),
    ("revenue_month_minor", N_("Выручка за месяц (завершённые визиты и штрафы)"), "money"),
    ("occupancy_today_pct", N_("Загрузка сегодня, %"), "number"), ("new_users_week", N_("Новых пользователей за неделю"), "number"),
    ("cancellation_rate_pct", N_("Доля отмен за период, %"), "number"), ("api_avg_ms", N_("Среднее время ответа API, мс"), "number"),
)


def dashboard_sections(board: analytics.Dashboard) -> list[tuple[str, list[tables.Column], list[dict], dict]]:
    C = tables.Column
    kpi = board.kpis.model_dump()
    return [
        (tr("Показатели"), [C("name", tr("Показатель")), C("value", tr("Значение"), "number"), C("money", tr("Сумма"), "money")],
         [{"name": label, **({"money": kpi[key]} if kind == "money" else {"value": kpi[key]})}
          for key, label, kind in _KPI_LABELS if kpi.get(key) is not None], {}),
        (tr("Выручка"), [C("period", tr("Период"), "date"), C("revenue", tr("Выручка (завершённые визиты и штрафы)"), "money"),
                     C("bookings", tr("Броней"), "number")],
         [{"period": p.period, "revenue": p.revenue_minor, "bookings": p.bookings} for p in board.revenue],
         {"revenue": sum(p.revenue_minor for p in board.revenue)}),
        (tr("Загрузка"), [C("day", tr("День"), "date"), C("pct", tr("Загрузка, %"), "number"),
                      C("booked", tr("Занято место-часов"), "number"), C("open", tr("Доступно место-часов"), "number")],
         [{"day": d.day, "pct": d.pct, "booked": round(d.booked_hours, 1), "open": round(d.open_hours, 1)}
          for d in board.occupancy], {}),
        (tr("Статусы"), [C("status", tr("Статус"), "status", BOOKING_STATUS_LABELS), C("count", tr("Броней"), "number")],
         [{"status": k, "count": v} for k, v in board.statuses.items()], {}),
        (tr("Топ пространств"), [C("id", "ID", "id"), C("name", tr("Пространство")), C("revenue", tr("Выручка"), "money"),
                             C("bookings", tr("Броней"), "number")],
         [{"id": t.space_id, "name": t.name, "revenue": t.revenue_minor, "bookings": t.bookings} for t in board.top],
         {"revenue": sum(t.revenue_minor for t in board.top)}),
    ]


def _period_text(board: analytics.Dashboard) -> str:
    start, end = board.period
    return tr("Период: {start:%d.%m.%Y} — {end:%d.%m.%Y} ({report_timezone})", start=start, end=end, report_timezone=get_settings().report_timezone)


def render_dashboard(board: analytics.Dashboard, fmt: str, *, title: str, filters: str) -> bytes:
    sections = dashboard_sections(board)
    subtitle = f"{_period_text(board)}. {filters}"
    if fmt == "xlsx":
        return render_xlsx(sections, title=title, subtitle=subtitle)
    return render_pdf(sections, title=title, subtitle=subtitle)


def export_dashboard(session: Session, user: User | None, flt: analytics.DashboardFilter, fmt: str,
                     *, owner_view: bool = False) -> ExportFile:
    check_format(fmt)
    board = analytics.dashboard(session, user, flt, owner_view=owner_view)
    city = session.get(City, flt.city_id) if flt.city_id else None
    space = session.get(Space, flt.space_id) if flt.space_id else None
    narrowed = ", ".join(x for x in (city and i18n.pick(city.name_ru, city.name_en), space and space.name) if x)
    filters = (tr("мои пространства") if owner_view else tr("вся сеть")) + (f", {narrowed}" if narrowed else "")
    content = render_dashboard(board, fmt, title=tr("Отчёт CoSpace"), filters=filters)
    return ExportFile(f"dashboard-{board.period[0]}-{board.period[1]}.{fmt}", CONTENT_TYPES[fmt], content)


def report_period(kind: str, today: date) -> tuple[date, date]:
    """The last complete day, week (Mon-Sun) or month before `today`."""
    if kind == "daily":
        return today - timedelta(days=1), today - timedelta(days=1)
    if kind == "weekly":
        start = today - timedelta(days=today.weekday() + 7)
        return start, start + timedelta(days=6)
    if kind == "monthly":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    raise InvalidInput("kind", tr("Отчёт: daily, weekly или monthly"))


REPORT_TITLES = Labels({"daily": N_("Ежедневный отчёт"), "weekly": N_("Еженедельный отчёт"), "monthly": N_("Ежемесячный отчёт")})


def do_generate_report(session: Session, kind: str, *, now: datetime | None = None) -> list[int]:
    """The network report for the last complete period, as Excel and PDF; a period already
    reported is skipped (unique index), so the cron may run it as often as it likes."""
    now = now or datetime.now(timezone.utc)
    start, end = report_period(kind, analytics.today(now))
    scope = analytics.Scope()
    board = analytics.Dashboard(
        period=(start, end), kpis=analytics.kpis(session, scope, (start, end), now=now),
        occupancy=analytics.occupancy_by_day(session, scope, (start, end)),
        revenue=analytics.revenue_series(session, scope, (start, end), "day"),
        statuses=analytics.bookings_by_status(session, scope, (start, end)),
        top=analytics.top_spaces(session, scope, (start, end)),
        heatmap=[],
    )
    title = f"{REPORT_TITLES[kind]} CoSpace"
    created = []
    for fmt in FORMATS:
        content = render_dashboard(board, fmt, title=title, filters=tr("вся сеть"))
        table = ReportFile.__table__
        new_id = session.execute(
            pg_insert(table).values(kind=kind, title=f"{title}: {start:%d.%m.%Y} — {end:%d.%m.%Y}", table_name="",
                                    fmt=fmt, params={}, period_from=start, period_to=end, status="done",
                                    progress=100, rows=sum(board.statuses.values()),
                                    filename=f"report-{kind}-{start}.{fmt}", content=content, finished_at=now)
            .on_conflict_do_nothing(index_elements=["kind", "fmt", "period_from"],
                                    index_where=table.c.kind != "export")
            .returning(table.c.id)).scalar()
        if new_id:
            created.append(new_id)
    return created


@dataclass
class ReportInfo:
    id: int
    kind: str
    title: str
    fmt: str
    status: str
    progress: int
    rows: int
    error: str | None
    created_at: datetime
    ready: bool


def list_reports(session: Session, user: User | None, *, kind: str | None = None, limit: int = 50) -> list[ReportInfo]:
    """Scheduled reports and everyone's exports, newest first (staff only)."""
    check_role(user, Role.operator, Role.admin)
    query = select(ReportFile.id, ReportFile.kind, ReportFile.title, ReportFile.fmt, ReportFile.status,
                   ReportFile.progress, ReportFile.rows, ReportFile.error, ReportFile.created_at)
    if kind:
        query = query.where(ReportFile.kind == kind)
    rows = session.execute(query.order_by(ReportFile.created_at.desc(), ReportFile.id.desc()).limit(limit)).all()
    return [ReportInfo(*r, ready=r.status == ReportStatus.done.value) for r in rows]


def access_report_file(session: Session, user: User | None, report_id: int) -> ReportFile:
    check_role(user, Role.operator, Role.admin)
    report = session.get(ReportFile, report_id) if 0 < report_id < 2**31 else None
    if report is None:
        raise NotFound(tr("Отчёт не найден"))
    return report


def report_download(report: ReportFile) -> ExportFile:
    if report.status != ReportStatus.done.value or report.content is None:
        raise Conflict("status", tr("Файл ещё не готов ({status}, {progress} %)", status=report.status, progress=report.progress))
    return ExportFile(report.filename, CONTENT_TYPES[report.fmt], report.content)

