"""The owner's editor of a space is one view (services.catalog.owner_editor.space_editor), shown by
REST (GET /owner/spaces/{id}) and by the cabinet's editor page; its resources, tariffs and
photos have the public page's shapes (one ResourceOut / TariffOut / PhotoOut)."""

from __future__ import annotations

from coworking_app.services.catalog import owner_editor
from coworking_app.services.catalog.spaces import get_published_space
from models import Space, User
from tests.booking_auth import headers_for, signed_in
from tests.booking_helpers import API, make_bookable
from tests.factories import jpeg_bytes
from tests.uow_helpers import transaction


def test_rest_and_the_cabinet_read_the_same_view(client, world):
    b = make_bookable()
    owner = headers_for(b.owner_id)
    r = client.post(f"{API}/spaces/{b.space_id}/photos", headers=owner,
                    files={"file": ("hall.jpg", jpeg_bytes(), "image/jpeg")})
    assert r.status_code == 201, r.text
    photo = r.json()
    r = client.get(f"{API}/owner/spaces/{b.space_id}", headers=owner)
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["space"]["id"] == b.space_id and view["space"]["timezone"] == "Europe/Moscow"
    assert view["place"].startswith("Москва")
    assert [g["field"] for g in view["gaps"]] == ["description"]  # open, priced, with a photo; too short a text
    desk = next(x for x in view["resources"] if x["id"] == b.desk_id)
    assert [t["unit"] for t in desk["tariffs"]] == ["hour", "day", "month"]
    assert all(isinstance(t["id"], int) for t in desk["tariffs"])
    assert view["photos"] == [photo]

    with transaction() as s:
        same = owner_editor.space_editor(s, s.get(User, b.owner_id), b.space_id)
        public = get_published_space(s, b.space_id)
    assert same.model_dump(mode="json") == view
    # The public page shows the same resources and tariffs, in the same shape.
    assert [x.model_dump(mode="json") for x in public.resources] == view["resources"]
    assert client.get(f"{API}/spaces/{b.space_id}/resources", headers=owner).json() == view["resources"]
    assert client.get(f"{API}/spaces/{b.space_id}/photos", headers=owner).json() == view["photos"]


def test_another_owner_sees_no_editor(client, world):
    b, other = make_bookable(), make_bookable()
    r = client.get(f"{API}/owner/spaces/{b.space_id}", headers=headers_for(other.owner_id))
    assert r.status_code == 404
    assert client.get(f"{API}/owner/spaces/{b.space_id}").status_code == 401


def test_the_preview_is_the_public_page_of_a_draft_for_its_owner_and_staff_only(client, world):
    b = make_bookable()
    owner = headers_for(b.owner_id)
    with transaction() as s:
        s.get(Space, b.space_id).status = "draft"
    assert client.get(f"{API}/spaces/{b.space_id}").status_code == 404  # guests: nothing yet
    r = client.get(f"{API}/owner/spaces/{b.space_id}/preview", headers=owner)
    assert r.status_code == 200, r.text
    preview = r.json()
    assert (preview["id"], preview["status"], preview["bookable"]) == (b.space_id, "draft", False)
    assert [x["id"] for x in preview["resources"]] == [b.desk_id, b.room_id]
    other = make_bookable()
    _renter_id, renter = signed_in()
    assert client.get(f"{API}/owner/spaces/{b.space_id}/preview", headers=headers_for(other.owner_id)).status_code == 404
    assert client.get(f"{API}/owner/spaces/{b.space_id}/preview", headers=renter).status_code == 403
    assert client.get(f"{API}/owner/spaces/{b.space_id}/preview").status_code == 401
    with transaction() as s:
        assert owner_editor.space_preview(s, s.get(User, b.owner_id), b.space_id).name == preview["name"]
        s.get(Space, b.space_id).status = "published"
