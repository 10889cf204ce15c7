"""The operators' listings as Excel (listings.export_listings) and the panel map's filter
(list_listings(located=True)): what a downloaded file holds for the filters chosen."""

from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import load_workbook

from coworking_app.services.common.errors import PermissionDenied
from coworking_app.services.market import listings, runs
from coworking_app.uow import run_use_case
from models import User
from tests.booking_auth import signed_in
from tests.booking_helpers import API
from tests.uow_helpers import transaction


@pytest.fixture()
def operator():
    return signed_in("operator")


def _source_with_listings(client, headers) -> tuple[int, str]:
    name = f"Агрегатор {uuid.uuid4().hex[:8]}"
    r = client.post(f"{API}/admin/market/sources", headers=headers,
                    json={"name": name, "start_url": "https://spaces.example.ru/", "kind": "jsonld"})
    assert r.status_code == 201, r.text
    source_id = r.json()["id"]
    run_id = client.post(f"{API}/admin/market/sources/{source_id}/crawl", headers=headers).json()["run_id"]
    _run, _source, key = run_use_case(lambda s, _fx: runs.do_start_run(s, run_id))
    items = [
        {"external_id": "tver", "url": "https://spaces.example.ru/s/tver", "name": "Точка Тверская",
         "prices": [{"text": "1 500,50 ₽ за час"}], "lat": 55.7649, "lon": 37.6050,
         "terms": "Бесплатная отмена за 24 часа"},
        {"external_id": "month", "url": "https://spaces.example.ru/s/month", "name": "Хаб на месяц",
         "prices": [{"text": "Месяц: 12 000 руб."}], "lat": 55.7400, "lon": 37.6550},
        {"external_id": "nowhere", "url": "https://spaces.example.ru/s/nowhere", "name": "Где-то",
         "prices": [{"text": "$15/day"}]},
    ]
    r = client.post(f"{API}/market/listings/batch", headers={"Authorization": f"Bearer {key}"},
                    json={"source_id": source_id, "run_id": run_id, "items": items})
    assert r.status_code == 200 and r.json()["stored"] == 3, r.text
    return source_id, name


def test_the_excel_file_holds_every_listing_of_the_filters_with_their_words(client, operator, world):
    user_id, headers = operator
    source_id, name = _source_with_listings(client, headers)
    with transaction() as s:
        file = listings.export_listings(s, s.get(User, user_id), source_id=source_id, city="moscow")
    assert file.filename.startswith("market-listings-") and file.filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(file.content)).active
    assert sheet.cell(1, 1).value == "Объявления конкурентов — CoSpace"
    assert f"источник «{name}»" in sheet.cell(2, 1).value and "город Москва" in sheet.cell(2, 1).value
    header = [c.value for c in sheet[4]]
    assert header == [c.label for c in listings.EXPORT_COLUMNS]
    rows = {row[header.index("ID на сайте")]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert set(rows) == {"tver", "month"}  # "nowhere" is in no city
    tver = rows["tver"]
    assert (tver["Источник"], tver["Название"], tver["Сумма"], tver["Валюта"], tver["За"]) == \
        (name, "Точка Тверская", 1500.5, "RUB", "час")
    assert tver["Цена от"] == "1\xa0500,50 ₽" and tver["Условия отмены"] == "Гибкие"
    assert (tver["Широта"], tver["Долгота"]) == ("55.764900", "37.605000")
    assert rows["month"]["Сумма"] == 12000 and rows["month"]["За"] == "месяц"

    with transaction() as s:
        user = s.get(User, user_id)
        everything = listings.export_listings(s, user, source_id=source_id)
        located = listings.list_listings(s, user, source_id=source_id, located=True)
    assert load_workbook(io.BytesIO(everything.content)).active.max_row == 4 + 3
    assert {i.external_id for i in located.items} == {"tver", "month"} and located.total == 2


def test_only_staff_export_listings(world):
    owner_id, _headers = signed_in("owner")
    with transaction() as s, pytest.raises(PermissionDenied):
        listings.export_listings(s, s.get(User, owner_id))
