"""The owner's editor of a space is one view (services.catalog.owner_editor.space_editor), shown by
REST (GET /owner/spaces/{id}) and by the cabinet's editor page; its resources, tariffs and
photos have the public page's shapes (one ResourceOut / TariffOut / PhotoOut)."""

from __future__ import annotations

from coworking_app.services.catalog import owner_editor
from coworking_app.services.catalog.spaces import get_published_space
from models import User
from tests.booking_auth import headers_for
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
