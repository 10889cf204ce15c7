"""Excel and PDF exports of the operator tables and the dashboard, background exports with
progress, and the scheduled reports, read back the way an operator would open them
(openpyxl, pypdf)."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import text

from coworking_app.db import get_engine
from coworking_app.formatting import BOOKING_STATUS_LABELS, RESOURCE_KIND_LABELS, format_money
from coworking_app.services.admin import analytics, exports
from coworking_app.uow import run_use_case
from tests.admin_helpers import MSK, msk_today
from tests.booking_auth import signed_in
from tests.booking_helpers import API, Bookable, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["ID", "Пространство", "Ресурс", "Тип", "Арендатор", "Начало", "Статус", "Сумма",
           "Оплачено за вычетом возвратов", "Создана"]


def _ok(response, code: int = 200):
    assert response.status_code == code, response.text
    return response


@pytest.fixture(scope="module")
def operator(client):
    return signed_in("operator")


@pytest.fixture(scope="module")
def booked(client, operator) -> tuple[Bookable, dict]:
    """A space with 4 desk bookings in 3 days: 1 seat x 3 h, 3 seats x 2 h and 2 seats x 1 h
    paid (the last then cancelled by the operator with a full refund), 1 seat x 2 h unpaid."""
    _op_id, op = operator
    b = make_bookable(name=f"Коворкинг «Экспорт {uuid.uuid4().hex[:6]}»")
    day = in_days(3)
    ids = []
    for start, end, seats, pay in ((10, 13, 1, True), (10, 12, 3, True), (14, 15, 2, True), (16, 18, 1, False)):
        _uid, auth = signed_in()
        r = _ok(client.post(f"{API}/bookings", headers=auth,
                            json=body(b.desk_id, local(day, start), local(day, end), seats=seats)), 201)
        if pay:
            pay_test(client, auth, r.json()["id"])
        ids.append(r.json()["id"])
    _ok(client.post(f"{API}/admin/bookings/{ids[2]}/cancel", headers=op, json={"reason": "проверка"}))
    # totals: 90000 + 180000 + 60000 + 60000 = 390000; net: 90000 + 180000 + 0 + 0 = 270000
    return b, {"ids": ids, "total": 390000, "net": 270000, "day": day}


def _table(client, op, **params) -> dict:
    return _ok(client.get(f"{API}/admin/bookings", headers=op, params=params)).json()


def test_bookings_xlsx_holds_every_matching_row_as_numbers_and_dates(client, operator, booked):
    _op_id, op = operator
    b, known = booked
    params = {"space": b.space_id, "sort": "start"}
    table = _table(client, op, **params, page_size=2)  # the export ignores paging
    assert table["total"] == 4 and table["totals"] == {"total": known["total"], "net": known["net"]}
    r = _ok(client.get(f"{API}/admin/export/bookings.xlsx", headers=op, params={**params, "page_size": 2}))
    assert r.headers["content-type"] == XLSX
    assert r.headers["content-disposition"].startswith('attachment; filename="bookings-')
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert sheet.title == "Брони"
    assert sheet["A1"].value == "Брони — CoSpace"
    # The filters in words, as the panel says them (not parameter names).
    assert f"пространство № {b.space_id}" in sheet["A2"].value and "space_id" not in sheet["A2"].value
    assert sheet.freeze_panes == "A5"
    assert [c.value for c in sheet[4]] == HEADERS
    rows = [[c for c in row] for row in sheet.iter_rows(min_row=5)]
    data, totals_row = rows[:-1], rows[-1]
    assert len(data) == table["total"] == 4
    ids = known["ids"]  # by start; the two 10:00 bookings newest first
    assert [row[0].value for row in data] == [ids[1], ids[0], ids[2], ids[3]]
    full = {item["id"]: item for item in _table(client, op, space=b.space_id)["items"]}
    for row in data:
        item = full[row[0].value]
        assert isinstance(row[0].value, int)
        assert row[7].value == item["total"] / 100 and row[8].value == item["net"] / 100
        assert isinstance(row[7].value, (int, float)) and isinstance(row[8].value, (int, float))
        assert "₽" in row[7].number_format and "0.00" in row[7].number_format
        assert isinstance(row[5].value, datetime) and isinstance(row[9].value, datetime)
        assert row[5].value == datetime.fromisoformat(item["start"]).astimezone(MSK).replace(tzinfo=None)
        # The status in the screens' words, the resource type too (not "confirmed", "hot_desk").
        assert row[6].value == BOOKING_STATUS_LABELS[item["status"]] and row[4].value == item["renter"]
        assert row[3].value == RESOURCE_KIND_LABELS["hot_desk"]
    assert [row[7].value for row in data] == [1800.0, 900.0, 600.0, 600.0]  # seats x hours x 300 RUB
    assert [row[8].value for row in data] == [1800.0, 900.0, 0.0, 0.0]
    assert totals_row[0].value == "Итого"
    assert totals_row[7].value == known["total"] / 100 == 3900.0
    assert totals_row[8].value == known["net"] / 100 == 2700.0
    assert totals_row[0].font.bold and "₽" in totals_row[8].number_format
    assert sheet.auto_filter.ref == "A4:J8"

    # Filters apply: only the cancelled one.
    r = _ok(client.get(f"{API}/admin/export/bookings.xlsx", headers=op,
                       params={"space": b.space_id, "status": "cancelled"}))
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert [v[0] for v in values] == [known["ids"][2], "Итого"]
    assert values[1][7:9] == [600.0, 0.0]


def test_bookings_pdf_has_the_title_filters_and_totals(client, operator, booked):
    _op_id, op = operator
    b, known = booked
    r = _ok(client.get(f"{API}/admin/export/bookings.pdf", headers=op, params={"space": b.space_id,
                                                                             "status": "placed"}))
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    content = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    flat = " ".join(content.split())
    assert "Брони — CoSpace" in flat
    assert "статус: оформленные" in flat and f"пространство № {b.space_id}" in flat
    assert "placed" not in flat and "confirmed" not in flat and "подтверждено" in flat
    placed = _table(client, op, space=b.space_id, status="placed")
    assert placed["total"] == 3 and placed["totals"] == {"total": 330000, "net": 270000}
    assert "Итого (строк: 3)" in flat
    for amount in (placed["totals"]["total"], placed["totals"]["net"]):
        assert " ".join(format_money(amount).split()) in flat, (format_money(amount), flat)
    assert "2 700 ₽" in " ".join(flat.replace("\xa0", " ").split())


def test_other_tables_and_the_dashboard_export(client, operator, booked):
    _op_id, op = operator
    b, known = booked
    for name in ("spaces", "users", "payments"):
        r = _ok(client.get(f"{API}/admin/export/{name}.xlsx", headers=op, params={"id": 1}))
        sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
        assert sheet.freeze_panes == "A5" and sheet["A1"].value.endswith("— CoSpace"), name
    pays = load_workbook(io.BytesIO(_ok(client.get(
        f"{API}/admin/export/payments.xlsx", headers=op, params={"space": b.space_id})).content)).worksheets[0]
    rows = [[c.value for c in row] for row in pays.iter_rows(min_row=5)]
    assert len(rows) == 3 + 1 and rows[-1][0] == "Итого"
    assert rows[-1][4:6] == [3300.0, 600.0]  # amount, refunded

    day = known["day"]
    params = {"space": b.space_id, "from": day.isoformat(), "to": day.isoformat()}
    board = _ok(client.get(f"{API}/admin/dashboard", headers=op, params=params)).json()
    r = _ok(client.get(f"{API}/admin/export/dashboard.xlsx", headers=op, params=params))
    assert r.headers["content-disposition"] == f'attachment; filename="dashboard-{day}-{day}.xlsx"'
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Показатели", "Выручка", "Загрузка", "Статусы", "Топ пространств"]
    revenue = [[c.value for c in row] for row in book["Выручка"].iter_rows(min_row=5)]
    assert revenue[0][0] == datetime(day.year, day.month, day.day)
    assert revenue[0][1:] == [board["revenue"][0]["revenue_minor"] / 100, board["revenue"][0]["bookings"]]
    # Revenue is the ledger's (stays completed, fees kept): these stays are still ahead.
    assert revenue[-1][:2] == ["Итого", sum(p["revenue_minor"] for p in board["revenue"]) / 100] == ["Итого", 0]
    statuses = {row[0].value: row[1].value for row in book["Статусы"].iter_rows(min_row=5)}
    assert board["statuses"] == {"confirmed": 2, "cancelled": 1, "pending_payment": 1}
    assert statuses == {"подтверждено": 2, "отменено": 1, "ожидает оплаты": 1}
    occupancy = [[c.value for c in row] for row in book["Загрузка"].iter_rows(min_row=5)]
    assert occupancy == [[datetime(day.year, day.month, day.day), board["occupancy"][0]["pct"],
                          round(board["occupancy"][0]["booked_hours"], 1), 224]]
    subtitle = book["Показатели"]["A2"].value
    assert "вся сеть" in subtitle and "Коворкинг «Экспорт" in subtitle and "space_id" not in subtitle
    pdf = _ok(client.get(f"{API}/admin/export/dashboard.pdf", headers=op, params=params))
    text_ = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "Отчёт CoSpace" in text_ and f"{day:%d.%m.%Y}" in text_


@pytest.mark.parametrize("name,params,field", [
    ("nope.xlsx", {}, "table"),
    ("bookings.csv", {}, "format"),
    ("bookings", {}, "table"),
    ("dashboard.docx", {}, "format"),
    ("bookings.xlsx", {"status": "lost"}, "status"),
    ("bookings.pdf", {"sort": "secret"}, "sort"),
    ("users.xlsx", {"type": "king"}, "type"),
    ("dashboard.xlsx", {"from": "2026-11-10", "to": "2026-11-01"}, "to"),
])
def test_bad_export_requests_are_422(client, operator, name, params, field):
    r = client.get(f"{API}/admin/export/{name}", headers=operator[1], params=params)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert any(field in str(item["loc"]) for item in detail), detail


# --- background exports and scheduled reports ------------------------------------------


def test_background_export_runs_with_progress_and_downloads(client, operator, booked):
    from jobs.reports import run_export

    op_id, op = operator
    b, known = booked
    r = _ok(client.post(f"{API}/admin/exports", headers=op, json={
        "table": "bookings", "format": "xlsx",
        "filters": {"space": b.space_id, "status": "placed", "sort": "-start"}}), 202)
    report = r.json()
    assert report["status"] == "queued" and report["progress"] == 0 and report["download_url"] is None
    assert report["kind"] == "export" and "статус: оформленные" in report["title"]
    assert _ok(client.get(f"{API}/admin/reports/{report['id']}", headers=op)).json()["status"] == "queued"
    r = client.get(f"{API}/admin/reports/{report['id']}/file", headers=op)
    assert r.status_code == 409, r.text  # not ready

    assert run_export(report["id"]) == "done"  # what the RQ worker would run
    done = _ok(client.get(f"{API}/admin/reports/{report['id']}", headers=op)).json()
    assert (done["status"], done["progress"], done["rows"], done["error"]) == ("done", 100, 3, None)
    assert done["download_url"] == f"/api/v1/admin/reports/{report['id']}/file"
    file = _ok(client.get(done["download_url"], headers=op))
    assert file.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(file.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert len(rows) == 3 + 1 and rows[-1][0] == "Итого" and rows[-1][8] == known["net"] / 100
    assert {row[0] for row in rows[:-1]} == {known["ids"][0], known["ids"][1], known["ids"][2]}
    assert run_export(report["id"]) == "done already"
    listed = _ok(client.get(f"{API}/admin/reports", headers=op, params={"kind": "export"})).json()
    assert listed[0]["id"] == report["id"] and listed[0]["status"] == "done"
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT created_by FROM report_file WHERE id = :i"),
                            {"i": report["id"]}).scalar_one() == op_id

    # A refused export fails with the reason instead of hanging in "running".
    r = _ok(client.post(f"{API}/admin/exports", headers=op, json={"table": "payments", "format": "pdf"}), 202)
    with transaction() as s:
        s.execute(text("UPDATE report_file SET params = '{\"status\": \"lost\"}' WHERE id = :i"),
                  {"i": r.json()["id"]})
    assert run_export(r.json()["id"]) == "failed"
    failed = _ok(client.get(f"{API}/admin/reports/{r.json()['id']}", headers=op)).json()
    assert failed["status"] == "failed" and "Допустимые значения" in failed["error"] and failed["download_url"] is None

    for payload, field in (({"table": "nope"}, "table"), ({"table": "users", "format": "csv"}, "format"),
                           ({"table": "users", "filters": {"status": "lost"}}, "status"),
                           ({"table": "users", "extra": 1}, "extra")):
        r = client.post(f"{API}/admin/exports", headers=op, json=payload)
        assert r.status_code == 422 and field in str(r.json()["detail"]), (payload, r.text)
    assert client.get(f"{API}/admin/reports/{2**31 - 1}", headers=op).status_code == 404
    assert client.get(f"{API}/admin/reports", headers=op, params={"kind": "hourly"}).status_code == 422


def test_background_export_reports_progress_while_it_runs(world, operator, monkeypatch):
    """Progress moves in its own transactions every 1000 rows (the panel polls it)."""
    op_id, _op = operator
    from models import User

    report_id = run_use_case(lambda s, fx: exports.do_queue_export(
        s, fx, s.get(User, op_id), "users", exports.tables.TableFilter(), "xlsx")).id
    seen: list[tuple[int, int]] = []
    real = exports._set

    def spy(factory, rid, **values):
        real(factory, rid, **values)
        with get_engine().connect() as conn:
            seen.append(tuple(conn.execute(text("SELECT progress, rows FROM report_file WHERE id = :i"),
                                           {"i": rid}).one()))

    monkeypatch.setattr(exports, "_set", spy)
    rows = iter([{"id": n, "email": f"u{n}@example.com"} for n in range(2500)])
    monkeypatch.setattr(exports.tables, "iter_table", lambda *a, **k: rows)
    monkeypatch.setattr(exports.tables, "list_table",
                        lambda *a, **k: exports.tables.TablePage("users", [], [], total=2500))
    assert exports.run_export(report_id) == "done"
    assert seen == [(0, 0), (40, 1000), (80, 2000), (100, 2500)]


def test_scheduled_report_is_made_once_per_period_as_xlsx_and_pdf(client, operator, world):
    _op_id, op = operator
    # A period no other run uses: a day in 2031 chosen by this run, its stale files removed.
    now = datetime(2031, 1, 1, 9, 0, tzinfo=MSK) + timedelta(days=uuid.uuid4().int % 3000)
    period = exports.report_period("daily", analytics.today(now))
    with transaction() as s:
        s.execute(text("DELETE FROM report_file WHERE kind = 'daily' AND period_from = :d"), {"d": period[0]})
    with transaction() as s:
        created = exports.do_generate_report(s, "daily", now=now)
    assert len(created) == 2
    with transaction() as s:
        assert exports.do_generate_report(s, "daily", now=now) == []
        assert exports.do_generate_report(s, "daily", now=now + timedelta(hours=5)) == []
    listed = {r["id"]: r for r in _ok(client.get(f"{API}/admin/reports", headers=op,
                                                 params={"kind": "daily"})).json()}
    assert set(created) <= set(listed)
    assert sorted(listed[i]["format"] for i in created) == ["pdf", "xlsx"]
    for report_id in created:
        info = listed[report_id]
        assert info["status"] == "done" and info["progress"] == 100
        assert f"{period[0]:%d.%m.%Y}" in info["title"] and info["title"].startswith("Ежедневный отчёт")
        file = _ok(client.get(info["download_url"], headers=op))
        if info["format"] == "xlsx":
            book = load_workbook(io.BytesIO(file.content))
            assert book["Показатели"]["A1"].value == "Ежедневный отчёт CoSpace"
        else:
            text_ = " ".join(PdfReader(io.BytesIO(file.content)).pages[0].extract_text().split())
            assert "Ежедневный отчёт CoSpace" in text_ and f"{period[0]:%d.%m.%Y}" in text_
    assert exports.report_period("weekly", datetime(2026, 11, 25).date()) == \
        (datetime(2026, 11, 16).date(), datetime(2026, 11, 22).date())
    assert exports.report_period("monthly", datetime(2026, 3, 1).date()) == \
        (datetime(2026, 2, 1).date(), datetime(2026, 2, 28).date())


def test_scheduled_reports_through_the_job(client, operator):
    """jobs.reports.generate_report for yesterday: a second run adds nothing."""
    from jobs.reports import generate_report

    yesterday = msk_today() - timedelta(days=1)
    with transaction() as s:
        s.execute(text("DELETE FROM report_file WHERE kind = 'daily' AND period_from = :d"), {"d": yesterday})
    assert generate_report("daily") == "daily: 2 file(s)"
    assert generate_report("daily") == "daily: 0 file(s)"
    listed = _ok(client.get(f"{API}/admin/reports", headers=operator[1], params={"kind": "daily"})).json()
    assert sum(1 for r in listed if f"{yesterday:%d.%m.%Y}" in r["title"]) == 2
