"""Crawl sources, runs and service keys through the API (docs/market.md): who may manage
them, what is refused in words, one active run per source, keys that stop working."""

from __future__ import annotations

import uuid

import pytest
from rq import Queue
from sqlalchemy import select

from coworking_app.db import get_rq_redis
from coworking_app.services.market import keys, runs
from coworking_app.settings import get_settings
from coworking_app.uow import run_use_case
from models import MarketRun, MarketSource
from tests.booking_auth import signed_in
from tests.booking_helpers import API
from tests.uow_helpers import transaction

CSS = {"link": ".listing a.card::attr(href)", "next": "a[rel=next]::attr(href)",
       "item": {"external_id": ".space::attr(data-id)", "name": "h1::text", "price": ".price::text",
                "address": ".addr::text"}}


@pytest.fixture()
def operator():
    return signed_in("operator")[1]


def _name(prefix: str = "Источник") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _create(client, auth, **body) -> dict:
    payload = {"name": _name(), "start_url": "https://spaces.example.ru/list", "kind": "jsonld", **body}
    r = client.post(f"{API}/admin/market/sources", headers=auth, json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def _refused(r, status: int, field: str) -> str:
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    text = str(detail)
    assert field in text, detail
    return text


def test_operators_create_list_edit_and_delete_sources(client, operator):
    css = _create(client, operator, kind="css", selectors=CSS, schedule="daily")
    assert (css["kind"], css["schedule"], css["enabled"], css["last_run"]) == ("css", "daily", True, None)
    assert css["selectors"]["item"]["price"] == ".price::text" and "lat" not in css["selectors"]["item"]
    listed = client.get(f"{API}/admin/market/sources", headers=operator).json()
    assert css["id"] in [s["id"] for s in listed]
    r = client.patch(f"{API}/admin/market/sources/{css['id']}", headers=operator,
                     json={"enabled": False, "schedule": None, "selectors": {**CSS, "next": None}})
    assert r.status_code == 200, r.text
    assert (r.json()["enabled"], r.json()["schedule"], "next" in r.json()["selectors"]) == (False, None, False)
    # Switching to jsonld drops the selectors; css again needs them.
    r = client.patch(f"{API}/admin/market/sources/{css['id']}", headers=operator, json={"kind": "jsonld"})
    assert r.status_code == 200 and r.json()["selectors"] is None, r.text
    _refused(client.patch(f"{API}/admin/market/sources/{css['id']}", headers=operator, json={"kind": "css"}),
             422, "selectors")
    assert client.delete(f"{API}/admin/market/sources/{css['id']}", headers=operator).status_code == 204
    assert client.get(f"{API}/admin/market/sources/{css['id']}", headers=operator).status_code == 404


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"kind": "css"}, "selectors", "нужны селекторы"),
    ({"kind": "jsonld", "selectors": CSS}, "selectors", "только для источников вида css"),
    ({"kind": "css", "selectors": {**CSS, "link": "a[[["}}, "selectors.link", "селектор не разобрать"),
    ({"kind": "css", "selectors": {**CSS, "item": {**CSS["item"], "price": "::attr("}}}, "selectors.item.price",
     "селектор не разобрать"),
    ({"kind": "css", "selectors": {"link": "a", "item": {"name": "h1"}}}, "external_id", ""),
    ({"start_url": "ftp://example.ru/"}, "start_url", "http"),
    ({"start_url": "https://user:pw@example.ru/"}, "start_url", "логин"),
    ({"start_url": "не адрес"}, "start_url", ""),
    ({"kind": "xml"}, "kind", ""),
    ({"schedule": "hourly"}, "schedule", ""),
    ({"name": "x"}, "name", ""),
    ({"extra": 1}, "extra", ""),
])
def test_wrong_sources_are_refused_naming_the_field_and_nothing_is_written(client, operator, body, field, words):
    name = _name("Неверный")
    payload = {"name": name, "start_url": "https://spaces.example.ru/", "kind": "jsonld", **body}
    text = _refused(client.post(f"{API}/admin/market/sources", headers=operator, json=payload), 422, field)
    assert words in text
    with transaction() as s:
        assert s.scalar(select(MarketSource.id).where(MarketSource.name == name)) is None


def test_a_name_is_used_once_and_private_addresses_only_where_allowed(client, operator, monkeypatch):
    first = _create(client, operator)
    _refused(client.post(f"{API}/admin/market/sources", headers=operator,
                         json={"name": first["name"].upper(), "start_url": "https://a.example/", "kind": "jsonld"}),
             409, "name")
    # Tests crawl 127.0.0.1, so test and development allow it; production does not.
    _create(client, operator, start_url="http://127.0.0.1:8081/")
    monkeypatch.setattr(get_settings(), "environment", "production")
    for url in ("http://127.0.0.1:8081/", "http://10.0.0.5/", "http://[::1]/", "http://169.254.169.254/latest/",
                "http://localhost/", "http://shop.localhost/"):
        text = _refused(client.post(f"{API}/admin/market/sources", headers=operator,
                                    json={"name": _name(), "start_url": url, "kind": "jsonld"}), 422, "start_url")
        assert "внутренних сетей" in text
    monkeypatch.setattr(get_settings(), "market_allow_private_hosts", True)
    _create(client, operator, start_url="http://10.0.0.5/")


def test_only_operators_and_admins_manage_market_data(client, operator):
    source = _create(client, operator)
    for role, expected in (("renter", 403), ("owner", 403)):
        auth = signed_in(role)[1]
        assert client.get(f"{API}/admin/market/sources", headers=auth).status_code == expected
        assert client.post(f"{API}/admin/market/sources/{source['id']}/crawl", headers=auth).status_code == expected
        assert client.get(f"{API}/admin/market/listings", headers=auth).status_code == expected
        assert client.post(f"{API}/admin/market/keys", headers=auth, json={"name": "Чужой"}).status_code == expected
    assert client.get(f"{API}/admin/market/sources").status_code == 401
    admin = signed_in("admin")[1]
    assert client.get(f"{API}/admin/market/sources/{source['id']}", headers=admin).status_code == 200


def test_crawl_now_queues_one_run_per_source_on_the_market_queue(client, operator):
    source = _create(client, operator)
    queue = Queue("market", connection=get_rq_redis())
    r = client.post(f"{API}/admin/market/sources/{source['id']}/crawl", headers=operator)
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    assert f"market-crawl-{run_id}" in queue.job_ids  # its own worker, not the bookings' one
    again = client.post(f"{API}/admin/market/sources/{source['id']}/crawl", headers=operator)
    assert again.status_code == 409 and f"№{run_id}" in str(again.json()["detail"])
    run = client.get(f"{API}/admin/market/runs/{run_id}", headers=operator).json()
    assert (run["status"], run["pages"], run["errors"], run["trigger"]) == ("queued", 0, [], "manual")
    assert client.get(f"{API}/admin/market/sources/{source['id']}", headers=operator).json()["last_run"]["id"] == run_id
    assert client.get(f"{API}/admin/market/runs/{2**31 - 1}", headers=operator).status_code == 404
    # The worker takes it: running with a key of its own, which dies with the run.
    started = run_use_case(lambda s, _fx: runs.do_start_run(s, run_id))
    assert started is not None and started[2].startswith("csk_")
    assert run_use_case(lambda s, _fx: runs.do_start_run(s, run_id)) is None  # a repeated job does nothing
    with transaction() as s:
        assert keys.access_key(s, started[2], keys.INGEST_SCOPE).run_id == run_id
    run_use_case(lambda s, _fx: runs.do_finish_run(s, run_id, ok=False, reason="сайт не ответил"))
    run = client.get(f"{API}/admin/market/runs/{run_id}", headers=operator).json()
    assert (run["status"], run["reason"]) == ("failed", "сайт не ответил") and run["finished_at"]
    with transaction() as s, pytest.raises(Exception) as refused:
        keys.access_key(s, started[2], keys.INGEST_SCOPE)
    assert refused.type.__name__ == "NotAuthenticated"
    assert client.post(f"{API}/admin/market/sources/{source['id']}/crawl", headers=operator).status_code == 202


def test_the_schedule_queues_due_sources_once_and_fails_stuck_runs(client, operator):
    daily = _create(client, operator, schedule="daily")
    weekly = _create(client, operator, schedule="weekly")
    off = _create(client, operator, schedule="daily", enabled=False)
    queued = run_use_case(lambda s, fx: runs.do_queue_due_crawls(s, fx))
    ids = {r.source_id for r in queued}
    assert {daily["id"], weekly["id"]} <= ids and off["id"] not in ids
    assert not {daily["id"], weekly["id"]} & {r.source_id for r in run_use_case(
        lambda s, fx: runs.do_queue_due_crawls(s, fx))}  # already queued: not again
    # A day later the daily one is due again once its run has ended; a run left queued for
    # longer than a run's key lives is failed.
    with transaction() as s:
        for run in s.scalars(select(MarketRun).where(MarketRun.source_id.in_([daily["id"], weekly["id"]]))):
            run.created_at = run.created_at - runs.STUCK_AFTER - runs.SCHEDULE_EVERY["daily"]
    again = {r.source_id for r in run_use_case(lambda s, fx: runs.do_queue_due_crawls(s, fx))}
    assert daily["id"] in again and weekly["id"] not in again
    with transaction() as s:
        stuck = s.scalars(select(MarketRun).where(MarketRun.source_id == weekly["id"])).one()
        assert (stuck.status, stuck.reason) == ("failed", "обход не завершился вовремя")


def test_service_keys_are_shown_once_and_stop_when_revoked(client, operator):
    r = client.post(f"{API}/admin/market/keys", headers=operator, json={"name": "Обходчик на сервере Б"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["key"].startswith("csk_") and created["prefix"] == created["key"][:12]
    listed = client.get(f"{API}/admin/market/keys", headers=operator).json()
    mine = next(k for k in listed if k["id"] == created["id"])
    assert "key" not in mine and mine["revoked_at"] is None
    with transaction() as s:
        assert keys.access_key(s, created["key"], keys.INGEST_SCOPE).id == created["id"]
    assert client.delete(f"{API}/admin/market/keys/{created['id']}", headers=operator).json()["revoked_at"]
    batch = {"source_id": 1, "items": []}
    for token in (created["key"], "csk_" + "x" * 43, "not-a-key", ""):
        r = client.post(f"{API}/market/listings/batch", json=batch,
                        headers={"Authorization": f"Bearer {token}"} if token else {})
        assert r.status_code == 401, (token, r.text)
