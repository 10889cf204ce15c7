"""Where stored files live and how they are addressed (local directory for now)."""

from __future__ import annotations

from pathlib import Path

from coworking_app.settings import get_settings


def media_url(key: str) -> str:
    return f"{get_settings().media_url.rstrip('/')}/{key}"


def media_path(key: str) -> Path:
    root = get_settings().media_root.resolve()
    path = (root / key).resolve()
    if root not in path.parents:
        raise ValueError(f"media key escapes the media root: {key!r}")
    return path
