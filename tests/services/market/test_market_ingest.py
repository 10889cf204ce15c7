"""The crawler's batches through the API (POST /api/v1/market/listings/batch) and what they
become: listings normalised and located on our own data, stored once per (source, external
id), price history only on change, the run's counters and errors, listings gone after 30
days, the operators' table and the owner's "Рынок рядом"."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from coworking_app.services.market import listings, runs
from coworking_app.uow import run_use_case
from models import MarketListing, MarketPrice
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, new_user
from tests.factories import make_space
from tests.uow_helpers import transaction


@pytest.fixture()
def operator():
    return signed_in("operator")[1]


def _source(client, operator) -> int:
    r = client.post(f"{API}/admin/market/sources", headers=operator,
                    json={"name": f"Сайт {uuid.uuid4().hex[:8]}", "start_url": "https://spaces.example.ru/",
                          "kind": "jsonld"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _running(client, operator, source_id: int) -> tuple[int, dict]:
    """A run the worker has taken, and the headers of its own key."""
    run_id = client.post(f"{API}/admin/market/sources/{source_id}/crawl", headers=operator).json()["run_id"]
    _run, _source, key = run_use_case(lambda s, _fx: runs.do_start_run(s, run_id))
    return run_id, {"Authorization": f"Bearer {key}"}


def _item(external_id: str, price: str | dict = "от 500 ₽/час", **extra) -> dict:
    prices = [price if isinstance(price, dict) else {"text": price}]
    return {"external_id": external_id, "url": f"https://spaces.example.ru/s/{external_id}",
            "name": f"Коворкинг {external_id}", "prices": prices, **extra}


def _post(client, key, source_id, run_id, items, **extra):
    r = client.post(f"{API}/market/listings/batch", headers=key,
                    json={"source_id": source_id, "run_id": run_id, "items": items, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def _listing(source_id: int, external_id: str) -> MarketListing:
    with transaction() as s:
        return s.scalar(select(MarketListing).where(MarketListing.source_id == source_id,
                                                    MarketListing.external_id == external_id))


def test_a_batch_is_normalised_located_stored_and_counted_on_its_run(client, operator, world):
    source_id = _source(client, operator)
    run_id, key = _running(client, operator, source_id)
    answer = _post(client, key, source_id, run_id, [
        _item("page", lat=55.7601, lon=37.6186, terms="Бесплатная отмена за 24 часа до начала",
              min_duration="от 2 часов", amenities=["Wi-Fi", "Неизвестная штука"]),
        _item("addr", "3 000 руб. в день", address="Москва, ул. Тверская, 7"),
        _item("spb", {"amount": "350", "currency": "RUB", "unit_code": "HUR"}, address="Санкт-Петербург"),
        _item("nowhere", "$15/day"),
        _item("bad", "цена договорная"),
        _item("page", "от 900 ₽/час"),  # the same listing twice in one batch: stored once
    ], pages=7, errors=[{"url": "https://spaces.example.ru/s/x", "reason": "страница ответила 500"}])
    statuses = [(r["external_id"], r["status"]) for r in answer["results"]]
    assert statuses == [("page", "created"), ("addr", "created"), ("spb", "created"), ("nowhere", "created"),
                        ("bad", "error"), ("page", "unchanged")]
    assert "цена не распознана" in answer["results"][4]["reason"]
    assert (answer["stored"], answer["errors"]) == (5, 2)

    page = _listing(source_id, "page")
    assert (page.price_minor, page.currency, page.unit, page.located_by) == (50000, "RUB", "hour", "page")
    assert page.city_id is not None and page.district_id is not None  # our district polygons
    assert (page.min_minutes, page.cancellation) == (120, "flexible")
    assert page.amenities == ["wifi"]
    addr = _listing(source_id, "addr")
    assert (addr.price_minor, addr.unit, addr.located_by) == (300000, "day", "address") and addr.city_id
    spb = _listing(source_id, "spb")
    assert (spb.price_minor, spb.unit, spb.located_by, spb.location) == (35000, "hour", "city", None)
    nowhere = _listing(source_id, "nowhere")
    assert (nowhere.price_minor, nowhere.currency, nowhere.located_by) == (1500, "USD", "none")
    assert _listing(source_id, "bad") is None

    run = client.get(f"{API}/admin/market/runs/{run_id}", headers=operator).json()
    assert (run["status"], run["pages"], run["items"], run["stored"], run["error_count"]) == ("running", 7, 6, 5, 2)
    assert {e["url"] for e in run["errors"]} == {"https://spaces.example.ru/s/x", "https://spaces.example.ru/s/bad"}


def test_a_listing_seen_again_keeps_one_row_and_its_price_history_changes_only_with_the_price(client, operator, world):
    source_id = _source(client, operator)
    run_id, key = _running(client, operator, source_id)
    _post(client, key, source_id, run_id, [_item("a1", "Час — 350 ₽, день — 1 200 ₽")])
    first = _listing(source_id, "a1")
    assert first.prices == {"hour": {"amount_minor": 35000, "currency": "RUB"},
                            "day": {"amount_minor": 120000, "currency": "RUB"}}
    assert [r["status"] for r in _post(client, key, source_id, run_id, [_item("a1", "Час — 350 ₽, день — 1 200 ₽")])
            ["results"]] == ["unchanged"]
    assert _listing(source_id, "a1").last_seen_at > first.last_seen_at
    assert [r["status"] for r in _post(client, key, source_id, run_id, [_item("a1", "Час — 400 ₽, день — 1 200 ₽")])
            ["results"]] == ["updated"]
    with transaction() as s:
        history = s.execute(select(MarketPrice.unit, MarketPrice.amount_minor)
                            .where(MarketPrice.listing_id == first.id).order_by(MarketPrice.id)).all()
        assert [tuple(h) for h in history] == [("hour", 35000), ("day", 120000), ("hour", 40000)]
        assert len(s.scalars(select(MarketListing.id).where(MarketListing.source_id == source_id)).all()) == 1


def test_keys_post_only_to_their_own_running_run(client, operator, world):
    source_id = _source(client, operator)
    other_source = _source(client, operator)
    run_id, key = _running(client, operator, source_id)
    other_run, _other_key = _running(client, operator, other_source)
    r = client.post(f"{API}/market/listings/batch", headers=key,
                    json={"source_id": other_source, "run_id": other_run, "items": [_item("x")]})
    assert r.status_code == 403, r.text
    r = client.post(f"{API}/market/listings/batch", headers=key,
                    json={"source_id": other_source, "run_id": run_id, "items": [_item("x")]})
    assert r.status_code == 422 and "run_id" in str(r.json()["detail"])
    run_use_case(lambda s, _fx: runs.do_finish_run(s, run_id, ok=True))
    r = client.post(f"{API}/market/listings/batch", headers=key,
                    json={"source_id": source_id, "run_id": run_id, "items": [_item("x")]})
    assert r.status_code == 401  # the run's key died with it
    assert _listing(other_source, "x") is None and _listing(source_id, "x") is None


@pytest.mark.parametrize("body", [
    {"items": [_item("x")] * 101},
    {"items": [{**_item("x"), "url": "u" * 2001}]},
    {"items": [{**_item("x"), "lat": "NaN"}]},
    {"items": [{**_item("x"), "prices": [{"text": "x" * 301}]}]},
    {"items": [{k: v for k, v in _item("x").items() if k != "external_id"}]},
    {"pages": -1},
    {"errors": [{"url": "https://a/", "reason": "r"}] * 1001},
    {"items": [{**_item("x"), "unexpected": 1}]},
])
def test_bad_batches_are_refused_naming_the_field_and_write_nothing(client, operator, world, body):
    source_id = _source(client, operator)
    run_id, key = _running(client, operator, source_id)
    r = client.post(f"{API}/market/listings/batch", headers=key, json={"source_id": source_id, "run_id": run_id, **body})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] and r.json()["detail"][0]["msg"]
    run = client.get(f"{API}/admin/market/runs/{run_id}", headers=operator).json()
    assert (run["pages"], run["items"]) == (0, 0) and _listing(source_id, "x") is None


def test_listings_unseen_for_30_days_are_gone_until_seen_again(client, operator, world):
    source_id = _source(client, operator)
    run_id, key = _running(client, operator, source_id)
    _post(client, key, source_id, run_id, [_item("old"), _item("fresh")])
    with transaction() as s:
        old = s.scalar(select(MarketListing).where(MarketListing.source_id == source_id,
                                                   MarketListing.external_id == "old"))
        old.last_seen_at -= timedelta(days=31)
    assert run_use_case(lambda s, _fx: listings.do_mark_gone(s)) >= 1
    page = client.get(f"{API}/admin/market/listings", headers=operator, params={"source_id": source_id}).json()
    assert [i["external_id"] for i in page["items"]] == ["fresh"] and page["total"] == 1
    everything = client.get(f"{API}/admin/market/listings", headers=operator,
                            params={"source_id": source_id, "include_gone": True}).json()
    assert {i["external_id"]: i["gone"] for i in everything["items"]} == {"old": True, "fresh": False}
    assert _post(client, key, source_id, run_id, [_item("old")])["results"][0]["status"] == "updated"
    assert _listing(source_id, "old").gone_at is None


def test_the_operators_table_filters_by_city(client, operator, world):
    source_id = _source(client, operator)
    run_id, key = _running(client, operator, source_id)
    _post(client, key, source_id, run_id, [_item("msk", lat=55.7601, lon=37.6186),
                                            _item("spb", lat=59.9343, lon=30.3351)])
    page = client.get(f"{API}/admin/market/listings", headers=operator,
                      params={"source_id": source_id, "city": "saint-petersburg"}).json()
    assert [i["external_id"] for i in page["items"]] == ["spb"]
    assert page["items"][0]["price_minor"] == 50000 and page["items"][0]["lat"] == pytest.approx(59.9343)
    r = client.get(f"{API}/admin/market/listings", headers=operator, params={"city": "atlantis"})
    assert r.status_code == 422 and "city" in str(r.json()["detail"])


def _owned_space(lat: float, lon: float, hour_price: int | None) -> tuple[int, int]:
    owner_id, _email, _ = new_user("owner")
    with transaction() as s:
        space = make_space(s, name="Мой коворкинг", lat=lat, lon=lon, owner_id=owner_id)
        space.price_hour_from = hour_price
        s.flush()
        return space.id, owner_id


def test_owners_see_where_their_price_stands_among_competitors_nearby(client, operator, world):
    # A point of its own in south-west Moscow: every other test's listings lie north of 55.74
    # (over 2 km away), and a rerun on the same database lands elsewhere in a 7 x 6 km box.
    lat, lon = 55.66 + random.random() * 0.06, 37.45 + random.random() * 0.1
    space_id, owner_id = _owned_space(lat, lon, 45000)
    source_id = _source(client, operator)
    run_id, key = _running(client, operator, source_id)
    near = [(f"n{i}", f"{price} ₽/час", lat + 0.0004 * (i + 1), lon)  # 44 m apart, northwards
            for i, price in enumerate((300, 400, 500, 600, 800))]
    _post(client, key, source_id, run_id,
          [_item(e, p, lat=a, lon=o) for e, p, a, o in near]
          + [_item("day", "2 000 ₽ в день", lat=lat, lon=lon + 0.0005),
             _item("usd", "$15/hour", lat=lat - 0.0002, lon=lon),
             _item("far", "100 ₽/час", lat=lat + 0.01, lon=lon)])  # 1.1 km: outside 300 m
    owner = headers_for(owner_id)
    r = client.get(f"{API}/owner/spaces/{space_id}/market", headers=owner, params={"radius_m": 300})
    assert r.status_code == 200, r.text
    market = r.json()
    assert market["count"] == 7
    hour = market["units"][0]
    assert (hour["unit"], hour["currency"], hour["count"]) == ("hour", "RUB", 5)
    assert (hour["min"], hour["q1"], hour["median"], hour["q3"], hour["max"]) == (30000, 40000, 50000, 60000, 80000)
    assert (hour["own_price"], hour["own_percentile"]) == (45000, 40)  # two of five are cheaper
    assert [(u["unit"], u["currency"]) for u in market["units"]] == [("hour", "RUB"), ("day", "RUB"), ("hour", "USD")]
    assert market["units"][2]["own_price"] is None  # dollars are shown apart, never converted
    assert [n["name"] for n in market["nearest"]][:1] == ["Коворкинг usd"]
    assert all(n["distance_m"] <= 300 for n in market["nearest"]) and len(market["nearest"]) == 7
    this_month = datetime.now(timezone.utc).strftime("%Y-%m")
    assert {"month": this_month, "unit": "hour", "currency": "RUB", "median": 50000, "count": 5} in market["trend"]
    wide = client.get(f"{API}/owner/spaces/{space_id}/market", headers=owner, params={"radius_m": 2000}).json()
    assert "Коворкинг far" in [n["name"] for n in wide["nearest"]]
    # Only the owner and staff.
    assert client.get(f"{API}/owner/spaces/{space_id}/market", headers=signed_in("owner")[1]).status_code == 404
    assert client.get(f"{API}/owner/spaces/{space_id}/market", headers=signed_in("renter")[1]).status_code == 403
    assert client.get(f"{API}/owner/spaces/{space_id}/market", headers=operator).status_code == 200
    for radius in (0, 99, 50_001, "abc"):
        r = client.get(f"{API}/owner/spaces/{space_id}/market", headers=owner, params={"radius_m": radius})
        assert r.status_code == 422 and "radius_m" in str(r.json()["detail"])


def test_the_trend_takes_each_listing_price_in_effect_at_each_month_end(client, operator, world):
    lat, lon = 55.70 + random.random() * 0.1, 37.50 + random.random() * 0.2
    space_id, owner_id = _owned_space(lat, lon, None)
    source_id = _source(client, operator)
    run_id, key = _running(client, operator, source_id)
    _post(client, key, source_id, run_id, [_item("t1", "500 ₽/час", lat=lat, lon=lon),
                                            _item("t2", "700 ₽/час", lat=lat, lon=lon)])
    now = datetime.now(timezone.utc)
    last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=15)
    with transaction() as s:
        ids = list(s.scalars(select(MarketListing.id).where(MarketListing.source_id == source_id)))
        for price in s.scalars(select(MarketPrice).where(MarketPrice.listing_id.in_(ids))):
            price.seen_at = last_month  # both first seen last month
    _post(client, key, source_id, run_id, [_item("t1", "900 ₽/час", lat=lat, lon=lon)])  # t1 dearer now
    trend = client.get(f"{API}/owner/spaces/{space_id}/market", headers=headers_for(owner_id),
                       params={"radius_m": 100}).json()["trend"]
    hour = {p["month"]: (p["median"], p["count"]) for p in trend if p["unit"] == "hour"}
    assert hour[f"{last_month:%Y-%m}"] == (60000, 2)
    assert hour[f"{now:%Y-%m}"] == (80000, 2)
    assert f"{(last_month.replace(day=1) - timedelta(days=1)):%Y-%m}" not in hour  # before any price
