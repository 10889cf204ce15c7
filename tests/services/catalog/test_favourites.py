"""Saved spaces ("Сохранить", "Избранное") and "Похожие рядом", as a person and an API
client see them: only public spaces, idempotent buttons, nothing for strangers; similar
spaces share a kind of place and a price band and come nearest first."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from coworking_app.services.catalog import favourites, similar
from coworking_app.services.common.errors import NotAuthenticated, NotFound
from coworking_app.uow import run_use_case
from models import Favourite, User
from tests.booking_auth import signed_in
from tests.booking_helpers import API, BOOKING_TEST_MARK
from tests.factories import make_space
from tests.uow_helpers import transaction

# Saint Petersburg: no space of the fixture world is there (they are all in Moscow).
SPB = (59.9343, 30.3351)


def _space(name: str, dlat: float, *, kinds=(("hot_desk", 10, {"hour": 40000}),), status="published",
           photos: int = 0) -> int:
    with transaction() as s:
        return make_space(s, name=name, lat=SPB[0] + dlat, lon=SPB[1], resources=list(kinds),
                          description=BOOKING_TEST_MARK, status=status, photos=photos,
                          owner_id=None).id


def _user(user_id: int) -> User:
    with transaction() as s:
        return s.get(User, user_id)


def _saved(user: User | None, space_id: int) -> bool:
    return run_use_case(lambda s, _fx: favourites.is_saved(s, user, space_id))


def _rows(user_id: int) -> int:
    with transaction() as s:
        return s.scalar(select(func.count()).select_from(Favourite).where(Favourite.user_id == user_id))


def test_saving_is_idempotent_and_listed_newest_first(world):
    user_id, _auth = signed_in()
    user = _user(user_id)
    first, second = _space("Сохраняемый один", 0.001, photos=1), _space("Сохраняемый два", 0.002)
    assert not _saved(user, first)
    for space_id in (first, second, first):  # the second save of `first` changes nothing
        assert run_use_case(lambda s, _fx, i=space_id: favourites.do_save_space(s, user, i)) is True
    assert _saved(user, first) and _saved(user, second)
    assert _rows(user_id) == 2
    cards = run_use_case(lambda s, _fx: favourites.list_saved_spaces(s, user))
    assert [c.id for c in cards] == [second, first]
    assert cards[1].cover_thumb_url and cards[0].price_from == 40000 and cards[0].price_unit == "hour"
    run_use_case(lambda s, _fx: favourites.do_unsave_space(s, user, first))
    run_use_case(lambda s, _fx: favourites.do_unsave_space(s, user, first))  # again: no error
    assert not _saved(user, first)
    assert [c.id for c in run_use_case(lambda s, _fx: favourites.list_saved_spaces(s, user))] == [second]


def test_hidden_spaces_cannot_be_saved_and_leave_the_list_while_hidden(world):
    user = _user(signed_in()[0])
    draft = _space("Черновик для избранного", 0.003, status="draft")
    with pytest.raises(NotFound):
        run_use_case(lambda s, _fx: favourites.do_save_space(s, user, draft))
    shown = _space("Потом скрытое", 0.004)
    run_use_case(lambda s, _fx: favourites.do_save_space(s, user, shown))
    with transaction() as s:
        from models import Space
        s.get(Space, shown).status = "hidden"
    assert run_use_case(lambda s, _fx: favourites.list_saved_spaces(s, user)) == []
    assert _saved(user, shown)  # still saved: it comes back when published again
    with transaction() as s:
        from models import Space
        space = s.get(Space, shown)
        space.status, space.deleted_at = "published", datetime.now(timezone.utc)
    assert run_use_case(lambda s, _fx: favourites.list_saved_spaces(s, user)) == []


def test_strangers_save_nothing(world):
    space_id = _space("Для незнакомца", 0.005)
    assert not _saved(None, space_id)
    with pytest.raises(NotAuthenticated):
        run_use_case(lambda s, _fx: favourites.do_save_space(s, None, space_id))
    with pytest.raises(NotAuthenticated):
        run_use_case(lambda s, _fx: favourites.list_saved_spaces(s, None))


def test_the_limit_of_saved_spaces(world, monkeypatch):
    user = _user(signed_in()[0])
    ids = [_space(f"Лимит {n}", 0.006 + n / 10000) for n in range(3)]
    monkeypatch.setattr(favourites, "MAX_SAVED", 2)
    run_use_case(lambda s, _fx: favourites.do_save_space(s, user, ids[0]))
    run_use_case(lambda s, _fx: favourites.do_save_space(s, user, ids[1]))
    run_use_case(lambda s, _fx: favourites.do_save_space(s, user, ids[1]))  # saved already: fine
    from coworking_app.services.common.errors import Conflict
    with pytest.raises(Conflict, match="не больше 2"):
        run_use_case(lambda s, _fx: favourites.do_save_space(s, user, ids[2]))


def test_favourites_api(client, world):
    _user_id, auth = signed_in()
    space_id = _space("Избранное через API", 0.007)
    assert client.get(f"{API}/me/favourites").status_code == 401
    assert client.put(f"{API}/me/favourites/{space_id}").status_code == 401
    for _ in range(2):
        r = client.put(f"{API}/me/favourites/{space_id}", headers=auth)
        assert r.status_code == 200, r.text
        assert r.json() == {"space_id": space_id, "saved": True}
    r = client.get(f"{API}/me/favourites", headers=auth)
    assert r.status_code == 200 and [c["id"] for c in r.json()] == [space_id]
    assert client.put(f"{API}/me/favourites/999999999", headers=auth).status_code == 404
    r = client.put(f"{API}/me/favourites/abc", headers=auth)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "space_id"
    r = client.delete(f"{API}/me/favourites/{space_id}", headers=auth)
    assert r.status_code == 200 and r.json() == {"space_id": space_id, "saved": False}
    assert client.delete(f"{API}/me/favourites/{space_id}", headers=auth).status_code == 200
    assert client.get(f"{API}/me/favourites", headers=auth).json() == []


# --- similar spaces nearby ---------------------------------------------------------------------


def test_similar_spaces_share_a_kind_and_a_price_band_nearest_first(client, world):
    # Prices far above anything else in the city: only these spaces are in the band.
    desk = (("hot_desk", 10, {"hour": 5_000_000}),)
    here = _space("Исходный", 0.05, kinds=desk)
    near = _space("Рядом похожий", 0.052, kinds=(("hot_desk", 5, {"hour": 3_000_000}),))
    farther = _space("Подальше похожий", 0.06, kinds=(("hot_desk", 5, {"hour": 9_000_000}),))
    _space("Рядом, но дорогой", 0.0505, kinds=(("hot_desk", 5, {"hour": 11_000_000}),))
    _space("Рядом, но дешёвый", 0.0505, kinds=(("hot_desk", 5, {"hour": 2_000_000}),))
    _space("Рядом, но переговорная", 0.0505, kinds=(("meeting_room", 6, {"hour": 5_000_000}),))
    _space("Рядом, но черновик", 0.0505, kinds=desk, status="draft")
    _space("Слишком далеко", 0.5, kinds=desk)
    cards = run_use_case(lambda s, _fx: similar.similar_spaces(s, here))
    assert [c.id for c in cards] == [near, farther]
    assert 150 < cards[0].distance_m < 300 and cards[0].distance_m < cards[1].distance_m
    r = client.get(f"{API}/spaces/{here}/similar")
    assert r.status_code == 200 and [c["id"] for c in r.json()] == [near, farther]
    hidden = _space("Скрытый исходный", 0.07, kinds=desk, status="hidden")
    assert client.get(f"{API}/spaces/{hidden}/similar").status_code == 404
    assert client.get(f"{API}/spaces/0/similar").status_code == 422


def test_similar_spaces_come_a_few_at_a_time(world):
    desk = (("fixed_desk", 4, {"day": 77_700_000}),)
    here = _space("Исходный с фикс-местами", 0.1, kinds=desk)
    others = [_space(f"Фикс {n}", 0.1 + (n + 1) / 2000, kinds=desk) for n in range(similar.SIMILAR_COUNT + 2)]
    cards = run_use_case(lambda s, _fx: similar.similar_spaces(s, here))
    assert [c.id for c in cards] == others[:similar.SIMILAR_COUNT]
