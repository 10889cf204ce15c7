"""Where stored files live (services/common/media.py): a key names a file under the media root and
never anything outside it; its URL is under MEDIA_URL."""

from __future__ import annotations

import pytest

from coworking_app.services.common.media import media_path, media_url
from coworking_app.settings import get_settings


def test_a_key_is_a_file_under_the_media_root_and_a_url_under_media_url(monkeypatch, tmp_path):
    monkeypatch.setattr(get_settings(), "media_root", tmp_path)
    monkeypatch.setattr(get_settings(), "media_url", "/media/")
    assert media_path("spaces/7/a1b2.jpg") == tmp_path.resolve() / "spaces" / "7" / "a1b2.jpg"
    assert media_url("spaces/7/a1b2.jpg") == "/media/spaces/7/a1b2.jpg"


@pytest.mark.parametrize("key", ["../secret.txt", "spaces/../../etc/passwd", "/etc/passwd", "", "."])
def test_a_key_that_leaves_the_media_root_is_refused(monkeypatch, tmp_path, key):
    monkeypatch.setattr(get_settings(), "media_root", tmp_path / "media")
    with pytest.raises(ValueError):
        media_path(key)
