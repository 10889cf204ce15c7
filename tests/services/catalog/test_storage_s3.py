"""Photos in an S3-compatible store: the real boto3 client against a local fake S3 server."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from coworking_app.settings import get_settings
from tests.fake_s3 import fake_s3

API = "/api/v1"


@pytest.fixture()
def s3(monkeypatch):
    with fake_s3("photos") as (client, endpoint):
        settings = get_settings()
        for key, value in {"s3_bucket": "photos", "s3_endpoint_url": endpoint, "s3_access_key": "test",
                           "s3_secret_key": "test", "s3_public_url": ""}.items():
            monkeypatch.setattr(settings, key, value)
        yield client, endpoint


def test_upload_goes_to_the_bucket_and_urls_point_there(client, make_user, login, s3):
    s3_client, endpoint = s3
    _id, email, password = make_user("owner")
    auth = login(email, password)
    space = client.post(f"{API}/spaces", headers=auth, json={
        "name": "S3 лофт", "address": "Москва, ул. Тверская, 9", "lat": 55.7649, "lon": 37.605,
    }).json()
    image = io.BytesIO()
    Image.new("RGB", (900, 600), (10, 120, 110)).save(image, "PNG")
    r = client.post(f"{API}/spaces/{space['id']}/photos", headers=auth,
                    files={"file": ("p.png", image.getvalue(), "image/png")})
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["url"].startswith(f"{endpoint}/photos/spaces/{space['id']}/")
    key = photo["url"].split("/photos/", 1)[1]
    stored = s3_client.get_object(Bucket="photos", Key=key)
    assert stored["ContentType"] == "image/jpeg"
    assert Image.open(io.BytesIO(stored["Body"].read())).format == "JPEG"
    from coworking_app.services.common.storage import get_storage

    assert get_storage().exists(key) and not get_storage().exists(key + ".missing")

    assert client.delete(f"{API}/spaces/{space['id']}/photos/{photo['id']}",
                         headers=auth).status_code == 204
    listed = s3_client.list_objects_v2(Bucket="photos").get("Contents", [])
    assert listed == []
