"""Space pages are cached in Redis for 5 minutes and invalidated when the space changes."""

from __future__ import annotations

from sqlalchemy import select

from coworking_app.db import get_cache_redis, session_scope
from coworking_app.services.cache import space_detail_key
from coworking_app.services.spaces import do_set_space_status, get_published_space
from models import Resource, Space, SpaceStatus, Tariff


def test_detail_is_cached_with_ttl(world):
    space_id = world.ids["alpha"]
    redis = get_cache_redis()
    redis.delete(space_detail_key(space_id))
    with session_scope() as session:
        get_published_space(session, space_id)
    ttl = redis.ttl(space_detail_key(space_id))
    assert 290 <= ttl <= 300


def test_changing_a_space_invalidates_its_page(world, client):
    space_id = world.ids["beta"]
    assert client.get(f"/api/v1/spaces/{space_id}").json()["name"] == "Бета офис"
    assert get_cache_redis().exists(space_detail_key(space_id))
    with session_scope() as session:
        space = session.get(Space, space_id)
        space.name = "Бета офис (новое имя)"
    assert not get_cache_redis().exists(space_detail_key(space_id))
    assert client.get(f"/api/v1/spaces/{space_id}").json()["name"] == "Бета офис (новое имя)"
    with session_scope() as session:
        session.get(Space, space_id).name = "Бета офис"
    assert client.get(f"/api/v1/spaces/{space_id}").json()["name"] == "Бета офис"


def test_changing_a_tariff_invalidates_its_space(world, client):
    space_id = world.ids["alpha"]
    client.get(f"/api/v1/spaces/{space_id}")
    with session_scope() as session:
        tariff = session.scalar(
            select(Tariff).join(Resource, Resource.id == Tariff.resource_id)
            .where(Resource.space_id == space_id, Tariff.unit == "day")
        )
        old = tariff.price_minor
        tariff.price_minor = old + 100
    body = client.get(f"/api/v1/spaces/{space_id}").json()
    day = [t for r in body["resources"] for t in r["tariffs"] if t["unit"] == "day"]
    assert day[0]["price_minor"] == old + 100
    with session_scope() as session:
        session.get(Tariff, tariff.id).price_minor = old


def test_unpublishing_removes_page_immediately(world, client):
    space_id = world.ids["gamma"]
    assert client.get(f"/api/v1/spaces/{space_id}").status_code == 200
    with session_scope() as session:
        do_set_space_status(session, space_id, SpaceStatus.hidden)
    assert client.get(f"/api/v1/spaces/{space_id}").status_code == 404
    with session_scope() as session:
        do_set_space_status(session, space_id, SpaceStatus.published)
    assert client.get(f"/api/v1/spaces/{space_id}").status_code == 200


def test_rolled_back_change_keeps_cache(world, client):
    space_id = world.ids["alpha"]
    client.get(f"/api/v1/spaces/{space_id}")
    try:
        with session_scope() as session:
            session.get(Space, space_id).name = "never committed"
            session.flush()
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert get_cache_redis().exists(space_detail_key(space_id))
    assert client.get(f"/api/v1/spaces/{space_id}").json()["name"] == "Альфа коворкинг"
