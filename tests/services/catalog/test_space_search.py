"""The narrow search table follows every change to a space (the space_search_sync trigger),
in the same transaction, so search never shows what `space` no longer says."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from coworking_app.services.catalog.search import SearchParams, search_spaces
from tests.factories import make_space
from tests.uow_helpers import transaction

# The columns search reads, compared between the two tables.
_SAME = text("""
    SELECT s.city_id = ss.city_id AND s.district_id IS NOT DISTINCT FROM ss.district_id
       AND ST_Equals(s.location::geometry, ss.location::geometry)
       AND s.amenities = ss.amenities
       AND s.price_hour_from IS NOT DISTINCT FROM ss.price_hour_from
       AND s.price_day_from IS NOT DISTINCT FROM ss.price_day_from
       AND s.price_month_from IS NOT DISTINCT FROM ss.price_month_from
       AND s.max_capacity = ss.max_capacity AND s.rating = ss.rating
       AND s.reviews_count = ss.reviews_count AND s.created_at = ss.created_at
       AND s.search_vector = ss.search_vector
    FROM space s JOIN space_search ss ON ss.space_id = s.id WHERE s.id = :id
""")


def _delete_space(session, space_id: int) -> None:
    session.execute(text("DELETE FROM tariff WHERE resource_id IN "
                         "(SELECT id FROM resource WHERE space_id = :id)"), {"id": space_id})
    session.execute(text("DELETE FROM resource WHERE space_id = :id"), {"id": space_id})
    session.execute(text("DELETE FROM space WHERE id = :id"), {"id": space_id})


def _row(session, space_id: int):
    return session.execute(text("SELECT * FROM space_search WHERE space_id = :id"),
                           {"id": space_id}).mappings().first()


@pytest.fixture
def space_id(world):
    with transaction() as s:
        space = make_space(s, name="Лофт Синхронный", lat=55.7601, lon=37.6186,
                           amenities=["wifi", "coffee"], rating=4.1, reviews=3,
                           description="Тихий коворкинг у бульвара")
        created = space.id
    yield created
    with transaction() as s:
        _delete_space(s, created)  # a no-op when the test deleted it already


def test_a_published_space_has_the_same_row_in_the_search_table(space_id):
    with transaction() as session:
        assert session.execute(_SAME, {"id": space_id}).scalar_one() is True


def test_edits_reach_the_search_table_in_the_same_transaction(space_id):
    with transaction() as session:
        _edit_and_check(session, space_id)


def _edit_and_check(session, space_id: int) -> None:
    session.execute(text(
        "UPDATE space SET amenities = '{wifi,coffee,terrace}', rating = 4.9, reviews_count = 10, "
        "name = 'Лофт Переименованный', price_hour_from = 12345, max_capacity = 42 WHERE id = :id"
    ), {"id": space_id})
    row = _row(session, space_id)
    assert row["amenities"] == ["wifi", "coffee", "terrace"] and row["rating"] == 4.9
    assert row["price_hour_from"] == 12345 and row["max_capacity"] == 42
    assert session.execute(_SAME, {"id": space_id}).scalar_one() is True
    # The generated text vector follows the new name: the new word finds the space.
    found = search_spaces(session, SearchParams(q="переименованный", city="moscow"))
    assert space_id in [item.id for item in found.items]


def test_unpublished_spaces_leave_the_search_table(space_id):
    with transaction() as session:
        _unpublish_and_check(session, space_id)


def _unpublish_and_check(session, space_id: int) -> None:
    for status in ("hidden", "draft", "pending_review"):
        session.execute(text("UPDATE space SET status = :st WHERE id = :id"),
                        {"st": status, "id": space_id})
        assert _row(session, space_id) is None
        assert space_id not in [i.id for i in search_spaces(session, SearchParams(city="moscow",
                                                                                  page_size=100,
                                                                                  q="синхронный")).items]
    session.execute(text("UPDATE space SET status = 'published' WHERE id = :id"), {"id": space_id})
    assert session.execute(_SAME, {"id": space_id}).scalar_one() is True


def test_a_rolled_back_change_leaves_the_search_table_as_it_was(space_id):
    with pytest.raises(RuntimeError):
        with transaction() as s:
            s.execute(text("UPDATE space SET status = 'hidden' WHERE id = :id"), {"id": space_id})
            raise RuntimeError("the request failed")
    with transaction() as s:
        assert _row(s, space_id) is not None


def test_a_draft_space_never_enters_the_search_table(world):
    with pytest.raises(RuntimeError):
        with transaction() as session:
            draft = make_space(session, name="Черновик", lat=55.7601, lon=37.6186, status="draft")
            assert _row(session, draft.id) is None
            raise RuntimeError("roll the draft back")


def test_a_deleted_space_leaves_the_search_table(space_id):
    with transaction() as session:
        _delete_space(session, space_id)
        assert _row(session, space_id) is None
