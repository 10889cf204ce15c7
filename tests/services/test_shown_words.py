"""What people read: notices stamped in the space's time with their own links clickable,
price lines naming every factor, a receipt describing the payment, the audit log and the
operator tables in the screens' words, whole-day stays, the search's sort and page, and
HTTP 404 for the page of a space nobody can see."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jobs.booking import hold_created
from coworking_app.formatting import format_place, format_stay, split_links
from coworking_app.page_status import MISSING_PATH, page_status
from coworking_app.services.admin import admin_tables, audit
from coworking_app.settings import get_settings
from models import AuditLog, Booking, User
from state.search_query import sort_choices, without_pointless_sort
from tests.booking_auth import signed_in
from tests.booking_helpers import API, body, in_days, local, make_bookable, pay_test
from tests.uow_helpers import transaction


def _ok(response, code: int = 200):
    assert response.status_code == code, response.text
    return response


# --- notices ---------------------------------------------------------------------------------


def test_a_notice_is_stamped_in_the_zone_its_text_uses(client, world):
    from state.notifications import notice_view

    b = make_bookable(timezone="Asia/Novosibirsk", name="Коворкинг «Новосибирск»")
    _uid, auth = signed_in()
    day = in_days(2, b.timezone)
    booking = _ok(client.post(f"{API}/bookings", headers=auth, json=body(
        b.desk_id, local(day, 10, tz=b.timezone), local(day, 12, tz=b.timezone))), 201).json()
    assert hold_created(booking["id"]) == "notified"
    items = _ok(client.get(f"{API}/notifications", headers=auth)).json()["items"]
    notice = next(i for i in items if i["type"] == "booking_created")
    assert notice["timezone"] == "Asia/Novosibirsk"
    created = datetime.fromisoformat(notice["created_at"])
    from coworking_app.services.messaging.notifications import NotificationOut

    view = notice_view(NotificationOut(**notice), get_settings().base_url)
    local_now = created.astimezone(ZoneInfo("Asia/Novosibirsk"))
    assert view.when == f"{local_now:%d.%m.%Y %H:%M}", view.when  # not "… UTC"
    assert "UTC" not in view.when
    # "Оплатите до HH:MM" is on the same clock: minutes after the stamp, not hours off.
    pay_by = datetime.strptime(re.search(r"Оплатите до (\d\d:\d\d)", notice["body"]).group(1), "%H:%M")
    stamp = datetime.strptime(view.when[-5:], "%H:%M")
    assert timedelta(0) <= (pay_by - stamp) % timedelta(days=1) <= timedelta(hours=1), (view.when, pay_by)


def test_only_our_own_links_in_a_notice_become_links():
    base = get_settings().base_url
    text = (f"Итого 600 ₽.\n\n{base}/cabinet/bookings\nСм. https://evil.example/cabinet и "
            "<a href=\"javascript:alert(1)\">тут</a>, отписка: "
            f"{base}/api/v1/unsubscribe/abc.")
    parts = split_links(text, base)
    links = [(label, href) for label, href in parts if href]
    assert links == [("Мои брони", "/cabinet/bookings"), ("Отписаться", "/api/v1/unsubscribe/abc")]
    plain = "".join(label for label, href in parts if not href)
    assert "https://evil.example/cabinet" in plain and "<a href=\"javascript:alert(1)\">" in plain
    assert plain.endswith(".")  # the sentence's full stop is not part of the link
    assert split_links("без ссылок", base) == [("без ссылок", "")]


# --- prices, receipts, stays --------------------------------------------------------------------


def test_price_lines_name_every_factor_of_their_amount(client, world):
    b = make_bookable()
    _uid, auth = signed_in()
    day = in_days(3)
    r = _ok(client.post(f"{API}/bookings/quote", headers=auth, json=body(
        b.desk_id, local(day, 10), local(day, 13), seats=2,
        addons=[{"code": "coffee"}, {"code": "parking"}, {"code": "monitor"}])))
    lines = {line["label"]: line["amount"] for line in r.json()["breakdown"]["lines"]}
    assert lines == {
        "Открытое пространство: 3 ч × 300 × 2 места": 180000,
        "Кофе-пакет: 200 × 2 места": 40000,  # per seat: the seats are in the label
        "Парковка: 100 × 3 ч": 30000,
        "Монитор": 50000,
    }, lines
    r = _ok(client.post(f"{API}/bookings/quote", headers=auth, json=body(
        b.desk_id, local(day, 10), local(day, 11), seats=5)))
    assert r.json()["breakdown"]["lines"][0]["label"].endswith("× 5 мест")


def test_the_receipt_describes_the_payment_in_words(client, world):
    b = make_bookable()
    _uid, auth = signed_in()
    booking = _ok(client.post(f"{API}/bookings", headers=auth,
                              json=body(b.desk_id, local(in_days(4), 10), local(in_days(4), 12))), 201).json()
    pay_test(client, auth, booking["id"])
    pdf = _ok(client.get(f"{API}/bookings/{booking['id']}/receipt.pdf", headers=auth)).content
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Оплата: тестовая оплата (деньги не списывались), 600 ₽" in text.replace("\xa0", " "), text
    assert "test:" not in text and "test_pi" not in text and "Платёж:" not in text


def test_whole_days_name_the_last_day_booked():
    zone = ZoneInfo("Europe/Moscow")
    start = datetime(2026, 12, 15, tzinfo=zone)
    assert format_stay(start, start + timedelta(days=2)) == "15.12.2026 – 16.12.2026 (2 дня)"
    assert format_stay(start, start + timedelta(days=1)) == "15.12.2026 (весь день)"
    assert format_stay(start.replace(hour=10), start.replace(hour=13)) == "15.12.2026, 10:00–13:00"
    assert format_stay(start.replace(hour=20), start + timedelta(days=1)) == "15.12.2026, 20:00–24:00"


def test_a_two_day_booking_card_and_notice_say_which_days(client, world):
    from coworking_app.services.booking import bookings as svc
    from state.bookings import card

    b = make_bookable()
    _uid, auth = signed_in()
    day = in_days(5)
    booking = _ok(client.post(f"{API}/bookings", headers=auth, json=body(
        b.desk_id, local(day, 0), local(day + timedelta(days=2), 0))), 201).json()
    with transaction() as s:
        row = s.get(Booking, booking["id"])
        view = svc.booking_views(s, [row], s.get(User, row.user_id))[0]
    expected = f"{day:%d.%m.%Y} – {day + timedelta(days=1):%d.%m.%Y} (2 дня)"
    assert card(view).when == f"{expected} (МСК)"
    hold_created(booking["id"])
    items = _ok(client.get(f"{API}/notifications", headers=auth)).json()["items"]
    assert expected in items[0]["body"]


# --- the operator panel --------------------------------------------------------------------------


def test_the_audit_log_shows_labels_roubles_and_local_times(client, world):
    from state.admin_audit import _row

    b = make_bookable()
    _uid, auth = signed_in()
    _op_id, op = signed_in("operator")
    # The log is append-only and outlives the test database's bookings, whose ids restart:
    # only this test's rows count.
    with transaction() as s:
        since = s.scalar(select(func.coalesce(func.max(AuditLog.id), 0)))
    booking = _ok(client.post(f"{API}/bookings", headers=auth,
                              json=body(b.desk_id, local(in_days(6), 10), local(in_days(6), 12))), 201).json()
    pay_test(client, auth, booking["id"])
    _ok(client.post(f"{API}/admin/bookings/{booking['id']}/cancel", headers=op, json={"reason": "проверка"}))
    with transaction() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.entity == "booking", AuditLog.id > since,
                                                AuditLog.entity_id == booking["id"]).order_by(AuditLog.id)).all()
        items = [audit.AuditItem(id=r.id, at=r.at, actor_id=r.actor_id, actor_kind=r.actor_kind,
                                 entity=r.entity, entity_id=r.entity_id, action=r.action, changes=r.changes,
                                 request_id=r.request_id, ip=r.ip) for r in rows]
    shown = [_row(i) for i in items]
    created, updates = shown[0], [row for row in shown if row.action == "изменение"]
    assert created.entity == f"Бронь № {booking['id']}" and created.action == "создание"
    assert "Статус: ожидает оплаты" in created.summary and "Сумма: 600 ₽" in created.summary
    assert "T" not in re.sub(r"[А-Яа-яЁё«»]", "", created.summary.split("Начало: ")[1][:16])
    changes = {field: (old, new) for row in updates for field, old, new in row.changes}
    assert changes["Статус"] == ("подтверждено", "отменено"), changes  # the last change of each field
    assert changes["Возвращено"] == ("0 ₽", "600 ₽"), changes
    assert not any("_" in field for field in changes), changes  # no column names
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d МСК", updates[-1].at), updates[-1].at


def test_table_cells_use_the_screens_words(world):
    spaces = admin_tables.SPECS["spaces"].columns
    rating = next(c for c in spaces if c.key == "rating")
    status = next(c for c in spaces if c.key == "status")
    assert admin_tables.format_cell(rating, {"rating": 0.0, "reviews": 0}) == "Нет отзывов"
    assert admin_tables.format_cell(rating, {"rating": 4.5, "reviews": 3}) == "4,5"
    assert admin_tables.format_cell(status, {"status": "pending_review"}) == "На проверке"
    roles = next(c for c in admin_tables.SPECS["users"].columns if c.key == "roles")
    assert admin_tables.format_cell(roles, {"roles": "renter,owner"}) == "Арендатор, Владелец"
    flt = admin_tables.TableFilter(status="cancelled", date_from="2026-12-01", space_id=7)
    assert flt.describe("bookings") == "статус: отменено, с 01.12.2026, пространство № 7"


def test_a_place_names_its_city_once():
    assert format_place("Москва", "Москва, ул. Тверская, 1") == "Москва, ул. Тверская, 1"
    assert format_place("Москва", "ул. Тверская, 1") == "Москва, ул. Тверская, 1"
    assert format_place("Арбат", "Москва") == "Арбат, Москва"


# --- search ---------------------------------------------------------------------------------------


def test_distance_sort_is_offered_and_kept_only_with_a_point():
    assert "distance" not in [v for v, _ in sort_choices(False)]
    assert "distance" in [v for v, _ in sort_choices(True)]
    assert without_pointless_sort({"city": "moscow", "sort": "distance"}) == {"city": "moscow"}
    kept = {"city": "moscow", "sort": "distance", "stop_id": "5"}
    assert without_pointless_sort(kept) == kept
    assert without_pointless_sort({"lat": "55.7", "lon": "37.6", "sort": "distance"})["sort"] == "distance"


# --- HTTP 404 for missing spaces ----------------------------------------------------------------


@pytest.fixture()
def wrapped():
    seen: list[str] = []

    async def page(request):
        seen.append(request.url.path)
        return PlainTextResponse("page", status_code=404 if request.url.path == MISSING_PATH else 200)

    app = Starlette(routes=[Route("/{path:path}", page, methods=["GET", "HEAD", "POST"])])
    with TestClient(page_status(app)) as c:
        yield c, seen


def test_pages_of_spaces_nobody_can_see_answer_404(world, wrapped):
    c, seen = wrapped
    assert c.get(f"/spaces/{world.ids['alpha']}").status_code == 200
    assert c.get(f"/spaces/{world.ids['alpha']}/").status_code == 200
    for missing in ("999999", str(world.ids["hidden"]), "abc", "0", "99999999999999", ""):
        assert c.get(f"/spaces/{missing}").status_code == 404, missing
    assert c.get("/spaces/abc/photos").status_code == 200  # not a space page: untouched
    assert c.post("/spaces/999999").status_code == 200  # only page loads are checked
    assert c.get("/api/v1/spaces/999999").status_code == 200
    assert seen.count(MISSING_PATH) == 6
