"""Space pages are cached in Redis for 5 minutes and dropped when the space or anything its
page shows changes: every service that changes one says so (drop_space_pages), and the
unit of work deletes the keys after the commit, never on a rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coworking_app.db import get_cache_redis
from coworking_app.services.catalog import owner_spaces, photos, space_moderation
from coworking_app.services.reviews import reviews
from coworking_app.services.catalog.cache import space_detail_key
from coworking_app.services.common.errors import NotFound
from coworking_app.services.catalog.spaces import do_set_space_status, get_published_space
from coworking_app.uow import UnitOfWork, run_use_case
from models import Photo, Review, Space, SpaceStatus, Tariff, User
from tests.booking_auth import signed_in
from tests.booking_helpers import API, make_bookable, new_user
from tests.factories import jpeg_bytes
from tests.review_helpers import GOOD_TEXT, insert_booking
from tests.uow_helpers import transaction


def test_detail_is_cached_with_ttl(world):
    space_id = world.ids["alpha"]
    redis = get_cache_redis()
    redis.delete(space_detail_key(space_id))
    with transaction() as session:
        get_published_space(session, space_id)
    ttl = redis.ttl(space_detail_key(space_id))
    assert 290 <= ttl <= 300


def test_changing_a_space_invalidates_its_page(world, client):
    space_id = world.ids["beta"]
    _admin_id, admin = signed_in("admin")
    assert client.get(f"{API}/spaces/{space_id}").json()["name"] == "Бета офис"
    assert get_cache_redis().exists(space_detail_key(space_id))
    r = client.patch(f"{API}/spaces/{space_id}", headers=admin, json={"name": "Бета офис (новое имя)"})
    assert r.status_code == 200, r.text
    assert not get_cache_redis().exists(space_detail_key(space_id))
    assert client.get(f"{API}/spaces/{space_id}").json()["name"] == "Бета офис (новое имя)"
    client.patch(f"{API}/spaces/{space_id}", headers=admin, json={"name": "Бета офис"})
    assert client.get(f"{API}/spaces/{space_id}").json()["name"] == "Бета офис"


def test_changing_a_tariff_invalidates_its_space(world, client):
    space_id = world.ids["alpha"]
    _admin_id, admin = signed_in("admin")
    page = client.get(f"{API}/spaces/{space_id}").json()
    (resource,) = [r for r in page["resources"] if any(t["unit"] == "day" for t in r["tariffs"])]
    old = next(t["price_minor"] for t in resource["tariffs"] if t["unit"] == "day")
    url = f"{API}/spaces/{space_id}/resources/{resource['id']}/tariffs"
    assert client.put(url, headers=admin, json={"unit": "day", "price_minor": old + 100}).status_code == 200
    body = client.get(f"{API}/spaces/{space_id}").json()
    day = [t for r in body["resources"] for t in r["tariffs"] if t["unit"] == "day"]
    assert day[0]["price_minor"] == old + 100
    assert client.put(url, headers=admin, json={"unit": "day", "price_minor": old}).status_code == 200


def test_unpublishing_removes_page_immediately(world, client):
    space_id = world.ids["gamma"]
    assert client.get(f"{API}/spaces/{space_id}").status_code == 200
    run_use_case(lambda s, fx: do_set_space_status(s, fx, space_id, SpaceStatus.hidden))
    assert client.get(f"{API}/spaces/{space_id}").status_code == 404
    run_use_case(lambda s, fx: do_set_space_status(s, fx, space_id, SpaceStatus.published))
    assert client.get(f"{API}/spaces/{space_id}").status_code == 200


def test_rolled_back_change_keeps_cache(world, client):
    space_id = world.ids["alpha"]
    client.get(f"{API}/spaces/{space_id}")
    with pytest.raises(RuntimeError):
        with UnitOfWork() as uow:
            staff = uow.session.get(User, signed_in("admin")[0])
            owner_spaces.do_update_space(uow.session, uow.effects, staff, space_id,
                                         owner_spaces.SpaceFields(name="never committed"))
            raise RuntimeError("abort")
    assert get_cache_redis().exists(space_detail_key(space_id))
    assert client.get(f"{API}/spaces/{space_id}").json()["name"] == "Альфа коворкинг"


# --- every write path drops the page --------------------------------------------------------
# Each case changes a fresh space through one service, as its adapters call it; a stale page
# put in the cache first must be gone after the commit.


def _first(session, model, **where):
    return session.scalars(select(model).filter_by(**where).order_by(model.id).limit(1)).first()


def _set(s, b, **fields) -> None:
    """Setup written straight to the row (no service: it must drop nothing itself)."""
    space = s.get(Space, b.space_id)
    for name, value in fields.items():
        setattr(space, name, value)
    s.flush()


def _approve_review(s, fx, b, owner, staff) -> None:
    reviews.do_moderate_review(s, fx, moderator=staff, review_id=_first(s, Review, space_id=b.space_id).id,
                               approve=True)


def _nothing(s, fx, b, owner, staff) -> None:
    pass


LONG_TEXT = "Светлый зал, быстрый интернет, кухня и переговорные."

# name: (setup, the write); the setup runs in a unit of work of its own, before the check.
WRITE_PATHS = {
    "update space": (_nothing, lambda s, fx, b, owner, staff: owner_spaces.do_update_space(
        s, fx, owner, b.space_id, owner_spaces.SpaceFields(name="Коворкинг «Новое имя»"))),
    "delete space": (_nothing, lambda s, fx, b, owner, staff: owner_spaces.do_delete_space(
        s, fx, owner, b.space_id)),
    "submit for review": (
        lambda s, fx, b, owner, staff: _set(s, b, status=SpaceStatus.draft.value, description=LONG_TEXT),
        lambda s, fx, b, owner, staff: owner_spaces.do_submit_for_review(s, fx, owner, b.space_id)),
    "add resource": (_nothing, lambda s, fx, b, owner, staff: owner_spaces.do_add_resource(
        s, fx, owner, b.space_id, owner_spaces.ResourceCreate(kind="fixed_desk", name="Стол у окна"))),
    "update resource": (_nothing, lambda s, fx, b, owner, staff: owner_spaces.do_update_resource(
        s, fx, owner, b.room_id, owner_spaces.ResourceFields(name="Переговорная «Бета»"))),
    "delete resource": (_nothing, lambda s, fx, b, owner, staff: owner_spaces.do_delete_resource(
        s, fx, owner, b.room_id)),
    "set tariff": (_nothing, lambda s, fx, b, owner, staff: owner_spaces.do_set_tariff(
        s, fx, owner, b.desk_id, owner_spaces.TariffInput(unit="hour", price_minor=31000))),
    "delete tariff": (_nothing, lambda s, fx, b, owner, staff: owner_spaces.do_delete_tariff(
        s, fx, owner, _first(s, Tariff, resource_id=b.room_id).id)),
    "add photo": (_nothing, lambda s, fx, b, owner, staff: photos.do_add_photo(
        s, fx, owner, b.space_id, jpeg_bytes())),
    "reorder photos": (_nothing, lambda s, fx, b, owner, staff: photos.do_reorder_photos(
        s, fx, owner, b.space_id, [p.id for p in reversed(photos.list_photos(s, b.space_id))])),
    "set cover": (_nothing, lambda s, fx, b, owner, staff: photos.do_set_cover(
        s, fx, owner, photos.list_photos(s, b.space_id)[-1].id)),
    "delete photo": (_nothing, lambda s, fx, b, owner, staff: photos.do_delete_photo(
        s, fx, owner, _first(s, Photo, space_id=b.space_id).id)),
    "hide (moderator)": (_nothing, lambda s, fx, b, owner, staff: space_moderation.do_hide_space(
        s, fx, staff, b.space_id, "Фото не соответствуют")),
    "approve changes (moderator)": (
        lambda s, fx, b, owner, staff: _set(s, b, changed_for_review_at=s.get(Space, b.space_id).updated_at),
        lambda s, fx, b, owner, staff: space_moderation.do_approve_space(s, fx, staff, b.space_id)),
    "reject (moderator)": (
        lambda s, fx, b, owner, staff: _set(s, b, status=SpaceStatus.pending_review.value),
        lambda s, fx, b, owner, staff: space_moderation.do_reject_space(s, fx, staff, b.space_id,
                                                                        "Нет описания входа")),
    "set status (admin, CLI)": (_nothing, lambda s, fx, b, owner, staff: do_set_space_status(
        s, fx, b.space_id, SpaceStatus.hidden)),
    "approve review (rating)": (_nothing, _approve_review),
    "edit an approved review (rating)": (_approve_review, lambda s, fx, b, owner, staff: reviews.do_edit_review(
        s, fx, user=s.get(User, _first(s, Review, space_id=b.space_id).user_id),
        review_id=_first(s, Review, space_id=b.space_id).id, rating=2, subratings={}, text_=GOOD_TEXT)),
}


@pytest.mark.parametrize("path", sorted(WRITE_PATHS))
def test_every_write_path_drops_the_cached_page(client, world, path):
    setup, write = WRITE_PATHS[path]
    b = make_bookable()
    staff_id, renter_id = signed_in("admin")[0], new_user()[0]
    with transaction() as s:  # what the cases act on: two photos and a pending review
        for n in range(2):
            s.add(Photo(space_id=b.space_id, position=n, storage_key=f"t/c{b.space_id}-{n}.jpg",
                        thumb_key=f"t/c{b.space_id}-{n}_t.jpg", width=10, height=10))
    booking_id = insert_booking(b, renter_id)
    run_use_case(lambda s, fx: reviews.do_create_review(
        s, user=s.get(User, renter_id), booking_id=booking_id, rating=5, subratings={}, text_=GOOD_TEXT))
    run_use_case(lambda s, fx: setup(s, fx, b, s.get(User, b.owner_id), s.get(User, staff_id)))
    key = space_detail_key(b.space_id)
    get_cache_redis().set(key, "stale page")
    with UnitOfWork() as uow:
        s = uow.session
        write(s, uow.effects, b, s.get(User, b.owner_id), s.get(User, staff_id))
        assert get_cache_redis().exists(key)  # not before the commit
    assert not get_cache_redis().exists(key), path


def test_a_refused_write_leaves_the_page(client, world):
    b = make_bookable()
    key = space_detail_key(b.space_id)
    get_cache_redis().set(key, "page")
    stranger = new_user("owner")[0]
    with pytest.raises(NotFound):
        run_use_case(lambda s, fx: owner_spaces.do_update_space(
            s, fx, s.get(User, stranger), b.space_id, owner_spaces.SpaceFields(name="Чужое")))
    assert get_cache_redis().get(key) == b"page"
